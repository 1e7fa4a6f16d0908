// Event <-> record payload; the layout is drawn in event_codec.h.
#include "ledger/event_codec.h"

#include <array>
#include <cstring>
#include <type_traits>

#include "core/assert.h"
#include "core/keyed_pan.h"

namespace authswitch::ledger {

namespace {

using namespace authswitch::core;
namespace ef = event_format;

// A table, not a loop: replay masks and rebuilds a PAN per record.
constexpr auto pow10_table = [] {
  std::array<std::uint64_t, 20> t{};
  std::uint64_t v = 1;
  for (auto& e : t) {
    e = v;
    v *= 10;
  }
  return t;
}();
constexpr std::uint64_t pow10(unsigned n) noexcept {
  AS_ASSERT(n < pow10_table.size());
  return pow10_table[n];
}

// Sequential little-endian writer over a caller's buffer; the buffer is sized
// for the largest event, so running out is a bug (asserted).
class Writer {
 public:
  explicit Writer(std::span<std::byte> out) noexcept : out_(out) {}
  template <typename T>
  void put(T v) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    AS_ASSERT(at_ + sizeof v <= out_.size());
    std::memcpy(out_.data() + at_, &v, sizeof v);
    at_ += sizeof v;
  }
  void bytes(const void* p, std::size_t n) noexcept {
    AS_ASSERT(at_ + n <= out_.size());
    if (n != 0) std::memcpy(out_.data() + at_, p, n);
    at_ += n;
  }
  [[nodiscard]] std::size_t size() const noexcept { return at_; }

 private:
  std::span<std::byte> out_;
  std::size_t at_ = 0;
};

// Sequential reader; every read is bounds-checked by the caller's length
// check first (need()), so a short payload is reported, never read past.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) noexcept : in_(in) {}
  [[nodiscard]] bool need(std::size_t n) const noexcept { return at_ + n <= in_.size(); }
  template <typename T>
  [[nodiscard]] T get() noexcept {
    AS_ASSERT(need(sizeof(T)));
    T v;
    std::memcpy(&v, in_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  void bytes(void* p, std::size_t n) noexcept {
    AS_ASSERT(need(n));
    if (n != 0) std::memcpy(p, in_.data() + at_, n);
    at_ += n;
  }
  [[nodiscard]] std::size_t left() const noexcept { return in_.size() - at_; }

  // A run of fixed layout: bounds-checked once here, then read field by field
  // without a check each (the offsets fold into constants).
  class Fixed {
   public:
    explicit Fixed(const std::byte* p) noexcept : p_(p) {}
    template <typename T>
    [[nodiscard]] T get() noexcept {
      static_assert(std::is_trivially_copyable_v<T>);
      T v;
      std::memcpy(&v, p_, sizeof v);
      p_ += sizeof v;
      return v;
    }
    void bytes(void* p, std::size_t n) noexcept {
      std::memcpy(p, p_, n);
      p_ += n;
    }

   private:
    const std::byte* p_;
  };
  [[nodiscard]] Fixed take(std::size_t n) noexcept {
    AS_ASSERT(need(n));
    const std::byte* p = in_.data() + at_;
    at_ += n;
    return Fixed(p);
  }

 private:
  std::span<const std::byte> in_;
  std::size_t at_ = 0;
};

void put_key(Writer& w, const TxnKey& k) noexcept {
  w.put(k.hi);
  w.put(k.lo);
}
TxnKey get_key(Reader::Fixed& r) noexcept {
  TxnKey k;
  k.hi = r.get<std::uint64_t>();
  k.lo = r.get<std::uint64_t>();
  return k;
}

void put_pan(Writer& w, Pan p) noexcept {
  if (p.digits < pan_digits_min || p.digits > pan_digits_max) {
    // No PAN (or not one the core accepts): nothing of it is kept.
    w.put<std::uint8_t>(0);
    w.put<std::uint32_t>(0);
    w.put<std::uint16_t>(0);
    return;
  }
  w.put<std::uint8_t>(p.digits);
  w.put(static_cast<std::uint32_t>(p.value / pow10(p.digits - 6u)));
  w.put(static_cast<std::uint16_t>(p.value % 10000));
}
CodecResult get_pan(Reader::Fixed& r, Pan& p) noexcept {
  const auto digits = r.get<std::uint8_t>();
  const auto first6 = r.get<std::uint32_t>();
  const auto last4 = r.get<std::uint16_t>();
  if (digits == 0) {
    if (first6 != 0 || last4 != 0) return {"pan: digits 0 with digits kept"};
    p = Pan{};
    return {};
  }
  if (digits < pan_digits_min || digits > pan_digits_max) return {"pan: digit count not 12..19"};
  if (first6 >= 1'000'000) return {"pan: first six digits out of range"};
  if (last4 >= 10'000) return {"pan: last four digits out of range"};
  p = Pan{first6 * pow10(digits - 6u) + last4, digits};
  return {};
}

void put_content(Writer& w, const TxnContent& c) noexcept {
  put_pan(w, c.pan);
  w.put(c.processing_code);
  w.put(c.amount);
  w.put(c.currency);
  w.put<std::uint8_t>(c.amount_numeric ? 1 : 0);
}
CodecResult get_content(Reader::Fixed& r, TxnContent& c) noexcept {
  if (CodecResult res = get_pan(r, c.pan); !res.ok()) return res;
  c.processing_code = r.get<std::uint32_t>();
  c.amount = r.get<std::int64_t>();
  c.currency = r.get<std::uint16_t>();
  const auto numeric = r.get<std::uint8_t>();
  if (numeric > 1) return {"content: amount-numeric flag not 0/1"};
  c.amount_numeric = numeric == 1;
  return {};
}

void put_effect(Writer& w, const Effect& e) noexcept {
  AS_ASSERT(e.delta_count <= constants::slots_per_decision_max);
  w.put(e.user);
  w.put(e.hold_delta);
  w.put(e.balance_delta);
  w.put(e.delta_count);
  for (std::size_t i = 0; i < e.delta_count; ++i) {
    const SlotDelta& d = e.deltas[i];
    w.put(static_cast<std::uint8_t>(d.owner));
    w.put(d.position);
    w.put(d.period_start);
    w.put(d.amount);
  }
}
// The effect is last in every record that has one, so it must end the payload.
CodecResult get_effect(Reader& r, Effect& e) noexcept {
  if (!r.need(ef::effect_fixed_bytes)) return {"effect: payload too short"};
  Reader::Fixed f = r.take(ef::effect_fixed_bytes);
  e.user = f.get<std::uint32_t>();
  e.hold_delta = f.get<std::int64_t>();
  e.balance_delta = f.get<std::int64_t>();
  e.delta_count = f.get<std::uint8_t>();
  if (e.delta_count > constants::slots_per_decision_max) return {"effect: more slot deltas than a decision moves"};
  if (r.left() != e.delta_count * ef::slot_delta_bytes) return {"effect: length disagrees with its delta count"};
  if (e.user == no_index && (!e.empty())) return {"effect: moves totals without a user"};
  Reader::Fixed deltas = r.take(e.delta_count * ef::slot_delta_bytes);
  for (std::size_t i = 0; i < e.delta_count; ++i) {
    SlotDelta& d = e.deltas[i];
    const auto owner = deltas.get<std::uint8_t>();
    if (owner > static_cast<std::uint8_t>(LimitOwner::company)) return {"effect: limit owner unknown"};
    d.owner = static_cast<LimitOwner>(owner);
    d.position = deltas.get<std::uint8_t>();
    if (d.position >= constants::period_limits_per_owner_max) return {"effect: limit position out of range"};
    d.period_start = deltas.get<std::int64_t>();
    d.amount = deltas.get<std::int64_t>();
  }
  return {};
}

CodecResult get_mti(std::uint8_t b, MtiClass& m) noexcept {
  if (b < static_cast<std::uint8_t>(MtiClass::authorization) || b > static_cast<std::uint8_t>(MtiClass::other)) {
    return {"mti class unknown"};
  }
  m = static_cast<MtiClass>(b);
  return {};
}
CodecResult get_rc(std::uint8_t b, ResponseCode& rc) noexcept {
  if (b >= response_code_count) return {"response code unknown"};
  rc = static_cast<ResponseCode>(b);
  return {};
}
CodecResult get_reason(std::uint8_t b, Reason& reason) noexcept {
  // decode_reason keeps 6 bits; a byte that does not survive the round trip
  // has bits or values the core never writes.
  const Reason r = decode_reason(b);
  if (encode_reason(r) != b || r.kind > Reason::Kind::limit || static_cast<int>(r.period) >= period_kind_count) {
    return {"reason byte invalid"};
  }
  reason = r;
  return {};
}

// ---- per event ----

// A hashed PAN (an unknown card's, core/keyed_pan.h) is written as its digit
// count only; the hash and the key's id follow the fixed part (put_keyed).
void put_content_or_count(Writer& w, const TxnContent& c) noexcept {
  if (!is_keyed(c.pan)) {
    put_content(w, c);
    return;
  }
  TxnContent shown = c;
  shown.pan = Pan{0, pan_digit_count(c.pan)};
  put_content(w, shown);
}
void put_keyed(Writer& w, Pan p, std::uint32_t pan_key_id) noexcept {
  w.put(p.value);
  w.put(pan_key_id);
}
// What get_keyed answers, with the event's name in front (CodecResult holds
// a static string).
struct KeyedPanErrors {
  const char* shape;
  const char* truncated;
  const char* known_card;
};
constexpr KeyedPanErrors decision_keyed_errors{"decision: keyed PAN without its digit count, or with digits kept",
                                               "decision: keyed PAN truncated", "decision: keyed PAN on a known card"};
constexpr KeyedPanErrors reversal_keyed_errors{"reversal: keyed PAN without its digit count, or with digits kept",
                                               "reversal: keyed PAN truncated", "reversal: keyed PAN on a known card"};

// The hash after the fixed part, into `c` whose PAN holds the digit count;
// only an unknown card (`card` == no_index) has one.
CodecResult get_keyed(Reader& r, TxnContent& c, std::uint32_t card, std::uint32_t& pan_key_id,
                      const KeyedPanErrors& errors) noexcept {
  if (c.pan.digits == 0 || c.pan.value != 0) return {errors.shape};
  if (!r.need(ef::keyed_pan_bytes + ef::effect_fixed_bytes)) return {errors.truncated};
  const auto hash = r.get<std::uint64_t>();
  pan_key_id = r.get<std::uint32_t>();
  c.pan = Pan{hash, static_cast<std::uint8_t>(c.pan.digits | pan_keyed_flag)};
  if (card != no_index) return {errors.known_card};
  return {};
}

void encode(Writer& w, const DecisionEvent& d, std::uint32_t pan_key_id) noexcept {
  const bool keyed = is_keyed(d.content.pan);
  w.put(ef::version);
  put_key(w, d.key);
  w.put(static_cast<std::uint8_t>(d.mti_class));
  put_content_or_count(w, d.content);
  w.put(d.card);
  w.put(d.txn_time);
  w.put(static_cast<std::uint8_t>(d.rc));
  w.put(encode_reason(d.reason));
  w.put(static_cast<std::uint8_t>((d.has_approval ? 1 : 0) | (d.stored ? 2 : 0) | (d.duplicate ? 4 : 0) |
                                  (d.took_remembered ? 8 : 0) | (d.has_available ? 16 : 0) | (keyed ? 32 : 0)));
  w.bytes(d.approval.data(), d.approval.size());
  w.put(static_cast<std::uint8_t>(d.effect_kind));
  w.put(d.effect_amount);
  if (keyed) put_keyed(w, d.content.pan, pan_key_id);  // flag 32
  if (d.has_available) w.put(d.available);  // a balance inquiry's field 54 (flag 16)
  put_effect(w, d.effect);
}

CodecResult decode(Reader& r, DecisionEvent& d, std::uint32_t& pan_key_id) noexcept {
  if (!r.need(ef::decision_fixed_bytes)) return {"decision: payload too short"};
  // Everything before the effect (and the optional available balance).
  Reader::Fixed f = r.take(ef::decision_fixed_bytes - ef::effect_fixed_bytes);
  (void)f.get<std::uint8_t>();  // version, checked by the caller
  d.key = get_key(f);
  if (!get_mti(f.get<std::uint8_t>(), d.mti_class).ok()) return {"decision: mti class unknown"};
  if (!get_content(f, d.content).ok()) return {"decision: content (masked PAN or amount flag) invalid"};
  d.card = f.get<std::uint32_t>();
  d.txn_time = f.get<std::int64_t>();
  if (!get_rc(f.get<std::uint8_t>(), d.rc).ok()) return {"decision: response code unknown"};
  if (!get_reason(f.get<std::uint8_t>(), d.reason).ok()) return {"decision: reason byte invalid"};
  const auto flags = f.get<std::uint8_t>();
  if ((flags & ~0x3fu) != 0) return {"decision: unknown flag bits"};
  const bool keyed = (flags & 32) != 0;
  d.has_approval = (flags & 1) != 0;
  d.stored = (flags & 2) != 0;
  d.duplicate = (flags & 4) != 0;
  d.took_remembered = (flags & 8) != 0;
  d.has_available = (flags & 16) != 0;
  f.bytes(d.approval.data(), d.approval.size());
  if (d.has_approval) {
    for (const char c : d.approval) {
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return {"decision: approval code not base-36"};
    }
  }
  const auto kind = f.get<std::uint8_t>();
  if (kind > static_cast<std::uint8_t>(EffectKind::posted)) return {"decision: effect kind unknown"};
  d.effect_kind = static_cast<EffectKind>(kind);
  d.effect_amount = f.get<std::int64_t>();
  pan_key_id = 0;
  if (keyed) {
    if (const CodecResult res = get_keyed(r, d.content, d.card, pan_key_id, decision_keyed_errors); !res.ok()) {
      return res;
    }
  }
  if (d.has_available) {
    if (!r.need(sizeof(std::int64_t) + ef::effect_fixed_bytes)) return {"decision: available balance truncated"};
    d.available = r.get<std::int64_t>();
  }
  if (!get_effect(r, d.effect).ok()) return {"decision: effect invalid (count, length, owner or position)"};
  if (d.effect_kind != EffectKind::none && d.effect.user == no_index) return {"decision: effect without a user"};
  return {};
}

void encode(Writer& w, const ReversalEvent& d, std::uint32_t card, std::uint32_t pan_key_id) noexcept {
  const bool keyed = is_keyed(d.content.pan);
  w.put(ef::version);
  put_key(w, d.key);
  w.put(static_cast<std::uint8_t>(d.mti_class));
  put_content_or_count(w, d.content);
  w.put(keyed ? no_index : card);
  w.put(d.txn_time);
  put_key(w, d.original_key);
  w.put(static_cast<std::uint8_t>(d.rc));
  w.put(encode_reason(d.reason));
  w.put(static_cast<std::uint8_t>((d.stored ? 1 : 0) | (d.duplicate ? 2 : 0) | (d.original_found ? 4 : 0) |
                                  (d.remembered ? 8 : 0) | (keyed ? 16 : 0)));
  w.put(d.released);
  if (keyed) put_keyed(w, d.content.pan, pan_key_id);  // flag 16
  put_effect(w, d.effect);
}

CodecResult decode(Reader& r, ReversalEvent& d, std::uint32_t& card, std::uint32_t& pan_key_id) noexcept {
  if (!r.need(ef::reversal_fixed_bytes)) return {"reversal: payload too short"};
  Reader::Fixed f = r.take(ef::reversal_fixed_bytes - ef::effect_fixed_bytes);
  (void)f.get<std::uint8_t>();
  d.key = get_key(f);
  if (!get_mti(f.get<std::uint8_t>(), d.mti_class).ok()) return {"reversal: mti class unknown"};
  if (!get_content(f, d.content).ok()) return {"reversal: content (masked PAN or amount flag) invalid"};
  card = f.get<std::uint32_t>();
  d.txn_time = f.get<std::int64_t>();
  d.original_key = get_key(f);
  if (!get_rc(f.get<std::uint8_t>(), d.rc).ok()) return {"reversal: response code unknown"};
  if (!get_reason(f.get<std::uint8_t>(), d.reason).ok()) return {"reversal: reason byte invalid"};
  const auto flags = f.get<std::uint8_t>();
  if ((flags & ~0x1fu) != 0) return {"reversal: unknown flag bits"};
  const bool keyed = (flags & 16) != 0;
  d.stored = (flags & 1) != 0;
  d.duplicate = (flags & 2) != 0;
  d.original_found = (flags & 4) != 0;
  d.remembered = (flags & 8) != 0;
  d.released = f.get<std::int64_t>();
  pan_key_id = 0;
  if (keyed) {
    if (const CodecResult res = get_keyed(r, d.content, card, pan_key_id, reversal_keyed_errors); !res.ok()) {
      return res;
    }
  }
  if (!get_effect(r, d.effect).ok()) return {"reversal: effect invalid (count, length, owner or position)"};
  return {};
}

void encode(Writer& w, const HoldExpiredEvent& e) noexcept {
  w.put(ef::version);
  put_key(w, e.original_key);
  w.put(e.at);
  w.put(e.released);
  put_effect(w, e.effect);
}

CodecResult decode(Reader& r, HoldExpiredEvent& e) noexcept {
  if (!r.need(ef::hold_expired_fixed_bytes)) return {"hold expired: payload too short"};
  Reader::Fixed f = r.take(ef::hold_expired_fixed_bytes - ef::effect_fixed_bytes);
  (void)f.get<std::uint8_t>();
  e.original_key = get_key(f);
  e.at = f.get<std::int64_t>();
  e.released = f.get<std::int64_t>();
  if (!get_effect(r, e.effect).ok()) return {"hold expired: effect invalid (count, length, owner or position)"};
  return {};
}

void encode(Writer& w, const LimitsSetEvent& e) noexcept {
  AS_ASSERT(e.limits.count <= constants::limits_per_owner_max);
  w.put(ef::version);
  w.put(static_cast<std::uint8_t>(e.owner));
  w.put(e.index);
  w.put(e.limits.count);
  for (std::size_t i = 0; i < e.limits.count; ++i) {
    const Limit& l = e.limits.items[i];
    w.put(static_cast<std::uint8_t>(l.spec.kind));
    w.put(l.spec.anchor_weekday);
    w.put(l.spec.anchor_day);
    w.put(l.spec.reset_minutes);
    w.put(l.max);
  }
}

CodecResult decode(Reader& r, LimitsSetEvent& e) noexcept {
  if (!r.need(ef::limits_set_fixed_bytes)) return {"limits set: payload too short"};
  (void)r.get<std::uint8_t>();
  const auto owner = r.get<std::uint8_t>();
  if (owner > static_cast<std::uint8_t>(LimitOwner::company)) return {"limits set: owner unknown"};
  e.owner = static_cast<LimitOwner>(owner);
  e.index = r.get<std::uint32_t>();
  e.limits.count = r.get<std::uint8_t>();
  if (e.limits.count > constants::limits_per_owner_max) return {"limits set: more limits than an owner may have"};
  if (r.left() != e.limits.count * ef::limit_bytes) return {"limits set: length disagrees with its limit count"};
  for (std::size_t i = 0; i < e.limits.count; ++i) {
    Limit& l = e.limits.items[i];
    const auto kind = r.get<std::uint8_t>();
    if (kind >= period_kind_count) return {"limits set: period kind unknown"};
    l.spec.kind = static_cast<PeriodKind>(kind);
    l.spec.anchor_weekday = r.get<std::uint8_t>();
    l.spec.anchor_day = r.get<std::uint8_t>();
    l.spec.reset_minutes = r.get<std::uint16_t>();
    l.max = r.get<std::int64_t>();
    if (l.spec.anchor_weekday < 1 || l.spec.anchor_weekday > 7) return {"limits set: anchor weekday not 1..7"};
    if (l.spec.anchor_day > 28) return {"limits set: anchor day not 0 (last) or 1..28"};
    if (l.spec.reset_minutes >= 24 * 60) return {"limits set: reset time past 23:59"};
    if (l.max < 0) return {"limits set: negative max"};
  }
  return {};
}

void encode(Writer& w, const CardStatusEvent& e) noexcept {
  w.put(ef::version);
  w.put(e.card);
  w.put(static_cast<std::uint8_t>(e.status));
}

CodecResult get_status(std::uint8_t b, CardStatus& s) noexcept {
  if (b > static_cast<std::uint8_t>(CardStatus::stolen)) return {"card status unknown"};
  s = static_cast<CardStatus>(b);
  return {};
}

CodecResult decode(Reader& r, CardStatusEvent& e) noexcept {
  if (r.left() != ef::card_status_bytes) return {"card status: payload length not 6"};
  (void)r.get<std::uint8_t>();
  e.card = r.get<std::uint32_t>();
  if (!get_status(r.get<std::uint8_t>(), e.status).ok()) return {"card status: status unknown"};
  return {};
}

CodecResult encode(Writer& w, const CardAddedEvent& e, const PanCipher* cipher) {
  if (cipher == nullptr) return {"card added: no PAN key to encrypt with"};
  if (e.id_length == 0 || e.id_length > e.id.size()) return {"card added: id length not 1..64"};
  char digits[pan_digits_max];
  Pan p = e.pan;
  if (p.digits < pan_digits_min || p.digits > pan_digits_max) return {"card added: PAN digit count not 12..19"};
  for (std::size_t i = p.digits; i-- > 0;) {
    digits[i] = static_cast<char>('0' + p.value % 10);
    p.value /= 10;
  }
  EncryptedPan blob;
  const Status s = cipher->encrypt(std::string_view(digits, e.pan.digits), blob);
  std::memset(digits, 0, sizeof digits);
  if (!s) return {"card added: PAN encryption failed"};
  w.put(ef::version);
  w.put(e.card);
  w.put(e.user);
  w.put(e.expiry_yymm);
  w.put(static_cast<std::uint8_t>(e.status));
  w.put(e.currency);
  w.bytes(blob.data(), blob.size());
  w.put(e.id_length);
  w.bytes(e.id.data(), e.id_length);
  return {};
}

CodecResult decode(Reader& r, CardAddedEvent& e, const PanCipher* cipher) {
  if (!r.need(ef::card_added_fixed_bytes)) return {"card added: payload too short"};
  (void)r.get<std::uint8_t>();
  e.card = r.get<std::uint32_t>();
  e.user = r.get<std::uint32_t>();
  e.expiry_yymm = r.get<std::uint16_t>();
  if (e.expiry_yymm % 100 < 1 || e.expiry_yymm % 100 > 12 || e.expiry_yymm > 9912) {
    return {"card added: expiry not YYMM"};
  }
  if (!get_status(r.get<std::uint8_t>(), e.status).ok()) return {"card added: status unknown"};
  e.currency = r.get<std::uint16_t>();
  if (e.currency > 999) return {"card added: currency not 3 digits"};
  EncryptedPan blob;
  r.bytes(blob.data(), blob.size());
  e.id_length = r.get<std::uint8_t>();
  if (e.id_length == 0 || e.id_length > e.id.size()) return {"card added: id length not 1..64"};
  if (r.left() != e.id_length) return {"card added: length disagrees with its id length"};
  r.bytes(e.id.data(), e.id_length);
  if (cipher == nullptr) return {"card added: no PAN key to decrypt with"};
  PlainPan plain;
  if (!cipher->decrypt(blob, plain)) return {"card added: encrypted PAN does not verify (wrong key or altered)"};
  const auto pan = parse_pan(plain.view());
  if (!pan) return {"card added: decrypted PAN not 12..19 digits"};
  e.pan = *pan;
  return {};
}

void encode(Writer& w, const BalanceAdjustedEvent& e) noexcept {
  AS_ASSERT(e.idempotency_key_length <= e.idempotency_key.size());
  w.put(ef::version);
  w.put(e.user);
  w.put(e.amount);
  w.put(e.balance_after);
  w.put(e.body_hash);
  w.put(e.idempotency_key_length);
  w.bytes(e.idempotency_key.data(), e.idempotency_key_length);
}

CodecResult decode(Reader& r, BalanceAdjustedEvent& e) noexcept {
  if (!r.need(ef::balance_fixed_bytes)) return {"balance adjusted: payload too short"};
  (void)r.get<std::uint8_t>();
  e.user = r.get<std::uint32_t>();
  e.amount = r.get<std::int64_t>();
  e.balance_after = r.get<std::int64_t>();
  e.body_hash = r.get<std::uint64_t>();
  e.idempotency_key_length = r.get<std::uint8_t>();
  if (e.idempotency_key_length > e.idempotency_key.size()) return {"balance adjusted: key length above 64"};
  if (r.left() != e.idempotency_key_length) return {"balance adjusted: length disagrees with its key length"};
  r.bytes(e.idempotency_key.data(), e.idempotency_key_length);
  return {};
}

}  // namespace

core::Pan masked_pan_value(core::Pan p) noexcept {
  if (p.digits < core::pan_digits_min || p.digits > core::pan_digits_max) return core::Pan{};
  // The digit count picks a constant divisor (a multiply), not a 64-bit
  // division: replay masks a card's PAN for every request it restores.
  static_assert(core::pan_digits_min == 12 && core::pan_digits_max == 19);
  const auto first6_scaled = [](std::uint64_t v, unsigned digits) noexcept -> std::uint64_t {
    switch (digits) {
      case 12: return v / pow10(6) * pow10(6);
      case 13: return v / pow10(7) * pow10(7);
      case 14: return v / pow10(8) * pow10(8);
      case 15: return v / pow10(9) * pow10(9);
      case 16: return v / pow10(10) * pow10(10);
      case 17: return v / pow10(11) * pow10(11);
      case 18: return v / pow10(12) * pow10(12);
      default: return v / pow10(13) * pow10(13);
    }
  };
  return core::Pan{first6_scaled(p.value, p.digits) + p.value % 10000, p.digits};
}

CodecResult encode_event(const core::Event& event, std::uint32_t reversal_card, const PanCipher* cipher,
                         std::span<std::byte> out, EncodedEvent& encoded, std::uint32_t pan_key_id) {
  AS_ASSERT(out.size() >= ef::payload_bytes_max);
  Writer w(out);
  CodecResult result;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, DecisionEvent>) {
          encoded.type = ef::type_decision;
          encode(w, e, pan_key_id);
        } else if constexpr (std::is_same_v<T, ReversalEvent>) {
          encoded.type = ef::type_reversal;
          encode(w, e, reversal_card, pan_key_id);
        } else if constexpr (std::is_same_v<T, HoldExpiredEvent>) {
          encoded.type = ef::type_hold_expired;
          encode(w, e);
        } else if constexpr (std::is_same_v<T, LimitsSetEvent>) {
          encoded.type = ef::type_limits_set;
          encode(w, e);
        } else if constexpr (std::is_same_v<T, CardStatusEvent>) {
          encoded.type = ef::type_card_status;
          encode(w, e);
        } else if constexpr (std::is_same_v<T, CardAddedEvent>) {
          encoded.type = ef::type_card_added;
          result = encode(w, e, cipher);
        } else {
          static_assert(std::is_same_v<T, BalanceAdjustedEvent>);
          encoded.type = ef::type_balance_adjusted;
          encode(w, e);
        }
      },
      event);
  encoded.bytes = w.size();
  return result;
}

CodecResult decode_event(std::uint16_t type, std::span<const std::byte> payload, const PanCipher* cipher,
                         core::Event& out, std::uint32_t* card_out, std::uint32_t* pan_key_id_out) {
  if (card_out != nullptr) *card_out = core::no_index;
  if (pan_key_id_out != nullptr) *pan_key_id_out = 0;
  if (!is_core_event_type(type)) return {"record type is not a core event"};
  if (payload.empty()) return {"event payload empty (no version byte)"};
  if (static_cast<std::uint8_t>(payload[0]) != ef::version) return {"event payload version unknown"};
  Reader r(payload);
  switch (type) {
    case ef::type_decision: {
      auto& d = out.emplace<DecisionEvent>();
      std::uint32_t pan_key_id = 0;
      const CodecResult res = decode(r, d, pan_key_id);
      if (res.ok() && card_out != nullptr) *card_out = d.card;
      if (res.ok() && pan_key_id_out != nullptr) *pan_key_id_out = pan_key_id;
      return res;
    }
    case ef::type_reversal: {
      std::uint32_t card = no_index, pan_key_id = 0;
      const CodecResult res = decode(r, out.emplace<ReversalEvent>(), card, pan_key_id);
      if (res.ok() && card_out != nullptr) *card_out = card;
      if (res.ok() && pan_key_id_out != nullptr) *pan_key_id_out = pan_key_id;
      return res;
    }
    case ef::type_hold_expired:
      return decode(r, out.emplace<HoldExpiredEvent>());
    case ef::type_limits_set:
      return decode(r, out.emplace<LimitsSetEvent>());
    case ef::type_card_status:
      return decode(r, out.emplace<CardStatusEvent>());
    case ef::type_card_added:
      return decode(r, out.emplace<CardAddedEvent>(), cipher);
    default:
      return decode(r, out.emplace<BalanceAdjustedEvent>());
  }
}

bool restore_pan(core::Event& event, std::uint32_t card, const core::Accounts& accounts) noexcept {
  if (card == core::no_index || card >= accounts.card_pans.size()) return false;
  const core::Pan full = accounts.card_pans[card];
  core::TxnContent* content = nullptr;
  if (auto* d = std::get_if<core::DecisionEvent>(&event)) content = &d->content;
  if (auto* v = std::get_if<core::ReversalEvent>(&event)) content = &v->content;
  if (content == nullptr || masked_pan_value(full) != content->pan) return false;
  content->pan = full;
  return true;
}

}  // namespace authswitch::ledger
