#include "codec/dialect_json.h"

#include <array>
#include <simdjson.h>
#include <utility>

namespace authswitch::codec {

namespace {

// One table per enum: JSON spelling <-> value, used both ways.
template <class E>
using Names = std::initializer_list<std::pair<std::string_view, E>>;

const Names<ContentType> content_types = {{"n", ContentType::n},   {"a", ContentType::a}, {"an", ContentType::an},
                                          {"ans", ContentType::ans}, {"b", ContentType::b}, {"z", ContentType::z}};
const Names<LengthType> length_types = {{"fixed", LengthType::fixed},
                                        {"LLVAR", LengthType::llvar},
                                        {"LLLVAR", LengthType::lllvar},
                                        {"LLLLVAR", LengthType::llllvar}};
const Names<PrefixEncoding> prefix_encodings = {
    {"ascii", PrefixEncoding::ascii}, {"bcd", PrefixEncoding::bcd}, {"binary", PrefixEncoding::binary}};
const Names<ContentEncoding> content_encodings = {{"ascii", ContentEncoding::ascii},
                                                  {"bcd", ContentEncoding::bcd},
                                                  {"ebcdic", ContentEncoding::ebcdic},
                                                  {"binary", ContentEncoding::binary}};
const Names<Padding> paddings = {{"none", Padding::none}, {"left", Padding::left}, {"right", Padding::right}};
const Names<MtiEncoding> mti_encodings = {{"ascii", MtiEncoding::ascii}, {"bcd", MtiEncoding::bcd}};
const Names<BitmapEncoding> bitmap_encodings = {{"binary", BitmapEncoding::binary},
                                                {"hex-ascii", BitmapEncoding::hex_ascii}};
const Names<SecondaryBitmap> secondary_policies = {{"auto", SecondaryBitmap::when_needed},
                                                   {"always", SecondaryBitmap::always}};

template <class E>
std::string_view name_of(const Names<E>& names, E value) {
  for (const auto& [text, v] : names) {
    if (v == value) return text;
  }
  return "?";
}

template <class E>
std::string choices(const Names<E>& names) {
  std::string out;
  for (const auto& [text, v] : names) {
    if (!out.empty()) out += ", ";
    out += text;
  }
  return out;
}

// Reads `value` as one of `names`; else sets `error` naming `path`.
template <class E>
bool read_enum(simdjson::dom::element value, const Names<E>& names, const std::string& path, E& out,
               std::string& error) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    for (const auto& [t, v] : names) {
      if (t == text) {
        out = v;
        return true;
      }
    }
  }
  error = path + ": must be one of " + choices(names);
  return false;
}

bool read_field(simdjson::dom::element element, const std::string& path, int& number, FieldSpec& spec,
                std::string& error) {
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) {
    error = path + ": must be an object";
    return false;
  }
  spec = FieldSpec{};
  spec.defined = true;
  bool have_number = false, have_type = false, have_length_type = false, have_max = false;
  bool have_encoding = false, have_pad_char = false;
  for (auto [key, value] : object) {
    const std::string at = path + "." + std::string(key);
    if (key == "number" || key == "max_length") {
      std::int64_t v = 0;
      if (value.get_int64().get(v) != simdjson::SUCCESS) {
        error = at + ": must be an integer";
        return false;
      }
      if (key == "number") {
        if (v < first_data_field || v > last_data_field) {
          error = at + ": must be 2..128 (0 is the MTI, 1 the bitmap)";
          return false;
        }
        number = static_cast<int>(v);
        have_number = true;
      } else {
        if (v < 1 || v > static_cast<std::int64_t>(constants::iso_field_length_max)) {
          error = at + ": must be 1..9999";
          return false;
        }
        spec.max_length = static_cast<std::uint16_t>(v);
        have_max = true;
      }
    } else if (key == "content_type") {
      if (!read_enum(value, content_types, at, spec.type, error)) return false;
      have_type = true;
    } else if (key == "length_type") {
      if (!read_enum(value, length_types, at, spec.length_type, error)) return false;
      have_length_type = true;
    } else if (key == "prefix_encoding") {
      if (!read_enum(value, prefix_encodings, at, spec.prefix, error)) return false;
    } else if (key == "content_encoding") {
      if (!read_enum(value, content_encodings, at, spec.encoding, error)) return false;
      have_encoding = true;
    } else if (key == "padding") {
      if (!read_enum(value, paddings, at, spec.padding, error)) return false;
    } else if (key == "pad_char") {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS || text.size() != 1) {
        error = at + ": must be a string of one character";
        return false;
      }
      spec.pad_char = text[0];
      have_pad_char = true;
    } else {
      error = at + ": unknown key";
      return false;
    }
  }
  const char* missing = !have_number ? "number" : !have_type ? "content_type" : !have_length_type ? "length_type"
                        : !have_max  ? "max_length" : nullptr;
  if (missing != nullptr) {
    error = path + ": missing " + missing;
    return false;
  }
  if (!have_encoding && spec.type == ContentType::b) spec.encoding = ContentEncoding::binary;
  if (spec.padding != Padding::none && !have_pad_char) {
    error = path + ": padding needs pad_char";
    return false;
  }
  if (spec.padding == Padding::none) spec.pad_char = ' ';
  if (const std::string_view why = check_field_spec(spec); !why.empty()) {
    error = path + " (field " + std::to_string(number) + "): " + std::string(why);
    return false;
  }
  return true;
}

// JSON strings may not hold a raw control character (RFC 8259 section 7):
// those go out as \u00XX, so a name read with escapes writes back readable.
void append_json_char(std::string& out, char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20) {
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\u00";
    out += hex[u >> 4];
    out += hex[u & 0xf];
    return;
  }
  if (c == '"' || c == '\\') out += '\\';
  out += c;
}

}  // namespace

DialectResult parse_dialect(std::string_view json) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (const auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return {std::nullopt, std::string("not valid JSON: ") + simdjson::error_message(err)};
  }
  simdjson::dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) return {std::nullopt, "top level: must be an object"};

  Dialect dialect;
  std::string error;
  bool have_fields = false;
  std::array<bool, field_slots> seen{};
  for (auto [key, value] : top) {
    const std::string at{key};
    if (key == "name") {
      std::string_view name;
      if (value.get_string().get(name) != simdjson::SUCCESS) return {std::nullopt, "name: must be a string"};
      dialect.set_name(name);
    } else if (key == "mti_encoding") {
      if (!read_enum(value, mti_encodings, at, dialect.mti_encoding, error)) return {std::nullopt, error};
    } else if (key == "bitmap_encoding") {
      if (!read_enum(value, bitmap_encodings, at, dialect.bitmap_encoding, error)) return {std::nullopt, error};
    } else if (key == "secondary_bitmap") {
      if (!read_enum(value, secondary_policies, at, dialect.secondary_bitmap, error)) return {std::nullopt, error};
    } else if (key == "fields") {
      simdjson::dom::array fields;
      if (value.get_array().get(fields) != simdjson::SUCCESS) return {std::nullopt, "fields: must be an array"};
      std::size_t index = 0;
      for (simdjson::dom::element element : fields) {
        const std::string path = "fields[" + std::to_string(index++) + "]";
        int number = 0;
        FieldSpec spec;
        if (!read_field(element, path, number, spec, error)) return {std::nullopt, error};
        if (seen[static_cast<std::size_t>(number)]) {
          return {std::nullopt, path + ".number: field " + std::to_string(number) + " defined twice"};
        }
        seen[static_cast<std::size_t>(number)] = true;
        if (const std::string_view why = dialect.define(number, spec); !why.empty()) {
          return {std::nullopt, path + ": " + std::string(why)};
        }
      }
      have_fields = true;
    } else {
      return {std::nullopt, at + ": unknown key"};
    }
  }
  if (!have_fields) return {std::nullopt, "fields: missing"};
  return {std::move(dialect), {}};
}

DialectResult load_dialect(const std::string& path) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) {
    return {std::nullopt, path + ": cannot read the file"};
  }
  DialectResult result = parse_dialect(std::string_view(text.data(), text.size()));
  if (!result.dialect) result.error = path + ": " + result.error;
  return result;
}

DialectResult dialect_from_spec(const std::string& spec) {
  if (spec == "iso87-ascii") return {Dialect::iso87_ascii(), {}};
  return load_dialect(spec);
}

std::string dialect_to_json(const Dialect& dialect) {
  std::string out = "{\n  \"name\": \"";
  for (const char c : dialect.name()) append_json_char(out, c);
  out += "\",\n  \"mti_encoding\": \"";
  out += name_of(mti_encodings, dialect.mti_encoding);
  out += "\",\n  \"bitmap_encoding\": \"";
  out += name_of(bitmap_encodings, dialect.bitmap_encoding);
  out += "\",\n  \"secondary_bitmap\": \"";
  out += name_of(secondary_policies, dialect.secondary_bitmap);
  out += "\",\n  \"fields\": [";
  bool first = true;
  for (int f = first_data_field; f <= last_data_field; ++f) {
    const FieldSpec& s = dialect.field(f);
    if (!s.defined) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += "    {\"number\": " + std::to_string(f);
    out += ", \"content_type\": \"" + std::string(name_of(content_types, s.type));
    out += "\", \"length_type\": \"" + std::string(name_of(length_types, s.length_type));
    out += "\", \"max_length\": " + std::to_string(s.max_length);
    out += ", \"prefix_encoding\": \"" + std::string(name_of(prefix_encodings, s.prefix));
    out += "\", \"content_encoding\": \"" + std::string(name_of(content_encodings, s.encoding));
    out += "\", \"padding\": \"" + std::string(name_of(paddings, s.padding)) + "\"";
    if (s.padding != Padding::none) {
      out += ", \"pad_char\": \"";
      append_json_char(out, s.pad_char);
      out += "\"";
    }
    out += "}";
  }
  out += "\n  ]\n}\n";
  return out;
}

}  // namespace authswitch::codec
