// Waiting on a condition with a deadline, never sleeping and hoping.
#pragma once

#include <chrono>
#include <thread>

namespace authswitch::ledger::testing {

// Polls `done` until it is true or `limit` passes; true when it became true.
template <typename Done>
[[nodiscard]] bool wait_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace authswitch::ledger::testing
