#include "ledger/printed_fields.h"

#include <cinttypes>
#include <cstdio>

namespace authswitch::ledger {

PrintedFields::PrintedFields(std::string& out, bool json) : out_(out), json_(json) {
  if (json_) out_ += '{';
}

void PrintedFields::key(std::string_view key) {
  if (json_) {
    if (!first_) out_ += ',';
    out_ += '"';
    out_ += key;
    out_ += "\":";
  } else {
    if (!first_) out_ += ' ';
    out_ += key;
    out_ += '=';
  }
  first_ = false;
}

void PrintedFields::text(std::string_view k, std::string_view value) {
  key(k);
  if (json_) out_ += '"';
  for (const char c : value) {
    const bool shown = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    out_ += shown ? c : '?';
  }
  if (json_) out_ += '"';
}

void PrintedFields::number(std::string_view k, std::int64_t value) {
  key(k);
  char b[24];
  std::snprintf(b, sizeof b, "%" PRId64, value);
  out_ += b;
}

void PrintedFields::unsigned_number(std::string_view k, std::uint64_t value) {
  key(k);
  char b[24];
  std::snprintf(b, sizeof b, "%" PRIu64, value);
  out_ += b;
}

void PrintedFields::finish() {
  if (json_) out_ += '}';
}

}  // namespace authswitch::ledger
