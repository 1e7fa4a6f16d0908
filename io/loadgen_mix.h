// What loadgen sends (SPEC 11): the kinds of request and their shares.
//
//   --mix approve=70,limit=4,unknown=3,blocked=2,duplicate=5,conflict=2,
//         reversal=5,advice=3,balance=3,echo=3          (the default)
//
// Weights are relative (they need not add up to 100); a kind left out is 0.
// What each kind is, and which answer loadgen then insists on:
//   approve    0100 purchase, 1.00 to 50.00, active card     any code; 00 carries a 6-character 38
//   limit      0100 above the user's per-transaction limit   61, 44 = USER:TRANSACTION
//   unknown    0100 on a PAN no card has (starts 9999)       14
//   blocked    0100 on a blocked, lost or stolen card        62, 41, 43
//   duplicate  0101 retransmission of an answered 0100       the first answer's 39 and 38
//   conflict   0100 with an answered 0100's key, amount + 1  94
//   reversal   0400 of an approved purchase (field 90)       00
//   advice     0120 stand-in approval                        00
//   balance    0100 balance inquiry (processing code 30)     00, with field 54 for a prepaid card
//                                                              (00 02, the card's currency, C/D, 12 digits)
//   echo       0800 network management 301                   00
// Any decision may also be 91 (the switch sheds load); an echo may not.
// A duplicate, conflict or reversal with no answered original to refer to yet
// (the first moments of a run) is sent as an approve instead.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace authswitch::io {

enum class RequestKind : std::uint8_t {
  approve, limit, unknown, blocked, duplicate, conflict, reversal, advice, balance, echo
};
inline constexpr std::size_t request_kind_count = 10;

[[nodiscard]] std::string_view to_string(RequestKind kind) noexcept;

struct Mix {
  std::array<std::uint32_t, request_kind_count> weights{70, 4, 3, 2, 5, 2, 5, 3, 3, 3};

  // The kind for a uniform random 64-bit value.
  [[nodiscard]] RequestKind pick(std::uint64_t random) const noexcept;
};

// "kind=weight,..." into `mix`; on error a message naming the bad part.
[[nodiscard]] std::string parse_mix(std::string_view text, Mix& mix);

// The mix in --mix form (for usage and the report).
[[nodiscard]] std::string to_string(const Mix& mix);

}  // namespace authswitch::io
