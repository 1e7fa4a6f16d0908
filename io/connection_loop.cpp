#include "io/connection_loop.h"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/assert.h"
#include "io/auth_worker.h"
#include "io/wall_clock.h"

namespace authswitch::io {
namespace {

std::uint64_t data_of(std::uint8_t op) noexcept { return op; }

// A receive takes at most this much, so that the answers to one receive's
// requests always fit the free output space checked before arming it: a
// response is at most ~5x its request (a 14-byte request with every echoed
// field absent still gets 39; real ones are about the same size).
constexpr std::size_t recv_bytes_max = 64 * 1024;
constexpr std::size_t out_room_for_recv = 6 * recv_bytes_max;
static_assert(constants::switch_send_buffer_bytes >= 2 * out_room_for_recv);

}  // namespace

ConnectionLoop::ConnectionLoop(const LoopShared& shared, const LinkShared& link, ConnectionSlot& slot,
                               std::size_t slot_index, int fd, std::uint16_t peer_port)
    : shared_(shared),
      link_(link),
      slot_(slot),
      slot_index_(slot_index),
      fd_(fd),
      peer_port_(peer_port),
      deframer_(link.framing,
                std::span<std::byte>(slot.buffers.in.get(),
                                     shared.max_message_bytes + 4 + constants::switch_receive_extra_bytes),
                shared.max_message_bytes),
      out_capacity_(constants::switch_send_buffer_bytes),
      pending_(slot.buffers.out[0].get()),
      sending_(slot.buffers.out[1].get()),
      inflight_(slot.buffers.inflight.get()),
      free_(slot.buffers.free_list.get()) {
  AS_ASSERT(shared.max_message_bytes + 4 + constants::switch_receive_extra_bytes <= ConnectionBuffers::in_bytes);
  AS_ASSERT(shared.workers.size() <= rang_.size());
  // A connection never holds more than its link's max_inflight (LinkState),
  // so a table of that many never runs out. The bounds are the runtime's,
  // checked at start(): the slot's table and its rings hold the largest.
  const std::uint32_t table = link.config->max_inflight;
  AS_ASSERT(table >= 1 && table <= ConnectionBuffers::inflight_entries);
  AS_ASSERT(table <= slot.from_auth.front()->capacity());
  for (std::uint32_t i = table; i-- > 0;) free_[free_count_++] = i;
}

ConnectionLoop::~ConnectionLoop() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (fd_ >= 0) ::close(fd_);
}

void ConnectionLoop::log(const std::string& line) const {
  if (shared_.log != nullptr) shared_.log(shared_.log_context, line);
}

io_uring_sqe* ConnectionLoop::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    (void)io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  AS_ASSERT(sqe != nullptr);
  return sqe;
}

void ConnectionLoop::arm_recv() {
  std::span<std::byte> w = deframer_.writable();
  AS_ASSERT(!w.empty());
  const std::size_t n = w.size() < recv_bytes_max ? w.size() : recv_bytes_max;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, fd_, w.data(), n, 0);
  io_uring_sqe_set_data64(sqe, data_of(static_cast<std::uint8_t>(Op::recv)));
  recv_armed_ = true;
}

void ConnectionLoop::arm_wake() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_read(sqe, slot_.waker.fd(), &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data64(sqe, data_of(static_cast<std::uint8_t>(Op::wake)));
}

void ConnectionLoop::arm_released() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_multishot(sqe, shared_.released_fd, POLLIN);
  io_uring_sqe_set_data64(sqe, data_of(static_cast<std::uint8_t>(Op::released)));
}

void ConnectionLoop::maybe_arm_recv() {
  if (recv_armed_ || closing_ || out_free() < out_room_for_recv) return;
  arm_recv();
}

// The loop's own records are not reserved ahead as decisions are: a burst
// of answers (thousands released at once, as when a SIGTERM drains the
// in-flight table) fills this producer's queue faster than the writer takes
// it, and a record refused then was lost from the log. So a full queue is
// waited on for as long as the writer keeps taking records; only a writer
// that takes none for switch_own_record_wait_ns (a stalled disk) is given up
// on, once, with a log line, until an append goes through again.
template <typename Record>
void ConnectionLoop::log_own(SwitchRecord type, const Record& record) {
  ledger::WalWriter& wal = *shared_.wal;
  ledger::AppendResult r = append_record(wal, slot_.producer, type, record);
  if (r.ok()) {
    log_stalled_ = false;
    return;
  }
  if (r.fault == ledger::Fault::queue_full && !log_stalled_) {
    std::uint64_t taken = wal.written_count(slot_.producer);
    std::uint64_t give_up = monotonic_ns() + constants::switch_own_record_wait_ns;
    while (r.fault == ledger::Fault::queue_full) {
      ::sched_yield();
      r = append_record(wal, slot_.producer, type, record);
      if (r.ok()) return;
      const std::uint64_t now_taken = wal.written_count(slot_.producer);
      const std::uint64_t now = monotonic_ns();
      if (now_taken != taken) {
        taken = now_taken;
        give_up = now + constants::switch_own_record_wait_ns;
      } else if (now > give_up) {
        break;
      }
    }
    if (r.fault == ledger::Fault::queue_full) {
      log_stalled_ = true;
      log("link " + link_.config->name + ": the log took none of this connection's records for " +
          std::to_string(constants::switch_own_record_wait_ns / 1'000'000) +
          " ms; its own records (received, written) are not logged until the log moves again: check the disk");
    }
  }
}

void ConnectionLoop::record_link(SwitchRecord type) {
  const LinkRecord r{static_cast<std::uint16_t>(link_.index), static_cast<std::uint16_t>(slot_index_), peer_port_, 0};
  log_own(type, r);
}

void ConnectionLoop::record_dropped(std::string_view mti, std::uint8_t reason) {
  DroppedRecord r;
  r.link = static_cast<std::uint16_t>(link_.index);
  r.connection = static_cast<std::uint16_t>(slot_index_);
  for (std::size_t i = 0; i < 4 && i < mti.size(); ++i) r.mti[i] = mti[i];
  r.reason = reason;
  log_own(SwitchRecord::dropped, r);
  link_.metrics->dropped.inc();
}

void ConnectionLoop::begin_close() {
  if (closing_) return;
  closing_ = true;
  if (recv_armed_ && !cancel_sent_) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, data_of(static_cast<std::uint8_t>(Op::recv)), 0);
    io_uring_sqe_set_data64(sqe, data_of(static_cast<std::uint8_t>(Op::cancel)));
    cancel_sent_ = true;
  }
}

void ConnectionLoop::on_recv(int result) {
  recv_armed_ = false;
  if (result <= 0) {  // 0: the peer closed; <0: cancelled (stopping) or an error
    begin_close();
    return;
  }
  deframer_.commit(static_cast<std::size_t>(result));
  const std::uint64_t now_ns = monotonic_ns();
  const core::TimeMs now_ms = realtime_ms();
  last_activity_ns_ = now_ns;
  for (;;) {
    const codec::Deframer::Next next = deframer_.next();
    if (next.status == codec::Deframer::Status::need_more) break;
    if (next.status == codec::Deframer::Status::out_of_step) {
      // SPEC 9: the stream cannot be resynchronised; this connection only.
      stats_.out_of_step = true;
      link_.metrics->out_of_step.inc();
      record_link(SwitchRecord::out_of_step);
      log("link " + link_.config->name + ": connection " + std::to_string(slot_index_) +
          ": frame out of step at byte " + std::to_string(next.error.offset) + ", closing");
      begin_close();
      break;
    }
    handle_message(next.body, now_ns, now_ms);
  }
}

void ConnectionLoop::handle_message(std::span<const std::byte> body, std::uint64_t now_mono_ns,
                                    core::TimeMs now_ms) {
  codec::MessageView view;
  const codec::CodecError error = codec::unpack(*link_.dialect, body, view);
  if (!error.ok()) {
    // SPEC 9: 30 when MTI and STAN are readable, else recorded and dropped.
    const bool mti_readable = error.field >= 1 || error.code == codec::ErrorCode::trailing_bytes;
    const MessageKind kind = mti_readable ? message_kind(view.mti()) : MessageKind::other;
    if ((kind == MessageKind::request || kind == MessageKind::network_management) &&
        field_readable_after_error(view, error, 11)) {
      EchoCapture echo;
      capture_echo(*link_.dialect, view, echo, &error);
      ++stats_.received;
      reply_now(echo, core::ResponseCode::format_error, now_mono_ns);
    } else {
      record_dropped(mti_readable ? view.mti() : std::string_view{}, 2);
    }
    return;
  }
  switch (message_kind(view.mti())) {
    case MessageKind::request:
      handle_request(view, now_mono_ns, now_ms);
      return;
    case MessageKind::network_management:
      ++stats_.received;
      reply_network(view);
      return;
    case MessageKind::response:
      handle_response(view);
      return;
    case MessageKind::other:
      record_dropped(view.mti(), 3);
      return;
  }
}

void ConnectionLoop::handle_request(const codec::MessageView& view, std::uint64_t now_mono_ns, core::TimeMs now_ms) {
  ++stats_.received;
  const std::string_view mti = view.mti();
  const auto mti_number = static_cast<unsigned>(parse_digits(mti).value_or(0));
  if (core::mti_class_of(mti_number) == core::MtiClass::other) {
    EchoCapture echo;
    capture_echo(*link_.dialect, view, echo);
    reply_now(echo, core::ResponseCode::invalid_transaction, now_mono_ns);  // SPEC 2: an MTI not served gets 12
    return;
  }
  AuthJob job;
  const bool readable = read_request(*link_.dialect, view, now_ms, job.request) == ReadStatus::ok;
  // A field the core reads holds unreadable text: 30. The link's
  // max_inflight in flight already, on this connection or its others
  // (SPEC 9): 91 at once rather than queue without bound.
  if (!readable || !link_.state->try_reserve_inflight(link_.config->max_inflight)) {
    EchoCapture echo;
    capture_echo(*link_.dialect, view, echo);
    if (readable) link_.metrics->shed_inflight.inc();
    reply_now(echo, readable ? core::ResponseCode::system_unavailable : core::ResponseCode::format_error,
              now_mono_ns);
    return;
  }
  AS_ASSERT(free_count_ != 0);  // this connection holds at most the link's reservations
  if (shared_.clock == ClockSource::message && job.request.has(core::AuthRequest::f7)) {
    if (const auto t = field7_time_ms(job.request.field7, now_ms)) job.request.txn_time_ms = *t;
  }
  const std::uint32_t index = free_[--free_count_];
  InflightEntry& entry = inflight_[index];
  capture_echo(*link_.dialect, view, entry.echo);
  entry.received_ns = now_mono_ns;
  entry.stan = job.request.stan;
  job.inflight = index;

  record_received(entry.echo, index);

  const core::ShardId shard = shared_.core->route(job.request);
  AS_ASSERT(shard < shared_.workers.size());
  const bool pushed = slot_.to_auth[shard]->try_push(job);
  AS_ASSERT(pushed);  // the ring holds the whole in-flight table
  rang_[shard] = 1;
  ++inflight_count_;
}

void ConnectionLoop::handle_response(const codec::MessageView& view) {
  // Our own 0800's answer, matched by 11 and 7 (SPEC 2), read as text: in a
  // BCD or EBCDIC dialect the wire bytes are not the digits. A field longer
  // than ours cannot match.
  std::array<char, 6> f11{};
  std::array<char, 10> f7{};
  std::array<char, 2> f39{};
  const std::optional<std::string_view> stan = codec::field_text_within(*link_.dialect, view, 11, f11);
  const std::optional<std::string_view> sent_at = codec::field_text_within(*link_.dialect, view, 7, f7);
  if (view.mti() == "0810" && outstanding_.active && stan && sent_at && parse_digits(*stan) == outstanding_.stan &&
      *sent_at == std::string_view(outstanding_.field7.data(), outstanding_.field7.size())) {
    outstanding_.active = false;
    if (outstanding_.code != 1) return;
    const std::string_view rc = codec::field_text_within(*link_.dialect, view, 39, f39).value_or("");
    if (rc == "00") {
      stats_.signed_on = true;
      record_link(SwitchRecord::signed_on);
      link_.set_up(true);
      log("link " + link_.config->name + ": signed on");
      return;
    }
    // Refused: the link stays down; a new connection signs on again after
    // the backoff, which does not reset without a sign-on.
    log("link " + link_.config->name + ": sign-on refused with 39=" + (rc.empty() ? "(none)" : std::string(rc)) +
        ", closing; the link reconnects and signs on again");
    begin_close();
    return;
  }
  record_dropped(view.mti(), 1);  // a stray response: recorded and dropped
}

bool ConnectionLoop::pack_out(const codec::FieldValues& values, std::string_view rc, std::uint32_t inflight,
                              std::uint32_t stan, std::string_view approval) {
  const codec::PackResult packed =
      codec::pack(*link_.dialect, values, std::span<std::byte>(pending_ + pending_len_, out_free()),
                  codec::PackOptions{.framing = link_.framing, .secondary_bitmap = {}});
  if (!packed.error.ok()) {
    log("link " + link_.config->name + ": cannot pack a response: " +
        std::string(codec::describe(packed.error.code)) + " (field " + std::to_string(packed.error.field) + ")");
    return false;
  }
  pending_len_ += packed.size;
  ++stats_.answered;
  WrittenRecord w;
  w.link = static_cast<std::uint16_t>(link_.index);
  w.connection = static_cast<std::uint16_t>(slot_index_);
  w.inflight = inflight;
  const std::string_view mti = values.mti();
  for (std::size_t i = 0; i < 4; ++i) w.mti[i] = mti[i];
  w.stan = stan;
  w.rc = {rc[0], rc[1]};
  for (std::size_t i = 0; i < approval.size() && i < w.approval.size(); ++i) w.approval[i] = approval[i];
  log_own(SwitchRecord::response_written, w);
  return true;
}

void ConnectionLoop::record_received(const EchoCapture& echo, std::uint32_t inflight) {
  log_own(SwitchRecord::received, received_record(echo, static_cast<std::uint16_t>(link_.index),
                                                  static_cast<std::uint16_t>(slot_index_), inflight));
}

// A request answered here gets its received record too: a 91 shed or a 30
// must be findable in the log by its STAN and RRN like any other answer.
void ConnectionLoop::reply_now(const EchoCapture& echo, core::ResponseCode rc, std::uint64_t received_ns) {
  record_received(echo, answered_by_loop);
  build_reply(echo, core::response_code_text(rc), text_, values_);
  const std::size_t mti_index = response_mti_index(values_.mti());
  const auto stan = static_cast<std::uint32_t>(parse_digits(echoed_text(echo, 11).value_or("")).value_or(0));
  if (pack_out(values_, core::response_code_text(rc), answered_by_loop, stan, {})) {
    link_.metrics->messages[mti_index][static_cast<std::size_t>(rc)].inc();
    // Answers the loop gives itself (30, 12, 91) count too: a burst of 91s
    // must show in the latency an operator watches, not only in counters.
    link_.metrics->end_to_end->recorder(slot_index_).record(monotonic_ns() - received_ns);
  }
}

void ConnectionLoop::reply_network(const codec::MessageView& view) {
  // 0800: sign-on 001, sign-off 002, echo 301; answered 00, echoing 70.
  EchoCapture echo;
  capture_echo(*link_.dialect, view, echo);
  record_received(echo, answered_by_loop);
  build_reply(*link_.dialect, view, "00", text_, values_);
  std::array<char, 8> code{};
  std::array<char, 6> f11{};
  // A 70 longer than any network code is not echoed (a dialect may allow it
  // more room; it must not decode past `code`).
  if (const std::optional<std::string_view> c = codec::field_text_within(*link_.dialect, view, 70, code)) {
    values_.set(70, *c);
  }
  const std::string_view stan = codec::field_text_within(*link_.dialect, view, 11, f11).value_or("");
  if (pack_out(values_, "00", answered_by_loop, static_cast<std::uint32_t>(parse_digits(stan).value_or(0)), {})) {
    link_.metrics->messages[response_mti_index("0810")][0].inc();
  }
}

void ConnectionLoop::send_network(std::uint16_t code) {
  // Our own 0800 carries 7 (UTC now), 11 (a fresh STAN) and 70.
  std::array<char, 10> f7{};
  std::array<char, 6> f11{};
  std::array<char, 3> f70{};
  const std::time_t t = static_cast<std::time_t>(realtime_ms() / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const unsigned v[5] = {static_cast<unsigned>(tm.tm_mon + 1), static_cast<unsigned>(tm.tm_mday),
                         static_cast<unsigned>(tm.tm_hour), static_cast<unsigned>(tm.tm_min),
                         static_cast<unsigned>(tm.tm_sec)};
  for (std::size_t i = 0; i < 5; ++i) {
    f7[2 * i] = static_cast<char>('0' + v[i] / 10);
    f7[2 * i + 1] = static_cast<char>('0' + v[i] % 10);
  }
  const std::uint32_t stan = next_stan_;
  next_stan_ = next_stan_ % 999'999 + 1;
  std::uint32_t s = stan;
  for (std::size_t i = 6; i-- > 0;) {
    f11[i] = static_cast<char>('0' + s % 10);
    s /= 10;
  }
  unsigned c = code;
  for (std::size_t i = 3; i-- > 0;) {
    f70[i] = static_cast<char>('0' + c % 10);
    c /= 10;
  }
  codec::FieldValues values;
  values.clear_all();
  values.set_mti("0800");
  values.set(7, {f7.data(), f7.size()});
  values.set(11, {f11.data(), f11.size()});
  values.set(70, {f70.data(), f70.size()});
  const codec::PackResult packed =
      codec::pack(*link_.dialect, values, std::span<std::byte>(pending_ + pending_len_, out_free()),
                  codec::PackOptions{.framing = link_.framing, .secondary_bitmap = {}});
  if (!packed.error.ok()) return;
  pending_len_ += packed.size;
  const std::uint64_t now = monotonic_ns();
  outstanding_ = Outstanding{true, stan, f7, code, now, now + network_answer_wait_ns()};
}

std::uint64_t ConnectionLoop::network_answer_wait_ns() const noexcept {
  const std::uint32_t echo_s = link_.config->echo_interval_s;
  return echo_s != 0 ? std::uint64_t{echo_s} * 1'000'000'000u : constants::switch_network_answer_wait_ms * 1'000'000u;
}

void ConnectionLoop::on_network_timeout() {
  outstanding_.active = false;
  const std::string what = outstanding_.code == 1 ? "sign-on 0800/001" : "echo 0800/301";
  const std::string wait_s = std::to_string(network_answer_wait_ns() / 1'000'000'000u);
  // An echo asks whether the peer is alive; a peer that sent anything since
  // has answered that, even if it does not answer echoes.
  if (outstanding_.code != 1 && last_activity_ns_ > outstanding_.sent_ns) return;
  stats_.network_timeout = true;
  log("link " + link_.config->name + ": connection " + std::to_string(slot_index_) + ": no answer to our " + what +
      " (STAN " + std::to_string(outstanding_.stan) + ") within " + wait_s + " s, closing" +
      (link_.config->mode == LinkMode::connect ? "; the link reconnects" : "; the peer must connect again"));
  begin_close();
}

bool ConnectionLoop::results_waiting() noexcept {
  for (std::size_t w = 0; w < shared_.workers.size(); ++w) {
    if (slot_.from_auth[w]->front() != nullptr) return true;
  }
  return false;
}

void ConnectionLoop::release_answers() {
  unreleased_ = false;
  const bool wal_failed = shared_.wal->failed();
  for (std::size_t w = 0; w < shared_.workers.size(); ++w) {
    SpscRing<AuthResult>& ring = *slot_.from_auth[w];
    const std::uint64_t released = shared_.wal->released_count(shared_.worker_producers[w]);
    while (AuthResult* r = ring.front()) {
      // Tickets of one worker rise, so the first unreleased one ends the batch.
      if (r->ticket > released && !wal_failed) {
        unreleased_ = true;
        break;
      }
      if (out_free() < constants::switch_response_bytes_max) break;  // after the next send
      core::AuthResponse response = r->response;
      if (r->ticket > released) {  // the log failed before this decision was kept
        response = core::AuthResponse{};
        response.rc = core::ResponseCode::system_error;
      }
      InflightEntry& entry = inflight_[r->inflight];
      build_response(entry.echo, response, text_, values_);
      const std::string_view rc = core::response_code_text(response.rc);
      if (pack_out(values_, rc, r->inflight, entry.stan, response.approval())) {
        link_.metrics->messages[response_mti_index(values_.mti())][static_cast<std::size_t>(response.rc)].inc();
        link_.metrics->end_to_end->recorder(slot_index_).record(monotonic_ns() - entry.received_ns);
      }
      // The one place a request stops being in flight, whatever became of its
      // answer (packed; dropped at the next send when the peer is gone; a
      // pack error, logged): its link's unit is given back here too.
      free_[free_count_++] = r->inflight;
      --inflight_count_;
      link_.state->release_inflight();
      ring.pop();
    }
  }
}

void ConnectionLoop::flush_send() {
  if (send_in_flight_ || pending_len_ == 0) return;
  if (send_broken_) {  // the peer is gone: what it would have read is dropped
    pending_len_ = 0;
    return;
  }
  std::swap(pending_, sending_);
  sending_len_ = pending_len_;
  sending_offset_ = 0;
  pending_len_ = 0;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, fd_, sending_, sending_len_, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, data_of(static_cast<std::uint8_t>(Op::send)));
  send_in_flight_ = true;
}

void ConnectionLoop::on_send(int result) {
  send_in_flight_ = false;
  if (result < 0) {
    send_broken_ = true;
    begin_close();
    return;
  }
  sending_offset_ += static_cast<std::size_t>(result);
  if (sending_offset_ < sending_len_) {  // a short send: the rest first
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_send(sqe, fd_, sending_ + sending_offset_, sending_len_ - sending_offset_, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, data_of(static_cast<std::uint8_t>(Op::send)));
    send_in_flight_ = true;
  }
}

bool ConnectionLoop::done() const noexcept {
  return closing_ && !recv_armed_ && inflight_count_ == 0 && pending_len_ == 0 && !send_in_flight_;
}

void ConnectionLoop::wait() {
  __kernel_timespec timeout{};
  __kernel_timespec* wait_for = nullptr;
  const std::uint32_t echo_s = link_.config->echo_interval_s;
  if (unreleased_) {
    // With the log's eventfd polled this is only a safety net.
    timeout.tv_nsec = shared_.released_fd >= 0 ? constants::switch_release_fallback_ns
                                               : constants::switch_release_poll_ns;
    wait_for = &timeout;
  } else if ((echo_s != 0 || outstanding_.active) && !closing_) {
    // While our 0800 waits for its 0810, the next thing due is its deadline.
    const std::uint64_t due = outstanding_.active ? outstanding_.deadline_ns
                                                  : last_activity_ns_ + std::uint64_t{echo_s} * 1'000'000'000u;
    const std::uint64_t now = monotonic_ns();
    const std::uint64_t left = due > now ? due - now : 0;
    timeout.tv_sec = static_cast<long long>(left / 1'000'000'000u);
    timeout.tv_nsec = static_cast<long long>(left % 1'000'000'000u);
    wait_for = &timeout;
  }
  // Announce before the last look at the rings: a worker that pushes after
  // the announcement writes the eventfd (LoopWaker).
  slot_.waker.announce_sleep();
  if (results_waiting() && !unreleased_) {
    slot_.waker.awake();
    (void)io_uring_submit(&ring_);
    return;
  }
  io_uring_cqe* cqe = nullptr;
  if (wait_for != nullptr) {
    (void)io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, wait_for, nullptr);
  } else {
    (void)io_uring_submit_and_wait(&ring_, 1);
  }
  slot_.waker.awake();
}

void ConnectionLoop::linger_and_close() {
  // close() with unread bytes in the receive queue sends a reset, and a
  // reset discards answers still in our send queue or in flight: the peer
  // would lose answers that were written. So: FIN after the last answer,
  // then discard what the peer still sends until it closes too (or the
  // bound passes), then close. Off the hot path: the connection has ended.
  if (fd_ < 0) return;
  if (!send_broken_) {
    ::shutdown(fd_, SHUT_WR);
    const std::uint64_t give_up = monotonic_ns() + constants::switch_linger_ms * 1'000'000u;
    std::array<std::byte, 16 * 1024> discard{};
    for (std::uint64_t now = monotonic_ns(); now < give_up; now = monotonic_ns()) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>((give_up - now) / 1'000'000u) + 1);
      // A signal (the shutdown's own SIGTERM) is no reason to stop lingering.
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) break;
      const ssize_t n = ::recv(fd_, discard.data(), discard.size(), MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;  // the peer closed (or reset): nothing left to protect
    }
  }
  ::close(fd_);
  fd_ = -1;
}

std::string ConnectionLoop::run() {
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(constants::switch_sq_entries, &ring_, &params);
  if (rc == -EINVAL) {  // kernels before 6.1 lack DEFER_TASKRUN
    params = io_uring_params{};
    rc = io_uring_queue_init_params(constants::switch_sq_entries, &ring_, &params);
  }
  if (rc < 0) return std::string("io_uring_queue_init_params: ") + std::strerror(-rc);
  ring_ready_ = true;

  slot_.active.store(true, std::memory_order_release);
  record_link(SwitchRecord::link_up);
  last_activity_ns_ = monotonic_ns();
  if (link_.config->mode == LinkMode::connect && link_.config->sign_on) send_network(1);
  arm_recv();
  arm_wake();
  if (shared_.released_fd >= 0) arm_released();
  bool stop_seen = false;
  while (true) {
    if (!stop_seen && shared_.stopping->load(std::memory_order_acquire)) {
      stop_seen = true;
      begin_close();  // stop reading; finish what was read
    }
    release_answers();
    for (std::size_t w = 0; w < shared_.workers.size(); ++w) {
      if (rang_[w] != 0) {
        shared_.workers[w]->doorbell().ring();
        rang_[w] = 0;
      }
    }
    if (!closing_ && link_.config->echo_interval_s != 0 && !outstanding_.active &&
        monotonic_ns() - last_activity_ns_ >= std::uint64_t{link_.config->echo_interval_s} * 1'000'000'000u) {
      last_activity_ns_ = monotonic_ns();  // before: on_network_timeout() tells traffic since by it
      send_network(301);
    }
    if (!closing_ && outstanding_.active && monotonic_ns() >= outstanding_.deadline_ns) on_network_timeout();
    flush_send();
    maybe_arm_recv();
    if (done()) break;
    wait();
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      switch (static_cast<Op>(io_uring_cqe_get_data64(cqe))) {
        case Op::recv:
          on_recv(cqe->res);
          break;
        case Op::send:
          on_send(cqe->res);
          break;
        case Op::wake:
          arm_wake();
          break;
        case Op::released:  // the log published: release_answers() re-reads
          if ((cqe->flags & IORING_CQE_F_MORE) == 0) arm_released();
          break;
        case Op::cancel:
          break;
      }
    }
    io_uring_cq_advance(&ring_, seen);
  }
  record_link(SwitchRecord::link_down);
  slot_.active.store(false, std::memory_order_release);
  linger_and_close();
  return {};
}

}  // namespace authswitch::io
