// authswitch check-config FILE: validates a config the way `serve` would
// read it (SPEC 10), the files it names included (io/config_check.h; the
// accounts file loaded as serve loads it), and prints the effective settings
// in one line.
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/accounts_loader.h"
#include "io/config_check.h"
#include "tools/command.h"

namespace authswitch::tools {
namespace {

constexpr const char* usage =
    "usage: authswitch check-config FILE\n"
    "\n"
    "Reads FILE as `authswitch serve --config FILE` would, with the files it names\n"
    "(accounts, each link's field-spec file, pan_key_file) and the time zone in tzdata.\n"
    "Valid: prints one line with the effective links, wal dir, durability and\n"
    "cores, exit 0. Invalid: prints FILE:LINE: field: reason on stderr, exit 2.\n";

int check_config(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::fputs(usage, stdout);
    return exit_ok;
  }
  if (argc != 2 || argv[1][0] == '-') {
    std::fputs(usage, stderr);
    return exit_usage;
  }
  const io::ConfigResult result = io::load_checked_config(argv[1]);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.error().message().c_str());
    return exit_usage;
  }
  // Serve loads it before starting (an error there is exit 2 as well); its
  // errors name the accounts file and line.
  if (const std::filesystem::path& accounts = result.config().accounts; !accounts.empty()) {
    if (const core::LoadResult loaded = core::load_accounts_file(accounts.string()); !loaded.accounts) {
      std::fprintf(stderr, "%s\n", loaded.error.c_str());
      return exit_usage;
    }
  }
  std::printf("%s: ok: %s\n", argv[1], io::describe(result.config()).c_str());
  return exit_ok;
}

}  // namespace
}  // namespace authswitch::tools

AUTHSWITCH_COMMAND(check_config, "check-config", "validate a config file and print its effective settings",
                   ::authswitch::tools::check_config)
