// `authswitch iso decode|encode|spec`: look inside captured ISO 8583 traffic
// (SPEC 10). Decode prints a frame's fields as JSON, the one place a full
// PAN is printed, because the operator asked for exactly that; errors never
// print field values.
#include <simdjson.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "codec/dialect_json.h"
#include "codec/frame.h"
#include "codec/pack.h"
#include "codec/text.h"
#include "codec/unpack.h"
#include "tools/command.h"

namespace authswitch::tools {
namespace {

using namespace authswitch::codec;

constexpr const char* iso_usage =
    "usage: authswitch iso decode [--spec FILE] [--framing len2|ascii4|none]\n"
    "       authswitch iso encode [--spec FILE] [--framing len2|ascii4|none] [--secondary-bitmap always|auto]\n"
    "       authswitch iso spec [--spec FILE]\n"
    "\n"
    "Looks inside ISO 8583 traffic, one message a line on stdin.\n"
    "  decode  hex frames in, one JSON object a frame out: field number (string) to the\n"
    "          field's text exactly as on the wire, \"0\" the MTI, no bitmap\n"
    "  encode  the same JSON in, the whole frame out in hex\n"
    "  spec    prints the dialect as a field-spec JSON file (the built-in one by default)\n"
    "`authswitch iso decode --help` and `authswitch iso encode --help` say more.\n";

constexpr const char* decode_usage =
    "usage: authswitch iso decode [--spec FILE] [--framing len2|ascii4|none]\n"
    "\n"
    "Reads hex on stdin, one message a line (its frame header included unless\n"
    "--framing none; blank lines are skipped), and prints each message's fields as\n"
    "one JSON object a line: {\"0\":\"0100\",\"2\":\"4000...\",...}. Values are the fields'\n"
    "text exactly as on the wire (padding kept; bcd and ebcdic fields converted to\n"
    "text); b (binary) fields are printed as lower-case hex text.\n"
    "\n"
    "  --spec FILE     iso87-ascii (default, built in) or a field-spec JSON file\n"
    "  --framing F     len2 (default: 2-byte big-endian length), ascii4, none\n"
    "\n"
    "A bad line prints an error on stderr naming its line number, the field and the\n"
    "byte offset within the line's bytes; the other lines go on.\n"
    "exit status: 0 all lines decoded, 1 some line failed, 2 usage error.\n";

constexpr const char* encode_usage =
    "usage: authswitch iso encode [--spec FILE] [--framing len2|ascii4|none] [--secondary-bitmap always|auto]\n"
    "\n"
    "Reads one JSON object a line on stdin, as `iso decode` prints them (\"0\" the MTI,\n"
    "\"2\"..\"128\" the fields as text; b fields as hex text) and prints each message as\n"
    "one line of lower-case hex, frame header included.\n"
    "\n"
    "  --spec FILE                iso87-ascii (default, built in) or a field-spec JSON file\n"
    "  --framing F                len2 (default), ascii4, none\n"
    "  --secondary-bitmap always  write the secondary bitmap even when no field above 64 is\n"
    "                             present; auto writes it only when needed (default: as\n"
    "                             the dialect says)\n"
    "\n"
    "A bad line prints an error on stderr naming its line number and the field; the\n"
    "other lines go on. exit status: 0 all lines encoded, 1 some line failed, 2 usage error.\n";

struct Options {
  Dialect dialect;
  Framing framing = Framing::len2;
  std::optional<SecondaryBitmap> secondary;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "authswitch iso: %s\n", message.c_str());
  return exit_usage;
}

// Parses argv[2..] into `options`; returns exit_ok or exit_usage.
int parse_options(int argc, char** argv, bool encode, Options& options) {
  std::string spec = "iso87-ascii";
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    std::string_view key = arg;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (arg.starts_with("--")) {
      if (i + 1 >= argc) return usage_error(std::string(arg) + " needs a value");
      value = argv[++i];
    }
    if (key == "--spec") {
      spec = value;
    } else if (key == "--framing") {
      if (!parse_framing(value, options.framing)) {
        return usage_error("--framing: '" + std::string(value) + "' is not len2, ascii4 or none");
      }
    } else if (key == "--secondary-bitmap" && encode) {
      if (value == "always") {
        options.secondary = SecondaryBitmap::always;
      } else if (value == "auto") {
        options.secondary = SecondaryBitmap::when_needed;
      } else {
        return usage_error("--secondary-bitmap: '" + std::string(value) + "' is not always or auto");
      }
    } else {
      return usage_error("unknown option '" + std::string(arg) + "' (see --help)");
    }
  }
  DialectResult loaded = dialect_from_spec(spec);
  if (!loaded.dialect) return usage_error("--spec: " + loaded.error);
  options.dialect = std::move(*loaded.dialect);
  return exit_ok;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::strchr(" \t\r\n", s.front()) != nullptr) s.remove_prefix(1);
  while (!s.empty() && std::strchr(" \t\r\n", s.back()) != nullptr) s.remove_suffix(1);
  return s;
}

// JSON string body for Latin-1 text: escapes quotes, backslashes, control
// characters and every byte above 0x7e as \u00XX, so any byte survives.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c > 0x7e) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void report(std::size_t line, const CodecError& e, std::size_t offset_base) {
  std::string where;
  if (e.field == 0) {
    where = "field 0 (MTI)";
  } else if (e.field == 1) {
    where = "bitmap";
  } else if (e.field > 1) {
    where = "field " + std::to_string(e.field);
  } else {
    where = "message";
  }
  std::fprintf(stderr, "line %zu: %s at byte %zu: %.*s\n", line, where.c_str(), offset_base + e.offset,
               static_cast<int>(describe(e.code).size()), describe(e.code).data());
}

int decode(const Options& options) {
  std::string line_text;
  std::string bytes;
  std::string out;
  std::array<char, constants::iso_field_length_max * 2> text{};
  std::size_t line = 0;
  bool failed = false;
  while (std::getline(std::cin, line_text)) {
    ++line;
    const std::string_view hex = trim(line_text);
    if (hex.empty()) continue;
    bytes.resize(hex.size() / 2 + 1);
    const auto size = hex_decode(hex, bytes);
    if (!size) {
      std::fprintf(stderr, "line %zu: not hex (an even number of 0-9 a-f characters)\n", line);
      failed = true;
      continue;
    }
    const auto all = std::as_bytes(std::span(bytes.data(), *size));
    const FrameResult frame = unframe(options.framing, all);
    if (!frame.error.ok()) {
      report(line, frame.error, 0);
      failed = true;
      continue;
    }
    MessageView view;
    if (const CodecError e = unpack(options.dialect, frame.body, view); !e.ok()) {
      report(line, e, frame_header_bytes(options.framing));
      failed = true;
      continue;
    }
    out = "{\"0\":";
    append_json_string(out, view.mti());
    view.for_each_field([&](int f) {
      out += ",\"" + std::to_string(f) + "\":";
      if (options.dialect.field(f).type == ContentType::b) {
        append_json_string(out, hex_encode(view.wire(f), text));
      } else {
        append_json_string(out, field_text(options.dialect, view, f, text));
      }
    });
    out += "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return failed ? exit_failure : exit_ok;
}

// UTF-8 (what JSON strings hold) to Latin-1 bytes, the text form of fields.
std::optional<std::string> to_latin1(std::string_view utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xc2 || c == 0xc3) && i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3f));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// One JSON line to field values; `storage` keeps the texts alive. Returns an
// error message naming the field, or an empty string.
std::string read_fields(simdjson::dom::parser& parser, std::string_view json, const Dialect& dialect,
                        std::array<std::string, field_slots>& storage, FieldValues& values) {
  const simdjson::padded_string padded(json);
  simdjson::dom::object object;
  if (parser.parse(padded).get_object().get(object) != simdjson::SUCCESS) return "not a JSON object";
  values.clear_all();
  values.set_mti({});
  for (auto [key, value] : object) {
    int field = -1;
    const std::string name(key);
    if (!name.empty() && name.size() <= 3 && name.find_first_not_of("0123456789") == std::string::npos) {
      field = std::stoi(name);
    }
    if (field != 0 && (field < first_data_field || field > last_data_field)) {
      return "key \"" + name + "\" is not a field number (0 for the MTI, 2..128)";
    }
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return "field " + name + ": value must be a string";
    std::optional<std::string> latin1 = to_latin1(text);
    if (!latin1) return "field " + name + ": character outside Latin-1";
    std::string& slot = storage[static_cast<std::size_t>(field)];
    if (field != 0 && dialect.field(field).defined && dialect.field(field).type == ContentType::b) {
      slot.resize(latin1->size() / 2 + 1);
      const auto size = hex_decode(*latin1, slot);
      if (!size) return "field " + name + ": b fields take hex text";
      slot.resize(*size);
    } else {
      slot = std::move(*latin1);
    }
    if (field == 0) {
      values.set_mti(slot);
    } else {
      values.set(field, slot);
    }
  }
  return {};
}

int encode(const Options& options) {
  simdjson::dom::parser parser;
  std::array<std::string, field_slots> storage;
  FieldValues values;
  std::string line_text;
  std::string out_hex;
  std::array<std::byte, constants::iso_message_bytes_max + 4> out{};
  std::size_t line = 0;
  bool failed = false;
  while (std::getline(std::cin, line_text)) {
    ++line;
    const std::string_view json = trim(line_text);
    if (json.empty()) continue;
    if (const std::string why = read_fields(parser, json, options.dialect, storage, values); !why.empty()) {
      std::fprintf(stderr, "line %zu: %s\n", line, why.c_str());
      failed = true;
      continue;
    }
    const PackResult r = pack(options.dialect, values, out, {.framing = options.framing, .secondary_bitmap = options.secondary});
    if (!r.error.ok()) {
      report(line, r.error, 0);
      failed = true;
      continue;
    }
    out_hex.resize(2 * r.size);
    const std::string_view hex =
        hex_encode(std::string_view(reinterpret_cast<const char*>(out.data()), r.size), out_hex);
    std::printf("%.*s\n", static_cast<int>(hex.size()), hex.data());
  }
  return failed ? exit_failure : exit_ok;
}

int run_iso(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(iso_usage, stderr);
    return exit_usage;
  }
  const std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(iso_usage, stdout);
    return exit_ok;
  }
  const bool is_decode = sub == "decode";
  const bool is_encode = sub == "encode";
  const bool is_spec = sub == "spec";
  if (!is_decode && !is_encode && !is_spec) {
    std::fprintf(stderr, "authswitch iso: unknown subcommand '%s'\n\n%s", argv[1], iso_usage);
    return exit_usage;
  }
  if (wants_help(argc, argv)) {
    std::fputs(is_decode ? decode_usage : is_encode ? encode_usage : iso_usage, stdout);
    return exit_ok;
  }
  Options options;
  if (const int rc = parse_options(argc, argv, is_encode, options); rc != exit_ok) return rc;
  if (is_spec) {
    const std::string json = dialect_to_json(options.dialect);
    std::fwrite(json.data(), 1, json.size(), stdout);
    return exit_ok;
  }
  return is_decode ? decode(options) : encode(options);
}

}  // namespace
}  // namespace authswitch::tools

AUTHSWITCH_COMMAND(iso, "iso", "decode and encode ISO 8583 frames (hex <-> JSON fields)", authswitch::tools::run_iso)
