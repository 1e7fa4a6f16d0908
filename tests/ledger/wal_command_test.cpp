// `authswitch wal dump|verify`, run in-process.
#include "ledger/wal_command.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "ledger/snapshot.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger {
namespace {

using testing::LogBuilder;
using testing::TempDir;

struct CommandRun {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

CommandRun run(std::vector<std::string> args, const RecordRegistry& registry = wal_record_registry()) {
  args.insert(args.begin(), "wal");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  CommandRun r;
  r.code = run_wal_command(static_cast<int>(argv.size()), argv.data(), out, err, registry);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::size_t lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

// A decision-like event: a masked PAN and an amount.
void print_test_event(std::span<const std::byte> payload, bool json, std::string& out) {
  const std::string text = testing::text_of(payload);
  out += json ? "{\"pan\":\"" + text + "\"}" : "pan=" + text;
}

LogBuilder small_log() {
  LogBuilder b;
  b.segment();
  b.record("400000******7899", 5);
  b.record("411111******1111", 5);
  b.record("opaque", 6);
  return b;
}

TEST(WalCommand, HelpGoesToStdoutWithExitZero) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"dump", "--help"},
                                                                 {"verify", "--help"}, {"dump", "x", "-h"}}) {
    const CommandRun r = run(args);
    EXPECT_EQ(r.code, 0) << args[0];
    EXPECT_NE(r.out.find("usage: authswitch wal"), std::string::npos);
    EXPECT_TRUE(r.err.empty());
  }
}

TEST(WalCommand, UsageErrorsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"bogus"}, {"dump"}, {"verify"}, {"dump", "a", "b"}, {"verify", "a", "b"}, {"dump", "a", "--jsn"},
           {"dump", "a", "--from"}, {"dump", "a", "--from", "x1"}, {"verify", "a", "--json"}}) {
    const CommandRun r = run(args);
    EXPECT_EQ(r.code, 2) << (args.empty() ? "(none)" : args.back());
    EXPECT_NE(r.err.find("usage:"), std::string::npos);
  }
}

TEST(WalCommand, MissingFolderIsARuntimeFailure) {
  TempDir dir;
  EXPECT_EQ(run({"dump", dir.file("nope")}).code, 1);
  EXPECT_EQ(run({"verify", dir.file("nope")}).code, 1);
}

TEST(WalCommand, DumpPrintsOneLinePerRecordWithRegisteredNames) {
  TempDir dir;
  small_log().write(dir.path(), 1024);
  RecordRegistry registry;
  ASSERT_TRUE(registry.add(5, "test_decision", &print_test_event));
  EXPECT_FALSE(registry.add(5, "twice", &print_test_event));
  const CommandRun r = run({"dump", dir.path()}, registry);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(lines(r.out), 4u);
  EXPECT_NE(r.out.find("seq=1 time=2023-11-14T22:13:20.000000001Z type=segment_header len=16 magic=ok"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("seq=2 time=2023-11-14T22:13:20.000000002Z type=test_decision len=16 pan=400000******7899"),
            std::string::npos)
      << r.out;
  // No printer: name and length only, the bytes never shown.
  EXPECT_NE(r.out.find("type=type_0x0006 len=6\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("opaque"), std::string::npos);
}

TEST(WalCommand, DumpJsonAndFrom) {
  TempDir dir;
  small_log().write(dir.path());
  RecordRegistry registry;
  ASSERT_TRUE(registry.add(5, "test_decision", &print_test_event));
  const CommandRun r = run({"dump", dir.path(), "--json", "--from", "3"}, registry);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"seq\":3,\"time\":\"2023-11-14T22:13:20.000000003Z\",\"type\":\"test_decision\",\"type_id\":5,"
            "\"length\":16,\"payload\":{\"pan\":\"411111******1111\"}}\n"
            "{\"seq\":4,\"time\":\"2023-11-14T22:13:20.000000004Z\",\"type\":\"type_0x0006\",\"type_id\":6,"
            "\"length\":6,\"payload\":null}\n");
}

TEST(WalCommand, VerifyGoodLogPrintsASummary) {
  TempDir dir;
  small_log().write(dir.path(), 1024);
  ASSERT_TRUE(write_snapshot(dir.path(), 2, [](SnapshotSink&) { return Status{}; }));
  const CommandRun r = run({"verify", dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, dir.path() + ": ok: 4 records, sequences 1..4, 1 segments, 1 snapshots\n");
}

TEST(WalCommand, VerifyReportsATornTailWithoutFailing) {
  TempDir dir;
  LogBuilder b = small_log();
  b.last().bytes.resize(b.last().bytes.size() - 3);
  b.write(dir.path(), 1024);
  const CommandRun r = run({"verify", dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("3 records"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("torn tail"), std::string::npos) << r.out;
}

TEST(WalCommand, VerifyNamesFileAndOffsetOfTheFirstFault) {
  TempDir dir;
  LogBuilder b = small_log();
  const std::size_t second = b.last().offsets[2];
  b.last().bytes[second + format::header_bytes + 1] ^= std::byte{4};
  const auto paths = b.write(dir.path(), 1024);
  const CommandRun r = run({"verify", dir.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad_crc: " + paths[0] + " at offset " + std::to_string(second)), std::string::npos) << r.err;
  const CommandRun d = run({"dump", dir.path()});
  EXPECT_EQ(d.code, 1);
  EXPECT_EQ(lines(d.out), 2u) << "records before the fault are still shown";
}

TEST(WalCommand, VerifyFailsOnABadSnapshot) {
  TempDir dir;
  small_log().write(dir.path());
  testing::write_bytes(dir.file(snapshot_file_name(3)), testing::Bytes(60));
  const CommandRun r = run({"verify", dir.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(snapshot_file_name(3)), std::string::npos) << r.err;
}

}  // namespace
}  // namespace authswitch::ledger
