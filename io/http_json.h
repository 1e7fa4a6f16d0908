// A small JSON writer for the HTTP API's answers (SPEC 6), and the error
// body every refusal carries.
//
// Answers are built once per request on an HTTP worker thread, never on the
// authorization hot path, so a growing std::string is fine here. Keys and
// values are written in call order: the shape of an answer is the order of
// the calls that build it, which keeps SPEC 6's field order testable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace authswitch::io {

class JsonOut {
 public:
  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  // The next value belongs to `name` (inside an object).
  JsonOut& key(std::string_view name);
  JsonOut& string(std::string_view value);
  JsonOut& integer(std::int64_t value);
  JsonOut& boolean(bool value);
  JsonOut& null();

  [[nodiscard]] std::string take() { return std::move(text_); }

 private:
  void before_value();

  std::string text_;
  // Per open object or array: whether it already holds an element (a comma
  // is due before the next one).
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `"text"` with JSON escapes (quotes, backslash, control characters).
void append_json_string(std::string& out, std::string_view text);

// {"error":"...","retryable":false}: the body of every refusal (SPEC 6).
[[nodiscard]] std::string json_error(std::string_view message, bool retryable);

}  // namespace authswitch::io
