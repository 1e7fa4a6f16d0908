// Snapshot + tail replay into a Core.
#include "ledger/core_recovery.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/prefetch.h"
#include "ledger/core_snapshot.h"
#include "ledger/event_codec.h"
#include "ledger/recovery.h"

namespace authswitch::ledger {

namespace {

// The codec checks a payload on its own; these checks need the core: every
// index must name something that exists (apply() asserts, it does not check).
const char* check_indices(const core::Event& event, const core::Core& core) {
  const core::Accounts& acc = core.accounts();
  const std::size_t users = acc.users.size(), cards = acc.card_pans.size();
  // Whether the user has a company is checked just before apply
  // (check_company): reading the user record here would be a cache miss per
  // record that the replay window cannot overlap.
  auto effect_ok = [&](const core::Effect& e) { return e.user == core::no_index || e.user < users; };
  return std::visit(
      [&](const auto& e) -> const char* {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, core::DecisionEvent>) {
          if (e.card != core::no_index && e.card >= cards) return "decision: card index unknown";
          return effect_ok(e.effect) ? nullptr : "decision: user index unknown";
        } else if constexpr (std::is_same_v<T, core::ReversalEvent> || std::is_same_v<T, core::HoldExpiredEvent>) {
          return effect_ok(e.effect) ? nullptr : "reversal or expiry: user index unknown";
        } else if constexpr (std::is_same_v<T, core::LimitsSetEvent>) {
          const std::size_t n = e.owner == core::LimitOwner::user ? users : acc.companies.size();
          return e.index < n ? nullptr : "limits set: owner index unknown";
        } else if constexpr (std::is_same_v<T, core::CardStatusEvent>) {
          return e.card < cards ? nullptr : "card status: card index unknown";
        } else if constexpr (std::is_same_v<T, core::CardAddedEvent>) {
          if (e.card != cards) return "card added: index is not the next card";
          if (core.find_card(std::string_view(e.id.data(), e.id_length)) != core::no_index ||
              core.find_card_by_pan(e.pan) != nullptr) {
            return "card added: id or PAN already present";
          }
          return e.user < users ? nullptr : "card added: user index unknown";
        } else {
          return e.user < users ? nullptr : "balance adjusted: user index unknown";
        }
      },
      event);
}

// A company's total moved for a user without a company would index past the
// companies (apply asserts rather than checks).
const char* check_company(const core::Event& event, const core::Core& core) noexcept {
  const core::Effect* e = nullptr;
  if (const auto* d = std::get_if<core::DecisionEvent>(&event)) e = &d->effect;
  if (const auto* r = std::get_if<core::ReversalEvent>(&event)) e = &r->effect;
  if (const auto* h = std::get_if<core::HoldExpiredEvent>(&event)) e = &h->effect;
  if (e == nullptr || e->user == core::no_index) return nullptr;
  for (std::size_t i = 0; i < e->delta_count; ++i) {
    if (e->deltas[i].owner == core::LimitOwner::company &&
        core.accounts().users[e->user].company == core::no_index) {
      return "a company total for a user without one";
    }
  }
  return nullptr;
}

Status does_not_fit(std::uint64_t sequence, const char* wrong) {
  return Status::error(Fault::bad_type, "wal", -1,
                       "record " + std::to_string(sequence) + " does not fit the accounts: " + wrong);
}

// Decodes and checks one record's indices; `pending` holds the event when it
// is a core event (false otherwise), *card the card whose PAN restore_pan()
// puts back. What needs the accounts' records (finish_record) comes later,
// just before apply, when the window has brought those lines in.
// *other_key (when given) counts decisions whose PAN hash was made under
// another key than the core's (core/keyed_pan.h; id 0: not recorded).
Status decode_record(const RecordView& record, const core::Core& core, const PanCipher* cipher, core::Event& event,
                     bool& pending, std::uint32_t* card, std::uint64_t* other_key = nullptr) {
  pending = false;
  *card = core::no_index;
  if (!is_core_event_type(record.type)) return Status{};
  std::uint32_t pan_key_id = 0;
  const CodecResult res = decode_event(record.type, record.payload, cipher, event, card, &pan_key_id);
  if (!res.ok()) {
    return Status::error(Fault::bad_type, "wal", -1,
                         "record " + std::to_string(record.sequence) + " does not decode: " + res.error);
  }
  if (other_key != nullptr && pan_key_id != 0 &&
      pan_key_id != core::pan_hash_key_id(core.config().pan_hash_key)) {
    ++*other_key;
  }
  if (const char* wrong = check_indices(event, core)) return does_not_fit(record.sequence, wrong);
  pending = true;
  return Status{};
}

Status finish_record(core::Event& event, std::uint32_t card, std::uint64_t sequence, const core::Core& core) {
  if (const char* wrong = check_company(event, core)) return does_not_fit(sequence, wrong);
  (void)restore_pan(event, card, core.accounts());
  return Status{};
}

// Replay is bound by cache misses: a claim in the transaction table (hundreds
// of MiB), the user record, its limit slots and the card's PAN, random per
// decision. Records are decoded DEPTH ahead of apply and their lines
// prefetched in two stages, as the authorization thread does: stage 1 when a
// record enters the window (the table's tag lines, the user record, the
// card's PAN), stage 2 BODY_DISTANCE records before apply, once stage 1 has
// landed (the table body the tags point at, the user's and company's slots,
// read from the user record). Each miss then overlaps ~15 others instead of
// following the one before.
struct Entry {
  core::Event event;
  std::uint32_t card = core::no_index;
  std::uint64_t sequence = 0;
};

const core::TxnKey* key_of(const core::Event& event) noexcept {
  if (const auto* d = std::get_if<core::DecisionEvent>(&event)) return d->stored ? &d->key : nullptr;
  if (const auto* r = std::get_if<core::ReversalEvent>(&event)) return r->stored ? &r->key : nullptr;
  return nullptr;
}

std::uint32_t user_of(const core::Event& event) noexcept {
  if (const auto* d = std::get_if<core::DecisionEvent>(&event)) return d->effect.user;
  if (const auto* r = std::get_if<core::ReversalEvent>(&event)) return r->effect.user;
  if (const auto* h = std::get_if<core::HoldExpiredEvent>(&event)) return h->effect.user;
  return core::no_index;
}

void prefetch_stage1(const core::Event& event, std::uint32_t card, const core::Core& core) noexcept {
  const core::Accounts& acc = core.accounts();
  if (const core::TxnKey* key = key_of(event)) core.transactions().prefetch(*key);
  const std::uint32_t user = user_of(event);
  if (user != core::no_index) core::prefetch_write(&acc.users[user]);
  if (card < acc.card_pans.size()) core::prefetch_read(&acc.card_pans[card]);
}

void prefetch_stage2(const core::Event& event, const core::Core& core) noexcept {
  const core::Accounts& acc = core.accounts();
  if (const core::TxnKey* key = key_of(event)) core.transactions().prefetch_body(*key);
  const std::uint32_t user = user_of(event);
  if (user == core::no_index) return;
  const core::User& u = acc.users[user];
  const core::SlotPool& pool = *acc.slots;
  for (std::size_t j = 0; j < std::min<std::size_t>(u.limits.slot_count, u.limits.slots.size()); ++j) {
    core::prefetch_write(&pool[u.limits.slots[j]]);
  }
  if (u.company == core::no_index || u.company >= acc.companies.size()) return;
  const core::Company& c = acc.companies[u.company];
  core::prefetch_write(&c);
  for (std::size_t j = 0; j < std::min<std::size_t>(c.limits.slot_count, c.limits.slots.size()); ++j) {
    core::prefetch_write(&pool[c.limits.slots[j]]);
  }
}

}  // namespace

// Events decoded, not yet applied, in record order.
class ReplayWindow {
 public:
  static constexpr std::size_t depth = 16;
  static constexpr std::size_t body_distance = 8;  // stage 2 this many records before apply
  static_assert(body_distance < depth);

  explicit ReplayWindow(core::Core& core) : core_(core) {}
  // The slot to decode the next record into.
  Entry& slot() noexcept { return entries_[(head_ + count_) % depth]; }
  // The slot just filled joins the window; the oldest is applied when full.
  Status push() {
    const Entry& e = entries_[(head_ + count_) % depth];
    prefetch_stage1(e.event, e.card, core_);
    ++count_;
    if (count_ > depth - body_distance) {
      prefetch_stage2(entries_[(head_ + count_ - 1 - (depth - body_distance)) % depth].event, core_);
    }
    if (count_ == depth) return pop();
    return Status{};
  }
  Status drain() {
    while (count_ != 0) {
      if (Status s = pop(); !s.ok()) return s;
    }
    return Status{};
  }
  // The sequence of the record a pop() refused (0: none).
  [[nodiscard]] std::uint64_t failed_sequence() const noexcept { return failed_sequence_; }

 private:
  Status pop() {
    Entry& e = entries_[head_];
    head_ = (head_ + 1) % depth;
    --count_;
    if (Status s = finish_record(e.event, e.card, e.sequence, core_); !s.ok()) {
      failed_sequence_ = e.sequence;
      return s;
    }
    core_.apply(e.event);
    return Status{};
  }
  core::Core& core_;
  std::array<Entry, depth> entries_{};
  std::size_t head_ = 0, count_ = 0;
  std::uint64_t failed_sequence_ = 0;
};

// Heap: a window of events is ~16 x 300 bytes.
RecordReplayer::RecordReplayer(core::Core& core, const PanCipher* cipher)
    : core_(core), cipher_(cipher), window_(std::make_unique<ReplayWindow>(core)) {}

RecordReplayer::~RecordReplayer() = default;

Status RecordReplayer::add(const RecordView& record) {
  // Only requests go through the window: any other event (a card added,
  // limits, a status) is applied alone, in order, so that decoding and
  // checking the records after it see the core it leaves.
  const bool request = record.type == event_format::type_decision || record.type == event_format::type_reversal ||
                       record.type == event_format::type_hold_expired;
  if (!request) {
    if (Status s = window_->drain(); !s) return s;
  }
  bool pending = false;
  Entry& slot = window_->slot();
  if (Status s = decode_record(record, core_, cipher_, slot.event, pending, &slot.card, &keyed_pan_other_key_); !s) {
    failed_sequence_ = record.sequence;
    return s;
  }
  slot.sequence = record.sequence;
  ++records_read_;
  if (pending) {
    if (Status s = window_->push(); !s) return s;
    ++events_applied_;
  }
  if (!request) return window_->drain();
  return Status{};
}

Status RecordReplayer::drain() { return window_->drain(); }

std::uint64_t RecordReplayer::failed_sequence() const noexcept {
  return failed_sequence_ != 0 ? failed_sequence_ : window_->failed_sequence();
}

Status name_refused_record(const std::string& wal_dir, std::uint64_t sequence, Status refused) {
  if (sequence == 0) return refused;
  std::string file;
  std::int64_t offset = -1;
  if (!find_record(wal_dir, sequence, file, offset)) return refused;
  return Status::error(refused.fault(), file, offset, refused.message());
}

Status recover_core(const std::string& wal_dir, core::Core& core, const PanCipher* cipher,
                    CoreRecoveryResult& result) {
  const auto started = std::chrono::steady_clock::now();
  result = CoreRecoveryResult{};
  // The snapshot's CRC is checked only after its last chunk, so the state is
  // gathered first and loaded once the whole of it is known good (recover()
  // reads the snapshot completely before the first record).
  std::vector<std::byte> snapshot;
  bool snapshot_pending = false;
  auto load_pending = [&]() -> Status {
    if (!snapshot_pending) return Status{};
    snapshot_pending = false;
    std::uint64_t other_key = 0;
    const Status s = load_core_snapshot(snapshot, core, cipher, &other_key);
    result.keyed_pan_other_key += other_key;
    return s;
  };
  const SnapshotLoader load = [&](std::span<const std::byte> chunk) {
    snapshot.insert(snapshot.end(), chunk.begin(), chunk.end());
    snapshot_pending = true;
    return Status{};
  };
  RecordReplayer replayer(core, cipher);
  const RecordApplier apply = [&](const RecordView& record) {
    if (Status s = load_pending(); !s) return s;
    return replayer.add(record);
  };
  RecoveryResult r;
  if (Status s = recover(wal_dir, load, apply, r); !s) {
    return name_refused_record(wal_dir, replayer.failed_sequence(), std::move(s));
  }
  if (Status s = load_pending(); !s) return s;
  if (Status s = replayer.drain(); !s) return name_refused_record(wal_dir, replayer.failed_sequence(), std::move(s));
  result.records_read = replayer.records_read();
  result.events_applied = replayer.events_applied();
  result.keyed_pan_other_key += replayer.keyed_pan_other_key();
  result.snapshot = r.snapshot;
  result.last_sequence = r.last_sequence;
  if (r.snapshot && r.snapshot->covered_sequence > result.last_sequence) {
    result.last_sequence = r.snapshot->covered_sequence;
  }
  result.next_sequence = result.last_sequence + 1;
  result.tail_cut = r.tail_cut;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status{};
}

}  // namespace authswitch::ledger
