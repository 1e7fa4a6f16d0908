// SwitchRuntime::start on a Config built in code (no parser in between):
// beyond the runtime's bounds (io/switch_constants.h) it says why and starts
// nothing, rather than asserting on the metrics registry's size or serving
// links it has no connection slot for.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/io/switch_test_support.h"

namespace authswitch::test {
namespace {

std::string start_error(const io::Config& config) {
  io::SwitchOptions options;
  options.config = config;
  options.txn_capacity = 1u << 10;
  options.hold_sweep_interval_ms = 0;
  options.log = [](const std::string&) {};
  io::SwitchRuntime runtime(std::move(options));
  core::LoadResult loaded = core::load_accounts_text(core::generate_demo_accounts(10), "demo");
  EXPECT_TRUE(loaded.accounts) << loaded.error;
  return runtime.start(std::move(loaded.accounts));
}

TEST(SwitchStartBounds, MoreLinksThanConnectionSlotsIsRefused) {
  const std::filesystem::path dir = temp_dir("start-bounds");
  io::Config config = test_config(dir / "wal", io::Durability::async);
  config.links.resize(constants::switch_links_max + 1, config.links[0]);
  for (std::size_t i = 0; i < config.links.size(); ++i) config.links[i].name = "l" + std::to_string(i);
  EXPECT_EQ(start_error(config), "9 links; at most 8, one per connection slot");
  EXPECT_FALSE(std::filesystem::exists(dir / "wal"));
  std::filesystem::remove_all(dir);
}

TEST(SwitchStartBounds, MoreAuthorizationThreadsThanSupportedIsRefused) {
  const std::filesystem::path dir = temp_dir("start-bounds");
  io::Config config = test_config(dir / "wal", io::Durability::async);
  config.cores.auth = {0, 0, 0, 0, 0};
  EXPECT_EQ(start_error(config), "cores.auth names 5 CPUs; at most 4 authorization threads");
  EXPECT_FALSE(std::filesystem::exists(dir / "wal"));
  std::filesystem::remove_all(dir);
}

// Every slot's in-flight table and rings hold switch_link_inflight_max: a
// link's max_inflight outside 1..4096 is refused, not cut down to fit (or,
// at 0, a link that answers everything 91).
struct InflightCase {
  std::uint32_t max_inflight;
  const char* error;
  friend void PrintTo(const InflightCase& c, std::ostream* out) { *out << "max_inflight " << c.max_inflight; }
};

class SwitchStartInflightBounds : public ::testing::TestWithParam<InflightCase> {};

TEST_P(SwitchStartInflightBounds, MaxInflightOutsideTheBoundIsRefused) {
  const std::filesystem::path dir = temp_dir("start-bounds");
  io::Config config = test_config(dir / "wal", io::Durability::async);
  config.links[0].max_inflight = GetParam().max_inflight;
  EXPECT_EQ(start_error(config), GetParam().error);
  EXPECT_FALSE(std::filesystem::exists(dir / "wal"));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Links, SwitchStartInflightBounds,
                         ::testing::Values(InflightCase{0, "link net: max_inflight 0; between 1 and 4096"},
                                           InflightCase{4097, "link net: max_inflight 4097; between 1 and 4096"}),
                         [](const ::testing::TestParamInfo<InflightCase>& p) {
                           return "MaxInflight" + std::to_string(p.param.max_inflight);
                         });

}  // namespace
}  // namespace authswitch::test
