// Periodic snapshots from the shadow core (ledger/checkpointer.h) and the
// follower that feeds it (ledger/log_follower.h): real files, a real writer.
//
//  - the follower reads every published record in order across rotations,
//    while the writer appends;
//  - many snapshot_every intervals: snapshots and markers are written, old
//    segments and snapshots go, and recovery gives the live core's state;
//  - a corrupt newest snapshot falls back to the older one (with the log
//    kept behind it); both corrupt with the early log gone stops recovery
//    with missing_records;
//  - `wal dump` shows the marker.
// The kill -9 test is in checkpointer_crash_test.cpp.
#include "ledger/checkpointer.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "ledger/core_recovery.h"
#include "ledger/log_follower.h"
#include "ledger/record_registry.h"
#include "ledger/wal_command.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/core_recovery_driver.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"
#include "tests/support/thread_sched.h"

namespace authswitch::ledger::testing {
namespace {

TEST(LogFollower, ReadsEveryPublishedRecordInOrderAcrossRotationsWhileTheWriterAppends) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.durability = Durability::async;
  o.flush_interval_ms = 1;
  o.segment_bytes = 4096;  // a rotation every ~25 records
  o.producers = 1;
  WalWriter wal(o);
  ASSERT_TRUE(wal.open());
  const ProducerId p = wal.register_producer();
  constexpr std::uint32_t records = 3000;
  std::thread producer([&] {
    for (std::uint32_t i = 0; i < records; ++i) {
      const std::string text = "r" + std::to_string(i) + std::string(i % 97, 'x');
      while (!wal.append(p, 7, payload_of(text)).ok()) ::sched_yield();
    }
  });
  LogFollower follower;
  ASSERT_TRUE(follower.open(dir.path(), 1));
  std::uint32_t events = 0;
  std::uint64_t last = 0;
  RecordView r;
  bool has = false;
  const bool finished = wait_until([&] {
    for (;;) {
      const Status s = follower.next(wal.durable_sequence(), r, has);
      EXPECT_TRUE(s) << s.to_string();
      if (!s || !has) break;
      EXPECT_EQ(r.sequence, last + 1);
      last = r.sequence;
      if (r.type == 7) {
        EXPECT_EQ(text_of(r.payload), "r" + std::to_string(events) + std::string(events % 97, 'x'));
        ++events;
      }
    }
    return events == records;
  });
  producer.join();
  ASSERT_TRUE(finished) << events << " of " << records;
  EXPECT_GT(follower.segments_opened(), 50u);
  ASSERT_TRUE(wal.close());
  // Opened in the middle of the log, it starts at the record asked for.
  LogFollower middle;
  ASSERT_TRUE(middle.open(dir.path(), 1234));
  ASSERT_TRUE(middle.next(UINT64_MAX, r, has));
  ASSERT_TRUE(has);
  EXPECT_EQ(r.sequence, 1234u);
}

TEST(LogFollower, APublishedRecordThatIsNotThereIsAnError) {
  TempDir dir;
  LogBuilder b;
  b.segment();
  b.record("a");
  b.record("b");
  b.write(dir.path(), 4096);
  LogFollower follower;
  ASSERT_TRUE(follower.open(dir.path(), 1));
  RecordView r;
  bool has = false;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(follower.next(3, r, has) && has);
  // Sequence 4 claimed published: neither after 3 nor a segment of its own.
  const Status s = follower.next(4, r, has);
  EXPECT_EQ(s.fault(), Fault::sequence_gap) << s.to_string();
}

// The live side of a switch in miniature: a core driven by OpDriver, its
// events into a WalWriter, and a checkpointer following the log.
class Rig {
 public:
  // The checkpointer runs as created unless told (SCHED_IDLE would let the
  // other tests' CPU starve it on a busy CI machine).
  explicit Rig(const std::string& dir, std::uint64_t snapshot_every, std::uint64_t seed = 42,
               core::ThreadClass thread_class = core::ThreadClass::unchanged)
      : cipher_(driver_key()), core_(driver_core()), driver_(seed) {
    WalOptions o;
    o.dir = dir;
    o.durability = Durability::async;
    o.flush_interval_ms = 1;
    o.segment_bytes = 16 * 1024;
    o.producers = 2;
    wal_ = std::make_unique<WalWriter>(o);
    AS_ASSERT(wal_->open().ok());
    sink_ = std::make_unique<WalEventSink>(*wal_, wal_->register_producer(), &cipher_, core_.get());
    CheckpointerOptions c;
    c.dir = dir;
    c.snapshot_every = snapshot_every;
    c.loaded_cards = static_cast<std::uint32_t>(core_->accounts().card_pans.size());
    c.make_core = [] { return driver_core(); };
    c.nice = 0;
    c.thread_class = thread_class;
    c.batch_records = 64;
    c.log = [this](const std::string& line) {
      const std::lock_guard<std::mutex> lock(lines_mutex_);
      lines_.push_back(line);
    };
    checkpointer_ = std::make_unique<Checkpointer>(c, *wal_, wal_->register_producer(), &cipher_);
    checkpointer_->start();
  }

  void run(std::uint32_t ops) {
    for (std::uint32_t i = 0; i < ops; ++i) {
      sink_->reset_fault();
      driver_.step(*core_, *sink_);
      ASSERT_EQ(sink_->fault(), Fault::none);
      if (i % 256 == 255) {
        ASSERT_TRUE(wait_until([&] { return wal_->is_released(sink_->producer(), sink_->last_ticket()); }));
      }
    }
    ASSERT_TRUE(wait_until([&] { return wal_->is_released(sink_->producer(), sink_->last_ticket()); }));
  }

  // Clean shutdown in the switch's order, once the checkpointer has seen
  // every record (so the periodic snapshots of the whole run were taken: a
  // final catch-up takes none on the way) and every record is durable (so
  // the final snapshot covers them all).
  void stop() {
    ASSERT_TRUE(wait_until([&] {
      return checkpointer_->ready() && wal_->durable_sequence() == wal_->written_sequence() &&
             checkpointer_->lag() == 0;
    }));
    const Status s = checkpointer_->stop(true);
    std::string said;
    for (const std::string& line : lines()) said += line + "\n";
    ASSERT_TRUE(s) << s.to_string() << "\n" << said;
    ASSERT_TRUE(wal_->close());
  }

  // One event logged as the live core would, whether or not it fits.
  void log_event(const core::Event& event) {
    sink_->reset_fault();
    sink_->on_event(event);
    ASSERT_EQ(sink_->fault(), Fault::none);
    ASSERT_TRUE(wait_until([&] { return wal_->is_released(sink_->producer(), sink_->last_ticket()); }));
  }

  Checkpointer& checkpointer() { return *checkpointer_; }
  WalWriter& wal() { return *wal_; }
  core::Core& core() { return *core_; }
  const PanCipher& cipher() const { return cipher_; }
  std::vector<std::string> lines() {
    const std::lock_guard<std::mutex> lock(lines_mutex_);
    return lines_;
  }

 private:
  PanCipher cipher_;
  std::unique_ptr<core::Core> core_;
  OpDriver driver_;
  std::unique_ptr<WalWriter> wal_;
  std::unique_ptr<WalEventSink> sink_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::mutex lines_mutex_;
  std::vector<std::string> lines_;
};

std::vector<std::uint64_t> marker_sequences(const std::string& dir) {
  std::vector<SegmentFile> segments;
  AS_ASSERT(list_segments(dir, segments).ok());
  std::vector<std::uint64_t> covered;
  LogReader reader;
  AS_ASSERT(reader.open(dir, segments.front().first_sequence).ok());
  RecordView r;
  bool has = true;
  while (has) {
    AS_ASSERT(reader.next(r, has).ok());
    if (has && r.type == format::type_snapshot_marker) covered.push_back(format::load<std::uint64_t>(r.payload.data()));
  }
  return covered;
}

TEST(Checkpointer, SnapshotsEveryIntervalRemoveOldSegmentsAndRecoveryGivesTheLiveState) {
  TempDir dir;
  Rig rig(dir.path(), 200);
  rig.run(3000);
  // Wait for the shadow to hold everything durable, then check the lag is 0.
  ASSERT_TRUE(wait_until([&] { return rig.checkpointer().ready() && rig.checkpointer().lag() == 0; }));
  rig.stop();
  const CheckpointerStats st = rig.checkpointer().stats();
  EXPECT_FALSE(rig.checkpointer().failed()) << rig.checkpointer().failure().to_string();
  EXPECT_GE(st.snapshots_written, 10u);
  EXPECT_GT(st.segments_removed, 0u);
  EXPECT_EQ(st.snapshots_removed, st.snapshots_written - constants::snapshots_kept);

  std::vector<SnapshotFile> snapshots;
  ASSERT_TRUE(list_snapshots(dir.path(), snapshots));
  ASSERT_EQ(snapshots.size(), constants::snapshots_kept);
  EXPECT_EQ(snapshots.back().covered_sequence, st.last_covered);
  std::vector<SegmentFile> segments;
  ASSERT_TRUE(list_segments(dir.path(), segments));
  // Every segment left reaches past the older snapshot kept, and the first
  // one starts at or before the record after it.
  EXPECT_GT(segments.front().first_sequence, 1u);
  EXPECT_LE(segments.front().first_sequence, snapshots.front().covered_sequence + 1);
  if (segments.size() > 1) {
    EXPECT_GT(segments[1].first_sequence, snapshots.front().covered_sequence + 1);
  }
  // The log accounts for each snapshot kept with a marker after it.
  const std::vector<std::uint64_t> markers = marker_sequences(dir.path());
  ASSERT_FALSE(markers.empty());
  EXPECT_EQ(markers.back(), snapshots.back().covered_sequence);
  EXPECT_NE(std::find(markers.begin(), markers.end(), snapshots.front().covered_sequence), markers.end());

  auto recovered = driver_core();
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *recovered, &rig.cipher(), result);
  ASSERT_TRUE(s) << s.to_string();
  ASSERT_TRUE(result.snapshot.has_value());
  EXPECT_EQ(result.snapshot->covered_sequence, snapshots.back().covered_sequence);
  // The final snapshot is the last thing but its marker and the shutdown record.
  EXPECT_LE(result.records_read, 3u);
  EXPECT_EQ(recovered->dump_state(), rig.core().dump_state());
}

// Background work takes only CPU no answer needs: the switch's checkpointer
// thread runs SCHED_IDLE (the options' default), and still snapshots.
// SPEC 7: a record the shadow refuses (here a card status for a card the
// accounts do not have) stops the checkpointer with the record's segment
// file and byte offset, as recovery names it.
TEST(Checkpointer, ARecordThatDoesNotFitStopsItNamingItsFileAndOffset) {
  TempDir dir;
  Rig rig(dir.path(), 1'000'000);
  rig.run(50);
  rig.log_event(core::CardStatusEvent{4000, core::CardStatus::lost});  // no such card
  ASSERT_TRUE(wait_until([&] { return rig.checkpointer().failed(); }));
  const Status s = rig.checkpointer().failure();
  EXPECT_NE(s.message().find("card status: card index unknown"), std::string::npos) << s.to_string();
  EXPECT_TRUE(names_card_status_record(s, dir.path(), 4000));
  (void)rig.checkpointer().stop(false);
  ASSERT_TRUE(rig.wal().close());
}

TEST(Checkpointer, RunsAtTheIdlePolicyByDefault) {
  EXPECT_EQ(CheckpointerOptions{}.thread_class, core::ThreadClass::background);
  TempDir dir;
  Rig rig(dir.path(), 200, 42, CheckpointerOptions{}.thread_class);
  rig.run(1000);
  // The thread takes its class first thing: wait for that, not for its
  // work. At idle priority it runs only on a CPU nothing else wants, which
  // on a loaded machine (CI's other tests) may not come for a long time.
  pid_t tid = 0;
  ASSERT_TRUE(wait_until([&] {
    const std::map<std::string, pid_t> threads = authswitch::test::threads_by_name();
    const auto it = threads.find("as-checkpoint");
    if (it == threads.end() || ::sched_getscheduler(it->second) != SCHED_IDLE) return false;
    tid = it->second;
    return true;
  })) << "no thread named as-checkpoint at SCHED_IDLE";
  // Then back to the normal class, so that the rest of the test (a
  // snapshot, catching up) does not wait on idle CPUs.
  const sched_param normal{};
  ASSERT_EQ(::sched_setscheduler(tid, SCHED_OTHER, &normal), 0);
  rig.stop();
  EXPECT_GE(rig.checkpointer().stats().snapshots_written, 1u);
}

TEST(Checkpointer, ACorruptNewestSnapshotFallsBackToTheOlderOneAndItsLog) {
  TempDir dir;
  std::string live_state;
  {
    Rig rig(dir.path(), 150);
    rig.run(1500);
    rig.stop();
    live_state = rig.core().dump_state();
  }
  std::vector<SnapshotFile> snapshots;
  ASSERT_TRUE(list_snapshots(dir.path(), snapshots));
  ASSERT_EQ(snapshots.size(), 2u);
  // One byte in the middle of the newest one's payload.
  corrupt_middle(snapshots[1].path);

  const Recovered r = recover_driver_core(dir.path());
  ASSERT_TRUE(r.status) << r.status.to_string();
  const CoreRecoveryResult& result = r.result;
  ASSERT_TRUE(result.snapshot.has_value());
  EXPECT_EQ(result.snapshot->covered_sequence, snapshots[0].covered_sequence);
  EXPECT_NE(r.err.find("skipping an unusable snapshot"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(snapshots[1].path), std::string::npos) << r.err;
  // The log after the older snapshot was replayed, at least up to what the
  // newest one covered. (Where the periodic snapshots fall depends on the
  // follower's batches, so the gap between the two is not a fixed number.)
  ASSERT_GT(snapshots[1].covered_sequence, snapshots[0].covered_sequence);
  EXPECT_GE(result.records_read, snapshots[1].covered_sequence - snapshots[0].covered_sequence);
  EXPECT_EQ(r.core->dump_state(), live_state);

  // Both unusable, and the log's beginning is gone: a clear stop, no guess.
  corrupt_middle(snapshots[0].path);
  const Status gone = recover_driver_core(dir.path()).status;
  EXPECT_EQ(gone.fault(), Fault::missing_records) << gone.to_string();
  EXPECT_NE(gone.to_string().find("no usable snapshot (2 refused"), std::string::npos) << gone.to_string();
}

TEST(Checkpointer, WalDumpShowsTheSnapshotMarker) {
  TempDir dir;
  {
    Rig rig(dir.path(), 100);
    rig.run(300);
    rig.stop();
  }
  std::vector<SnapshotFile> snapshots;
  ASSERT_TRUE(list_snapshots(dir.path(), snapshots));
  ASSERT_FALSE(snapshots.empty());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  std::string d = dir.path();
  char a0[] = "wal", a1[] = "dump";
  char* argv[] = {a0, a1, d.data()};
  ASSERT_EQ(run_wal_command(3, argv, out, err, wal_record_registry()), 0);
  std::rewind(out);
  std::string text;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, out) != nullptr) text += buf;
  std::fclose(out);
  std::fclose(err);
  const std::string want = "type=snapshot_marker len=8 covered_sequence=" +
                           std::to_string(snapshots.back().covered_sequence) +
                           " file=" + snapshot_file_name(snapshots.back().covered_sequence);
  EXPECT_NE(text.find(want), std::string::npos) << text.substr(0, 2000);
}

}  // namespace
}  // namespace authswitch::ledger::testing
