// Text and JSON summaries of core event records, decoded with the codec (so a
// bad payload prints its decode error instead of guessing).
#include "ledger/event_printers.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "core/keyed_pan.h"
#include "core/pan.h"
#include "ledger/event_codec.h"

namespace authswitch::ledger {

namespace {

// An unknown card's PAN was kept only as a keyed hash (core/keyed_pan.h).
std::string shown_pan(core::Pan p) {
  if (!core::is_keyed(p)) return core::mask_pan(p);
  return "keyed hash, " + std::to_string(core::pan_digit_count(p)) + " digits";
}

void field(std::string& out, bool json, std::string_view key, std::string_view value, bool quoted) {
  if (json) {
    if (out.empty() || out.back() != '{') out += ',';
    out += '"';
    out += key;
    out += "\":";
    if (quoted) out += '"';
    out += value;
    if (quoted) out += '"';
  } else {
    if (!out.empty() && out.back() != ' ') out += ' ';
    out += key;
    out += '=';
    out += value;
  }
}

void num(std::string& out, bool json, std::string_view key, std::int64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%" PRId64, v);
  field(out, json, key, b, false);
}

void key(std::string& out, bool json, std::string_view name, const core::TxnKey& k) {
  char b[40];
  std::snprintf(b, sizeof b, "%016" PRIx64 ":%016" PRIx64, k.hi, k.lo);
  field(out, json, name, b, true);
}

void print(std::uint16_t type, std::span<const std::byte> payload, bool json, std::string& out) {
  const std::size_t start = out.size();
  std::string s;
  if (json) s += '{';
  core::Event e;
  // Without the key a card added cannot decode its PAN: its fields are read
  // without it (the PAN is never printed anyway).
  const CodecResult res = decode_event(type, payload, nullptr, e);
  if (!res.ok() && type != event_format::type_card_added) {
    field(s, json, "error", res.error, true);
  } else if (type == event_format::type_card_added) {
    if (payload.size() >= event_format::card_added_fixed_bytes) {
      std::uint32_t card = 0, user = 0;
      std::memcpy(&card, payload.data() + 1, 4);
      std::memcpy(&user, payload.data() + 5, 4);
      const auto id_length = static_cast<std::size_t>(payload[event_format::card_added_fixed_bytes - 1]);
      num(s, json, "card", card);
      num(s, json, "user", user);
      if (event_format::card_added_fixed_bytes + id_length <= payload.size()) {
        field(s, json, "id",
              std::string_view(reinterpret_cast<const char*>(payload.data()) + event_format::card_added_fixed_bytes,
                               id_length),
              true);
      }
      field(s, json, "pan", "encrypted", true);
    } else {
      field(s, json, "error", "card added: payload too short", true);
    }
  } else {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, core::DecisionEvent>) {
            key(s, json, "key", v.key);
            field(s, json, "pan", shown_pan(v.content.pan), true);
            num(s, json, "card", v.card == core::no_index ? -1 : static_cast<std::int64_t>(v.card));
            num(s, json, "amount", v.content.amount);
            field(s, json, "rc", core::response_code_text(v.rc), true);
            if (v.has_approval) field(s, json, "approval", std::string_view(v.approval.data(), 6), true);
            num(s, json, "stored", v.stored);
            num(s, json, "duplicate", v.duplicate);
            num(s, json, "hold", v.effect.hold_delta);
            num(s, json, "balance", v.effect.balance_delta);
          } else if constexpr (std::is_same_v<T, core::ReversalEvent>) {
            key(s, json, "key", v.key);
            key(s, json, "original", v.original_key);
            field(s, json, "pan", shown_pan(v.content.pan), true);
            field(s, json, "rc", core::response_code_text(v.rc), true);
            num(s, json, "released", v.released);
            num(s, json, "remembered", v.remembered);
          } else if constexpr (std::is_same_v<T, core::HoldExpiredEvent>) {
            key(s, json, "original", v.original_key);
            num(s, json, "released", v.released);
          } else if constexpr (std::is_same_v<T, core::LimitsSetEvent>) {
            field(s, json, "owner", v.owner == core::LimitOwner::user ? "user" : "company", true);
            num(s, json, "index", v.index);
            num(s, json, "limits", v.limits.count);
          } else if constexpr (std::is_same_v<T, core::CardStatusEvent>) {
            num(s, json, "card", v.card);
            num(s, json, "status", static_cast<int>(v.status));
          } else if constexpr (std::is_same_v<T, core::BalanceAdjustedEvent>) {
            num(s, json, "user", v.user);
            num(s, json, "amount", v.amount);
            num(s, json, "balance_after", v.balance_after);
          }
        },
        e);
  }
  if (json) s += '}';
  out.insert(start, s);
}

template <std::uint16_t Type>
void print_type(std::span<const std::byte> payload, bool json, std::string& out) {
  print(Type, payload, json, out);
}

}  // namespace

void register_core_event_types(RecordRegistry& registry) {
  namespace f = event_format;
  (void)registry.add(f::type_decision, "decision", &print_type<f::type_decision>);
  (void)registry.add(f::type_reversal, "reversal", &print_type<f::type_reversal>);
  (void)registry.add(f::type_hold_expired, "hold_expired", &print_type<f::type_hold_expired>);
  (void)registry.add(f::type_limits_set, "limits_set", &print_type<f::type_limits_set>);
  (void)registry.add(f::type_card_status, "card_status", &print_type<f::type_card_status>);
  (void)registry.add(f::type_card_added, "card_added", &print_type<f::type_card_added>);
  (void)registry.add(f::type_balance_adjusted, "balance_adjusted", &print_type<f::type_balance_adjusted>);
}

}  // namespace authswitch::ledger
