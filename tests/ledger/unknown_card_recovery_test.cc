// A request on an unknown card answered 14, then a restart: the core rebuilt
// from the log (or from a snapshot and the log) answers its retransmission
// with the stored 14 as a duplicate, and another PAN under the same key 94,
// as the live core did. The log and the snapshot keep a keyed hash of that
// PAN (core/keyed_pan.h), never its digits, its value or an unkeyed hash.
// After the PAN key changes, the hash no longer matches: 94, and recovery
// counts the records hashed under the other key.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/keyed_pan.h"
#include "ledger/core_recovery.h"
#include "ledger/core_snapshot.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/core_recovery_driver.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger::testing {
namespace {

constexpr const char* pan_unknown_other = "4999999999990001";

WalOptions sync_options(const std::string& dir) {
  WalOptions o;
  o.dir = dir;
  o.durability = Durability::sync;
  o.producers = 1;
  return o;
}

PanKey other_key() {
  PanKey k = driver_key();
  k[0] ^= 1;
  return k;
}

// A core as the switch builds one: the PAN hash key derived from the PAN key.
std::unique_ptr<Core> keyed_core(const PanCipher& cipher) {
  LoadResult loaded = load_accounts_text(rules_accounts, "test.ndjson");
  EXPECT_TRUE(loaded.accounts) << loaded.error;
  std::string err;
  CoreConfig cfg;
  cfg.zone = *Zone::parse("America/New_York", &err);
  cfg.shards = driver_shards;
  cfg.txn_capacity = driver_txn_capacity;
  cfg.pan_hash_key = cipher.pan_hash_key();
  return std::make_unique<Core>(std::move(loaded.accounts), cfg);
}

AuthResponse send(Core& core, const AuthRequest& r, EventSink& sink) { return core.authorize(core.route(r), r, sink); }

const AuthRequest first = request(pan_unknown, 1000, 7);
// A reversal whose original never came (25, remembered) and one of the 14
// (found: 00, nothing to release): reversals on the unknown card.
const AuthRequest lone_reversal = reversal_of(request(pan_unknown, 300, 40), 41);
const AuthRequest reversal_of_first = reversal_of(first, 42);

// The unknown card's 14 (and a known card's approval), logged; with
// `snapshot`, a snapshot covering them and one more 14 after it.
void run_live(const std::string& dir, Core& live, const PanCipher& cipher, bool snapshot) {
  WalWriter wal(sync_options(dir));
  ASSERT_TRUE(wal.open().ok());
  const ProducerId p = wal.register_producer();
  WalEventSink sink(wal, p, &cipher, &live);
  ASSERT_EQ(rc(send(live, first, sink)), "14");
  ASSERT_EQ(rc(send(live, request(pan_c1, 1000, 8), sink)), "00");
  ASSERT_EQ(rc(send(live, lone_reversal, sink)), "25");
  ASSERT_EQ(rc(send(live, reversal_of_first, sink)), "00");
  ASSERT_EQ(sink.fault(), Fault::none);
  if (snapshot) {
    while (!wal.is_released(p, sink.last_ticket())) {
    }
    const auto loaded_cards = static_cast<std::uint32_t>(live.accounts().card_pans.size());
    SnapshotInfo info;
    const Status s = write_core_snapshot(dir, live, loaded_cards, wal.durable_sequence(), &cipher, &info);
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_EQ(rc(send(live, request(pan_unknown, 2000, 9), sink)), "14");  // in the tail
  }
  ASSERT_TRUE(wal.close().ok());
}

void expect_retransmissions(Core& core) {
  NullSink none;
  const AuthResponse again = send(core, first, none);
  EXPECT_EQ(rc(again), "14");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(rc(send(core, request(pan_unknown_other, 1000, 7), none)), "94");
  EXPECT_EQ(rc(send(core, request(pan_unknown, 1001, 7), none)), "94");
  for (const AuthRequest* r : {&lone_reversal, &reversal_of_first}) {
    const AuthResponse a = send(core, *r, none);
    EXPECT_EQ(rc(a), r == &lone_reversal ? "25" : "00");
    EXPECT_TRUE(a.duplicate);
    AuthRequest other = *r;
    other.set_pan(pan_unknown_other);
    EXPECT_EQ(rc(send(core, other, none)), "94");
  }
}

bool contains(const Bytes& bytes, const void* what, std::size_t n) {
  const auto* w = static_cast<const std::byte*>(what);
  return std::search(bytes.begin(), bytes.end(), w, w + n) != bytes.end();
}

// Every file the log folder holds (segments, snapshots), concatenated.
Bytes folder_bytes(const std::string& dir, bool* has_snapshot) {
  Bytes all;
  *has_snapshot = false;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    if (f.path().filename().string().find("snap") != std::string::npos) *has_snapshot = true;
    const Bytes b = read_bytes(f.path().string());
    all.insert(all.end(), b.begin(), b.end());
  }
  return all;
}

void expect_no_pan(const std::string& dir, const PanCipher& cipher, bool want_snapshot) {
  bool has_snapshot = false;
  const Bytes bytes = folder_bytes(dir, &has_snapshot);
  ASSERT_EQ(has_snapshot, want_snapshot);
  const std::string digits = pan_unknown;
  const Pan pan = *parse_pan(pan_unknown);
  EXPECT_FALSE(contains(bytes, digits.data(), digits.size())) << "the PAN's digits";
  EXPECT_FALSE(contains(bytes, &pan.value, sizeof pan.value)) << "the PAN as an integer";
  // Unkeyed hashes: SipHash under the all-zero key (a core left without its
  // key), SHA-256 of the digits (whole, and its first 8 bytes).
  const std::uint64_t zero_key = keyed_pan(pan, PanHashKey{}).value;
  EXPECT_FALSE(contains(bytes, &zero_key, sizeof zero_key)) << "SipHash under the zero key";
  unsigned char sha[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(digits.data()), digits.size(), sha);
  EXPECT_FALSE(contains(bytes, sha, 8)) << "SHA-256 of the digits";
  // What is there instead: the keyed hash (the search does find 8 bytes).
  const std::uint64_t keyed = keyed_pan(pan, cipher.pan_hash_key()).value;
  EXPECT_TRUE(contains(bytes, &keyed, sizeof keyed)) << "the keyed hash";
}

TEST(UnknownCardRecovery, FromTheLogTheRetransmissionGetsTheStored14) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = keyed_core(cipher);
  run_live(dir.path(), *live, cipher, false);
  expect_no_pan(dir.path(), cipher, false);

  auto recovered = keyed_core(cipher);
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *recovered, &cipher, result);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_FALSE(result.snapshot);
  EXPECT_EQ(result.keyed_pan_other_key, 0u);
  ASSERT_EQ(recovered->dump_state(), live->dump_state());
  expect_retransmissions(*live);
  expect_retransmissions(*recovered);
}

TEST(UnknownCardRecovery, FromASnapshotAndTheLogTheRetransmissionGetsTheStored14) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = keyed_core(cipher);
  run_live(dir.path(), *live, cipher, true);
  expect_no_pan(dir.path(), cipher, true);

  auto recovered = keyed_core(cipher);
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *recovered, &cipher, result);
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_TRUE(result.snapshot);
  EXPECT_EQ(result.events_applied, 1u);  // only the 14 after the snapshot
  EXPECT_EQ(result.keyed_pan_other_key, 0u);
  ASSERT_EQ(recovered->dump_state(), live->dump_state());
  expect_retransmissions(*recovered);
  // The one from the tail too.
  NullSink none;
  const AuthResponse tail = send(*recovered, request(pan_unknown, 2000, 9), none);
  EXPECT_EQ(rc(tail), "14");
  EXPECT_TRUE(tail.duplicate);
}

// The PAN key changed between the runs (rotated, or a new generated key): the
// hashes in the log were made under the old one. Recovery still succeeds,
// counts those records, and a retransmission is refused 94 (nothing applied).
TEST(UnknownCardRecovery, AnotherPanKeyAfterTheRestartAnswers94AndIsCounted) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = keyed_core(cipher);
  run_live(dir.path(), *live, cipher, false);

  const PanCipher rotated(other_key());
  ASSERT_NE(rotated.pan_hash_key(), cipher.pan_hash_key());
  auto recovered = keyed_core(rotated);
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *recovered, &rotated, result);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(result.keyed_pan_other_key, 3u);  // the 14 and the two reversals
  NullSink none;
  for (const AuthRequest* r : {&first, &lone_reversal, &reversal_of_first}) {
    const AuthResponse again = send(*recovered, *r, none);
    EXPECT_EQ(rc(again), "94");
    EXPECT_TRUE(again.duplicate);
  }
  // The known card's approval still repeats: its PAN came back from the card.
  const AuthResponse known = send(*recovered, request(pan_c1, 1000, 8), none);
  EXPECT_EQ(rc(known), "00");
  EXPECT_TRUE(known.duplicate);
}

// The hash key is derived, not the PAN key itself, and depends on it.
TEST(UnknownCardRecovery, TheHashKeyIsDerivedFromThePanKey) {
  const PanKey k = driver_key();
  const PanCipher cipher(k);
  const core::PanHashKey h = cipher.pan_hash_key();
  EXPECT_EQ(h, PanCipher(k).pan_hash_key());
  std::uint64_t k0 = 0, k1 = 0;
  std::memcpy(&k0, k.data(), 8);
  std::memcpy(&k1, k.data() + 8, 8);
  EXPECT_FALSE(h.k0 == k0 && h.k1 == k1) << "the PAN key's own bytes";
  EXPECT_NE(h, core::PanHashKey{});
}

// A record written by an earlier build: the unknown card's PAN masked, no
// hash (flag 32 clear). It still replays, as it did: the entry keeps the
// masked PAN, so its retransmission compares unequal (94); nothing applied.
TEST(UnknownCardRecovery, AnEarlierBuildsRecordStillReplaysAsBefore) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  DecisionEvent old;
  old.key = make_txn_key(static_cast<std::uint8_t>(MtiClass::authorization), first.acquirer, first.field7, first.stan);
  old.mti_class = MtiClass::authorization;
  old.content = TxnContent{*parse_pan(pan_unknown), 0, 1000, 392, true};  // the codec masks it
  old.txn_time = first.txn_time_ms;
  old.rc = ResponseCode::no_such_card;
  old.stored = true;
  {
    WalWriter wal(sync_options(dir.path()));
    ASSERT_TRUE(wal.open().ok());
    WalEventSink sink(wal, wal.register_producer(), &cipher, nullptr);
    sink.on_event(old);
    ASSERT_EQ(sink.fault(), Fault::none);
    ASSERT_TRUE(wal.close().ok());
  }
  auto recovered = keyed_core(cipher);
  CoreRecoveryResult result;
  ASSERT_TRUE(recover_core(dir.path(), *recovered, &cipher, result).ok());
  EXPECT_EQ(result.events_applied, 1u);
  EXPECT_EQ(result.keyed_pan_other_key, 0u);
  NullSink none;
  const AuthResponse again = send(*recovered, first, none);
  EXPECT_EQ(rc(again), "94");
  EXPECT_TRUE(again.duplicate);
}

// The same after a snapshot: its entries' hashes were made under the old key;
// the snapshot names the key, so recovery counts them.
TEST(UnknownCardRecovery, ASnapshotUnderAnotherPanKeyIsCounted) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = keyed_core(cipher);
  run_live(dir.path(), *live, cipher, true);
  const PanCipher rotated(other_key());
  auto recovered = keyed_core(rotated);
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *recovered, &rotated, result);
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_TRUE(result.snapshot);
  EXPECT_EQ(result.keyed_pan_other_key, 4u);  // three in the snapshot, the tail's 14
  NullSink none;
  EXPECT_EQ(rc(send(*recovered, first, none)), "94");
}

// A snapshot payload of an earlier build (version 1: no key id, core state
// version 1) still loads.
TEST(UnknownCardRecovery, AnEarlierBuildsSnapshotStillLoads) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = keyed_core(cipher);
  NullSink none;
  ASSERT_EQ(rc(send(*live, request(pan_c1, 1000, 8), none)), "00");
  SnapshotInfo info;
  ASSERT_TRUE(write_core_snapshot(dir.path(), *live, static_cast<std::uint32_t>(live->accounts().card_pans.size()), 1,
                                  &cipher, &info)
                  .ok());
  Bytes payload;
  ASSERT_TRUE(read_snapshot(info, [&](std::span<const std::byte> c) {
                payload.insert(payload.end(), c.begin(), c.end());
                return Status{};
              }).ok());
  std::uint32_t version = 0;
  std::memcpy(&version, payload.data(), 4);
  ASSERT_EQ(version, 2u);
  // Version 1: the key id dropped from the header, the core state marked 1
  // (no cards added, so the state follows its u64 length at 12).
  Bytes old(payload.begin(), payload.begin() + 12);
  old.insert(old.end(), payload.begin() + 16, payload.end());
  const std::uint32_t v1 = 1;
  std::memcpy(old.data(), &v1, 4);
  std::memcpy(old.data() + 12 + 8, &v1, 4);
  auto loaded = keyed_core(cipher);
  std::uint64_t other = 7;
  const Status s = load_core_snapshot(old, *loaded, &cipher, &other);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(other, 0u);
  EXPECT_EQ(loaded->dump_state(), live->dump_state());
  const AuthResponse again = send(*loaded, request(pan_c1, 1000, 8), none);
  EXPECT_EQ(rc(again), "00");
  EXPECT_TRUE(again.duplicate);
}

}  // namespace
}  // namespace authswitch::ledger::testing
