#include "ledger/record_registry.h"

#include <cinttypes>
#include <cstdio>

#include "ledger/log_files.h"
#include "ledger/record_format.h"

namespace authswitch::ledger {
namespace {

void append_u64(std::string& out, std::string_view key, std::uint64_t value, bool json, bool first) {
  char buf[64];
  if (json) {
    std::snprintf(buf, sizeof buf, "%s\"%.*s\":%" PRIu64, first ? "" : ",", static_cast<int>(key.size()),
                  key.data(), value);
  } else {
    std::snprintf(buf, sizeof buf, "%s%.*s=%" PRIu64, first ? "" : " ", static_cast<int>(key.size()), key.data(),
                  value);
  }
  out += buf;
}

void too_short(std::span<const std::byte> payload, bool json, std::string& out) {
  if (json) {
    out += "{\"malformed\":true,\"length\":" + std::to_string(payload.size()) + "}";
  } else {
    out += "malformed(" + std::to_string(payload.size()) + " bytes)";
  }
}

void print_segment_header(std::span<const std::byte> payload, bool json, std::string& out) {
  if (payload.size() < format::segment_header_payload_bytes) return too_short(payload, json, out);
  const bool magic_ok = format::load<std::uint64_t>(payload.data()) == format::segment_magic;
  if (json) out += "{";
  out += json ? (magic_ok ? "\"magic\":\"ok\"" : "\"magic\":\"bad\"") : (magic_ok ? "magic=ok" : "magic=bad");
  append_u64(out, "version", format::load<std::uint32_t>(payload.data() + 8), json, false);
  append_u64(out, "segment_bytes", format::load<std::uint32_t>(payload.data() + 12), json, false);
  if (json) out += "}";
}

void print_log_opened(std::span<const std::byte> payload, bool json, std::string& out) {
  if (payload.size() < format::log_opened_payload_bytes) return too_short(payload, json, out);
  if (json) out += "{";
  append_u64(out, "torn_tail_bytes_cut", format::load<std::uint64_t>(payload.data()), json, true);
  append_u64(out, "previous_last_sequence", format::load<std::uint64_t>(payload.data() + 8), json, false);
  if (json) out += "}";
}

void print_snapshot_marker(std::span<const std::byte> payload, bool json, std::string& out) {
  if (payload.size() < format::snapshot_marker_payload_bytes) return too_short(payload, json, out);
  if (json) out += "{";
  const std::uint64_t covered = format::load<std::uint64_t>(payload.data());
  append_u64(out, "covered_sequence", covered, json, true);
  // The file recovery looks for (it may have been pruned since).
  const std::string file = snapshot_file_name(covered);
  out += json ? ",\"file\":\"" + file + "\"}" : " file=" + file;
}

void print_nothing(std::span<const std::byte>, bool json, std::string& out) {
  if (json) out += "{}";
}

}  // namespace

RecordRegistry::RecordRegistry() {
  add(format::type_segment_header, "segment_header", &print_segment_header);
  add(format::type_log_opened, "log_opened", &print_log_opened);
  add(format::type_snapshot_marker, "snapshot_marker", &print_snapshot_marker);
  add(format::type_shutdown, "shutdown", &print_nothing);
}

bool RecordRegistry::add(std::uint16_t type, std::string_view name, PayloadPrinter print) {
  if (count_ == entries_.size() || find(type) != nullptr || !format::is_valid_type(type)) return false;
  entries_[count_++] = RecordTypeInfo{type, name, print};
  return true;
}

const RecordTypeInfo* RecordRegistry::find(std::uint16_t type) const noexcept {
  for (std::size_t i = 0; i < count_; ++i) {
    if (entries_[i].type == type) return &entries_[i];
  }
  return nullptr;
}

RecordRegistry& wal_record_registry() {
  static RecordRegistry registry;
  return registry;
}

}  // namespace authswitch::ledger
