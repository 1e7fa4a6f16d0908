// Waits on a condition with a deadline: tests never sleep and hope.
#pragma once

#include <chrono>
#include <thread>

namespace authswitch::test {

template <typename Condition>
[[nodiscard]] bool wait_until(Condition&& condition, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace authswitch::test
