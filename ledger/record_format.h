// The write-ahead log's on-disk format, shared by the writer and the reader.
//
// A log is a folder of segment files, each named by the sequence number of
// its first record (segment_file_name below) and preallocated to its full
// size, so the bytes after the last record are zeros. A segment is a plain
// run of records, no blocks and no padding:
//
//   0         4         8    10   12                  20                  28
//   +---------+---------+----+----+-------------------+-------------------+----------+
//   | crc     | length  |type|rsvd| sequence          | timestamp_ns      | payload  |
//   +---------+---------+----+----+-------------------+-------------------+----------+
//    u32 LE    u32 LE    u16  u16  u64 LE              i64 LE              length bytes
//
//   crc           masked CRC32C (mask_crc) of bytes [4, 28 + length): every
//                 field after it and the payload, so no bit of a record is
//                 unprotected.
//   length        payload bytes, at most constants::wal_payload_bytes_max.
//   type          0 is never valid (so a zero-filled header is never a
//                 record); 1..0x7fff belong to the event catalogue of the
//                 core and io layers; 0x8000 and up are the ledger's own.
//   rsvd          zero; a later format may give it a meaning.
//   sequence      dense over the whole log, starting at 1: each record's is
//                 the previous one's plus one, across segment boundaries.
//   timestamp_ns  UTC nanoseconds since the Unix epoch, taken by the producer.
//
// Every segment begins with a segment_header record (payload below) whose
// sequence equals the number in the file name.
//
// Where the writer stopped: the first header that is all zeros (the
// preallocated space, never a valid record since type 0 is invalid) or the
// end of the file. A bad record is a torn tail, cut on recovery, only in the
// last segment and only when no valid record follows it; anywhere else it is
// corruption (log_reader.h).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/constants.h"

namespace authswitch::ledger::format {

static_assert(std::endian::native == std::endian::little,
              "the log is little-endian on disk and read in place; a big-endian port must byte-swap");

inline constexpr std::size_t crc_offset = 0;
inline constexpr std::size_t length_offset = 4;
inline constexpr std::size_t type_offset = 8;
inline constexpr std::size_t reserved_offset = 10;
inline constexpr std::size_t sequence_offset = 12;
inline constexpr std::size_t timestamp_offset = 20;
inline constexpr std::size_t header_bytes = 28;
// The CRC covers everything after itself.
inline constexpr std::size_t crc_covered_offset = length_offset;

static_assert(length_offset == crc_offset + sizeof(std::uint32_t));
static_assert(type_offset == length_offset + sizeof(std::uint32_t));
static_assert(reserved_offset == type_offset + sizeof(std::uint16_t));
static_assert(sequence_offset == reserved_offset + sizeof(std::uint16_t));
static_assert(timestamp_offset == sequence_offset + sizeof(std::uint64_t));
static_assert(header_bytes == timestamp_offset + sizeof(std::int64_t));

inline constexpr std::size_t payload_bytes_max = constants::wal_payload_bytes_max;
inline constexpr std::size_t record_bytes_max = header_bytes + payload_bytes_max;
static_assert(payload_bytes_max < (std::size_t{1} << 31), "length must fit in u32 with room");
static_assert(constants::wal_segment_bytes_min >= 2 * record_bytes_max,
              "a segment must hold its header record and at least one record of any size");
static_assert(constants::wal_batch_bytes_max >= record_bytes_max);

// Record types. Values below ledger_type_first are the event catalogue's.
inline constexpr std::uint16_t type_invalid = 0;
inline constexpr std::uint16_t ledger_type_first = 0x8000;
inline constexpr std::uint16_t type_segment_header = 0x8000;   // first record of every segment
inline constexpr std::uint16_t type_log_opened = 0x8001;       // a writer opened the log (after recovery)
inline constexpr std::uint16_t type_snapshot_marker = 0x8002;  // a snapshot covering up to a sequence exists
inline constexpr std::uint16_t type_shutdown = 0x8003;         // clean close; last record of a run
inline constexpr std::uint16_t ledger_type_last = type_shutdown;

[[nodiscard]] constexpr bool is_event_type(std::uint16_t type) noexcept {
  return type != type_invalid && type < ledger_type_first;
}
[[nodiscard]] constexpr bool is_valid_type(std::uint16_t type) noexcept {
  return is_event_type(type) || (type >= ledger_type_first && type <= ledger_type_last);
}

// segment_header payload:
//   0  u64 magic "ASWALSEG" (little-endian of the ASCII)
//   8  u32 format version
//   12 u32 segment size the writer preallocated (for the reader's curiosity)
inline constexpr std::uint64_t segment_magic = 0x4745534c41575341ULL;  // "ASWALSEG"
inline constexpr std::uint32_t format_version = 1;
inline constexpr std::size_t segment_header_payload_bytes = 16;

// log_opened payload: u64 bytes of torn tail cut when this run opened the log
// (0 when the previous run ended on a record boundary), u64 the last sequence
// the previous run left.
inline constexpr std::size_t log_opened_payload_bytes = 16;
// snapshot_marker payload: u64 sequence the snapshot covers.
inline constexpr std::size_t snapshot_marker_payload_bytes = 8;

// leveldb's CRC mask: a CRC stored inside data that is itself CRC'd (a
// record inside a snapshot, say) would otherwise make the outer CRC weak.
inline constexpr std::uint32_t crc_mask_delta = 0xa282ead8u;
[[nodiscard]] constexpr std::uint32_t mask_crc(std::uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + crc_mask_delta;
}
[[nodiscard]] constexpr std::uint32_t unmask_crc(std::uint32_t masked) noexcept {
  const std::uint32_t rot = masked - crc_mask_delta;
  return (rot >> 17) | (rot << 15);
}
static_assert(unmask_crc(mask_crc(0x12345678u)) == 0x12345678u);

// Little-endian field access; memcpy so any alignment is fine.
template <typename T>
[[nodiscard]] inline T load(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void store(std::byte* p, T v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

struct Header {
  std::uint32_t crc;
  std::uint32_t length;
  std::uint16_t type;
  std::uint16_t reserved;
  std::uint64_t sequence;
  std::int64_t timestamp_ns;
};

[[nodiscard]] inline Header decode_header(const std::byte* p) noexcept {
  return Header{load<std::uint32_t>(p + crc_offset),      load<std::uint32_t>(p + length_offset),
                load<std::uint16_t>(p + type_offset),     load<std::uint16_t>(p + reserved_offset),
                load<std::uint64_t>(p + sequence_offset), load<std::int64_t>(p + timestamp_offset)};
}

// Writes the header fields except the CRC (record_encode.h adds it).
inline void encode_header_fields(std::byte* p, std::uint32_t length, std::uint16_t type, std::uint64_t sequence,
                                 std::int64_t timestamp_ns) noexcept {
  store<std::uint32_t>(p + length_offset, length);
  store<std::uint16_t>(p + type_offset, type);
  store<std::uint16_t>(p + reserved_offset, 0);
  store<std::uint64_t>(p + sequence_offset, sequence);
  store<std::int64_t>(p + timestamp_offset, timestamp_ns);
}

}  // namespace authswitch::ledger::format
