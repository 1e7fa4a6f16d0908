#include "core/limit_slot.h"

#include "core/assert.h"

namespace authswitch::core {

TimeMs period_start_past_window(const LimitSlot& s, const Zone& zone, TimeMs t) {
  return period_window(unpack_spec(load_acquire(s.spec)), zone, t).start;
}

// Moves the window so that t falls in it: by one period when t is in the
// period right after `next` (the next total becomes current), else to a
// fresh window starting at t's period.
void slot_slide(LimitSlot& s, const Zone& zone, TimeMs t) {
  const PeriodWindow w = period_window(unpack_spec(load_acquire(s.spec)), zone, t);
  const TimeMs old_next_end = load_acquire(s.next_end);
  // A never-used slot (next_end == time_ms_min) has nothing to carry over.
  if (w.start == old_next_end && old_next_end != time_ms_min) {
    store_release(s.current_start, load_acquire(s.current_end));
    store_release(s.current_total, load_acquire(s.next_total));
    store_release(s.current_end, w.start);
    store_release(s.next_end, w.end);
    store_release(s.next_total, std::int64_t{0});
  } else {
    store_release(s.current_start, w.start);
    store_release(s.current_end, w.end);
    store_release(s.next_end, w.next_end);
    store_release(s.current_total, std::int64_t{0});
    store_release(s.next_total, std::int64_t{0});
  }
}

}  // namespace authswitch::core
