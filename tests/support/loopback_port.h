// Ports on 127.0.0.1 for tests: a socket bound to a port the kernel picks,
// and ports free a moment ago for a child process whose config takes no 0.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace authswitch::test {

struct BoundSocket {
  int fd = -1;             // -1 when socket() or bind() failed
  std::uint16_t port = 0;  // host order
};

// A TCP socket bound to 127.0.0.1 on a port the kernel chose; the caller
// listens on it (or not) and closes it.
inline BoundSocket bind_loopback() {
  BoundSocket s;
  s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return s;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s.fd);
    return BoundSocket{};
  }
  s.port = ntohs(a.sin_port);
  return s;
}

// Two ports free a moment ago. Both are held until both are known, so they
// differ: closed one at a time, the kernel could hand the same port out twice.
inline std::array<std::uint16_t, 2> two_free_ports() {
  std::array<BoundSocket, 2> held{bind_loopback(), bind_loopback()};
  std::array<std::uint16_t, 2> ports{};
  for (std::size_t i = 0; i < held.size(); ++i) {
    ports[i] = held[i].port;
    if (held[i].fd >= 0) ::close(held[i].fd);
  }
  return ports;
}

}  // namespace authswitch::test
