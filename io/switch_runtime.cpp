#include "io/switch_runtime.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "core/assert.h"
#include "core/thread_class.h"
#include "core/thread_name.h"
#include "io/cpu_affinity.h"
#include "io/tcp_connect.h"
#include "io/wall_clock.h"
#include "ledger/core_recovery.h"
#include "ledger/core_snapshot.h"

namespace authswitch::io {
namespace {

constexpr std::size_t no_slot = static_cast<std::size_t>(-1);

std::string errno_text(const std::string& what, int error) { return what + ": " + std::strerror(error); }

codec::Framing to_codec(Framing f) { return f == Framing::ascii4 ? codec::Framing::ascii4 : codec::Framing::len2; }

void set_nodelay(int fd) {
  const int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

std::uint16_t peer_port_of(const sockaddr_in& a) { return ntohs(a.sin_port); }

// The log's syncs into authswitch_wal_fsync_seconds (the writer thread is
// the recorder's one writer).
class SyncRecorder final : public ledger::WalSyncObserver {
 public:
  explicit SyncRecorder(LatencyRecorder& recorder) noexcept : recorder_(recorder) {}
  void on_sync(std::int64_t duration_ns) noexcept override {
    recorder_.record(duration_ns > 0 ? static_cast<std::uint64_t>(duration_ns) : 0);
  }

 private:
  LatencyRecorder& recorder_;
};

// Waits up to `ms` on the stop eventfd; true when stopping was signalled.
bool wait_stop(int stop_fd, int ms) {
  pollfd p{stop_fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

}  // namespace

SwitchRuntime::SwitchRuntime(SwitchOptions options) : options_(std::move(options)) {}

SwitchRuntime::~SwitchRuntime() {
  if (started_) (void)stop();
  for (const int fd : slot_eventfds_) ::close(fd);
  for (const int fd : listen_fds_) {
    if (fd >= 0) ::close(fd);
  }
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void SwitchRuntime::log_line(const std::string& line) {
  const std::lock_guard<std::mutex> lock(log_mutex_);
  if (options_.log) {
    options_.log(line);
  } else {
    std::printf("authswitch: %s\n", line.c_str());
    std::fflush(stdout);
  }
}

void SwitchRuntime::log_trampoline(void* context, const std::string& line) {
  static_cast<SwitchRuntime*>(context)->log_line(line);
}

std::string SwitchRuntime::start(std::unique_ptr<core::Accounts> accounts) {
  AS_ASSERT(!started_);
  const Config& cfg = options_.config;
  const std::size_t workers = cfg.cores.auth.empty() ? 1 : cfg.cores.auth.size();
  if (workers > constants::switch_auth_threads_max) {
    return "cores.auth names " + std::to_string(workers) + " CPUs; at most " +
           std::to_string(constants::switch_auth_threads_max) + " authorization threads";
  }
  if (cfg.links.size() > constants::switch_links_max) {
    return std::to_string(cfg.links.size()) + " links; at most " + std::to_string(constants::switch_links_max) +
           ", one per connection slot";
  }
  for (const LinkConfig& link : cfg.links) {
    // Every slot's in-flight table and rings are sized for the bound.
    if (link.max_inflight < 1 || link.max_inflight > constants::switch_link_inflight_max) {
      return "link " + link.name + ": max_inflight " + std::to_string(link.max_inflight) + "; between 1 and " +
             std::to_string(constants::switch_link_inflight_max);
    }
  }

  // Dialects, one per link.
  for (const LinkConfig& link : cfg.links) {
    auto d = std::make_unique<codec::DialectResult>();
    if (link.spec == builtin_spec) {
      d->dialect = codec::Dialect::iso87_ascii();
    } else {
      *d = codec::load_dialect(link.spec);
      if (!d->dialect) return "link " + link.name + ": spec " + link.spec + ": " + d->error;
    }
    dialects_.push_back(std::move(d));
  }

  // The PAN key (cards added through the API are logged encrypted, SPEC 7).
  std::error_code fs_error;
  std::filesystem::create_directories(cfg.wal.dir, fs_error);
  ledger::PanKey key{};
  if (const ledger::Status s = ledger::PanCipher::load(cfg.pan_key_file.string(), cfg.wal.dir.string(), key, nullptr);
      !s.ok()) {
    return "PAN key: " + s.to_string();
  }
  cipher_ = std::make_unique<ledger::PanCipher>(key);
  key.fill(0);
  // A generated key (new or found beside the log) is warned about once, on
  // stderr, by PanCipher::load itself.
  loaded_cards_ = static_cast<std::uint32_t>(accounts->card_pans.size());

  // The core.
  std::string zone_error;
  const std::optional<core::Zone> zone = core::Zone::parse(cfg.timezone, &zone_error);
  if (!zone) return "timezone " + cfg.timezone + ": " + zone_error;
  core::CoreConfig core_config{*zone, static_cast<std::uint16_t>(workers), options_.txn_capacity};
  core_config.hold_days = cfg.hold_days;  // an open hold is kept in the table at least this long
  // Unknown cards' PANs are kept hashed under a key derived from the PAN key
  // (core/keyed_pan.h): retransmissions compare the same after a restart.
  core_config.pan_hash_key = cipher_->pan_hash_key();
  core_ = std::make_unique<core::Core>(std::move(accounts), core_config);

  // Recovery: the latest snapshot and every event after it (SPEC 7).
  ledger::CoreRecoveryResult recovered;
  if (const ledger::Status s = ledger::recover_core(cfg.wal.dir.string(), *core_, cipher_.get(), recovered);
      !s.ok()) {
    return "recovery: " + s.to_string();
  }
  // SPEC 12: 0 for an empty log, not the few microseconds spent finding it empty.
  recovery_seconds_ = recovered.snapshot || recovered.records_read != 0 ? recovered.seconds : 0;
  log_line("recovery: " +
           (recovered.snapshot ? "snapshot covering " + std::to_string(recovered.snapshot->covered_sequence) + ", "
                               : std::string("no snapshot, ")) +
           std::to_string(recovered.events_applied) + " events applied from " +
           std::to_string(recovered.records_read) + " records, last sequence " +
           std::to_string(recovered.last_sequence) + ", " + std::to_string(recovered.seconds) + " s" +
           (recovered.tail_cut ? ", torn tail cut in " + recovered.tail_cut->file : std::string()));
  if (recovered.keyed_pan_other_key != 0) {
    log_line("recovery: warning: " + std::to_string(recovered.keyed_pan_other_key) +
             " answers on unknown cards were recorded under another PAN key (the key changed): a "
             "retransmission of one is answered 94 instead of its stored answer; nothing is applied twice");
  }

  log_line(core::describe_thread_classes(options_.answer_path_slices,
                                         options_.background_idle && options_.reload_accounts != nullptr));

  // The log.
  ledger::WalOptions wal_options;
  wal_options.dir = cfg.wal.dir.string();
  wal_options.durability =
      cfg.wal.durability == Durability::sync ? ledger::Durability::sync : ledger::Durability::async;
  wal_options.flush_interval_ms = cfg.wal.flush_interval_ms;
  // Written by the writer after each publish; every connection loop polls
  // it while answers wait on the log (instead of re-checking every 50 us).
  released_fd_ = ledger::FileDescriptor(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!released_fd_.valid()) return errno_text("eventfd", errno);
  wal_options.notify_eventfd = released_fd_.get();
  wal_options.producers = constants::switch_wal_producers + 1;  // + the checkpointer's (snapshot markers)
  wal_fsync_ = &registry_.histogram("authswitch_wal_fsync_seconds",
                                    "fdatasync of the write-ahead log (in sync durability: a batch's write and fdatasync)",
                                    {}, 1);
  wal_sync_observer_ = std::make_unique<SyncRecorder>(wal_fsync_->recorder(0));
  wal_options.sync_observer = wal_sync_observer_.get();
  wal_options.thread_class = answer_path_class();
  wal_ = std::make_unique<ledger::WalWriter>(wal_options);
  if (const ledger::Status s = wal_->open(); !s.ok()) {
    return "write-ahead log " + wal_options.dir + ": " + s.to_string();
  }
  wal_records_ = registry_.counter("authswitch_wal_records_total", "Write-ahead log records written since start");
  wal_records_counted_.store(wal_->written_sequence(), std::memory_order_relaxed);

  // Metrics, slots, workers.
  std::vector<std::string> names;
  for (const LinkConfig& link : cfg.links) names.push_back(link.name);
  metrics_ = std::make_unique<SwitchMetrics>(registry_, names, workers, constants::switch_connection_slots);
  txn_reused_ = registry_.gauge("authswitch_txn_reused", "Transaction-table slots reused since start (entries past retention)");
  txn_full_window_ = registry_.gauge("authswitch_txn_full", "Requests answered 91 for want of a transaction-table slot, since start",
                                     {{"reason", "window"}});
  txn_full_holds_ = registry_.gauge("authswitch_txn_full", "Requests answered 91 for want of a transaction-table slot, since start",
                                    {{"reason", "holds"}});
  registry_.gauge("authswitch_recovery_seconds", "Start-up replay of the snapshot and the log")
      .set(recovery_seconds_);
  // The checkpointer's health: a lag that only grows, or up 0, means the
  // periodic snapshots stopped and the next start-up replays ever more log.
  checkpointer_up_ = registry_.gauge(
      "authswitch_checkpointer_up",
      "1 while the checkpointer follows the log; 0 while it builds its shadow, after it failed, or when none runs");
  snapshot_lag_ = registry_.gauge("authswitch_snapshot_lag_records",
                                  "Durable log records the checkpointer's shadow core has not applied yet");
  snapshots_written_ = registry_.gauge("authswitch_snapshots_written", "Snapshots written since start");
  snapshot_covered_ = registry_.gauge("authswitch_snapshot_covered_sequence",
                                      "Log sequence the newest snapshot written since start covers");
  snapshot_seconds_ = registry_.gauge("authswitch_snapshot_seconds", "Wall time of the newest snapshot");
  // Rings hold the largest in-flight table (checked above: at most
  // ConnectionBuffers::inflight_entries), so no push finds one full.
  std::uint32_t ring_capacity = 1;
  for (const LinkConfig& link : cfg.links) {
    if (link.max_inflight > ring_capacity) ring_capacity = link.max_inflight;
  }
  AS_ASSERT(ring_capacity <= ConnectionBuffers::inflight_entries);
  slots_ = std::make_unique<ConnectionSlot[]>(constants::switch_connection_slots);
  slot_busy_ = std::make_unique<std::atomic<bool>[]>(constants::switch_connection_slots);
  slot_threads_.resize(constants::switch_connection_slots);
  for (std::size_t i = 0; i < constants::switch_connection_slots; ++i) {
    const int efd = eventfd(0, EFD_CLOEXEC);
    if (efd < 0) return errno_text("eventfd", errno);
    slot_eventfds_.push_back(efd);
    slots_[i].init(workers, ring_capacity, efd);
    // Its received/written/link records gate no answer (only the workers'
    // decisions do): they ride with the next decision's write.
    slots_[i].producer = wal_->register_producer(ledger::ProducerKind::background);
  }
  for (std::size_t w = 0; w < workers; ++w) {
    // Batching: a worker writes its own batch when the log's writer is idle.
    const ledger::ProducerId producer = wal_->register_producer(ledger::ProducerKind::batching);
    worker_producers_.push_back(producer);
    workers_.push_back(std::make_unique<AuthWorker>(*core_, static_cast<core::ShardId>(w),
                                                    std::span<ConnectionSlot>(slots_.get(), constants::switch_connection_slots), *wal_, producer, cipher_.get(),
                                                    &metrics_->decision->recorder(w), &metrics_->duplicates));
    workers_.back()->set_shed_counter(&metrics_->shed_log_room);
    workers_.back()->set_loops_woken_by_log(released_fd_.valid());
    worker_ptrs_.push_back(workers_.back().get());
  }

  // The spare producer of switch_wal_producers: the control thread's.
  control_sink_ = std::make_unique<ledger::WalEventSink>(*wal_, wal_->register_producer(), cipher_.get(), core_.get());

  // Periodic snapshots from a shadow core that follows the log (ledger/
  // checkpointer.h): the shard threads never pause for them.
  if (options_.reload_accounts) {
    ledger::CheckpointerOptions c;
    c.dir = cfg.wal.dir.string();
    c.snapshot_every = cfg.wal.snapshot_every;
    c.loaded_cards = loaded_cards_;
    c.base_snapshot = recovered.snapshot;
    c.make_core = [reload = options_.reload_accounts, config = core_->config()]() -> std::unique_ptr<core::Core> {
      std::unique_ptr<core::Accounts> again = reload();
      if (again == nullptr) return nullptr;
      return std::make_unique<core::Core>(std::move(again), config);
    };
    c.log = [this](const std::string& line) { log_line(line); };
    c.thread_class = options_.background_idle ? core::ThreadClass::background : core::ThreadClass::unchanged;
    const ledger::ProducerId marker_producer = wal_->register_producer();
    checkpointer_ = std::make_unique<ledger::Checkpointer>(std::move(c), *wal_, marker_producer, cipher_.get());
    checkpointer_->start();
  }

  shared_.core = core_.get();
  shared_.wal = wal_.get();
  shared_.workers = worker_ptrs_;
  shared_.worker_producers = worker_producers_;
  shared_.clock = cfg.clock;
  shared_.max_message_bytes = cfg.max_message_bytes;
  shared_.stopping = &stopping_;
  shared_.released_fd = released_fd_.get();
  shared_.log = &SwitchRuntime::log_trampoline;
  shared_.log_context = this;

  link_states_ = std::make_unique<LinkState[]>(cfg.links.size());
  for (std::size_t l = 0; l < cfg.links.size(); ++l) {
    links_.push_back(LinkShared{l, &cfg.links[l], &*dialects_[l]->dialect, to_codec(cfg.links[l].framing),
                                &metrics_->links[l], &link_states_[l]});
  }

  // Listen sockets, bound before any thread runs so port() is known.
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return errno_text("eventfd", errno);
  listen_fds_.assign(cfg.links.size(), -1);
  ports_.assign(cfg.links.size(), 0);
  for (std::size_t l = 0; l < cfg.links.size(); ++l) {
    const LinkConfig& link = cfg.links[l];
    if (link.mode != LinkMode::listen) continue;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno_text("socket", errno);
    listen_fds_[l] = fd;
    const int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(link.port);
    if (inet_pton(AF_INET, link.host.c_str(), &address.sin_addr) != 1) {
      return "link " + link.name + ": bad IPv4 address " + link.host;
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      return errno_text("link " + link.name + ": bind " + link.host + ":" + std::to_string(link.port), errno);
    }
    if (::listen(fd, 64) != 0) return errno_text("link " + link.name + ": listen", errno);
    socklen_t length = sizeof(address);
    (void)getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ports_[l] = ntohs(address.sin_port);
  }

  for (std::size_t w = 0; w < workers_.size(); ++w) {
    workers_[w]->start(cpu_for_thread(cfg.cores.auth, w), answer_path_class());
  }
  started_ = true;
  if (options_.hold_sweep_interval_ms > 0) {
    sweep_holds_at_start();
    hold_thread_ = std::thread([this] {
      core::name_this_thread("as-hold");
      hold_loop();
    });
  }
  for (std::size_t l = 0; l < cfg.links.size(); ++l) {
    if (cfg.links[l].mode == LinkMode::listen) {
      links_[l].set_up(true);
      log_line("link " + cfg.links[l].name + ": listening on " + cfg.links[l].host + ":" + std::to_string(ports_[l]) +
               " (" + std::string(to_string(cfg.links[l].framing)) + ", " + cfg.links[l].spec + ")");
      link_threads_.emplace_back([this, l] {
        core::name_this_thread("as-accept-" + std::to_string(l));
        accept_loop(l);
      });
    } else {
      log_line("link " + cfg.links[l].name + ": connecting to " + cfg.links[l].host + ":" +
               std::to_string(cfg.links[l].port));
      link_threads_.emplace_back([this, l] {
        core::name_this_thread("as-connect-" + std::to_string(l));
        connect_loop(l);
      });
    }
  }
  return {};
}

std::uint16_t SwitchRuntime::port(std::size_t link) const { return ports_.at(link); }

std::size_t SwitchRuntime::connections() const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < constants::switch_connection_slots; ++i) {
    if (slot_busy_[i].load(std::memory_order_acquire)) ++n;
  }
  return n;
}

std::size_t SwitchRuntime::claim_slot() {
  const std::lock_guard<std::mutex> lock(slot_mutex_);
  for (std::size_t i = 0; i < constants::switch_connection_slots; ++i) {
    if (slot_busy_[i].load(std::memory_order_acquire)) continue;
    if (slot_threads_[i].joinable()) slot_threads_[i].join();  // it has ended: busy is cleared last
    slot_busy_[i].store(true, std::memory_order_release);
    return i;
  }
  return no_slot;
}

void SwitchRuntime::serve_connection(std::size_t link, std::size_t slot, int fd, std::uint16_t peer_port,
                                     bool* signed_on) {
  const LinkConfig& cfg = options_.config.links[link];
  log_line("link " + cfg.name + ": connection " + std::to_string(slot) + " up (peer port " +
           std::to_string(peer_port) + ")");
  std::string error;
  ConnectionStats stats;
  {
    ConnectionLoop loop(shared_, links_[link], slots_[slot], slot, fd, peer_port);
    error = loop.run();
    stats = loop.stats();
  }
  if (signed_on != nullptr) *signed_on = stats.signed_on;
  log_line("link " + cfg.name + ": connection " + std::to_string(slot) + " down (" +
           std::to_string(stats.received) + " read, " + std::to_string(stats.answered) + " answered" +
           (stats.out_of_step ? ", out of step" : "") + (error.empty() ? "" : ", " + error) + ")");
  slot_busy_[slot].store(false, std::memory_order_release);
}

void SwitchRuntime::accept_loop(std::size_t link) {
  const int listen_fd = listen_fds_[link];
  const std::vector<int>& io_cpus = options_.config.cores.io;
  while (!stopping_.load(std::memory_order_acquire)) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if ((fds[1].revents & POLLIN) != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_in peer{};
    socklen_t length = sizeof(peer);
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (stopping_.load(std::memory_order_acquire)) {
      ::close(fd);
      break;
    }
    set_nodelay(fd);
    const std::size_t slot = claim_slot();
    if (slot == no_slot) {
      log_line("link " + options_.config.links[link].name + ": connection refused: all " +
               std::to_string(constants::switch_connection_slots) + " connection slots in use");
      ::close(fd);
      continue;
    }
    const int cpu = cpu_for_thread(io_cpus, slot);
    const std::uint16_t peer_port = peer_port_of(peer);
    const std::lock_guard<std::mutex> lock(slot_mutex_);
    slot_threads_[slot] = std::thread([this, link, slot, fd, peer_port, cpu] {
      core::name_this_thread("as-io-" + std::to_string(slot));
      if (cpu >= 0) (void)pin_current_thread(cpu, "io " + std::to_string(slot));
      (void)core::set_current_thread_class(answer_path_class());
      serve_connection(link, slot, fd, peer_port, nullptr);
    });
  }
  links_[link].set_up(false);
}

void SwitchRuntime::connect_loop(std::size_t link) {
  const LinkConfig& cfg = options_.config.links[link];
  const LinkShared& shared = links_[link];
  std::int64_t backoff_ms = constants::switch_reconnect_initial_ms;
  const int cpu = cpu_for_thread(options_.config.cores.io, 0);
  if (cpu >= 0) (void)pin_current_thread(cpu, "link " + cfg.name);
  while (!stopping_.load(std::memory_order_acquire)) {
    const ConnectResult connected =
        tcp_connect(cfg.host, cfg.port, stop_fd_, static_cast<int>(constants::switch_connect_timeout_ms));
    if (connected.stopped) break;
    const int fd = connected.fd;
    if (fd < 0) {
      log_line("link " + cfg.name + ": connect to " + cfg.host + ":" + std::to_string(cfg.port) + " failed (" +
               connected.error + "); retrying in " + std::to_string(backoff_ms) + " ms");
      if (wait_stop(stop_fd_, static_cast<int>(backoff_ms))) break;
      backoff_ms = backoff_ms * 2 > constants::switch_reconnect_max_ms ? constants::switch_reconnect_max_ms
                                                                        : backoff_ms * 2;
      continue;
    }
    set_nodelay(fd);
    const std::size_t slot = claim_slot();
    if (slot == no_slot) {
      ::close(fd);
      if (wait_stop(stop_fd_, static_cast<int>(backoff_ms))) break;
      continue;
    }
    if (!cfg.sign_on) shared.set_up(true);  // else once signed on (ConnectionLoop)
    bool signed_on = false;
    serve_connection(link, slot, fd, cfg.port, &signed_on);
    shared.set_up(false);
    // SPEC 9: back to 1 s once connected (and signed on, with sign_on).
    if (signed_on || !cfg.sign_on) backoff_ms = constants::switch_reconnect_initial_ms;
    if (stopping_.load(std::memory_order_acquire)) break;
    log_line("link " + cfg.name + ": reconnecting in " + std::to_string(backoff_ms) + " ms");
    if (wait_stop(stop_fd_, static_cast<int>(backoff_ms))) break;
    backoff_ms = backoff_ms * 2 > constants::switch_reconnect_max_ms ? constants::switch_reconnect_max_ms
                                                                      : backoff_ms * 2;
  }
}

bool SwitchRuntime::ready() const noexcept {
  if (stopping_.load(std::memory_order_acquire) || !link_states_) return false;  // stopping, or never started
  for (std::size_t l = 0; l < options_.config.links.size(); ++l) {
    if (!link_states_[l].up.load(std::memory_order_acquire)) return false;
  }
  return true;
}

HoldSweeper SwitchRuntime::make_hold_sweeper() {
  const core::TimeMs hold_ms = static_cast<core::TimeMs>(options_.config.hold_days) * core::ms_per_day;
  return HoldSweeper([this](core::ShardId shard, const ShardTask& task) { run_on_shard(shard, task); }, *wal_,
                     worker_producers_, hold_ms);
}

void SwitchRuntime::log_holds_expired(std::size_t expired, const char* when) {
  if (expired == 0) return;
  log_line("holds: " + std::to_string(expired) + " expired after " + std::to_string(options_.config.hold_days) +
           " days uncleared" + when + ", their amounts released (SPEC 8)");
}

// A switch that was stopped for days restarts with holds that expired while
// it was down. The table keeps a hold's entry hold_days + 1 day, after which
// a new key may take the entry: those holds are released before the first
// request is read (the links are bound but not yet accepting), not up to a
// sweep interval later.
void SwitchRuntime::sweep_holds_at_start() {
  HoldSweeper sweeper = make_hold_sweeper();
  std::size_t expired = 0;
  for (;;) {
    const HoldSweeper::Result r = sweeper.sweep(realtime_ms(), stopping_);
    expired += r.expired;
    if (r.complete || wal_->failed() || stopping_.load(std::memory_order_acquire)) break;
    // Stopped for want of log room: the writer drains the queue meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log_holds_expired(expired, " while the switch was down");
}

void SwitchRuntime::hold_loop() {
  HoldSweeper sweeper = make_hold_sweeper();
  while (!wait_stop(stop_fd_, static_cast<int>(options_.hold_sweep_interval_ms))) {
    log_holds_expired(sweeper.sweep(realtime_ms(), stopping_).expired, "");
  }
}

void SwitchRuntime::run_on_shard(core::ShardId shard, const ShardTask& task) {
  AS_ASSERT(shard < workers_.size());
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  workers_[shard]->post([&task, &done](core::Core& c, core::ShardId s, core::EventSink& sink) {
    task(c, s, sink);
    done.set_value();
  });
  finished.wait();
}

std::string SwitchRuntime::stop(const std::function<void()>& connections_drained) {
  if (!started_) return {};
  started_ = false;
  // 1. Stop accepting and reading.
  stopping_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(stop_fd_, &one, sizeof(one));
  // 2. Every connection answers what it read, writes it, closes (connect
  // links run theirs on the link thread, so wake before joining those).
  for (std::size_t i = 0; i < constants::switch_connection_slots; ++i) slots_[i].waker.wake();
  for (std::thread& t : link_threads_) t.join();
  link_threads_.clear();
  for (std::size_t i = 0; i < constants::switch_connection_slots; ++i) slots_[i].waker.wake();
  for (std::thread& t : slot_threads_) {
    if (t.joinable()) t.join();
  }
  // Its tasks run on the authorization threads: it ends before they do.
  if (hold_thread_.joinable()) hold_thread_.join();
  // The caller's, whose tasks too may still need the authorization threads.
  if (connections_drained) connections_drained();
  // 3. No job can arrive any more: the authorization threads end.
  for (auto& w : workers_) w->stop();
  // 3b. The shutdown snapshot from the checkpointer's shadow, with its marker
  // in the log before the shutdown record (SPEC 7); if it cannot, the live
  // core's after the close below.
  bool snapshot_done = false;
  if (checkpointer_) {
    const ledger::Status cs = checkpointer_->stop(true);
    snapshot_done = cs.ok();
    if (!cs.ok()) log_line("checkpointer: no shutdown snapshot (" + cs.to_string() + "); the live core's instead");
  }
  // 4. The log: everything queued, a shutdown record, a sync.
  const ledger::Status s = wal_->close();
  log_line(std::string("stopped; write-ahead log closed") + (s.ok() ? "" : ": " + s.to_string()));
  if (!s.ok()) return s.to_string();
  if (snapshot_done) return {};
  // 5. A snapshot, so that the next start replays little (no thread runs).
  ledger::SnapshotInfo written;
  const ledger::Status snap = ledger::write_core_snapshot(options_.config.wal.dir.string(), *core_, loaded_cards_,
                                                          wal_->written_sequence(), cipher_.get(), &written);
  if (!snap.ok()) {
    log_line("snapshot failed: " + snap.to_string());
    return snap.to_string();
  }
  log_line("snapshot written covering sequence " + std::to_string(wal_->written_sequence()));
  return {};
}

void ConnectionSlot::init(std::size_t workers, std::uint32_t ring_capacity, int eventfd) {
  waker.set_fd(eventfd);
  for (std::size_t w = 0; w < workers; ++w) {
    // + one batch: a worker publishes its read index once per batch, after
    // the batch's results went back, so the connection may free (and reuse)
    // up to a batch of in-flight entries whose jobs still occupy this ring.
    to_auth.push_back(std::make_unique<SpscRing<AuthJob>>(ring_capacity + constants::switch_auth_batch_max));
    from_auth.push_back(std::make_unique<SpscRing<AuthResult>>(ring_capacity));
  }
}

void LoopWaker::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(eventfd_, &one, sizeof(one));
}

core::TimeMs SwitchRuntime::presentation_now() const {
  if (options_.config.clock == ClockSource::message) {
    if (const std::optional<core::TimeMs> t = core_->latest_transaction_time()) return *t;
  }
  return realtime_ms();
}

LatencyHistogram SwitchRuntime::wal_fsync_histogram() const {
  LatencyHistogram h;
  if (wal_fsync_ != nullptr) wal_fsync_->merge_into(h);
  return h;
}

std::string SwitchRuntime::render_metrics() {
  if (wal_) {
    // Scrapes may run at once: each adds only what no other has counted.
    const std::uint64_t written = wal_->written_sequence();
    std::uint64_t counted = wal_records_counted_.load(std::memory_order_relaxed);
    while (counted < written &&
           !wal_records_counted_.compare_exchange_weak(counted, written, std::memory_order_relaxed)) {
    }
    if (counted < written) wal_records_.inc(written - counted);
  }
  // authswitch_inflight from the count the links keep for max_inflight
  // anyway: a gauge moved per request was a second contended read-modify-
  // write on the hot path for a value read only here.
  for (const LinkShared& link : links_) link.metrics->inflight.set(static_cast<double>(link.state->inflight_now()));
  if (core_) {
    const core::TxnStats t = core_->txn_stats();
    txn_reused_.set(static_cast<double>(t.reused));
    txn_full_window_.set(static_cast<double>(t.full_window));
    txn_full_holds_.set(static_cast<double>(t.full_holds));
  }
  if (checkpointer_) {
    const ledger::CheckpointerStats c = checkpointer_->stats();
    checkpointer_up_.set(checkpointer_->ready() && !checkpointer_->failed() ? 1 : 0);
    snapshot_lag_.set(static_cast<double>(checkpointer_->lag()));
    snapshots_written_.set(static_cast<double>(c.snapshots_written));
    snapshot_covered_.set(static_cast<double>(c.last_covered));
    snapshot_seconds_.set(c.last_snapshot_seconds);
  }
  return registry_.render();
}

}  // namespace authswitch::io
