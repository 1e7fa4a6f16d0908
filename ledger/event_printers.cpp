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
#include "ledger/printed_fields.h"

namespace authswitch::ledger {

namespace {

// An unknown card's PAN was kept only as a keyed hash (core/keyed_pan.h).
std::string shown_pan(core::Pan p) {
  if (!core::is_keyed(p)) return core::mask_pan(p);
  return "keyed hash, " + std::to_string(core::pan_digit_count(p)) + " digits";
}

// A transaction key as its parts (core::make_txn_key): MTI class, 32, 7 and
// 11, the fields the received record shows, so a decision is found from its
// request by eye or by grep (`stan=822465`).
void key_fields(PrintedFields& f, std::string_view prefix, const core::TxnKey& k) {
  static constexpr std::string_view classes[] = {"unknown",  "authorization", "financial", "advice",
                                                 "reversal", "reversal_advice", "other"};
  const std::uint64_t cls = k.hi >> 40;
  const std::string p(prefix);
  f.text(p + "class", classes[cls < std::size(classes) ? cls : 0]);
  f.unsigned_number(p + "acquirer", k.hi & ((std::uint64_t{1} << 40) - 1));
  f.unsigned_number(p + "field7", k.lo >> 20);
  f.unsigned_number(p + "stan", k.lo & ((std::uint64_t{1} << 20) - 1));
}

void print(std::uint16_t type, std::span<const std::byte> payload, bool json, std::string& out) {
  PrintedFields f(out, json);
  core::Event e;
  // Without the key a card added cannot decode its PAN: its fields are read
  // without it (the PAN is never printed anyway).
  const CodecResult res = decode_event(type, payload, nullptr, e);
  if (!res.ok() && type != event_format::type_card_added) {
    f.text("error", res.error);
  } else if (type == event_format::type_card_added) {
    if (payload.size() >= event_format::card_added_fixed_bytes) {
      std::uint32_t card = 0, user = 0;
      std::memcpy(&card, payload.data() + 1, 4);
      std::memcpy(&user, payload.data() + 5, 4);
      const auto id_length = static_cast<std::size_t>(payload[event_format::card_added_fixed_bytes - 1]);
      f.number("card", card);
      f.number("user", user);
      if (event_format::card_added_fixed_bytes + id_length <= payload.size()) {
        f.text("id", std::string_view(
                         reinterpret_cast<const char*>(payload.data()) + event_format::card_added_fixed_bytes, id_length));
      }
      f.text("pan", "encrypted");
    } else {
      f.text("error", "card added: payload too short");
    }
  } else {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, core::DecisionEvent>) {
            key_fields(f, "", v.key);
            f.text("pan", shown_pan(v.content.pan));
            f.number("card", v.card == core::no_index ? -1 : static_cast<std::int64_t>(v.card));
            f.number("amount", v.content.amount);
            f.text("rc", core::response_code_text(v.rc));
            if (v.has_approval) f.text("approval", std::string_view(v.approval.data(), 6));
            f.number("stored", v.stored);
            f.number("duplicate", v.duplicate);
            f.number("hold", v.effect.hold_delta);
            f.number("balance", v.effect.balance_delta);
          } else if constexpr (std::is_same_v<T, core::ReversalEvent>) {
            key_fields(f, "", v.key);
            key_fields(f, "original_", v.original_key);
            f.text("pan", shown_pan(v.content.pan));
            f.text("rc", core::response_code_text(v.rc));
            f.number("released", v.released);
            f.number("remembered", v.remembered);
          } else if constexpr (std::is_same_v<T, core::HoldExpiredEvent>) {
            key_fields(f, "original_", v.original_key);
            f.number("released", v.released);
          } else if constexpr (std::is_same_v<T, core::LimitsSetEvent>) {
            f.text("owner", v.owner == core::LimitOwner::user ? "user" : "company");
            f.number("index", v.index);
            f.number("limits", v.limits.count);
          } else if constexpr (std::is_same_v<T, core::CardStatusEvent>) {
            f.number("card", v.card);
            f.number("status", static_cast<int>(v.status));
          } else if constexpr (std::is_same_v<T, core::BalanceAdjustedEvent>) {
            f.number("user", v.user);
            f.number("amount", v.amount);
            f.number("balance_after", v.balance_after);
          }
        },
        e);
  }
  f.finish();
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
