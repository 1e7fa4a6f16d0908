// A plain TCP echo of len2 frames on io_uring: the "loopback floor" of
// SPEC 14 (what the same client sees against a server that does nothing),
// and a small model of the switch's link loop:
//
//   - one ring, IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN, CQ 4x the SQ;
//   - multishot accept, multishot receive into a provided buffer ring
//     (re-armed only when a completion arrives without IORING_CQE_F_MORE;
//     -ENOBUFS is backpressure: re-arm and carry on);
//   - every complete frame read in a pass is appended to the connection's
//     pending output, and each connection with output gets one send per pass
//     (double-buffered: one buffer in flight, one filling);
//   - one io_uring_submit_and_wait per loop pass.
//
// A frame of length 0 or above max_frame_bytes means the stream is out of
// step (SPEC 9): that connection is closed.
//
// Threads: run() on one thread; stop() from any thread. Connection state is
// preallocated in open(); the loop allocates nothing.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace authswitch::io {

struct EchoServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see port()
  std::size_t connections_max = 16;
  std::size_t max_frame_bytes = 4096;
};

struct EchoServerStats {
  std::uint64_t frames = 0;
  std::uint64_t accepted = 0;
  std::uint64_t closed_out_of_step = 0;
  std::uint64_t loop_passes = 0;
};

class UringEchoServer {
 public:
  explicit UringEchoServer(EchoServerOptions options);
  ~UringEchoServer();
  UringEchoServer(const UringEchoServer&) = delete;
  UringEchoServer& operator=(const UringEchoServer&) = delete;

  // Binds, listens and sets up the ring. Empty on success, else the reason.
  [[nodiscard]] std::string open();
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  // Serves until stop(). Returns an empty string, or why it had to stop.
  [[nodiscard]] std::string run();
  void stop() noexcept;

  // Valid after run() returned.
  [[nodiscard]] const EchoServerStats& stats() const noexcept { return stats_; }

 private:
  struct Connection;
  enum class Op : std::uint8_t { accept = 1, recv = 2, send = 3, wake = 4 };

  void arm_accept();
  void arm_recv(std::size_t slot);
  void arm_wake();
  void on_accept(int result, bool more);
  void on_recv(std::size_t slot, int result, std::uint32_t flags);
  void on_send(std::size_t slot, int result);
  void flush_sends();
  void submit_send(std::size_t slot);
  void close_connection(std::size_t slot);
  io_uring_sqe* next_sqe();
  void return_buffer(std::uint16_t buffer_id);

  EchoServerOptions options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() writes it
  std::uint64_t wake_value_ = 0;
  std::uint16_t port_ = 0;
  bool ring_ready_ = false;
  io_uring ring_{};
  io_uring_buf_ring* buffer_ring_ = nullptr;
  std::unique_ptr<std::byte[]> buffer_memory_;
  std::vector<Connection> connections_;
  std::atomic<bool> stopping_{false};
  EchoServerStats stats_;
};

}  // namespace authswitch::io
