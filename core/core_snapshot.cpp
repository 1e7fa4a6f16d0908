// Saving and loading the core's mutable state for snapshots (ledger/
// core_snapshot.h wraps it in the snapshot container).
//
// Layout (little-endian, version first), every count checked on load against
// the core it goes into:
//   u32 version, u32 shards, u64 txn capacity, u32 companies, u32 users,
//   u32 cards, u32 slots used
//   slots used x LimitSlot (64 bytes, as in memory)
//   companies x LimitSet;  users x {i64 balance, i64 open holds, LimitSet}
//   cards x u8 status
//   u64 n, n x {u64 table index, u32 card the PAN resolves to, TxnEntry with
//              the PAN's middle digits zeroed, or (version 2) the keyed hash
//              of an unknown card's PAN as the entry holds it (keyed_pan.h)}
//   shards x {u64 approvals, u32 n, n x {u16 key length, key, u64 body hash,
//              i64 balance after}}
// Raw in-memory structs: a snapshot is read back by the same build's layout
// (the version changes with it); the container's CRC guards the bytes.
#include <cstring>
#include <type_traits>

#include "core/assert.h"
#include "core/core.h"

namespace authswitch::core {

namespace {

// 2: entries may hold a hashed PAN (digit count with pan_keyed_flag). A
// version 1 state (none hashed) still loads; a build that knows only 1
// refuses a 2 rather than misread its hashes.
constexpr std::uint32_t state_version = 2;
constexpr std::uint32_t state_version_unhashed = 1;
static_assert(std::is_trivially_copyable_v<LimitSlot> && std::is_trivially_copyable_v<LimitSet> &&
              std::is_trivially_copyable_v<TxnEntry>);

template <typename T>
void put(std::vector<std::byte>& out, const T& v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

class In {
 public:
  explicit In(std::span<const std::byte> in) : in_(in) {}
  template <typename T>
  bool get(T& v) {
    if (at_ + sizeof v > in_.size()) return false;
    std::memcpy(&v, in_.data() + at_, sizeof v);
    at_ += sizeof v;
    return true;
  }
  bool bytes(void* p, std::size_t n) {
    if (at_ + n > in_.size()) return false;
    std::memcpy(p, in_.data() + at_, n);
    at_ += n;
    return true;
  }
  [[nodiscard]] bool done() const { return at_ == in_.size(); }

 private:
  std::span<const std::byte> in_;
  std::size_t at_ = 0;
};

std::uint64_t pow10(unsigned n) {
  std::uint64_t v = 1;
  for (unsigned i = 0; i < n; ++i) v *= 10;
  return v;
}

// First 6 and last 4 digits kept, the middle zero (SPEC 7).
Pan masked(Pan p) {
  if (p.digits < pan_digits_min || p.digits > pan_digits_max) return Pan{};
  const std::uint64_t scale = pow10(p.digits - 6u);
  return Pan{p.value / scale * scale + p.value % 10000, p.digits};
}

bool fail(std::string* error, const char* what) {
  if (error != nullptr) *error = std::string("snapshot state: ") + what;
  return false;
}

}  // namespace

void Core::save_state(std::vector<std::byte>& out) const {
  const SlotPool& pool = *acc_->slots;
  const auto slots_used = static_cast<std::uint32_t>(pool.capacity() - pool.available());
  put(out, state_version);
  put(out, static_cast<std::uint32_t>(cfg_.shards));
  put(out, static_cast<std::uint64_t>(txns_.capacity()));
  put(out, static_cast<std::uint32_t>(acc_->companies.size()));
  put(out, static_cast<std::uint32_t>(acc_->users.size()));
  put(out, static_cast<std::uint32_t>(acc_->card_pans.size()));
  put(out, slots_used);
  for (std::uint32_t i = 0; i < slots_used; ++i) put(out, pool[i]);
  for (const Company& c : acc_->companies) put(out, c.limits);
  for (const User& u : acc_->users) {
    put(out, load_acquire(u.balance));
    put(out, load_acquire(u.open_holds));
    put(out, u.limits);
  }
  for (const Pan& p : acc_->card_pans) {
    const CardEntry* e = acc_->cards.find(p);
    put(out, static_cast<std::uint8_t>(e != nullptr ? load_acquire(e->status) : 0));
  }
  std::uint64_t used = 0;
  for (std::size_t i = 0; i < txns_.capacity(); ++i) used += load_acquire(txns_.entries()[i].key_hi) != 0 ? 1 : 0;
  put(out, used);
  for (std::size_t i = 0; i < txns_.capacity(); ++i) {
    TxnEntry e = txns_.entries()[i];
    if (e.key_hi == 0) continue;
    const Pan pan{e.pan, e.pan_digits};
    const CardEntry* card = nullptr;
    if (!is_keyed(pan)) {  // a hashed PAN is kept as it is: no digits in it
      card = pan.digits != 0 ? acc_->cards.find(pan) : nullptr;
      const Pan m = masked(pan);
      e.pan = m.value;
      e.pan_digits = m.digits;
    }
    put(out, static_cast<std::uint64_t>(i));
    put(out, card != nullptr ? card->card : no_index);
    put(out, e);
  }
  for (std::size_t s = 0; s < cfg_.shards; ++s) {
    put(out, shards_[s].approvals);
    put(out, static_cast<std::uint32_t>(shards_[s].idempotency.size()));
    for (const auto& [key, rec] : shards_[s].idempotency) {
      put(out, static_cast<std::uint16_t>(key.size()));
      out.insert(out.end(), reinterpret_cast<const std::byte*>(key.data()),
                 reinterpret_cast<const std::byte*>(key.data()) + key.size());
      put(out, rec.body_hash);
      put(out, rec.balance_after);
    }
  }
}

bool Core::load_state(std::span<const std::byte> bytes, std::string* error) {
  In in(bytes);
  std::uint32_t version = 0, shards = 0, companies = 0, users = 0, cards = 0, slots_used = 0;
  std::uint64_t capacity = 0;
  if (!in.get(version) || (version != state_version && version != state_version_unhashed)) {
    return fail(error, "version unknown");
  }
  if (!in.get(shards) || shards != cfg_.shards) return fail(error, "shard count differs from the config");
  if (!in.get(capacity) || capacity != txns_.capacity()) return fail(error, "transaction table capacity differs");
  if (!in.get(companies) || companies != acc_->companies.size()) return fail(error, "company count differs");
  if (!in.get(users) || users != acc_->users.size()) return fail(error, "user count differs");
  if (!in.get(cards) || cards != acc_->card_pans.size()) return fail(error, "card count differs");
  SlotPool& pool = *acc_->slots;
  if (!in.get(slots_used) || slots_used > pool.capacity()) return fail(error, "limit slots above the pool");
  const auto used_now = static_cast<std::uint32_t>(pool.capacity() - pool.available());
  if (slots_used < used_now) return fail(error, "fewer limit slots than the accounts file made");
  for (std::uint32_t i = used_now; i < slots_used; ++i) (void)pool.allocate();
  for (std::uint32_t i = 0; i < slots_used; ++i) {
    if (!in.get(pool[i])) return fail(error, "limit slots truncated");
  }
  auto set_ok = [&](const LimitSet& s) {
    if (s.slot_count > constants::period_limits_per_owner_max) return false;
    for (std::size_t k = 0; k < s.slot_count; ++k) {
      if (s.slots[k] >= slots_used) return false;
    }
    return true;
  };
  for (Company& c : acc_->companies) {
    if (!in.get(c.limits) || !set_ok(c.limits)) return fail(error, "company limits truncated or out of range");
  }
  for (User& u : acc_->users) {
    if (!in.get(u.balance) || !in.get(u.open_holds) || !in.get(u.limits) || !set_ok(u.limits)) {
      return fail(error, "user state truncated or out of range");
    }
  }
  for (const Pan& p : acc_->card_pans) {
    std::uint8_t status = 0;
    if (!in.get(status) || status > static_cast<std::uint8_t>(CardStatus::stolen)) {
      return fail(error, "card status truncated or unknown");
    }
    CardEntry* e = acc_->cards.find(p);
    if (e != nullptr) store_release(e->status, status);
  }
  std::uint64_t used = 0;
  if (!in.get(used) || used > txns_.capacity()) return fail(error, "transaction count above the table");
  for (std::uint64_t n = 0; n < used; ++n) {
    std::uint64_t index = 0;
    std::uint32_t card = 0;
    TxnEntry e;
    if (!in.get(index) || !in.get(card) || !in.get(e)) return fail(error, "transactions truncated");
    if (index >= txns_.capacity() || e.key_hi == 0) return fail(error, "transaction index or key invalid");
    const Pan m{e.pan, e.pan_digits};
    if (is_keyed(m)) {
      if (version == state_version_unhashed) return fail(error, "hashed PAN in a version 1 state");
      if (pan_digit_count(m) < pan_digits_min || pan_digit_count(m) > pan_digits_max || card != no_index) {
        return fail(error, "hashed PAN with a bad digit count or a card");
      }
    } else if (card != no_index && card < acc_->card_pans.size() && masked(acc_->card_pans[card]) == m) {
      e.pan = acc_->card_pans[card].value;  // the full PAN again, from the card
    }
    txns_.entries()[index] = e;
    note_txn_time(shards_[0], e.txn_time);
  }
  txns_.rebuild_index();  // the tags of the bodies just written
  for (std::size_t s = 0; s < cfg_.shards; ++s) {
    std::uint32_t n = 0;
    if (!in.get(shards_[s].approvals) || !in.get(n)) return fail(error, "shard state truncated");
    shards_[s].idempotency.clear();
    for (std::uint32_t k = 0; k < n; ++k) {
      std::uint16_t length = 0;
      IdempotencyRecord rec{};
      if (!in.get(length) || length > 2 * constants::account_id_bytes_max + 16) {
        return fail(error, "idempotency key truncated or too long");
      }
      std::string key(length, '\0');
      if (!in.bytes(key.data(), length) || !in.get(rec.body_hash) || !in.get(rec.balance_after)) {
        return fail(error, "idempotency record truncated");
      }
      shards_[s].idempotency[std::move(key)] = rec;
    }
  }
  if (!in.done()) return fail(error, "bytes left after the state");
  return true;
}

}  // namespace authswitch::core
