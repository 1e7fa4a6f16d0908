// One record's summary for `authswitch wal dump`: "key=value ..." pairs in
// text mode, one JSON object in JSON mode (record_registry.h's printers).
//
// Text values may come from the wire (an RRN, a terminal id) and hold any
// byte: every byte but printable ASCII, '"' and '\' is shown as '?', so a
// dump never carries control bytes to a terminal or a broken string to a
// JSON reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace authswitch::ledger {

class PrintedFields {
 public:
  // Appends to `out`; in JSON mode opens the object.
  PrintedFields(std::string& out, bool json);
  void text(std::string_view key, std::string_view value);
  void number(std::string_view key, std::int64_t value);
  void unsigned_number(std::string_view key, std::uint64_t value);
  // Closes the JSON object; call once, last.
  void finish();

 private:
  void key(std::string_view key);
  std::string& out_;
  bool json_;
  bool first_ = true;
};

}  // namespace authswitch::ledger
