// A stand-in for tools/main.cpp's command registry. A test links one
// command's source (tools/cmd_*.cpp) with this instead of the whole binary,
// runs the command in-process and reads what it printed and returned.
#pragma once

#include <string>
#include <vector>

#include "tools/command.h"

namespace authswitch::test {

struct CommandOutcome {
  int status;
  std::string out;
  std::string err;
};

// The command the linked cmd_*.cpp registered.
[[nodiscard]] const tools::Command& registered_command();
// Runs it with argv = {its name, args...}, capturing stdout and stderr.
[[nodiscard]] CommandOutcome run_command(std::vector<std::string> args);

}  // namespace authswitch::test
