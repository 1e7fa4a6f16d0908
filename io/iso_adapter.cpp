#include "io/iso_adapter.h"

#include <date/date.h>

#include <chrono>
#include <optional>
#include <span>

#include "codec/text.h"
#include "core/assert.h"
#include "core/response_code.h"

namespace authswitch::io {
namespace {

void copy_text(std::string_view from, char* to, std::size_t capacity) noexcept {
  const std::size_t n = from.size() < capacity ? from.size() : capacity;
  for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
}

}  // namespace

std::optional<std::uint64_t> parse_digits(std::string_view s) noexcept {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<std::string_view> echoed_text(const EchoCapture& capture, int field) noexcept {
  for (std::size_t i = 0; i < echoed_fields.size(); ++i) {
    if (echoed_fields[i] != field) continue;
    if ((capture.present & (1u << i)) == 0) return std::nullopt;
    return std::string_view(capture.text[i].data(), capture.length[i]);
  }
  return std::nullopt;
}

MessageKind message_kind(std::string_view mti) noexcept {
  if (mti.size() != 4) return MessageKind::other;
  if (mti == "0800" || mti == "0801") return MessageKind::network_management;
  switch (mti[2]) {
    case '0': case '2': return MessageKind::request;
    case '1': case '3': return MessageKind::response;
    default: return MessageKind::other;
  }
}

std::array<char, 4> response_mti(std::string_view request_mti) noexcept {
  AS_ASSERT(request_mti.size() == 4);
  std::array<char, 4> out{request_mti[0], request_mti[1], request_mti[2], request_mti[3]};
  out[2] = static_cast<char>(out[2] + 1);
  out[3] = static_cast<char>('0' + ((out[3] - '0') & ~1));
  return out;
}

std::optional<core::TimeMs> field7_time_ms(std::uint32_t mmddhhmmss, core::TimeMs now) noexcept {
  using namespace std::chrono;
  const unsigned month = mmddhhmmss / 100'000'000u;
  const unsigned day = mmddhhmmss / 1'000'000u % 100u;
  const unsigned hour = mmddhhmmss / 10'000u % 100u;
  const unsigned minute = mmddhhmmss / 100u % 100u;
  const unsigned second = mmddhhmmss % 100u;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const auto now_day = date::floor<date::days>(sys_time<milliseconds>{milliseconds{now}});
  const int year = static_cast<int>(date::year_month_day{now_day}.year());
  std::optional<core::TimeMs> best;
  core::TimeMs best_distance = 0;
  // 29 February exists only in some of the three candidate years.
  for (int y = year - 1; y <= year + 1; ++y) {
    const date::year_month_day ymd{date::year{y}, date::month{month}, date::day{day}};
    if (!ymd.ok()) continue;
    const auto t = date::sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second};
    const core::TimeMs ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    const core::TimeMs distance = ms > now ? ms - now : now - ms;
    if (!best || distance < best_distance) {
      best = ms;
      best_distance = distance;
    }
  }
  return best;
}

ReadStatus read_request(const codec::Dialect& dialect, const codec::MessageView& view, core::TimeMs txn_time_ms,
                        core::AuthRequest& out) noexcept {
  using F = core::AuthRequest;
  out = core::AuthRequest{};
  std::array<char, 64> buf{};
  // A field-spec dialect may give a field the core reads (at most 42
  // characters in SPEC 1's table) more room than `buf`: such a value reads
  // as empty and makes the message a format error, never a decode past the
  // buffer's end.
  bool too_long = false;
  const auto text = [&](int field) -> std::string_view {
    if (const std::optional<std::string_view> t = codec::field_text_within(dialect, view, field, buf)) return *t;
    too_long = too_long || view.has(field);
    return {};
  };

  const std::string_view mti = view.mti();
  const unsigned mti_number = static_cast<unsigned>(parse_digits(mti).value_or(0));
  out.mti_class = core::mti_class_of(mti_number);
  out.repeat = (mti_number % 2) == 1;
  out.txn_time_ms = txn_time_ms;

  if (view.has(2)) {
    const std::string_view pan = text(2);
    if (pan.size() > core::pan_digits_max || !parse_digits(pan)) return ReadStatus::format_error;
    out.set_pan(pan);
  }
  if (view.has(3)) {
    const auto v = parse_digits(text(3));
    if (!v || text(3).size() != 6) return ReadStatus::format_error;
    out.processing_code = static_cast<std::uint32_t>(*v);
    out.present |= F::f3;
  }
  if (view.has(4)) {
    const auto v = parse_digits(text(4));
    out.amount_numeric = v.has_value();
    out.amount = static_cast<std::int64_t>(v.value_or(0));
    out.present |= F::f4;
  }
  if (view.has(6)) {
    const auto v = parse_digits(text(6));
    out.billing_numeric = v.has_value();
    out.billing_amount = static_cast<std::int64_t>(v.value_or(0));
    out.present |= F::f6;
  }
  if (view.has(7)) {
    const std::string_view t = text(7);
    const auto v = parse_digits(t);
    if (!v || t.size() != out.field7_text.size()) return ReadStatus::format_error;
    copy_text(t, out.field7_text.data(), out.field7_text.size());
    out.field7 = static_cast<std::uint32_t>(*v);
    if (!field7_time_ms(out.field7, txn_time_ms)) return ReadStatus::format_error;
    out.present |= F::f7;
  }
  if (view.has(11)) {
    const auto v = parse_digits(text(11));
    if (!v) return ReadStatus::format_error;
    out.stan = static_cast<std::uint32_t>(*v);
    out.present |= F::f11;
  }
  if (view.has(14)) {
    const auto v = parse_digits(text(14));
    if (!v) return ReadStatus::format_error;
    out.expiry_yymm = static_cast<std::uint16_t>(*v);
    out.present |= F::f14;
  }
  if (view.has(32)) {
    const auto v = parse_digits(text(32));
    if (!v) return ReadStatus::format_error;
    out.acquirer = *v;
    out.present |= F::f32;
  }
  if (view.has(37)) {
    copy_text(text(37), out.rrn.data(), out.rrn.size());
    out.present |= F::f37;
  }
  if (view.has(49)) {
    const auto v = parse_digits(text(49));
    if (!v || *v > 999) return ReadStatus::format_error;
    out.currency = static_cast<std::uint16_t>(*v);
    out.present |= F::f49;
  }
  if (view.has(90)) {
    // MTI(4) STAN(6) field 7(10) acquirer id(11) forwarding id(11).
    const std::string_view t = text(90);
    if (t.size() != 42 || !parse_digits(t.substr(0, 19)) || !parse_digits(t.substr(19, 19)) ||
        !parse_digits(t.substr(38))) {
      return ReadStatus::format_error;
    }
    out.original.mti = static_cast<std::uint16_t>(*parse_digits(t.substr(0, 4)));
    out.original.stan = static_cast<std::uint32_t>(*parse_digits(t.substr(4, 6)));
    out.original.field7 = static_cast<std::uint32_t>(*parse_digits(t.substr(10, 10)));
    out.original.acquirer = *parse_digits(t.substr(20, 11));
    out.present |= F::f90;
  }
  if (view.has(95)) {
    const std::string_view t = text(95);
    const auto v = t.size() >= 12 ? parse_digits(t.substr(0, 12)) : std::nullopt;
    if (!v) return ReadStatus::format_error;
    out.actual_amount = static_cast<std::int64_t>(*v);
    out.present |= F::f95;
  }
  return too_long ? ReadStatus::format_error : ReadStatus::ok;
}

bool field_readable_after_error(const codec::MessageView& view, const codec::CodecError& error, int field) noexcept {
  if (error.ok()) return view.has(field);
  return view.readable_after_error(field);
}

void build_reply(const codec::Dialect& dialect, const codec::MessageView& request, std::string_view rc,
                 ResponseText& text, codec::FieldValues& out, const codec::CodecError* unpack_error) noexcept {
  AS_ASSERT(rc.size() == 2);
  out.clear_all();
  text.mti = response_mti(request.mti());
  out.set_mti({text.mti.data(), text.mti.size()});
  for (std::size_t i = 0; i < echoed_fields.size(); ++i) {
    const int field = echoed_fields[i];
    const bool readable = unpack_error == nullptr ? request.has(field)
                                                  : field_readable_after_error(request, *unpack_error, field);
    if (!readable || request.length(field) > ResponseText::echo_chars_max) continue;
    out.set(field, codec::field_text(dialect, request, field, text.echo[i]));
  }
  text.rc = {rc[0], rc[1]};
  out.set(39, {text.rc.data(), text.rc.size()});
}

namespace {

// 38, 44 and 54 of a decided request.
void add_decision_fields(const core::AuthResponse& response, ResponseText& text, codec::FieldValues& out) noexcept {
  if (response.has_approval_code) {
    text.approval = response.approval_code;
    out.set(38, {text.approval.data(), text.approval.size()});
  }
  const std::string_view reason = core::reason_text(response.reason);
  if (!reason.empty()) out.set(44, reason);  // static text: lives as long as the program
  if (response.has_available) {
    // One additional-amounts block: account type 00, amount type 02 (available
    // balance), currency, C or D, 12 digits.
    auto& a = text.amounts;
    a[0] = '0'; a[1] = '0'; a[2] = '0'; a[3] = '2';
    unsigned cur = response.available_currency;
    for (int i = 6; i >= 4; --i) { a[static_cast<std::size_t>(i)] = static_cast<char>('0' + cur % 10); cur /= 10; }
    a[7] = response.available < 0 ? 'D' : 'C';
    std::uint64_t v = static_cast<std::uint64_t>(response.available < 0 ? -response.available : response.available);
    for (int i = 19; i >= 8; --i) { a[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10); v /= 10; }
    out.set(54, {a.data(), a.size()});
  }
}


}  // namespace

void build_response(const codec::Dialect& dialect, const codec::MessageView& request,
                    const core::AuthResponse& response, ResponseText& text, codec::FieldValues& out) noexcept {
  build_reply(dialect, request, core::response_code_text(response.rc), text, out);
  add_decision_fields(response, text, out);
}

void capture_echo(const codec::Dialect& dialect, const codec::MessageView& request, EchoCapture& out,
                  const codec::CodecError* unpack_error) noexcept {
  const std::string_view mti = request.mti();
  AS_ASSERT(mti.size() == 4);
  out.mti = {mti[0], mti[1], mti[2], mti[3]};
  out.present = 0;
  for (std::size_t i = 0; i < echoed_fields.size(); ++i) {
    const int field = echoed_fields[i];
    const bool readable = unpack_error == nullptr ? request.has(field)
                                                  : field_readable_after_error(request, *unpack_error, field);
    if (!readable || request.length(field) > ResponseText::echo_chars_max) continue;
    const std::string_view t = codec::field_text(dialect, request, field, out.text[i]);
    if (t.size() > ResponseText::echo_chars_max) continue;
    // field_text returns the wire bytes for ascii content: copy them, the
    // receive buffer is reused.
    if (t.data() != out.text[i].data()) copy_text(t, out.text[i].data(), t.size());
    out.length[i] = static_cast<std::uint8_t>(t.size());
    out.present = static_cast<std::uint16_t>(out.present | (1u << i));
  }
}

void build_reply(const EchoCapture& capture, std::string_view rc, ResponseText& text,
                 codec::FieldValues& out) noexcept {
  AS_ASSERT(rc.size() == 2);
  out.clear_all();
  text.mti = response_mti({capture.mti.data(), capture.mti.size()});
  out.set_mti({text.mti.data(), text.mti.size()});
  for (std::size_t i = 0; i < echoed_fields.size(); ++i) {
    if ((capture.present & (1u << i)) == 0) continue;
    out.set(echoed_fields[i], {capture.text[i].data(), capture.length[i]});
  }
  text.rc = {rc[0], rc[1]};
  out.set(39, {text.rc.data(), text.rc.size()});
}

void build_response(const EchoCapture& capture, const core::AuthResponse& response, ResponseText& text,
                    codec::FieldValues& out) noexcept {
  build_reply(capture, core::response_code_text(response.rc), text, out);
  add_decision_fields(response, text, out);
}

}  // namespace authswitch::io
