// What start-up would refuse in a config that parsed (SPEC 10), found before
// anything starts: the time zone is loaded from the system tzdata, each
// link's field-spec file read and parsed, and pan_key_file (or
// AUTHSWITCH_PAN_KEY) read and its size checked, each with the call
// SwitchRuntime::start makes. So `check-config` and `serve --config` refuse
// such a config with exit 2 and a message naming the key, where `serve`
// used to fail half-way through start-up with exit 1.
//
// Nothing is written: with neither pan_key_file nor AUTHSWITCH_PAN_KEY set,
// the key generated beside the log on first start is left to start-up.
// Start-up only; it reads files and allocates freely.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "io/config.h"

namespace authswitch::io {

// The first error found; `text` is the config's JSON, to find the key's line
// (empty for the embedded default).
[[nodiscard]] std::optional<ConfigError> check_startable(const Config& config, std::string_view text);

// Reads and parses `file` (AUTHSWITCH_ADMIN_TOKEN applied), then
// check_startable: what `check-config FILE` and `serve --config FILE` run.
[[nodiscard]] ConfigResult load_checked_config(const std::filesystem::path& file);

}  // namespace authswitch::io
