#include "ledger/log_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>

namespace authswitch::ledger {
namespace {

constexpr std::string_view segment_prefix = "seg-";
constexpr std::string_view segment_suffix = ".wal";
constexpr std::string_view recycled_prefix = "seg-recycled-";
constexpr std::string_view recycled_suffix = ".tmp";
constexpr std::string_view snapshot_prefix = "snap-";
constexpr std::string_view snapshot_suffix = ".snap";
constexpr std::size_t sequence_digits = 20;

std::string numbered_name(std::string_view prefix, std::uint64_t n, std::string_view suffix) {
  char digits[sequence_digits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(n));
  std::string name(prefix);
  name += digits;
  name += suffix;
  return name;
}

std::optional<std::uint64_t> parse_numbered(std::string_view name, std::string_view prefix,
                                            std::string_view suffix) noexcept {
  if (name.size() != prefix.size() + sequence_digits + suffix.size()) return std::nullopt;
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size(), sequence_digits);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

// Calls fn(name) for each entry of dir; a missing dir has no entries.
template <typename Fn>
Status for_each_entry(const std::string& dir, Fn fn) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status{};
    return Status::from_errno(errno, dir, -1, "opendir");
  }
  while (const dirent* e = ::readdir(d)) fn(std::string_view(e->d_name));
  ::closedir(d);
  return Status{};
}

}  // namespace

std::string segment_file_name(std::uint64_t first_sequence) {
  return numbered_name(segment_prefix, first_sequence, segment_suffix);
}
std::string snapshot_file_name(std::uint64_t covered_sequence) {
  return numbered_name(snapshot_prefix, covered_sequence, snapshot_suffix);
}
std::string recycled_file_name(std::uint64_t old_first_sequence) {
  return numbered_name(recycled_prefix, old_first_sequence, recycled_suffix);
}
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) noexcept {
  return parse_numbered(name, segment_prefix, segment_suffix);
}
std::optional<std::uint64_t> parse_snapshot_file_name(std::string_view name) noexcept {
  return parse_numbered(name, snapshot_prefix, snapshot_suffix);
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

Status list_segments(const std::string& dir, std::vector<SegmentFile>& out) {
  out.clear();
  Status s = for_each_entry(dir, [&](std::string_view name) {
    if (auto n = parse_segment_file_name(name)) out.push_back({*n, join_path(dir, name)});
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first_sequence < b.first_sequence; });
  return s;
}

Status list_recycled(const std::string& dir, std::vector<RecycledFile>& out) {
  out.clear();
  return for_each_entry(dir, [&](std::string_view name) {
    if (auto n = parse_numbered(name, recycled_prefix, recycled_suffix)) out.push_back({*n, join_path(dir, name)});
  });
}

Status list_snapshots(const std::string& dir, std::vector<SnapshotFile>& out) {
  out.clear();
  Status s = for_each_entry(dir, [&](std::string_view name) {
    if (auto n = parse_snapshot_file_name(name)) out.push_back({*n, join_path(dir, name)});
  });
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.covered_sequence < b.covered_sequence; });
  return s;
}

Status ensure_directory(const std::string& dir) {
  if (dir.empty()) return Status::error(Fault::io, dir, -1, "empty log folder name");
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::from_errno(errno, partial, -1, "mkdir");
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Status::from_errno(errno, dir, -1, "stat");
  if (!S_ISDIR(st.st_mode)) return Status::error(Fault::io, dir, -1, "not a folder");
  return Status{};
}

Status sync_directory(const std::string& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, dir, -1, "open folder");
  if (::fsync(fd.get()) != 0) {
    Status s = Status::from_errno(errno, dir, -1, "fsync folder");
    return Status::error(Fault::sync_failed, dir, -1, s.to_string());
  }
  return Status{};
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

FileDescriptor::~FileDescriptor() { reset(); }

void FileDescriptor::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status pwrite_all(int fd, const void* data, std::size_t n, std::int64_t offset, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::from_errno(errno, path, offset, "write");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    offset += w;
  }
  return Status{};
}

Status read_file(const std::string& path, std::string& out) {
  out.clear();
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::from_errno(errno, path, -1, "open");
  char buf[65536];
  for (;;) {
    const ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::from_errno(errno, path, static_cast<std::int64_t>(out.size()), "read");
    }
    if (r == 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return Status{};
}

}  // namespace authswitch::ledger
