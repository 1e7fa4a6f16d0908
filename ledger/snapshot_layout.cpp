#include "ledger/snapshot_layout.h"

#include <array>
#include <cstddef>

#include "core/accounts.h"
#include "core/limit_slot.h"
#include "core/time_ms.h"
#include "core/txn_table.h"

namespace authswitch::ledger {
namespace {

template <typename T>
constexpr std::uint32_t u32(T v) noexcept {
  return static_cast<std::uint32_t>(v);
}

// offsetof on these standard-layout structs (all public data members).
constexpr std::array<LayoutItem, 20> layout{{
    {"LimitSlot size", u32(sizeof(core::LimitSlot))},
    {"LimitSlot alignment", u32(alignof(core::LimitSlot))},
    {"LimitSlot.current_start offset", u32(offsetof(core::LimitSlot, current_start))},
    {"LimitSlot.current_total offset", u32(offsetof(core::LimitSlot, current_total))},
    {"LimitSlot.next_total offset", u32(offsetof(core::LimitSlot, next_total))},
    {"LimitSet size", u32(sizeof(core::LimitSet))},
    {"LimitSet alignment", u32(alignof(core::LimitSet))},
    {"LimitSet.slots offset", u32(offsetof(core::LimitSet, slots))},
    {"LimitSet.slot_count offset", u32(offsetof(core::LimitSet, slot_count))},
    {"TxnEntry size", u32(sizeof(core::TxnEntry))},
    {"TxnEntry alignment", u32(alignof(core::TxnEntry))},
    {"TxnEntry.key_lo offset", u32(offsetof(core::TxnEntry, key_lo))},
    {"TxnEntry.state offset", u32(offsetof(core::TxnEntry, state))},
    {"TxnEntry.pan offset", u32(offsetof(core::TxnEntry, pan))},
    {"TxnEntry.pan_digits offset", u32(offsetof(core::TxnEntry, pan_digits))},
    {"TxnEntry.currency offset", u32(offsetof(core::TxnEntry, currency))},
    {"TxnEntry.amount offset", u32(offsetof(core::TxnEntry, amount))},
    {"TimeMs size", u32(sizeof(core::TimeMs))},
    {"balance size", u32(sizeof(core::User{}.balance))},
    {"pointer size", u32(sizeof(void*))},
}};

}  // namespace

std::span<const LayoutItem> build_layout() noexcept { return layout; }

}  // namespace authswitch::ledger
