// Helpers for the ledger tests: a fresh temp folder per test, whole-file
// reads and writes, and a LogBuilder that lays out segments byte by byte so a
// test knows every record's offset.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ledger/event_codec.h"
#include "ledger/log_files.h"
#include "ledger/log_reader.h"
#include "ledger/record_encode.h"
#include "ledger/record_format.h"

namespace authswitch::ledger::testing {

using Bytes = std::vector<std::byte>;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ledger-test-XXXXXX").string();
    AS_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(std::string_view name) const { return join_path(path_, name); }

 private:
  std::string path_;
};

inline Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

inline void write_bytes(const std::string& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  AS_ASSERT(out.good());
}

// One bit flipped in the middle of a file, as a bad sector would leave it.
inline void corrupt_middle(const std::string& path) {
  Bytes b = read_bytes(path);
  AS_ASSERT(!b.empty());
  b[b.size() / 2] ^= std::byte{0x10};
  write_bytes(path, b);
}

inline Bytes payload_of(std::string_view text) {
  Bytes b(text.size());
  std::memcpy(b.data(), text.data(), text.size());
  return b;
}

inline std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Builds segments in memory. Each segment starts with a proper header record.
class LogBuilder {
 public:
  struct Segment {
    std::uint64_t first_sequence;
    Bytes bytes;
    std::vector<std::size_t> offsets;  // of each record, header record first
  };

  // Starts a segment at the next sequence (or at `first` when given).
  Segment& segment(std::uint64_t first = 0) {
    if (first != 0) next_ = first;
    segments_.push_back({next_, {}, {}});
    Bytes header(format::segment_header_payload_bytes);
    format::store<std::uint64_t>(header.data(), format::segment_magic);
    format::store<std::uint32_t>(header.data() + 8, format::format_version);
    format::store<std::uint32_t>(header.data() + 12, 0);
    raw(format::type_segment_header, header);
    return segments_.back();
  }
  // Appends an event record with the next sequence; returns its offset.
  std::size_t record(std::string_view text, std::uint16_t type = 1) { return raw(type, payload_of(text)); }
  std::size_t raw(std::uint16_t type, std::span<const std::byte> payload) {
    Segment& s = segments_.back();
    const std::size_t at = s.bytes.size();
    s.bytes.resize(at + record_bytes(payload.size()));
    const std::uint64_t sequence = next_++;
    encode_record(s.bytes.data() + at, type, sequence, 1'700'000'000'000'000'000 + static_cast<std::int64_t>(sequence),
                  payload);
    s.offsets.push_back(at);
    return at;
  }
  std::vector<Segment>& segments() { return segments_; }
  Segment& last() { return segments_.back(); }
  // Writes every segment; the last one padded with `zero_tail` zero bytes
  // (the preallocated space).
  std::vector<std::string> write(const std::string& dir, std::size_t zero_tail = 0) const {
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      Bytes bytes = segments_[i].bytes;
      if (i + 1 == segments_.size()) bytes.resize(bytes.size() + zero_tail);
      paths.push_back(join_path(dir, segment_file_name(segments_[i].first_sequence)));
      write_bytes(paths.back(), bytes);
    }
    return paths;
  }

 private:
  std::vector<Segment> segments_;
  std::uint64_t next_ = 1;
};

// Two segments, [header, alpha, bravo, charlie] and [header, delta, echo,
// foxtrot], from sequence `first` on.
inline LogBuilder alpha_to_foxtrot(std::uint64_t first = 1) {
  LogBuilder b;
  b.segment(first);
  b.record("alpha");
  b.record("bravo");
  b.record("charlie");
  b.segment();
  b.record("delta");
  b.record("echo");
  b.record("foxtrot");
  return b;
}

// What a recycled segment (wal_writer.h) holds before it is written over:
// `bytes` bytes of an earlier use, a segment header and whole records of
// varying lengths, all of `sequence` (older than any record a test writes),
// then a partial record's non-zero bytes.
inline Bytes earlier_use(std::size_t bytes, std::uint64_t sequence = 0) {
  Bytes out(bytes, std::byte{0xEE});
  Bytes header(format::segment_header_payload_bytes);
  format::store<std::uint64_t>(header.data(), format::segment_magic);
  format::store<std::uint32_t>(header.data() + 8, format::format_version);
  std::size_t at = 0;
  for (unsigned i = 0;; ++i) {
    const Bytes payload = i == 0 ? header : payload_of("earlier use " + std::to_string(i) + std::string(i % 37, 'x'));
    if (at + record_bytes(payload.size()) > bytes) break;
    const std::uint16_t type = i == 0 ? format::type_segment_header : 1;
    at += encode_record(out.data() + at, type, sequence, 1'600'000'000'000'000'000, payload);
  }
  return out;
}

// A recycled segment after `written` was laid over its earlier use, with the
// writer's end marker (a zero header) after it or, as a crash can leave it,
// without.
inline Bytes recycled_image(const Bytes& written, const Bytes& earlier, bool end_marker) {
  AS_ASSERT(earlier.size() >= written.size() + format::header_bytes);
  Bytes out = earlier;
  std::copy(written.begin(), written.end(), out.begin());
  if (end_marker) {
    std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(written.size()), format::header_bytes, std::byte{0});
  }
  return out;
}

// Reads the whole log; returns the status and the records (payload as text).
struct ScanOutcome {
  Status status;
  std::vector<std::uint64_t> sequences;
  std::vector<std::uint16_t> types;
  std::vector<std::string> payloads;
  std::optional<TailCut> cut;
  std::uint64_t last_sequence = 0;
};

inline ScanOutcome scan(const std::string& dir, std::uint64_t from = 1) {
  ScanOutcome out;
  LogReader reader;
  out.status = reader.open(dir, from);
  if (!out.status) return out;
  RecordView r;
  bool has = true;
  while (has) {
    out.status = reader.next(r, has);
    if (!out.status) return out;
    if (has) {
      out.sequences.push_back(r.sequence);
      out.types.push_back(r.type);
      out.payloads.push_back(text_of(r.payload));
    }
  }
  out.cut = reader.tail_cut();
  out.last_sequence = reader.last_sequence();
  return out;
}

// Event payloads only (ledger records dropped).
inline std::vector<std::string> event_payloads(const ScanOutcome& o) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < o.types.size(); ++i) {
    if (format::is_event_type(o.types[i])) out.push_back(o.payloads[i]);
  }
  return out;
}

// Where the first record of `type` (whose payload passes `wanted`) lies, found
// by walking the segments' record headers byte by byte: the segment's path
// and the record's offset, or {"", -1}.
template <typename Wanted>
std::pair<std::string, std::int64_t> where_is(const std::string& dir, std::uint16_t type, Wanted wanted) {
  std::vector<SegmentFile> segments;
  EXPECT_TRUE(list_segments(dir, segments).ok());
  for (const SegmentFile& segment : segments) {
    const Bytes bytes = read_bytes(segment.path);
    for (std::size_t at = 0; at + format::header_bytes <= bytes.size();) {
      const format::Header h = format::decode_header(bytes.data() + at);
      if (h.type == format::type_invalid) break;
      const std::span<const std::byte> payload(bytes.data() + at + format::header_bytes, h.length);
      if (h.type == type && wanted(payload)) return {segment.path, static_cast<std::int64_t>(at)};
      at += format::header_bytes + h.length;
    }
  }
  return {"", -1};
}

// Whether `s` names the card-status record of `card` by its segment file and
// byte offset, as recovery and the checkpointer name a record they refuse
// for its content (SPEC 7).
inline ::testing::AssertionResult names_card_status_record(const Status& s, const std::string& dir,
                                                           std::uint32_t card) {
  const auto [file, offset] = where_is(dir, event_format::type_card_status, [card](auto payload) {
    std::uint32_t c = 0;
    std::memcpy(&c, payload.data() + 1, sizeof c);
    return c == card;
  });
  if (offset <= 0) return ::testing::AssertionFailure() << "no card status record for card " << card;
  if (s.file() != file || s.offset() != offset) {
    return ::testing::AssertionFailure() << s.to_string() << " does not name " << file << " at offset " << offset;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace authswitch::ledger::testing
