// The core event codec: every event type round-trips with random (seeded)
// field values; every decode error branch fires on a payload changed in one
// place, with its own message.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/keyed_pan.h"
#include "ledger/event_codec.h"
#include "ledger/pan_cipher.h"

namespace authswitch::ledger {
namespace {

using namespace authswitch::core;
namespace ef = event_format;
using Buffer = std::array<std::byte, ef::payload_bytes_max>;

PanKey test_key() {
  PanKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(i * 7 + 1);
  return k;
}

std::vector<std::byte> encode(const Event& e, const PanCipher* cipher, std::uint32_t card = no_index) {
  Buffer b;
  EncodedEvent enc;
  const CodecResult r = encode_event(e, card, cipher, b, enc);
  EXPECT_TRUE(r.ok()) << r.error;
  return {b.begin(), b.begin() + static_cast<std::ptrdiff_t>(enc.bytes)};
}

std::uint16_t type_of(const Event& e) {
  static constexpr std::uint16_t types[] = {ef::type_decision,    ef::type_reversal,    ef::type_hold_expired,
                                            ef::type_limits_set,  ef::type_card_status, ef::type_card_added,
                                            ef::type_balance_adjusted};
  return types[e.index()];
}

struct Random {
  std::mt19937_64 rng;
  explicit Random(std::uint64_t seed) : rng(seed) {}
  std::uint64_t u(std::uint64_t n) { return rng() % n; }
  std::int64_t i64() { return static_cast<std::int64_t>(rng()); }
  TxnKey key() { return TxnKey{(u(6) + 1) << 40 | u(1ull << 37), rng() >> 1}; }
  Pan pan() {
    const auto digits = static_cast<std::uint8_t>(12 + u(8));
    std::uint64_t v = 1 + u(9);
    for (int i = 1; i < digits; ++i) v = v * 10 + u(10);
    return Pan{v, digits};
  }
  TxnContent content() {
    return TxnContent{u(5) == 0 ? Pan{} : pan(), static_cast<std::uint32_t>(u(1000000)), i64(),
                      static_cast<std::uint16_t>(u(1000)), u(2) == 0};
  }
  Reason reason() {
    return Reason{static_cast<Reason::Kind>(u(4)), static_cast<LimitOwner>(u(2)), static_cast<PeriodKind>(u(5))};
  }
  Effect effect() {
    Effect e;
    e.user = static_cast<std::uint32_t>(u(1000));
    e.hold_delta = i64();
    e.balance_delta = i64();
    e.delta_count = static_cast<std::uint8_t>(u(constants::slots_per_decision_max + 1));
    for (std::size_t i = 0; i < e.delta_count; ++i) {
      e.deltas[i] = SlotDelta{static_cast<LimitOwner>(u(2)), static_cast<std::uint8_t>(u(4)), i64(), i64()};
    }
    return e;
  }
  std::uint8_t text(std::array<char, constants::account_id_bytes_max>& out, std::size_t min) {
    const std::size_t n = min + u(constants::account_id_bytes_max + 1 - min);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + u(26));
    return static_cast<std::uint8_t>(n);
  }
};

Event random_event(Random& r, std::size_t kind) {
  switch (kind) {
    case 0: {
      DecisionEvent d;
      d.key = r.key();
      d.mti_class = static_cast<MtiClass>(1 + r.u(6));
      d.content = r.content();
      d.card = r.u(4) == 0 ? no_index : static_cast<std::uint32_t>(r.u(1u << 30));
      d.txn_time = r.i64();
      d.rc = static_cast<ResponseCode>(r.u(response_code_count));
      d.reason = r.reason();
      d.has_approval = r.u(2) == 0;
      if (d.has_approval) {
        for (char& c : d.approval) c = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r.u(36)];
      }
      d.stored = r.u(2) == 0;
      d.duplicate = r.u(2) == 0;
      d.took_remembered = r.u(2) == 0;
      d.has_available = r.u(2) == 0;
      if (d.has_available) d.available = r.i64();
      d.effect_kind = static_cast<EffectKind>(r.u(3));
      d.effect_amount = r.i64();
      d.effect = r.effect();
      return d;
    }
    case 1: {
      ReversalEvent v;
      v.key = r.key();
      v.mti_class = static_cast<MtiClass>(1 + r.u(6));
      v.content = r.content();
      v.txn_time = r.i64();
      v.original_key = r.key();
      v.rc = static_cast<ResponseCode>(r.u(response_code_count));
      v.reason = r.reason();
      v.stored = r.u(2) == 0;
      v.duplicate = r.u(2) == 0;
      v.original_found = r.u(2) == 0;
      v.remembered = r.u(2) == 0;
      v.released = r.i64();
      v.effect = r.effect();
      return v;
    }
    case 2:
      return HoldExpiredEvent{r.key(), r.i64(), r.i64(), r.effect()};
    case 3: {
      LimitsSetEvent l;
      l.owner = static_cast<LimitOwner>(r.u(2));
      l.index = static_cast<std::uint32_t>(r.rng());
      l.limits.count = static_cast<std::uint8_t>(r.u(constants::limits_per_owner_max + 1));
      for (std::size_t i = 0; i < l.limits.count; ++i) {
        l.limits.items[i] = Limit{LimitSpec{static_cast<PeriodKind>(r.u(5)), static_cast<std::uint8_t>(1 + r.u(7)),
                                            static_cast<std::uint8_t>(r.u(29)),
                                            static_cast<std::uint16_t>(r.u(24 * 60))},
                                  static_cast<std::int64_t>(r.rng() >> 1)};
      }
      return l;
    }
    case 4:
      return CardStatusEvent{static_cast<std::uint32_t>(r.rng()), static_cast<CardStatus>(r.u(4))};
    case 5: {
      CardAddedEvent c;
      c.card = static_cast<std::uint32_t>(r.rng());
      c.id_length = r.text(c.id, 1);
      c.pan = r.pan();
      c.user = static_cast<std::uint32_t>(r.rng());
      c.expiry_yymm = static_cast<std::uint16_t>(r.u(100) * 100 + 1 + r.u(12));
      c.status = static_cast<CardStatus>(r.u(4));
      c.currency = static_cast<std::uint16_t>(r.u(1000));
      return c;
    }
    default: {
      BalanceAdjustedEvent b;
      b.user = static_cast<std::uint32_t>(r.rng());
      b.amount = r.i64();
      b.balance_after = r.i64();
      b.idempotency_key_length = r.text(b.idempotency_key, 0);
      b.body_hash = r.rng();
      return b;
    }
  }
}

TEST(EventCodec, EveryEventTypeRoundTripsWithRandomFields) {
  const PanCipher cipher(test_key());
  Random r(20261123);
  for (int i = 0; i < 7 * 400; ++i) {
    const std::size_t kind = static_cast<std::size_t>(i % 7);
    const Event e = random_event(r, kind);
    const std::uint32_t card = static_cast<std::uint32_t>(r.rng());
    const std::vector<std::byte> bytes = encode(e, &cipher, card);
    ASSERT_LE(bytes.size(), ef::payload_bytes_max);
    Event back;
    std::uint32_t card_back = 0;
    const CodecResult res = decode_event(type_of(e), bytes, &cipher, back, &card_back);
    ASSERT_TRUE(res.ok()) << res.error << " kind " << kind;
    ASSERT_EQ(back.index(), e.index());
    if (kind == 5) {
      // The encrypted PAN differs each time (random nonce): compare fields.
      const auto& a = std::get<CardAddedEvent>(e);
      const auto& b = std::get<CardAddedEvent>(back);
      EXPECT_EQ(b.pan, a.pan);  // through the cipher only
      EXPECT_EQ(b.card, a.card);
      EXPECT_EQ(b.user, a.user);
      EXPECT_EQ(std::string_view(b.id.data(), b.id_length), std::string_view(a.id.data(), a.id_length));
      EXPECT_EQ(b.expiry_yymm, a.expiry_yymm);
      EXPECT_EQ(b.status, a.status);
      EXPECT_EQ(b.currency, a.currency);
      continue;
    }
    // Every stored field survives: encoding the decoded event gives the same bytes.
    EXPECT_EQ(encode(back, &cipher, card_back), bytes) << "kind " << kind;
    if (kind == 0) {
      const auto& a = std::get<DecisionEvent>(e);
      const auto& b = std::get<DecisionEvent>(back);
      EXPECT_EQ(b.content.pan, masked_pan_value(a.content.pan));
      EXPECT_EQ(b.card, a.card);
      EXPECT_EQ(b.key, a.key);
      EXPECT_EQ(b.reason, a.reason);
      EXPECT_EQ(b.effect.delta_count, a.effect.delta_count);
      EXPECT_EQ(b.has_available, a.has_available);
      EXPECT_EQ(b.available, a.available);
      EXPECT_EQ(card_back, a.card);
    }
    if (kind == 1) {
      EXPECT_EQ(std::get<ReversalEvent>(back).content.pan, masked_pan_value(std::get<ReversalEvent>(e).content.pan));
      EXPECT_EQ(card_back, card);
    }
    if (kind == 3) {
      EXPECT_EQ(std::get<LimitsSetEvent>(back).limits, std::get<LimitsSetEvent>(e).limits);
    }
  }
}

TEST(EventCodec, NoFullPanInDecisionOrReversalBytes) {
  DecisionEvent d;
  d.key = TxnKey{1ull << 40, 5};
  d.content.pan = *parse_pan("4000001234567899");
  const std::vector<std::byte> bytes = encode(d, nullptr);
  // The middle digits 123456 (as any integer form of the PAN) are not there.
  const std::uint64_t full = d.content.pan.value;
  for (std::size_t i = 0; i + 8 <= bytes.size(); ++i) {
    std::uint64_t v;
    std::memcpy(&v, bytes.data() + i, 8);
    ASSERT_NE(v, full);
  }
  Event back;
  ASSERT_TRUE(decode_event(ef::type_decision, bytes, nullptr, back).ok());
  EXPECT_EQ(mask_pan(std::get<DecisionEvent>(back).content.pan), "400000******7899");
}

TEST(EventCodec, RestorePanTakesTheCardsPanWhenTheMaskAgrees) {
  Accounts acc;
  acc.card_pans.push_back(*parse_pan("4000001234567899"));
  acc.card_pans.push_back(*parse_pan("5000001234567899"));
  DecisionEvent d;
  d.content.pan = masked_pan_value(acc.card_pans[0]);
  Event e = d;
  EXPECT_FALSE(restore_pan(e, 1, acc));        // another card's PAN: left masked
  EXPECT_FALSE(restore_pan(e, no_index, acc));  // unknown card
  EXPECT_FALSE(restore_pan(e, 7, acc));         // out of range
  EXPECT_TRUE(restore_pan(e, 0, acc));
  EXPECT_EQ(std::get<DecisionEvent>(e).content.pan, acc.card_pans[0]);
  Event status = CardStatusEvent{};
  EXPECT_FALSE(restore_pan(status, 0, acc));  // not an event with a PAN
}

TEST(EventCodec, CardAddedNeedsTheKeyBothWays) {
  CardAddedEvent c;
  c.id_length = 2;
  c.id[0] = 'c';
  c.id[1] = '9';
  c.pan = *parse_pan("4000001234567899");
  c.expiry_yymm = 3012;
  Buffer b;
  EncodedEvent enc;
  EXPECT_STREQ(encode_event(c, no_index, nullptr, b, enc).error, "card added: no PAN key to encrypt with");
  CardAddedEvent no_id = c;
  no_id.id_length = 0;
  const PanCipher cipher(test_key());
  EXPECT_STREQ(encode_event(no_id, no_index, &cipher, b, enc).error, "card added: id length not 1..64");
  CardAddedEvent short_pan = c;
  short_pan.pan = Pan{123, 3};
  EXPECT_STREQ(encode_event(short_pan, no_index, &cipher, b, enc).error, "card added: PAN digit count not 12..19");
  const std::vector<std::byte> bytes = encode(c, &cipher);
  Event back;
  EXPECT_STREQ(decode_event(ef::type_card_added, bytes, nullptr, back).error, "card added: no PAN key to decrypt with");
  PanKey other = test_key();
  other[0] ^= 1;
  const PanCipher wrong(other);
  EXPECT_STREQ(decode_event(ef::type_card_added, bytes, &wrong, back).error,
               "card added: encrypted PAN does not verify (wrong key or altered)");
}

// ---- one test per decode error branch ----

template <typename T>
void put_at(std::vector<std::byte>& p, std::size_t at, T v) {
  ASSERT_LE(at + sizeof v, p.size());
  std::memcpy(p.data() + at, &v, sizeof v);
}

std::vector<std::byte> valid_payload(std::size_t kind, const PanCipher& cipher) {
  switch (kind) {
    case 0: {
      DecisionEvent d;
      d.key = TxnKey{1ull << 40, 7};
      d.mti_class = MtiClass::authorization;
      d.content = TxnContent{*parse_pan("4000001234567899"), 0, 5000, 392, true};
      d.card = 3;
      d.rc = ResponseCode::approved;
      d.has_approval = true;
      d.approval = {'0', '0', '0', '0', '0', '1'};
      d.stored = true;
      d.effect_kind = EffectKind::hold;
      d.effect_amount = 5000;
      d.effect.user = 1;
      d.effect.hold_delta = 5000;
      d.effect.delta_count = 1;
      d.effect.deltas[0] = SlotDelta{LimitOwner::user, 0, 0, 5000};
      return encode(d, &cipher);
    }
    case 1: {
      ReversalEvent v;
      v.key = TxnKey{4ull << 40, 8};
      v.content = TxnContent{*parse_pan("4000001234567899"), 0, 5000, 392, true};
      v.rc = ResponseCode::approved;
      v.stored = true;
      v.effect.user = 1;
      v.effect.delta_count = 1;
      return encode(v, &cipher, 3);
    }
    case 2: {
      HoldExpiredEvent h;
      h.effect.user = 1;
      h.effect.delta_count = 1;
      return encode(h, &cipher);
    }
    case 3: {
      LimitsSetEvent l;
      l.limits.count = 1;
      l.limits.items[0] = Limit{LimitSpec{PeriodKind::daily, 1, 1, 0}, 1000};
      return encode(l, &cipher);
    }
    case 4:
      return encode(CardStatusEvent{2, CardStatus::lost}, &cipher);
    case 5: {
      CardAddedEvent c;
      c.id_length = 2;
      c.id[0] = 'c';
      c.id[1] = '9';
      c.pan = *parse_pan("4000001234567899");
      c.expiry_yymm = 3012;
      c.currency = 392;
      return encode(c, &cipher);
    }
    default: {
      BalanceAdjustedEvent b;
      b.idempotency_key_length = 1;
      b.idempotency_key[0] = 'k';
      return encode(b, &cipher);
    }
  }
}

struct Case {
  const char* name;
  std::size_t kind;
  std::function<void(std::vector<std::byte>&)> change;
  const char* error;
};

// Offsets (event_codec.h): decision effect at 70, reversal at 79, expiry at
// 33; content at 18 in both request events.
const Case cases[] = {
    {"decision_short", 0, [](auto& p) { p.resize(ef::decision_fixed_bytes - 1); }, "decision: payload too short"},
    {"decision_mti", 0, [](auto& p) { put_at<std::uint8_t>(p, 17, 7); }, "decision: mti class unknown"},
    {"decision_mti_zero", 0, [](auto& p) { put_at<std::uint8_t>(p, 17, 0); }, "decision: mti class unknown"},
    {"pan_digits_without_pan", 0, [](auto& p) { put_at<std::uint8_t>(p, 18, 0); },
     "decision: content (masked PAN or amount flag) invalid"},
    {"pan_digit_count", 0, [](auto& p) { put_at<std::uint8_t>(p, 18, 20); },
     "decision: content (masked PAN or amount flag) invalid"},
    {"pan_first6", 0, [](auto& p) { put_at<std::uint32_t>(p, 19, 1'000'000); },
     "decision: content (masked PAN or amount flag) invalid"},
    {"pan_last4", 0, [](auto& p) { put_at<std::uint16_t>(p, 23, 10'000); },
     "decision: content (masked PAN or amount flag) invalid"},
    {"amount_numeric_flag", 0, [](auto& p) { put_at<std::uint8_t>(p, 39, 2); },
     "decision: content (masked PAN or amount flag) invalid"},
    {"decision_rc", 0, [](auto& p) { put_at<std::uint8_t>(p, 52, response_code_count); },
     "decision: response code unknown"},
    {"decision_reason_period", 0, [](auto& p) { put_at<std::uint8_t>(p, 53, 5 << 3); },
     "decision: reason byte invalid"},
    {"decision_flags", 0, [](auto& p) { put_at<std::uint8_t>(p, 54, 0x40); }, "decision: unknown flag bits"},
    // Flag 32 says the PAN is a keyed hash: the masked digits must then be zero.
    {"decision_keyed_flag_with_digits", 0, [](auto& p) { put_at<std::uint8_t>(p, 54, 0x20 | 0x03); },
     "decision: keyed PAN without its digit count, or with digits kept"},
    // Flag 16 says an available balance precedes the effect: its 8 bytes are
    // then taken from the effect, whose length no longer agrees.
    {"decision_available_flag", 0, [](auto& p) { put_at<std::uint8_t>(p, 54, 0x10); },
     "decision: effect invalid (count, length, owner or position)"},
    {"decision_approval", 0, [](auto& p) { put_at<char>(p, 55, 'a'); }, "decision: approval code not base-36"},
    {"decision_effect_kind", 0, [](auto& p) { put_at<std::uint8_t>(p, 61, 3); }, "decision: effect kind unknown"},
    {"effect_count", 0, [](auto& p) { put_at<std::uint8_t>(p, 90, 9); },
     "decision: effect invalid (count, length, owner or position)"},
    {"effect_length", 0, [](auto& p) { p.push_back(std::byte{0}); },
     "decision: effect invalid (count, length, owner or position)"},
    {"effect_owner", 0, [](auto& p) { put_at<std::uint8_t>(p, 91, 2); },
     "decision: effect invalid (count, length, owner or position)"},
    {"effect_position", 0, [](auto& p) { put_at<std::uint8_t>(p, 92, 4); },
     "decision: effect invalid (count, length, owner or position)"},
    {"effect_moves_without_user", 0, [](auto& p) { put_at<std::uint32_t>(p, 70, no_index); },
     "decision: effect invalid (count, length, owner or position)"},
    {"decision_effect_kind_without_user", 0,
     [](auto& p) {
       put_at<std::uint32_t>(p, 70, no_index);
       put_at<std::int64_t>(p, 74, 0);  // hold
       put_at<std::uint8_t>(p, 90, 0);  // no deltas
       p.resize(91);
     },
     "decision: effect without a user"},
    {"reversal_short", 1, [](auto& p) { p.resize(ef::reversal_fixed_bytes - 1); }, "reversal: payload too short"},
    {"reversal_mti", 1, [](auto& p) { put_at<std::uint8_t>(p, 17, 9); }, "reversal: mti class unknown"},
    {"reversal_content", 1, [](auto& p) { put_at<std::uint8_t>(p, 39, 7); },
     "reversal: content (masked PAN or amount flag) invalid"},
    {"reversal_keyed_flag_with_digits", 1, [](auto& p) { put_at<std::uint8_t>(p, 70, 0x10 | 0x01); },
     "reversal: keyed PAN without its digit count, or with digits kept"},
    {"reversal_rc", 1, [](auto& p) { put_at<std::uint8_t>(p, 68, 200); }, "reversal: response code unknown"},
    {"reversal_reason", 1, [](auto& p) { put_at<std::uint8_t>(p, 69, 0xff); }, "reversal: reason byte invalid"},
    {"reversal_flags", 1, [](auto& p) { put_at<std::uint8_t>(p, 70, 0x80); }, "reversal: unknown flag bits"},
    {"reversal_effect", 1, [](auto& p) { put_at<std::uint8_t>(p, 99, 2); },
     "reversal: effect invalid (count, length, owner or position)"},
    {"expiry_short", 2, [](auto& p) { p.resize(ef::hold_expired_fixed_bytes - 1); },
     "hold expired: payload too short"},
    {"expiry_effect", 2, [](auto& p) { p.pop_back(); },
     "hold expired: effect invalid (count, length, owner or position)"},
    {"limits_short", 3, [](auto& p) { p.resize(ef::limits_set_fixed_bytes - 1); }, "limits set: payload too short"},
    {"limits_owner", 3, [](auto& p) { put_at<std::uint8_t>(p, 1, 2); }, "limits set: owner unknown"},
    {"limits_count", 3, [](auto& p) { put_at<std::uint8_t>(p, 6, 6); },
     "limits set: more limits than an owner may have"},
    {"limits_length", 3, [](auto& p) { p.pop_back(); }, "limits set: length disagrees with its limit count"},
    {"limits_kind", 3, [](auto& p) { put_at<std::uint8_t>(p, 7, 5); }, "limits set: period kind unknown"},
    {"limits_weekday", 3, [](auto& p) { put_at<std::uint8_t>(p, 8, 8); }, "limits set: anchor weekday not 1..7"},
    {"limits_day", 3, [](auto& p) { put_at<std::uint8_t>(p, 9, 29); },
     "limits set: anchor day not 0 (last) or 1..28"},
    {"limits_reset", 3, [](auto& p) { put_at<std::uint16_t>(p, 10, 24 * 60); }, "limits set: reset time past 23:59"},
    {"limits_max", 3, [](auto& p) { put_at<std::int64_t>(p, 12, -1); }, "limits set: negative max"},
    {"status_length", 4, [](auto& p) { p.push_back(std::byte{0}); }, "card status: payload length not 6"},
    {"status_value", 4, [](auto& p) { put_at<std::uint8_t>(p, 5, 4); }, "card status: status unknown"},
    {"added_short", 5, [](auto& p) { p.resize(ef::card_added_fixed_bytes - 1); }, "card added: payload too short"},
    {"added_expiry_month", 5, [](auto& p) { put_at<std::uint16_t>(p, 9, 3013); }, "card added: expiry not YYMM"},
    {"added_expiry_zero", 5, [](auto& p) { put_at<std::uint16_t>(p, 9, 3000); }, "card added: expiry not YYMM"},
    {"added_status", 5, [](auto& p) { put_at<std::uint8_t>(p, 11, 9); }, "card added: status unknown"},
    {"added_currency", 5, [](auto& p) { put_at<std::uint16_t>(p, 12, 1000); }, "card added: currency not 3 digits"},
    {"added_blob", 5, [](auto& p) { p[20] ^= std::byte{1}; },
     "card added: encrypted PAN does not verify (wrong key or altered)"},
    {"added_id_zero", 5, [](auto& p) { put_at<std::uint8_t>(p, 62, 0); }, "card added: id length not 1..64"},
    {"added_id_long", 5, [](auto& p) { put_at<std::uint8_t>(p, 62, 65); }, "card added: id length not 1..64"},
    {"added_length", 5, [](auto& p) { p.push_back(std::byte{'x'}); },
     "card added: length disagrees with its id length"},
    {"balance_short", 6, [](auto& p) { p.resize(ef::balance_fixed_bytes - 1); },
     "balance adjusted: payload too short"},
    {"balance_key_length", 6, [](auto& p) { put_at<std::uint8_t>(p, 29, 65); },
     "balance adjusted: key length above 64"},
    {"balance_length", 6, [](auto& p) { p.pop_back(); },
     "balance adjusted: length disagrees with its key length"},
};

TEST(EventCodecErrors, EachBranchNamesWhatIsWrong) {
  const PanCipher cipher(test_key());
  static constexpr std::uint16_t types[] = {ef::type_decision,    ef::type_reversal,    ef::type_hold_expired,
                                            ef::type_limits_set,  ef::type_card_status, ef::type_card_added,
                                            ef::type_balance_adjusted};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::byte> p = valid_payload(c.kind, cipher);
    Event e;
    ASSERT_TRUE(decode_event(types[c.kind], p, &cipher, e).ok()) << "the unchanged payload decodes";
    c.change(p);
    const CodecResult r = decode_event(types[c.kind], p, &cipher, e);
    ASSERT_FALSE(r.ok());
    EXPECT_STREQ(r.error, c.error);
  }
}

TEST(EventCodecErrors, TypeVersionAndEmptyPayload) {
  const PanCipher cipher(test_key());
  Event e;
  std::vector<std::byte> p = valid_payload(4, cipher);
  EXPECT_STREQ(decode_event(0x0204, p, &cipher, e).error, "record type is not a core event");
  EXPECT_STREQ(decode_event(0x8000, p, &cipher, e).error, "record type is not a core event");
  EXPECT_STREQ(decode_event(ef::type_card_status, {}, &cipher, e).error, "event payload empty (no version byte)");
  p[0] = std::byte{2};
  EXPECT_STREQ(decode_event(ef::type_card_status, p, &cipher, e).error, "event payload version unknown");
}

TEST(EventCodecErrors, DecryptedPanThatIsNotAPan) {
  const PanCipher cipher(test_key());
  std::vector<std::byte> p = valid_payload(5, cipher);
  EncryptedPan blob;
  ASSERT_TRUE(cipher.encrypt("123", blob).ok());  // three digits: the cipher allows 1..19
  std::memcpy(p.data() + 14, blob.data(), blob.size());
  Event e;
  EXPECT_STREQ(decode_event(ef::type_card_added, p, &cipher, e).error, "card added: decrypted PAN not 12..19 digits");
}

// A decision on an unknown card keeps its PAN as a keyed hash (flag 32):
// the digit count, the hash and the key's id; nothing of the digits.
DecisionEvent keyed_decision() {
  DecisionEvent d;
  d.key = TxnKey{1ull << 40, 9};
  d.content = TxnContent{keyed_pan(*parse_pan("4999990000001111"), PanHashKey{5, 6}), 0, 1000, 392, true};
  d.rc = ResponseCode::no_such_card;
  d.stored = true;
  return d;
}

TEST(EventCodec, AKeyedPanRoundTripsWithItsKeyId) {
  const DecisionEvent d = keyed_decision();
  Buffer b;
  EncodedEvent enc;
  ASSERT_TRUE(encode_event(d, no_index, nullptr, b, enc, 0x12345678u).ok());
  EXPECT_EQ(enc.bytes, ef::decision_fixed_bytes + ef::keyed_pan_bytes);
  const std::span<const std::byte> p(b.data(), enc.bytes);
  Event out;
  std::uint32_t card = 0, key_id = 0;
  ASSERT_TRUE(decode_event(ef::type_decision, p, nullptr, out, &card, &key_id).ok());
  const auto& got = std::get<DecisionEvent>(out);
  EXPECT_EQ(got.content, d.content);
  EXPECT_EQ(key_id, 0x12345678u);
  EXPECT_EQ(card, no_index);
  EXPECT_EQ(static_cast<std::uint8_t>(p[18]), 16);  // the digit count
  for (std::size_t i = 19; i < 25; ++i) EXPECT_EQ(static_cast<std::uint8_t>(p[i]), 0) << "masked digits at " << i;
  // A plain decision says key id 0.
  std::vector<std::byte> plain = valid_payload(0, PanCipher(test_key()));
  ASSERT_TRUE(decode_event(ef::type_decision, plain, nullptr, out, &card, &key_id).ok());
  EXPECT_EQ(key_id, 0u);
}

TEST(EventCodec, AReversalsKeyedPanRoundTripsWithItsKeyId) {
  ReversalEvent v;
  v.key = TxnKey{4ull << 40, 10};
  v.content = TxnContent{keyed_pan(*parse_pan("4999990000001111"), PanHashKey{5, 6}), 0, 1000, 392, true};
  v.rc = ResponseCode::original_not_found;
  v.stored = true;
  v.remembered = true;
  Buffer b;
  EncodedEvent enc;
  ASSERT_TRUE(encode_event(v, 3, nullptr, b, enc, 77).ok());  // a card given for a hashed PAN is not kept
  EXPECT_EQ(enc.bytes, ef::reversal_fixed_bytes + ef::keyed_pan_bytes);
  std::vector<std::byte> p(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(enc.bytes));
  Event out;
  std::uint32_t card = 0, key_id = 0;
  ASSERT_TRUE(decode_event(ef::type_reversal, p, nullptr, out, &card, &key_id).ok());
  EXPECT_EQ(std::get<ReversalEvent>(out).content, v.content);
  EXPECT_EQ(card, no_index);
  EXPECT_EQ(key_id, 77u);
  put_at<std::uint32_t>(p, 40, 3);
  EXPECT_STREQ(decode_event(ef::type_reversal, p, nullptr, out).error, "reversal: keyed PAN on a known card");
  p.resize(ef::reversal_fixed_bytes + ef::keyed_pan_bytes - 1);
  EXPECT_STREQ(decode_event(ef::type_reversal, p, nullptr, out).error, "reversal: keyed PAN truncated");
}

TEST(EventCodecErrors, KeyedPanBranches) {
  Buffer b;
  EncodedEvent enc;
  ASSERT_TRUE(encode_event(keyed_decision(), no_index, nullptr, b, enc, 1).ok());
  std::vector<std::byte> p(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(enc.bytes));
  Event e;
  std::vector<std::byte> known = p;
  put_at<std::uint32_t>(known, 40, 3);  // the card
  EXPECT_STREQ(decode_event(ef::type_decision, known, nullptr, e).error, "decision: keyed PAN on a known card");
  std::vector<std::byte> cut = p;
  cut.resize(ef::decision_fixed_bytes + ef::keyed_pan_bytes - 1);
  EXPECT_STREQ(decode_event(ef::type_decision, cut, nullptr, e).error, "decision: keyed PAN truncated");
  std::vector<std::byte> no_digits = p;
  put_at<std::uint8_t>(no_digits, 18, 0);
  EXPECT_STREQ(decode_event(ef::type_decision, no_digits, nullptr, e).error,
               "decision: keyed PAN without its digit count, or with digits kept");
}

}  // namespace
}  // namespace authswitch::ledger
