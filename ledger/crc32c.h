// CRC32C (Castagnoli), the checksum of log records and snapshots.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it, and a byte table
// otherwise; the choice is made once, at first use. One stream of 8-byte
// crc32 steps checks a 128-byte record in ~25 ns (bench_ledger), against
// ~550 ns for the table, so the interleaved three-stream variant that pays off
// on long buffers is not worth its code at record sizes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace authswitch::ledger {

// Extends `crc` (the value of an earlier call, 0 to start) over `n` bytes,
// so crc32c_extend(crc32c_extend(0, a, n), b, m) equals the CRC of a then b.
[[nodiscard]] std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n) noexcept;

[[nodiscard]] inline std::uint32_t crc32c(const void* data, std::size_t n) noexcept {
  return crc32c_extend(0, data, n);
}

// Both implementations, exposed so tests check each against known vectors.
[[nodiscard]] std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n) noexcept;
// Only call when crc32c_hardware_available().
[[nodiscard]] std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data, std::size_t n) noexcept;
[[nodiscard]] bool crc32c_hardware_available() noexcept;

}  // namespace authswitch::ledger
