#include "core/txn_table.h"

#include <sys/mman.h>

#include <bit>
#include <new>
#include <thread>

#if !defined(__SANITIZE_THREAD__)
#include <emmintrin.h>
#endif

#include "core/assert.h"

namespace authswitch::core {

namespace {

template <class T>
bool cas(T& word, T& expected, T desired) noexcept {
  return std::atomic_ref<T>(word).compare_exchange_strong(expected, desired, std::memory_order_acq_rel,
                                                          std::memory_order_acquire);
}

// A claim of another key with the same home bucket is between two stores; on
// a shared core its thread may have been preempted, so yield after a short
// spin.
void back_off(unsigned& spins) noexcept {
  if (spins++ < 64) __builtin_ia32_pause();
  else std::this_thread::yield();
}

constexpr auto u32(TxnState s) { return static_cast<std::uint32_t>(s); }

// The slot a claim takes in a bucket when it is free (else the bucket's
// first free one): known from the hash alone, so its body can be fetched
// alongside the tags instead of after them. Bits 24-31 of the hash: neither
// the home bucket's nor the fingerprint's, scaled to 0..6 by a multiply
// (a `% 7` costs a multiply, shifts and a subtract).
std::size_t preferred_slot(std::uint64_t h) noexcept {
  return static_cast<std::size_t>((((h >> 24) & 0xffu) * TxnTable::slots_per_bucket) >> 8);
}
// `empty`: a scan_tags mask (bit 2j for slot j).
std::size_t free_slot(unsigned empty, std::size_t preferred) noexcept {
  return ((empty >> (2 * preferred)) & 1u) != 0 ? preferred : static_cast<std::size_t>(std::countr_zero(empty)) / 2;
}

// All three lines of an entry, writable: a decision writes each of them.
void prefetch_entry(const TxnEntry* e) noexcept {
  const auto* lines = reinterpret_cast<const char*>(e);
  prefetch_write(lines);
  prefetch_write(lines + constants::cache_line_bytes);
  prefetch_write(lines + 2 * constants::cache_line_bytes);
}

// Set bits of a scan_tags mask (bits 0, 2, .., 12): std::popcount is a
// libgcc call without -mpopcnt. Pairs per nibble, then the nibbles summed
// into the top one by a multiply (at most 7, no carry out).
constexpr std::size_t count_spread(unsigned m) noexcept {
  const unsigned pairs = (m & 0x1111u) + ((m >> 2) & 0x1111u);
  return ((pairs * 0x1111u) >> 12) & 0xfu;
}
static_assert(count_spread(0x1555u) == 7 && count_spread(0x1001u) == 2 && count_spread(0x0004u) == 1 &&
              count_spread(0) == 0);

// Set bits of a 7-bit mask (a scan_fingerprints mask), by table.
constexpr std::array<std::uint8_t, 128> bits7 = [] {
  std::array<std::uint8_t, 128> t{};
  for (unsigned i = 0; i < 128; ++i) t[i] = static_cast<std::uint8_t>(((i >> 0) & 1) + ((i >> 1) & 1) + ((i >> 2) & 1) +
                                                                     ((i >> 3) & 1) + ((i >> 4) & 1) + ((i >> 5) & 1) +
                                                                     ((i >> 6) & 1));
  return t;
}();

}  // namespace

TxnTable::TxnTable(std::size_t capacity, TxnRetention retention) : retention_(retention) {
  AS_ASSERT(std::has_single_bit(capacity) && capacity >= 8 && capacity <= constants::txn_table_capacity_max);
  const std::size_t buckets = capacity / 8;
  bucket_mask_ = buckets - 1;
  const std::size_t bucket_bytes = buckets * sizeof(Bucket);
  mapped_bytes_ = bucket_bytes + buckets * slots_per_bucket * sizeof(TxnEntry);
  // Zeroed pages: an all-zero bucket is empty, an all-zero body unused.
  void* p = mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Huge pages where the kernel allows (THP "madvise" mode): a random probe
  // then costs a cache miss, not also a page walk. Every page is touched now,
  // at start-up: a first-touch fault on the hot path costs microseconds.
  (void)madvise(p, mapped_bytes_, MADV_HUGEPAGE);
  auto* bytes_p = static_cast<volatile char*>(p);
  for (std::size_t off = 0; off < mapped_bytes_; off += 4096) bytes_p[off] = 0;
  mapping_ = p;
  buckets_ = static_cast<Bucket*>(p);
  entries_ = reinterpret_cast<TxnEntry*>(static_cast<char*>(p) + bucket_bytes);
}

TxnTable::~TxnTable() { munmap(mapping_, mapped_bytes_); }

std::uint64_t TxnTable::make_tag(std::uint64_t fp, TimeMs t) noexcept {
  std::uint64_t minute = 0;
  if (t > 0) {
    const auto m = static_cast<std::uint64_t>(t / ms_per_minute);
    minute = m > 0xffffffffull ? 0xffffffffull : m;
  }
  return fp << 32 | minute;
}

TimeMs TxnTable::tag_time_end(std::uint64_t tag) noexcept {
  // The end of the entry's minute: ages are counted from it, so an entry is
  // never taken as older than it is.
  return (static_cast<TimeMs>(tag & 0xffffffffull) + 1) * ms_per_minute;
}

TxnTable::TagMasks TxnTable::scan_tags(const Bucket& bk, std::uint64_t fp) noexcept {
  TagMasks m;
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer checks the protocol with one atomic load per tag.
  for (std::size_t j = 0; j < slots_per_bucket; ++j) {
    const std::uint64_t t = load_acquire(bk.tags[j]);
    m.match |= static_cast<unsigned>((t >> 32) == fp) << (2 * j);
    m.empty |= static_cast<unsigned>(t == 0) << (2 * j);
  }
#else
  // The line as four 16-byte loads (SSE2, in every x86-64): control, tag 0 |
  // tags 1, 2 | 3, 4 | 5, 6, compared as 32-bit halves (one compare for 7
  // fingerprints, ~25 instructions where the loop took ~70). Aligned 8-byte
  // halves of a vector load are each read whole, and x86 keeps loads in
  // order, so each tag reads as an acquire load would; the loads are asm so
  // that the compiler treats them as such too (no caching, no reordering
  // with the key loads that follow).
  static_assert(alignof(Bucket) >= 16 && offsetof(Bucket, tags) == 8);
  const auto* lanes = reinterpret_cast<const __m128i*>(&bk);
  const __m128i want = _mm_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(fp)));
  const __m128i zero = _mm_setzero_si128();
  unsigned eq = 0, z = 0;
  for (unsigned k = 0; k < 4; ++k) {
    __m128i v;
    __asm__ volatile("movdqa %1, %0" : "=x"(v) : "m"(lanes[k]) : "memory");
    eq |= static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, want)))) << (4 * k);
    z |= static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, zero)))) << (4 * k);
  }
  // 32-bit half i is bit i: tag j is halves 2j+2 (minute) and 2j+3 (fingerprint).
  m.match = (eq >> 3) & 0x1555u;
  m.empty = (z >> 2) & (z >> 3) & 0x1555u;
#endif
  return m;
}

TxnTable::TagMasks TxnTable::scan_fingerprints(const Bucket& bk, std::uint64_t fp) noexcept {
  TagMasks m;
#if defined(__SANITIZE_THREAD__)
  for (std::size_t j = 0; j < slots_per_bucket; ++j) {
    const std::uint64_t half = load_acquire(bk.tags[j]) >> 32;
    m.match |= static_cast<unsigned>(half == fp) << j;
    m.empty |= static_cast<unsigned>(half == 0) << j;
  }
#else
  // Only the fingerprint halves, gathered into two vectors (control's, tags
  // 0-2; tags 3-6): half the compares of scan_tags. A busy tag (fingerprint
  // 0) reads as free; the claim itself looks exactly.
  const auto* lanes = reinterpret_cast<const __m128*>(&bk);
  __m128 v[4];
  for (unsigned k = 0; k < 4; ++k) __asm__ volatile("movaps %1, %0" : "=x"(v[k]) : "m"(lanes[k]) : "memory");
  const __m128i lo = _mm_castps_si128(_mm_shuffle_ps(v[0], v[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m128i hi = _mm_castps_si128(_mm_shuffle_ps(v[2], v[3], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m128i want = _mm_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(fp)));
  const __m128i zero = _mm_setzero_si128();
  const auto mask = [](__m128i x) { return static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(x))); };
  // Bit 0 is the control word's upper half: dropped.
  m.match = (mask(_mm_cmpeq_epi32(lo, want)) | mask(_mm_cmpeq_epi32(hi, want)) << 4) >> 1;
  m.empty = (mask(_mm_cmpeq_epi32(lo, zero)) | mask(_mm_cmpeq_epi32(hi, zero)) << 4) >> 1;
#endif
  return m;
}

bool TxnTable::reusable(const TxnEntry& e, std::uint32_t state, std::uint64_t tag, TimeMs now,
                        bool* holds) const noexcept {
  const TimeMs age = now - tag_time_end(tag);
  if (age < retention_.duplicate_window_ms) return false;  // the common case: no body read
  bool hold = false;
  if (state == u32(TxnState::final)) {
    hold = static_cast<EffectKind>(load_acquire(e.effect_kind)) == EffectKind::hold && load_acquire(e.remaining) > 0;
  } else if (state == u32(TxnState::remembered)) {
    hold = true;  // its original may still come; kept as long as a hold would be
  } else {
    return false;  // pending, taking, pinned, reusing
  }
  if (!hold) return true;
  if (age >= retention_.hold_ms) return true;
  *holds = true;
  return false;
}

TxnTable::Result TxnTable::find_or_claim(const TxnKey& key, const TxnContent& content, TxnState state,
                                         TimeMs now, bool bodies_fetched) noexcept {
  AS_ASSERT(key.hi != 0);
  const std::uint64_t h = hash(key);
  const std::uint64_t fp = fingerprint(h);
  const std::size_t window[2] = {home(h), other(h)};
  const std::size_t window_buckets = bucket_mask_ == 0 ? 1 : 2;
  Bucket& hb = buckets_[window[0]];
  // A new key most often takes its preferred slot in one of the two buckets:
  // the line the claim writes (line 0) of both is asked for now, so that
  // its miss overlaps the tags' rather than follows them; lines 1 and 2,
  // written only with the answer, are asked for once the slot is chosen
  // (before, all three lines of both candidates were: three lines fetched
  // for nothing every claim). Not when the staged prefetch has fetched the
  // one body the claim will take: the other bucket's would be a random miss
  // for nothing, and on the development VM random misses barely overlap
  // (bench/core: with the early prefetches, staged in-cache decisions were
  // no faster than plain ones).
  const std::size_t preferred = preferred_slot(h);
  if (!bodies_fetched) {
    prefetch_write(&body(window[0], preferred));
    prefetch_write(&body(window[1], preferred));
  }
  for (unsigned spins = 0;;) {
    const std::uint64_t c = load_acquire(hb.control);
    if ((c & 1u) != 0) {  // a claim of a key with this home is under way (maybe ours)
      back_off(spins);
      continue;
    }
    // Pass 1, tags only: the key, and never-used slots. Both lines are
    // scanned before either is acted on; a one-bucket table has no second.
    const TagMasks masks[2] = {scan_tags(buckets_[window[0]], fp),
                               window_buckets == 2 ? scan_tags(buckets_[window[1]], fp) : TagMasks{}};
    for (std::size_t w = 0; w < 2; ++w) {
      for (unsigned match = masks[w].match; match != 0; match &= match - 1) {
        // The tag is published after the body's key (release/acquire).
        TxnEntry& e = body(window[w], static_cast<std::size_t>(std::countr_zero(match)) / 2);
        if (load_acquire(e.key_hi) == key.hi && load_acquire(e.key_lo) == key.lo) return {Outcome::found, &e};
      }
    }
    // A never-used slot in the emptier of the two buckets (two choices keep
    // the buckets even: the table fills to ~90% before a pair overflows);
    // else (pass 2) the oldest reusable one. Only the chosen slot's address
    // is computed.
    std::uint64_t* free_tag = nullptr;
    TxnEntry* free_body = nullptr;
    if ((masks[0].empty | masks[1].empty) != 0) {
      const std::size_t pick = count_spread(masks[1].empty) > count_spread(masks[0].empty) ? 1 : 0;
      const std::size_t j = free_slot(masks[pick].empty, preferred);
      free_tag = &buckets_[window[pick]].tags[j];
      free_body = &body(window[pick], j);
      if (!bodies_fetched) {
        const auto* lines = reinterpret_cast<const char*>(free_body);
        prefetch_write(lines + constants::cache_line_bytes);
        prefetch_write(lines + 2 * constants::cache_line_bytes);
      }
    }
    // Pass 2, only when no slot was never used: the oldest slot whose tag
    // says "older than the duplicate window" (entries are kept as long as
    // room allows, the window is only the minimum), if its body says it may
    // go. Once the table has wrapped this is every claim, so the oldest tag
    // is found in one branch-free pass over the 14 (the two-loop search below
    // cost ~400 instructions a claim); the others are judged, oldest first,
    // only when that one may not go (an open hold, a pending entry).
    std::uint64_t* old_tag = nullptr;
    TxnEntry* old_body = nullptr;
    std::uint64_t old_tag_value = 0;
    bool holds = false;
    bool any_old = false;
    if (free_tag == nullptr) {
      // minute << 4 | w << 3 | j: the oldest minute, ties to the first slot
      // (w << 3: no division by 7 to find the slot again).
      // No tag is 0 here (pass 1 found none, and a used tag never goes back
      // to 0); a busy one (minute 1) comes out oldest, fails the check below
      // and leaves the choice to the full search. Unrolled: a loop's counting
      // cost as much as the compares.
      std::uint64_t oldest = ~0ull;
      const Bucket* const bks[2] = {&buckets_[window[0]], &buckets_[window[window_buckets - 1]]};
#pragma GCC unroll 2
      for (std::size_t w = 0; w < 2; ++w) {
#pragma GCC unroll 7
        for (std::size_t j = 0; j < slots_per_bucket; ++j) {
          const std::uint64_t k = (load_acquire(bks[w]->tags[j]) & 0xffffffffull) << 4 | w << 3 | j;
          oldest = k < oldest ? k : oldest;
        }
      }
      // Old: (minute + 1) * ms_per_minute <= now - window, i.e. minute < cutoff
      // (tag_time_end); the oldest minute is old if any is.
      const TimeMs bound = now - retention_.duplicate_window_ms;
      const std::uint64_t cutoff = bound > 0 ? static_cast<std::uint64_t>(bound / ms_per_minute) : 0;
      any_old = (oldest >> 4) < cutoff;
      if (any_old) {
        const std::size_t w = static_cast<std::size_t>(oldest >> 3) & 1u, j = static_cast<std::size_t>(oldest) & 7u;
        std::uint64_t& tag = buckets_[window[w]].tags[j];
        TxnEntry& b = body(window[w], j);
        const std::uint64_t t = load_acquire(tag);
        if (t != busy_tag && t != 0 && reusable(b, load_acquire(b.state), t, now, &holds)) {
          old_tag = &tag;
          old_body = &b;
          old_tag_value = t;
        }
      }
    }
    // The rest of pass 2, when the oldest may not go: every slot whose tag
    // says "older than the duplicate window" (their bodies are read below).
    std::uint64_t* old_tags[2 * slots_per_bucket];
    TxnEntry* old_bodies[2 * slots_per_bucket];
    std::size_t olds = 0;
    for (std::size_t w = 0; free_tag == nullptr && old_tag == nullptr && any_old && w < window_buckets; ++w) {
      Bucket& bk = buckets_[window[w]];
      for (std::size_t j = 0; j < slots_per_bucket; ++j) {
        const std::uint64_t t = load_acquire(bk.tags[j]);
        if (t != 0 && t != busy_tag && now - tag_time_end(t) >= retention_.duplicate_window_ms) {
          old_tags[olds] = &bk.tags[j];
          old_bodies[olds++] = &body(window[w], j);
        }
      }
    }
    // Oldest first.
    while (free_tag == nullptr && old_tag == nullptr && olds > 0) {
      std::size_t k = 0;
      std::uint64_t t = 0;
      for (std::size_t i = 0; i < olds; ++i) {
        const std::uint64_t ti = load_acquire(*old_tags[i]);
        if (i == 0 || (ti & 0xffffffffull) < (t & 0xffffffffull)) {
          k = i;
          t = ti;
        }
      }
      if (t != busy_tag && t != 0 && reusable(*old_bodies[k], load_acquire(old_bodies[k]->state), t, now, &holds)) {
        old_tag = old_tags[k];
        old_body = old_bodies[k];
        old_tag_value = t;
        break;
      }
      old_tags[k] = old_tags[--olds];
      old_bodies[k] = old_bodies[olds];
    }
    if (free_tag == nullptr && old_tag == nullptr) {
      // Nothing to take. If no claim with this home happened meanwhile the
      // answer stands (the key is absent, the window full).
      if (load_acquire(hb.control) == c) {
        return {Outcome::full, nullptr, false, holds ? FullReason::holds : FullReason::window};
      }
      continue;
    }
    std::uint64_t expected_c = c;
    if (!cas(hb.control, expected_c, c | 1u)) continue;  // a claim with this home came first: rescan
    TxnEntry* e = nullptr;
    bool reused = false;
    if (free_tag != nullptr) {
      std::uint64_t expected = 0;
      if (!cas(*free_tag, expected, busy_tag)) {  // taken by a key whose home is the next bucket
        store_release(hb.control, c + 2);
        continue;
      }
      e = free_body;
    } else {
      std::uint32_t st = load_acquire(old_body->state);
      bool unused_holds = false;
      const std::uint32_t was = st;
      if ((st != u32(TxnState::final) && st != u32(TxnState::remembered)) ||
          !cas(old_body->state, st, u32(TxnState::reusing))) {
        store_release(hb.control, c + 2);
        continue;
      }
      // Ours now. Still the entry that was judged reusable (not one reused by
      // another claimer in between and young again)?
      const std::uint64_t t2 = load_acquire(*old_tag);
      if (t2 != old_tag_value || !reusable(*old_body, was, t2, now, &unused_holds)) {
        store_release(old_body->state, was);
        store_release(hb.control, c + 2);
        continue;
      }
      store_release(*old_tag, busy_tag);
      e = old_body;
      reused = true;
    }
    // The body. Release stores: a reader still holding the old entry's
    // address reads atomically and then sees the state or key change.
    store_release(e->key_hi, key.hi);
    store_release(e->key_lo, key.lo);
    store_release(e->pan, content.pan.value);
    store_release(e->pan_digits, content.pan.digits);
    store_release(e->processing_code, content.processing_code);
    store_release(e->amount, content.amount);
    store_release(e->currency, content.currency);
    store_release(e->amount_numeric, std::uint8_t{content.amount_numeric ? std::uint8_t{1} : std::uint8_t{0}});
    store_release(e->txn_time, now);
    if (reused) {
      store_release(e->remaining, std::int64_t{0});
      store_release(e->rc, std::uint8_t{0});
      store_release(e->reason, std::uint8_t{0});
      store_release(e->effect_kind, std::uint8_t{0});
      store_release(e->reversed, std::uint8_t{0});
      store_release(e->card, std::uint32_t{0});
      store_release(e->user, std::uint32_t{0});
      store_release(e->mti_class, std::uint8_t{0});
      store_release(e->has_approval, std::uint8_t{0});
      store_release(e->has_available, std::uint8_t{0});
      store_release(e->slot_count, std::uint8_t{0});
      store_release(e->effect_amount, std::int64_t{0});
    }
    store_release(e->state, u32(state));
    store_release(reused ? *old_tag : *free_tag, make_tag(fp, now));
    store_release(hb.control, c + 2);
    return {Outcome::claimed, e, reused};
  }
}

TxnEntry* TxnTable::find(const TxnKey& key) noexcept {
  const std::uint64_t h = hash(key);
  const std::uint64_t fp = fingerprint(h);
  const std::size_t window[2] = {home(h), other(h)};
  const std::size_t window_buckets = bucket_mask_ == 0 ? 1 : 2;
  for (std::size_t w = 0; w < window_buckets; ++w) {
    const Bucket& bk = buckets_[window[w]];
    for (std::size_t j = 0; j < slots_per_bucket; ++j) {
      const std::uint64_t t = load_acquire(bk.tags[j]);
      if ((t >> 32) != fp) continue;
      TxnEntry& e = body(window[w], j);
      if (load_acquire(e.key_hi) == key.hi && load_acquire(e.key_lo) == key.lo) return &e;
    }
  }
  return nullptr;
}

bool TxnTable::read_answer(const TxnEntry& e, const TxnKey& key, TxnAnswer* out) noexcept {
  for (;;) {
    const std::uint32_t s1 = load_acquire(e.state);
    if (s1 == u32(TxnState::reusing)) return false;
    if (load_acquire(e.key_hi) != key.hi || load_acquire(e.key_lo) != key.lo) return false;
    TxnAnswer a;
    a.state = static_cast<TxnState>(s1);
    // Only what is settled in this state: the content from the claim on
    // (a taking entry is getting its content), the answer once final.
    if (s1 != u32(TxnState::taking)) {
      a.content = TxnContent{Pan{load_acquire(e.pan), load_acquire(e.pan_digits)}, load_acquire(e.processing_code),
                             load_acquire(e.amount), load_acquire(e.currency), load_acquire(e.amount_numeric) != 0};
    }
    if (s1 == u32(TxnState::final) || s1 == u32(TxnState::pinned)) {
      a.rc = load_acquire(e.rc);
      a.reason = load_acquire(e.reason);
      a.has_approval = load_acquire(e.has_approval);
      for (std::size_t i = 0; i < a.approval.size(); ++i) a.approval[i] = load_acquire(e.approval[i]);
      a.card = load_acquire(e.card);
      a.has_available = load_acquire(e.has_available);
      const std::uint64_t av =
          static_cast<std::uint64_t>(load_acquire(e.available_hi)) << 32 | load_acquire(e.available_lo);
      a.available = static_cast<std::int64_t>(av << 16) >> 16;
    }
    // Unchanged state and key: nothing above belongs to a later owner.
    const std::uint32_t s2 = load_acquire(e.state);
    if (load_acquire(e.key_hi) != key.hi || load_acquire(e.key_lo) != key.lo) return false;
    if (s2 == s1) {
      *out = a;
      return true;
    }
    if (s2 == u32(TxnState::reusing)) return false;
    // Decided, pinned or unpinned meanwhile: read again.
  }
}

bool TxnTable::transition(TxnEntry& e, const TxnKey& key, TxnState from, TxnState to, TxnState* seen) noexcept {
  std::uint32_t st = u32(from);
  if (!cas(e.state, st, u32(to))) {
    if (seen != nullptr) *seen = static_cast<TxnState>(st);
    return false;
  }
  if (load_acquire(e.key_hi) != key.hi || load_acquire(e.key_lo) != key.lo) {
    // Reused for another key since it was found: put its state back.
    store_release(e.state, u32(from));
    if (seen != nullptr) *seen = TxnState::reusing;
    return false;
  }
  return true;
}

void TxnTable::prefetch_body(const TxnKey& key) const noexcept {
  const std::uint64_t h = hash(key);
  const std::uint64_t fp = fingerprint(h);
  const std::size_t b0 = home(h), b1 = other(h);
  // The slot find_or_claim would pick: the key's own, else the preferred (or
  // first) never-used slot of the emptier bucket, else the oldest. Both
  // buckets scanned without a branch between them: the claim reads both too.
  const TagMasks m0 = scan_fingerprints(buckets_[b0], fp);
  const TagMasks m1 = scan_fingerprints(buckets_[b1], fp);
  const TxnEntry* candidate = nullptr;
  if ((m0.match | m1.match) != 0) {
    candidate = m0.match != 0 ? &body(b0, static_cast<std::size_t>(std::countr_zero(m0.match)))
                              : &body(b1, static_cast<std::size_t>(std::countr_zero(m1.match)));
  } else if ((m0.empty | m1.empty) != 0) {
    const bool second = bits7[m1.empty] > bits7[m0.empty];
    const unsigned empty = second ? m1.empty : m0.empty;
    const std::size_t preferred = preferred_slot(h);
    const std::size_t j = ((empty >> preferred) & 1u) != 0 ? preferred : static_cast<std::size_t>(std::countr_zero(empty));
    candidate = &body(second ? b1 : b0, j);
  } else {
    std::uint64_t oldest = ~0ull;
    for (const std::size_t b : {b0, b1}) {
      for (std::size_t j = 0; j < slots_per_bucket; ++j) {
        const std::uint64_t t = load_acquire(buckets_[b].tags[j]);
        if (t != 0 && t != busy_tag && (t & 0xffffffffull) < oldest) {
          oldest = t & 0xffffffffull;
          candidate = &body(b, j);
        }
      }
    }
  }
  if (candidate != nullptr) prefetch_entry(candidate);
}

std::size_t TxnTable::used() const noexcept {
  std::size_t n = 0;
  for (std::size_t b = 0; b <= bucket_mask_; ++b) {
    for (const std::uint64_t& t : buckets_[b].tags) n += load_acquire(t) != 0 ? 1 : 0;
  }
  return n;
}

void TxnTable::rebuild_index() noexcept {
  for (std::size_t b = 0; b <= bucket_mask_; ++b) {
    Bucket& bk = buckets_[b];
    bk.control = 0;
    for (std::size_t j = 0; j < slots_per_bucket; ++j) {
      const TxnEntry& e = body(b, j);
      bk.tags[j] = e.key_hi == 0 ? 0 : make_tag(fingerprint(hash(TxnKey{e.key_hi, e.key_lo})), e.txn_time);
    }
  }
}

}  // namespace authswitch::core
