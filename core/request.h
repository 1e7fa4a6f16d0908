// The decision core's input and output, independent of the ISO 8583 codec.
//
// An adapter (io/ or codec/) fills an AuthRequest from a parsed message and
// builds the response message from an AuthResponse. Both are plain, fixed
// size and trivially copyable: they cross SPSC rings between threads and the
// hot path allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/pan.h"
#include "core/response_code.h"
#include "core/time_ms.h"

namespace authswitch::core {

// The MTI without its repeat digit (SPEC 3): 0101 is 0100, and so on.
enum class MtiClass : std::uint8_t {
  authorization = 1,    // 0100/0101 -> 0110
  financial = 2,        // 0200/0201 -> 0210
  advice = 3,           // 0120/0121 -> 0130
  reversal = 4,         // 0400/0401 -> 0410
  reversal_advice = 5,  // 0420/0421 -> 0430
  other = 6,            // any other request: 12
};

// 100, 101, 400... (the MTI as a number) to its class; nullopt for MTIs that
// are not requests the core serves.
[[nodiscard]] constexpr MtiClass mti_class_of(unsigned mti) noexcept {
  switch (mti) {
    case 100: case 101: return MtiClass::authorization;
    case 200: case 201: return MtiClass::financial;
    case 120: case 121: return MtiClass::advice;
    case 400: case 401: return MtiClass::reversal;
    case 420: case 421: return MtiClass::reversal_advice;
    default: return MtiClass::other;
  }
}

// Field 90: the original's MTI, STAN, field 7 and acquirer id.
struct OriginalData {
  std::uint16_t mti = 0;        // e.g. 100
  std::uint32_t stan = 0;
  std::uint32_t field7 = 0;     // MMDDhhmmss as a number
  std::uint64_t acquirer = 0;   // field 32 value (zero padding is not significant)
};

struct AuthRequest {
  // Presence of each field the rules look at (rule 1 checks the ones the MTI
  // class requires).
  enum Field : std::uint32_t {
    f2 = 1u << 0, f3 = 1u << 1, f4 = 1u << 2, f6 = 1u << 3, f7 = 1u << 4, f11 = 1u << 5,
    f14 = 1u << 6, f32 = 1u << 7, f37 = 1u << 8, f49 = 1u << 9, f90 = 1u << 10, f95 = 1u << 11,
  };
  std::uint32_t present = 0;

  MtiClass mti_class = MtiClass::authorization;
  bool repeat = false;  // 0101, 0121, ... (the key ignores it)

  std::array<char, pan_digits_max> pan_text{};  // field 2, ASCII digits
  std::uint8_t pan_length = 0;
  // set_pan's parse of the digits (digits 0: not a PAN), so that routing, the
  // prefetch stages and the decision do not each parse them again. Set the
  // PAN through set_pan only.
  Pan pan_parsed{};
  std::uint32_t processing_code = 0;  // field 3 as a number: 003000 -> 3000
  std::int64_t amount = 0;            // field 4, minor units
  bool amount_numeric = true;
  std::int64_t billing_amount = 0;    // field 6 (used instead of 4 when present)
  bool billing_numeric = true;
  std::uint16_t currency = 0;         // field 49
  std::array<char, 10> field7_text{};
  std::uint32_t field7 = 0;           // MMDDhhmmss as a number
  std::uint32_t stan = 0;             // field 11
  std::uint16_t expiry_yymm = 0;      // field 14
  std::uint64_t acquirer = 0;         // field 32 as a number
  std::array<char, 12> rrn{};         // field 37
  OriginalData original{};            // field 90
  std::int64_t actual_amount = 0;     // field 95, first 12 digits

  // The time this transaction counts at (SPEC 4): receive time, or field 7
  // with "clock": "message". Chosen by the caller.
  TimeMs txn_time_ms = 0;

  [[nodiscard]] bool has(Field f) const noexcept { return (present & f) != 0; }
  [[nodiscard]] std::string_view pan() const noexcept { return {pan_text.data(), pan_length}; }
  void set_pan(std::string_view digits) noexcept {
    pan_length = static_cast<std::uint8_t>(digits.size() < pan_digits_max ? digits.size() : pan_digits_max);
    for (std::size_t i = 0; i < pan_length; ++i) pan_text[i] = digits[i];
    present |= f2;
    const std::optional<Pan> p = parse_pan(pan());
    pan_parsed = p ? *p : Pan{};
  }
  [[nodiscard]] std::optional<Pan> parsed_pan() const noexcept {
    return pan_parsed.digits != 0 ? std::optional<Pan>(pan_parsed) : std::nullopt;
  }
  // Transaction type: the first two digits of field 3.
  [[nodiscard]] unsigned transaction_type() const noexcept { return processing_code / 10000; }
};

struct AuthResponse {
  ResponseCode rc = ResponseCode::system_error;
  Reason reason{};                           // field 44 when kind != none
  bool has_approval_code = false;
  std::array<char, 6> approval_code{};       // field 38
  bool has_available = false;                // balance inquiry: field 54
  std::int64_t available = 0;
  std::uint16_t available_currency = 0;
  bool duplicate = false;                    // answered from a stored record (metrics)

  [[nodiscard]] std::string_view approval() const noexcept {
    return has_approval_code ? std::string_view{approval_code.data(), approval_code.size()} : std::string_view{};
  }
};

}  // namespace authswitch::core
