#include "io/json_lines.h"

namespace authswitch::io {
namespace {

struct Frame {
  bool is_object;
  std::string path;
  std::size_t index = 0;           // arrays: the current element
  bool expecting_key = true;       // objects: the next string is a key
  bool element_pending = true;     // arrays: the next token starts an element
  std::string child_path;          // path of the value being read
};

std::string join(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path = parent;
  path += '.';
  path += key;
  return path;
}

std::string element(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace

JsonLines::JsonLines(std::string_view text) {
  std::vector<Frame> stack;
  int line = 1;
  std::string root_child;  // the path of a value at the top level (empty)
  const auto record = [&](const std::string& path) { lines_[path].push_back(line); };
  const auto start_value = [&]() -> std::string {
    if (stack.empty()) return root_child;
    Frame& top = stack.back();
    if (!top.is_object && top.element_pending) {
      top.element_pending = false;
      top.child_path = element(top.path, top.index);
      record(top.child_path);
    }
    return top.child_path;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\n':
        ++line;
        break;
      case ' ':
      case '\t':
      case '\r':
      case ':':
        break;
      case '"': {
        const std::size_t begin = i + 1;
        std::size_t end = begin;
        while (end < text.size() && text[end] != '"') {
          if (text[end] == '\\') ++end;
          if (end < text.size() && text[end] == '\n') ++line;
          ++end;
        }
        const std::string_view content = text.substr(begin, end - begin);
        i = end;
        if (!stack.empty() && stack.back().is_object && stack.back().expecting_key) {
          Frame& top = stack.back();
          top.expecting_key = false;
          top.child_path = join(top.path, content);
          record(top.child_path);
        } else {
          (void)start_value();
        }
        break;
      }
      case '{':
      case '[': {
        std::string path = start_value();
        stack.push_back(Frame{c == '{', std::move(path), 0, true, true, {}});
        break;
      }
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ',':
        if (!stack.empty()) {
          Frame& top = stack.back();
          if (top.is_object) {
            top.expecting_key = true;
          } else {
            ++top.index;
            top.element_pending = true;
          }
        }
        break;
      default:
        (void)start_value();  // a number, true, false or null
        break;
    }
  }
}

int JsonLines::line_of(std::string_view path, std::size_t occurrence) const {
  std::string key(path);
  for (;;) {
    if (const auto it = lines_.find(key); it != lines_.end() && !it->second.empty()) {
      return it->second[occurrence < it->second.size() ? occurrence : it->second.size() - 1];
    }
    const std::size_t cut = key.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) return 0;
    key.resize(cut);
    occurrence = 0;
  }
}

}  // namespace authswitch::io
