// `authswitch iso decode|encode` end to end: the built binary, run on the
// shared vectors (SPEC 10).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/codec/message_builder.h"
#include "tests/codec/vectors.h"

namespace authswitch::codec {
namespace {

struct ToolRun {
  int status;
  std::string out;
  std::string err;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ToolRun run(const std::string& args, const std::string& input) {
  // ctest runs tests in parallel: each test and each call gets its own files.
  static int calls = 0;
  const std::string stem = ::testing::TempDir() + "/iso_tool_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                           std::to_string(::getpid()) + "_" + std::to_string(calls++);
  const std::string in = stem + ".in", out = stem + ".out", err = stem + ".err";
  std::ofstream(in) << input;
  const std::string command =
      std::string(AUTHSWITCH_BINARY_DIR) + "/authswitch " + args + " <" + in + " >" + out + " 2>" + err;
  const int raw = std::system(command.c_str());
  ToolRun result{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(out), read_file(err)};
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  return result;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

std::map<int, std::string> parse_fields(const std::string& json) {
  std::map<int, std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  EXPECT_EQ(parser.parse(json).get_object().get(object), simdjson::SUCCESS) << json;
  for (auto [key, value] : object) {
    std::string_view text;
    EXPECT_EQ(value.get_string().get(text), simdjson::SUCCESS);
    out[std::stoi(std::string(key))] = std::string(text);
  }
  return out;
}

std::string fields_json(const std::map<int, std::string>& fields) {
  std::string out = "{";
  for (const auto& [f, text] : fields) {
    if (out.size() > 1) out += ",";
    out += "\"" + std::to_string(f) + "\":\"";
    for (const char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

TEST(IsoTool, DecodePrintsEachVectorsFields) {
  const auto vectors = test::load_vectors();
  ASSERT_FALSE(vectors.empty());
  std::string input;
  for (const auto& v : vectors) input += v.hex + "\n";
  const ToolRun r = run("iso decode", input);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), vectors.size());
  for (std::size_t i = 0; i < vectors.size(); ++i) EXPECT_EQ(parse_fields(out[i]), vectors[i].fields) << vectors[i].name;
}

TEST(IsoTool, EncodePrintsEachVectorsHex) {
  const auto vectors = test::load_vectors();
  ASSERT_FALSE(vectors.empty());
  std::string input;
  for (const auto& v : vectors) input += fields_json(v.fields) + "\n";
  const ToolRun r = run("iso encode --secondary-bitmap always", input);
  EXPECT_EQ(r.status, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), vectors.size());
  for (std::size_t i = 0; i < vectors.size(); ++i) EXPECT_EQ(out[i], vectors[i].hex) << vectors[i].name;
}

TEST(IsoTool, EncodeWritesTheSecondaryBitmapOnlyWhenNeededByDefault) {
  const ToolRun r = run("iso encode --framing none", R"({"0":"0800","11":"000001"})" "\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "30383030" "0020000000000000" "303030303031\n");
}

TEST(IsoTool, BadLinesAreReportedAndTheRestGoOn) {
  const auto vectors = test::load_vectors();
  ASSERT_GE(vectors.size(), 2u);
  std::string truncated = vectors[0].hex.substr(0, vectors[0].hex.size() - 2);
  const std::string input = vectors[0].hex + "\n" + "zz\n" + "\n" + truncated + "\n" + vectors[1].hex + "\n";
  const ToolRun r = run("iso decode", input);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.out).size(), 2u);
  const auto err = lines(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  EXPECT_EQ(err[0].rfind("line 2: not hex", 0), 0u) << err[0];
  EXPECT_EQ(err[1].rfind("line 4: message at byte", 0), 0u) << err[1];
}

TEST(IsoTool, DecodeErrorNamesTheFieldAndNeverItsValue) {
  // 0100 with field 2 = a PAN and field 3 holding a letter.
  const std::string body = "0100" + test::bitmap({2, 3}) + "16" + "4000000000000002" + "00a000";
  std::string hex;
  for (const char ch : body) {
    static constexpr char digits[] = "0123456789abcdef";
    hex += digits[static_cast<unsigned char>(ch) >> 4];
    hex += digits[static_cast<unsigned char>(ch) & 15];
  }
  const ToolRun r = run("iso decode --framing none", hex + "\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "line 1: field 3 at byte 32: character not allowed by the field's type\n");
  EXPECT_EQ(r.err.find("4000000000000002"), std::string::npos);
}

TEST(IsoTool, EncodeErrorNamesLineAndField) {
  const std::string input = R"({"0":"0100","4":"12x"})" "\n" R"({"0":"0100","999":"1"})" "\n" "[1]\n" R"({"0":"0100","52":"xyz"})" "\n" R"({"0":"0100","3":"000000"})" "\n";
  const ToolRun r = run("iso encode", input);  // len2: offsets count the 2-byte header
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.out).size(), 1u);
  const auto err = lines(r.err);
  ASSERT_EQ(err.size(), 4u) << r.err;
  EXPECT_EQ(err[0], "line 1: field 4 at byte 14: character not allowed by the field's type");
  EXPECT_EQ(err[1], "line 2: key \"999\" is not a field number (0 for the MTI, 2..128)");
  EXPECT_EQ(err[2], "line 3: not a JSON object");
  EXPECT_EQ(err[3], "line 4: field 52: b fields take hex text");
}

TEST(IsoTool, BinaryAndNonAsciiFieldsRoundTrip) {
  const std::string json = R"({"0":"0100","43":"CAF\u00c9 \"Q\" \\ TOKYO","52":"00ff10ab20cd30ef"})";
  const ToolRun enc = run("iso encode --framing ascii4", json + "\n");
  ASSERT_EQ(enc.status, 0) << enc.err;
  const ToolRun dec = run("iso decode --framing ascii4", enc.out);
  ASSERT_EQ(dec.status, 0) << dec.err;
  const auto fields = parse_fields(lines(dec.out).at(0));
  EXPECT_EQ(fields.at(52), "00ff10ab20cd30ef");
  EXPECT_EQ(fields.at(43), std::string("CAF\xc3\x89 \"Q\" \\ TOKYO") + std::string(24, ' '));  // 16 Latin-1 characters, padded to 40
}

TEST(IsoTool, HelpOnEveryLevel) {
  for (const char* args : {"iso --help", "iso decode --help", "iso encode --help", "iso -h"}) {
    const ToolRun r = run(args, "");
    EXPECT_EQ(r.status, 0) << args;
    EXPECT_EQ(r.out.rfind("usage: authswitch iso", 0), 0u) << args;
  }
  EXPECT_NE(run("iso decode --help", "").out.find("hex"), std::string::npos);
}

TEST(IsoTool, UsageErrorsExitTwo) {
  for (const char* args : {"iso", "iso frobnicate", "iso decode --framing len3", "iso decode --bogus x",
                           "iso encode --secondary-bitmap sometimes", "iso decode --spec /nonexistent.json",
                           "iso decode --spec", "iso decode --secondary-bitmap always"}) {
    const ToolRun r = run(args, "");
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_NE(r.err, "") << args;
  }
}

TEST(IsoTool, SpecPrintsTheShippedFile) {
  const ToolRun r = run("iso spec", "");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, read_file(std::string(AUTHSWITCH_SOURCE_DIR) + "/codec/specs/iso87-ascii.json"));
}

TEST(IsoTool, CustomSpecFile) {
  const std::string spec = ::testing::TempDir() + "/iso_tool_bcd_" + std::to_string(::getpid()) + ".json";
  std::ofstream(spec) << R"({"mti_encoding":"bcd","bitmap_encoding":"hex-ascii","fields":[
      {"number":2,"content_type":"n","length_type":"LLVAR","max_length":19,"prefix_encoding":"bcd","content_encoding":"bcd"}]})";
  const ToolRun enc = run("iso encode --framing none --spec " + spec, R"({"0":"0100","2":"123"})" "\n");
  ASSERT_EQ(enc.status, 0) << enc.err;
  // MTI 01 00, hex bitmap "4000000000000000", LL 03, digits 0123.
  EXPECT_EQ(enc.out, "0100" "34303030303030303030303030303030" "03" "0123\n");
  const ToolRun dec = run("iso decode --framing none --spec=" + spec, enc.out);
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(dec.out, "{\"0\":\"0100\",\"2\":\"123\"}\n");
}

}  // namespace
}  // namespace authswitch::codec
