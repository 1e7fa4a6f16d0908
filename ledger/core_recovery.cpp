// Snapshot + tail replay into a Core.
#include "ledger/core_recovery.h"

#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

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
  auto effect_ok = [&](const core::Effect& e) {
    if (e.user == core::no_index) return true;
    if (e.user >= users) return false;
    // A company's total moved for a user without a company would index past
    // the companies.
    for (std::size_t i = 0; i < e.delta_count; ++i) {
      if (e.deltas[i].owner == core::LimitOwner::company && acc.users[e.user].company == core::no_index) return false;
    }
    return true;
  };
  return std::visit(
      [&](const auto& e) -> const char* {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, core::DecisionEvent>) {
          if (e.card != core::no_index && e.card >= cards) return "decision: card index unknown";
          return effect_ok(e.effect) ? nullptr : "decision: user index unknown, or a company total for a user without one";
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

// Decodes and checks one record; `pending` holds the event when it is a core
// event (false otherwise).
Status decode_record(const RecordView& record, const core::Core& core, const PanCipher* cipher, core::Event& event,
                     bool& pending) {
  pending = false;
  if (!is_core_event_type(record.type)) return Status::ok();
  std::uint32_t card = core::no_index;
  const CodecResult res = decode_event(record.type, record.payload, cipher, event, &card);
  if (!res.ok()) {
    return Status::error(Fault::bad_type, "wal", -1,
                         "record " + std::to_string(record.sequence) + " does not decode: " + res.error);
  }
  if (const char* wrong = check_indices(event, core)) {
    return Status::error(Fault::bad_type, "wal", -1,
                         "record " + std::to_string(record.sequence) + " does not fit the accounts: " + wrong);
  }
  (void)restore_pan(event, card, core.accounts());
  pending = true;
  return Status::ok();
}

// Replay is bound by cache misses on the transaction table (hundreds of MiB)
// and the user records, one each per decision. Decoding a few records ahead
// and prefetching their lines lets those misses overlap instead of following
// each other (the same idea as the authorization thread's staged prefetch).
void prefetch_for(const core::Event& event, const core::Core& core) noexcept {
  const core::TxnKey* key = nullptr;
  std::uint32_t user = core::no_index;
  if (const auto* d = std::get_if<core::DecisionEvent>(&event)) {
    if (d->stored) key = &d->key;
    user = d->effect.user;
  } else if (const auto* r = std::get_if<core::ReversalEvent>(&event)) {
    if (r->stored) key = &r->key;
    user = r->effect.user;
  }
  if (key != nullptr) core.transactions().prefetch(*key);
  if (user != core::no_index) __builtin_prefetch(&core.accounts().users[user], 1);
}

// Events decoded, not yet applied, in record order.
class ReplayWindow {
 public:
  static constexpr std::size_t depth = 8;
  explicit ReplayWindow(core::Core& core) : core_(core) {}
  core::Event& slot() noexcept { return events_[(head_ + count_) % depth]; }
  // The slot just filled joins the window; the oldest is applied when full.
  void push() {
    prefetch_for(events_[(head_ + count_) % depth], core_);
    ++count_;
    if (count_ == depth) pop();
  }
  void drain() {
    while (count_ != 0) pop();
  }

 private:
  void pop() {
    core_.apply(events_[head_]);
    head_ = (head_ + 1) % depth;
    --count_;
  }
  core::Core& core_;
  std::array<core::Event, depth> events_{};
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace

Status apply_record(const RecordView& record, core::Core& core, const PanCipher* cipher, bool* applied) {
  if (applied != nullptr) *applied = false;
  core::Event event;
  bool pending = false;
  if (Status s = decode_record(record, core, cipher, event, pending); !s) return s;
  if (!pending) return Status::ok();
  core.apply(event);
  if (applied != nullptr) *applied = true;
  return Status::ok();
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
    if (!snapshot_pending) return Status::ok();
    snapshot_pending = false;
    return load_core_snapshot(snapshot, core, cipher);
  };
  const SnapshotLoader load = [&](std::span<const std::byte> chunk) {
    snapshot.insert(snapshot.end(), chunk.begin(), chunk.end());
    snapshot_pending = true;
    return Status::ok();
  };
  // Heap: a window of events is ~8 x 300 bytes, and start-up has room.
  auto window = std::make_unique<ReplayWindow>(core);
  const RecordApplier apply = [&](const RecordView& record) {
    if (Status s = load_pending(); !s) return s;
    // Only requests go through the window: any other event (a card added,
    // limits, a status) is applied alone, in order, so that decoding and
    // checking the records after it see the core it leaves.
    const bool request = record.type == event_format::type_decision || record.type == event_format::type_reversal ||
                         record.type == event_format::type_hold_expired;
    if (!request) window->drain();
    bool pending = false;
    if (Status s = decode_record(record, core, cipher, window->slot(), pending); !s) return s;
    ++result.records_read;
    if (pending) {
      window->push();
      ++result.events_applied;
    }
    if (!request) window->drain();
    return Status::ok();
  };
  RecoveryResult r;
  if (Status s = recover(wal_dir, load, apply, r); !s) return s;
  if (Status s = load_pending(); !s) return s;
  window->drain();
  result.snapshot = r.snapshot;
  result.last_sequence = r.last_sequence;
  if (r.snapshot && r.snapshot->covered_sequence > result.last_sequence) {
    result.last_sequence = r.snapshot->covered_sequence;
  }
  result.next_sequence = result.last_sequence + 1;
  result.tail_cut = r.tail_cut;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status::ok();
}

}  // namespace authswitch::ledger
