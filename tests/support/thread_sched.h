// What the kernel says of a thread's scheduling, read from
// /proc/self/task/<tid>/sched, for tests of core/thread_class.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

namespace authswitch::test {

struct ThreadSched {
  int policy = -1;                     // SCHED_OTHER 0, SCHED_IDLE 5
  std::optional<std::uint64_t> slice;  // ns; absent on kernels without se.slice
};

inline ThreadSched read_thread_sched(pid_t tid) {
  ThreadSched out;
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/sched");
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(' ') + 1);
    const std::string value = line.substr(colon + 1);
    if (key == "policy") out.policy = std::stoi(value);
    if (key == "se.slice") out.slice = std::stoull(value);
  }
  return out;
}

}  // namespace authswitch::test
