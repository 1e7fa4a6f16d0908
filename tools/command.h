// The `authswitch` binary's commands.
//
// Each command lives in its own tools/cmd_*.cpp and registers itself with
// AUTHSWITCH_COMMAND; main.cpp only dispatches. Adding a command therefore
// touches no shared file.
//
// Contract for every command: `--help` prints usage on stdout and returns
// exit_ok; a usage or configuration error prints a message naming the file,
// line or field at fault on stderr and returns exit_usage; a runtime failure
// returns exit_failure (SPEC 10).
#pragma once

#include <string_view>

namespace authswitch::tools {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// argv[0] is the command's own name ("iso", "wal", ...).
using CommandFn = int (*)(int argc, char** argv);

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `authswitch --help`
  CommandFn run;
};

// Called from static initialisers only, before main runs.
bool register_command(const Command& command) noexcept;

// True when any of argv[1..] is --help or -h.
inline bool wants_help(int argc, char** argv) noexcept {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

}  // namespace authswitch::tools

#define AUTHSWITCH_COMMAND(ident, name, summary, fn) \
  namespace { [[maybe_unused]] const bool ident##_registered = ::authswitch::tools::register_command({name, summary, fn}); }
