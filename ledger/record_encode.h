// Encoding one record into a buffer: used by the writer on its hot path and by
// tests that build logs byte by byte. Allocation-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/assert.h"
#include "ledger/crc32c.h"
#include "ledger/record_format.h"

namespace authswitch::ledger {

// Writes header + payload at `out` (which must hold record_bytes(n)) and
// returns the bytes written.
inline std::size_t encode_record(std::byte* out, std::uint16_t type, std::uint64_t sequence,
                                 std::int64_t timestamp_ns, std::span<const std::byte> payload) noexcept {
  AS_ASSERT(payload.size() <= format::payload_bytes_max);
  AS_ASSERT(format::is_valid_type(type));
  format::encode_header_fields(out, static_cast<std::uint32_t>(payload.size()), type, sequence, timestamp_ns);
  if (!payload.empty()) std::memcpy(out + format::header_bytes, payload.data(), payload.size());
  const std::size_t covered = format::header_bytes - format::crc_covered_offset + payload.size();
  const std::uint32_t crc = crc32c(out + format::crc_covered_offset, covered);
  format::store<std::uint32_t>(out + format::crc_offset, format::mask_crc(crc));
  return format::header_bytes + payload.size();
}

// Recomputes the CRC of a record already in place (tests: change one byte,
// then fix the CRC so that only the intended check fires).
inline void reseal_record(std::byte* record, std::size_t payload_bytes) noexcept {
  const std::size_t covered = format::header_bytes - format::crc_covered_offset + payload_bytes;
  const std::uint32_t crc = crc32c(record + format::crc_covered_offset, covered);
  format::store<std::uint32_t>(record + format::crc_offset, format::mask_crc(crc));
}

[[nodiscard]] constexpr std::size_t record_bytes(std::size_t payload_bytes) noexcept {
  return format::header_bytes + payload_bytes;
}

}  // namespace authswitch::ledger
