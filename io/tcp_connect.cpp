#include "io/tcp_connect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace authswitch::io {
namespace {

ConnectResult failed(int fd, std::string error) {
  if (fd >= 0) ::close(fd);
  return ConnectResult{-1, false, std::move(error)};
}

}  // namespace

ConnectResult tcp_connect(const std::string& host, std::uint16_t port, int stop_fd, int timeout_ms) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return failed(-1, "not an IPv4 address");
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return failed(-1, std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS) return failed(fd, std::strerror(errno));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now()).count();
      if (left <= 0) return failed(fd, "no answer within " + std::to_string(timeout_ms) + " ms");
      pollfd p[2] = {{fd, POLLOUT, 0}, {stop_fd, POLLIN, 0}};
      const int ready = ::poll(p, 2, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return failed(fd, std::strerror(errno));
      if ((p[1].revents & POLLIN) != 0) {
        ::close(fd);
        return ConnectResult{-1, true, "stopping"};
      }
      if (p[0].revents != 0) break;
    }
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    if (error != 0) return failed(fd, std::strerror(error));
  }
  // The connection loop and its linger expect the blocking socket accept() gives.
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return ConnectResult{fd, false, {}};
}

}  // namespace authswitch::io
