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
  bool bad_balance_block = false;      // a balance inquiry's 54 carries another currency
  // Once request number `stall_after` (1-based) is read, stop for `stall`
  // before answering it (0: never).
  std::uint64_t stall_after = 0;
  std::chrono::milliseconds stall{0};
  std::size_t demo_cards = 1000;  // cards 0 .. demo_cards-1 exist
  // Non-zero: play a connect link instead of listening: dial 127.0.0.1 on
  // this port (retrying until it answers, for up to 30 s) and serve that
  // connection.
  std::uint16_t dial_port = 0;
  // Non-zero: after every `echo_every` requests read, send the switch's own
  // 0800 echo (7, 11, 70 = 301) on that connection and check its 0810.
  std::uint64_t echo_every = 0;
};

class FakeSwitch {
 public:
  explicit FakeSwitch(FakeSwitchBehaviour behaviour);
  ~FakeSwitch();
  FakeSwitch(const FakeSwitch&) = delete;
  FakeSwitch& operator=(const FakeSwitch&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint64_t requests_read() const noexcept { return requests_read_.load(); }
  // Our 0800s sent, and 0810s that answered one of them exactly (7, 11 and
  // 70 echoed, 39 = 00); any other 0810 counts as bad.
  [[nodiscard]] std::uint64_t echoes_sent() const noexcept { return echoes_sent_.load(); }
  [[nodiscard]] std::uint64_t echoes_answered() const noexcept { return echoes_answered_.load(); }
  [[nodiscard]] std::uint64_t bad_echo_answers() const noexcept { return bad_echo_answers_.load(); }

 private:
  void run();

  FakeSwitchBehaviour behaviour_;
  int listener_ = -1;
  int stop_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> requests_read_{0};
  std::atomic<std::uint64_t> echoes_sent_{0};
  std::atomic<std::uint64_t> echoes_answered_{0};
  std::atomic<std::uint64_t> bad_echo_answers_{0};
  std::thread thread_;
};

}  // namespace authswitch::test
