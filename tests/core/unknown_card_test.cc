// Rule 2 on a request whose card is unknown (SPEC 3): its PAN is kept only as
// a keyed hash (core/keyed_pan.h), and a retransmission gets the stored
// answer, live and after the state is rebuilt from its events, as for a
// known card; another PAN under the same key gets 94.
#include <gtest/gtest.h>

#include <cstring>

#include "core/keyed_pan.h"
#include "tests/core/accounts_text.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr PanHashKey test_key{0x0123456789abcdefull, 0xfedcba9876543210ull};
constexpr const char* pan_unknown_other = "4999999999990001";

std::unique_ptr<Core> keyed_core(PanHashKey key = test_key) {
  LoadResult loaded = load_accounts_text(rules_accounts, "test.ndjson");
  EXPECT_TRUE(loaded.accounts) << loaded.error;
  std::string err;
  CoreConfig cfg;
  cfg.zone = *Zone::parse("Asia/Tokyo", &err);
  cfg.txn_capacity = 1u << 12;
  cfg.pan_hash_key = key;
  return std::make_unique<Core>(std::move(loaded.accounts), cfg);
}

AuthResponse send(Core& core, const AuthRequest& r, EventSink& sink) { return core.authorize(core.route(r), r, sink); }

// The published test vectors (SipHash paper, appendix A, and the reference
// implementation's vectors.h): key 00..0f, message 00..(n-1).
TEST(KeyedPan, SipHash24MatchesThePublishedVectors) {
  const PanHashKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  unsigned char msg[15];
  for (unsigned i = 0; i < sizeof msg; ++i) msg[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(siphash24(key, msg, 8), 0x93f5f5799a932462ull);
  EXPECT_EQ(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
}

TEST(KeyedPan, TheHashDependsOnTheKeyThePanAndItsLength) {
  const Pan p = *parse_pan(pan_unknown);
  const Pan h = keyed_pan(p, test_key);
  EXPECT_TRUE(is_keyed(h));
  EXPECT_FALSE(is_keyed(p));
  EXPECT_EQ(pan_digit_count(h), 16);
  EXPECT_NE(h.value, p.value);
  EXPECT_EQ(keyed_pan(p, test_key), h);
  EXPECT_NE(keyed_pan(p, PanHashKey{1, 2}).value, h.value);
  EXPECT_NE(keyed_pan(*parse_pan(pan_unknown_other), test_key).value, h.value);
  // Leading zeros count: the same value with another digit count.
  EXPECT_NE(keyed_pan(Pan{p.value, 17}, test_key).value, h.value);
  EXPECT_TRUE(same_pan(h, p, test_key));
  EXPECT_FALSE(same_pan(h, p, PanHashKey{1, 2}));
  EXPECT_TRUE(same_pan(p, p, test_key));
}

TEST(UnknownCard, RetransmissionGetsTheStored14AsADuplicate) {
  auto core = keyed_core();
  RecordingSink sink;
  const AuthRequest first = request(pan_unknown, 1000, 7);
  const AuthResponse a = send(*core, first, sink);
  EXPECT_EQ(rc(a), "14");
  EXPECT_FALSE(a.duplicate);
  const AuthResponse again = send(*core, first, sink);
  EXPECT_EQ(rc(again), "14");
  EXPECT_TRUE(again.duplicate);

  // Same key, other content: another unknown PAN, a known card's PAN, another amount.
  EXPECT_EQ(rc(send(*core, request(pan_unknown_other, 1000, 7), sink)), "94");
  EXPECT_EQ(rc(send(*core, request(pan_c1, 1000, 7), sink)), "94");
  EXPECT_EQ(rc(send(*core, request(pan_unknown, 1001, 7), sink)), "94");
  EXPECT_EQ(rc(send(*core, first, sink)), "14");

  // What was decided carries the hash, never the PAN; so does the entry.
  const Pan plain = *parse_pan(pan_unknown);
  const auto& d = std::get<DecisionEvent>(sink.events[0]);
  EXPECT_TRUE(d.stored);
  EXPECT_EQ(d.content.pan, keyed_pan(plain, test_key));
  std::size_t seen = 0;
  for (std::size_t i = 0; i < core->transactions().capacity(); ++i) {
    const TxnEntry& e = core->transactions().entries()[i];
    if (e.key_hi == 0) continue;
    ++seen;
    EXPECT_NE(e.pan, plain.value);
    EXPECT_EQ(Pan(e.pan, e.pan_digits), keyed_pan(plain, test_key));
  }
  EXPECT_EQ(seen, 1u);
}

// An advice on an unknown card (00, applies nothing) and the original of a
// remembered reversal (05) keep the hash as well.
TEST(UnknownCard, AdviceAndRememberedOriginalRepeatTheirAnswer) {
  auto core = keyed_core();
  NullSink none;
  const AuthRequest advice = request(pan_unknown, 500, 11, MtiClass::advice);
  EXPECT_EQ(rc(send(*core, advice, none)), "00");
  const AuthResponse a = send(*core, advice, none);
  EXPECT_EQ(rc(a), "00");
  EXPECT_TRUE(a.duplicate);
  EXPECT_EQ(rc(send(*core, request(pan_unknown_other, 500, 11, MtiClass::advice), none)), "94");

  const AuthRequest original = request(pan_unknown, 700, 12);
  EXPECT_EQ(rc(send(*core, reversal_of(original, 13), none)), "25");
  EXPECT_EQ(rc(send(*core, original, none)), "05");
  const AuthResponse b = send(*core, original, none);
  EXPECT_EQ(rc(b), "05");
  EXPECT_TRUE(b.duplicate);
  EXPECT_EQ(rc(send(*core, request(pan_unknown_other, 700, 12), none)), "94");
}

// The state rebuilt from the events (what the log replays) answers exactly
// as the live core: the stored 14 for the retransmission, 94 for another PAN.
TEST(UnknownCard, ReplayedStateAnswersAsTheLiveOne) {
  auto live = keyed_core();
  RecordingSink sink;
  const AuthRequest first = request(pan_unknown, 1000, 7);
  const AuthRequest advice = request(pan_unknown, 500, 11, MtiClass::advice);
  const AuthRequest original = request(pan_unknown, 700, 12);
  ASSERT_EQ(rc(send(*live, first, sink)), "14");
  ASSERT_EQ(rc(send(*live, advice, sink)), "00");
  ASSERT_EQ(rc(send(*live, reversal_of(original, 13), sink)), "25");
  ASSERT_EQ(rc(send(*live, original, sink)), "05");
  ASSERT_EQ(rc(send(*live, request(pan_c1, 1000, 20), sink)), "00");

  auto replayed = keyed_core();
  for (const Event& e : sink.events) replayed->apply(e);
  ASSERT_EQ(replayed->dump_state(), live->dump_state());

  for (Core* core : {live.get(), replayed.get()}) {
    NullSink none;
    const AuthResponse a = send(*core, first, none);
    EXPECT_EQ(rc(a), "14");
    EXPECT_TRUE(a.duplicate);
    EXPECT_EQ(rc(send(*core, advice, none)), "00");
    EXPECT_EQ(rc(send(*core, original, none)), "05");
    EXPECT_EQ(rc(send(*core, request(pan_unknown_other, 1000, 7), none)), "94");
    // The reversal that came first repeats its 25; with another PAN, 94.
    const AuthResponse rev = send(*core, reversal_of(original, 13), none);
    EXPECT_EQ(rc(rev), "25");
    EXPECT_TRUE(rev.duplicate);
    AuthRequest rev_other = reversal_of(original, 13);
    rev_other.set_pan(pan_unknown_other);
    EXPECT_EQ(rc(send(*core, rev_other, none)), "94");
    // A reversal of the 14 finds it (same PAN): 00, nothing to release.
    const AuthResponse r = send(*core, reversal_of(first, 30), none);
    EXPECT_EQ(rc(r), "00");
    EXPECT_EQ(rc(send(*core, reversal_of(request(pan_unknown_other, 1000, 7), 31), none)), "25");
  }
  EXPECT_EQ(replayed->dump_state(), live->dump_state());
}

// Under another key (the PAN key changed before the restart) the hash kept no
// longer matches: the retransmission is refused 94, never applied.
TEST(UnknownCard, AnotherKeyAfterTheRestartAnswers94) {
  auto live = keyed_core();
  RecordingSink sink;
  const AuthRequest first = request(pan_unknown, 1000, 7);
  ASSERT_EQ(rc(send(*live, first, sink)), "14");
  auto rotated = keyed_core(PanHashKey{42, 43});
  for (const Event& e : sink.events) rotated->apply(e);
  NullSink none;
  const AuthResponse a = send(*rotated, first, none);
  EXPECT_EQ(rc(a), "94");
  EXPECT_TRUE(a.duplicate);
}

// The snapshot state keeps the hash as the entry holds it (version 2); a
// version 1 state (earlier builds: no hashed PAN) still loads, and one that
// claims version 1 while holding a hash is refused.
TEST(UnknownCard, SnapshotStateKeepsTheHashAndVersion1StillLoads) {
  auto live = keyed_core();
  NullSink none;
  ASSERT_EQ(rc(send(*live, request(pan_unknown, 1000, 7), none)), "14");
  std::vector<std::byte> state;
  live->save_state(state);
  std::uint32_t version = 0;
  std::memcpy(&version, state.data(), 4);
  EXPECT_EQ(version, 2u);
  auto loaded = keyed_core();
  std::string error;
  ASSERT_TRUE(loaded->load_state(state, &error)) << error;
  EXPECT_EQ(loaded->dump_state(), live->dump_state());
  const AuthResponse a = send(*loaded, request(pan_unknown, 1000, 7), none);
  EXPECT_EQ(rc(a), "14");
  EXPECT_TRUE(a.duplicate);

  const std::uint32_t v1 = 1;
  std::vector<std::byte> hashed_v1 = state;
  std::memcpy(hashed_v1.data(), &v1, 4);
  EXPECT_FALSE(keyed_core()->load_state(hashed_v1, &error));
  EXPECT_NE(error.find("hashed PAN in a version 1 state"), std::string::npos) << error;

  auto known_only = keyed_core();
  ASSERT_EQ(rc(send(*known_only, request(pan_c1, 1000, 8), none)), "00");
  std::vector<std::byte> old;
  known_only->save_state(old);
  std::memcpy(old.data(), &v1, 4);
  auto from_old = keyed_core();
  ASSERT_TRUE(from_old->load_state(old, &error)) << error;
  EXPECT_EQ(from_old->dump_state(), known_only->dump_state());
}

}  // namespace
}  // namespace authswitch::core::testing
