// `loadgen --listen`: the switch's connect links dial us (SPEC 9, 11), but
// run_open_loop() only connects. The relay accepts the switch's connections
// on HOST:PORT, then listens on an ephemeral loopback port for the open-loop
// client's connections and pairs them in order, copying bytes both ways on
// its own thread.
//
// The cost is one more loopback hop each way (tens of microseconds on the
// 2-core machine), which --listen latencies include. The real fix is an
// open-loop client that takes already-connected sockets; until then this
// keeps io/open_loop_client.* untouched.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace authswitch::io {

class Relay {
 public:
  Relay() = default;
  ~Relay() { stop(); }
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Blocks until `connections` switch connections arrived on host:port (or
  // `accept_timeout` passed: an error). Then the client port is open.
  [[nodiscard]] std::string start(const std::string& host, std::uint16_t port, std::uint32_t connections,
                                  std::chrono::milliseconds accept_timeout);
  [[nodiscard]] std::uint16_t client_port() const noexcept { return client_port_; }
  // Ends the copying thread and closes every socket. Idempotent.
  void stop();

 private:
  void run();

  std::vector<int> switch_fds_;
  int client_listener_ = -1;
  int stop_fd_ = -1;  // eventfd: written by stop() to end run()'s poll
  std::uint16_t client_port_ = 0;
  std::thread thread_;
};

}  // namespace authswitch::io
