#include "ledger/wal_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::event_payloads;
using testing::payload_of;
using testing::scan;
using testing::ScanOutcome;
using testing::TempDir;
using testing::wait_until;

WalOptions options_for(const TempDir& dir, IoBackend backend = IoBackend::pwrite) {
  WalOptions o;
  o.dir = dir.path();
  o.producers = 2;
  o.segment_bytes = 64 * 1024;
  o.io_backend = backend;
  return o;
}

std::string text(int i) { return "record-" + std::to_string(i); }

// Appends texts 0..n-1, retrying a full queue, and waits until all are released.
void append_all(WalWriter& w, ProducerId p, int from, int to) {
  std::uint64_t last = 0;
  for (int i = from; i < to; ++i) {
    const auto bytes = payload_of(text(i));
    AppendResult r;
    ASSERT_TRUE(wait_until([&] {
      r = w.append(p, 1, bytes);
      return r.fault != Fault::queue_full;
    }));
    ASSERT_TRUE(r.ok()) << fault_name(r.fault);
    last = r.ticket;
  }
  ASSERT_TRUE(wait_until([&] { return w.is_released(p, last) || w.failed(); }));
}

std::vector<std::string> texts(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(text(i));
  return out;
}

class WalWriterBackends : public ::testing::TestWithParam<IoBackend> {};

TEST_P(WalWriterBackends, WritesRecordsAndReadsThemBackInOrder) {
  TempDir dir;
  WalWriter w(options_for(dir, GetParam()));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 100);
  EXPECT_EQ(w.durable_count(p), 100u);
  EXPECT_EQ(w.written_count(p), 100u);
  ASSERT_TRUE(w.close());
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(event_payloads(o), texts(0, 100));
  ASSERT_EQ(o.types.size(), 103u);
  EXPECT_EQ(o.types.front(), format::type_segment_header);
  EXPECT_EQ(o.types[1], format::type_log_opened);
  EXPECT_EQ(o.types.back(), format::type_shutdown);
  EXPECT_EQ(o.last_sequence, 103u);
}

TEST_P(WalWriterBackends, GroupCommitSharesOneSyncAmongManyRecords) {
  TempDir dir;
  WalWriter w(options_for(dir, GetParam()));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 5000);
  ASSERT_TRUE(w.close());
  // Whether batches formed depends on timing, which a test must not assert;
  // the invariant is one write per batch and never more syncs than writes.
  EXPECT_LE(w.stats().syncs, w.stats().batches + 1);
  EXPECT_LE(w.stats().batches, w.stats().records);
  // Every record once: 5000 events, a header per segment, log_opened, shutdown.
  EXPECT_EQ(w.stats().records, 5000u + w.stats().rotations + 2u);
}

INSTANTIATE_TEST_SUITE_P(Io, WalWriterBackends, ::testing::Values(IoBackend::pwrite, IoBackend::io_uring),
                         [](const auto& param_info) { return param_info.param == IoBackend::pwrite ? "pwrite" : "io_uring"; });

TEST(WalWriter, ReopenContinuesTheSequenceInANewSegment) {
  TempDir dir;
  for (int run = 0; run < 3; ++run) {
    WalWriter w(options_for(dir));
    ASSERT_TRUE(w.open());
    const ProducerId p = w.register_producer();
    append_all(w, p, run * 10, run * 10 + 10);
    ASSERT_TRUE(w.close());
  }
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(event_payloads(o), texts(0, 30));
  std::vector<SegmentFile> segments;
  ASSERT_TRUE(list_segments(dir.path(), segments));
  EXPECT_EQ(segments.size(), 3u);
}

TEST(WalWriter, RotatesToPreparedSegmentsWhenFull) {
  TempDir dir;
  WalOptions o = options_for(dir);
  o.segment_bytes = constants::wal_segment_bytes_min;
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 2000);
  ASSERT_TRUE(w.close());
  EXPECT_GT(w.stats().rotations, 10u);
  const ScanOutcome s = scan(dir.path());
  ASSERT_TRUE(s.status) << s.status.to_string();
  EXPECT_EQ(event_payloads(s), texts(0, 2000));
  EXPECT_FALSE(std::filesystem::exists(dir.file(prepared_segment_name)));
}

TEST(WalWriter, AsyncReleasesOnWriteAndSyncsWithinTheInterval) {
  TempDir dir;
  WalOptions o = options_for(dir);
  o.durability = Durability::async;
  o.flush_interval_ms = 1;
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 1000);
  EXPECT_EQ(w.released_count(p), w.written_count(p));
  ASSERT_TRUE(wait_until([&] { return w.durable_count(p) == 1000; }));
  // The sequence is published before the counts, so it already covers them.
  EXPECT_GE(w.durable_sequence(), 1000u + 2u);
  ASSERT_TRUE(w.close());
  const ScanOutcome s = scan(dir.path());
  ASSERT_TRUE(s.status) << s.status.to_string();
  EXPECT_EQ(event_payloads(s), texts(0, 1000));
}

TEST(WalWriter, SignalsTheEventfdAfterPublishing) {
  TempDir dir;
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  WalOptions o = options_for(dir);
  o.notify_eventfd = efd;
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 1);
  std::uint64_t count = 0;
  EXPECT_EQ(::read(efd, &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_GE(count, 1u);
  ASSERT_TRUE(w.close());
  ::close(efd);
}

TEST(WalWriter, FullDiskFailsTheWriterAndKeepsWhatWasLogged) {
  TempDir dir;
  WalWriter w(options_for(dir));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 10);
  w.inject_write_error_for_test(ENOSPC);
  const auto bytes = payload_of("lost");
  const AppendResult r = w.append(p, 1, bytes);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(wait_until([&] { return w.failed(); }));
  EXPECT_EQ(w.durable_count(p), 10u) << "the failed record must never be acknowledged";
  EXPECT_EQ(w.failure().fault(), Fault::no_space) << w.failure().to_string();
  EXPECT_NE(w.failure().file().find(".wal"), std::string::npos) << w.failure().to_string();
  EXPECT_GE(w.failure().offset(), 0);
  EXPECT_EQ(w.append(p, 1, bytes).fault, Fault::no_space);
  const Status closed = w.close();
  EXPECT_EQ(closed.fault(), Fault::no_space);
  const ScanOutcome s = scan(dir.path());
  ASSERT_TRUE(s.status) << s.status.to_string();
  EXPECT_EQ(event_payloads(s), texts(0, 10));
  // The next run starts cleanly after the last good record.
  WalWriter again(options_for(dir));
  ASSERT_TRUE(again.open());
  ASSERT_TRUE(again.close());
  EXPECT_TRUE(scan(dir.path()).status);
}

// A real limit rather than an injected errno: in a child process, files may
// not grow past 32 KiB, so preallocating a 64 KiB segment fails as on a full
// disk, and open() reports no_space naming the file.
TEST(WalWriter, OpenWhereNoSegmentFitsFailsWithNoSpace) {
  TempDir dir;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{32 * 1024, 32 * 1024};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    WalWriter w(options_for(dir));
    const Status s = w.open();
    if (s.fault() != Fault::no_space) ::_exit(11);
    if (s.file().find(prepared_segment_name) == std::string::npos) ::_exit(12);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setrlimit, 11: wrong fault, 12: file not named";
}

// The disk fills while the writer runs: the next segment cannot be prepared
// ahead of time (a warning), nor at rotation, where the writer fails with
// no_space; everything acknowledged before stays readable.
TEST(WalWriter, NoRoomForTheNextSegmentFailsAtRotation) {
  TempDir dir;
  WalOptions o = options_for(dir);
  o.segment_bytes = constants::wal_segment_bytes_min;
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  w.inject_prepare_error_for_test(ENOSPC);
  std::uint64_t acknowledged = 0;
  const auto bytes = payload_of(std::string(100, 'x'));
  for (int i = 0; i < 1000 && !w.failed(); ++i) {
    const AppendResult r = w.append(p, 1, bytes);
    if (!r.ok()) break;
    if (!wait_until([&] { return w.is_released(p, r.ticket) || w.failed(); })) FAIL() << "no progress";
    if (w.is_released(p, r.ticket)) acknowledged = r.ticket;
  }
  ASSERT_TRUE(w.failed());
  EXPECT_EQ(w.failure().fault(), Fault::no_space) << w.failure().to_string();
  EXPECT_NE(w.failure().file().find(prepared_segment_name), std::string::npos) << w.failure().to_string();
  EXPECT_GT(acknowledged, 0u);
  EXPECT_EQ(w.close().fault(), Fault::no_space);
  const ScanOutcome s = scan(dir.path());
  ASSERT_TRUE(s.status) << s.status.to_string();
  EXPECT_EQ(event_payloads(s).size(), acknowledged);
}

TEST(WalWriter, FailedSyncFailsTheWriter) {
  TempDir dir;
  WalWriter w(options_for(dir));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 0, 3);
  w.inject_sync_error_for_test(EIO);
  const auto bytes = payload_of("unsure");
  ASSERT_TRUE(w.append(p, 1, bytes).ok());
  ASSERT_TRUE(wait_until([&] { return w.failed(); }));
  EXPECT_EQ(w.durable_count(p), 3u);
  EXPECT_EQ(w.failure().fault(), Fault::sync_failed) << w.failure().to_string();
  EXPECT_EQ(w.close().fault(), Fault::sync_failed);
}

TEST(WalWriter, AppendAfterCloseIsRefused) {
  TempDir dir;
  WalWriter w(options_for(dir));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  ASSERT_TRUE(w.close());
  const auto bytes = payload_of("late");
  EXPECT_EQ(w.append(p, 1, bytes).fault, Fault::closed);
}

TEST(WalWriter, ReopenCutsATornTailAndContinuesAfterIt) {
  TempDir dir;
  {
    WalWriter w(options_for(dir));
    ASSERT_TRUE(w.open());
    const ProducerId p = w.register_producer();
    append_all(w, p, 0, 5);
    ASSERT_TRUE(w.close());
  }
  // A write the process did not finish: the first 20 bytes of a record.
  std::vector<SegmentFile> segments;
  ASSERT_TRUE(list_segments(dir.path(), segments));
  LogReader reader;
  ASSERT_TRUE(reader.open(dir.path(), 1));
  RecordView r;
  bool has = true;
  while (has) ASSERT_TRUE(reader.next(r, has));
  const std::int64_t end = reader.end_offset();
  std::array<std::byte, 64> record{};
  encode_record(record.data(), 1, reader.last_sequence() + 1, 0, payload_of("torn"));
  {
    FileDescriptor fd(::open(segments.back().path.c_str(), O_WRONLY));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(pwrite_all(fd.get(), record.data(), 20, end, segments.back().path));
  }
  ASSERT_TRUE(scan(dir.path()).cut.has_value());
  WalWriter w(options_for(dir));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_all(w, p, 5, 10);
  ASSERT_TRUE(w.close());
  const ScanOutcome s = scan(dir.path());
  ASSERT_TRUE(s.status) << s.status.to_string();
  EXPECT_FALSE(s.cut.has_value());
  EXPECT_EQ(event_payloads(s), texts(0, 10));
}

TEST(WalWriter, OpenRefusesALogWithCorruptionInTheMiddle) {
  TempDir dir;
  {
    WalWriter w(options_for(dir));
    ASSERT_TRUE(w.open());
    const ProducerId p = w.register_producer();
    append_all(w, p, 0, 5);
    ASSERT_TRUE(w.close());
  }
  std::vector<SegmentFile> segments;
  ASSERT_TRUE(list_segments(dir.path(), segments));
  testing::Bytes bytes = testing::read_bytes(segments.back().path);
  bytes[100] ^= std::byte{0x01};  // inside an early record, valid records follow
  testing::write_bytes(segments.back().path, bytes);
  WalWriter w(options_for(dir));
  const Status s = w.open();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.file(), segments.back().path);
}

}  // namespace
}  // namespace authswitch::ledger
