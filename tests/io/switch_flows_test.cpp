// SPEC 2 and 3 through a socket: every message flow and response code of an
// in-process switch on 127.0.0.1 with a real write-ahead log.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/io/switch_test_support.h"
#include "tests/io/wait_until.h"

namespace authswitch::test {
namespace {

class SwitchFlows : public ::testing::TestWithParam<io::Durability> {
 protected:
  SwitchFlows() : dir_(temp_dir("flows")), sw_(test_config(dir_, GetParam())) {}
  ~SwitchFlows() override {
    (void)sw_.stop();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  RunningSwitch sw_;
};

// The value of one labelled series on the switch's /metrics page; -1 when absent.
double series_value(io::SwitchRuntime& runtime, const std::string& series) {
  const std::string page = runtime.render_metrics();
  const std::string key = series + " ";
  const std::size_t at = page.find(key);
  return at == std::string::npos ? -1.0 : std::strtod(page.c_str() + at + key.size(), nullptr);
}

std::string original_data(const Fields& original) {
  return original.at(0) + original.at(11) + original.at(7) + "00000" + original.at(32) + "00000000000";
}

TEST_P(SwitchFlows, ApprovalCarries38AndEchoesTheRequest) {
  Client c(sw_.port());
  ASSERT_TRUE(c.connected());
  const Fields req = auth_request(0, 1000, 1);
  const Fields a = c.roundtrip(req);
  EXPECT_EQ(a.at(0), "0110");
  EXPECT_EQ(a.at(39), "00");
  ASSERT_TRUE(a.count(38));
  EXPECT_EQ(a.at(38).size(), 6u);
  for (const int f : {2, 3, 4, 7, 11, 32, 37, 41, 49}) EXPECT_EQ(a.at(f), req.at(f)) << "field " << f;
  EXPECT_FALSE(a.count(44));
}

// SPEC 12: the log's records and its fdatasyncs on /metrics. Each approval
// is a received, a decision and a written record; in async the writer syncs
// within the flush interval, in sync every answer waited for one.
TEST_P(SwitchFlows, TheLogsRecordsAndSyncsAreOnMetrics) {
  Client c(sw_.port());
  constexpr std::uint32_t approvals = 20;
  for (std::uint32_t i = 0; i < approvals; ++i) ASSERT_EQ(c.roundtrip(auth_request(0, 100, 500 + i)).at(39), "00");
  std::string page;
  EXPECT_TRUE(wait_until([&] {
    page = sw_.runtime().render_metrics();
    return metric_value(page, "authswitch_wal_records_total") >= 3 * approvals &&
           metric_value(page, "authswitch_wal_fsync_seconds_count") >= 1;
  })) << page;
  EXPECT_NE(page.find("# TYPE authswitch_wal_fsync_seconds histogram"), std::string::npos);
  EXPECT_NE(page.find("# TYPE authswitch_wal_records_total counter"), std::string::npos);
  // A second scrape counts nothing twice.
  const double records = metric_value(page, "authswitch_wal_records_total");
  EXPECT_LE(metric_value(sw_.runtime().render_metrics(), "authswitch_wal_records_total"), records + 3);
}

// SPEC 12: exported from start, 0 for an empty log; a start that replays
// records reports the time it took.
TEST_P(SwitchFlows, RecoverySecondsIsZeroForAnEmptyLog) {
  EXPECT_EQ(metric_value(sw_.runtime().render_metrics(), "authswitch_recovery_seconds"), 0.0);
  {
    Client c(sw_.port());
    ASSERT_EQ(c.roundtrip(auth_request(0, 100, 900)).at(39), "00");
  }
  ASSERT_EQ(sw_.stop(), "");
  RunningSwitch again(test_config(dir_, GetParam()));
  EXPECT_GT(metric_value(again.runtime().render_metrics(), "authswitch_recovery_seconds"), 0.0);
}

TEST_P(SwitchFlows, FinancialRequestIsAnswered0210) {
  Client c(sw_.port());
  const Fields a = c.roundtrip(auth_request(2, 1000, 2, "0200"));
  EXPECT_EQ(a.at(0), "0210");
  EXPECT_EQ(a.at(39), "00");
}

TEST_P(SwitchFlows, LimitDeclineIs61WithTheLimitIn44) {
  Client c(sw_.port());
  const Fields a = c.roundtrip(auth_request(4, 150'000, 3));  // above the 100,000 per-transaction limit
  EXPECT_EQ(a.at(39), "61");
  EXPECT_EQ(a.at(44), "USER:TRANSACTION");
  EXPECT_FALSE(a.count(38));
}

TEST_P(SwitchFlows, UnknownCardIs14) {
  Client c(sw_.port());
  Fields req = auth_request(0, 1000, 4);
  req[2] = "4111111111111111";
  EXPECT_EQ(c.roundtrip(req).at(39), "14");
}

TEST_P(SwitchFlows, BlockedCardIs62) {
  Client c(sw_.port());
  EXPECT_EQ(c.roundtrip(auth_request(997, 1000, 5)).at(39), "62");
}

TEST_P(SwitchFlows, DuplicateReturnsTheSameAnswerAndConflictIs94AlsoAcrossConnections) {
  Client a(sw_.port());
  Client b(sw_.port());
  const Fields req = auth_request(6, 1000, 6);
  const Fields first = a.roundtrip(req);
  ASSERT_EQ(first.at(39), "00");
  const Fields again = a.roundtrip(req);
  EXPECT_EQ(again.at(39), "00");
  EXPECT_EQ(again.at(38), first.at(38));
  const Fields other = b.roundtrip(req);
  EXPECT_EQ(other.at(39), "00");
  EXPECT_EQ(other.at(38), first.at(38));
  Fields conflicting = req;
  conflicting[4] = "000000002000";
  EXPECT_EQ(a.roundtrip(conflicting).at(39), "94");
  EXPECT_EQ(b.roundtrip(conflicting).at(39), "94");
  // Every request whose key was seen before counts, identical or conflicting.
  EXPECT_NE(sw_.runtime().metrics().render().find("authswitch_duplicates_total 4"), std::string::npos);
}

TEST_P(SwitchFlows, ReversalFindsItsOriginalAndUnknownOriginalIs25) {
  Client c(sw_.port());
  const Fields original = auth_request(8, 5000, 7);
  ASSERT_EQ(c.roundtrip(original).at(39), "00");
  Fields reversal = auth_request(8, 5000, 8, "0400");
  reversal[90] = original_data(original);
  const Fields r = c.roundtrip(reversal);
  EXPECT_EQ(r.at(0), "0410");
  EXPECT_EQ(r.at(39), "00");

  Fields orphan = auth_request(8, 5000, 9, "0400");
  Fields missing = auth_request(8, 5000, 999'999);
  orphan[90] = original_data(missing);
  EXPECT_EQ(c.roundtrip(orphan).at(39), "25");
  // The original arriving after its reversal is declined REVERSED.
  const Fields late = c.roundtrip(missing);
  EXPECT_EQ(late.at(39), "05");
  EXPECT_EQ(late.at(44), "REVERSED");
}

TEST_P(SwitchFlows, ReversalAdviceIsAnswered0430) {
  Client c(sw_.port());
  Fields advice = auth_request(10, 5000, 10, "0420");
  advice[90] = original_data(auth_request(10, 5000, 424242));
  const Fields r = c.roundtrip(advice);
  EXPECT_EQ(r.at(0), "0430");
  EXPECT_EQ(r.at(39), "00");
}

TEST_P(SwitchFlows, AuthorizationAdviceIsAnswered0130Approved) {
  Client c(sw_.port());
  const Fields r = c.roundtrip(auth_request(12, 150'000, 11, "0120"));  // past the limit: applied anyway
  EXPECT_EQ(r.at(0), "0130");
  EXPECT_EQ(r.at(39), "00");
}

TEST_P(SwitchFlows, BalanceInquiryAnswersTheAvailableBalanceIn54) {
  Client c(sw_.port());
  const Fields r = c.roundtrip(auth_request(0, 0, 12, "0100", "300000"));  // card 0: prepaid user 0
  EXPECT_EQ(r.at(39), "00");
  ASSERT_TRUE(r.count(54));
  EXPECT_EQ(r.at(54).substr(0, 8), "0002392C");
  EXPECT_EQ(r.at(54).size(), 20u);
}

TEST_P(SwitchFlows, NetworkManagementIsAnsweredByTheLoop) {
  Client c(sw_.port());
  for (const char* code : {"001", "301", "002"}) {
    const Fields r = c.roundtrip(Fields{{0, "0800"}, {7, "1123140000"}, {11, "000123"}, {70, code}});
    EXPECT_EQ(r.at(0), "0810");
    EXPECT_EQ(r.at(39), "00");
    EXPECT_EQ(r.at(70), code);
    EXPECT_EQ(r.at(11), "000123");
    EXPECT_EQ(r.at(7), "1123140000");
  }
}

// Answers the io loop gives itself count in the end-to-end latency too.
TEST_P(SwitchFlows, UnservedRequestMtiIs12AndCountsInTheEndToEndLatency) {
  const auto answered = [&] { return series_value(sw_.runtime(), "authswitch_end_to_end_seconds_count{link=\"net\"}"); };
  const double before = answered();
  ASSERT_GE(before, 0.0);
  Client c(sw_.port());
  const Fields r = c.roundtrip(auth_request(0, 1000, 13, "0300"));
  EXPECT_EQ(r.at(0), "0310");
  EXPECT_EQ(r.at(39), "12");
  EXPECT_EQ(answered(), before + 1);
}

TEST_P(SwitchFlows, MissingRequiredFieldIs30) {
  Client c(sw_.port());
  Fields req = auth_request(0, 1000, 14);
  req.erase(4);
  const Fields r = c.roundtrip(req);
  EXPECT_EQ(r.at(39), "30");
  EXPECT_EQ(r.at(11), req.at(11));
}

TEST_P(SwitchFlows, MalformedFieldAfterTheStanIs30AndTheLinkStaysUp) {
  Client c(sw_.port());
  // A letter in field 49 (n3): the codec faults after reading 11.
  std::string frame = frame_of(auth_request(0, 1000, 15));
  frame[frame.size() - 1] = 'X';
  c.send_bytes(frame);
  const auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at(0), "0110");
  EXPECT_EQ(r->at(39), "30");
  EXPECT_EQ(r->at(11), "000015");
  EXPECT_EQ(c.roundtrip(auth_request(0, 1000, 16)).at(39), "00");
}

TEST_P(SwitchFlows, MalformedFieldBeforeTheStanIs30WithTheStan) {
  Client c(sw_.port());
  // A letter in field 4 (n12), which comes before 11: the STAN is still read.
  const Fields req = auth_request(0, 1000, 18);
  std::string frame = frame_of(req);
  const std::size_t amount = frame.find(req.at(4));
  ASSERT_NE(amount, std::string::npos);
  frame[amount + 11] = 'X';
  c.send_bytes(frame);
  const auto answer = c.read();
  ASSERT_TRUE(answer);
  const Fields& r = *answer;
  EXPECT_EQ(r.at(0), "0110");
  EXPECT_EQ(r.at(39), "30");
  EXPECT_EQ(r.at(11), "000018");
  EXPECT_EQ(r.at(7), req.at(7));
  EXPECT_EQ(r.count(4), 0u);  // the bad field is not echoed
  EXPECT_EQ(c.roundtrip(auth_request(0, 1000, 19)).at(39), "00");
}

TEST_P(SwitchFlows, MalformedNetworkManagementIs30) {
  Client c(sw_.port());
  std::string frame = frame_of(Fields{{0, "0800"}, {7, "1204120000"}, {11, "000020"}, {70, "301"}});
  frame.back() = 'X';  // field 70 is n3
  c.send_bytes(frame);
  const auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at(0), "0810");
  EXPECT_EQ(r->at(39), "30");
  EXPECT_EQ(r->at(11), "000020");
  EXPECT_EQ(r->count(70), 0u);
}

TEST_P(SwitchFlows, UnreadableMessageAndStrayResponseAreDroppedAndTheLinkStaysUp) {
  {
    Client c(sw_.port());
    c.send_bytes(raw_frame("01X0garbage"));                                 // MTI unreadable
    c.send(Fields{{0, "0110"}, {11, "000001"}, {39, "00"}});                // a stray response
    c.send_bytes(raw_frame(std::string("0100") + std::string(8, '\xff')));  // bitmap announces absent fields
    const Fields r = c.roundtrip(auth_request(0, 1000, 17));
    EXPECT_EQ(r.at(39), "00");
    EXPECT_EQ(r.at(11), "000017");  // the first answer is this one: the others were dropped
  }  // closed before the stop, which would otherwise linger for it
  (void)sw_.stop();
  const auto counts = count_records(dir_);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::dropped), 3u);
}

TEST_P(SwitchFlows, EveryStepIsRecordedWithAMaskedPan) {
  {
    Client c(sw_.port());
    EXPECT_EQ(c.roundtrip(auth_request(0, 1000, 18)).at(39), "00");
  }
  ASSERT_EQ(sw_.stop(), "");
  const auto counts = count_records(dir_);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::link_up), 1u);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::link_down), 1u);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::received), 1u);
  EXPECT_EQ(count_of(counts, ledger::event_format::type_decision), 1u);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::response_written), 1u);
  // No full PAN anywhere in the log's folder (segments, snapshot, key);
  // the segments carry the masked form.
  const std::string pan = core::demo_pan(0);
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string bytes = read_file(entry.path());
    EXPECT_EQ(bytes.find(pan), std::string::npos) << entry.path();
    if (entry.path().filename().string().rfind("seg-", 0) == 0) {
      EXPECT_NE(bytes.find("400000******0002"), std::string::npos) << entry.path();
    }
  }
}

// SPEC 7: a request answered by the loop itself (12, 30, an 0800) is
// recorded as received like one the core decides, with what an
// investigation looks it up by: STAN, field 7, acquirer, RRN, terminal.
TEST_P(SwitchFlows, EveryRequestAnsweredHasAReceivedRecordWithItsKeysAndRrn) {
  Fields missing_amount = auth_request(0, 1000, 22);  // the core's 30 (rule 1)
  missing_amount.erase(4);
  struct Case {
    Fields request;
    std::string rc;
    bool by_loop;
    bool letter_in_49 = false;  // the codec faults on 49 (n3), the last field: the loop's 30
  };
  const std::vector<Case> cases = {
      {auth_request(0, 1000, 20), "00", false},
      {auth_request(0, 1000, 21, "0300"), "12", true},
      {missing_amount, "30", false},
      {auth_request(0, 1000, 24), "30", true, true},
      {Fields{{0, "0800"}, {7, "1123140000"}, {11, "000023"}, {70, "301"}}, "00", true},
  };
  {
    Client c(sw_.port());
    for (const Case& k : cases) {
      std::string frame = frame_of(k.request);
      if (k.letter_in_49) frame.back() = 'X';
      c.send_bytes(frame);
      const auto answer = c.read();
      ASSERT_TRUE(answer) << k.request.at(11);
      ASSERT_EQ(answer->at(39), k.rc) << k.request.at(11);
    }
  }
  ASSERT_EQ(sw_.stop(), "");
  const auto received = records_of<io::ReceivedRecord>(dir_, io::SwitchRecord::received);
  const auto written = records_of<io::WrittenRecord>(dir_, io::SwitchRecord::response_written);
  ASSERT_EQ(received.size(), cases.size());
  ASSERT_EQ(written.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Fields& req = cases[i].request;
    SCOPED_TRACE(req.at(11));
    const io::ReceivedRecord& r = received[i];
    EXPECT_EQ(std::string(r.mti.data(), 4), req.at(0));
    EXPECT_EQ(r.stan, std::stoul(req.at(11)));
    EXPECT_EQ(r.field7, 1123140000u);
    EXPECT_EQ(r.inflight == io::answered_by_loop, cases[i].by_loop);
    EXPECT_EQ(written[i].stan, r.stan);
    EXPECT_EQ(std::string(written[i].rc.data(), 2), cases[i].rc);
    EXPECT_EQ(written[i].inflight == io::answered_by_loop, cases[i].by_loop);
    if (req.count(37) == 0) {
      EXPECT_EQ(r.present & (io::received_rrn | io::received_acquirer | io::received_amount), 0);
      continue;
    }
    EXPECT_EQ(std::string(r.rrn.data(), r.rrn.size()), "RRN000000001");
    EXPECT_EQ(std::string(r.terminal.data(), r.terminal.size()), "TERM0001");
    EXPECT_EQ(r.acquirer, 123456u);
    EXPECT_EQ((r.present & io::received_currency) != 0, !cases[i].letter_in_49);
    if (!cases[i].letter_in_49) {
      EXPECT_EQ(r.currency, 392u);
    }
    EXPECT_EQ(std::string(r.masked_pan.data(), r.pan_length), "400000******0002");
    EXPECT_EQ((r.present & io::received_amount) != 0, req.count(4) == 1);
    if (req.count(4) == 1) {
      EXPECT_EQ(r.amount, 1000);
    }
  }
}

// SPEC 12: authswitch_inflight counts requests read and not yet answered.
// The one authorization thread is held inside run_on_shard, so a request
// sent meanwhile stays in flight until it is let go.
TEST_P(SwitchFlows, TheInflightGaugeCountsARequestReadAndNotYetAnswered) {
  const auto inflight = [&] { return series_value(sw_.runtime(), "authswitch_inflight{link=\"net\"}"); };
  EXPECT_EQ(inflight(), 0.0);
  std::atomic<bool> holding{false}, release{false};
  std::thread holder([&] {
    sw_.runtime().run_on_shard(0, [&](core::Core&, core::ShardId, core::EventSink&) {
      holding.store(true);
      while (!release.load()) std::this_thread::yield();
    });
  });
  struct LetGo {
    std::atomic<bool>& release;
    std::thread& holder;
    ~LetGo() {
      release.store(true);
      holder.join();
    }
  } let_go{release, holder};
  ASSERT_TRUE(wait_until([&] { return holding.load(); }));
  Client c(sw_.port());
  c.send_bytes(frame_of(auth_request(0, 1000, 30)));
  EXPECT_TRUE(wait_until([&] { return inflight() == 1.0; })) << inflight();
  release.store(true);
  const auto answer = c.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->at(39), "00");
  EXPECT_TRUE(wait_until([&] { return inflight() == 0.0; })) << inflight();
}

TEST_P(SwitchFlows, RunOnShardRunsOnTheOwningThreadAndWaits) {
  bool ran = false;
  sw_.runtime().run_on_shard(0, [&](core::Core& core, core::ShardId shard, core::EventSink&) {
    ran = shard == 0 && core.config().shards == 1;
  });
  EXPECT_TRUE(ran);
}

INSTANTIATE_TEST_SUITE_P(Durability, SwitchFlows, ::testing::Values(io::Durability::sync, io::Durability::async),
                         [](const ::testing::TestParamInfo<io::Durability>& p) { return std::string(io::to_string(p.param)); });

}  // namespace
}  // namespace authswitch::test
