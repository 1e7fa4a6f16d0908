#include "core/response_code.h"

#include <array>

namespace authswitch::core {

namespace {

constexpr std::array<std::string_view, response_code_count> codes = {
    "00", "05", "12", "13", "14", "25", "30", "41", "43", "51", "54", "61", "62", "91", "94", "96"};

constexpr std::array<std::string_view, period_kind_count> user_limits = {
    "USER:TRANSACTION", "USER:DAILY", "USER:WEEKLY", "USER:MONTHLY", "USER:TOTAL"};
constexpr std::array<std::string_view, period_kind_count> company_limits = {
    "COMPANY:TRANSACTION", "COMPANY:DAILY", "COMPANY:WEEKLY", "COMPANY:MONTHLY", "COMPANY:TOTAL"};

}  // namespace

std::string_view response_code_text(ResponseCode rc) noexcept { return codes[static_cast<std::size_t>(rc)]; }

std::string_view reason_text(const Reason& r) noexcept {
  switch (r.kind) {
    case Reason::Kind::none:
      return "";
    case Reason::Kind::reversed:
      return "REVERSED";
    case Reason::Kind::original_not_found:
      return "ORIGINAL NOT FOUND";
    case Reason::Kind::limit:
      return (r.owner == LimitOwner::user ? user_limits : company_limits)[static_cast<std::size_t>(r.period)];
  }
  return "";
}

}  // namespace authswitch::core
