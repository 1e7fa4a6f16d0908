#include "io/cpu_affinity.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace authswitch::io {
namespace {

// Captures what pin_current_thread() warns.
class Warnings {
 public:
  Warnings() : file_(open_memstream(&buffer_, &size_)) {}
  ~Warnings() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buffer_);
  }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

int allowed_cpu_count_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(pthread_getaffinity_np(pthread_self(), sizeof(set), &set), 0);
  return CPU_COUNT(&set);
}

int first_allowed_cpu() {
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (process_may_run_on(cpu)) return cpu;
  }
  return -1;
}

struct BadCpuCase {
  int cpu;
  friend std::ostream& operator<<(std::ostream& out, const BadCpuCase& c) { return out << "cpu " << c.cpu; }
};

class PinToForbiddenCpu : public testing::TestWithParam<BadCpuCase> {};

TEST_P(PinToForbiddenCpu, WarnsNamingTheCpuAndRunsUnpinned) {
  const int cpu = GetParam().cpu;
  Warnings warnings;
  std::thread([&] {
    const int before = allowed_cpu_count_of_this_thread();
    EXPECT_FALSE(pin_current_thread(cpu, "auth-0", warnings.file()));
    EXPECT_EQ(allowed_cpu_count_of_this_thread(), before);
  }).join();
  const std::string text = warnings.text();
  EXPECT_NE(text.find("CPU " + std::to_string(cpu) + " "), std::string::npos) << text;
  EXPECT_NE(text.find("auth-0"), std::string::npos) << text;
  EXPECT_NE(text.find("unpinned"), std::string::npos) << text;
}

// 63 is beyond this 2-core machine; -1 and CPU_SETSIZE are beyond any mask.
INSTANTIATE_TEST_SUITE_P(Cases, PinToForbiddenCpu,
                         testing::Values(BadCpuCase{63}, BadCpuCase{-1}, BadCpuCase{CPU_SETSIZE}));

TEST(PinCurrentThread, PinsToAnAllowedCpuWithoutWarning) {
  const int cpu = first_allowed_cpu();
  ASSERT_GE(cpu, 0);
  Warnings warnings;
  std::thread([&] {
    EXPECT_TRUE(pin_current_thread(cpu, "io-0", warnings.file()));
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof(set), &set), 0);
    EXPECT_EQ(CPU_COUNT(&set), 1);
    EXPECT_TRUE(CPU_ISSET(static_cast<unsigned>(cpu), &set));
  }).join();
  EXPECT_EQ(warnings.text(), "");
}

TEST(PinCurrentThread, PinningOneThreadDoesNotHideCpusFromTheNext) {
  const int cpu = first_allowed_cpu();
  ASSERT_GE(cpu, 0);
  Warnings warnings;
  std::thread([&] { EXPECT_TRUE(pin_current_thread(cpu, "io-0", warnings.file())); }).join();
  for (int other = 0; other < CPU_SETSIZE; ++other) {
    cpu_set_t process;
    CPU_ZERO(&process);
    ASSERT_EQ(sched_getaffinity(0, sizeof(process), &process), 0);
    if (CPU_ISSET(static_cast<unsigned>(other), &process)) {
      EXPECT_TRUE(process_may_run_on(other)) << other;
    }
  }
}

struct RoundRobinCase {
  std::vector<int> cpus;
  std::size_t index;
  int expected;
  friend std::ostream& operator<<(std::ostream& out, const RoundRobinCase& c) {
    return out << c.cpus.size() << " cpus, thread " << c.index;
  }
};

class CpuForThread : public testing::TestWithParam<RoundRobinCase> {};

TEST_P(CpuForThread, CyclesThroughTheList) {
  const RoundRobinCase& c = GetParam();
  EXPECT_EQ(cpu_for_thread(c.cpus, c.index), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, CpuForThread,
                         testing::Values(RoundRobinCase{{}, 0, -1}, RoundRobinCase{{1}, 0, 1},
                                         RoundRobinCase{{1}, 5, 1}, RoundRobinCase{{0, 1}, 1, 1},
                                         RoundRobinCase{{0, 1}, 2, 0}, RoundRobinCase{{3, 5, 7}, 4, 5}));

}  // namespace
}  // namespace authswitch::io
