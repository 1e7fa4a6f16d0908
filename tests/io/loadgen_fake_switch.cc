#include "tests/io/loadgen_fake_switch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "codec/codec.h"
#include "core/assert.h"

namespace authswitch::test {
namespace {

constexpr std::size_t buffer_bytes = 1 << 20;

struct Stored {
  std::string content;  // fields 2, 3, 4, 49
  std::string rc;
  std::string approval;
  std::string reason;
  std::string balance;
};

struct Connection {
  int fd = -1;
  std::unique_ptr<char[]> in = std::make_unique<char[]>(buffer_bytes);
  std::size_t in_len = 0;
};

void send_all(int fd, const std::byte* data, std::size_t size) {
  while (size != 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // the client went away; the test sees it on its side
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

class Decider {
 public:
  explicit Decider(const FakeSwitchBehaviour& b) : behaviour_(b) {}

  // The framed answer to one request body, or 0 bytes for none.
  std::size_t answer(const codec::MessageView& request, std::span<std::byte> out) {
    const std::string_view mti = request.mti();
    char response_mti[4] = {mti[0], mti[1], static_cast<char>(mti[2] + 1), '0'};
    codec::FieldValues v;
    v.set_mti(std::string_view(response_mti, 4));
    v.echo(request, codec::FieldSet{2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49});
    std::string rc = "00", approval, reason, balance;
    if (mti == "0100" || mti == "0101") {
      const std::string key = std::string(request.wire(32)) + "|" + std::string(request.wire(11)) + "|" +
                              std::string(request.wire(7));
      const std::string content = std::string(request.wire(2)) + "|" + std::string(request.wire(3)) + "|" +
                                  std::string(request.wire(4)) + "|" + std::string(request.wire(49));
      const auto seen = stored_.find(key);
      if (seen != stored_.end()) {
        if (seen->second.content == content) {
          rc = seen->second.rc;
          approval = seen->second.approval;
          reason = seen->second.reason;
          balance = seen->second.balance;
          if (behaviour_.alter_retransmissions && !approval.empty()) approval[0] = approval[0] == 'Z' ? 'Y' : 'Z';
        } else {
          rc = "94";
        }
      } else {
        decide(request, rc, approval, reason, balance);
        stored_.emplace(key, Stored{content, rc, approval, reason, balance});
      }
    }
    v.set(39, rc);
    if (!approval.empty()) v.set(38, approval);
    if (!reason.empty()) v.set(44, reason);
    if (!balance.empty()) v.set(54, balance);
    const codec::PackResult packed =
        codec::pack(codec::Dialect::iso87_ascii(), v, out, {.framing = codec::Framing::len2, .secondary_bitmap = {}});
    AS_ASSERT(packed.error.ok());
    return packed.size;
  }

 private:
  // SPEC 3 for the demo data set: card i is 4000 + i (11 digits) + Luhn.
  void decide(const codec::MessageView& request, std::string& rc, std::string& approval, std::string& reason,
              std::string& balance) {
    const std::string_view pan = request.wire(2);
    std::uint64_t card = 0;
    const bool demo = pan.size() == 16 && pan.substr(0, 4) == "4000";
    for (std::size_t i = 4; demo && i < 15; ++i) card = card * 10 + static_cast<std::uint64_t>(pan[i] - '0');
    if (!demo || card >= behaviour_.demo_cards) {
      rc = "14";
    } else if (card % 1000 >= 997) {
      rc = card % 1000 == 997 ? "62" : card % 1000 == 998 ? "41" : "43";
    } else if (request.wire(3).substr(0, 2) == "30") {
      // Even users are prepaid.
      if ((card / 2) % 2 == 0) balance = behaviour_.bad_balance_block ? "0002840C000000500000" : "0002392C000000500000";
    } else if (std::stoll(std::string(request.wire(4))) > 100'000) {
      rc = "61";
      reason = "USER:TRANSACTION";
    } else {
      char code[8];
      std::snprintf(code, sizeof code, "%06llu", static_cast<unsigned long long>(++approvals_ % 1'000'000));
      approval = code;
    }
  }

  FakeSwitchBehaviour behaviour_;
  std::unordered_map<std::string, Stored> stored_;
  std::uint64_t approvals_ = 0;
};

}  // namespace

FakeSwitch::FakeSwitch(FakeSwitchBehaviour behaviour) : behaviour_(behaviour) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  AS_ASSERT(listener_ >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  AS_ASSERT(::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
  AS_ASSERT(::listen(listener_, 64) == 0);
  socklen_t size = sizeof(address);
  AS_ASSERT(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  port_ = ntohs(address.sin_port);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  AS_ASSERT(stop_fd_ >= 0);
  thread_ = std::thread([this] { run(); });
}

FakeSwitch::~FakeSwitch() {
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof(one));
  thread_.join();
  ::close(listener_);
  ::close(stop_fd_);
}

namespace {

// The STAN of our n-th echo (1-based): 900000 + n, away from loadgen's.
std::string echo_stan(std::uint64_t n) { return std::to_string(900'000 + n % 100'000); }
std::uint64_t echo_number(std::string_view stan) {
  std::uint64_t v = 0;
  for (const char ch : stan) {
    if (ch < '0' || ch > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return v > 900'000 ? v - 900'000 : 0;
}

// A connect link's first connection: retried until the peer listens.
int dial(std::uint16_t port, int stop_fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) return fd;
    ::close(fd);
    pollfd p{stop_fd, POLLIN, 0};
    if (::poll(&p, 1, 5) > 0) break;  // stopping; else a 5 ms pause between dials, as a connect link backs off
  }
  return -1;
}

}  // namespace

void FakeSwitch::run() {
  Decider decider(behaviour_);
  std::vector<Connection> connections;
  if (behaviour_.dial_port != 0) {
    const int fd = dial(behaviour_.dial_port, stop_fd_);
    if (fd >= 0) connections.emplace_back().fd = fd;
  }
  std::vector<pollfd> polls;
  auto out = std::make_unique<std::byte[]>(70'000);
  for (;;) {
    polls.clear();
    polls.push_back({stop_fd_, POLLIN, 0});
    polls.push_back({listener_, POLLIN, 0});
    for (const Connection& c : connections) polls.push_back({c.fd, POLLIN, 0});
    if (::poll(polls.data(), polls.size(), -1) < 0 && errno != EINTR) break;
    if (polls[0].revents != 0) break;
    if (polls[1].revents != 0) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        const int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        connections.emplace_back().fd = fd;
      }
    }
    for (std::size_t i = 0; i + 2 < polls.size(); ++i) {
      if (polls[i + 2].revents == 0) continue;
      Connection& c = connections[i];
      const ssize_t n = ::recv(c.fd, c.in.get() + c.in_len, buffer_bytes - c.in_len, MSG_DONTWAIT);
      if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          ::close(c.fd);
          c.fd = -1;
        }
        continue;
      }
      c.in_len += static_cast<std::size_t>(n);
      std::size_t offset = 0;
      while (c.in_len - offset >= 2) {
        const auto* header = reinterpret_cast<const unsigned char*>(c.in.get() + offset);
        const std::size_t length = (std::size_t{header[0]} << 8) | header[1];
        if (c.in_len - offset < 2 + length) break;
        const std::string_view message(c.in.get() + offset + 2, length);
        if (message.substr(0, 4) == "0810") {  // the answer to one of our echoes
          codec::MessageView answer;
          const bool ok = codec::unpack(codec::Dialect::iso87_ascii(), message, answer).ok() && answer.has(11) &&
                          echo_number(answer.wire(11)) >= 1 &&
                          echo_number(answer.wire(11)) <= echoes_sent_.load() &&
                          answer.has(7) && answer.wire(7) == "1123140000" && answer.has(70) &&
                          answer.wire(70) == "301" && answer.has(39) && answer.wire(39) == "00";
          ++(ok ? echoes_answered_ : bad_echo_answers_);
          offset += 2 + length;
          continue;
        }
        const std::uint64_t number = ++requests_read_;
        if (behaviour_.stall_after != 0 && number == behaviour_.stall_after) {
          std::this_thread::sleep_for(behaviour_.stall);  // the stall under test, not a wait for a condition
        }
        codec::MessageView request;
        const std::string_view body(c.in.get() + offset + 2, length);
        if (!behaviour_.silent && codec::unpack(codec::Dialect::iso87_ascii(), body, request).ok()) {
          const std::size_t size = decider.answer(request, std::span(out.get(), 70'000));
          send_all(c.fd, out.get(), size);
        }
        if (behaviour_.echo_every != 0 && number % behaviour_.echo_every == 0) {
          codec::FieldValues v;
          v.clear_all();
          v.set_mti("0800");
          v.set(7, "1123140000");
          const std::string stan = echo_stan(++echoes_sent_);
          v.set(11, stan);
          v.set(70, "301");
          const codec::PackResult packed =
              codec::pack(codec::Dialect::iso87_ascii(), v, std::span(out.get(), 70'000),
                          {.framing = codec::Framing::len2, .secondary_bitmap = {}});
          if (packed.error.ok()) send_all(c.fd, out.get(), packed.size);
        }
        offset += 2 + length;
      }
      std::memmove(c.in.get(), c.in.get() + offset, c.in_len - offset);
      c.in_len -= offset;
    }
    std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });
  }
  for (const Connection& c : connections) ::close(c.fd);
}

}  // namespace authswitch::test
