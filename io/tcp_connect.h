// A connect link's outgoing TCP connect (SPEC 9), bounded and stoppable.
//
// A blocking connect() to a host that drops SYNs waits for the kernel's
// retries, about two minutes, and nothing interrupts it: SIGTERM would
// wait that long for the link's thread. This one waits at most `timeout_ms`
// and returns as soon as the stop eventfd is readable.
#pragma once

#include <cstdint>
#include <string>

namespace authswitch::io {

struct ConnectResult {
  int fd = -1;        // a connected, blocking socket; -1 on failure
  bool stopped = false;
  std::string error;  // why not, for the log line ("connection refused", ...)
};

// `host` is an IPv4 literal (config checks it). Off the hot path.
[[nodiscard]] ConnectResult tcp_connect(const std::string& host, std::uint16_t port, int stop_fd, int timeout_ms);

}  // namespace authswitch::io
