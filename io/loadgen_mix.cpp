#include "io/loadgen_mix.h"

#include <charconv>

#include "core/assert.h"

namespace authswitch::io {
namespace {

constexpr std::array<std::string_view, request_kind_count> kind_names{
    "approve", "limit", "unknown", "blocked", "duplicate", "conflict", "reversal", "advice", "balance", "echo"};
// A weight above this is a typo, and the sum of ten stays far inside 64 bits.
constexpr std::uint32_t weight_max = 1'000'000;

}  // namespace

std::string_view to_string(RequestKind kind) noexcept { return kind_names[static_cast<std::size_t>(kind)]; }

RequestKind Mix::pick(std::uint64_t random) const noexcept {
  std::uint64_t total = 0;
  for (const std::uint32_t w : weights) total += w;
  AS_ASSERT(total != 0);
  std::uint64_t point = random % total;
  for (std::size_t k = 0; k < request_kind_count; ++k) {
    if (point < weights[k]) return static_cast<RequestKind>(k);
    point -= weights[k];
  }
  AS_ASSERT(false);
  return RequestKind::approve;
}

std::string parse_mix(std::string_view text, Mix& mix) {
  Mix parsed;
  parsed.weights.fill(0);
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) return "--mix: '" + std::string(item) + "' is not KIND=WEIGHT";
    const std::string_view name = item.substr(0, equals);
    const std::string_view number = item.substr(equals + 1);
    std::size_t kind = 0;
    while (kind < request_kind_count && kind_names[kind] != name) ++kind;
    if (kind == request_kind_count) return "--mix: unknown kind '" + std::string(name) + "'";
    std::uint32_t weight = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), weight);
    if (error != std::errc{} || end != number.data() + number.size() || weight > weight_max) {
      return "--mix: weight of '" + std::string(name) + "' must be 0 to 1000000";
    }
    parsed.weights[kind] = weight;
  }
  std::uint64_t total = 0;
  for (const std::uint32_t w : parsed.weights) total += w;
  if (total == 0) return "--mix: every weight is 0";
  mix = parsed;
  return {};
}

std::string to_string(const Mix& mix) {
  std::string out;
  for (std::size_t k = 0; k < request_kind_count; ++k) {
    if (mix.weights[k] == 0) continue;
    if (!out.empty()) out += ',';
    out += std::string(kind_names[k]) + "=" + std::to_string(mix.weights[k]);
  }
  return out;
}

}  // namespace authswitch::io
