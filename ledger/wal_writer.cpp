#include "ledger/wal_writer.h"

#include <fcntl.h>
#include <immintrin.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/thread_class.h"
#include "core/thread_name.h"
#include "ledger/log_reader.h"
#include "ledger/record_encode.h"
#include "ledger/record_format.h"

namespace authswitch::ledger {
namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
// The idle writer wakes at least this often even without work: a safety net,
// never needed for correctness (producers wake it), cheap at 20 wake-ups/s.
constexpr std::int64_t idle_wait_ns_max = 50 * ns_per_ms;
// Queued records of one background producer beyond which its appends wake
// the writer like an awaited producer's.
constexpr std::uint64_t background_wake_records = constants::wal_queue_records_per_producer / 8;

std::uint32_t* futex_word(std::atomic<std::uint32_t>& word) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  return reinterpret_cast<std::uint32_t*>(&word);
}

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::int64_t timeout_ns) noexcept {
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  ::syscall(SYS_futex, futex_word(word), FUTEX_WAIT_PRIVATE, expected, &ts, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer does not model the standalone fences moodycamel's queue
// relies on, and reports the hand-over of queued records as races; the
// queue's author documents these as false positives (concurrentqueue.h,
// MOODYCAMEL_NO_TSAN, which only clang applies). The hook lives here so every
// binary that uses the writer gets it; weak, so a binary with suppressions of
// its own can define the hook (and should then include this line). Our own
// synchronisation (the counters, the futex word) stays fully checked.
extern "C" const char* __tsan_default_suppressions();
extern "C" __attribute__((weak)) const char* __tsan_default_suppressions() {
  return "race:moodycamel::ConcurrentQueue\n";
}
#endif

std::int64_t WalWriter::monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t wall_clock_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

WalWriter::WalWriter(WalOptions options)
    : options_(std::move(options)),
      queue_(wal_queue_capacity(options_.producers)),
      slots_(new ProducerSlot[options_.producers]),
      locals_(new ProducerLocal[options_.producers]),
      chunk_(new QueuedRecord[constants::wal_dequeue_chunk_records]),
      buffer_(new std::byte[constants::wal_batch_bytes_max + format::header_bytes + page_bytes]),
      staged_counts_(new std::uint64_t[options_.producers]()),
      written_totals_(new std::uint64_t[options_.producers]()),
      sync_totals_(new std::uint64_t[options_.producers]()),
      background_(new bool[options_.producers]()) {
  AS_ASSERT(options_.producers >= 1 && options_.producers <= constants::wal_producers_max);
  AS_ASSERT(options_.segment_bytes >= constants::wal_segment_bytes_min);
  AS_ASSERT(options_.flush_interval_ms >= 1);
}

WalWriter::~WalWriter() { (void)close(); }

ProducerId WalWriter::register_producer(ProducerKind kind) {
  const std::uint32_t id = producers_registered_.fetch_add(1, std::memory_order_relaxed);
  AS_ASSERT(id < options_.producers);
  locals_[id].token.emplace(queue_);
  locals_[id].kind = kind;
  // The writer reads it only for records this producer queued, which the
  // producer's thread appends after registration (the queue orders them).
  background_[id] = kind == ProducerKind::background;
  return id;
}

Status WalWriter::failure() const {
  if (!failed()) return Status{};
  return failure_;
}

AppendResult WalWriter::append(ProducerId producer, std::uint16_t type, std::span<const std::byte> payload,
                               std::int64_t timestamp_ns) noexcept {
  AS_ASSERT(producer < producers_registered_.load(std::memory_order_relaxed));
  // Sizes and types are the event catalogue's design, not input: a wrong one
  // is a bug. Ledger types belong to the writer, except the snapshot marker
  // that whoever writes snapshots appends.
  AS_ASSERT(payload.size() <= format::payload_bytes_max);
  AS_ASSERT(format::is_event_type(type) || type == format::type_snapshot_marker);
  const State state = state_.load(std::memory_order_acquire);
  if (state != State::running) {
    return {state == State::failed ? failure_fault_.load(std::memory_order_relaxed) : Fault::closed, 0};
  }
  ProducerLocal& local = locals_[producer];
  QueuedRecord record;
  record.timestamp_ns = timestamp_ns;
  record.length = static_cast<std::uint32_t>(payload.size());
  record.type = type;
  record.producer = static_cast<std::uint16_t>(producer);
  if (!payload.empty()) std::memcpy(record.payload, payload.data(), payload.size());
  if (!queue_.try_enqueue(*local.token, std::move(record))) return {Fault::queue_full, 0};
  ++local.appended;
  // A background or batching producer's queue filling up (a burst read while
  // the writer naps, a long batch) wakes the writer as any append would: a
  // full queue would refuse records.
  if (local.kind == ProducerKind::awaited ||
      local.appended - slots_[producer].written.load(std::memory_order_acquire) > background_wake_records) {
    wake_writer();
  } else if (local.kind == ProducerKind::background) {
    wake_writer_from_long_sleep();
  }
  return {Fault::none, local.appended};
}

bool WalWriter::end_batch(ProducerId producer) noexcept {
  AS_ASSERT(locals_[producer].kind == ProducerKind::batching);
  // Nothing outstanding: the caller's results may have been pushed after
  // the write that covered them was signalled, so this is not "written here".
  if (locals_[producer].appended == slots_[producer].written.load(std::memory_order_acquire)) return false;
  if (options_.durability == Durability::async && state_.load(std::memory_order_acquire) == State::running &&
      !stall_for_test_.load(std::memory_order_acquire) && try_take_role()) {
    bool wrote = false;
    if (!failed() && batch_fits_segment()) {
      // Our records are in the queue (appended before this call), so one
      // take of up to a buffer's worth holds them unless other producers
      // queued more than that ahead of them; the check below says which.
      if (take_queued() > 0 && !failed()) {
        if (Status s = flush_staged(false); !s) {
          fail(std::move(s));
        } else {
          ++stats_.combined;
          producer_wrote_.store(true, std::memory_order_relaxed);
        }
      }
      wrote = !failed() && slots_[producer].written.load(std::memory_order_relaxed) >= locals_[producer].appended;
    }
    release_role();
    if (wrote) {
      wake_writer_to_sync();
      return true;
    }
  }
  wake_writer();
  return false;
}

void WalWriter::wake_writer_to_sync() noexcept {
  // The writer syncs within flush_interval_ms of a write (async); in its
  // long idle sleep it would not look for idle_wait_ns_max. As in
  // wake_writer(): our read-modify-write and the writer's exchange in
  // wait_for_work() are totally ordered; if ours comes first, the writer
  // sees producer_wrote_ and does not sleep long; if the writer's comes
  // first, we read sleep_long and wake it. A napping writer wakes within
  // the interval anyway.
  if (writer_sleeping_.fetch_add(0, std::memory_order_seq_cst) == sleep_long &&
      writer_sleeping_.exchange(sleep_none, std::memory_order_seq_cst) != sleep_none) {
    futex_wake(writer_sleeping_);
  }
}

void WalWriter::take_role() noexcept {
  // A producer holds the role for one write (microseconds); on 2 CPUs it
  // may be descheduled holding it, so the spin yields.
  for (std::uint32_t spins = 0; !try_take_role(); ++spins) {
    if (spins < constants::wal_idle_spins) {
      _mm_pause();
    } else {
      std::this_thread::yield();
    }
  }
}

std::size_t WalWriter::take_queued() noexcept {
  std::size_t taken = 0;
  for (;;) {
    const std::size_t room = (constants::wal_batch_bytes_max - buffer_bytes_) / format::record_bytes_max;
    const std::size_t want = std::min(constants::wal_dequeue_chunk_records, room);
    if (want == 0) break;
    const std::size_t n = queue_.try_dequeue_bulk(chunk_.get(), want);
    taken += n;
    // After a failure records are drained and dropped: their producers see
    // failed() and never get an acknowledgement.
    for (std::size_t i = 0; i < n && !failed(); ++i) {
      if (Status s = stage(chunk_[i]); !s) fail(std::move(s));
    }
    if (n < want) break;
  }
  return taken;
}

std::size_t WalWriter::room(ProducerId producer) const noexcept {
  AS_ASSERT(producer < producers_registered_.load(std::memory_order_relaxed));
  // appended - written >= what the producer's sub-queue holds (the writer
  // publishes written only after it took the records out). Keeping it at
  // most room_max() keeps the queue's per-block bound check from failing:
  // it refuses a new block only when more than bound - BLOCK_SIZE are held.
  const std::uint64_t queued = locals_[producer].appended - slots_[producer].written.load(std::memory_order_acquire);
  return queued >= room_max() ? 0 : static_cast<std::size_t>(room_max() - queued);
}

void WalWriter::wake_writer() noexcept {
  // Read-modify-writes on one word are totally ordered, so this pairs with the
  // writer's exchange in wait_for_work() without a fence (which
  // ThreadSanitizer cannot model): if our RMW comes first, the writer's
  // exchange acquires it and then sees our record in the queue; if the
  // writer's comes first, we read 1 and wake it.
  if (writer_sleeping_.fetch_add(0, std::memory_order_seq_cst) != 0 &&
      writer_sleeping_.exchange(0, std::memory_order_seq_cst) != 0) {
    futex_wake(writer_sleeping_);
  }
}

void WalWriter::wake_writer_from_long_sleep() noexcept {
  // A plain load, not wake_writer's read-modify-write on the writer's line:
  // while the switch is busy the writer only naps, and a background record
  // waits for the nap's end or the next awaited append. Losing the race with
  // a writer just going to its long sleep delays the record by at most
  // idle_wait_ns_max, never loses it.
  if (writer_sleeping_.load(std::memory_order_acquire) == sleep_long &&
      writer_sleeping_.exchange(sleep_none, std::memory_order_seq_cst) != sleep_none) {
    futex_wake(writer_sleeping_);
  }
}

void WalWriter::wait_for_work(std::int64_t timeout_ns, std::uint32_t how) noexcept {
  for (std::uint32_t i = 0; i < constants::wal_idle_spins; ++i) {
    if (queue_.size_approx() != 0 || stop_requested_.load(std::memory_order_acquire)) return;
    _mm_pause();
  }
  (void)writer_sleeping_.exchange(how, std::memory_order_seq_cst);
  if (queue_.size_approx() == 0 && !stop_requested_.load(std::memory_order_seq_cst) &&
      !(how == sleep_long && producer_wrote_.load(std::memory_order_relaxed))) {
    futex_wait(writer_sleeping_, how, std::clamp<std::int64_t>(timeout_ns, 0, idle_wait_ns_max));
  }
  writer_sleeping_.store(sleep_none, std::memory_order_relaxed);
}

void WalWriter::notify() noexcept {
  if (options_.notify_eventfd < 0) return;
  // Orders the counts just published before the signal for a poller that
  // skips its own wake-up when it reads them too old (io/auth_worker.cpp,
  // wake_loop_now): the system call orders it on x86 anyway.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const std::uint64_t one = 1;
  // A full eventfd counter (2^64 - 2) cannot happen; a failure here only
  // delays the poller until its next look, so it is not an error.
  [[maybe_unused]] const ssize_t n = ::write(options_.notify_eventfd, &one, sizeof one);
}

Status WalWriter::open() {
  AS_ASSERT(state_.load() == State::closed && !thread_.joinable());
  if (Status s = ensure_directory(options_.dir); !s) return s;
  prepared_path_ = join_path(options_.dir, prepared_segment_name);
  ::unlink(prepared_path_.c_str());  // a leftover from a run that died mid-preparation
  std::uint64_t next = 1;
  std::uint64_t cut_bytes = 0;
  if (Status s = recover_tail(next, cut_bytes); !s) return s;
  if (Status s = io_.init(options_.io_backend); !s) return s;
  next_sequence_ = next;
  written_last_sequence_ = next - 1;
  staged_last_sequence_ = next - 1;
  written_sequence_.store(next - 1, std::memory_order_release);
  durable_sequence_.store(next - 1, std::memory_order_release);
  if (Status s = rotate(); !s) return s;
  std::array<std::byte, format::log_opened_payload_bytes> opened{};
  format::store<std::uint64_t>(opened.data(), cut_bytes);
  format::store<std::uint64_t>(opened.data() + 8, next - 1);
  stage_ledger_record(format::type_log_opened, opened);
  if (Status s = flush_staged(true); !s) return s;
  notify();  // as before background producers: a poller's first look follows the open
  stop_requested_.store(false);
  state_.store(State::running, std::memory_order_release);
  thread_ = std::thread([this] {
    core::name_this_thread("as-wal");
    (void)core::set_current_thread_class(options_.thread_class);
    run();
  });
  return Status{};
}

Status WalWriter::recover_tail(std::uint64_t& next_sequence, std::uint64_t& cut_bytes) {
  std::vector<SegmentFile> segments;
  if (Status s = list_segments(options_.dir, segments); !s) return s;
  if (segments.empty()) return Status{};
  LogReader reader;
  if (Status s = reader.open(options_.dir, segments.back().first_sequence); !s) return s;
  RecordView record;
  bool has_record = true;
  while (has_record) {
    if (Status s = reader.next(record, has_record); !s) return s;
  }
  if (const auto& cut = reader.tail_cut()) {
    std::fprintf(stderr, "authswitch: wal: torn tail cut: %s; the log ends at sequence %llu\n", describe(*cut).c_str(),
                 static_cast<unsigned long long>(reader.last_sequence()));
    cut_bytes = cut->bytes;
  }
  // The next run writes a new segment, so this one must end exactly after
  // its last good record: a torn tail left behind would read as corruption
  // in a segment that is no longer the last.
  const std::string& path = reader.end_file();
  if (reader.end_offset() == 0) {
    if (::unlink(path.c_str()) != 0) return Status::from_errno(errno, path, 0, "unlink empty segment");
  } else {
    FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return Status::from_errno(errno, path, -1, "open segment to cut");
    if (::ftruncate(fd.get(), reader.end_offset()) != 0) {
      return Status::from_errno(errno, path, reader.end_offset(), "truncate segment");
    }
    if (Status s = io_.sync(fd.get(), path, reader.end_offset()); !s) return s;
  }
  if (Status s = sync_directory(options_.dir); !s) return s;
  next_sequence = reader.last_sequence() + 1;
  return Status{};
}

bool WalWriter::take_recycled() {
  std::vector<RecycledFile> recycled;
  if (!list_recycled(options_.dir, recycled) || recycled.empty()) return false;
  const std::string& path = recycled.front().path;
  FileDescriptor fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  struct stat st {};
  // A file of another size (the segment size changed since) or one that
  // cannot be taken is not worth a failure: it goes, and the caller
  // preallocates instead.
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || static_cast<std::size_t>(st.st_size) != options_.segment_bytes ||
      ::rename(path.c_str(), prepared_path_.c_str()) != 0) {
    ::unlink(path.c_str());
    return false;
  }
  prepared_fd_ = std::move(fd);
  prepared_recycled_ = true;
  return true;
}

Status WalWriter::prepare_segment() {
  if (take_recycled()) return Status{};
  FileDescriptor fd(::open(prepared_path_.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::from_errno(errno, prepared_path_, -1, "create segment");
  // Preallocated so a write into it never finds the disk full and the file
  // size never changes on fdatasync; the reader knows the zeros for the end.
  const int injected = inject_prepare_errno_.load(std::memory_order_acquire);
  const int rc = injected != 0 ? injected : ::posix_fallocate(fd.get(), 0, static_cast<off_t>(options_.segment_bytes));
  if (rc != 0) {
    ::unlink(prepared_path_.c_str());
    return Status::from_errno(rc, prepared_path_, 0, "preallocate segment");
  }
  prepared_fd_ = std::move(fd);
  return Status{};
}

Status WalWriter::rotate() {
  if (segment_fd_.valid()) {
    if (buffer_bytes_ > 0) {
      if (Status s = flush_staged(true); !s) return s;
    } else if (unsynced_) {
      if (Status s = sync_now(); !s) return s;
    }
  }
  if (!prepared_fd_.valid()) {
    if (Status s = prepare_segment(); !s) return s;
  }
  std::string path = join_path(options_.dir, segment_file_name(next_sequence_));
  if (::rename(prepared_path_.c_str(), path.c_str()) != 0) {
    return Status::from_errno(errno, path, -1, "rename prepared segment");
  }
  if (Status s = sync_directory(options_.dir); !s) return s;
  segment_fd_ = std::move(prepared_fd_);
  segment_path_ = std::move(path);
  segment_offset_ = 0;
  touched_end_ = 0;
  prepare_failed_ = false;
  ++stats_.rotations;
  if (std::exchange(prepared_recycled_, false)) ++stats_.recycled;
  std::array<std::byte, format::segment_header_payload_bytes> header{};
  format::store<std::uint64_t>(header.data(), format::segment_magic);
  format::store<std::uint32_t>(header.data() + 8, format::format_version);
  format::store<std::uint32_t>(header.data() + 12, static_cast<std::uint32_t>(options_.segment_bytes));
  stage_ledger_record(format::type_segment_header, header);
  return Status{};
}

void WalWriter::stage_ledger_record(std::uint16_t type, std::span<const std::byte> payload) {
  AS_ASSERT(buffer_bytes_ + record_bytes(payload.size()) <= constants::wal_batch_bytes_max);
  AS_ASSERT(segment_offset_ + static_cast<std::int64_t>(buffer_bytes_ + record_bytes(payload.size())) <=
            static_cast<std::int64_t>(options_.segment_bytes));
  const std::uint64_t sequence = next_sequence_++;
  buffer_bytes_ += encode_record(buffer_.get() + buffer_bytes_, type, sequence, wall_clock_ns(), payload);
  staged_last_sequence_ = sequence;
}

Status WalWriter::stage(const QueuedRecord& record) {
  const std::size_t bytes = record_bytes(record.length);
  if (segment_offset_ + static_cast<std::int64_t>(buffer_bytes_ + bytes) >
      static_cast<std::int64_t>(options_.segment_bytes)) {
    if (Status s = rotate(); !s) return s;
  }
  AS_ASSERT(buffer_bytes_ + bytes <= constants::wal_batch_bytes_max);
  const std::uint64_t sequence = next_sequence_++;
  buffer_bytes_ += encode_record(buffer_.get() + buffer_bytes_, record.type, sequence, record.timestamp_ns,
                                 std::span<const std::byte>(record.payload, record.length));
  staged_last_sequence_ = sequence;
  ++staged_counts_[record.producer];
  if (!background_[record.producer]) awaited_staged_ = true;
  return Status{};
}

Status WalWriter::flush_staged(bool sync) {
  if (buffer_bytes_ == 0) return (sync && unsynced_) ? sync_now() : Status{};
  if (const int err = inject_write_errno_.exchange(0, std::memory_order_acquire); err != 0) {
    io_.inject_write_error(err);
  }
  if (const int err = inject_sync_errno_.exchange(0, std::memory_order_acquire); err != 0) io_.inject_sync_error(err);
  const std::int64_t began_ns = sync ? monotonic_ns() : 0;
  // The end marker: a zero header after the batch (as much of one as the
  // segment has room for), which the next batch writes over. In a recycled
  // segment the bytes after the last record are an earlier segment's, and
  // the marker is what tells readers, the follower included, where the
  // written records end.
  //
  // A write that reaches a page of the segment no earlier write touched
  // zeroes the rest of that page too. In a recycled segment that page's
  // blocks hold the earlier use's bytes, and once they are out of the page
  // cache (after a reboot, or under memory pressure) a write covering only
  // part of the page makes the kernel read it from disk first, inside the
  // write: a disk read on the answer's path (a producer's end_batch()
  // writes). A page written whole needs no read, and later writes into it
  // find it cached.
  const auto segment_end = static_cast<std::int64_t>(options_.segment_bytes);
  const std::int64_t records_end = segment_offset_ + static_cast<std::int64_t>(buffer_bytes_);
  std::int64_t marker_end = std::min(segment_end, records_end + static_cast<std::int64_t>(format::header_bytes));
  if (marker_end > touched_end_) {
    constexpr auto page = static_cast<std::int64_t>(page_bytes);
    marker_end = std::min(segment_end, (marker_end + page - 1) / page * page);
  }
  const auto marker = static_cast<std::size_t>(marker_end - records_end);
  std::memset(buffer_.get() + buffer_bytes_, 0, marker);
  if (Status s = io_.write(segment_fd_.get(), segment_path_, buffer_.get(), buffer_bytes_ + marker, segment_offset_,
                           sync);
      !s) {
    return s;
  }
  touched_end_ = std::max(touched_end_, marker_end);
  if (sync) observe_sync(began_ns);
  segment_offset_ += static_cast<std::int64_t>(buffer_bytes_);
  buffer_bytes_ = 0;
  ++stats_.batches;
  stats_.records += staged_last_sequence_ - written_last_sequence_;
  written_last_sequence_ = staged_last_sequence_;
  for (std::size_t k = 0; k < options_.producers; ++k) {
    written_totals_[k] += staged_counts_[k];
    staged_counts_[k] = 0;
  }
  publish_written();
  const bool awaited = awaited_staged_;
  awaited_staged_ = false;
  // Signal only a publish that releases something: an awaited producer's
  // written count (async) or durable count (sync).
  bool releases = awaited && options_.durability == Durability::async;
  if (sync) {
    ++stats_.syncs;
    releases = releases || awaited || awaited_unsynced_;
    unsynced_ = false;
    awaited_unsynced_ = false;
    producer_wrote_.store(false, std::memory_order_relaxed);
    last_sync_ns_ = monotonic_ns();
    publish_durable();
  } else {
    unsynced_ = true;
    awaited_unsynced_ = awaited_unsynced_ || awaited;
  }
  if (releases) notify();
  return Status{};
}

Status WalWriter::sync_now() {
  if (const int err = inject_sync_errno_.exchange(0, std::memory_order_acquire); err != 0) io_.inject_sync_error(err);
  const std::int64_t began_ns = monotonic_ns();
  if (Status s = io_.sync(segment_fd_.get(), segment_path_, segment_offset_); !s) return s;
  observe_sync(began_ns);
  ++stats_.syncs;
  unsynced_ = false;
  producer_wrote_.store(false, std::memory_order_relaxed);
  const bool releases = awaited_unsynced_;
  awaited_unsynced_ = false;
  last_sync_ns_ = monotonic_ns();
  publish_durable();
  if (releases) notify();
  return Status{};
}

Status WalWriter::sync_beside_producers() {
  // Writer thread, holding the role, in `async`: the fdatasync runs without
  // the role, so producers go on writing (and their answers leaving) for the
  // milliseconds a sync can take here. It covers what was written before it
  // began, and only that is published durable; a write meanwhile leaves the
  // log unsynced again, for the next interval. Only this thread syncs or
  // rotates, so the segment cannot change under it.
  const int injected = inject_sync_errno_.exchange(0, std::memory_order_acquire);
  const int fd = segment_fd_.get();
  const std::int64_t offset = segment_offset_;
  const std::uint64_t covered = written_last_sequence_;
  std::copy(written_totals_.get(), written_totals_.get() + options_.producers, sync_totals_.get());
  const bool releases = awaited_unsynced_;
  unsynced_ = false;
  awaited_unsynced_ = false;
  producer_wrote_.store(false, std::memory_order_relaxed);
  const std::int64_t began_ns = monotonic_ns();
  release_role();
  if (hold_syncs_for_test_.load(std::memory_order_acquire)) {  // test hook only
    syncs_held_for_test_.fetch_add(1, std::memory_order_acq_rel);
    while (hold_syncs_for_test_.load(std::memory_order_acquire) &&
           !sync_may_pass_for_test_.exchange(false, std::memory_order_acq_rel)) {
      std::this_thread::yield();
    }
  }
  Status s = SegmentIo::sync_fd(fd, segment_path_, offset, injected);
  observe_sync(began_ns);
  take_role();
  if (!s) return s;
  ++stats_.syncs;
  last_sync_ns_ = began_ns;
  publish_durable(sync_totals_.get(), covered);
  if (releases) notify();
  return Status{};
}

// The sequence goes first: a thread that sees a producer's count (acquire)
// then also sees a sequence that covers every record that count releases.
// The other order let a snapshot taken right after a release name a
// sequence short of records its core had applied, so recovery replayed
// them twice.
void WalWriter::publish_written() noexcept {
  written_sequence_.store(written_last_sequence_, std::memory_order_release);
  for (std::size_t k = 0; k < options_.producers; ++k) {
    slots_[k].written.store(written_totals_[k], std::memory_order_release);
  }
}

// Sequence first, as in publish_written().
void WalWriter::publish_durable(const std::uint64_t* totals, std::uint64_t sequence) noexcept {
  durable_sequence_.store(sequence, std::memory_order_release);
  for (std::size_t k = 0; k < options_.producers; ++k) {
    slots_[k].durable.store(totals[k], std::memory_order_release);
  }
}

void WalWriter::fail(Status status) noexcept {
  AS_ASSERT(!status.ok());
  std::fprintf(stderr, "authswitch: wal: writer failed, no record will be acknowledged any more: %s\n",
               status.to_string().c_str());
  failure_fault_.store(status.fault(), std::memory_order_relaxed);
  failure_ = std::move(status);
  state_.store(State::failed, std::memory_order_release);
  notify();
}

void WalWriter::run() noexcept {
  const bool sync_each_batch = options_.durability == Durability::sync;
  const std::int64_t interval_ns = static_cast<std::int64_t>(options_.flush_interval_ms) * ns_per_ms;
  bool active = false;  // took records since the last sleep
  for (;;) {
    while (stall_for_test_.load(std::memory_order_acquire) && !stop_requested_.load(std::memory_order_acquire)) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));  // test hook only
    }
    take_role();
    const std::size_t taken = take_queued();
    if (taken > 0 && !failed()) {
      // Group commit in `sync`: one fdatasync for the batch, unless nothing
      // in it is awaited (background records only), which waits for the
      // next awaited batch or the interval below.
      const bool sync = sync_each_batch && (awaited_staged_ || monotonic_ns() - last_sync_ns_ >= interval_ns);
      if (Status s = flush_staged(sync); !s) fail(std::move(s));
      active = true;
    }
    if (!failed()) {
      if (unsynced_ && monotonic_ns() - last_sync_ns_ >= interval_ns) {
        // With the pwrite backend a sync may run beside producers' writes
        // (the io_uring backend's ring is one thread's at a time).
        Status s = sync_each_batch || options_.io_backend != IoBackend::pwrite ? sync_now() : sync_beside_producers();
        if (!s) fail(std::move(s));
      }
      // Prepare the next segment once this one is half full, between
      // batches, so a rotation only renames.
      if (!prepared_fd_.valid() && !prepare_failed_ &&
          segment_offset_ > static_cast<std::int64_t>(options_.segment_bytes / 2)) {
        if (Status s = prepare_segment(); !s) {
          prepare_failed_ = true;  // retried once more at rotation, which fails the writer if it fails again
          std::fprintf(stderr, "authswitch: wal: warning: cannot prepare the next segment: %s\n",
                       s.to_string().c_str());
        }
      }
    }
    if (taken == 0) {
      // Keeps the role: the last drain needs no hand-over.
      if (stop_requested_.load(std::memory_order_acquire) && queue_.size_approx() == 0) break;
      // After work, a nap of at most the interval: background records
      // appended meanwhile do not wake the writer, so the nap bounds their
      // wait. Only after a whole nap without work does it sleep long.
      // (A producer's write while the writer sleeps long wakes it, so the
      // interval still bounds how long that write stays unsynced.)
      std::int64_t timeout_ns = active ? interval_ns : idle_wait_ns_max;
      if (unsynced_) timeout_ns = std::min(timeout_ns, last_sync_ns_ + interval_ns - monotonic_ns());
      const std::uint32_t how = active || unsynced_ ? sleep_nap : sleep_long;
      release_role();
      wait_for_work(timeout_ns, how);
      active = false;
    } else {
      release_role();
    }
  }
  if (!failed()) {
    Status s = Status{};
    if (segment_offset_ + static_cast<std::int64_t>(buffer_bytes_ + format::header_bytes) >
        static_cast<std::int64_t>(options_.segment_bytes)) {
      s = rotate();
    }
    if (s) {
      stage_ledger_record(format::type_shutdown, {});
      s = flush_staged(true);
    }
    if (!s) fail(std::move(s));
  }
}

Status WalWriter::close() {
  // Appends from here on are refused (Fault::closed) rather than queued
  // behind the writer's last drain and never acknowledged.
  State running = State::running;
  state_.compare_exchange_strong(running, State::closed, std::memory_order_acq_rel);
  if (thread_.joinable()) {
    stop_requested_.store(true, std::memory_order_seq_cst);
    (void)writer_sleeping_.exchange(sleep_none, std::memory_order_seq_cst);
    futex_wake(writer_sleeping_);
    thread_.join();
  }
  segment_fd_.reset();
  if (prepared_fd_.valid()) {
    prepared_fd_.reset();
    // A recycled file goes back for the next run; a preallocated one has
    // nothing worth keeping.
    const std::string back = join_path(options_.dir, recycled_file_name(next_sequence_));
    if (!std::exchange(prepared_recycled_, false) || ::rename(prepared_path_.c_str(), back.c_str()) != 0) {
      ::unlink(prepared_path_.c_str());
    }
  }
  if (failed()) return failure_;
  return Status{};
}

}  // namespace authswitch::ledger
