// Open-loop load over TCP (SPEC 11, 14): requests leave at a fixed rate
// whatever the server does, and each answer's latency counts from the time
// its request was DUE to be sent, so a stalled server cannot hide its stall
// by slowing the client down (no coordinated omission).
//
// The core of `authswitch loadgen` and of bench/io/echo_floor. What is sent
// and how an answer is matched to its request is the RequestSource's; this
// file owns pacing, connections, framing (len2) and the latency record.
//
// Single-threaded: run_open_loop() blocks its caller for `seconds` plus the
// drain. All buffers are sized before the first request; the loop allocates
// nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/constants.h"
#include "io/latency_histogram.h"

namespace authswitch::io {

class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // Writes request number `sequence`, framed, into `out`; returns its size
  // (at most out.size()).
  virtual std::size_t build_frame(std::uint64_t sequence, std::span<std::byte> out) = 0;
  // The sequence number the answer (payload, without its len2 header)
  // belongs to, or nothing when it matches no request.
  virtual std::optional<std::uint64_t> match_answer(std::span<const std::byte> payload) = 0;
  // A message the server started itself (a switch's 0800 echo), not an
  // answer: writes the framed reply into `out` and returns its size (0: no
  // room, the message is dropped). Nothing: `payload` is not such a message.
  virtual std::optional<std::size_t> reply_to_server(std::span<const std::byte> /*payload*/,
                                                     std::span<std::byte> /*out*/) {
    return std::nullopt;
  }
};

// The loopback floor's requests: a 0100-sized len2 frame (`payload_bytes`),
// "0100" then the sequence number in 20 ASCII digits, padded with '0', as
// an echo returns it unchanged.
class EchoRequestSource final : public RequestSource {
 public:
  explicit EchoRequestSource(std::size_t payload_bytes = 180);
  std::size_t build_frame(std::uint64_t sequence, std::span<std::byte> out) override;
  std::optional<std::uint64_t> match_answer(std::span<const std::byte> payload) override;

 private:
  std::size_t payload_bytes_;
};

struct OpenLoopOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint32_t rate_per_s = 50'000;
  double seconds = 10.0;
  std::uint32_t connections = 4;
  // After the last request is due: how long to wait for the last answers.
  std::chrono::milliseconds drain_timeout{2000};
  // Requests tracked at once (a power of two). The default holds > 10 s at
  // 100,000/s; a request still unanswered when its slot comes round again
  // is counted as a timeout.
  std::size_t inflight_slots = constants::open_loop_inflight_slots;
  // Called about once a second with the counts so far (may be null).
  void (*progress)(void* context, std::uint64_t sent, std::uint64_t answered) = nullptr;
  void* progress_context = nullptr;
};

struct OpenLoopResult {
  std::string error;  // empty on success (connect failure, peer closed ...)
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t unmatched = 0;  // answers that matched no outstanding request
  std::uint64_t server_requests = 0;  // the server's own messages (0800), answered
  std::uint64_t timeouts = 0;   // sent, never answered before the drain ended
  // Due but never sent: the server stopped reading (the client's buffer
  // stayed full until the drain ended) or the run broke off. Counted apart
  // so that sent + unsent is always the run's rate times its seconds.
  std::uint64_t unsent = 0;
  double elapsed_s = 0.0;       // first due time to the last answer
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// Latencies (ns, from the due time) go to `latency` (this thread writes it).
[[nodiscard]] OpenLoopResult run_open_loop(const OpenLoopOptions& options, RequestSource& source,
                                           LatencyRecorder& latency);

// The summary line of SPEC 11's shape: {"sent":..,"answered":..,"timeouts":..,
// "unmatched":..,"p50_us":..,"p99_us":..,"p999_us":..,"max_us":..,"per_s":..}
[[nodiscard]] std::string summary_json(const OpenLoopResult& result, const LatencyHistogram& latency);

}  // namespace authswitch::io
