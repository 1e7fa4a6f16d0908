#include "io/spsc_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/alloc_counter.h"

namespace authswitch::io {
namespace {

TEST(SpscRing, StartsEmptyWithTheRequestedCapacity) {
  SpscRing<int> ring(4);
  EXPECT_EQ(ring.capacity(), 4u);
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.front(), nullptr);
}

TEST(SpscRing, RefusesPushWhenFullAndAcceptsAgainAfterPop) {
  SpscRing<int> ring(3);
  EXPECT_TRUE(ring.try_push(1));
  EXPECT_TRUE(ring.try_push(2));
  EXPECT_TRUE(ring.try_push(3));
  EXPECT_FALSE(ring.try_push(4));
  EXPECT_EQ(ring.size(), 3u);
  const int* first = ring.front();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, 1);
  ring.pop();
  EXPECT_TRUE(ring.try_push(4));
  EXPECT_FALSE(ring.try_push(5));
}

TEST(SpscRing, KeepsFifoOrderAcrossManyWraps) {
  SpscRing<int> ring(7);
  int next_in = 0;
  int next_out = 0;
  // Uneven batches walk the indices through every wrap position.
  for (int round = 0; round < 100; ++round) {
    const int pushes = 1 + round % 5;
    for (int i = 0; i < pushes; ++i) ASSERT_TRUE(ring.try_push(next_in++));
    const int pops = 1 + (round * 7) % pushes;
    for (int i = 0; i < pops; ++i) {
      const int* front = ring.front();
      ASSERT_NE(front, nullptr);
      EXPECT_EQ(*front, next_out++);
      ring.pop();
    }
    while (ring.size() > 2) {
      const int* front = ring.front();
      ASSERT_NE(front, nullptr);
      EXPECT_EQ(*front, next_out++);
      ring.pop();
    }
  }
}

struct BatchCase {
  std::size_t queued;
  std::size_t max_items;
  std::size_t expected;
  friend std::ostream& operator<<(std::ostream& out, const BatchCase& c) {
    return out << c.queued << " queued, max " << c.max_items;
  }
};

class SpscRingBatch : public testing::TestWithParam<BatchCase> {};

TEST_P(SpscRingBatch, PopsUpToTheLimitInOrder) {
  const BatchCase c = GetParam();
  SpscRing<int> ring(8);
  // Offset the indices so the batch crosses the wrap point.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(ring.try_push(-1));
  EXPECT_EQ(ring.pop_batch(6, [](int&) {}), 6u);
  for (std::size_t i = 0; i < c.queued; ++i) ASSERT_TRUE(ring.try_push(static_cast<int>(i)));
  std::vector<int> seen;
  EXPECT_EQ(ring.pop_batch(c.max_items, [&](int& v) { seen.push_back(v); }), c.expected);
  ASSERT_EQ(seen.size(), c.expected);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int>(i));
  EXPECT_EQ(ring.size(), c.queued - c.expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, SpscRingBatch,
                         testing::Values(BatchCase{0, 4, 0}, BatchCase{3, 4, 3}, BatchCase{8, 4, 4},
                                         BatchCase{8, 8, 8}, BatchCase{5, 0, 0}));

TEST(SpscRing, PopBatchAheadShowsTheRestOfTheBatchAcrossWraps) {
  SpscRing<int> ring(7);
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 100; ++round) {
    const int pushes = 1 + round % 5;  // at most 2 left over + 5 = the capacity
    for (int i = 0; i < pushes; ++i) ASSERT_TRUE(ring.try_push(next_in++));
    const std::size_t max = 1 + static_cast<std::size_t>(round % 4);
    const std::size_t batch = std::min<std::size_t>(max, ring.size());
    std::size_t position = 0;
    const std::size_t n = ring.pop_batch_ahead(max, [&](int& item, auto ahead) {
      EXPECT_EQ(item, next_out);
      // Every later item of this batch, in order; nothing past its end.
      for (std::size_t k = 1; k < batch - position; ++k) {
        const int* later = ahead(k);
        ASSERT_NE(later, nullptr);
        EXPECT_EQ(*later, next_out + static_cast<int>(k));
      }
      EXPECT_EQ(ahead(batch - position), nullptr);
      EXPECT_EQ(ahead(batch + 8), nullptr);
      ++next_out;
      ++position;
    });
    EXPECT_EQ(n, batch);
    while (ring.size() > 2) {
      const int* front = ring.front();
      ASSERT_NE(front, nullptr);
      EXPECT_EQ(*front, next_out++);
      ring.pop();
    }
  }
}

TEST(SpscRing, DestroysItemsPoppedAndItemsLeftInside) {
  const auto tracker = std::make_shared<int>(0);
  {
    SpscRing<std::shared_ptr<int>> ring(4);
    ASSERT_TRUE(ring.try_push(tracker));
    ASSERT_TRUE(ring.try_emplace(tracker));
    ASSERT_TRUE(ring.try_push(tracker));
    EXPECT_EQ(tracker.use_count(), 4);
    ASSERT_NE(ring.front(), nullptr);
    ring.pop();
    EXPECT_EQ(tracker.use_count(), 3);
    EXPECT_EQ(ring.pop_batch(1, [](std::shared_ptr<int>&) {}), 1u);
    EXPECT_EQ(tracker.use_count(), 2);
  }
  EXPECT_EQ(tracker.use_count(), 1);
}

TEST(SpscRing, PushAndPopAllocateNothingAfterConstruction) {
  SpscRing<std::string> ring(16);  // short strings stay in the SSO buffer
  const std::uint64_t before = test::allocations();
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(ring.try_emplace("0100"));
    ASSERT_NE(ring.front(), nullptr);
    ring.pop();
    ASSERT_TRUE(ring.try_push(std::string_view("0110").data()));
    ASSERT_EQ(ring.pop_batch(4, [](std::string&) {}), 1u);
  }
  EXPECT_EQ(test::allocations(), before);
}

}  // namespace
}  // namespace authswitch::io
