// One HTTP exchange over a plain TCP socket to 127.0.0.1, for tests that
// must control the bytes sent (headers promising a body never sent, HTTP/1.0
// against the real binary) where httplib::Client would not.
//
// Reads until the response is whole (its headers and Content-Length bytes of
// body) or the server closes, not until close: a server that answers
// "Connection: close" may still hold the socket until its keep-alive timeout
// (cpp-httplib 0.11 does, 5 s here), and a test should not wait that out.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace authswitch::test {

namespace http_exchange_detail {

// The whole response's length once its headers are in, when they say it.
inline std::optional<std::size_t> response_length(std::string_view got) {
  const std::size_t head_end = got.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  const std::string_view head = got.substr(0, head_end);
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos; at = head.find("\r\n", at + 2)) {
    const std::string_view line = head.substr(at + 2, head.find("\r\n", at + 2) - (at + 2));
    constexpr std::string_view name = "content-length:";
    if (line.size() <= name.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = line[i];
      if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != name[i]) match = false;
    }
    if (match) return head_end + 4 + std::strtoull(std::string(line.substr(name.size())).c_str(), nullptr, 10);
  }
  return std::nullopt;
}

}  // namespace http_exchange_detail

// A TCP connection to 127.0.0.1:port with a 30 s receive timeout (a safety
// net against a hang only), or -1.
inline int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = 30;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` as it is on a connected socket, which stays open; returns
// the response that came back.
inline std::string http_exchange_on(int fd, std::string_view request) {
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string got;
  char buf[4096];
  while (true) {
    const std::optional<std::size_t> whole = http_exchange_detail::response_length(got);
    if (whole && got.size() >= *whole) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    // With SO_RCVTIMEO a recv interrupted without a signal (io_uring task
    // work, say) fails with EINTR instead of restarting: not the end.
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // closed by the server (or the safety net fired)
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// One request on a connection of its own; "" when it could not connect.
inline std::string http_exchange(std::uint16_t port, std::string_view request) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::string got = http_exchange_on(fd, request);
  ::close(fd);
  return got;
}

// A plain HTTP/1.0 GET of `path`.
inline std::string http_get(std::uint16_t port, std::string_view path) {
  return http_exchange(port, "GET " + std::string(path) + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
}

}  // namespace authswitch::test
