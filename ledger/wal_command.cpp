#include "ledger/wal_command.h"

#include <sys/stat.h>

#include <cinttypes>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/log_reader.h"
#include "ledger/record_format.h"
#include "ledger/snapshot.h"

namespace authswitch::ledger {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

constexpr const char* wal_usage =
    "usage: authswitch wal dump DIR [--json] [--from SEQ]\n"
    "       authswitch wal verify DIR\n"
    "\n"
    "Reads the write-ahead log in DIR.\n"
    "  dump    one line per record: sequence, UTC time, type, length and a summary of\n"
    "          the payload (never a raw PAN); --json prints one JSON object a line;\n"
    "          --from starts at a sequence number\n"
    "  verify  checks every record's CRC, length and type, the dense sequence across\n"
    "          segments and every snapshot; prints a summary line and exits 0, or names\n"
    "          the file and byte offset of the first fault and exits 1\n"
    "\n"
    "exit status: 0 good, 1 fault found or log unreadable, 2 usage error.\n";

constexpr const char* dump_usage =
    "usage: authswitch wal dump DIR [--json] [--from SEQ]\n"
    "\n"
    "Prints every record of the log in DIR, one a line: seq, time (UTC, ISO 8601),\n"
    "type name, payload length, payload summary. PANs appear masked or not at all.\n"
    "  --json      one JSON object a line\n"
    "  --from SEQ  start at sequence SEQ (default: the oldest record kept)\n";

constexpr const char* verify_usage =
    "usage: authswitch wal verify DIR\n"
    "\n"
    "Checks every CRC and the sequence of the log in DIR, and every snapshot.\n"
    "Exit 0 with a summary line when good; exit 1 naming the file and offset of\n"
    "the first fault. A torn tail (an unfinished last write) is reported, not a fault.\n";

bool is_help(std::string_view arg) { return arg == "--help" || arg == "-h"; }

int usage_error(std::FILE* err, const char* message, const char* usage) {
  std::fprintf(err, "authswitch wal: %s\n\n%s", message, usage);
  return exit_usage;
}

std::string iso_time(std::int64_t ns) {
  const std::int64_t seconds = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
  const auto nanos = static_cast<long>(ns - seconds * 1'000'000'000);
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
  return buf;
}

std::string type_label(std::uint16_t type, const RecordTypeInfo* info) {
  if (info != nullptr) return std::string(info->name);
  char buf[16];
  std::snprintf(buf, sizeof buf, "type_0x%04x", type);
  return buf;
}

void print_record(std::FILE* out, const RecordView& r, bool json, const RecordRegistry& registry) {
  const RecordTypeInfo* info = registry.find(r.type);
  std::string line;
  if (json) {
    line = "{\"seq\":" + std::to_string(r.sequence) + ",\"time\":\"" + iso_time(r.timestamp_ns) + "\",\"type\":\"" +
           type_label(r.type, info) + "\",\"type_id\":" + std::to_string(r.type) +
           ",\"length\":" + std::to_string(r.payload.size()) + ",\"payload\":";
    if (info != nullptr && info->print != nullptr) {
      info->print(r.payload, true, line);
    } else {
      line += "null";
    }
    line += "}";
  } else {
    line = "seq=" + std::to_string(r.sequence) + " time=" + iso_time(r.timestamp_ns) +
           " type=" + type_label(r.type, info) + " len=" + std::to_string(r.payload.size());
    if (info != nullptr && info->print != nullptr) {
      std::string summary;
      info->print(r.payload, false, summary);
      if (!summary.empty()) line += " " + summary;
    }
  }
  line += "\n";
  std::fputs(line.c_str(), out);
}

// The oldest sequence still in the log (segments behind a snapshot may be gone).
Status oldest_sequence(const std::string& dir, std::uint64_t& first) {
  std::vector<SegmentFile> segments;
  if (Status s = list_segments(dir, segments); !s) return s;
  first = segments.empty() ? 1 : segments.front().first_sequence;
  return Status{};
}

bool folder_exists(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int dump(int argc, char** argv, std::FILE* out, std::FILE* err, const RecordRegistry& registry) {
  std::optional<std::string> dir;
  bool json = false;
  std::optional<std::uint64_t> from;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (is_help(arg)) {
      std::fputs(dump_usage, out);
      return exit_ok;
    }
    if (arg == "--json") {
      json = true;
    } else if (arg == "--from") {
      if (i + 1 == argc) return usage_error(err, "--from needs a sequence number", dump_usage);
      char* end = nullptr;
      const char* text = argv[++i];
      const unsigned long long v = std::strtoull(text, &end, 10);
      if (*text == '\0' || *end != '\0' || *text == '-') {
        return usage_error(err, "--from needs a sequence number", dump_usage);
      }
      from = v;
    } else if (arg.starts_with("-")) {
      const std::string message = "unknown option '" + std::string(arg) + "'";
      return usage_error(err, message.c_str(), dump_usage);
    } else if (dir) {
      return usage_error(err, "dump takes one folder", dump_usage);
    } else {
      dir = std::string(arg);
    }
  }
  if (!dir) return usage_error(err, "dump needs the log folder", dump_usage);
  if (!folder_exists(*dir)) {
    std::fprintf(err, "authswitch wal dump: %s: no such folder\n", dir->c_str());
    return exit_failure;
  }
  std::uint64_t start = 1;
  if (from) {
    start = *from;
  } else if (Status s = oldest_sequence(*dir, start); !s) {
    std::fprintf(err, "authswitch wal dump: %s\n", s.to_string().c_str());
    return exit_failure;
  }
  LogReader reader;
  Status s = reader.open(*dir, start);
  RecordView r;
  bool has = s.ok();
  while (has) {
    s = reader.next(r, has);
    if (!s) break;
    if (has) print_record(out, r, json, registry);
  }
  if (!s) {
    std::fflush(out);
    std::fprintf(err, "authswitch wal dump: %s\n", s.to_string().c_str());
    return exit_failure;
  }
  if (const auto& cut = reader.tail_cut()) {
    std::fprintf(err, "authswitch wal dump: torn tail: %s; cut at the next start\n", describe(*cut).c_str());
  }
  return exit_ok;
}

int verify(int argc, char** argv, std::FILE* out, std::FILE* err) {
  std::optional<std::string> dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (is_help(arg)) {
      std::fputs(verify_usage, out);
      return exit_ok;
    }
    if (arg.starts_with("-")) {
      const std::string message = "unknown option '" + std::string(arg) + "'";
      return usage_error(err, message.c_str(), verify_usage);
    }
    if (dir) return usage_error(err, "verify takes one folder", verify_usage);
    dir = std::string(arg);
  }
  if (!dir) return usage_error(err, "verify needs the log folder", verify_usage);
  if (!folder_exists(*dir)) {
    std::fprintf(err, "authswitch wal verify: %s: no such folder\n", dir->c_str());
    return exit_failure;
  }
  std::uint64_t start = 1;
  LogReader reader;
  Status s = oldest_sequence(*dir, start);
  if (s) s = reader.open(*dir, start);
  std::uint64_t records = 0;
  std::uint64_t first_seen = 0;
  RecordView r;
  bool has = s.ok();
  while (has) {
    s = reader.next(r, has);
    if (!s) break;
    if (has && records++ == 0) first_seen = r.sequence;
  }
  if (!s) {
    std::fprintf(err, "authswitch wal verify: FAULT %s\n", s.to_string().c_str());
    return exit_failure;
  }
  std::vector<SnapshotFile> snapshots;
  if (Status ls = list_snapshots(*dir, snapshots); !ls) {
    std::fprintf(err, "authswitch wal verify: FAULT %s\n", ls.to_string().c_str());
    return exit_failure;
  }
  for (const SnapshotFile& f : snapshots) {
    SnapshotInfo info;
    Status vs = verify_snapshot(f.path, info);
    if (vs && info.covered_sequence != f.covered_sequence) {
      vs = Status::error(Fault::bad_snapshot, f.path, 16, "covers a sequence other than the one in its name");
    }
    if (!vs) {
      std::fprintf(err, "authswitch wal verify: FAULT %s\n", vs.to_string().c_str());
      return exit_failure;
    }
  }
  std::string summary = "ok: " + std::to_string(records) + " records";
  if (records > 0) {
    summary += ", sequences " + std::to_string(first_seen) + ".." + std::to_string(reader.last_sequence());
  }
  summary += ", " + std::to_string(reader.segments_read()) + " segments, " + std::to_string(snapshots.size()) +
             " snapshots";
  if (const auto& cut = reader.tail_cut()) {
    summary += "; torn tail: " + describe(*cut) + " (cut at the next start)";
  }
  std::fprintf(out, "%s: %s\n", dir->c_str(), summary.c_str());
  return exit_ok;
}

}  // namespace

int run_wal_command(int argc, char** argv, std::FILE* out, std::FILE* err, const RecordRegistry& registry) {
  if (argc < 2) return usage_error(err, "which: dump or verify?", wal_usage);
  const std::string_view sub = argv[1];
  if (is_help(sub) || sub == "help") {
    std::fputs(wal_usage, out);
    return exit_ok;
  }
  if (sub == "dump") return dump(argc - 1, argv + 1, out, err, registry);
  if (sub == "verify") return verify(argc - 1, argv + 1, out, err);
  const std::string message = "unknown subcommand '" + std::string(sub) + "'";
  return usage_error(err, message.c_str(), wal_usage);
}

}  // namespace authswitch::ledger
