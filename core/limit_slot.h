// The totals of one period limit (SPEC 4), in one cache line.
//
//   word  0: spec (LimitSpec packed)   word 4: next_end
//   word  1: max                       word 5: current_total
//   word  2: current_start             word 6: next_total
//   word  3: current_end (next start)  word 7: (padding)
//
// The slot keeps the current and the next period. The transaction time picks
// the one it counts in: before current_end counts in current (a time before
// current_start too: a past period is never reopened), before next_end in
// next; a later time slides the window forward first. Sliding never writes a
// total to zero in a batch: the next total becomes current, a fresh period
// starts at zero, and it happens only on the owning shard thread as part of an
// approval, inside the seqlock of the slot's owner.
//
// Every word is written with atomic stores (atomic_word.h) by the owning shard thread
// and read by others under the owner's seqlock (core/seqlock.h).
#pragma once

#include <cstdint>

#include "core/assert.h"
#include "core/constants.h"
#include "core/period.h"
#include "core/atomic_word.h"

namespace authswitch::core {

[[nodiscard]] constexpr std::uint64_t pack_spec(const LimitSpec& s) noexcept {
  return static_cast<std::uint64_t>(s.kind) | static_cast<std::uint64_t>(s.anchor_weekday) << 8 |
         static_cast<std::uint64_t>(s.anchor_day) << 16 | static_cast<std::uint64_t>(s.reset_minutes) << 24;
}

[[nodiscard]] constexpr LimitSpec unpack_spec(std::uint64_t w) noexcept {
  return LimitSpec{static_cast<PeriodKind>(w & 0xff), static_cast<std::uint8_t>((w >> 8) & 0xff),
                   static_cast<std::uint8_t>((w >> 16) & 0xff), static_cast<std::uint16_t>((w >> 24) & 0xffff)};
}

struct alignas(constants::cache_line_bytes) LimitSlot {
  std::uint64_t spec = 0;
  std::int64_t max = 0;
  // A slot never used has an empty window ending at time_ms_min, so the first
  // approval slides it to the period of its time.
  TimeMs current_start = time_ms_min;
  TimeMs current_end = time_ms_min;
  TimeMs next_end = time_ms_min;
  std::int64_t current_total = 0;
  std::int64_t next_total = 0;
};
static_assert(sizeof(LimitSlot) == constants::cache_line_bytes);

// Plain copy of a slot, as read under a seqlock or compared in tests.
struct SlotView {
  LimitSpec spec;
  std::int64_t max;
  TimeMs current_start, current_end, next_end;
  std::int64_t current_total, next_total;
  friend bool operator==(const SlotView&, const SlotView&) = default;
};

[[nodiscard]] inline SlotView read_slot(const LimitSlot& s) noexcept {
  return SlotView{unpack_spec(load_acquire(s.spec)),      load_acquire(s.max),
                  load_acquire(s.current_start),          load_acquire(s.current_end),
                  load_acquire(s.next_end),               load_acquire(s.current_total),
                  load_acquire(s.next_total)};
}

// The total t would count against, without changing anything (decisions
// check before they apply). A time past the next period counts in a period
// not yet opened: its total is zero.
[[nodiscard]] inline std::int64_t total_at(const LimitSlot& s, TimeMs t) noexcept {
  if (t < load_acquire(s.current_end)) return load_acquire(s.current_total);
  if (t < load_acquire(s.next_end)) return load_acquire(s.next_total);
  return 0;
}

// Start of the period t counts in (computes the zone only when t is past the
// window, i.e. once per period). Inline: the hot path asks it for every slot
// of every approval, and the window nearly always holds t.
[[nodiscard]] TimeMs period_start_past_window(const LimitSlot& s, const Zone& zone, TimeMs t);
[[nodiscard]] inline TimeMs period_start_at(const LimitSlot& s, const Zone& zone, TimeMs t) {
  if (t < load_acquire(s.current_end)) return load_acquire(s.current_start);
  if (t < load_acquire(s.next_end)) return load_acquire(s.current_end);
  return period_start_past_window(s, zone, t);
}

// The total t would count against and the start of its period, for a check
// and the delta an approval records, from one read of the window's bounds
// (the owning shard thread: nothing changes between the two).
struct SlotPeriod {
  std::int64_t total;
  TimeMs start;
};
[[nodiscard]] inline SlotPeriod period_at(const LimitSlot& s, const Zone& zone, TimeMs t) {
  const TimeMs current_end = load_acquire(s.current_end);
  if (t < current_end) return {load_acquire(s.current_total), load_acquire(s.current_start)};
  if (t < load_acquire(s.next_end)) return {load_acquire(s.next_total), current_end};
  return {0, period_start_past_window(s, zone, t)};
}

// Owning shard thread, inside the owner's seqlock: add `amount` (negative for
// a release) to the period starting at `period_start` if it is still the
// current or the next one; a past period is only recorded, never changed.
// Returns whether a total changed.
inline bool slot_adjust(LimitSlot& s, TimeMs period_start, std::int64_t amount) {
  if (period_start == load_acquire(s.current_start)) {
    store_release(s.current_total, load_acquire(s.current_total) + amount);
    return true;
  }
  if (period_start == load_acquire(s.current_end) && period_start < load_acquire(s.next_end)) {
    store_release(s.next_total, load_acquire(s.next_total) + amount);
    return true;
  }
  return false;
}

// Owning shard thread, inside the owner's seqlock: moves the window so that
// t falls in it (slot_add_at's rare case, once per period).
void slot_slide(LimitSlot& s, const Zone& zone, TimeMs t);

// Owning shard thread, inside the owner's seqlock: gives a used slot a new
// period shape of the same kind (other anchors or reset time) keeping its
// totals (SPEC 4: changing a limit "keeps the totals"). The period in
// progress keeps its bounds and its total: the next one if something counted
// in it (the current one is then past and is dropped), else the current one.
// The new shape starts where that period ends: the period after it runs to
// the new shape's first boundary and starts at zero, and the window slides
// from there in the new shape. So no total is reset or counted twice, and a
// reversal of a transaction counted in the period in progress still finds it.
void slot_reshape(LimitSlot& s, const LimitSpec& spec, const Zone& zone);

// Owning shard thread, inside the owner's seqlock: slide the window if t is
// past it, then add `amount` to the period starting at `period_start`.
inline void slot_add_at(LimitSlot& s, const Zone& zone, TimeMs t, TimeMs period_start, std::int64_t amount) {
  if (t >= load_acquire(s.next_end)) slot_slide(s, zone, t);
  const bool changed = slot_adjust(s, period_start, amount);
  AS_ASSERT(changed);  // t's period is in the window after the slide
}

}  // namespace authswitch::core
