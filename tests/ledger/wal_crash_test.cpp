// Crash test: a child process appends random records in `sync` mode and tells
// the parent, over a pipe, each record it saw acknowledged (durable). The
// parent kill -9s it at a seeded random moment, twenty times, reopening the
// same log each time. Every acknowledged record must come back intact, no
// record may be half-present, and the sequence must stay dense. Every other
// run the unacknowledged tail is also partly zeroed, as a power cut could
// leave it (kill -9 alone does not tear a write). The second variant runs
// over recycled segments (wal_writer.h): the writer rotates into files that
// hold an earlier use's records, and a torn tail there shows those bytes
// again instead of zeros.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <random>

#include "ledger/wal_writer.h"
#include "tests/ledger/kill_nine.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::TempDir;

constexpr std::uint16_t crash_type = 3;
constexpr int runs = 20;
constexpr std::uint64_t seed = 20261123;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Record i of run r: 8 bytes (run, index), then 1..300 bytes derived from them.
testing::Bytes payload_for(std::uint32_t run, std::uint32_t index) {
  const std::uint64_t key = (std::uint64_t{run} << 32) | index;
  const std::size_t extra = 1 + splitmix(key) % 300;
  testing::Bytes out(8 + extra);
  format::store<std::uint32_t>(out.data(), run);
  format::store<std::uint32_t>(out.data() + 4, index);
  for (std::size_t i = 0; i < extra; ++i) out[8 + i] = static_cast<std::byte>(splitmix(key * 1000 + i) & 0xff);
  return out;
}

WalOptions crash_options(const std::string& dir) {
  WalOptions o;
  o.dir = dir;
  o.producers = 1;
  o.segment_bytes = 64 * 1024;  // rotations happen across the crashes too
  return o;
}

// The child: appends until killed; never returns.
[[noreturn]] void child_main(const std::string& dir, std::uint32_t run, int ack_fd) {
  WalWriter w(crash_options(dir));
  if (Status s = w.open(); !s) {
    std::fprintf(stderr, "child: %s\n", s.to_string().c_str());
    ::_exit(3);
  }
  const ProducerId p = w.register_producer();
  std::mt19937_64 rng(splitmix(seed + run));
  std::uint32_t index = 0;
  for (;;) {
    // A few appends, then wait for them: batches of varying size.
    const std::uint32_t burst = 1 + static_cast<std::uint32_t>(rng() % 16);
    std::uint64_t ticket = 0;
    for (std::uint32_t b = 0; b < burst; ++b, ++index) {
      const testing::Bytes bytes = payload_for(run, index);
      AppendResult r;
      while ((r = w.append(p, crash_type, bytes)).fault == Fault::queue_full) std::this_thread::yield();
      if (!r.ok()) ::_exit(4);
      ticket = r.ticket;
    }
    while (w.durable_count(p) < ticket) {
      if (w.failed()) ::_exit(5);
      std::this_thread::yield();
    }
    const std::uint32_t acked = index;  // records 0..index-1 are durable
    if (::write(ack_fd, &acked, sizeof acked) != static_cast<ssize_t>(sizeof acked)) ::_exit(6);
  }
}

// What a recycled segment held before: whole records of sequence 0, older
// than any this log writes.
const testing::Bytes& earlier_use() {
  static const testing::Bytes bytes = testing::earlier_use(crash_options("").segment_bytes);
  return bytes;
}

// Keeps two recycled files waiting, as pruning would; counts those added.
void offer_recycled(const std::string& dir, std::uint32_t run, std::size_t& offered) {
  std::vector<RecycledFile> waiting;
  ASSERT_TRUE(list_recycled(dir, waiting));
  for (std::size_t i = waiting.size(); i < 2; ++i, ++offered) {
    testing::write_bytes(join_path(dir, recycled_file_name(std::uint64_t{run} * 10 + i)), earlier_use());
  }
}

// Makes the last segment lose a random part of its unacknowledged tail: from
// a random byte at or after the first record not acknowledged in `run` up to
// the end of the data, zeros (a preallocated segment) or the earlier use's
// bytes (a recycled one).
void tear_unacknowledged_tail(const std::string& dir, std::uint32_t run, std::uint32_t acked, bool recycled,
                              std::mt19937_64& rng) {
  std::vector<SegmentFile> segments;
  ASSERT_TRUE(list_segments(dir, segments));
  ASSERT_FALSE(segments.empty());
  testing::Bytes bytes = testing::read_bytes(segments.back().path);
  std::size_t at = 0;
  std::size_t first_unacked = SIZE_MAX;
  while (at + format::header_bytes <= bytes.size()) {
    const format::Header h = format::decode_header(bytes.data() + at);
    if (h.type == format::type_invalid || at + format::header_bytes + h.length > bytes.size()) break;
    if (first_unacked == SIZE_MAX && h.type == crash_type &&
        format::load<std::uint32_t>(bytes.data() + at + format::header_bytes) == run &&
        format::load<std::uint32_t>(bytes.data() + at + format::header_bytes + 4) >= acked) {
      first_unacked = at;
    }
    at += format::header_bytes + h.length;
  }
  const std::size_t end = at;
  if (first_unacked == SIZE_MAX || first_unacked >= end) return;
  const std::size_t cut = first_unacked + rng() % (end - first_unacked);
  if (recycled) {
    ASSERT_LE(end, earlier_use().size());
    std::copy(earlier_use().begin() + static_cast<std::ptrdiff_t>(cut),
              earlier_use().begin() + static_cast<std::ptrdiff_t>(end), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
  } else {
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(cut), bytes.begin() + static_cast<std::ptrdiff_t>(end),
              std::byte{0});
  }
  testing::write_bytes(segments.back().path, bytes);
}

class WalCrash : public ::testing::TestWithParam<bool> {};

TEST_P(WalCrash, KillNineNeverLosesAnAcknowledgedRecord) {
  const bool recycled = GetParam();
  TempDir dir;
  std::mt19937_64 rng(seed);
  std::map<std::uint32_t, std::uint32_t> acknowledged;  // run -> records acknowledged
  std::size_t offered = 0;                              // recycled files
  for (std::uint32_t run = 0; run < runs; ++run) {
    // Kill after a random number of acknowledgements: the child is by then
    // somewhere inside its next burst, write or fdatasync.
    const std::uint64_t kill_after = 1 + rng() % 200;
    if (recycled) offer_recycled(dir.path(), run, offered);
    const testing::KilledChild child =
        testing::run_and_kill_nine([&](int fd) { child_main(dir.path(), run, fd); }, kill_after);
    ASSERT_EQ(child.error, "");
    ASSERT_TRUE(child.killed()) << "child died on its own, status " << child.status;
    const std::uint32_t acked = child.acks.empty() ? 0 : child.acks.back();  // records 0..acked-1 are durable
    acknowledged[run] = acked;
    // Every other run also loses what a power cut could: a random part of
    // the unacknowledged tail reads back as zeros, possibly mid-record.
    if (rng() % 2 == 0) tear_unacknowledged_tail(dir.path(), run, acked, recycled, rng);

    // What a restart sees: the whole log readable, a torn tail at most.
    const testing::ScanOutcome o = testing::scan(dir.path());
    ASSERT_TRUE(o.status) << "run " << run << ": " << o.status.to_string();
    for (std::size_t i = 0; i < o.sequences.size(); ++i) ASSERT_EQ(o.sequences[i], i + 1) << "sequence not dense";
    std::map<std::uint32_t, std::uint32_t> found;  // run -> records present
    for (std::size_t i = 0; i < o.types.size(); ++i) {
      if (o.types[i] != crash_type) continue;
      const std::string& text = o.payloads[i];
      ASSERT_GE(text.size(), 8u);
      std::uint32_t r = 0;
      std::uint32_t index = 0;
      std::memcpy(&r, text.data(), 4);
      std::memcpy(&index, text.data() + 4, 4);
      ASSERT_EQ(index, found[r]) << "run " << r << ": record missing or repeated";
      const testing::Bytes expected = payload_for(r, index);
      ASSERT_EQ(text, testing::text_of(expected)) << "run " << r << " record " << index << " damaged";
      ++found[r];
    }
    for (const auto& [r, count] : acknowledged) {
      EXPECT_GE(found[r], count) << "run " << r << " lost acknowledged records";
    }
  }
  // A final clean open cuts any tail for good; the log then reads with no cut.
  WalWriter w(crash_options(dir.path()));
  ASSERT_TRUE(w.open());
  ASSERT_TRUE(w.close());
  const testing::ScanOutcome o = testing::scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_FALSE(o.cut.has_value());
  if (recycled) {
    std::vector<RecycledFile> left;
    ASSERT_TRUE(list_recycled(dir.path(), left));
    EXPECT_GE(offered, left.size() + runs) << "the runs wrote over recycled files, most of them more than one";
  }
}

INSTANTIATE_TEST_SUITE_P(Segments, WalCrash, ::testing::Values(false, true),
                         [](const auto& param) { return param.param ? "Recycled" : "Preallocated"; });

}  // namespace
}  // namespace authswitch::ledger
