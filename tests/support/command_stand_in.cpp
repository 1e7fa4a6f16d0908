#include "tests/support/command_stand_in.h"

#include <gtest/gtest.h>

#include <string>

namespace authswitch {
namespace {
tools::Command g_registered{};
}  // namespace

bool tools::register_command(const Command& command) noexcept {
  g_registered = command;
  return true;
}

const tools::Command& test::registered_command() { return g_registered; }

test::CommandOutcome test::run_command(std::vector<std::string> args) {
  std::string name(g_registered.name);
  std::vector<char*> argv;
  argv.push_back(name.data());
  for (std::string& a : args) argv.push_back(a.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const int status = g_registered.run(static_cast<int>(argv.size()), argv.data());
  return CommandOutcome{status, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
}

}  // namespace authswitch
