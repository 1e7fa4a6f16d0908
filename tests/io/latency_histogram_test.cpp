#include "io/latency_histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>

#include "tests/support/alloc_counter.h"

namespace authswitch::io {
namespace {

struct EdgeCase {
  std::uint64_t value;
  std::uint64_t lowest;
  std::uint64_t highest;
  friend std::ostream& operator<<(std::ostream& out, const EdgeCase& c) { return out << c.value << "ns"; }
};

class HdrEdges : public testing::TestWithParam<EdgeCase> {};

TEST_P(HdrEdges, ValueFallsInTheExpectedBucket) {
  const EdgeCase c = GetParam();
  EXPECT_EQ(hdr::lowest_equivalent(c.value), c.lowest);
  EXPECT_EQ(hdr::highest_equivalent(c.value), c.highest);
  EXPECT_EQ(hdr::value_from_index(hdr::counts_index(c.value)), c.lowest);
  // 2 significant digits: a bucket is never wider than 1% of its values.
  if (c.value != 0) {
    EXPECT_LE(static_cast<double>(c.highest - c.lowest), 0.01 * static_cast<double>(c.lowest));
  }
}

// Bucket 0 is exact to 255 ns; then 128 steps a power of two.
INSTANTIATE_TEST_SUITE_P(Cases, HdrEdges,
                         testing::Values(EdgeCase{0, 0, 0}, EdgeCase{1, 1, 1}, EdgeCase{255, 255, 255},
                                         EdgeCase{256, 256, 257}, EdgeCase{511, 510, 511},
                                         EdgeCase{512, 512, 515}, EdgeCase{1000, 1000, 1003},
                                         EdgeCase{1023, 1020, 1023}, EdgeCase{1024, 1024, 1031},
                                         EdgeCase{5000, 4992, 5023}, EdgeCase{1'000'000, 999'424, 1'003'519},
                                         EdgeCase{100'000'000'000, 99'857'989'632, 100'394'860'543}));

TEST(LatencyHistogram, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.total_count(), 0u);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(h.max_ns(), 0u);
  EXPECT_EQ(h.mean_ns(), 0.0);
}

TEST(LatencyHistogram, ConstantDistribution) {
  LatencyHistogram h;
  h.record(1000, 1000);
  for (const double p : {0.0, 50.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(h.value_at_percentile(p), p == 0.0 ? 1000u : 1003u) << p;
  }
  EXPECT_EQ(h.max_ns(), 1003u);
  EXPECT_DOUBLE_EQ(h.mean_ns(), 1002.0);  // bucket midpoints, as HdrHistogram
  EXPECT_DOUBLE_EQ(h.stddev_ns(), 0.0);
  EXPECT_EQ(h.sum_ns(), 1'000'000u);

  std::string text;
  h.append_percentile_distribution(text, 1000.0);
  EXPECT_EQ(text,
            "       Value     Percentile TotalCount 1/(1-Percentile)\n"
            "\n"
            "        1.00 0.000000000000       1000           1.00\n"
            "        1.00 1.000000000000       1000\n"
            "#[Mean    =         1.00, StdDeviation   =         0.00]\n"
            "#[Max     =         1.00, Total count    =         1000]\n"
            "#[Buckets =           30, SubBuckets     =          256]\n");
}

// Every value 1..10000 once: each percentile is the top of the bucket that
// holds the exact answer, within 1% of it.
TEST(LatencyHistogram, UniformDistribution) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 10'000; ++v) h.record(v);
  struct Expect {
    double percentile;
    std::uint64_t exact;
    std::uint64_t reported;
  };
  for (const Expect e : {Expect{50.0, 5000, 5023}, Expect{90.0, 9000, 9023}, Expect{99.0, 9900, 9919},
                         Expect{99.9, 9990, 10047}, Expect{100.0, 10000, 10047}}) {
    const std::uint64_t got = h.value_at_percentile(e.percentile);
    EXPECT_EQ(got, e.reported) << e.percentile;
    EXPECT_LE(std::abs(static_cast<double>(got) - static_cast<double>(e.exact)), 0.01 * static_cast<double>(e.exact));
  }
  EXPECT_EQ(h.max_ns(), 10047u);
  EXPECT_EQ(h.total_count(), 10'000u);
  EXPECT_NEAR(h.mean_ns(), 5000.5, 0.01 * 5000.5);
}

TEST(LatencyHistogram, TwoPointDistribution) {
  LatencyHistogram h;
  h.record(100, 900);
  h.record(1'000'000, 100);
  EXPECT_EQ(h.value_at_percentile(50), 100u);
  EXPECT_EQ(h.value_at_percentile(90), 100u);
  EXPECT_EQ(h.value_at_percentile(90.1), 1'003'519u);
  EXPECT_EQ(h.value_at_percentile(99), 1'003'519u);
  EXPECT_EQ(h.value_at_percentile(99.9), 1'003'519u);
  EXPECT_DOUBLE_EQ(h.mean_ns(), (900.0 * 100 + 100.0 * 1'001'472) / 1000);
}

// Two values, one each: the walk emits a line at every reporting level
// (0%, 10%, ... then 5% steps past 50%) until the count is reached, then a
// last line at 100%, as HdrHistogram's outputPercentileDistribution does.
TEST(LatencyHistogram, PercentileDistributionMatchesHdrHistogramText) {
  LatencyHistogram h;
  h.record(1000);
  h.record(2000);
  std::string text;
  h.append_percentile_distribution(text, 1000.0);
  EXPECT_EQ(text,
            "       Value     Percentile TotalCount 1/(1-Percentile)\n"
            "\n"
            "        1.00 0.000000000000          1           1.00\n"
            "        1.00 0.100000000000          1           1.11\n"
            "        1.00 0.200000000000          1           1.25\n"
            "        1.00 0.300000000000          1           1.43\n"
            "        1.00 0.400000000000          1           1.67\n"
            "        1.00 0.500000000000          1           2.00\n"
            "        2.01 0.550000000000          2           2.22\n"
            "        2.01 1.000000000000          2\n"
            "#[Mean    =         1.50, StdDeviation   =         0.50]\n"
            "#[Max     =         2.01, Total count    =            2]\n"
            "#[Buckets =           30, SubBuckets     =          256]\n");
}

TEST(LatencyHistogram, PrometheusBucketsAreCumulativeInSeconds) {
  LatencyHistogram h;
  h.record(1000, 2);
  h.record(3000);
  std::string text;
  h.append_prometheus(text, "lat_seconds", "link=\"a\"");
  EXPECT_EQ(text,
            "lat_seconds_bucket{link=\"a\",le=\"0.000001003\"} 2\n"
            "lat_seconds_bucket{link=\"a\",le=\"0.000003007\"} 3\n"
            "lat_seconds_bucket{link=\"a\",le=\"+Inf\"} 3\n"
            "lat_seconds_sum{link=\"a\"} 0.000005\n"
            "lat_seconds_count{link=\"a\"} 3\n");
  std::string unlabelled;
  LatencyHistogram().append_prometheus(unlabelled, "x", "");
  EXPECT_EQ(unlabelled, "x_bucket{le=\"+Inf\"} 0\nx_sum 0\nx_count 0\n");
}

struct SecondsCase {
  std::uint64_t ns;
  const char* text;
  friend std::ostream& operator<<(std::ostream& out, const SecondsCase& c) { return out << c.ns << "ns"; }
};

class Seconds : public testing::TestWithParam<SecondsCase> {};

TEST_P(Seconds, PrintsExactDecimal) {
  std::string out;
  append_seconds(out, GetParam().ns);
  EXPECT_EQ(out, GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(Cases, Seconds,
                         testing::Values(SecondsCase{0, "0"}, SecondsCase{1, "0.000000001"},
                                         SecondsCase{1'500'000'000, "1.5"}, SecondsCase{2'000'000'000, "2"},
                                         SecondsCase{123'456'789'012, "123.456789012"}));

TEST(LatencyRecorder, MergesLikeDirectRecording) {
  LatencyRecorder a;
  LatencyRecorder b;
  LatencyHistogram direct;
  for (std::uint64_t v = 1; v < 50'000; v += 7) {
    (v % 2 == 0 ? a : b).record(v * 13);
    direct.record(v * 13);
  }
  LatencyHistogram merged;
  merged.add(a);
  merged.add(b);
  EXPECT_EQ(merged.total_count(), direct.total_count());
  EXPECT_EQ(merged.sum_ns(), direct.sum_ns());
  EXPECT_EQ(merged.max_ns(), direct.max_ns());
  for (std::size_t i = 0; i < hdr::counts_len; ++i) ASSERT_EQ(merged.count_at_index(i), direct.count_at_index(i)) << i;
}

TEST(LatencyRecorder, ClampsValuesBeyondTheRangeAndCountsThem) {
  LatencyRecorder r;
  r.record(200'000'000'000);  // 200 s
  EXPECT_EQ(r.saturated(), 1u);
  LatencyHistogram h;
  h.add(r);
  EXPECT_EQ(h.total_count(), 1u);
  EXPECT_EQ(h.max_ns(), hdr::highest_trackable);
}

TEST(LatencyRecorder, RecordingAllocatesNothing) {
  LatencyRecorder r;
  const std::uint64_t before = test::allocations();
  for (std::uint64_t v = 0; v < 1'000'000; ++v) r.record(v * 97);
  EXPECT_EQ(test::allocations(), before);
}

}  // namespace
}  // namespace authswitch::io
