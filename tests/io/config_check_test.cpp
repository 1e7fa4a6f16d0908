// What start-up would refuse in a config that parses (io/config_check.h):
// the time zone, each link's field-spec file and the PAN key file, read from
// real files in a temporary folder. One case per error branch, with the
// exact message.
#include "io/config_check.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>

namespace authswitch::io {
namespace {

namespace fs = std::filesystem;

const std::string good_key(64, 'a');

// A folder with a config's neighbours: a field-spec file and a PAN key,
// good and bad ones.
class ConfigFolder {
 public:
  ConfigFolder()
      : dir_(fs::temp_directory_path() /
             ("authswitch-config-check-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(dir_);
    fs::copy_file(fs::path(AUTHSWITCH_SOURCE_DIR) / "codec/specs/iso87-ascii.json", dir_ / "spec.json");
    write("not_json.json", "fields: none\n");
    write("bad_spec.json", R"({"name": "x", "fields": [{"number": 2, "max_length": "nineteen"}]})");
    write("pan.key", good_key + "\n");
    write("short.key", good_key.substr(2) + "\n");
    write("not_hex.key", good_key.substr(1) + "g\n");
    for (const char* key : {"pan.key", "short.key", "not_hex.key"}) {
      fs::permissions(dir_ / key, fs::perms::owner_read | fs::perms::owner_write);
    }
  }
  ~ConfigFolder() { fs::remove_all(dir_); }
  ConfigFolder(const ConfigFolder&) = delete;
  ConfigFolder& operator=(const ConfigFolder&) = delete;

  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }
  // Writes `json` as switch.json and loads it as check-config does.
  ConfigResult load(const std::string& json) const {
    write("switch.json", json);
    return load_checked_config(dir_ / "switch.json");
  }
  // `text` with each @ replaced by the folder.
  std::string with_dir(const std::string& text) const {
    std::string out;
    for (const char c : text) out += c == '@' ? dir_.string() : std::string(1, c);
    return out;
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

// Each test sets AUTHSWITCH_PAN_KEY itself when it needs it.
class ConfigCheck : public testing::Test {
 protected:
  void SetUp() override { ::unsetenv("AUTHSWITCH_PAN_KEY"); }
  void TearDown() override { ::unsetenv("AUTHSWITCH_PAN_KEY"); }
  ConfigFolder folder_;
};

TEST_F(ConfigCheck, TheFilesItNamesAreReadAndNothingIsWritten) {
  const ConfigResult r = folder_.load(R"({"links": [{"spec": "spec.json"}], "pan_key_file": "pan.key",
    "timezone": "Europe/London", "wal": {"dir": "wal"}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.config().links[0].spec, (folder_.dir() / "spec.json").string());
  EXPECT_FALSE(fs::exists(folder_.dir() / "wal"));
}

// Without pan_key_file or AUTHSWITCH_PAN_KEY, start-up generates a key beside
// the log: a check must not.
TEST_F(ConfigCheck, NoKeyNamedGeneratesNone) {
  const ConfigResult r = folder_.load(R"({"wal": {"dir": "wal"}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(fs::exists(folder_.dir() / "wal"));
}

TEST_F(ConfigCheck, TheEnvironmentsKeyIsCheckedWhenNoFileIsNamed) {
  ::setenv("AUTHSWITCH_PAN_KEY", good_key.c_str(), 1);
  EXPECT_TRUE(folder_.load("{}").ok());
  ::setenv("AUTHSWITCH_PAN_KEY", "abc", 1);
  const ConfigResult r = folder_.load("{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            folder_.with_dir("@/switch.json: bad_key: AUTHSWITCH_PAN_KEY: holds 64 hex characters (32 bytes)"));
}

TEST_F(ConfigCheck, TheEmbeddedDefaultPasses) { EXPECT_EQ(check_startable(default_config(), ""), std::nullopt); }

TEST_F(ConfigCheck, TheEmbeddedDefaultIsNamedInItsErrors) {
  Config c = default_config();
  c.timezone = "Mars/Olympus";
  const std::optional<ConfigError> e = check_startable(c, "");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message(), "the embedded default config: timezone: unknown time zone \"Mars/Olympus\" (an IANA name "
                          "such as \"Asia/Tokyo\", \"UTC\", or an offset such as \"+09:00\")");
}

struct CheckCase {
  const char* name;
  const char* json;
  const char* message;  // @: the folder
  friend std::ostream& operator<<(std::ostream& out, const CheckCase& c) { return out << c.name; }
};

class ConfigCheckErrors : public ConfigCheck, public testing::WithParamInterface<CheckCase> {};

TEST_P(ConfigCheckErrors, NameFileLineFieldAndReason) {
  const ConfigResult r = folder_.load(GetParam().json);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), folder_.with_dir(GetParam().message));
}

#define TZ_HINT "(an IANA name such as \"Asia/Tokyo\", \"UTC\", or an offset such as \"+09:00\")"

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigCheckErrors,
    testing::Values(
        CheckCase{"timezone", "{\"timezone\": \"Asia/Tokio\"}",
                  "@/switch.json:1: timezone: unknown time zone \"Asia/Tokio\" " TZ_HINT},
        CheckCase{"timezone_offset", "{\"timezone\": \"+25:00\"}",
                  "@/switch.json:1: timezone: unknown time zone \"+25:00\" " TZ_HINT},
        // A file of the tzdata folder that is no zone: the folder has it, the
        // date library refuses it (a file-exists check passed it).
        CheckCase{"timezone_not_a_zone", "{\n\"timezone\": \"zone.tab\"}",
                  "@/switch.json:2: timezone: unknown time zone \"zone.tab\" " TZ_HINT},
        CheckCase{"spec_missing", "{\"links\": [{\"spec\": \"missing.json\"}]}",
                  "@/switch.json:1: links[0].spec: cannot use the field-spec file: @/missing.json: cannot read the "
                  "file"},
        CheckCase{"spec_not_json", "{\"links\": [{\"name\": \"a\"},\n {\"name\": \"b\", \"spec\": \"not_json.json\"}]}",
                  "@/switch.json:2: links[1].spec: cannot use the field-spec file: @/not_json.json: not valid JSON: "
                  "Problem while parsing an atom starting with the letter 'f'"},
        CheckCase{"spec_bad_field", "{\"links\": [{\"spec\": \"bad_spec.json\"}]}",
                  "@/switch.json:1: links[0].spec: cannot use the field-spec file: @/bad_spec.json: "
                  "fields[0].max_length: must be an integer"},
        CheckCase{"pan_key_missing", "{\"pan_key_file\": \"missing.key\"}",
                  "@/switch.json:1: pan_key_file: bad_key: @/missing.key: io: @/missing.key: open: No such file or "
                  "directory"},
        CheckCase{"pan_key_short", "{\"wal\": {},\n \"pan_key_file\": \"short.key\"}",
                  "@/switch.json:2: pan_key_file: bad_key: @/short.key: a PAN key file holds 64 hex characters (32 "
                  "bytes)"},
        CheckCase{"pan_key_not_hex", "{\"pan_key_file\": \"not_hex.key\"}",
                  "@/switch.json:1: pan_key_file: bad_key: @/not_hex.key: a PAN key file holds 64 hex characters "
                  "(32 bytes)"}));

}  // namespace
}  // namespace authswitch::io
