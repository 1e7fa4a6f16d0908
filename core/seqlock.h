// Seqlock over a group of atomic words (a user's or a company's limit
// slots and balance).
//
// One writer only: the shard thread that owns the group (single writer per
// shard, see core.h). Readers on any thread retry while a write is under way,
// so they never see a partial application (SPEC 3: "no reader ever sees a
// partial application") and never block the writer.
//
// An approval writes a user's group and its company's group together: the
// writer opens both sequences before the first store and closes both after the
// last, so a reader that checks both (or the company's alone, for a whole
// company) sees all of an approval or none of it.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/assert.h"
#include "core/atomic_word.h"

namespace authswitch::core {

// The sequence word lives inside the protected record (User, Company).
struct SeqWord {
  std::uint32_t value = 0;
};

inline void seq_write_begin(SeqWord& s) noexcept {
  const std::uint32_t v = load_acquire(s.value);
  AS_ASSERT((v & 1u) == 0);  // one writer: never nested, never concurrent
  // The data stores that follow are release stores: a reader that sees any
  // of them also sees this odd sequence (no fence needed).
  store_release(s.value, v + 1);
}

inline void seq_write_end(SeqWord& s) noexcept {
  const std::uint32_t v = load_acquire(s.value);
  store_release(s.value, v + 1);
}

// Reader side: begin returns the sequence to hand to `retry`; an odd value
// means a write is under way and `retry` will say so.
[[nodiscard]] inline std::uint32_t seq_read_begin(const SeqWord& s) noexcept { return load_acquire(s.value); }

// The data loads between begin and retry are acquire loads, so this second
// read of the sequence cannot move before them.
[[nodiscard]] inline bool seq_read_retry(const SeqWord& s, std::uint32_t begin) noexcept {
  return (begin & 1u) != 0 || load_acquire(s.value) != begin;
}

}  // namespace authswitch::core
