// Snapshots from another build (snapshot_layout.h): the layout record in the
// header is compared with this build's and a difference refuses the file,
// naming it; a format 1 file (no layout record) is refused too. Recovery then
// uses an older snapshot or the whole log; without either it stops, saying so
// (checkpointer_test.cpp covers the pruned log).
#include "ledger/snapshot_layout.h"

#include <gtest/gtest.h>

#include "ledger/core_recovery.h"
#include "ledger/core_snapshot.h"
#include "ledger/crc32c.h"
#include "ledger/snapshot.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/core_recovery_driver.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger::testing {
namespace {

namespace sf = snapshot_format;

void reseal_header(Bytes& b) {
  const std::size_t header_bytes = format::load<std::uint32_t>(b.data() + 12);
  const std::uint32_t crc = crc32c_extend(crc32c(b.data(), sf::header_crc_offset), b.data() + sf::layout_offset,
                                          header_bytes - sf::layout_offset);
  format::store<std::uint32_t>(b.data() + sf::header_crc_offset, format::mask_crc(crc));
}

// A log of a few hundred operations and a snapshot of the live core after it.
struct Logged {
  std::string state;
  std::string snapshot_path;
};

Logged log_and_snapshot(const std::string& dir) {
  const PanCipher cipher(driver_key());
  auto core = driver_core();
  const auto loaded = static_cast<std::uint32_t>(core->accounts().card_pans.size());
  WalOptions o;
  o.dir = dir;
  o.producers = 1;
  WalWriter wal(o);
  AS_ASSERT(wal.open().ok());
  WalEventSink sink(wal, wal.register_producer(), &cipher, core.get());
  OpDriver driver(77);
  for (int i = 0; i < 300; ++i) driver.step(*core, sink);
  AS_ASSERT(wal.close().ok());
  SnapshotInfo info;
  AS_ASSERT(write_core_snapshot(dir, *core, loaded, wal.written_sequence(), &cipher, &info).ok());
  return {core->dump_state(), info.path};
}

TEST(SnapshotLayout, TheHeaderRecordsThisBuildsLayout) {
  TempDir dir;
  const Logged logged = log_and_snapshot(dir.path());
  const Bytes b = read_bytes(logged.snapshot_path);
  const std::span<const LayoutItem> layout = build_layout();
  ASSERT_FALSE(layout.empty());
  EXPECT_EQ(format::load<std::uint32_t>(b.data() + 8), sf::version);
  EXPECT_EQ(format::load<std::uint32_t>(b.data() + 12), sf::layout_offset + 4 + 4 * layout.size());
  ASSERT_EQ(format::load<std::uint32_t>(b.data() + sf::layout_offset), layout.size());
  for (std::size_t i = 0; i < layout.size(); ++i) {
    EXPECT_EQ(format::load<std::uint32_t>(b.data() + sf::layout_offset + 4 + 4 * i), layout[i].value) << i;
  }
}

TEST(SnapshotLayout, AnotherBuildsSnapshotIsRefusedNamingTheDifferenceAndTheWholeLogReplays) {
  TempDir dir;
  const Logged logged = log_and_snapshot(dir.path());
  Bytes b = read_bytes(logged.snapshot_path);
  // The first item is LimitSlot's size: as if a field had been added.
  const std::uint32_t here = build_layout()[0].value;
  format::store<std::uint32_t>(b.data() + sf::layout_offset + 4, here + 8);
  reseal_header(b);
  write_bytes(logged.snapshot_path, b);
  SnapshotInfo info;
  const Status refused = verify_snapshot(logged.snapshot_path, info);
  EXPECT_EQ(refused.fault(), Fault::bad_snapshot);
  const std::string want = std::string("another memory layout (") + build_layout()[0].name + ": " +
                           std::to_string(here + 8) + " there, " + std::to_string(here) + " here): refused";
  EXPECT_NE(refused.to_string().find(want), std::string::npos) << refused.to_string();

  const Recovered r = recover_driver_core(dir.path());
  ASSERT_TRUE(r.status) << r.status.to_string();
  EXPECT_FALSE(r.result.snapshot.has_value());
  EXPECT_NE(r.err.find("another memory layout"), std::string::npos) << r.err;
  EXPECT_EQ(r.core->dump_state(), logged.state);
}

TEST(SnapshotLayout, AFormatOneSnapshotIsRefused) {
  TempDir dir;
  const Logged logged = log_and_snapshot(dir.path());
  Bytes b = read_bytes(logged.snapshot_path);
  format::store<std::uint32_t>(b.data() + 8, 1);
  write_bytes(logged.snapshot_path, b);
  SnapshotInfo info;
  const Status refused = verify_snapshot(logged.snapshot_path, info);
  EXPECT_EQ(refused.fault(), Fault::bad_snapshot);
  EXPECT_NE(refused.to_string().find("snapshot format 1"), std::string::npos) << refused.to_string();
}

}  // namespace
}  // namespace authswitch::ledger::testing
