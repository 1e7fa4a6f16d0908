// Snapshot files: a generic container for the core's state at a sequence.
//
// The ledger does not know what the state is; the core streams it into a
// SnapshotSink and reads it back in chunks. The file:
//
//   0   u64 magic "ASSNAP01"
//   8   u32 format version
//   12  u32 header bytes (48)
//   16  u64 covered sequence: the state includes every record up to this one
//   24  i64 created, ns since the epoch (UTC)
//   32  u64 payload bytes
//   40  u32 masked CRC32C of the payload
//   44  u32 masked CRC32C of bytes [0, 44) and [48, header bytes)
//   48  u32 n, then n x u32: the build's layout (snapshot_layout.h: sizes,
//       alignments and offsets of the structs the core saves as they lie in
//       memory); a snapshot whose layout differs from this build's is refused
//       naming the first difference, as is a version 1 file (no layout)
//   48 + 4 + 4n = header bytes: payload
//
// It is written to a .tmp name, fsynced, renamed to snapshot_file_name() and
// the folder fsynced, so a snapshot either exists whole or not at all. A
// crash leaves at most a .tmp file, which prune_log() removes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/constants.h"
#include "ledger/log_files.h"
#include "ledger/status.h"

namespace authswitch::ledger {

namespace snapshot_format {
inline constexpr std::uint64_t magic = 0x3130504e41535341ULL;  // "ASSNAP01" little-endian
inline constexpr std::uint32_t version = 2;
inline constexpr std::size_t fixed_header_bytes = 48;
inline constexpr std::size_t payload_crc_offset = 40;
inline constexpr std::size_t header_crc_offset = 44;
inline constexpr std::size_t layout_offset = 48;
// A layout record longer than this is not one a build of ours wrote.
inline constexpr std::size_t layout_items_max = 256;
static_assert(header_crc_offset + 4 == fixed_header_bytes && layout_offset == fixed_header_bytes);
}  // namespace snapshot_format

struct SnapshotInfo {
  std::string path;
  std::uint64_t covered_sequence = 0;
  std::int64_t created_ns = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t header_bytes = 0;  // where the payload begins
};

// Handed to the callback that writes the state; buffers, CRCs and writes.
class SnapshotSink {
 public:
  [[nodiscard]] Status write(std::span<const std::byte> bytes);

 private:
  friend Status write_snapshot(const std::string&, std::uint64_t, const std::function<Status(SnapshotSink&)>&,
                               SnapshotInfo*);
  SnapshotSink(int fd, const std::string& path, std::uint64_t payload_offset);
  [[nodiscard]] Status flush();

  int fd_;
  const std::string& path_;
  std::vector<std::byte> buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t offset_;
  std::uint32_t crc_ = 0;
  // Where writeback was last waited for (see flush()).
  std::uint64_t settled_ = 0;
};

// Writes a snapshot covering `covered_sequence`; `fill` streams the state.
// Not the hot path: it allocates its buffer. Call from the thread that owns
// the state (or a copy of it).
[[nodiscard]] Status write_snapshot(const std::string& dir, std::uint64_t covered_sequence,
                                    const std::function<Status(SnapshotSink&)>& fill, SnapshotInfo* written = nullptr);

// Checks one snapshot's header and both CRCs.
[[nodiscard]] Status verify_snapshot(const std::string& path, SnapshotInfo& info);

// The newest snapshot that verifies. A newer one that does not is skipped
// with a line on stderr and its fault added to `rejected` (when given); the
// older one is used instead. No snapshot: `latest` stays empty, OK.
[[nodiscard]] Status find_latest_snapshot(const std::string& dir, std::optional<SnapshotInfo>& latest,
                                          std::vector<Status>* rejected = nullptr);

// Streams a snapshot's payload to `consume` in chunks, checking the CRC at
// the end: the caller treats what it built as provisional until OK.
[[nodiscard]] Status read_snapshot(const SnapshotInfo& info,
                                   const std::function<Status(std::span<const std::byte>)>& consume);

struct PruneResult {
  std::size_t segments_removed = 0;  // recycled ones included
  std::size_t segments_recycled = 0;
  std::size_t snapshots_removed = 0;
};

// Keeps the newest `keep` snapshots, deletes older ones and .tmp leftovers,
// and removes the segments wholly behind the oldest snapshot kept (so the
// fallback snapshot can still replay). The last segment always stays. A
// removed segment is renamed for recycling (log_files.h) while fewer than
// `recycle_max` wait, and deleted otherwise.
[[nodiscard]] Status prune_log(const std::string& dir, std::size_t keep, PruneResult* result = nullptr,
                               std::size_t recycle_max = constants::wal_recycled_segments_max);

}  // namespace authswitch::ledger
