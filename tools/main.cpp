// authswitch: one binary, one command per cmd_*.cpp (see command.h).
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "tools/command.h"

namespace authswitch::tools {
namespace {

// Commands register from static initialisers; a fixed array needs no heap and
// no initialisation-order care (it is constant-initialised).
constexpr std::size_t max_commands = 32;
std::array<Command, max_commands> g_commands{};
std::size_t g_command_count = 0;

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: authswitch COMMAND [ARGS...]\n"
               "\n"
               "A card authorization switch: ISO 8583 in, approve or decline against card status,\n"
               "balances and spending limits, every step in a write-ahead log.\n"
               "\n"
               "commands:\n");
  std::sort(g_commands.begin(), g_commands.begin() + static_cast<std::ptrdiff_t>(g_command_count),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  for (std::size_t i = 0; i < g_command_count; ++i) {
    const Command& c = g_commands[i];
    std::fprintf(out, "  %-12.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fprintf(out,
               "\n"
               "`authswitch COMMAND --help` explains each command.\n"
               "exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n");
}

}  // namespace

bool register_command(const Command& command) noexcept {
  if (g_command_count == max_commands) {
    std::fprintf(stderr, "authswitch: too many commands (raise max_commands in tools/main.cpp)\n");
    std::abort();
  }
  g_commands[g_command_count++] = command;
  return true;
}

}  // namespace authswitch::tools

int main(int argc, char** argv) {
  using namespace authswitch::tools;
  if (argc < 2) {
    print_usage(stderr);
    return exit_usage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return exit_ok;
  }
  for (std::size_t i = 0; i < g_command_count; ++i) {
    if (g_commands[i].name == name) return g_commands[i].run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "authswitch: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return exit_usage;
}
