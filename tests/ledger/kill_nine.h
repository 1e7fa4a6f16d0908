// The kill -9 harness of the crash tests: a forked child does its work and
// writes one 32-bit acknowledgement to a pipe each time something became
// durable; the parent reads them, kills the child with SIGKILL at a chosen
// moment, reaps it and reads what was already in the pipe (those were
// acknowledged before the kill, so they count too).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace authswitch::ledger::testing {

struct KilledChild {
  std::string error;                // why the harness itself failed; "" when it ran
  std::vector<std::uint32_t> acks;  // every acknowledgement, in order
  int status = 0;                   // as waitpid gives it
  [[nodiscard]] bool killed() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
  [[nodiscard]] bool exited_cleanly() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// Runs `child(ack_fd)` in a forked process (it must not return; if it does,
// the child exits with 7) and kills it once `kill_after` acknowledgements
// have come, or the pipe closed first.
template <typename Child>
KilledChild run_and_kill_nine(Child&& child, std::uint64_t kill_after) {
  KilledChild out;
  int fds[2];
  if (::pipe(fds) != 0) {
    out.error = "pipe failed";
    return out;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    out.error = "fork failed";
    return out;
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    ::_exit(7);
  }
  ::close(fds[1]);
  std::uint32_t ack = 0;
  while (out.acks.size() < kill_after && ::read(fds[0], &ack, sizeof ack) == static_cast<ssize_t>(sizeof ack)) {
    out.acks.push_back(ack);
  }
  ::kill(pid, SIGKILL);
  if (::waitpid(pid, &out.status, 0) != pid) out.error = "waitpid failed";
  while (::read(fds[0], &ack, sizeof ack) == static_cast<ssize_t>(sizeof ack)) out.acks.push_back(ack);
  ::close(fds[0]);
  return out;
}

}  // namespace authswitch::ledger::testing
