#include "core/limit_slot.h"

#include "core/assert.h"

namespace authswitch::core {

TimeMs period_start_past_window(const LimitSlot& s, const Zone& zone, TimeMs t) {
  return period_window(unpack_spec(load_acquire(s.spec)), zone, t).start;
}

namespace {

// The next period becomes the current one, with its total; the new next one
// runs from there to `next_end`, from zero.
void shift_window(LimitSlot& s, TimeMs next_end) {
  store_release(s.current_start, load_acquire(s.current_end));
  store_release(s.current_total, load_acquire(s.next_total));
  store_release(s.current_end, load_acquire(s.next_end));
  store_release(s.next_end, next_end);
  store_release(s.next_total, std::int64_t{0});
}

}  // namespace

// Moves the window so that t falls in it: by one period when t is in the
// period right after `next` (the next total becomes current), else to a
// fresh window starting at t's period.
void slot_slide(LimitSlot& s, const Zone& zone, TimeMs t) {
  const PeriodWindow w = period_window(unpack_spec(load_acquire(s.spec)), zone, t);
  const TimeMs old_next_end = load_acquire(s.next_end);
  // A never-used slot (next_end == time_ms_min) has nothing to carry over.
  if (w.start == old_next_end && old_next_end != time_ms_min) {
    shift_window(s, w.end);
  } else {
    store_release(s.current_start, w.start);
    store_release(s.current_end, w.end);
    store_release(s.next_end, w.next_end);
    store_release(s.current_total, std::int64_t{0});
    store_release(s.next_total, std::int64_t{0});
  }
}

void slot_reshape(LimitSlot& s, const LimitSpec& spec, const Zone& zone) {
  AS_ASSERT(spec.kind == unpack_spec(load_acquire(s.spec)).kind && spec.kind != PeriodKind::transaction);
  store_release(s.spec, pack_spec(spec));
  // A never-used slot opens its first window in the new shape anyway; a
  // `total` never resets, whatever its anchors say.
  if (load_acquire(s.next_end) == time_ms_min || spec.kind == PeriodKind::total) return;
  // A total in the next period means a transaction counted there: it is the
  // period in progress (the switch's clock does not go back across it).
  const bool next_in_progress = load_acquire(s.next_total) != 0;
  const TimeMs in_progress_end = next_in_progress ? load_acquire(s.next_end) : load_acquire(s.current_end);
  const TimeMs next_end = period_window(spec, zone, in_progress_end).end;
  if (next_in_progress) {
    shift_window(s, next_end);
  } else {
    store_release(s.next_end, next_end);
  }
}

}  // namespace authswitch::core
