#include "ledger/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/assert.h"
#include "core/constants.h"
#include "ledger/crc32c.h"
#include "ledger/record_format.h"
#include "ledger/snapshot_layout.h"
#include "ledger/wal_writer.h"

namespace authswitch::ledger {
namespace {

namespace sf = snapshot_format;

Status bad(const std::string& path, std::int64_t offset, const std::string& why) {
  return Status::error(Fault::bad_snapshot, path, offset, why);
}

// The header CRC skips its own four bytes.
std::uint32_t header_crc(std::span<const std::byte> header) noexcept {
  const std::uint32_t fixed = crc32c(header.data(), sf::header_crc_offset);
  return crc32c_extend(fixed, header.data() + sf::layout_offset, header.size() - sf::layout_offset);
}

}  // namespace

SnapshotSink::SnapshotSink(int fd, const std::string& path, std::uint64_t payload_offset)
    : fd_(fd), path_(path), buffer_(constants::snapshot_buffer_bytes), offset_(payload_offset) {}

Status SnapshotSink::write(std::span<const std::byte> bytes) {
  crc_ = crc32c_extend(crc_, bytes.data(), bytes.size());
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, bytes.data(), n);
    buffered_ += n;
    bytes = bytes.subspan(n);
    if (buffered_ == buffer_.size()) {
      if (Status s = flush(); !s) return s;
    }
  }
  return Status{};
}

Status SnapshotSink::flush() {
  if (buffered_ == 0) return Status{};
  if (Status s = pwrite_all(fd_, buffer_.data(), buffered_, static_cast<std::int64_t>(offset_), path_); !s) return s;
  const std::uint64_t written_from = offset_;
  offset_ += buffered_;
  buffered_ = 0;
  // Streams the snapshot to the disk as it is made, instead of leaving
  // hundreds of MB dirty for the final fsync: the log's fdatasyncs share the
  // disk and the ext4 journal with it, and would wait behind the lot. Start
  // writeback of this buffer now; wait for the one before and drop it from
  // the page cache (nothing reads it back but a restart). Failures here are
  // only advice: the final fsync reports a real one.
  (void)::sync_file_range(fd_, static_cast<off_t>(written_from), static_cast<off_t>(offset_ - written_from),
                          SYNC_FILE_RANGE_WRITE);
  if (written_from > settled_) {
    (void)::sync_file_range(fd_, static_cast<off_t>(settled_), static_cast<off_t>(written_from - settled_),
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    (void)::posix_fadvise(fd_, static_cast<off_t>(settled_), static_cast<off_t>(written_from - settled_),
                          POSIX_FADV_DONTNEED);
    settled_ = written_from;
  }
  return Status{};
}

Status write_snapshot(const std::string& dir, std::uint64_t covered_sequence,
                      const std::function<Status(SnapshotSink&)>& fill, SnapshotInfo* written) {
  if (Status s = ensure_directory(dir); !s) return s;
  const std::string path = join_path(dir, snapshot_file_name(covered_sequence));
  const std::string tmp = path + ".tmp";
  FileDescriptor fd(::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::from_errno(errno, tmp, -1, "create snapshot");
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  const std::span<const LayoutItem> layout = build_layout();
  std::vector<std::byte> header(sf::layout_offset + 4 + 4 * layout.size());
  SnapshotSink sink(fd.get(), tmp, header.size());
  if (Status s = fill(sink); !s) return fail(std::move(s));
  if (Status s = sink.flush(); !s) return fail(std::move(s));
  const std::uint64_t payload_bytes = sink.offset_ - header.size();
  const std::int64_t created = wall_clock_ns();
  format::store<std::uint64_t>(header.data(), sf::magic);
  format::store<std::uint32_t>(header.data() + 8, sf::version);
  format::store<std::uint32_t>(header.data() + 12, static_cast<std::uint32_t>(header.size()));
  format::store<std::uint64_t>(header.data() + 16, covered_sequence);
  format::store<std::int64_t>(header.data() + 24, created);
  format::store<std::uint64_t>(header.data() + 32, payload_bytes);
  format::store<std::uint32_t>(header.data() + sf::payload_crc_offset, format::mask_crc(sink.crc_));
  format::store<std::uint32_t>(header.data() + sf::layout_offset, static_cast<std::uint32_t>(layout.size()));
  for (std::size_t i = 0; i < layout.size(); ++i) {
    format::store<std::uint32_t>(header.data() + sf::layout_offset + 4 + 4 * i, layout[i].value);
  }
  format::store<std::uint32_t>(header.data() + sf::header_crc_offset, format::mask_crc(header_crc(header)));
  if (Status s = pwrite_all(fd.get(), header.data(), header.size(), 0, tmp); !s) return fail(std::move(s));
  if (::fsync(fd.get()) != 0) {
    return fail(Status::error(Fault::sync_failed, tmp, -1, Status::from_errno(errno, tmp, -1, "fsync").to_string()));
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(Status::from_errno(errno, path, -1, "rename snapshot"));
  if (Status s = sync_directory(dir); !s) return s;
  if (written != nullptr) *written = SnapshotInfo{path, covered_sequence, created, payload_bytes, header.size()};
  return Status{};
}

namespace {

// Reads the header and checks everything but the payload CRC.
Status read_header(int fd, const std::string& path, SnapshotInfo& info, std::uint32_t& payload_crc) {
  std::vector<std::byte> header(sf::fixed_header_bytes);
  ssize_t n = ::pread(fd, header.data(), header.size(), 0);
  if (n < 0) return Status::from_errno(errno, path, 0, "read snapshot header");
  if (static_cast<std::size_t>(n) < header.size()) return bad(path, n, "file shorter than the snapshot header");
  if (format::load<std::uint64_t>(header.data()) != sf::magic) return bad(path, 0, "not a snapshot (bad magic)");
  const std::uint32_t version = format::load<std::uint32_t>(header.data() + 8);
  if (version == 1) {
    return bad(path, 8,
               "snapshot format 1, written by an older build without a layout record: refused (its raw structs "
               "may not match this build's)");
  }
  if (version != sf::version) return bad(path, 8, "unknown snapshot version " + std::to_string(version));
  const std::uint32_t header_bytes = format::load<std::uint32_t>(header.data() + 12);
  if (header_bytes < sf::layout_offset + 4 || header_bytes > sf::layout_offset + 4 + 4 * sf::layout_items_max ||
      (header_bytes - sf::layout_offset) % 4 != 0) {
    return bad(path, 12, "snapshot header length " + std::to_string(header_bytes) + " is not possible");
  }
  header.resize(header_bytes);
  n = ::pread(fd, header.data() + sf::fixed_header_bytes, header_bytes - sf::fixed_header_bytes,
              static_cast<off_t>(sf::fixed_header_bytes));
  if (n < 0) return Status::from_errno(errno, path, sf::fixed_header_bytes, "read snapshot header");
  if (static_cast<std::size_t>(n) < header_bytes - sf::fixed_header_bytes) {
    return bad(path, n, "file shorter than the snapshot header");
  }
  if (format::unmask_crc(format::load<std::uint32_t>(header.data() + sf::header_crc_offset)) != header_crc(header)) {
    return bad(path, 0, "snapshot header checksum mismatch");
  }
  // Written by a build whose structs lie differently in memory: refused.
  const std::span<const LayoutItem> layout = build_layout();
  const std::uint32_t items = format::load<std::uint32_t>(header.data() + sf::layout_offset);
  if (items * 4u + sf::layout_offset + 4 != header_bytes) return bad(path, sf::layout_offset, "layout record length");
  for (std::size_t i = 0; i < layout.size(); ++i) {
    if (i >= items) {
      return bad(path, sf::layout_offset,
                 "written by another build (its layout record has " + std::to_string(items) + " items, this build's " +
                     std::to_string(layout.size()) + "): refused");
    }
    const std::uint32_t there = format::load<std::uint32_t>(header.data() + sf::layout_offset + 4 + 4 * i);
    if (there != layout[i].value) {
      return bad(path, static_cast<std::int64_t>(sf::layout_offset + 4 + 4 * i),
                 std::string("written by a build with another memory layout (") + layout[i].name + ": " +
                     std::to_string(there) + " there, " + std::to_string(layout[i].value) + " here): refused");
    }
  }
  if (items != layout.size()) {
    return bad(path, sf::layout_offset,
               "written by another build (its layout record has " + std::to_string(items) + " items, this build's " +
                   std::to_string(layout.size()) + "): refused");
  }
  info.path = path;
  info.header_bytes = header_bytes;
  info.covered_sequence = format::load<std::uint64_t>(header.data() + 16);
  info.created_ns = format::load<std::int64_t>(header.data() + 24);
  info.payload_bytes = format::load<std::uint64_t>(header.data() + 32);
  payload_crc = format::unmask_crc(format::load<std::uint32_t>(header.data() + sf::payload_crc_offset));
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::from_errno(errno, path, -1, "stat snapshot");
  if (static_cast<std::uint64_t>(st.st_size) != info.header_bytes + info.payload_bytes) {
    return bad(path, st.st_size,
               "file size " + std::to_string(st.st_size) + " does not match the header's " +
                   std::to_string(info.header_bytes + info.payload_bytes));
  }
  return Status{};
}

Status stream_payload(int fd, const SnapshotInfo& info, std::uint32_t payload_crc,
                      const std::function<Status(std::span<const std::byte>)>* consume) {
  std::vector<std::byte> buffer(constants::snapshot_buffer_bytes);
  std::uint32_t crc = 0;
  std::uint64_t done = 0;
  while (done < info.payload_bytes) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), info.payload_bytes - done));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(info.header_bytes + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::from_errno(errno, info.path, static_cast<std::int64_t>(info.header_bytes + done), "read snapshot");
    }
    if (n == 0) return bad(info.path, static_cast<std::int64_t>(info.header_bytes + done), "snapshot ends early");
    const std::span<const std::byte> chunk(buffer.data(), static_cast<std::size_t>(n));
    crc = crc32c_extend(crc, chunk.data(), chunk.size());
    if (consume != nullptr) {
      if (Status s = (*consume)(chunk); !s) return s;
    }
    done += chunk.size();
  }
  if (crc != payload_crc) {
    return bad(info.path, static_cast<std::int64_t>(info.header_bytes), "snapshot payload checksum mismatch");
  }
  return Status{};
}

}  // namespace

Status verify_snapshot(const std::string& path, SnapshotInfo& info) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, path, -1, "open snapshot");
  std::uint32_t payload_crc = 0;
  if (Status s = read_header(fd.get(), path, info, payload_crc); !s) return s;
  return stream_payload(fd.get(), info, payload_crc, nullptr);
}

Status find_latest_snapshot(const std::string& dir, std::optional<SnapshotInfo>& latest,
                            std::vector<Status>* rejected) {
  latest.reset();
  std::vector<SnapshotFile> files;
  if (Status s = list_snapshots(dir, files); !s) return s;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    SnapshotInfo info;
    Status s = verify_snapshot(it->path, info);
    if (s && info.covered_sequence != it->covered_sequence) {
      s = bad(it->path, 16, "covers sequence " + std::to_string(info.covered_sequence) + ", not the one in its name");
    }
    if (s) {
      latest = std::move(info);
      return Status{};
    }
    std::fprintf(stderr, "authswitch: snapshot: skipping an unusable snapshot, trying an older one: %s\n",
                 s.to_string().c_str());
    if (rejected != nullptr) rejected->push_back(std::move(s));
  }
  return Status{};
}

Status read_snapshot(const SnapshotInfo& info, const std::function<Status(std::span<const std::byte>)>& consume) {
  FileDescriptor fd(::open(info.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, info.path, -1, "open snapshot");
  SnapshotInfo checked;
  std::uint32_t payload_crc = 0;
  if (Status s = read_header(fd.get(), info.path, checked, payload_crc); !s) return s;
  return stream_payload(fd.get(), checked, payload_crc, &consume);
}

Status prune_log(const std::string& dir, std::size_t keep, PruneResult* result, std::size_t recycle_max) {
  AS_ASSERT(keep >= 1);
  PruneResult counts;
  std::vector<SnapshotFile> snapshots;
  if (Status s = list_snapshots(dir, snapshots); !s) return s;
  // Leftovers of snapshots that never finished.
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name.starts_with("snap-") && name.ends_with(".snap.tmp")) ::unlink(join_path(dir, name).c_str());
    }
    ::closedir(d);
  }
  if (snapshots.empty()) return Status{};
  const std::size_t drop = snapshots.size() > keep ? snapshots.size() - keep : 0;
  for (std::size_t i = 0; i < drop; ++i) {
    if (::unlink(snapshots[i].path.c_str()) != 0) return Status::from_errno(errno, snapshots[i].path, -1, "unlink");
    ++counts.snapshots_removed;
  }
  const std::uint64_t covered = snapshots[drop].covered_sequence;
  std::vector<SegmentFile> segments;
  if (Status s = list_segments(dir, segments); !s) return s;
  // Segment i holds sequences [first_i, first_{i+1}); it is wholly behind the
  // snapshot when the next one starts at or before covered + 1.
  std::vector<RecycledFile> recycled;
  if (Status s = list_recycled(dir, recycled); !s) return s;
  // Only this thread adds recycled files and only the writer takes them, so
  // the count can only be high, never let too many accumulate.
  std::size_t waiting = recycled.size();
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first_sequence > covered + 1) break;
    const std::string& path = segments[i].path;
    if (waiting < recycle_max) {
      const std::string to = join_path(dir, recycled_file_name(segments[i].first_sequence));
      if (::rename(path.c_str(), to.c_str()) != 0) return Status::from_errno(errno, path, -1, "rename to recycle");
      ++waiting;
      ++counts.segments_recycled;
    } else if (::unlink(path.c_str()) != 0) {
      return Status::from_errno(errno, path, -1, "unlink");
    }
    ++counts.segments_removed;
  }
  if (Status s = sync_directory(dir); !s) return s;
  if (result != nullptr) *result = counts;
  return Status{};
}

}  // namespace authswitch::ledger
