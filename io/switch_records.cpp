#include "io/switch_records.h"

#include <cstring>
#include <optional>
#include <type_traits>

#include "core/constants.h"
#include "ledger/pan_mask.h"
#include "ledger/printed_fields.h"
#include "ledger/record_registry.h"

namespace authswitch::io {
namespace {

static_assert(std::is_trivially_copyable_v<ReceivedRecord> && sizeof(ReceivedRecord) <= constants::wal_payload_bytes_max);
static_assert(offsetof(ReceivedRecord, acquirer) == received_record_v1_fields);

template <std::size_t N>
void copy_text(std::string_view text, std::array<char, N>& out, std::uint16_t& present, std::uint16_t bit) noexcept {
  if (text.empty()) return;
  for (std::size_t i = 0; i < N && i < text.size(); ++i) out[i] = text[i];
  present = static_cast<std::uint16_t>(present | bit);
}

template <typename T>
void copy_number(std::string_view text, T& out, std::uint16_t& present, std::uint16_t bit) noexcept {
  const std::optional<std::uint64_t> v = parse_digits(text);
  if (!v) return;
  out = static_cast<T>(*v);
  present = static_cast<std::uint16_t>(present | bit);
}

// A fixed char field up to its first zero byte.
template <std::size_t N>
std::string_view shown(const std::array<char, N>& a) {
  const void* zero = std::memchr(a.data(), 0, N);
  return {a.data(), zero == nullptr ? N : static_cast<std::size_t>(static_cast<const char*>(zero) - a.data())};
}

void too_short(std::span<const std::byte> payload, ledger::PrintedFields& f) {
  f.text("error", "payload too short");
  f.unsigned_number("length", payload.size());
}

void print_place(ledger::PrintedFields& f, std::uint16_t link, std::uint16_t connection) {
  f.unsigned_number("link", link);
  f.unsigned_number("connection", connection);
}

// A record of fixed size: `fields` prints it, or the payload is too short.
template <typename Record, typename Fields>
void print_fixed(std::span<const std::byte> payload, bool json, std::string& out, Fields fields) {
  ledger::PrintedFields f(out, json);
  Record r;
  if (payload.size() < sizeof r) {
    too_short(payload, f);
  } else {
    std::memcpy(&r, payload.data(), sizeof r);
    fields(f, r);
  }
  f.finish();
}

void print_link(std::span<const std::byte> payload, bool json, std::string& out) {
  print_fixed<LinkRecord>(payload, json, out, [](ledger::PrintedFields& f, const LinkRecord& r) {
    print_place(f, r.link, r.connection);
    f.unsigned_number("peer_port", r.peer_port);
  });
}

void print_inflight(ledger::PrintedFields& f, std::uint32_t inflight) {
  if (inflight == answered_by_loop) {
    f.text("inflight", "by_loop");
  } else {
    f.unsigned_number("inflight", inflight);
  }
}

void print_received(std::span<const std::byte> payload, bool json, std::string& out) {
  ledger::PrintedFields f(out, json);
  ReceivedRecord r;
  if (payload.size() < received_record_v1_fields) {
    too_short(payload, f);
    f.finish();
    return;
  }
  // A first build's record is shorter: the fields it lacks stay zero (its
  // last 8 bytes, where acquirer now is, were kept zero).
  std::memcpy(&r, payload.data(), payload.size() < sizeof r ? payload.size() : sizeof r);
  const bool v1 = payload.size() < sizeof r;
  print_place(f, r.link, r.connection);
  print_inflight(f, r.inflight);
  f.text("mti", shown(r.mti));
  // A first build's record has no presence bits: its numbers print as read.
  if (v1 || (r.present & received_stan) != 0) f.unsigned_number("stan", r.stan);
  if (v1 || (r.present & received_field7) != 0) f.unsigned_number("field7", r.field7);
  if (v1 || (r.present & received_amount) != 0) f.number("amount", r.amount);
  if ((r.present & received_currency) != 0) f.unsigned_number("currency", r.currency);
  if (r.pan_length > 0) f.text("pan", shown(r.masked_pan));
  if ((r.present & received_acquirer) != 0) f.unsigned_number("acquirer", r.acquirer);
  if ((r.present & received_rrn) != 0) f.text("rrn", shown(r.rrn));
  if ((r.present & received_terminal) != 0) f.text("terminal", shown(r.terminal));
  f.finish();
}

void print_written(std::span<const std::byte> payload, bool json, std::string& out) {
  print_fixed<WrittenRecord>(payload, json, out, [](ledger::PrintedFields& f, const WrittenRecord& r) {
    print_place(f, r.link, r.connection);
    print_inflight(f, r.inflight);
    f.text("mti", shown(r.mti));
    f.unsigned_number("stan", r.stan);
    f.text("rc", shown(r.rc));
    if (r.approval[0] != 0) f.text("approval", shown(r.approval));
  });
}

void print_dropped(std::span<const std::byte> payload, bool json, std::string& out) {
  print_fixed<DroppedRecord>(payload, json, out, [](ledger::PrintedFields& f, const DroppedRecord& r) {
    print_place(f, r.link, r.connection);
    f.text("mti", shown(r.mti));
    static constexpr std::string_view reasons[] = {"unknown", "stray_response", "unreadable_mti_or_stan",
                                                   "not_a_request"};
    f.text("reason", reasons[r.reason < std::size(reasons) ? r.reason : 0]);
  });
}

}  // namespace

void mask_into(std::string_view pan, std::array<char, 19>& out, std::uint8_t& length) noexcept {
  const ledger::MaskedPan m = ledger::mask_pan(pan);
  for (std::size_t i = 0; i < m.length; ++i) out[i] = m.chars[i];
  length = static_cast<std::uint8_t>(m.length);
}

ReceivedRecord received_record(const EchoCapture& echo, std::uint16_t link, std::uint16_t connection,
                               std::uint32_t inflight) noexcept {
  ReceivedRecord r;
  r.link = link;
  r.connection = connection;
  r.inflight = inflight;
  r.mti = echo.mti;
  // One pass over what was captured, not a lookup per field: this runs for
  // every request read.
  for (std::size_t i = 0; i < echoed_fields.size(); ++i) {
    if ((echo.present & (1u << i)) == 0) continue;
    const std::string_view text(echo.text[i].data(), echo.length[i]);
    switch (echoed_fields[i]) {
      case 2: mask_into(text, r.masked_pan, r.pan_length); break;
      case 4: copy_number(text, r.amount, r.present, received_amount); break;
      case 7: copy_number(text, r.field7, r.present, received_field7); break;
      case 11: copy_number(text, r.stan, r.present, received_stan); break;
      case 32: copy_number(text, r.acquirer, r.present, received_acquirer); break;
      case 37: copy_text(text, r.rrn, r.present, received_rrn); break;
      case 41: copy_text(text, r.terminal, r.present, received_terminal); break;
      case 49: copy_number(text, r.currency, r.present, received_currency); break;
      default: break;
    }
  }
  return r;
}

void register_switch_record_types() {
  ledger::RecordRegistry& registry = ledger::wal_record_registry();
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::link_up), "link_up", &print_link);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::link_down), "link_down", &print_link);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::signed_on), "signed_on", &print_link);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::received), "received", &print_received);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::response_written), "response_written",
                     &print_written);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::dropped), "dropped", &print_dropped);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::out_of_step), "out_of_step", &print_link);
}

}  // namespace authswitch::io
