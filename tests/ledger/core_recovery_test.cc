// Recovery of the core from a real log: a seeded random run through a
// WalEventSink and a WalWriter in sync mode, then a fresh core built from the
// same accounts and recovered from the log reaches exactly the live core's
// state; with a snapshot taken midway, snapshot + tail equals full replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "ledger/core_recovery.h"
#include "ledger/core_snapshot.h"
#include "ledger/event_codec.h"
#include "ledger/event_printers.h"
#include "ledger/wal_command.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/core_recovery_driver.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger::testing {
namespace {

WalOptions sync_options(const std::string& dir) {
  WalOptions o;
  o.dir = dir;
  o.durability = Durability::sync;
  o.segment_bytes = 64 * 1024;  // several segments, so replay crosses rotations
  o.producers = 1;
  return o;
}

// Runs `steps` operations from `driver` on `core`, each logged; returns false
// on any append fault.
void run_logged(OpDriver& driver, Core& core, WalEventSink& sink, int steps) {
  for (int i = 0; i < steps; ++i) {
    sink.reset_fault();
    driver.step(core, sink);
    ASSERT_EQ(sink.fault(), Fault::none) << (sink.encode_error() ? sink.encode_error() : "");
  }
}

TEST(CoreRecovery, ALogReplayedIntoAFreshCoreGivesTheLiveState) {
  const PanCipher cipher(driver_key());
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    TempDir dir;
    auto live = driver_core();
    ASSERT_TRUE(live);
    std::uint64_t appended = 0;
    {
      WalWriter wal(sync_options(dir.path()));
      ASSERT_TRUE(wal.open().ok());
      const ProducerId p = wal.register_producer();
      WalEventSink sink(wal, p, &cipher, live.get());
      OpDriver driver(seed);
      run_logged(driver, *live, sink, 1500);
      appended = sink.appended();
      ASSERT_GT(appended, 1000u);
      ASSERT_TRUE(wal.close().ok());
    }
    auto recovered = driver_core();
    CoreRecoveryResult result;
    const Status s = recover_core(dir.path(), *recovered, &cipher, result);
    ASSERT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(result.events_applied, appended);
    EXPECT_FALSE(result.snapshot);
    EXPECT_EQ(result.next_sequence, result.last_sequence + 1);
    ASSERT_EQ(recovered->dump_state(), live->dump_state());

    // The recovered core answers a retransmission of a known card exactly as
    // the live one (the PAN came back through the card index).
    NullSink none;
    AuthRequest again = request(pan_c1, 1000, 999'999, MtiClass::authorization, t_noon_tokyo);
    const AuthResponse a = live->authorize(live->route(again), again, none);
    const AuthResponse b = recovered->authorize(recovered->route(again), again, none);
    EXPECT_EQ(a.rc, b.rc);
    EXPECT_EQ(a.approval(), b.approval());
  }
}

TEST(CoreRecovery, AnEmptyOrMissingLogRecoversNothing) {
  TempDir dir;
  auto core = driver_core();
  const std::string before = core->dump_state();
  CoreRecoveryResult result;
  ASSERT_TRUE(recover_core(dir.file("absent"), *core, nullptr, result).ok());
  EXPECT_EQ(result.events_applied, 0u);
  EXPECT_EQ(result.next_sequence, 1u);
  EXPECT_EQ(core->dump_state(), before);
}

TEST(CoreRecovery, ARecordThatDoesNotFitTheAccountsStopsWithItsSequence) {
  TempDir dir;
  {
    WalWriter wal(sync_options(dir.path()));
    ASSERT_TRUE(wal.open().ok());
    const ProducerId p = wal.register_producer();
    WalEventSink sink(wal, p, nullptr, nullptr);
    sink.on_event(CardStatusEvent{1, CardStatus::lost});
    sink.on_event(CardStatusEvent{4000, CardStatus::lost});  // no such card
    ASSERT_EQ(sink.fault(), Fault::none);
    ASSERT_TRUE(wal.close().ok());
  }
  auto core = driver_core();
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *core, nullptr, result);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.to_string().find("card status: card index unknown"), std::string::npos) << s.to_string();
  EXPECT_NE(s.to_string().find("record "), std::string::npos);
  // SPEC 7: the error names the file and offset of the record, as for a
  // damaged one.
  EXPECT_TRUE(names_card_status_record(s, dir.path(), 4000));
}

TEST(CoreRecovery, ACardAddedWithoutTheKeyIsAnErrorNotASkip) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  {
    auto live = driver_core();
    WalWriter wal(sync_options(dir.path()));
    ASSERT_TRUE(wal.open().ok());
    WalEventSink sink(wal, wal.register_producer(), &cipher, live.get());
    NewCard c{"n1", *parse_pan("5500000000001234"), 0, 3012, CardStatus::active, 392};
    ASSERT_EQ(live->add_card(c, sink), OpStatus::ok);
    ASSERT_TRUE(wal.close().ok());
  }
  auto core = driver_core();
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *core, nullptr, result);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.to_string().find("no PAN key to decrypt with"), std::string::npos) << s.to_string();
}

TEST(CoreSnapshot, SnapshotPlusTailEqualsFullReplay) {
  const PanCipher cipher(driver_key());
  for (std::uint64_t seed = 11; seed <= 13; ++seed) {
    SCOPED_TRACE(seed);
    TempDir dir;
    auto live = driver_core();
    const auto loaded_cards = static_cast<std::uint32_t>(live->accounts().card_pans.size());
    std::uint64_t covered = 0;
    {
      WalWriter wal(sync_options(dir.path()));
      ASSERT_TRUE(wal.open().ok());
      const ProducerId p = wal.register_producer();
      WalEventSink sink(wal, p, &cipher, live.get());
      OpDriver driver(seed);
      run_logged(driver, *live, sink, 800);
      // Quiescent point: everything appended is durable, so the snapshot
      // covers exactly the records the core has applied.
      while (!wal.is_released(p, sink.last_ticket())) {
      }
      covered = wal.durable_sequence();
      SnapshotInfo info;
      const Status s = write_core_snapshot(dir.path(), *live, loaded_cards, covered, &cipher, &info);
      ASSERT_TRUE(s.ok()) << s.to_string();
      // No full PAN of any card in the snapshot.
      const Bytes bytes = read_bytes(info.path);
      std::size_t secret_pans = 0;
      for (const Pan& pan : live->accounts().card_pans) {
        // The test PANs 4000000000000xxx have only zeros to hide; the cards
        // added (5500000000010xxx) do not.
        if (masked_pan_value(pan) == pan) continue;
        ++secret_pans;
        const std::string digits = pan_digits(pan);
        ASSERT_EQ(std::search(bytes.begin(), bytes.end(), reinterpret_cast<const std::byte*>(digits.data()),
                              reinterpret_cast<const std::byte*>(digits.data()) + digits.size()),
                  bytes.end());
        for (std::size_t i = 0; i + 8 <= bytes.size(); ++i) {
          std::uint64_t v;
          std::memcpy(&v, bytes.data() + i, 8);
          ASSERT_NE(v, pan.value) << "a card's PAN as an integer at offset " << i;
        }
      }
      EXPECT_GT(secret_pans, 0u);
      run_logged(driver, *live, sink, 800);
      ASSERT_TRUE(wal.close().ok());
    }
    auto from_snapshot = driver_core();
    CoreRecoveryResult result;
    const Status s = recover_core(dir.path(), *from_snapshot, &cipher, result);
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_TRUE(result.snapshot);
    EXPECT_EQ(result.snapshot->covered_sequence, covered);
    const std::string want = live->dump_state();
    ASSERT_EQ(from_snapshot->dump_state(), want);

    // Full replay of the same log, the snapshot ignored.
    auto full = driver_core();
    LogReader reader;
    ASSERT_TRUE(reader.open(dir.path(), 1).ok());
    RecordView record;
    bool has = true;
    RecordReplayer replayer(*full, &cipher);
    for (;;) {
      ASSERT_TRUE(reader.next(record, has).ok());
      if (!has) break;
      ASSERT_TRUE(replayer.add(record).ok());
    }
    ASSERT_TRUE(replayer.drain().ok());
    EXPECT_GT(replayer.events_applied(), result.events_applied);
    ASSERT_EQ(full->dump_state(), want);
  }
}

// A limit moved to another reset time keeps its totals (SPEC 4), and a
// restart reaches the same totals: from a snapshot taken after one change
// (the reshaped window saved as it is) and the log of a second one after it.
TEST(CoreSnapshot, AReshapedLimitRecoversWithItsTotals) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = driver_core();
  const auto loaded_cards = static_cast<std::uint32_t>(live->accounts().card_pans.size());
  const std::uint32_t u1 = live->find_user("u1");
  auto daily_at = [](std::uint16_t reset_minutes) {
    LimitList l;
    l.items[l.count++] = Limit{{PeriodKind::daily, 1, 1, reset_minutes}, 200000};
    return l;
  };
  auto approve = [&](EventSink& sink, std::int64_t amount, std::uint32_t stan, TimeMs t) {
    const AuthRequest r = request(pan_c1, amount, stan, MtiClass::authorization, t);
    ASSERT_EQ(rc(live->authorize(live->route(r), r, sink)), "00");
  };
  {
    WalWriter wal(sync_options(dir.path()));
    ASSERT_TRUE(wal.open().ok());
    const ProducerId p = wal.register_producer();
    WalEventSink sink(wal, p, &cipher, live.get());
    approve(sink, 90000, 1, t_noon_tokyo);
    ASSERT_EQ(live->set_limits(live->shard_of_user(u1), LimitOwner::user, u1, daily_at(4 * 60), sink, nullptr),
              OpStatus::ok);
    while (!wal.is_released(p, sink.last_ticket())) {
    }
    SnapshotInfo info;
    ASSERT_TRUE(write_core_snapshot(dir.path(), *live, loaded_cards, wal.durable_sequence(), &cipher, &info).ok());
    approve(sink, 30000, 2, t_noon_tokyo + 3'600'000);
    ASSERT_EQ(live->set_limits(live->shard_of_user(u1), LimitOwner::user, u1, daily_at(6 * 60), sink, nullptr),
              OpStatus::ok);
    approve(sink, 20000, 3, t_noon_tokyo + 5'400'000);
    ASSERT_EQ(sink.fault(), Fault::none);
    ASSERT_TRUE(wal.close().ok());
  }
  EXPECT_EQ(live->read_user(u1, time_ms_min).limits[0].current.total, 140000);
  auto recovered = driver_core();
  CoreRecoveryResult result;
  const Status s = recover_core(dir.path(), *recovered, &cipher, result);
  ASSERT_TRUE(s.ok()) << s.to_string();
  ASSERT_TRUE(result.snapshot);
  EXPECT_EQ(recovered->dump_state(), live->dump_state());
  EXPECT_EQ(recovered->read_user(u1, time_ms_min).limits[0].current.total, 140000);
}

TEST(CoreSnapshot, AStateThatDoesNotFitTheCoreIsRefused) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = driver_core();
  SnapshotInfo info;
  ASSERT_TRUE(write_core_snapshot(dir.path(), *live, 9, 5, &cipher, &info).ok());
  Bytes payload;
  ASSERT_TRUE(read_snapshot(info, [&](std::span<const std::byte> c) {
                payload.insert(payload.end(), c.begin(), c.end());
                return Status{};
              }).ok());
  auto fresh = driver_core();
  ASSERT_TRUE(load_core_snapshot(payload, *fresh, &cipher).ok());
  EXPECT_EQ(fresh->dump_state(), live->dump_state());

  Bytes other_version = payload;
  other_version[0] = std::byte{9};
  EXPECT_NE(load_core_snapshot(other_version, *driver_core(), &cipher).to_string().find("version unknown"),
            std::string::npos);
  Bytes other_cards = payload;
  other_cards[4] = std::byte{8};
  EXPECT_NE(load_core_snapshot(other_cards, *driver_core(), &cipher).to_string().find("the accounts file has 9 cards"),
            std::string::npos);
  Bytes cut = payload;
  cut.pop_back();
  EXPECT_NE(load_core_snapshot(cut, *driver_core(), &cipher).to_string().find("core state length wrong"),
            std::string::npos);
  // A core with another shard count cannot take the state.
  auto two = make_core(rules_accounts, "America/New_York", 1, driver_txn_capacity);
  EXPECT_NE(load_core_snapshot(payload, *two, &cipher).to_string().find("shard count differs"), std::string::npos);
}


// `wal dump` names every core event and shows PANs masked only.
TEST(CoreRecovery, WalDumpPrintsCoreEventsWithoutAFullPan) {
  const PanCipher cipher(driver_key());
  TempDir dir;
  auto live = driver_core();
  {
    WalWriter wal(sync_options(dir.path()));
    ASSERT_TRUE(wal.open().ok());
    WalEventSink sink(wal, wal.register_producer(), &cipher, live.get());
    OpDriver driver(5);
    run_logged(driver, *live, sink, 400);
    ASSERT_TRUE(wal.close().ok());
  }
  RecordRegistry registry;
  register_core_event_types(registry);
  for (const char* mode : {"--json", ""}) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    std::string d = dir.path(), cmd = "wal", sub = "dump", flag = mode;
    std::vector<char*> argv{cmd.data(), sub.data(), d.data()};
    if (!flag.empty()) argv.push_back(flag.data());
    const int code = run_wal_command(static_cast<int>(argv.size()), argv.data(), out, err, registry);
    std::rewind(out);
    std::string text;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, out)) > 0;) text.append(buf, n);
    std::fclose(out);
    std::fclose(err);
    EXPECT_EQ(code, 0) << mode;
    for (const char* name : {"decision", "reversal", "limits_set", "card_status", "card_added", "balance_adjusted"}) {
      EXPECT_NE(text.find(name), std::string::npos) << name << " " << mode;
    }
    EXPECT_EQ(text.find("error"), std::string::npos) << "a printer could not decode a record";
    EXPECT_EQ(text.find("4999999999999999"), std::string::npos) << "the unknown card's full PAN";
    EXPECT_NE(text.find("499999******9999"), std::string::npos) << mode;
  }
}


// Events that decode but would index past the core's tables stop recovery
// with a reason (Core::apply asserts instead of checking).
TEST(CoreRecovery, EventsThatDoNotFitTheAccountsAreRefusedByName) {
  const PanCipher cipher(driver_key());
  DecisionEvent company_without_company;
  company_without_company.key = TxnKey{1ull << 40, 1};
  company_without_company.stored = true;
  company_without_company.effect_kind = EffectKind::hold;
  company_without_company.effect.user = 2;  // u3 has no company
  company_without_company.effect.delta_count = 1;
  company_without_company.effect.deltas[0] = SlotDelta{LimitOwner::company, 0, 0, 10};
  DecisionEvent unknown_user = company_without_company;
  unknown_user.key = TxnKey{1ull << 40, 2};
  unknown_user.effect.user = 1000;
  unknown_user.effect.deltas[0].owner = LimitOwner::user;
  CardAddedEvent existing_id;
  existing_id.card = 9;
  existing_id.id_length = 2;
  existing_id.id[0] = 'c';
  existing_id.id[1] = '1';
  existing_id.pan = *parse_pan("5500000000001234");
  existing_id.expiry_yymm = 3012;
  CardAddedEvent existing_pan = existing_id;
  existing_pan.id[1] = '9';
  existing_pan.pan = *parse_pan(pan_c2);
  const std::pair<Event, const char*> cases[] = {
      {company_without_company, "a company total for a user without one"},
      {unknown_user, "decision: user index unknown"},
      {existing_id, "card added: id or PAN already present"},
      {existing_pan, "card added: id or PAN already present"},
      {LimitsSetEvent{LimitOwner::company, 1, {}}, "limits set: owner index unknown"},
      {BalanceAdjustedEvent{7, 1, 1, {}, 0, 0}, "balance adjusted: user index unknown"},
  };
  for (const auto& [event, error] : cases) {
    SCOPED_TRACE(error);
    TempDir dir;
    {
      WalWriter wal(sync_options(dir.path()));
      ASSERT_TRUE(wal.open().ok());
      WalEventSink sink(wal, wal.register_producer(), &cipher, nullptr);
      sink.on_event(event);
      ASSERT_EQ(sink.fault(), Fault::none);
      ASSERT_TRUE(wal.close().ok());
    }
    auto core = driver_core();
    CoreRecoveryResult result;
    const Status s = recover_core(dir.path(), *core, &cipher, result);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.to_string().find(error), std::string::npos) << s.to_string();
    // Named by file and offset, whether refused as it is read or when the
    // replay window applies it (a decision, after the log's end).
    EncodedEvent encoded;
    std::array<std::byte, event_format::payload_bytes_max> buffer;
    ASSERT_TRUE(encode_event(event, core::no_index, &cipher, buffer, encoded).ok());
    const auto [file, offset] = where_is(dir.path(), encoded.type, [](auto) { return true; });
    ASSERT_GT(offset, 0);
    EXPECT_EQ(s.file(), file) << s.to_string();
    EXPECT_EQ(s.offset(), offset) << s.to_string();
  }
}

}  // namespace
}  // namespace authswitch::ledger::testing
