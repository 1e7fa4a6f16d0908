#include "io/open_loop_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::io {
namespace {

constexpr std::size_t digits = 20;  // UINT64_MAX has 20 decimal digits
constexpr std::size_t mti_bytes = 4;
constexpr std::size_t frame_bytes_max = 2 + constants::max_message_bytes_ceiling;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

struct Connection {
  int fd = -1;
  std::unique_ptr<std::byte[]> out = std::make_unique<std::byte[]>(constants::loopback_buffer_bytes);
  std::size_t out_len = 0;
  std::unique_ptr<std::byte[]> in = std::make_unique<std::byte[]>(constants::loopback_buffer_bytes);
  std::size_t in_len = 0;
};

std::string errno_text(const char* what, int error) { return std::string(what) + ": " + std::strerror(error); }

std::string connect_all(const OpenLoopOptions& options, std::vector<Connection>& connections) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1) return "bad IPv4 address " + options.host;
  for (Connection& c : connections) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return errno_text("socket", errno);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      return errno_text("connect", errno);
    }
    const int one = 1;
    (void)setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return {};
}

// Sends what the connection has queued; false when the peer is gone.
bool flush(Connection& c) {
  std::size_t offset = 0;
  while (offset < c.out_len) {
    const ssize_t n = ::send(c.fd, c.out.get() + offset, c.out_len - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return false;
    }
    offset += static_cast<std::size_t>(n);
  }
  if (offset != 0) {
    std::memmove(c.out.get(), c.out.get() + offset, c.out_len - offset);
    c.out_len -= offset;
  }
  return true;
}

}  // namespace

EchoRequestSource::EchoRequestSource(std::size_t payload_bytes) : payload_bytes_(payload_bytes) {
  AS_ASSERT(payload_bytes_ >= mti_bytes + digits && payload_bytes_ <= constants::max_message_bytes_ceiling);
}

std::size_t EchoRequestSource::build_frame(std::uint64_t sequence, std::span<std::byte> out) {
  const std::size_t frame = 2 + payload_bytes_;
  AS_ASSERT(out.size() >= frame);
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  bytes[0] = static_cast<unsigned char>(payload_bytes_ >> 8);
  bytes[1] = static_cast<unsigned char>(payload_bytes_ & 0xff);
  std::memcpy(bytes + 2, "0100", mti_bytes);
  for (std::size_t i = 0; i < digits; ++i) {
    bytes[2 + mti_bytes + digits - 1 - i] = static_cast<unsigned char>('0' + sequence % 10);
    sequence /= 10;
  }
  std::memset(bytes + 2 + mti_bytes + digits, '0', payload_bytes_ - mti_bytes - digits);
  return frame;
}

std::optional<std::uint64_t> EchoRequestSource::match_answer(std::span<const std::byte> payload) {
  if (payload.size() != payload_bytes_) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(payload.data());
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const unsigned char c = bytes[mti_bytes + i];
    if (c < '0' || c > '9') return std::nullopt;
    sequence = sequence * 10 + (c - '0');
  }
  return sequence;
}

OpenLoopResult run_open_loop(const OpenLoopOptions& options, RequestSource& source, LatencyRecorder& latency) {
  AS_ASSERT(options.rate_per_s > 0 && options.connections > 0 && options.seconds > 0.0);
  OpenLoopResult result;
  const auto total = static_cast<std::uint64_t>(options.seconds * options.rate_per_s);
  // Outstanding requests by sequence modulo the table size. A slot still
  // live when its sequence comes round again has waited longer than any
  // sane timeout: it is overwritten, and stays counted as sent but
  // unanswered (a timeout); a late answer to it then matches nothing.
  AS_ASSERT(options.inflight_slots != 0 && (options.inflight_slots & (options.inflight_slots - 1)) == 0);
  struct Outstanding {
    std::uint64_t sequence = 0;
    std::uint64_t due_ns = 0;  // 0: free
  };
  std::vector<Outstanding> outstanding(options.inflight_slots);
  const std::size_t slot_mask = options.inflight_slots - 1;
  std::vector<Connection> connections(options.connections);
  std::vector<pollfd> polls(options.connections);
  if (std::string error = connect_all(options, connections); !error.empty()) {
    for (Connection& c : connections) {
      if (c.fd >= 0) ::close(c.fd);
    }
    result.error = error;
    return result;
  }
  // ppoll sleeps to the next due time; the default 50 us timer slack would
  // add up to 50 us of lateness to every request sent after a sleep.
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  const double interval_ns = 1e9 / options.rate_per_s;
  const std::uint64_t start = now_ns() + 1'000'000;  // 1 ms to settle
  const auto due_of = [&](std::uint64_t sequence) {
    return start + static_cast<std::uint64_t>(static_cast<double>(sequence) * interval_ns);
  };
  const std::uint64_t drain_ns = static_cast<std::uint64_t>(options.drain_timeout.count()) * 1'000'000;
  std::uint64_t next = 0;
  std::uint64_t last_answer = start;
  std::uint64_t next_progress = start + 1'000'000'000;
  // A server that stops reading must not hang the client: whatever is
  // still unsent or unanswered at the last due time plus the drain is given
  // up on (counted as timeouts when it was sent).
  const std::uint64_t give_up = due_of(total) + drain_ns;

  while (result.answered < result.sent || next < total) {
    std::uint64_t now = now_ns();
    if (now >= give_up) break;
    if (options.progress != nullptr && now >= next_progress) {
      options.progress(options.progress_context, result.sent, result.answered);
      next_progress += 1'000'000'000;
    }

    // Queue every request that is due, round robin over the connections.
    while (next < total && due_of(next) <= now) {
      Connection& c = connections[next % connections.size()];
      if (c.out_len + frame_bytes_max > constants::loopback_buffer_bytes) break;  // the peer stopped reading
      c.out_len += source.build_frame(next, std::span(c.out.get() + c.out_len, frame_bytes_max));
      outstanding[next & slot_mask] = Outstanding{next, due_of(next)};
      ++next;
      ++result.sent;
    }
    for (Connection& c : connections) {
      if (c.out_len != 0 && !flush(c)) {
        result.error = "send: the server closed the connection";
        break;
      }
    }
    if (!result.error.empty()) break;

    // Wait for answers or the next due time, whichever comes first.
    now = now_ns();
    std::uint64_t wake = give_up;
    if (next < total) wake = std::min(wake, due_of(next));
    // Progress is due every second, the wait for the last answers included:
    // a switch that stopped answering must show in it (SPEC 11).
    if (options.progress != nullptr) wake = std::min(wake, next_progress);
    const std::uint64_t wait_ns = wake > now ? wake - now : 0;
    for (std::size_t i = 0; i < connections.size(); ++i) {
      polls[i] = pollfd{connections[i].fd, static_cast<short>(POLLIN | (connections[i].out_len ? POLLOUT : 0)), 0};
    }
    const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
    const int ready = ppoll(polls.data(), polls.size(), &timeout, nullptr);
    if (ready < 0 && errno != EINTR) {
      result.error = errno_text("ppoll", errno);
      break;
    }
    if (ready <= 0) continue;

    for (std::size_t i = 0; i < connections.size(); ++i) {
      if ((polls[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
      Connection& c = connections[i];
      const ssize_t n = ::recv(c.fd, c.in.get() + c.in_len, constants::loopback_buffer_bytes - c.in_len, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        result.error = "recv: the server closed the connection";
        break;
      }
      if (n < 0) continue;
      const std::uint64_t received = now_ns();
      c.in_len += static_cast<std::size_t>(n);
      std::size_t offset = 0;
      while (c.in_len - offset >= 2) {
        const auto* header = reinterpret_cast<const unsigned char*>(c.in.get() + offset);
        const std::size_t length = (std::size_t{header[0]} << 8) | header[1];
        if (c.in_len - offset < 2 + length) break;
        const std::span<const std::byte> payload(c.in.get() + offset + 2, length);
        const std::size_t out_room = constants::loopback_buffer_bytes - c.out_len;
        if (const std::optional<std::size_t> reply = source.reply_to_server(
                payload, std::span(c.out.get() + c.out_len, std::min(out_room, frame_bytes_max)))) {
          c.out_len += *reply;  // sent with the next requests
          ++result.server_requests;
          offset += 2 + length;
          continue;
        }
        const std::optional<std::uint64_t> sequence = source.match_answer(payload);
        Outstanding* slot = sequence ? &outstanding[*sequence & slot_mask] : nullptr;
        if (slot != nullptr && slot->due_ns != 0 && slot->sequence == *sequence) {
          latency.record(received - slot->due_ns);
          slot->due_ns = 0;
          ++result.answered;
          last_answer = received;
        } else {
          ++result.unmatched;
        }
        offset += 2 + length;
      }
      std::memmove(c.in.get(), c.in.get() + offset, c.in_len - offset);
      c.in_len -= offset;
    }
    if (!result.error.empty()) break;
  }
  for (Connection& c : connections) ::close(c.fd);
  result.timeouts = result.sent - result.answered;
  result.unsent = total - result.sent;
  result.elapsed_s = static_cast<double>(last_answer - start) / 1e9;
  return result;
}

std::string summary_json(const OpenLoopResult& result, const LatencyHistogram& latency) {
  const auto us = [&](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  const double per_s = result.elapsed_s > 0 ? static_cast<double>(result.answered) / result.elapsed_s : 0.0;
  char line[512];
  const int n = std::snprintf(
      line, sizeof(line),
      "{\"sent\":%llu,\"answered\":%llu,\"timeouts\":%llu,\"unmatched\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,\"max_us\":%.1f,\"per_s\":%.0f,\"unsent\":%llu}",
      static_cast<unsigned long long>(result.sent), static_cast<unsigned long long>(result.answered),
      static_cast<unsigned long long>(result.timeouts), static_cast<unsigned long long>(result.unmatched),
      us(latency.value_at_percentile(50)), us(latency.value_at_percentile(99)), us(latency.value_at_percentile(99.9)),
      us(latency.max_ns()), per_s, static_cast<unsigned long long>(result.unsent));
  AS_ASSERT(n > 0 && static_cast<std::size_t>(n) < sizeof(line));
  return std::string(line, static_cast<std::size_t>(n));
}

}  // namespace authswitch::io
