// The switch's configuration (SPEC 10): one JSON file, parsed with simdjson.
//
// Every key has a default: default_config() is the embedded default that
// `authswitch serve` runs with when no file is given. A file may set any
// subset; unknown keys, wrong types, out-of-range values (the runtime's
// bounds included: links, max_inflight, cores.auth, io/switch_constants.h),
// host names where an IPv4 address is needed, and duplicate link names are
// errors that name the file, the line (when the key can be found in the
// text) and the field's JSON path. What needs other files (a link's spec
// file, pan_key_file, the time zone in tzdata) is checked after parsing by
// io/config_check.h, before anything starts. Relative paths in a file (wal.dir,
// accounts, pan_key_file, a link's spec file) are resolved against the
// file's folder, defaults included, so a config folder can be moved whole.
//
// Loading happens once at start-up; nothing here is on a hot path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace authswitch::io {

enum class LinkMode { listen, connect };
enum class Framing { len2, ascii4 };
enum class Durability { sync, async };
enum class ClockSource { system, message };

// The built-in dialect; any other `spec` is a field-spec file.
inline constexpr std::string_view builtin_spec = "iso87-ascii";

struct LinkConfig {
  std::string name = "net";
  LinkMode mode = LinkMode::listen;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8583;
  Framing framing = Framing::len2;
  std::string spec{builtin_spec};  // builtin_spec, or a resolved file path
  std::uint32_t echo_interval_s = 60;  // 0: never send echoes
  std::uint32_t max_inflight = 4096;
  bool sign_on = false;
};

struct CoresConfig {
  std::vector<int> io{0};
  std::vector<int> auth{1};
};

struct WalConfig {
  std::filesystem::path dir = "./var/wal";
  Durability durability = Durability::sync;
  std::uint32_t flush_interval_ms = 2;
  std::uint64_t snapshot_every = 1'000'000;
};

struct AdminConfig {
  std::string listen = "127.0.0.1:8080";
  std::string host = "127.0.0.1";  // listen, split
  std::uint16_t port = 8080;
  std::string token = "change-me";
};

struct Config {
  std::vector<LinkConfig> links{LinkConfig{}};
  CoresConfig cores;
  WalConfig wal;
  std::filesystem::path accounts;  // empty: the generated demo data set
  std::string timezone = "Asia/Tokyo";
  ClockSource clock = ClockSource::system;
  std::uint32_t hold_days = 7;
  AdminConfig admin;
  std::uint32_t max_message_bytes = 4096;
  std::filesystem::path pan_key_file;  // empty: AUTHSWITCH_PAN_KEY or a key generated beside the log
  std::filesystem::path source;        // the file read; empty for the embedded default
};

struct ConfigError {
  std::string file;
  int line = 0;       // 0: not found in the text
  std::string field;  // JSON path, e.g. links[0].port; empty for file-level errors
  std::string reason;

  // "FILE:LINE: field: reason", leaving out what is unknown.
  [[nodiscard]] std::string message() const;
};

class [[nodiscard]] ConfigResult {
 public:
  ConfigResult(Config config) : value_(std::move(config)) {}       // NOLINT: implicit by design
  ConfigResult(ConfigError error) : value_(std::move(error)) {}    // NOLINT
  [[nodiscard]] bool ok() const noexcept { return value_.index() == 0; }
  [[nodiscard]] const Config& config() const { return std::get<Config>(value_); }
  [[nodiscard]] Config& config() { return std::get<Config>(value_); }
  [[nodiscard]] const ConfigError& error() const { return std::get<ConfigError>(value_); }

 private:
  std::variant<Config, ConfigError> value_;
};

// The embedded default (SPEC 10), with AUTHSWITCH_ADMIN_TOKEN applied when set.
[[nodiscard]] Config default_config();

// Reads `file` whole into `text`; the error names the file and why not.
// load_checked_config (io/config_check.h) reads, parses and checks.
[[nodiscard]] std::optional<ConfigError> read_config_text(const std::filesystem::path& file, std::string& text);

// Parses `json` as if read from `file` (named in errors; its folder resolves
// relative paths); reads no other file. `admin_token_env` overrides
// admin.token when not null.
[[nodiscard]] ConfigResult parse_config(std::string_view json, const std::filesystem::path& file,
                                        const char* admin_token_env = nullptr);

// One line for `authswitch check-config`: links, wal dir, durability, cores.
[[nodiscard]] std::string describe(const Config& config);

[[nodiscard]] std::string_view to_string(LinkMode mode) noexcept;
[[nodiscard]] std::string_view to_string(Framing framing) noexcept;
[[nodiscard]] std::string_view to_string(Durability durability) noexcept;
[[nodiscard]] std::string_view to_string(ClockSource clock) noexcept;

}  // namespace authswitch::io
