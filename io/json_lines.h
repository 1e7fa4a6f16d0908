// Where each value of a JSON text sits: JSON path -> line number.
//
// simdjson's DOM keeps no source positions, so config errors would name a
// field but not a line. This is a light scan of the same text (strings,
// brackets, commas; no validation: simdjson does that) that records the line
// of every object key and array element under the path the config parser
// uses in its messages: `links[0].port`, `cores.io[1]`, `wal`.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace authswitch::io {

class JsonLines {
 public:
  explicit JsonLines(std::string_view text);

  // Line (1-based) of the occurrence-th appearance of `path` (a repeated key
  // appears twice), or of its nearest recorded parent; 0 when nothing is
  // known.
  [[nodiscard]] int line_of(std::string_view path, std::size_t occurrence = 0) const;

 private:
  std::unordered_map<std::string, std::vector<int>> lines_;
};

}  // namespace authswitch::io
