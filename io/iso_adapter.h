// Between the wire and the core: an unpacked ISO 8583 message becomes a
// core::AuthRequest, and a core::AuthResponse becomes the response's fields.
//
// Runs on an io thread for every message: no heap, no locks. Both directions
// work on the fields' text form (codec/text.h), so they serve every dialect;
// for the built-in iso87-ascii the text is the wire bytes and nothing is
// copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "codec/dialect.h"
#include "codec/error.h"
#include "codec/field_values.h"
#include "codec/message_view.h"
#include "core/request.h"
#include "core/time_ms.h"

namespace authswitch::io {

// What kind of message an MTI names (its third digit is the function).
enum class MessageKind : std::uint8_t {
  request,             // function 0 or 2 (request, advice): gets an answer
  network_management,  // 0800: the io loop answers it itself
  response,            // function 1 or 3: a response (ours: 0810; else stray, recorded and dropped)
  other,               // notifications, acknowledgements: recorded and dropped
};
[[nodiscard]] MessageKind message_kind(std::string_view mti) noexcept;

// The response MTI of a request MTI: function digit + 1, repeat flag
// cleared (0100 and 0101 -> 0110, 0420 -> 0430, 0300 -> 0310).
[[nodiscard]] std::array<char, 4> response_mti(std::string_view request_mti) noexcept;

// Field 7 (MMDDhhmmss, UTC) as a time: the year is the one that puts it
// nearest to `now` (SPEC 4, "clock": "message"). nullopt for an impossible
// date or time (month 13, 31 April, 25 o'clock, ...).
[[nodiscard]] std::optional<core::TimeMs> field7_time_ms(std::uint32_t mmddhhmmss, core::TimeMs now) noexcept;

enum class ReadStatus : std::uint8_t {
  ok,
  format_error,  // a field the core reads holds text it cannot read: answer 30
};

// Fills `out` from a message that unpacked cleanly. `txn_time_ms` is what the
// caller's clock policy chose (receive time, or field 7). Presence of the
// fields the MTI class requires is for the core to judge (rule 1).
[[nodiscard]] ReadStatus read_request(const codec::Dialect& dialect, const codec::MessageView& view,
                                      core::TimeMs txn_time_ms, core::AuthRequest& out) noexcept;

// The fields of a message whose unpack failed with `error` that are still
// trustworthy: those the codec located before a fault of structure, less any
// with a bad character (MessageView::readable_after_error). Used to answer 30
// echoing 7, 11 and 32 when the MTI and STAN are readable (SPEC 9), and to
// drop the message otherwise.
[[nodiscard]] bool field_readable_after_error(const codec::MessageView& view, const codec::CodecError& error,
                                              int field) noexcept;

// Text that a response's FieldValues point into: it must outlive pack().
// One per in-flight response; plain arrays, reused.
struct ResponseText {
  static constexpr std::size_t echo_chars_max = 20;  // the longest echoed field is 2 (n..19)
  std::array<char, 4> mti{};
  std::array<char, 2> rc{};
  std::array<char, 6> approval{};
  std::array<char, 20> amounts{};  // field 54: 00 02 CCC C|D 12 digits
  std::array<std::array<char, echo_chars_max>, 12> echo{};
};

// Fields every response echoes from its request when present (SPEC 2).
inline constexpr std::array<int, 12> echoed_fields = {2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49};

// The response to `request`: its MTI, the echoed fields (only those
// readable, per `readable`), and 39 = `rc`. Adds nothing else; the caller
// adds 38, 44 and 54 (or calls build_response).
void build_reply(const codec::Dialect& dialect, const codec::MessageView& request, std::string_view rc,
                 ResponseText& text, codec::FieldValues& out,
                 const codec::CodecError* unpack_error = nullptr) noexcept;

// The whole answer to a decided request: build_reply plus 38 on approval, 44
// with the reason, 54 with the available balance of a balance inquiry.
void build_response(const codec::Dialect& dialect, const codec::MessageView& request,
                    const core::AuthResponse& response, ResponseText& text, codec::FieldValues& out) noexcept;

// A request's MTI and echoed fields copied out of the receive buffer, which
// the next frames reuse: the decision comes back from another thread later,
// and its response is built from this. Fixed size (~270 bytes), one per
// in-flight request, preallocated. Holds field 2 in memory only, never logged.
struct EchoCapture {
  std::array<char, 4> mti{};
  std::uint16_t present = 0;  // bit i: echoed_fields[i] captured
  std::array<std::uint8_t, echoed_fields.size()> length{};
  std::array<std::array<char, ResponseText::echo_chars_max>, echoed_fields.size()> text{};
};

// Copies `request`'s MTI and echoed fields (only the readable ones when
// `unpack_error` is given).
void capture_echo(const codec::Dialect& dialect, const codec::MessageView& request, EchoCapture& out,
                  const codec::CodecError* unpack_error = nullptr) noexcept;

// The captured text of echoed field `field`; nullopt when not captured.
[[nodiscard]] std::optional<std::string_view> echoed_text(const EchoCapture& capture, int field) noexcept;

// Digits to a number; nullopt on anything but 1..19 ASCII digits.
[[nodiscard]] std::optional<std::uint64_t> parse_digits(std::string_view s) noexcept;

// build_reply / build_response from a capture: `out` points into `capture`
// and `text`, which must outlive pack().
void build_reply(const EchoCapture& capture, std::string_view rc, ResponseText& text,
                 codec::FieldValues& out) noexcept;
void build_response(const EchoCapture& capture, const core::AuthResponse& response, ResponseText& text,
                    codec::FieldValues& out) noexcept;

}  // namespace authswitch::io
