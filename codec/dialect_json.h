// Dialects from JSON field-spec files (SPEC 1), and back. Start-up only: it
// allocates and builds strings freely. codec/specs/iso87-ascii.json shows the
// format; every key of a field and of the top level is listed there, and an
// unknown key is an error rather than silently ignored.
//
//   {"name": "...", "mti_encoding": "ascii|bcd", "bitmap_encoding": "binary|hex-ascii",
//    "secondary_bitmap": "auto|always",
//    "fields": [{"number": 2, "content_type": "n|a|an|ans|b|z",
//                "length_type": "fixed|LLVAR|LLLVAR|LLLLVAR", "max_length": 19,
//                "prefix_encoding": "ascii|bcd|binary",
//                "content_encoding": "ascii|bcd|ebcdic|binary",
//                "padding": "none|left|right", "pad_char": "0"}, ...]}
//
// Defaults when a key is left out: mti ascii, bitmap binary, secondary auto,
// prefix ascii, content ascii (binary for b), padding none.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codec/dialect.h"

namespace authswitch::codec {

struct [[nodiscard]] DialectResult {
  std::optional<Dialect> dialect;
  std::string error;  // names the JSON path at fault, e.g. "fields[3].max_length: ..."
};

// Parses field-spec JSON text.
[[nodiscard]] DialectResult parse_dialect(std::string_view json);
// Reads and parses a field-spec file; errors start with "PATH: ".
[[nodiscard]] DialectResult load_dialect(const std::string& path);
// A link's `spec`: "iso87-ascii" (built in) or the path of a field-spec file.
[[nodiscard]] DialectResult dialect_from_spec(const std::string& spec);

// The dialect as field-spec JSON, one field a line (how the built-in file
// was written: `authswitch iso spec`).
[[nodiscard]] std::string dialect_to_json(const Dialect& dialect);

}  // namespace authswitch::codec
