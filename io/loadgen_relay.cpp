#include "io/loadgen_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/constants.h"

namespace authswitch::io {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

int listen_on(const std::string& host, std::uint16_t port, std::string& error) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    error = "bad IPv4 address " + host;
    return -1;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text("socket");
    return -1;
  }
  const int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 64) != 0) {
    error = errno_text("listen on " + host + ":" + std::to_string(port));
    ::close(fd);
    return -1;
  }
  return fd;
}

// accept() with a deadline; -1 and `error` set when it passes.
int accept_before(int listener, std::chrono::steady_clock::time_point deadline, std::string& error) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      error = "no connection arrived in time";
      return -1;
    }
    pollfd p{listener, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      error = errno_text("poll");
      return -1;
    }
    if (ready <= 0) continue;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      const int one = 1;
      (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return fd;
    }
    if (errno != EINTR && errno != EAGAIN) {
      error = errno_text("accept");
      return -1;
    }
  }
}

// One direction of one pair: bytes read from `from` wait here for `to`.
struct Pipe {
  int from = -1;
  int to = -1;
  std::unique_ptr<char[]> buffer = std::make_unique<char[]>(constants::loopback_buffer_bytes);
  std::size_t length = 0;
};

}  // namespace

std::string Relay::start(const std::string& host, std::uint16_t port, std::uint32_t connections,
                         std::chrono::milliseconds accept_timeout) {
  std::string error;
  const int listener = listen_on(host, port, error);
  if (listener < 0) return error;
  const auto deadline = std::chrono::steady_clock::now() + accept_timeout;
  while (switch_fds_.size() < connections) {
    const int fd = accept_before(listener, deadline, error);
    if (fd < 0) {
      ::close(listener);
      stop();
      return "--listen " + host + ":" + std::to_string(port) + ": " + std::to_string(switch_fds_.size()) + " of " +
             std::to_string(connections) + " switch connection(s) after " + std::to_string(accept_timeout.count()) +
             " ms: " + error;
    }
    switch_fds_.push_back(fd);
  }
  ::close(listener);  // a reconnecting switch finds nobody: the run is over for it
  client_listener_ = listen_on("127.0.0.1", 0, error);
  if (client_listener_ < 0) {
    stop();
    return error;
  }
  sockaddr_in bound{};
  socklen_t size = sizeof(bound);
  (void)getsockname(client_listener_, reinterpret_cast<sockaddr*>(&bound), &size);
  client_port_ = ntohs(bound.sin_port);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    error = errno_text("eventfd");
    stop();
    return error;
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void Relay::run() {
  // The client connects once per switch connection, in order.
  std::vector<int> client_fds;
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client_fds.size() < switch_fds_.size()) {
    const int fd = accept_before(client_listener_, deadline, error);
    if (fd < 0) break;
    client_fds.push_back(fd);
  }
  std::vector<Pipe> pipes(2 * client_fds.size());
  for (std::size_t i = 0; i < client_fds.size(); ++i) {
    pipes[2 * i].from = client_fds[i];
    pipes[2 * i].to = switch_fds_[i];
    pipes[2 * i + 1].from = switch_fds_[i];
    pipes[2 * i + 1].to = client_fds[i];
  }
  std::vector<pollfd> polls;
  bool running = !pipes.empty();
  while (running) {
    // One pollfd per pipe end: the reading side (POLLIN while there is room)
    // and the writing side (POLLOUT while bytes wait), then the stop event.
    polls.clear();
    for (const Pipe& p : pipes) {
      polls.push_back({p.from, static_cast<short>(p.length < constants::loopback_buffer_bytes ? POLLIN : 0), 0});
      polls.push_back({p.to, static_cast<short>(p.length != 0 ? POLLOUT : 0), 0});
    }
    polls.push_back({stop_fd_, POLLIN, 0});
    if (::poll(polls.data(), polls.size(), -1) < 0 && errno != EINTR) break;
    if (polls.back().revents != 0) break;
    for (std::size_t i = 0; i < pipes.size() && running; ++i) {
      Pipe& p = pipes[i];
      if ((polls[2 * i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = ::recv(p.from, p.buffer.get() + p.length, constants::loopback_buffer_bytes - p.length,
                                 MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) running = false;  // a side closed: so do we
        if (n > 0) p.length += static_cast<std::size_t>(n);
      }
      if (p.length != 0) {
        const ssize_t n = ::send(p.to, p.buffer.get(), p.length, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) running = false;
        if (n > 0) {
          std::memmove(p.buffer.get(), p.buffer.get() + n, p.length - static_cast<std::size_t>(n));
          p.length -= static_cast<std::size_t>(n);
        }
      }
    }
  }
  // Closing the client side tells the open-loop client the switch is gone.
  for (const int fd : client_fds) ::shutdown(fd, SHUT_RDWR);
  for (const int fd : client_fds) ::close(fd);
}

void Relay::stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  for (const int fd : switch_fds_) ::close(fd);
  switch_fds_.clear();
  if (client_listener_ >= 0) ::close(client_listener_);
  client_listener_ = -1;
  if (stop_fd_ >= 0) ::close(stop_fd_);
  stop_fd_ = -1;
}

}  // namespace authswitch::io
