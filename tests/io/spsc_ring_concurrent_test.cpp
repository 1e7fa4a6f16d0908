// Two threads pass ten million sequenced items; the consumer checks the
// order and the sum (after Aeron's and rigtorp's stress tests).
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>

#include "io/spsc_ring.h"

namespace authswitch::io {
namespace {

// ThreadSanitizer makes each access ~20x dearer (10M items take two
// minutes there); a million still interleaves the threads millions of times.
#if defined(__SANITIZE_THREAD__)
constexpr std::uint64_t item_count = 1'000'000;
#else
constexpr std::uint64_t item_count = 10'000'000;
#endif

struct Item {
  std::uint64_t sequence;
  std::uint64_t payload;  // sequence * 3: a torn read would break the pair
};

TEST(SpscRingConcurrent, TenMillionItemsArriveInOrderWithTheRightSum) {
  SpscRing<Item> ring(1024);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < item_count; ++i) {
      while (!ring.try_push(Item{i, i * 3})) {
      }
    }
  });
  std::uint64_t expected = 0;  // the next sequence number due
  std::uint64_t sum = 0;
  bool ordered = true;
  bool paired = true;
  const auto check = [&](const Item& item) {
    ordered = ordered && item.sequence == expected;
    paired = paired && item.payload == item.sequence * 3;
    sum += item.sequence;
    ++expected;
  };
  while (expected < item_count) {
    // Alternate single pops with batches so both consumer paths race the
    // producer.
    if (expected % 2 == 0) {
      const Item* item = ring.front();
      if (item == nullptr) continue;
      check(*item);
      ring.pop();
    } else {
      ring.pop_batch(64, check);
    }
  }
  producer.join();
  EXPECT_TRUE(ordered);
  EXPECT_TRUE(paired);
  EXPECT_EQ(sum, item_count * (item_count - 1) / 2);
  EXPECT_TRUE(ring.empty());
}

}  // namespace
}  // namespace authswitch::io
