#include "io/metrics_registry.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/alloc_counter.h"

namespace authswitch::io {
namespace {

constexpr const char* messages_help = "ISO 8583 messages by link, MTI and response code.";

TEST(MetricsRegistry, RendersTheExactExpositionText) {
  MetricsRegistry registry(16);
  Counter approved = registry.counter("authswitch_messages_total", messages_help,
                                      {{"link", "net"}, {"mti", "0110"}, {"rc", "00"}});
  Counter odd = registry.counter("authswitch_messages_total", messages_help,
                                 {{"link", "a\"b\\c\nd"}, {"mti", "0110"}, {"rc", "51"}});
  Gauge inflight = registry.gauge("authswitch_inflight", "Requests read and not yet answered.", {{"link", "net"}});
  Gauge recovery = registry.gauge("authswitch_recovery_seconds", "Replay time at start.\nA \\ here.");
  HistogramSeries& decision =
      registry.histogram("authswitch_decision_seconds", "Time to decide.", {{"link", "net"}}, 2);
  Counter duplicates = registry.counter("authswitch_duplicates_total", "Requests whose key was seen before.");

  approved.inc();
  approved.inc(2);
  odd.inc();
  inflight.set(7);
  inflight.add(-2);
  recovery.set(0.25);
  decision.recorder(0).record(1000);
  decision.recorder(1).record(1001);
  EXPECT_EQ(duplicates.value(), 0u);

  EXPECT_EQ(registry.render(),
            "# HELP authswitch_messages_total ISO 8583 messages by link, MTI and response code.\n"
            "# TYPE authswitch_messages_total counter\n"
            "authswitch_messages_total{link=\"net\",mti=\"0110\",rc=\"00\"} 3\n"
            "authswitch_messages_total{link=\"a\\\"b\\\\c\\nd\",mti=\"0110\",rc=\"51\"} 1\n"
            "# HELP authswitch_inflight Requests read and not yet answered.\n"
            "# TYPE authswitch_inflight gauge\n"
            "authswitch_inflight{link=\"net\"} 5\n"
            "# HELP authswitch_recovery_seconds Replay time at start.\\nA \\\\ here.\n"
            "# TYPE authswitch_recovery_seconds gauge\n"
            "authswitch_recovery_seconds 0.25\n"
            "# HELP authswitch_decision_seconds Time to decide.\n"
            "# TYPE authswitch_decision_seconds histogram\n"
            "authswitch_decision_seconds_bucket{link=\"net\",le=\"0.000001003\"} 2\n"
            "authswitch_decision_seconds_bucket{link=\"net\",le=\"+Inf\"} 2\n"
            "authswitch_decision_seconds_sum{link=\"net\"} 0.000002001\n"
            "authswitch_decision_seconds_count{link=\"net\"} 2\n"
            "# HELP authswitch_duplicates_total Requests whose key was seen before.\n"
            "# TYPE authswitch_duplicates_total counter\n"
            "authswitch_duplicates_total 0\n");
}

TEST(MetricsRegistry, SeriesOfOneFamilyRenderTogetherWhateverTheRegistrationOrder) {
  MetricsRegistry registry(8);
  Gauge up_a = registry.gauge("authswitch_link_up", "1 while the link is up.", {{"link", "a"}});
  Counter total = registry.counter("authswitch_wal_records_total", "Records appended.");
  Gauge up_b = registry.gauge("authswitch_link_up", "1 while the link is up.", {{"link", "b"}});
  up_b.set(1);
  total.inc(4);
  EXPECT_EQ(registry.render(),
            "# HELP authswitch_link_up 1 while the link is up.\n"
            "# TYPE authswitch_link_up gauge\n"
            "authswitch_link_up{link=\"a\"} 0\n"
            "authswitch_link_up{link=\"b\"} 1\n"
            "# HELP authswitch_wal_records_total Records appended.\n"
            "# TYPE authswitch_wal_records_total counter\n"
            "authswitch_wal_records_total 4\n");
  EXPECT_EQ(up_a.value(), 0.0);
}

TEST(MetricsRegistry, HotPathUpdatesAllocateNothing) {
  MetricsRegistry registry(8);
  Counter c = registry.counter("c_total", "c", {{"link", "net"}});
  Gauge g = registry.gauge("g", "g");
  HistogramSeries& h = registry.histogram("h_seconds", "h", {}, 1);
  LatencyRecorder& recorder = h.recorder(0);
  const std::uint64_t before = test::allocations();
  for (std::uint64_t i = 0; i < 100'000; ++i) {
    c.inc();
    g.set(static_cast<double>(i));
    g.add(1);
    recorder.record(i);
  }
  EXPECT_EQ(test::allocations(), before);
  EXPECT_EQ(c.value(), 100'000u);
}

TEST(MetricsRegistryDeathTest, RegistrationBugsStopTheProcess) {
  EXPECT_DEATH(
      {
        MetricsRegistry registry(1);
        (void)registry.counter("a_total", "a");
        (void)registry.counter("b_total", "b");
      },
      "series_count_ < series_max_");
  EXPECT_DEATH(
      {
        MetricsRegistry registry(4);
        (void)registry.counter("a_total", "a", {{"link", "x"}});
        (void)registry.counter("a_total", "a", {{"link", "x"}});
      },
      "labels != rendered");
  EXPECT_DEATH(
      {
        MetricsRegistry registry(4);
        (void)registry.counter("bad name", "a");
      },
      "valid_name");
  EXPECT_DEATH(
      {
        MetricsRegistry registry(4);
        (void)registry.counter("a_total", "a");
        (void)registry.gauge("a_total", "a");
      },
      "family->type == type");
}

}  // namespace
}  // namespace authswitch::io
