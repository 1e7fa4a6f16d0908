#include "io/idle_strategy.h"

#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <cstdint>
#include <limits>
#include <thread>

#include "io/spsc_ring.h"
#include "tests/io/wait_until.h"

namespace authswitch::io {
namespace {

using test::wait_until;

// A consumer thread that drains `ring` with an IdleStrategy until it has
// seen `expected` items or is told to stop.
class Consumer {
 public:
  Consumer(SpscRing<std::uint64_t>& ring, Doorbell& bell, IdlePolicy policy, std::uint64_t expected)
      : ring_(ring), bell_(bell), thread_([this, policy, expected] { run(policy, expected); }) {}
  ~Consumer() {
    stop_.store(true);
    bell_.wake();
    thread_.join();
  }

  [[nodiscard]] std::uint64_t received() const { return received_.load(); }
  [[nodiscard]] std::uint64_t sum() const { return sum_.load(); }
  [[nodiscard]] std::uint64_t parks() const { return parks_.load(); }
  [[nodiscard]] pid_t tid() const { return tid_.load(); }

 private:
  void run(IdlePolicy policy, std::uint64_t expected) {
    tid_.store(static_cast<pid_t>(syscall(SYS_gettid)));
    IdleStrategy idle(bell_, policy);
    const auto has_work = [this] { return ring_.front() != nullptr || stop_.load(); };
    while (received_.load() < expected && !stop_.load()) {
      const std::size_t n = ring_.pop_batch(64, [this](std::uint64_t& v) { sum_.fetch_add(v); });
      if (n != 0) {
        received_.fetch_add(n);
        idle.reset();
      } else {
        idle.idle(has_work);
        parks_.store(idle.parks());
      }
    }
  }

  SpscRing<std::uint64_t>& ring_;
  Doorbell& bell_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> parks_{0};
  std::atomic<pid_t> tid_{0};
  std::thread thread_;
};

constexpr IdlePolicy park_at_once{0, 0};

// The scheduler's view of a thread: 'S' while it sleeps in the kernel.
char thread_state(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const std::size_t close = line.rfind(')');  // the name may hold spaces
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

// Single thread: idle() spins, then yields, then parks, and reset() starts
// over. has_work() answering true makes park() return at once, so the test
// never sleeps.
TEST(IdleStrategy, EscalatesFromSpinToYieldToParkAndResets) {
  Doorbell bell;
  IdleStrategy idle(bell, IdlePolicy{3, 2});
  int checks = 0;
  const auto has_work = [&] {
    ++checks;
    return true;
  };
  for (int i = 0; i < 5; ++i) idle.idle(has_work);  // 3 spins, 2 yields
  EXPECT_EQ(idle.parks(), 0u);
  EXPECT_EQ(checks, 0);
  idle.idle(has_work);
  EXPECT_EQ(idle.parks(), 1u);
  EXPECT_EQ(checks, 1);  // asked again after announcing sleep
  EXPECT_FALSE(bell.consumer_sleeping());
  idle.idle(has_work);  // stays in the park stage until work is found
  EXPECT_EQ(idle.parks(), 2u);
  idle.reset();
  for (int i = 0; i < 5; ++i) idle.idle(has_work);
  EXPECT_EQ(idle.parks(), 2u);
  EXPECT_EQ(bell.wake_calls(), 0u);
}

TEST(IdleStrategy, ParkedConsumerWakesOnPush) {
  SpscRing<std::uint64_t> ring(16);
  Doorbell bell;
  Consumer consumer(ring, bell, park_at_once, 1);
  // Announced, and asleep in the futex (its only blocking call after that).
  ASSERT_TRUE(wait_until([&] {
    return bell.consumer_sleeping() && consumer.tid() != 0 && thread_state(consumer.tid()) == 'S';
  }));
  ASSERT_TRUE(ring.try_push(42));
  bell.ring();
  ASSERT_TRUE(wait_until([&] { return consumer.received() == 1; }));
  EXPECT_EQ(consumer.sum(), 42u);
  EXPECT_GE(bell.wake_calls(), 1u);
}

TEST(IdleStrategy, ProducerMakesNoWakeCallWhileTheConsumerSpins) {
  constexpr std::uint64_t items = 20'000;
  SpscRing<std::uint64_t> ring(1024);
  Doorbell bell;
  Consumer consumer(ring, bell, IdlePolicy{std::numeric_limits<std::uint32_t>::max(), 0}, items);
  for (std::uint64_t i = 0; i < items; ++i) {
    while (!ring.try_push(i)) cpu_relax();
    bell.ring();
  }
  ASSERT_TRUE(wait_until([&] { return consumer.received() == items; }));
  EXPECT_EQ(bell.wake_calls(), 0u);
  EXPECT_EQ(consumer.parks(), 0u);
}

// The lost-wake race: the consumer parks the moment the ring is empty, the
// producer pushes one item at a time, so announcement and push cross
// constantly. A lost wake leaves the consumer asleep with an item queued and
// the deadline fails the test.
TEST(IdleStrategy, NoWakeIsLostWhenPushAndParkRace) {
#if defined(__SANITIZE_THREAD__)
  constexpr std::uint64_t items = 20'000;
#else
  constexpr std::uint64_t items = 200'000;
#endif
  SpscRing<std::uint64_t> ring(8);
  Doorbell bell;
  Consumer consumer(ring, bell, park_at_once, items);
  for (std::uint64_t i = 1; i <= items; ++i) {
    while (!ring.try_push(i)) std::this_thread::yield();
    bell.ring();
    // Vary the gap so the push lands before, during and after the park.
    for (std::uint64_t spin = 0; spin < i % 64; ++spin) cpu_relax();
  }
  ASSERT_TRUE(wait_until([&] { return consumer.received() == items; }, std::chrono::seconds(120)))
      << "consumer stuck at " << consumer.received() << " of " << items << " items (a lost wake-up)";
  EXPECT_EQ(consumer.sum(), items * (items + 1) / 2);
  EXPECT_GT(consumer.parks(), 0u) << "the race was never exercised";
}

}  // namespace
}  // namespace authswitch::io
