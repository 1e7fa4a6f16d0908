#include "io/config_check.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "codec/dialect_json.h"
#include "core/zone.h"
#include "io/json_lines.h"
#include "ledger/pan_cipher.h"

namespace authswitch::io {
namespace {

class Checker {
 public:
  Checker(const Config& config, std::string_view text)
      : config_(config),
        file_(config.source.empty() ? "the embedded default config" : config.source.string()),
        lines_(text) {}

  std::optional<ConfigError> run() const {
    std::string zone_error;
    if (!core::Zone::parse(config_.timezone, &zone_error)) {
      return error("timezone", "unknown time zone \"" + config_.timezone +
                                   "\" (an IANA name such as \"Asia/Tokyo\", \"UTC\", or an offset such as "
                                   "\"+09:00\")");
    }
    for (std::size_t i = 0; i < config_.links.size(); ++i) {
      const std::string& spec = config_.links[i].spec;
      if (spec == builtin_spec) continue;
      // load_dialect's error starts with the file's path.
      if (const codec::DialectResult d = codec::load_dialect(spec); !d.dialect) {
        return error("links[" + std::to_string(i) + "].spec", "cannot use the field-spec file: " + d.error);
      }
    }
    return check_pan_key();
  }

 private:
  std::optional<ConfigError> error(const std::string& field, std::string reason) const {
    return ConfigError{file_, lines_.line_of(field), field, std::move(reason)};
  }

  // Only a key the config or the environment names: without one, start-up
  // generates a key beside the log, which a check must not do.
  std::optional<ConfigError> check_pan_key() const {
    const char* env = std::getenv(std::string(ledger::pan_key_env).c_str());
    const bool from_env = config_.pan_key_file.empty();
    if (from_env && (env == nullptr || *env == '\0')) return std::nullopt;
    ledger::PanKey key{};
    const ledger::Status s = ledger::PanCipher::load(config_.pan_key_file.string(), config_.wal.dir.string(), key);
    key.fill(0);
    if (s.ok()) return std::nullopt;
    // The environment's key is in no line of the file; the status names it.
    if (from_env) return ConfigError{file_, 0, "", s.to_string()};
    return error("pan_key_file", s.to_string());
  }

  const Config& config_;
  std::string file_;
  JsonLines lines_;
};

}  // namespace

std::optional<ConfigError> check_startable(const Config& config, std::string_view text) {
  return Checker(config, text).run();
}

ConfigResult load_checked_config(const std::filesystem::path& file) {
  std::string text;
  if (std::optional<ConfigError> e = read_config_text(file, text)) return std::move(*e);
  ConfigResult result = parse_config(text, file, std::getenv("AUTHSWITCH_ADMIN_TOKEN"));
  if (!result.ok()) return result;
  if (std::optional<ConfigError> e = check_startable(result.config(), text)) return std::move(*e);
  return result;
}

}  // namespace authswitch::io
