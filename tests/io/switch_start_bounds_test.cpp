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

}  // namespace
}  // namespace authswitch::test
