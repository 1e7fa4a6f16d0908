// Bucket layout of the latency histograms: HdrHistogram's, fixed at
// 1 ns .. 100 s with 2 significant digits, so our figures read exactly like
// HdrHistogram's (same bucket edges, same percentile walk).
//
//   value v (ns) -> bucket b = position of v's top bit above 2^7, clamped >= 0
//                   sub-bucket s = v >> b, in [128, 256) (in [0, 256) for b = 0)
//   counts index  = ((b + 1) << 7) + (s - 128)
//
// Bucket 0 counts 0..255 one by one; bucket b >= 1 counts 128 steps of 2^b
// from 2^(b+7) to 2^(b+8). A step is at most 1/128 of its values: relative
// error < 0.79%, within the 1% that 2 significant digits promise.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "core/constants.h"

namespace authswitch::io::hdr {

inline constexpr int significant_digits = constants::histogram_significant_digits;

// HdrHistogram: the smallest power of two >= 2 * 10^digits.
inline constexpr std::uint64_t sub_bucket_count = std::bit_ceil(std::uint64_t{2 * 100});
inline constexpr int sub_bucket_half_count_magnitude = std::countr_zero(sub_bucket_count) - 1;
inline constexpr std::uint64_t sub_bucket_half_count = sub_bucket_count / 2;
inline constexpr std::uint64_t sub_bucket_mask = sub_bucket_count - 1;
static_assert(significant_digits == 2, "sub_bucket_count above is computed for 2 digits");
static_assert(constants::histogram_lowest_ns == 1, "unit magnitude 0 is assumed throughout");

consteval int buckets_needed(std::uint64_t highest) {
  std::uint64_t smallest_untrackable = sub_bucket_count;
  int buckets = 1;
  while (smallest_untrackable <= highest) {
    smallest_untrackable <<= 1;
    ++buckets;
  }
  return buckets;
}

inline constexpr int bucket_count = buckets_needed(constants::histogram_highest_ns);
inline constexpr std::size_t counts_len = static_cast<std::size_t>(bucket_count + 1) * sub_bucket_half_count;
static_assert(bucket_count == 30 && counts_len == 3968);

constexpr int bucket_index(std::uint64_t value) noexcept {
  constexpr int leading_zero_count_base = 64 - sub_bucket_half_count_magnitude - 1;
  return leading_zero_count_base - std::countl_zero(value | sub_bucket_mask);
}

constexpr std::uint64_t value_from_index(std::size_t index) noexcept {
  int bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude) - 1;
  std::uint64_t sub_bucket = (index & (sub_bucket_half_count - 1)) + sub_bucket_half_count;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count;
    bucket = 0;
  }
  return sub_bucket << bucket;
}

// The largest value with a bucket of its own; larger values are clamped to
// it (and counted as saturated by the recorder).
inline constexpr std::uint64_t highest_trackable =
    value_from_index(counts_len - 1) + (std::uint64_t{1} << (bucket_count - 1)) - 1;
static_assert(highest_trackable >= constants::histogram_highest_ns);

constexpr std::size_t counts_index(std::uint64_t value) noexcept {
  const int bucket = bucket_index(value);
  const std::uint64_t sub_bucket = value >> bucket;
  return (static_cast<std::size_t>(bucket + 1) << sub_bucket_half_count_magnitude) +
         static_cast<std::size_t>(sub_bucket - sub_bucket_half_count);
}

constexpr std::uint64_t lowest_equivalent(std::uint64_t value) noexcept {
  const int bucket = bucket_index(value);
  return (value >> bucket) << bucket;
}

constexpr std::uint64_t equivalent_range(std::uint64_t value) noexcept {
  return std::uint64_t{1} << bucket_index(value);
}

constexpr std::uint64_t highest_equivalent(std::uint64_t value) noexcept {
  return lowest_equivalent(value) + equivalent_range(value) - 1;
}

constexpr std::uint64_t median_equivalent(std::uint64_t value) noexcept {
  return lowest_equivalent(value) + (equivalent_range(value) >> 1);
}

static_assert(counts_index(0) == 0 && counts_index(255) == 255 && counts_index(256) == 256);
static_assert(counts_index(1000) == 506 && lowest_equivalent(1000) == 1000 && highest_equivalent(1000) == 1003);
static_assert(value_from_index(counts_index(highest_trackable)) == lowest_equivalent(highest_trackable));
static_assert(counts_index(highest_trackable) == counts_len - 1);

}  // namespace authswitch::io::hdr
