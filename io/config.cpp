#include "io/config.h"

#include <arpa/inet.h>
#include <simdjson.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "core/constants.h"
#include "io/json_lines.h"
#include "io/switch_constants.h"

namespace authswitch::io {
namespace {

namespace dom = simdjson::dom;
namespace fs = std::filesystem;

std::string join(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string element(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Splits "HOST:PORT" ("[::1]:8080" for IPv6); false when malformed.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string_view host_part = text.substr(0, colon);
  const std::string_view port_part = text.substr(colon + 1);
  if (host_part.front() == '[' && host_part.back() == ']') host_part = host_part.substr(1, host_part.size() - 2);
  if (host_part.empty() || port_part.size() > 5) return false;
  unsigned value = 0;
  for (const char c : port_part) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  host = std::string(host_part);
  port = static_cast<std::uint16_t>(value);
  return true;
}

template <typename Enum>
using Names = std::initializer_list<std::pair<std::string_view, Enum>>;

class Parser {
 public:
  Parser(std::string_view text, const fs::path& file) : file_(file.string()), base_(file.parent_path()), lines_(text) {}

  ConfigResult run(std::string_view json) {
    const simdjson::padded_string padded(json);
    dom::parser parser;
    dom::element root;
    if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
      return ConfigError{file_, 0, "", std::string("not valid JSON: ") + simdjson::error_message(error)};
    }
    Config config;
    if (!read_config(root, config)) return *error_;
    resolve_paths(config);
    config.source = file_;
    return config;
  }

 private:
  bool fail(const std::string& path, std::string reason, std::size_t occurrence = 0) {
    error_ = ConfigError{file_, lines_.line_of(path, occurrence), path, std::move(reason)};
    return false;
  }

  // Every key of `object` must be one of `known`, and appear once.
  bool check_keys(dom::object object, const std::string& path, std::initializer_list<std::string_view> known) {
    std::vector<std::string_view> seen;
    for (const dom::key_value_pair field : object) {
      const std::string field_path = join(path, field.key);
      bool is_known = false;
      for (const std::string_view k : known) is_known = is_known || k == field.key;
      if (!is_known) return fail(field_path, "unknown key");
      for (const std::string_view s : seen) {
        if (s == field.key) return fail(field_path, "duplicate key", 1);
      }
      seen.push_back(field.key);
    }
    return true;
  }

  bool read_object(dom::element e, const std::string& path, dom::object& out) {
    if (e.get_object().get(out) != simdjson::SUCCESS) return fail(path, "must be an object");
    return true;
  }

  bool read_string(dom::element e, const std::string& path, std::string& out) {
    std::string_view text;
    if (e.get_string().get(text) != simdjson::SUCCESS) return fail(path, "must be a string");
    if (text.empty()) return fail(path, "must not be empty");
    out = std::string(text);
    return true;
  }

  bool read_path(dom::element e, const std::string& path, fs::path& out) {
    std::string text;
    if (!read_string(e, path, text)) return false;
    out = text;
    return true;
  }

  bool read_bool(dom::element e, const std::string& path, bool& out) {
    if (e.get_bool().get(out) != simdjson::SUCCESS) return fail(path, "must be true or false");
    return true;
  }

  template <typename Int>
  bool read_uint(dom::element e, const std::string& path, std::uint64_t min, std::uint64_t max, Int& out) {
    std::uint64_t value = 0;
    const auto type = e.type();
    if (type == dom::element_type::INT64) {
      std::int64_t signed_value = 0;
      if (e.get_int64().get(signed_value) != simdjson::SUCCESS) return fail(path, "must be an integer");
      if (signed_value < 0) return out_of_range(path, min, max, std::to_string(signed_value));
      value = static_cast<std::uint64_t>(signed_value);
    } else if (type == dom::element_type::UINT64) {
      if (e.get_uint64().get(value) != simdjson::SUCCESS) return fail(path, "must be an integer");
    } else {
      return fail(path, "must be an integer");
    }
    if (value < min || value > max) return out_of_range(path, min, max, std::to_string(value));
    out = static_cast<Int>(value);
    return true;
  }

  bool out_of_range(const std::string& path, std::uint64_t min, std::uint64_t max, const std::string& got) {
    return fail(path, "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " + got + ")");
  }

  template <typename Enum>
  bool read_enum(dom::element e, const std::string& path, Names<Enum> names, Enum& out) {
    std::string_view text;
    std::string expected;
    for (const auto& [name, value] : names) expected += (expected.empty() ? "" : " or ") + in_quotes(name);
    if (e.get_string().get(text) != simdjson::SUCCESS) return fail(path, "must be " + expected);
    for (const auto& [name, value] : names) {
      if (name == text) {
        out = value;
        return true;
      }
    }
    return fail(path, "must be " + expected + " (got " + in_quotes(text) + ")");
  }

  bool read_cpu_list(dom::element e, const std::string& path, std::vector<int>& out) {
    dom::array array;
    if (e.get_array().get(array) != simdjson::SUCCESS) return fail(path, "must be an array of CPU numbers");
    out.clear();
    std::size_t index = 0;
    for (const dom::element cpu : array) {
      int value = 0;
      if (!read_uint(cpu, element(path, index++), 0, constants::cpu_index_max, value)) return false;
      out.push_back(value);
    }
    return true;
  }

  bool read_link(dom::element e, const std::string& path, LinkConfig& link) {
    dom::object object;
    if (!read_object(e, path, object)) return false;
    if (!check_keys(object, path,
                    {"name", "mode", "host", "port", "framing", "spec", "echo_interval_s", "max_inflight",
                     "sign_on"})) {
      return false;
    }
    for (const dom::key_value_pair field : object) {
      const std::string p = join(path, field.key);
      const std::string_view k = field.key;
      const dom::element v = field.value;
      bool ok = true;
      if (k == "name") {
        ok = read_string(v, p, link.name);
      } else if (k == "mode") {
        ok = read_enum<LinkMode>(v, p, {{"listen", LinkMode::listen}, {"connect", LinkMode::connect}}, link.mode);
      } else if (k == "host") {
        ok = read_string(v, p, link.host);
      } else if (k == "port") {
        ok = read_uint(v, p, 1, 65535, link.port);
      } else if (k == "framing") {
        ok = read_enum<Framing>(v, p, {{"len2", Framing::len2}, {"ascii4", Framing::ascii4}}, link.framing);
      } else if (k == "spec") {
        ok = read_string(v, p, link.spec);
      } else if (k == "echo_interval_s") {
        ok = read_uint(v, p, 0, constants::echo_interval_s_max, link.echo_interval_s);
      } else if (k == "max_inflight") {
        ok = read_uint(v, p, 1, constants::switch_link_inflight_max, link.max_inflight);
      } else if (k == "sign_on") {
        ok = read_bool(v, p, link.sign_on);
      }
      if (!ok) return false;
    }
    // Both modes take the address as is (bind and connect, io/switch_runtime.cpp):
    // a name would pass here and fail only once the switch runs.
    in_addr address{};
    if (inet_pton(AF_INET, link.host.c_str(), &address) != 1) {
      return fail(join(path, "host"), "must be an IPv4 address such as \"127.0.0.1\" (got " + in_quotes(link.host) +
                                          "; host names are not resolved)");
    }
    return true;
  }

  bool read_links(dom::element e, std::vector<LinkConfig>& links) {
    const std::string path = "links";
    dom::array array;
    if (e.get_array().get(array) != simdjson::SUCCESS) return fail(path, "must be an array of links");
    links.clear();
    std::size_t index = 0;
    for (const dom::element item : array) {
      const std::string item_path = element(path, index);
      if (index == constants::switch_links_max) {
        return fail(item_path, "too many links (at most " + std::to_string(constants::switch_links_max) +
                                   ", one per connection slot of the switch)");
      }
      LinkConfig link;
      if (!read_link(item, item_path, link)) return false;
      for (std::size_t other = 0; other < links.size(); ++other) {
        if (links[other].name == link.name) {
          return fail(join(item_path, "name"),
                      "duplicate link name " + in_quotes(link.name) + " (also " + element(path, other) + ")");
        }
      }
      links.push_back(std::move(link));
      ++index;
    }
    if (links.empty()) return fail(path, "at least one link is needed");
    return true;
  }

  bool read_cores(dom::element e, CoresConfig& cores) {
    const std::string path = "cores";
    dom::object object;
    if (!read_object(e, path, object) || !check_keys(object, path, {"io", "auth"})) return false;
    for (const dom::key_value_pair field : object) {
      if (!read_cpu_list(field.value, join(path, field.key), field.key == "io" ? cores.io : cores.auth)) return false;
    }
    if (cores.auth.size() > constants::switch_auth_threads_max) {
      return fail(join(path, "auth"), "at most " + std::to_string(constants::switch_auth_threads_max) +
                                          " CPUs, one authorization thread each (got " +
                                          std::to_string(cores.auth.size()) + ")");
    }
    return true;
  }

  bool read_wal(dom::element e, WalConfig& wal) {
    const std::string path = "wal";
    dom::object object;
    if (!read_object(e, path, object) ||
        !check_keys(object, path, {"dir", "durability", "flush_interval_ms", "snapshot_every"})) {
      return false;
    }
    for (const dom::key_value_pair field : object) {
      const std::string p = join(path, field.key);
      const std::string_view k = field.key;
      bool ok = true;
      if (k == "dir") {
        ok = read_path(field.value, p, wal.dir);
      } else if (k == "durability") {
        ok = read_enum<Durability>(field.value, p, {{"sync", Durability::sync}, {"async", Durability::async}},
                                   wal.durability);
      } else if (k == "flush_interval_ms") {
        ok = read_uint(field.value, p, 1, constants::flush_interval_ms_max, wal.flush_interval_ms);
      } else if (k == "snapshot_every") {
        ok = read_uint(field.value, p, 1, UINT64_MAX, wal.snapshot_every);
      }
      if (!ok) return false;
    }
    return true;
  }

  bool read_admin(dom::element e, AdminConfig& admin) {
    const std::string path = "admin";
    dom::object object;
    if (!read_object(e, path, object) || !check_keys(object, path, {"listen", "token"})) return false;
    for (const dom::key_value_pair field : object) {
      const std::string p = join(path, field.key);
      if (field.key == "token") {
        if (!read_string(field.value, p, admin.token)) return false;
        continue;
      }
      if (!read_string(field.value, p, admin.listen)) return false;
      if (!split_host_port(admin.listen, admin.host, admin.port)) {
        return fail(p, "must be HOST:PORT with a port from 1 to 65535 (got " + in_quotes(admin.listen) + ")");
      }
    }
    return true;
  }

  bool read_config(dom::element root, Config& config) {
    dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
      error_ = ConfigError{file_, 1, "", "the config must be a JSON object"};
      return false;
    }
    if (!check_keys(object, "",
                    {"links", "cores", "wal", "accounts", "timezone", "clock", "hold_days", "admin",
                     "max_message_bytes", "pan_key_file"})) {
      return false;
    }
    for (const dom::key_value_pair field : object) {
      const std::string p(field.key);
      const std::string_view k = field.key;
      const dom::element v = field.value;
      bool ok = true;
      if (k == "links") {
        ok = read_links(v, config.links);
      } else if (k == "cores") {
        ok = read_cores(v, config.cores);
      } else if (k == "wal") {
        ok = read_wal(v, config.wal);
      } else if (k == "accounts") {
        ok = read_path(v, p, config.accounts);
      } else if (k == "timezone") {
        ok = read_string(v, p, config.timezone);  // loaded from tzdata by check_startable (io/config_check.h)
      } else if (k == "clock") {
        ok = read_enum<ClockSource>(v, p, {{"system", ClockSource::system}, {"message", ClockSource::message}},
                                    config.clock);
      } else if (k == "hold_days") {
        ok = read_uint(v, p, 1, constants::hold_days_max, config.hold_days);
      } else if (k == "admin") {
        ok = read_admin(v, config.admin);
      } else if (k == "max_message_bytes") {
        ok = read_uint(v, p, 1, constants::max_message_bytes_ceiling, config.max_message_bytes);
      } else if (k == "pan_key_file") {
        ok = read_path(v, p, config.pan_key_file);
      }
      if (!ok) return false;
    }
    return true;
  }

  fs::path resolve(const fs::path& p) const {
    if (p.empty() || p.is_absolute() || base_.empty()) return p;
    return (base_ / p).lexically_normal();
  }

  void resolve_paths(Config& config) const {
    config.wal.dir = resolve(config.wal.dir);
    config.accounts = resolve(config.accounts);
    config.pan_key_file = resolve(config.pan_key_file);
    for (LinkConfig& link : config.links) {
      if (link.spec != builtin_spec) link.spec = resolve(link.spec).string();
    }
  }

  std::string file_;
  fs::path base_;
  JsonLines lines_;
  std::optional<ConfigError> error_;
};

void apply_admin_token(Config& config, const char* token) {
  if (token != nullptr && *token != '\0') config.admin.token = token;
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string out = "[";
  for (std::size_t i = 0; i < cpus.size(); ++i) out += (i == 0 ? "" : ",") + std::to_string(cpus[i]);
  return out + "]";
}

}  // namespace

std::string ConfigError::message() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  return out + reason;
}

Config default_config() {
  Config config;
  apply_admin_token(config, std::getenv("AUTHSWITCH_ADMIN_TOKEN"));
  return config;
}

ConfigResult parse_config(std::string_view json, const fs::path& file, const char* admin_token_env) {
  Parser parser(json, file);
  ConfigResult result = parser.run(json);
  if (result.ok()) apply_admin_token(result.config(), admin_token_env);
  return result;
}

std::optional<ConfigError> read_config_text(const fs::path& file, std::string& text) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ConfigError{file.string(), 0, "", std::string("cannot read: ") + std::strerror(errno)};
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return ConfigError{file.string(), 0, "", "cannot read"};
  text = out.str();
  return std::nullopt;
}

std::string_view to_string(LinkMode mode) noexcept { return mode == LinkMode::listen ? "listen" : "connect"; }
std::string_view to_string(Framing framing) noexcept { return framing == Framing::len2 ? "len2" : "ascii4"; }
std::string_view to_string(Durability durability) noexcept {
  return durability == Durability::sync ? "sync" : "async";
}
std::string_view to_string(ClockSource clock) noexcept { return clock == ClockSource::system ? "system" : "message"; }

std::string describe(const Config& config) {
  std::string out = std::to_string(config.links.size()) + (config.links.size() == 1 ? " link (" : " links (");
  for (std::size_t i = 0; i < config.links.size(); ++i) {
    const LinkConfig& link = config.links[i];
    if (i != 0) out += ", ";
    out += link.name + " " + std::string(to_string(link.mode)) + " " + link.host + ":" + std::to_string(link.port) +
           " " + std::string(to_string(link.framing)) + " " + link.spec;
  }
  out += "), wal " + config.wal.dir.string() + " (" + std::string(to_string(config.wal.durability)) + "), cores io " +
         cpu_list(config.cores.io) + " auth " + cpu_list(config.cores.auth);
  return out;
}

}  // namespace authswitch::io
