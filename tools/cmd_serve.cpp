// authswitch serve [--config FILE]: run the switch (SPEC 9, 10).
//
// Signals: SIGTERM and SIGINT are blocked in every thread and taken by the
// main thread with sigwait, so no handler runs on a hot thread. The first
// starts the graceful shutdown of SPEC 0 (stop reading, finish every
// in-flight authorization, write every answer, close the log, exit 0); a
// second, while that runs, exits at once with status 1 (the log stays
// consistent: records are written whole and a torn tail is cut at start-up).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/accounts_loader.h"
#include "core/demo_data.h"
#include "io/admin_api.h"
#include "io/admin_write_log.h"
#include "io/config.h"
#include "io/config_check.h"
#include "io/switch_runtime.h"
#include "tools/command.h"

namespace authswitch::tools {
namespace {

constexpr std::size_t demo_cards = 100'000;

constexpr const char* usage =
    "usage: authswitch serve [--config FILE]\n"
    "\n"
    "Runs the switch: ISO 8583 links in, decisions against the accounts, every step\n"
    "in the write-ahead log. Without --config it uses the embedded default: a listen\n"
    "link on 127.0.0.1:8583 (len2, iso87-ascii), 100,000 generated demo cards\n"
    "(card i has PAN 4000 + i as 11 digits + a Luhn digit; 4000000000000002 is card 0),\n"
    "the log in ./var/wal, durability sync.\n"
    "\n"
    "SIGTERM or SIGINT: stop reading, answer everything read, close the log, exit 0.\n"
    "A second signal exits at once (status 1).\n"
    "exit status: 0 clean stop, 1 runtime failure, 2 usage or configuration error.\n";

// Size and modification time of the accounts file (none for the demo set).
struct AccountsStamp {
  std::uintmax_t bytes = 0;
  std::filesystem::file_time_type modified{};
  friend bool operator==(const AccountsStamp&, const AccountsStamp&) = default;
};

AccountsStamp stamp_of(const std::filesystem::path& file) {
  AccountsStamp stamp;
  if (file.empty()) return stamp;
  std::error_code ec;
  stamp.bytes = std::filesystem::file_size(file, ec);
  stamp.modified = std::filesystem::last_write_time(file, ec);
  return stamp;
}

int serve(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::fputs(usage, stdout);
    return exit_ok;
  }
  const char* config_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_file = argv[++i];
    } else {
      std::fprintf(stderr, "authswitch serve: unexpected argument '%s'\n\n%s", argv[i], usage);
      return exit_usage;
    }
  }

  // Every config error, the files the config names included, before
  // anything starts (exit 2, as check-config).
  io::Config config;
  if (config_file != nullptr) {
    io::ConfigResult result = io::load_checked_config(config_file);
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", result.error().message().c_str());
      return exit_usage;
    }
    config = std::move(result.config());
  } else {
    config = io::default_config();
    if (const std::optional<io::ConfigError> error = io::check_startable(config, ""); error) {
      std::fprintf(stderr, "%s\n", error->message().c_str());
      return exit_usage;
    }
  }

  // The file as first loaded: the checkpointer's second load must see the
  // same one (below).
  const AccountsStamp first_stamp = stamp_of(config.accounts);
  core::LoadResult accounts;
  std::string accounts_name;
  if (config.accounts.empty()) {
    accounts = core::load_accounts_text(core::generate_demo_accounts(demo_cards), "demo");
    accounts_name = "the generated demo data set";
  } else {
    accounts = core::load_accounts_file(config.accounts.string());
    accounts_name = config.accounts.string();
  }
  if (!accounts.accounts) {
    std::fprintf(stderr, "%s\n", accounts.error.c_str());
    return exit_usage;
  }
  const std::size_t cards = accounts.accounts->cards.size();

  // Block the signals before any thread starts, so every thread inherits the
  // mask and only sigwait below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  io::SwitchOptions options;
  options.config = config;
  // The checkpointer's shadow core gets its own copy, loaded the same way
  // (periodic snapshots, wal.snapshot_every).
  options.reload_accounts = [accounts_file = config.accounts, first_stamp]() -> std::unique_ptr<core::Accounts> {
    // A file edited since start-up would give the shadow other accounts than
    // the live core, and its snapshots a wrong state: no shadow then.
    if (stamp_of(accounts_file) != first_stamp) {
      std::fprintf(stderr, "authswitch: %s changed since start-up: no periodic snapshots until a restart\n",
                   accounts_file.string().c_str());
      return nullptr;
    }
    core::LoadResult again = accounts_file.empty()
                                 ? core::load_accounts_text(core::generate_demo_accounts(demo_cards), "demo")
                                 : core::load_accounts_file(accounts_file.string());
    return std::move(again.accounts);
  };
  io::SwitchRuntime runtime(std::move(options));
  std::printf("authswitch: accounts: %s; recovering from the log in %s\n", accounts_name.c_str(),
              config.wal.dir.string().c_str());
  if (const std::string error = runtime.start(std::move(accounts.accounts)); !error.empty()) {
    std::fprintf(stderr, "authswitch serve: %s\n", error.c_str());
    return exit_failure;
  }
  std::string links;
  for (std::size_t i = 0; i < config.links.size(); ++i) {
    const io::LinkConfig& l = config.links[i];
    links += (i == 0 ? "" : ", ") + l.name + " " + std::string(io::to_string(l.mode)) + " " + l.host + ":" +
             std::to_string(l.mode == io::LinkMode::listen ? runtime.port(i) : l.port);
  }
  std::printf("authswitch: serving: links [%s], %zu cards loaded, wal %s, durability %s, %zu authorization "
              "thread(s)\n",
              links.c_str(), cards, config.wal.dir.string().c_str(),
              std::string(io::to_string(config.wal.durability)).c_str(), runtime.auth_threads());
  std::fflush(stdout);

  // The operators' API (SPEC 6). It goes up after recovery; /readyz then
  // follows the links (a connect link counts once connected and signed on).
  std::atomic<bool> stopping{false};
  io::AdminApiOptions api_options;
  api_options.host = config.admin.host;
  api_options.port = config.admin.port;
  api_options.token = config.admin.token;
  api_options.core = &runtime.core();
  api_options.now = [&runtime] { return runtime.presentation_now(); };
  api_options.run_on_shard = [&runtime](core::ShardId shard, const io::ShardFn& fn) {
    runtime.run_on_shard(shard, [&fn](core::Core&, core::ShardId, core::EventSink& sink) { fn(sink); });
  };
  api_options.control_sink = &runtime.control_sink();
  // Writes are answered once the log released their record (SPEC 6, 7).
  io::WalWriteLog write_log(runtime.wal());
  api_options.write_log = &write_log;
  api_options.metrics_text = [&runtime] { return runtime.render_metrics(); };
  api_options.ready = [&runtime, &stopping] { return !stopping.load() && runtime.ready(); };
  io::AdminApi api(std::move(api_options));
  if (const std::string error = api.start(); !error.empty()) {
    std::fprintf(stderr, "authswitch serve: HTTP API on %s: %s (is another switch running? set admin.listen)\n",
                 config.admin.listen.c_str(), error.c_str());
    static_cast<void>(runtime.stop());
    return exit_failure;
  }
  std::printf("authswitch: HTTP API on %s:%u (writes need the bearer token)\n", config.admin.host.c_str(),
              static_cast<unsigned>(api.port()));
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::printf("authswitch: %s: stopping (stop reading, answer everything read, close the log)\n",
              strsignal(signal_number));
  std::fflush(stdout);
  // A second signal while the graceful stop runs: exit at once.
  std::thread([signals] {
    int second = 0;
    sigset_t set = signals;
    sigwait(&set, &second);
    std::fprintf(stderr, "authswitch: second signal: exiting at once\n");
    _exit(exit_failure);
  }).detach();
  // /readyz answers 503 from here. The API stays up while the connections
  // drain (a peer slow to take its answers holds them up to the linger
  // bound), and stops before the authorization threads do: a request
  // waiting on a shard thread must finish first.
  stopping.store(true);
  const std::string error = runtime.stop([&api] { api.stop(); });
  if (!error.empty()) {
    std::fprintf(stderr, "authswitch serve: %s\n", error.c_str());
    return exit_failure;
  }
  std::printf("authswitch: stopped cleanly\n");
  std::fflush(stdout);
  return exit_ok;
}

}  // namespace
}  // namespace authswitch::tools

AUTHSWITCH_COMMAND(serve, "serve", "run the switch (ISO 8583 links, decisions, write-ahead log)",
                   ::authswitch::tools::serve)
