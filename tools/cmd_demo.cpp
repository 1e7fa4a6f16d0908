// authswitch demo: the main job at a glance (SPEC 10). Starts `authswitch
// serve` on its embedded default as a child (this very binary, in a fresh
// working directory, so its log and snapshot start empty), drives it with
// loadgen, prints what was decided and how fast, writes the latency plot, then
// stops the switch with SIGTERM and checks it stopped cleanly.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "io/loadgen.h"
#include "tools/command.h"

namespace authswitch::tools {
namespace {

constexpr const char* usage =
    "usage: authswitch demo [--seconds N] [--rate R]\n"
    "\n"
    "Starts the switch on its embedded default (authswitch serve: 127.0.0.1:8583, 100,000\n"
    "demo cards, log in a fresh temporary directory), drives it with loadgen for N seconds\n"
    "(default 10) at R requests a second (default 5000), prints progress, then approvals\n"
    "and declines by reason and the latency percentiles, writes the latency plot (SVG)\n"
    "and stops the switch with SIGTERM.\n"
    "exit status: 0 every request answered right and the switch stopped cleanly, 1 otherwise,\n"
    "2 usage error.\n";

// The embedded default's listen link (SPEC 10).
constexpr std::uint16_t switch_port = 8583;
// serve loads 100,000 cards and recovers an empty log: seconds at most,
// even on a loaded machine. Stopping answers what is in flight and writes a
// snapshot.
constexpr std::chrono::seconds start_deadline{60};
constexpr std::chrono::seconds stop_deadline{60};
constexpr std::chrono::milliseconds poll_interval{50};

bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// The child's status once it has exited, or -1 while it runs.
int exited_status(pid_t child, int& raw) {
  const pid_t done = ::waitpid(child, &raw, WNOHANG);
  if (done != child) return -1;
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

pid_t start_serve(const std::string& self, const std::string& dir) {
  const pid_t child = ::fork();
  if (child != 0) return child;
  // Child: only async-signal-safe calls until exec.
  if (::chdir(dir.c_str()) != 0) _exit(exit_failure);
  const std::string log = dir + "/serve.log";
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(fd, STDERR_FILENO) < 0) _exit(exit_failure);
  ::execl(self.c_str(), "authswitch", "serve", static_cast<char*>(nullptr));
  _exit(127);
}

const char* describe(std::size_t rc) {
  switch (rc) {
    case 0: return "approved";
    case 5: return "do not honour";
    case 12: return "invalid transaction";
    case 13: return "invalid amount";
    case 14: return "unknown card";
    case 25: return "original not found";
    case 30: return "format error";
    case 41: return "lost card";
    case 43: return "stolen card";
    case 51: return "insufficient funds";
    case 54: return "expired card";
    case 61: return "over a limit";
    case 62: return "blocked card";
    case 91: return "switch could not decide in time";
    case 94: return "duplicate transmission (conflicting)";
    case 96: return "internal fault";
    default: return "";
  }
}

void print_outcome(const io::LoadgenResult& r) {
  std::printf("\nanswers by response code (of %llu sent, %llu answered in time):\n",
              static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.answered));
  for (std::size_t rc = 0; rc < r.counts.by_rc.size(); ++rc) {
    if (r.counts.by_rc[rc] == 0) continue;
    std::printf("  %02zu %-38s %10llu\n", rc, describe(rc), static_cast<unsigned long long>(r.counts.by_rc[rc]));
    if (rc == 61) {
      for (const auto& reason : r.counts.reasons_61) {
        std::printf("       44 = %-31s %10llu\n", reason.text.empty() ? "(none)" : reason.text.c_str(),
                    static_cast<unsigned long long>(reason.count));
      }
    }
  }
  std::printf("requests sent by kind:");
  for (std::size_t k = 0; k < io::request_kind_count; ++k) {
    std::printf(" %s %llu", std::string(io::to_string(static_cast<io::RequestKind>(k))).c_str(),
                static_cast<unsigned long long>(r.counts.sent_by_kind[k]));
  }
  const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  std::printf("\nlatency from each request's due time: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; "
              "%.0f answers/s\n",
              us(r.latency.value_at_percentile(50)), us(r.latency.value_at_percentile(99)),
              us(r.latency.value_at_percentile(99.9)), us(r.latency.max_ns()), r.per_s);
  std::printf("timeouts %llu, never sent %llu, mismatched answers %llu, unmatched answers %llu\n",
              static_cast<unsigned long long>(r.timeouts), static_cast<unsigned long long>(r.unsent),
              static_cast<unsigned long long>(r.counts.mismatches), static_cast<unsigned long long>(r.unmatched));
  for (const std::string& note : r.counts.mismatch_notes) std::printf("  mismatch: %s\n", note.c_str());
}

int demo(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::fputs(usage, stdout);
    return exit_ok;
  }
  io::LoadgenOptions options;
  options.rate_per_s = 5000;
  options.seconds = 10;
  options.connections = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const std::string_view value = i + 1 < argc ? std::string_view(argv[i + 1]) : std::string_view();
    bool ok = i + 1 < argc;
    if (ok && flag == "--seconds") {
      std::uint32_t seconds = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      ok = error == std::errc{} && end == value.data() + value.size() && seconds > 0 && seconds <= 3600;
      options.seconds = seconds;
    } else if (ok && flag == "--rate") {
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), options.rate_per_s);
      ok = error == std::errc{} && end == value.data() + value.size() && options.rate_per_s > 0 &&
           options.rate_per_s <= io::loadgen_rate_max;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "authswitch demo: bad argument '%s'\n\n%s", argv[i], usage);
      return exit_usage;
    }
    ++i;
  }

  char self[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) {
    std::fprintf(stderr, "authswitch demo: cannot find this binary (/proc/self/exe): %s\n", std::strerror(errno));
    return exit_failure;
  }
  self[length] = '\0';
  if (port_accepts(switch_port)) {
    std::fprintf(stderr, "authswitch demo: 127.0.0.1:%u already accepts connections: another switch runs there; "
                 "stop it first\n", switch_port);
    return exit_failure;
  }
  char dir_template[] = "/tmp/authswitch-demo-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) {
    std::fprintf(stderr, "authswitch demo: mkdtemp: %s\n", std::strerror(errno));
    return exit_failure;
  }
  const std::string work = dir;
  std::printf("authswitch demo: starting the switch (authswitch serve, embedded default) in %s; its output goes to "
              "%s/serve.log\n", work.c_str(), work.c_str());
  std::fflush(stdout);
  const pid_t child = start_serve(self, work);
  if (child < 0) {
    std::fprintf(stderr, "authswitch demo: fork: %s\n", std::strerror(errno));
    return exit_failure;
  }

  int raw = 0;
  const auto give_up = std::chrono::steady_clock::now() + start_deadline;
  while (!port_accepts(switch_port)) {
    if (const int status = exited_status(child, raw); status >= 0) {
      std::fprintf(stderr, "authswitch demo: the switch exited with status %d before listening on 127.0.0.1:%u "
                   "(is `authswitch serve` available in this build?); see %s/serve.log\n", status, switch_port,
                   work.c_str());
      return exit_failure;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      std::fprintf(stderr, "authswitch demo: the switch did not listen on 127.0.0.1:%u within %lld s; see "
                   "%s/serve.log\n", switch_port, static_cast<long long>(start_deadline.count()), work.c_str());
      ::kill(child, SIGKILL);
      (void)::waitpid(child, &raw, 0);
      return exit_failure;
    }
    std::this_thread::sleep_for(poll_interval);  // polling a port that is not up yet, with a deadline
  }

  std::printf("authswitch demo: switch listening on 127.0.0.1:%u; loadgen: %u requests/s for %.0f s over %u "
              "connections (mix %s)\n", switch_port, options.rate_per_s, options.seconds, options.connections,
              io::to_string(options.mix).c_str());
  std::fflush(stdout);
  options.port = switch_port;
  options.report_dir = work + "/report";
  options.progress = stdout;
  const io::LoadgenResult result = io::run_loadgen(options);
  if (!result.error.empty()) std::printf("authswitch demo: loadgen: %s\n", result.error.c_str());
  print_outcome(result);
  if (!result.report_svg.empty()) {
    std::printf("latency plot: %s (percentiles: %s/latency.hgrm)\n", result.report_svg.c_str(),
                options.report_dir.c_str());
  }

  std::printf("authswitch demo: stopping the switch (SIGTERM)\n");
  std::fflush(stdout);
  ::kill(child, SIGTERM);
  const auto stop_by = std::chrono::steady_clock::now() + stop_deadline;
  int status = -1;
  while ((status = exited_status(child, raw)) < 0) {
    if (std::chrono::steady_clock::now() > stop_by) {
      std::fprintf(stderr, "authswitch demo: the switch did not stop within %lld s of SIGTERM; killed\n",
                   static_cast<long long>(stop_deadline.count()));
      ::kill(child, SIGKILL);
      (void)::waitpid(child, &raw, 0);
      return exit_failure;
    }
    std::this_thread::sleep_for(poll_interval);  // waiting for the child's exit, with a deadline
  }
  std::printf("authswitch demo: switch exited with status %d%s; its log and write-ahead log are in %s\n", status,
              status == 0 ? " (clean stop)" : " (NOT a clean stop)", work.c_str());
  return result.clean() && status == 0 ? exit_ok : exit_failure;
}

}  // namespace
}  // namespace authswitch::tools

AUTHSWITCH_COMMAND(demo, "demo", "start the switch, drive it with loadgen, show decisions and latency",
                   ::authswitch::tools::demo)
