// What the kernel says of a thread's scheduling, read from
// /proc/self/task/<tid>/sched, for tests of core/thread_class.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
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

// This process's threads by name (/proc/self/task/*/comm); of two with one
// name, either.
inline std::map<std::string, pid_t> threads_by_name() {
  std::map<std::string, pid_t> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) out[name] = static_cast<pid_t>(std::stol(task.path().filename().string()));
  }
  return out;
}

}  // namespace authswitch::test
