#include "io/uring_echo_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::io {

struct UringEchoServer::Connection {
  int fd = -1;
  bool recv_armed = false;
  bool send_in_flight = false;
  bool closing = false;
  std::unique_ptr<std::byte[]> in;
  std::size_t in_len = 0;
  std::unique_ptr<std::byte[]> pending;  // frames waiting for the next send
  std::size_t pending_len = 0;
  std::unique_ptr<std::byte[]> sending;  // the buffer the kernel is sending
  std::size_t sending_len = 0;
  std::size_t sending_offset = 0;
};

namespace {

constexpr std::size_t buffer_capacity = constants::loopback_buffer_bytes;
constexpr std::uint32_t buffer_entries = constants::echo_buffer_ring_entries;
constexpr std::size_t buffer_bytes = constants::echo_buffer_bytes;
constexpr std::uint16_t buffer_group = 0;

std::uint64_t pack(std::uint8_t op, std::size_t slot) { return op | (static_cast<std::uint64_t>(slot) << 8); }

std::string errno_text(const char* what, int error) { return std::string(what) + ": " + std::strerror(error); }

}  // namespace

UringEchoServer::UringEchoServer(EchoServerOptions options) : options_(std::move(options)) {
  AS_ASSERT(options_.connections_max >= 1);
  AS_ASSERT(options_.max_frame_bytes >= 1 && options_.max_frame_bytes + 2 <= buffer_capacity);
}

UringEchoServer::~UringEchoServer() {
  for (Connection& c : connections_) {
    if (c.fd >= 0) ::close(c.fd);
  }
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (buffer_ring_ != nullptr) munmap(buffer_ring_, buffer_entries * sizeof(io_uring_buf));
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string UringEchoServer::open() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return errno_text("socket", errno);
  const int one = 1;
  (void)setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options_.port);
  if (inet_pton(AF_INET, options_.host.c_str(), &address.sin_addr) != 1) return "bad IPv4 address " + options_.host;
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return errno_text("bind", errno);
  }
  if (::listen(listen_fd_, 128) != 0) return errno_text("listen", errno);
  socklen_t length = sizeof(address);
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return errno_text("getsockname", errno);
  }
  port_ = ntohs(address.sin_port);
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return errno_text("eventfd", errno);

  io_uring_params params{};
  // Disabled until run() enables it: SINGLE_ISSUER binds the ring to the
  // task that enables it, which is the loop's thread, not the opener.
  params.flags =
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
  params.cq_entries = 4 * constants::echo_sq_entries;
  int rc = io_uring_queue_init_params(constants::echo_sq_entries, &ring_, &params);
  if (rc == -EINVAL) {  // kernels before 6.1 lack DEFER_TASKRUN
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
    params.cq_entries = 4 * constants::echo_sq_entries;
    rc = io_uring_queue_init_params(constants::echo_sq_entries, &ring_, &params);
  }
  if (rc < 0) return errno_text("io_uring_queue_init_params", -rc);
  ring_ready_ = true;

  void* ring_memory = mmap(nullptr, buffer_entries * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                           MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_memory == MAP_FAILED) return errno_text("mmap", errno);
  buffer_ring_ = static_cast<io_uring_buf_ring*>(ring_memory);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uint64_t>(ring_memory);
  registration.ring_entries = buffer_entries;
  registration.bgid = buffer_group;
  rc = io_uring_register_buf_ring(&ring_, &registration, 0);
  if (rc < 0) return errno_text("io_uring_register_buf_ring", -rc);
  io_uring_buf_ring_init(buffer_ring_);
  buffer_memory_ = std::make_unique<std::byte[]>(buffer_entries * buffer_bytes);
  for (std::uint32_t i = 0; i < buffer_entries; ++i) {
    io_uring_buf_ring_add(buffer_ring_, buffer_memory_.get() + i * buffer_bytes, buffer_bytes,
                          static_cast<unsigned short>(i), io_uring_buf_ring_mask(buffer_entries), static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffer_ring_, static_cast<int>(buffer_entries));

  connections_.resize(options_.connections_max);
  for (Connection& c : connections_) {
    c.in = std::make_unique<std::byte[]>(buffer_capacity);
    c.pending = std::make_unique<std::byte[]>(buffer_capacity);
    c.sending = std::make_unique<std::byte[]>(buffer_capacity);
  }
  return {};
}

io_uring_sqe* UringEchoServer::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {  // full: hand what we have to the kernel first
    (void)io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  AS_ASSERT(sqe != nullptr);
  return sqe;
}

void UringEchoServer::arm_accept() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, pack(static_cast<std::uint8_t>(Op::accept), 0));
}

void UringEchoServer::arm_wake() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data64(sqe, pack(static_cast<std::uint8_t>(Op::wake), 0));
}

void UringEchoServer::arm_recv(std::size_t slot) {
  Connection& c = connections_[slot];
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv_multishot(sqe, c.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffer_group;
  io_uring_sqe_set_data64(sqe, pack(static_cast<std::uint8_t>(Op::recv), slot));
  c.recv_armed = true;
}

void UringEchoServer::return_buffer(std::uint16_t buffer_id) {
  io_uring_buf_ring_add(buffer_ring_, buffer_memory_.get() + std::size_t{buffer_id} * buffer_bytes, buffer_bytes,
                        buffer_id, io_uring_buf_ring_mask(buffer_entries), 0);
  io_uring_buf_ring_advance(buffer_ring_, 1);
}

void UringEchoServer::on_accept(int result, bool more) {
  if (!more) arm_accept();
  if (result < 0) return;
  ++stats_.accepted;
  for (std::size_t slot = 0; slot < connections_.size(); ++slot) {
    Connection& c = connections_[slot];
    if (c.fd >= 0) continue;
    c.fd = result;
    c.in_len = c.pending_len = c.sending_len = c.sending_offset = 0;
    c.closing = c.send_in_flight = false;
    const int one = 1;
    (void)setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    arm_recv(slot);
    return;
  }
  ::close(result);  // table full: refuse
}

void UringEchoServer::close_connection(std::size_t slot) {
  Connection& c = connections_[slot];
  if (!c.closing) {
    c.closing = true;
    // Ends the multishot receive (it completes with 0) and any send; the
    // descriptor is closed once neither is in flight, so the slot is never
    // reused under a pending operation.
    ::shutdown(c.fd, SHUT_RDWR);
  }
  if (!c.recv_armed && !c.send_in_flight) {
    ::close(c.fd);
    c.fd = -1;
  }
}

void UringEchoServer::on_recv(std::size_t slot, int result, std::uint32_t flags) {
  Connection& c = connections_[slot];
  if ((flags & IORING_CQE_F_MORE) == 0) c.recv_armed = false;
  if (result == -ENOBUFS) {  // every provided buffer is in use: backpressure
    if (!c.recv_armed && !c.closing) arm_recv(slot);
    return;
  }
  if (result <= 0 || c.closing) {
    if ((flags & IORING_CQE_F_BUFFER) != 0) return_buffer(static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT));
    close_connection(slot);
    return;
  }
  AS_ASSERT((flags & IORING_CQE_F_BUFFER) != 0);
  const auto buffer_id = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
  const auto bytes = static_cast<std::size_t>(result);
  if (c.in_len + bytes > buffer_capacity) {  // the peer does not read its echoes
    return_buffer(buffer_id);
    close_connection(slot);
    return;
  }
  std::memcpy(c.in.get() + c.in_len, buffer_memory_.get() + std::size_t{buffer_id} * buffer_bytes, bytes);
  c.in_len += bytes;
  return_buffer(buffer_id);

  // Move every complete frame to the pending output.
  std::size_t offset = 0;
  while (c.in_len - offset >= 2) {
    const auto* header = reinterpret_cast<const unsigned char*>(c.in.get() + offset);
    const std::size_t length = (std::size_t{header[0]} << 8) | header[1];
    if (length == 0 || length > options_.max_frame_bytes) {
      ++stats_.closed_out_of_step;
      close_connection(slot);
      return;
    }
    if (c.in_len - offset < 2 + length) break;
    if (c.pending_len + 2 + length > buffer_capacity) break;  // wait for the send to drain
    std::memcpy(c.pending.get() + c.pending_len, c.in.get() + offset, 2 + length);
    c.pending_len += 2 + length;
    offset += 2 + length;
    ++stats_.frames;
  }
  if (offset != 0) {
    std::memmove(c.in.get(), c.in.get() + offset, c.in_len - offset);
    c.in_len -= offset;
  }
  if (!c.recv_armed) arm_recv(slot);
}

void UringEchoServer::submit_send(std::size_t slot) {
  Connection& c = connections_[slot];
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, c.fd, c.sending.get() + c.sending_offset, c.sending_len - c.sending_offset, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, pack(static_cast<std::uint8_t>(Op::send), slot));
  c.send_in_flight = true;
}

void UringEchoServer::on_send(std::size_t slot, int result) {
  Connection& c = connections_[slot];
  c.send_in_flight = false;
  if (result < 0 || c.closing) {
    close_connection(slot);
    return;
  }
  c.sending_offset += static_cast<std::size_t>(result);
  if (c.sending_offset < c.sending_len) submit_send(slot);  // a short send: the rest
}

void UringEchoServer::flush_sends() {
  for (std::size_t slot = 0; slot < connections_.size(); ++slot) {
    Connection& c = connections_[slot];
    if (c.fd < 0 || c.closing || c.send_in_flight || c.pending_len == 0) continue;
    std::swap(c.pending, c.sending);
    c.sending_len = c.pending_len;
    c.sending_offset = 0;
    c.pending_len = 0;
    submit_send(slot);
  }
}

std::string UringEchoServer::run() {
  AS_ASSERT(ring_ready_);
  // liburing 2.3 declares io_uring_enable_rings() but does not export it.
  if (syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) != 0) {
    return errno_text("IORING_REGISTER_ENABLE_RINGS", errno);
  }
  arm_accept();
  arm_wake();
  while (!stopping_.load(std::memory_order_acquire)) {
    flush_sends();
    const int rc = io_uring_submit_and_wait(&ring_, 1);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) return errno_text("io_uring_submit_and_wait", -rc);
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const std::uint64_t data = io_uring_cqe_get_data64(cqe);
      const auto op = static_cast<Op>(data & 0xff);
      const auto slot = static_cast<std::size_t>(data >> 8);
      switch (op) {
        case Op::accept:
          on_accept(cqe->res, (cqe->flags & IORING_CQE_F_MORE) != 0);
          break;
        case Op::recv:
          on_recv(slot, cqe->res, cqe->flags);
          break;
        case Op::send:
          on_send(slot, cqe->res);
          break;
        case Op::wake:
          break;  // stopping_ is already set
      }
    }
    io_uring_cq_advance(&ring_, seen);
    ++stats_.loop_passes;
  }
  return {};
}

void UringEchoServer::stop() noexcept {
  stopping_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

}  // namespace authswitch::io
