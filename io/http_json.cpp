#include "io/http_json.h"

#include <array>

#include "core/assert.h"

namespace authswitch::io {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                            '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const auto u = static_cast<unsigned char>(c);
          out += "\\u00";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xf]);
        } else {
          out.push_back(c);  // UTF-8 passes through unchanged
        }
    }
  }
  out.push_back('"');
}

void JsonOut::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) text_.push_back(',');
    has_element_.back() = true;
  }
}

JsonOut& JsonOut::begin_object() {
  before_value();
  text_.push_back('{');
  has_element_.push_back(false);
  return *this;
}

JsonOut& JsonOut::end_object() {
  AS_ASSERT(!has_element_.empty() && !after_key_);
  has_element_.pop_back();
  text_.push_back('}');
  return *this;
}

JsonOut& JsonOut::begin_array() {
  before_value();
  text_.push_back('[');
  has_element_.push_back(false);
  return *this;
}

JsonOut& JsonOut::end_array() {
  AS_ASSERT(!has_element_.empty() && !after_key_);
  has_element_.pop_back();
  text_.push_back(']');
  return *this;
}

JsonOut& JsonOut::key(std::string_view name) {
  AS_ASSERT(!has_element_.empty() && !after_key_);
  before_value();
  append_json_string(text_, name);
  text_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::string(std::string_view value) {
  before_value();
  append_json_string(text_, value);
  return *this;
}

JsonOut& JsonOut::integer(std::int64_t value) {
  before_value();
  text_ += std::to_string(value);
  return *this;
}

JsonOut& JsonOut::boolean(bool value) {
  before_value();
  text_ += value ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::null() {
  before_value();
  text_ += "null";
  return *this;
}

std::string json_error(std::string_view message, bool retryable) {
  JsonOut out;
  out.begin_object().key("error").string(message).key("retryable").boolean(retryable).end_object();
  return out.take();
}

}  // namespace authswitch::io
