// The io_uring echo and the open-loop client over 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "io/latency_histogram.h"
#include "io/open_loop_client.h"
#include "io/uring_echo_server.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/loopback_port.h"

namespace authswitch::io {
namespace {

// The echo on its own thread for the test's lifetime.
class RunningEcho {
 public:
  RunningEcho() : server_(EchoServerOptions{"127.0.0.1", 0, 8, 4096}) {
    const std::string error = server_.open();
    EXPECT_EQ(error, "");
    thread_ = std::thread([this] { error_ = server_.run(); });
  }
  ~RunningEcho() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
    EXPECT_EQ(error_, "");
  }
  std::uint16_t port() const { return server_.port(); }
  const EchoServerStats& stats() const { return server_.stats(); }

 private:
  UringEchoServer server_;
  std::string error_;
  std::thread thread_;
};

// A blocking client socket whose reads give up after 30 s (the deadline the
// other tests use: sanitizer builds on a loaded machine are slow), so a test
// that waits for an echo fails instead of hanging.
int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  const timeval deadline{30, 0};
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof(deadline));
  return fd;
}

// A blocking call here can end with EINTR and nothing wrong: io_uring
// interrupts threads of the process with task work (no signal is
// delivered; seen right after an earlier echo's ring was closed, whose
// teardown notifies the threads that used it), and on a socket with
// SO_RCVTIMEO recv() returns EINTR instead of restarting. Seen as recv()
// == -1 before the echo had even accepted, under ASan on a loaded machine.
// So every call retries EINTR.
ssize_t recv_retrying(int fd, void* buffer, std::size_t size) {
  ssize_t n = 0;
  do {
    n = ::recv(fd, buffer, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

// All `size` bytes into `buffer` (allocating nothing); fewer only at EOF,
// an error or the socket's deadline.
std::size_t receive_into(int fd, char* buffer, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = recv_retrying(fd, buffer + got, size - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

std::size_t send_into(int fd, const char* bytes, std::size_t size) {
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd, bytes + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  return sent;
}

void send_all(int fd, const std::string& bytes) { ASSERT_EQ(send_into(fd, bytes.data(), bytes.size()), bytes.size()); }

std::string receive_exactly(int fd, std::size_t size) {
  std::string bytes(size, '\0');
  bytes.resize(receive_into(fd, bytes.data(), size));
  return bytes;
}

std::string frame(const std::string& payload) {
  return std::string{static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size() & 0xff)} + payload;
}

TEST(UringEchoServer, EchoesWholeFramesHoweverTheyArriveSplit) {
  RunningEcho echo;
  const int fd = connect_to(echo.port());
  const std::string a = frame("0800first");
  const std::string b = frame("0800second");
  const std::string c = frame(std::string(3000, 'x'));
  send_all(fd, a + b + c.substr(0, 1));  // two whole frames and one byte
  EXPECT_EQ(receive_exactly(fd, a.size() + b.size()), a + b);
  send_all(fd, c.substr(1, 1500));
  send_all(fd, c.substr(1501));
  EXPECT_EQ(receive_exactly(fd, c.size()), c);
  ::close(fd);
  echo.stop();
  EXPECT_EQ(echo.stats().frames, 3u);
  EXPECT_EQ(echo.stats().accepted, 1u);
}

TEST(UringEchoServer, ServingAllocatesNothing) {
  RunningEcho echo;
  const int fd = connect_to(echo.port());
  char request[182] = {0, 100};
  char answer[sizeof(request)];
  // The first exchange also proves the connection was accepted and armed.
  ASSERT_EQ(send_into(fd, request, 102), 102u);
  ASSERT_EQ(receive_into(fd, answer, 102), 102u);
  const std::uint64_t before = test::allocations();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(send_into(fd, request, 102), 102u);
    ASSERT_EQ(receive_into(fd, answer, 102), 102u);
  }
  EXPECT_EQ(test::allocations(), before);
  ::close(fd);
}

struct OutOfStepCase {
  const char* name;
  std::string header;
  friend std::ostream& operator<<(std::ostream& out, const OutOfStepCase& c) { return out << c.name; }
};

class EchoOutOfStep : public testing::TestWithParam<OutOfStepCase> {};

TEST_P(EchoOutOfStep, ClosesTheConnection) {
  RunningEcho echo;
  const int fd = connect_to(echo.port());
  send_all(fd, GetParam().header);
  char byte = 0;
  const ssize_t n = recv_retrying(fd, &byte, 1);
  const int error = n < 0 ? errno : 0;
  EXPECT_EQ(n, 0) << "expected the echo to close the connection: " << (n < 0 ? std::strerror(error) : "a byte came");
  ::close(fd);
  echo.stop();
  EXPECT_EQ(echo.stats().closed_out_of_step, 1u)
      << "accepted " << echo.stats().accepted << ", frames " << echo.stats().frames;
}

INSTANTIATE_TEST_SUITE_P(Cases, EchoOutOfStep,
                         testing::Values(OutOfStepCase{"zero_length", std::string("\0\0", 2)},
                                         OutOfStepCase{"above_max_frame", std::string("\x13\x89", 2)}));  // 5001

TEST(EchoRequestSource, AnswerMatchesTheRequestItEchoes) {
  EchoRequestSource source(180);
  std::byte buffer[200];
  ASSERT_EQ(source.build_frame(12345678901234ULL, buffer), 182u);
  EXPECT_EQ(std::to_integer<int>(buffer[0]), 0);
  EXPECT_EQ(std::to_integer<int>(buffer[1]), 180);
  EXPECT_EQ(std::memcmp(buffer + 2, "0100", 4), 0);
  EXPECT_EQ(source.match_answer(std::span(buffer + 2, 180)), 12345678901234ULL);
  EXPECT_EQ(source.match_answer(std::span(buffer + 2, 179)), std::nullopt);  // wrong size
  buffer[10] = std::byte{'x'};
  EXPECT_EQ(source.match_answer(std::span(buffer + 2, 180)), std::nullopt);  // not digits
}

TEST(OpenLoopClient, EveryRequestIsAnsweredByTheEcho) {
  RunningEcho echo;
  OpenLoopOptions options;
  options.port = echo.port();
  options.rate_per_s = 2000;
  options.seconds = 1.1;  // long enough for one progress report
  options.connections = 3;
  // Ends as soon as every request is answered; the drain only bounds how
  // long a loaded machine may take to deliver the last answers.
  options.drain_timeout = std::chrono::seconds(30);
  std::uint64_t progress_calls = 0;
  options.progress_context = &progress_calls;
  options.progress = [](void* calls, std::uint64_t sent, std::uint64_t) {
    ++*static_cast<std::uint64_t*>(calls);
    EXPECT_GT(sent, 0u);
  };
  EchoRequestSource source;
  LatencyRecorder recorder;
  const OpenLoopResult result = run_open_loop(options, source, recorder);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_GE(progress_calls, 1u);
  EXPECT_EQ(result.sent, 2200u);
  EXPECT_EQ(result.answered, 2200u);
  EXPECT_EQ(result.timeouts, 0u);
  EXPECT_EQ(result.unmatched, 0u);
  LatencyHistogram latency;
  latency.add(recorder);
  EXPECT_EQ(latency.total_count(), 2200u);
  echo.stop();
  EXPECT_EQ(echo.stats().frames, 2200u);
  EXPECT_EQ(echo.stats().accepted, 3u);
}

// A server that listens (connections complete in the backlog) but never
// reads; `receive_buffer` (0: the default) bounds what its kernel holds.
OpenLoopResult run_against_a_silent_server(int receive_buffer, double rate_per_s, double seconds,
                                           std::chrono::milliseconds drain) {
  const test::BoundSocket bound = test::bind_loopback();
  EXPECT_GE(bound.fd, 0);
  if (receive_buffer != 0) {
    EXPECT_EQ(::setsockopt(bound.fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer), 0);
  }
  EXPECT_EQ(::listen(bound.fd, 8), 0);
  OpenLoopOptions options;
  options.port = bound.port;
  options.rate_per_s = rate_per_s;
  options.seconds = seconds;
  options.connections = 1;
  options.drain_timeout = drain;
  EchoRequestSource source;
  LatencyRecorder recorder;
  const OpenLoopResult result = run_open_loop(options, source, recorder);
  ::close(bound.fd);
  return result;
}

TEST(OpenLoopClient, ASilentServerYieldsTimeoutsAfterTheDrain) {
  // Requests still unsent when the drain ends are never sent: 100 ms let a
  // stall of the client's thread on a loaded machine lose the last ones.
  const OpenLoopResult result = run_against_a_silent_server(0, 1000, 0.1, std::chrono::milliseconds(1000));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.sent, 100u);
  EXPECT_EQ(result.unsent, 0u);
  EXPECT_EQ(result.answered, 0u);
  EXPECT_EQ(result.timeouts, 100u);
}

// Once the kernel's buffers and the client's own are full, due requests
// cannot be sent. They are counted as unsent, so sent + unsent is the whole
// run, and the summary line says so.
TEST(OpenLoopClient, RequestsAServerNeverTookAreCountedUnsent) {
  // 300,000 requests, several MB, against a 4 KiB receive buffer: about
  // 17,500 fit (the kernel's send buffer and the client's).
  const OpenLoopResult result = run_against_a_silent_server(4096, 1'000'000, 0.3, std::chrono::milliseconds(200));
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_GT(result.unsent, 0u);
  EXPECT_EQ(result.sent + result.unsent, 300'000u);
  EXPECT_EQ(result.answered, 0u);
  EXPECT_EQ(result.timeouts, result.sent);
  LatencyHistogram latency;
  const std::string json = summary_json(result, latency);
  EXPECT_NE(json.find("\"unsent\":" + std::to_string(result.unsent)), std::string::npos) << json;
}

TEST(OpenLoopClient, AnswersOutlivedByTheirSlotMatchNothing) {
  // A table of 4 slots at 20,000/s laps every 200 us, faster than the echo
  // answers: lapped requests count as timeouts, their late answers as
  // unmatched, and nothing is attributed to the wrong request.
  RunningEcho echo;
  OpenLoopOptions options;
  options.port = echo.port();
  options.rate_per_s = 20'000;
  options.seconds = 0.1;
  options.connections = 1;
  options.inflight_slots = 4;
  // Lapped requests keep the client waiting the whole drain, and an echo
  // still on its way when it ends is counted nowhere: long enough for a
  // loaded machine to deliver all 2000.
  options.drain_timeout = std::chrono::milliseconds(2000);
  EchoRequestSource source;
  LatencyRecorder recorder;
  const OpenLoopResult result = run_open_loop(options, source, recorder);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.sent, 2000u);
  EXPECT_EQ(result.answered + result.timeouts, result.sent);
  EXPECT_EQ(result.answered + result.unmatched, 2000u);  // the echo answers every one
  LatencyHistogram latency;
  latency.add(recorder);
  EXPECT_EQ(latency.total_count(), result.answered);
  // An answer credited to a later request sharing its slot would have been
  // "received" before that request was due: a negative latency, recorded as
  // the histogram's 137 s ceiling.
  EXPECT_LT(latency.max_ns(), 10'000'000'000u);
}

TEST(OpenLoopClient, RefusedConnectionIsAnError) {
  const test::BoundSocket probe = test::bind_loopback();
  ASSERT_GE(probe.fd, 0);
  ::close(probe.fd);  // the port is now free: nothing listens there
  OpenLoopOptions options;
  options.port = probe.port;
  EchoRequestSource source;
  LatencyRecorder recorder;
  const OpenLoopResult result = run_open_loop(options, source, recorder);
  EXPECT_EQ(result.error, "connect: Connection refused");
  EXPECT_EQ(result.sent, 0u);
}

TEST(OpenLoopClient, SummaryLineHasSpec11sFields) {
  OpenLoopResult result;
  result.sent = 10;
  result.answered = 9;
  result.timeouts = 1;
  result.unsent = 2;
  result.elapsed_s = 0.5;
  LatencyHistogram latency;
  latency.record(35'000, 9);  // its bucket's top is 35,071 ns
  EXPECT_EQ(summary_json(result, latency),
            "{\"sent\":10,\"answered\":9,\"timeouts\":1,\"unmatched\":0,\"p50_us\":35.1,\"p99_us\":35.1,"
            "\"p999_us\":35.1,\"max_us\":35.1,\"per_s\":18,\"unsent\":2}");
}

}  // namespace
}  // namespace authswitch::io
