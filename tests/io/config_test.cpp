#include "io/config.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>

namespace authswitch::io {
namespace {

ConfigResult parse(const std::string& json, const char* file = "/etc/authswitch/switch.json") {
  return parse_config(json, file);
}

TEST(Config, EmbeddedDefaultMatchesSpec10) {
  const Config c = Config{};
  ASSERT_EQ(c.links.size(), 1u);
  const LinkConfig& link = c.links[0];
  EXPECT_EQ(link.name, "net");
  EXPECT_EQ(link.mode, LinkMode::listen);
  EXPECT_EQ(link.host, "127.0.0.1");
  EXPECT_EQ(link.port, 8583);
  EXPECT_EQ(link.framing, Framing::len2);
  EXPECT_EQ(link.spec, "iso87-ascii");
  EXPECT_EQ(link.echo_interval_s, 60u);
  EXPECT_EQ(link.max_inflight, 4096u);
  EXPECT_FALSE(link.sign_on);
  EXPECT_EQ(c.cores.io, std::vector<int>{0});
  EXPECT_EQ(c.cores.auth, std::vector<int>{1});
  EXPECT_EQ(c.wal.dir, "./var/wal");
  EXPECT_EQ(c.wal.durability, Durability::sync);
  EXPECT_EQ(c.wal.flush_interval_ms, 2u);
  EXPECT_EQ(c.wal.snapshot_every, 1'000'000u);
  EXPECT_TRUE(c.accounts.empty());  // the generated demo data set
  EXPECT_EQ(c.timezone, "Asia/Tokyo");
  EXPECT_EQ(c.clock, ClockSource::system);
  EXPECT_EQ(c.hold_days, 7u);
  EXPECT_EQ(c.admin.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.admin.host, "127.0.0.1");
  EXPECT_EQ(c.admin.port, 8080);
  EXPECT_EQ(c.max_message_bytes, 4096u);
  EXPECT_TRUE(c.pan_key_file.empty());
}

TEST(Config, EmptyObjectGivesTheDefaultsWithPathsUnderTheFilesFolder) {
  const ConfigResult r = parse("{}");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.config().links.size(), 1u);
  EXPECT_EQ(r.config().wal.dir, "/etc/authswitch/var/wal");
  EXPECT_EQ(r.config().source, "/etc/authswitch/switch.json");
}

TEST(Config, ParsesSpec10sFullExample) {
  const ConfigResult r = parse(R"({"links":[{"name":"net","mode":"listen","host":"127.0.0.1","port":8583,
           "framing":"len2","spec":"iso87-ascii","echo_interval_s":60,
           "max_inflight":4096,"sign_on":false}],
 "cores":{"io":[0],"auth":[1]},
 "wal":{"dir":"./var/wal","durability":"sync","flush_interval_ms":2,"snapshot_every":1000000},
 "accounts":"./accounts.ndjson","timezone":"Asia/Tokyo","clock":"system",
 "hold_days":7,"admin":{"listen":"127.0.0.1:8080","token":"change-me"},
 "max_message_bytes":4096})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.config().accounts, "/etc/authswitch/accounts.ndjson");
  EXPECT_EQ(r.config().admin.token, "change-me");
}

TEST(Config, ReadsEveryNonDefaultValue) {
  const ConfigResult r = parse(R"({
    "links": [{"name": "visa", "mode": "connect", "host": "10.0.0.5", "port": 9001, "framing": "ascii4",
               "spec": "specs/visa.json", "echo_interval_s": 0, "max_inflight": 10, "sign_on": true},
              {"name": "mc", "port": 9002}],
    "cores": {"io": [2, 3], "auth": []},
    "wal": {"dir": "/data/wal", "durability": "async", "flush_interval_ms": 5, "snapshot_every": 10},
    "accounts": "../shared/accounts.ndjson", "timezone": "+09:00", "clock": "message", "hold_days": 30,
    "admin": {"listen": "[::1]:9090", "token": "s3cret"}, "max_message_bytes": 65535,
    "pan_key_file": "keys/pan.key"})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Config& c = r.config();
  ASSERT_EQ(c.links.size(), 2u);
  EXPECT_EQ(c.links[0].mode, LinkMode::connect);
  EXPECT_EQ(c.links[0].framing, Framing::ascii4);
  EXPECT_EQ(c.links[0].spec, "/etc/authswitch/specs/visa.json");
  EXPECT_EQ(c.links[0].echo_interval_s, 0u);
  EXPECT_EQ(c.links[0].max_inflight, 10u);
  EXPECT_TRUE(c.links[0].sign_on);
  EXPECT_EQ(c.links[1].name, "mc");
  EXPECT_EQ(c.links[1].port, 9002);
  EXPECT_EQ(c.links[1].mode, LinkMode::listen);  // defaults fill the rest
  EXPECT_EQ((std::vector<int>{2, 3}), c.cores.io);
  EXPECT_TRUE(c.cores.auth.empty());
  EXPECT_EQ(c.wal.dir, "/data/wal");  // absolute paths stay
  EXPECT_EQ(c.wal.durability, Durability::async);
  EXPECT_EQ(c.wal.flush_interval_ms, 5u);
  EXPECT_EQ(c.wal.snapshot_every, 10u);
  EXPECT_EQ(c.accounts, "/etc/shared/accounts.ndjson");
  EXPECT_EQ(c.timezone, "+09:00");
  EXPECT_EQ(c.clock, ClockSource::message);
  EXPECT_EQ(c.hold_days, 30u);
  EXPECT_EQ(c.admin.host, "::1");
  EXPECT_EQ(c.admin.port, 9090);
  EXPECT_EQ(c.admin.token, "s3cret");
  EXPECT_EQ(c.max_message_bytes, 65535u);
  EXPECT_EQ(c.pan_key_file, "/etc/authswitch/keys/pan.key");
}

TEST(Config, AFileWithoutAFolderKeepsPathsRelativeToTheWorkingDirectory) {
  const ConfigResult r = parse(R"({"wal":{"dir":"wal"}})", "switch.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.config().wal.dir, "wal");
}

TEST(Config, EnvironmentTokenOverridesTheFile) {
  const ConfigResult r = parse_config(R"({"admin":{"token":"from-file"}})", "c.json", "from-env");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config().admin.token, "from-env");
  const ConfigResult empty_env = parse_config(R"({"admin":{"token":"from-file"}})", "c.json", "");
  EXPECT_EQ(empty_env.config().admin.token, "from-file");
}

TEST(Config, DescribeSummarisesInOneLine) {
  EXPECT_EQ(describe(Config{}),
            "1 link (net listen 127.0.0.1:8583 len2 iso87-ascii), wal ./var/wal (sync), cores io [0] auth [1]");
}

// One case per error branch: the exact message, with the line where the key
// stands in the text.
struct ErrorCase {
  const char* name;
  const char* json;
  const char* message;
  friend std::ostream& operator<<(std::ostream& out, const ErrorCase& c) { return out << c.name; }
};

class ConfigErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameFileLineFieldAndReason) {
  const ConfigResult r = parse_config(GetParam().json, "conf/switch.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrors,
    testing::Values(
        ErrorCase{"not_json", "{\"links\":", "conf/switch.json: not valid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc."},
        ErrorCase{"not_object", "[1]", "conf/switch.json:1: the config must be a JSON object"},
        ErrorCase{"unknown_top", "{\n\"link\": []}", "conf/switch.json:2: link: unknown key"},
        ErrorCase{"unknown_in_link", "{\"links\": [\n {\"name\": \"a\"},\n {\"prot\": 1}]}",
                  "conf/switch.json:3: links[1].prot: unknown key"},
        ErrorCase{"duplicate_key", "{\"hold_days\": 1,\n\"hold_days\": 2}",
                  "conf/switch.json:2: hold_days: duplicate key"},
        ErrorCase{"links_not_array", "{\"links\": {}}", "conf/switch.json:1: links: must be an array of links"},
        ErrorCase{"links_empty", "{\"links\": []}", "conf/switch.json:1: links: at least one link is needed"},
        ErrorCase{"link_not_object", "{\"links\": [\n 3]}", "conf/switch.json:2: links[0]: must be an object"},
        ErrorCase{"name_type", "{\"links\": [{\"name\": 5}]}", "conf/switch.json:1: links[0].name: must be a string"},
        ErrorCase{"name_empty", "{\"links\": [{\"name\": \"\"}]}",
                  "conf/switch.json:1: links[0].name: must not be empty"},
        ErrorCase{"duplicate_link", "{\"links\": [{\"name\": \"a\"},\n {\"name\": \"a\"}]}",
                  "conf/switch.json:2: links[1].name: duplicate link name \"a\" (also links[0])"},
        ErrorCase{"default_names_clash", "{\"links\": [{}, {}]}",
                  "conf/switch.json:1: links[1].name: duplicate link name \"net\" (also links[0])"},
        ErrorCase{"mode", "{\"links\": [{\"mode\": \"lisen\"}]}",
                  "conf/switch.json:1: links[0].mode: must be \"listen\" or \"connect\" (got \"lisen\")"},
        ErrorCase{"mode_type", "{\"links\": [{\"mode\": 1}]}",
                  "conf/switch.json:1: links[0].mode: must be \"listen\" or \"connect\""},
        ErrorCase{"framing", "{\"links\": [{\"framing\": \"len4\"}]}",
                  "conf/switch.json:1: links[0].framing: must be \"len2\" or \"ascii4\" (got \"len4\")"},
        ErrorCase{"port_zero", "{\"links\": [{\"port\": 0}]}",
                  "conf/switch.json:1: links[0].port: must be between 1 and 65535 (got 0)"},
        ErrorCase{"port_high", "{\"links\": [{\"port\": 65536}]}",
                  "conf/switch.json:1: links[0].port: must be between 1 and 65535 (got 65536)"},
        ErrorCase{"port_negative", "{\"links\": [{\"port\": -1}]}",
                  "conf/switch.json:1: links[0].port: must be between 1 and 65535 (got -1)"},
        ErrorCase{"port_float", "{\"links\": [{\"port\": 8583.5}]}",
                  "conf/switch.json:1: links[0].port: must be an integer"},
        ErrorCase{"port_string", "{\"links\": [{\"port\": \"8583\"}]}",
                  "conf/switch.json:1: links[0].port: must be an integer"},
        ErrorCase{"port_huge", "{\"links\": [{\"port\": 18446744073709551615}]}",
                  "conf/switch.json:1: links[0].port: must be between 1 and 65535 (got 18446744073709551615)"},
        ErrorCase{"max_inflight", "{\"links\": [{\"max_inflight\": 0}]}",
                  "conf/switch.json:1: links[0].max_inflight: must be between 1 and 4096 (got 0)"},
        // A link holds at most 4096 in flight, and one connection's table as many (switch_link_inflight_max).
        ErrorCase{"max_inflight_above_the_bound", "{\"links\": [{\"max_inflight\": 4097}]}",
                  "conf/switch.json:1: links[0].max_inflight: must be between 1 and 4096 (got 4097)"},
        // The runtime has 8 connection slots (switch_links_max).
        ErrorCase{"links_above_the_slots",
                  "{\"links\": [{\"name\": \"l0\"}, {\"name\": \"l1\"}, {\"name\": \"l2\"}, {\"name\": \"l3\"},\n"
                  "{\"name\": \"l4\"}, {\"name\": \"l5\"}, {\"name\": \"l6\"}, {\"name\": \"l7\"},\n"
                  "{\"name\": \"l8\"}]}",
                  "conf/switch.json:3: links[8]: too many links (at most 8, one per connection slot of the switch)"},
        ErrorCase{"listen_host_name", "{\"links\": [\n{\"host\": \"localhost\"}]}",
                  "conf/switch.json:2: links[0].host: must be an IPv4 address such as \"127.0.0.1\" (got "
                  "\"localhost\"; host names are not resolved)"},
        ErrorCase{"connect_host_name", "{\"links\": [{\"mode\": \"connect\",\n \"host\": \"acquirer.example\"}]}",
                  "conf/switch.json:2: links[0].host: must be an IPv4 address such as \"127.0.0.1\" (got "
                  "\"acquirer.example\"; host names are not resolved)"},
        ErrorCase{"host_ipv6", "{\"links\": [{\"host\": \"::1\"}]}",
                  "conf/switch.json:1: links[0].host: must be an IPv4 address such as \"127.0.0.1\" (got "
                  "\"::1\"; host names are not resolved)"},
        ErrorCase{"echo", "{\"links\": [{\"echo_interval_s\": 86401}]}",
                  "conf/switch.json:1: links[0].echo_interval_s: must be between 0 and 86400 (got 86401)"},
        ErrorCase{"sign_on", "{\"links\": [{\"sign_on\": \"yes\"}]}",
                  "conf/switch.json:1: links[0].sign_on: must be true or false"},
        ErrorCase{"cores_type", "{\"cores\": [0]}", "conf/switch.json:1: cores: must be an object"},
        ErrorCase{"cores_unknown", "{\"cores\": {\"wal\": [0]}}", "conf/switch.json:1: cores.wal: unknown key"},
        ErrorCase{"cores_list", "{\"cores\": {\"io\": 0}}",
                  "conf/switch.json:1: cores.io: must be an array of CPU numbers"},
        // One authorization thread per entry; the runtime has 4 (switch_auth_threads_max).
        ErrorCase{"cores_auth_above_the_threads", "{\"cores\": {\"io\": [0],\n \"auth\": [0, 1, 2, 3, 4]}}",
                  "conf/switch.json:2: cores.auth: at most 4 CPUs, one authorization thread each (got 5)"},
        ErrorCase{"cores_negative", "{\"cores\": {\"io\": [0,\n -1]}}",
                  "conf/switch.json:2: cores.io[1]: must be between 0 and 1023 (got -1)"},
        ErrorCase{"wal_type", "{\"wal\": \"./wal\"}", "conf/switch.json:1: wal: must be an object"},
        ErrorCase{"wal_unknown", "{\"wal\": {\"fsync\": true}}", "conf/switch.json:1: wal.fsync: unknown key"},
        ErrorCase{"wal_dir", "{\"wal\": {\"dir\": 1}}", "conf/switch.json:1: wal.dir: must be a string"},
        ErrorCase{"durability", "{\"wal\": {\"durability\": \"fsync\"}}",
                  "conf/switch.json:1: wal.durability: must be \"sync\" or \"async\" (got \"fsync\")"},
        ErrorCase{"flush_interval", "{\"wal\": {\"flush_interval_ms\": 0}}",
                  "conf/switch.json:1: wal.flush_interval_ms: must be between 1 and 10000 (got 0)"},
        ErrorCase{"snapshot_every", "{\"wal\": {\"snapshot_every\": 0}}",
                  "conf/switch.json:1: wal.snapshot_every: must be between 1 and 18446744073709551615 (got 0)"},
        ErrorCase{"accounts", "{\"accounts\": null}", "conf/switch.json:1: accounts: must be a string"},
        ErrorCase{"clock", "{\"clock\": \"wall\"}",
                  "conf/switch.json:1: clock: must be \"system\" or \"message\" (got \"wall\")"},
        ErrorCase{"hold_days", "{\"hold_days\": 0}", "conf/switch.json:1: hold_days: must be between 1 and 3650 (got 0)"},
        ErrorCase{"admin_type", "{\"admin\": true}", "conf/switch.json:1: admin: must be an object"},
        ErrorCase{"admin_unknown", "{\"admin\": {\"user\": \"x\"}}", "conf/switch.json:1: admin.user: unknown key"},
        ErrorCase{"admin_listen", "{\"admin\": {\"listen\": \"localhost\"}}",
                  "conf/switch.json:1: admin.listen: must be HOST:PORT with a port from 1 to 65535 (got \"localhost\")"},
        ErrorCase{"admin_port", "{\"admin\": {\"listen\": \"127.0.0.1:99999\"}}",
                  "conf/switch.json:1: admin.listen: must be HOST:PORT with a port from 1 to 65535 (got \"127.0.0.1:99999\")"},
        ErrorCase{"admin_token", "{\"admin\": {\"token\": \"\"}}", "conf/switch.json:1: admin.token: must not be empty"},
        ErrorCase{"max_message_bytes_zero", "{\"max_message_bytes\": 0}",
                  "conf/switch.json:1: max_message_bytes: must be between 1 and 65535 (got 0)"},
        ErrorCase{"max_message_bytes_high", "{\n\n\"max_message_bytes\": 65536}",
                  "conf/switch.json:3: max_message_bytes: must be between 1 and 65535 (got 65536)"},
        ErrorCase{"pan_key_file", "{\"pan_key_file\": []}", "conf/switch.json:1: pan_key_file: must be a string"}));

TEST(Config, MissingFileIsAnErrorNamingIt) {
  std::string text;
  const std::optional<ConfigError> e = read_config_text("/nonexistent/authswitch.json", text);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message(), "/nonexistent/authswitch.json: cannot read: No such file or directory");
}

TEST(Config, TheRuntimesBoundsAreAccepted) {
  const ConfigResult r = parse(R"({"links": [{"name": "l0", "max_inflight": 4096}, {"name": "l1"}, {"name": "l2"},
    {"name": "l3"}, {"name": "l4"}, {"name": "l5"}, {"name": "l6"},
    {"name": "l7", "mode": "connect", "host": "10.1.2.3"}], "cores": {"auth": [0, 1, 2, 3]}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.config().links.size(), 8u);
}

}  // namespace
}  // namespace authswitch::io
