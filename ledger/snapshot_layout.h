// What a snapshot's bytes assume about this build (SPEC 7: a snapshot from
// another build must be refused, not misread).
//
// Core::save_state writes some structs as they lie in memory (LimitSlot,
// LimitSet, TxnEntry: core/core_snapshot.cpp). Their sizes, alignments and a
// few field offsets are recorded in every snapshot's header
// (snapshot.h); a snapshot whose record differs from this build's is
// refused with the first difference named ("TxnEntry.currency offset: 34
// there, 20 here"), and recovery falls back to an older snapshot or the
// whole log. What this cannot see: a change of a struct that keeps every
// recorded size and offset (a field's meaning, or a reorder among fields not
// listed); the core's state version (core_snapshot.cpp) must change then.
#pragma once

#include <cstdint>
#include <span>

namespace authswitch::ledger {

struct LayoutItem {
  const char* name;      // for the refusal message
  std::uint32_t value;   // a size, an alignment or an offset in bytes
};

// This build's layout, in a fixed order (a new item goes at the end).
[[nodiscard]] std::span<const LayoutItem> build_layout() noexcept;

}  // namespace authswitch::ledger
