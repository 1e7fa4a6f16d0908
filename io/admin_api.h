// The operators' HTTP API (SPEC 6) on cpp-httplib: health, readiness,
// metrics, reading users and companies, setting limits, adding cards,
// changing a card's status, top-ups.
//
// Threads:
//   - start() and stop() from one controlling thread (the runtime's).
//   - Requests run on a fixed pool of `threads` HTTP workers (cpp-httplib's
//     ThreadPool). Work on a user's or company's totals (limits, top-ups) is
//     handed to the owning shard's thread through `run_on_shard`, which
//     returns once it has run (core.h: single writer per shard).
//   - The core's id lookups and add_card belong to one control thread; the
//     API serialises them (and every `control_sink` call) under one mutex,
//     so `control_sink` is never called concurrently, though not always from
//     the same pool thread.
//
// Security: every write needs `Authorization: Bearer TOKEN`; the check runs
// before the body is read (a pre-routing handler, and the Expect:
// 100-continue handler), compares in constant time, and an empty configured
// token refuses every write. No answer carries a full PAN (masked 6/4).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/core.h"
#include "core/events.h"
#include "core/time_ms.h"

namespace authswitch::io {

// Where an operation's log records stand (WriteLog::mark).
struct LogMark {
  std::uint32_t producer = 0;
  std::uint64_t ticket = 0;  // the sink's last record; 0: nothing to wait for
  bool failed = false;       // an append failed: the operation is not in the log
};

// The write-ahead log as the API's writes see it (SPEC 6, 7): a write is
// answered only once its record is released by the log (durable in `sync`,
// written in `async`), and is refused before it touches the core when the
// log's queue has no room for its records. The runtime's is
// io/admin_write_log.h; null in AdminApiOptions: no log (tests of the API alone).
class WriteLog {
 public:
  virtual ~WriteLog() = default;
  // On the thread that owns `sink`, before the operation: true when
  // `records` more can be appended on it (nothing else appends from that
  // thread meanwhile, so the room stays). Clears the sink's last fault.
  [[nodiscard]] virtual bool reserve(core::EventSink& sink, std::size_t records) = 0;
  // The same thread, after the operation.
  [[nodiscard]] virtual LogMark mark(const core::EventSink& sink) = 0;
  // Any thread: true once the log has released the mark; false when the
  // log failed or `deadline` passed first.
  [[nodiscard]] virtual bool wait_released(const LogMark& mark, std::chrono::milliseconds deadline) = 0;
};

// Runs on the shard's own thread with that thread's event sink (its log
// producer); whatever it needs to answer it captures by reference.
using ShardFn = std::function<void(core::EventSink& sink)>;
// Runs `fn` on the thread owning `shard` and returns once it has run. The
// runtime adapts SwitchRuntime::run_on_shard; tests run fn inline.
using RunOnShard = std::function<void(core::ShardId shard, const ShardFn& fn)>;

struct AdminApiOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port (tests); see AdminApi::port()
  std::string token;          // admin.token or AUTHSWITCH_ADMIN_TOKEN; empty refuses every write
  core::Core* core = nullptr;
  RunOnShard run_on_shard;
  core::EventSink* control_sink = nullptr;     // add_card and set_card_status events
  // Null: writes are answered when the core has applied them (no log).
  WriteLog* write_log = nullptr;
  // How long a write waits for its record to be released before 503.
  std::chrono::milliseconds write_timeout{5000};
  std::function<std::string()> metrics_text;   // Prometheus text exposition
  std::function<bool()> ready;                 // /readyz: 503 while false; null: always ready
  // "Now" for presenting current and next periods; null: the system clock.
  // Periods are shown in the core's zone (core->config().zone).
  std::function<core::TimeMs()> now;
  // HTTP workers. cpp-httplib gives each open connection a worker of its
  // own, an idle keep-alive one included: with two, two scrapers keeping
  // their connections open held every other client off until one expired
  // (5 s then). Four let two scrapers and an operator's browser stay
  // connected and another client still be served; idle workers sleep, and
  // a request takes microseconds of CPU (the 2-core target machine).
  std::size_t threads = 4;
  // How long an idle keep-alive connection keeps its worker: a scraper's
  // next request comes seconds later and is cheaper on a new connection
  // than a worker held until then.
  std::chrono::seconds keep_alive{1};
};

class AdminApi {
 public:
  explicit AdminApi(AdminApiOptions options);
  ~AdminApi();  // stops if running
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Binds host:port and starts serving on a thread of its own. Empty on
  // success, else why not (nothing left running then).
  [[nodiscard]] std::string start();
  // The bound port (the ephemeral one when options.port was 0).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // Stops accepting, lets requests in progress finish, joins every thread.
  void stop();

 private:
  struct Server;
  AdminApiOptions options_;
  std::unique_ptr<Server> server_;
  std::thread listener_;
  std::uint16_t port_ = 0;
};

}  // namespace authswitch::io
