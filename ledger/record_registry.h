// Names and payload printers of record types, for `authswitch wal dump`.
//
// The ledger registers its own types (>= 0x8000). The event catalogue (types
// below 0x8000, defined by the core and io layers) plugs in by calling add()
// on wal_record_registry() before the dump runs, e.g. from a
// register_wal_event_types() that tools/cmd_wal.cpp calls. A printer must never
// print a raw PAN, track, PIN block or chip data; a type without a printer is
// shown by name and length only, never as raw bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace authswitch::ledger {

// Appends a summary of `payload` to `out`: in text mode "key=value ..."
// pairs, in JSON mode one JSON value (an object). A payload too short for the
// type is summarised as such, never read past its end.
using PayloadPrinter = void (*)(std::span<const std::byte> payload, bool json, std::string& out);

struct RecordTypeInfo {
  std::uint16_t type = 0;
  std::string_view name;  // must outlive the registry: a literal
  PayloadPrinter print = nullptr;
};

class RecordRegistry {
 public:
  static constexpr std::size_t types_max = 256;

  RecordRegistry();  // holds the ledger's own types
  // False when the type is taken or the registry full.
  bool add(std::uint16_t type, std::string_view name, PayloadPrinter print);
  [[nodiscard]] const RecordTypeInfo* find(std::uint16_t type) const noexcept;

 private:
  std::array<RecordTypeInfo, types_max> entries_{};
  std::size_t count_ = 0;
};

// The process-wide registry `wal dump` uses.
[[nodiscard]] RecordRegistry& wal_record_registry();

}  // namespace authswitch::ledger
