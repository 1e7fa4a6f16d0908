// A small switch for loadgen's tests: a loopback len2 listener on its own
// thread that answers each request as SPEC 2 and 3 would for the demo data
// set (core/demo_data.h), using the codec. It keeps duplicate keys, so
// retransmissions and conflicts are answered as the real switch answers
// them; the behaviours below make it misbehave on purpose.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace authswitch::test {

struct FakeSwitchBehaviour {
  bool silent = false;                // reads everything, answers nothing
  bool alter_retransmissions = false;  // a retransmission gets a different 38
  // Once request number `stall_after` (1-based) is read, stop for `stall`
  // before answering it (0: never).
  std::uint64_t stall_after = 0;
  std::chrono::milliseconds stall{0};
  std::size_t demo_cards = 1000;  // cards 0 .. demo_cards-1 exist
  // Non-zero: play a connect link instead of listening: dial 127.0.0.1 on
  // this port (retrying until it answers, for up to 30 s) and serve that
  // connection.
  std::uint16_t dial_port = 0;
};

class FakeSwitch {
 public:
  explicit FakeSwitch(FakeSwitchBehaviour behaviour);
  ~FakeSwitch();
  FakeSwitch(const FakeSwitch&) = delete;
  FakeSwitch& operator=(const FakeSwitch&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint64_t requests_read() const noexcept { return requests_read_.load(); }

 private:
  void run();

  FakeSwitchBehaviour behaviour_;
  int listener_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> requests_read_{0};
  std::thread thread_;
};

}  // namespace authswitch::test
