// Unpack never crashes or reads out of bounds on any input, and whatever it
// accepts packs back to exactly the same bytes (iso87-ascii), or at least
// packs and unpacks again to the same texts (a bcd/ebcdic/hex dialect).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "codec/pack.h"
#include "codec/text.h"
#include "codec/unpack.h"

namespace {

using namespace authswitch::codec;

void check(bool ok) {
  if (!ok) std::abort();
}

FieldSpec spec(ContentType t, LengthType l, std::uint16_t max, PrefixEncoding p, ContentEncoding e) {
  return {true, t, l, max, p, e, Padding::none, ' '};
}

// Every encoding the codec speaks, in one dialect.
Dialect build_mixed() {
  using CT = ContentType;
  using LT = LengthType;
  using PE = PrefixEncoding;
  using CE = ContentEncoding;
  Dialect d;
  d.mti_encoding = MtiEncoding::bcd;
  d.bitmap_encoding = BitmapEncoding::hex_ascii;
  check(d.define(2, spec(CT::n, LT::llvar, 19, PE::bcd, CE::bcd)).empty());
  check(d.define(3, spec(CT::n, LT::fixed, 6, PE::ascii, CE::bcd)).empty());
  check(d.define(4, spec(CT::n, LT::fixed, 12, PE::ascii, CE::ebcdic)).empty());
  check(d.define(22, spec(CT::n, LT::fixed, 3, PE::ascii, CE::bcd)).empty());
  check(d.define(35, spec(CT::z, LT::llvar, 37, PE::binary, CE::bcd)).empty());
  check(d.define(36, spec(CT::z, LT::lllvar, 104, PE::ascii, CE::ebcdic)).empty());
  check(d.define(43, spec(CT::ans, LT::fixed, 40, PE::ascii, CE::ebcdic)).empty());
  check(d.define(48, spec(CT::ans, LT::lllvar, 999, PE::binary, CE::ascii)).empty());
  check(d.define(52, spec(CT::b, LT::fixed, 8, PE::ascii, CE::binary)).empty());
  check(d.define(55, spec(CT::b, LT::lllvar, 999, PE::bcd, CE::binary)).empty());
  check(d.define(60, spec(CT::ans, LT::llllvar, 9999, PE::ascii, CE::ascii)).empty());
  check(d.define(70, spec(CT::n, LT::fixed, 3, PE::ascii, CE::ascii)).empty());
  check(d.define(102, spec(CT::an, LT::llllvar, 9999, PE::binary, CE::ebcdic)).empty());
  return d;
}

std::array<std::byte, 70000> g_out;
std::array<char, 2 * 70000> g_text;

void iso87_round_trip(std::span<const std::byte> input) {
  const Dialect& d = Dialect::iso87_ascii();
  MessageView view;
  if (!unpack(d, input, view).ok()) return;
  FieldValues values;
  values.set_mti(view.mti());
  view.for_each_field([&](int f) {
    const std::string_view w = view.wire(f);
    // Every field lies inside the input.
    check(w.data() >= reinterpret_cast<const char*>(input.data()));
    check(w.data() + w.size() <= reinterpret_cast<const char*>(input.data()) + input.size());
    values.set(f, w);
  });
  const SecondaryBitmap policy = view.has(1) ? SecondaryBitmap::always : SecondaryBitmap::when_needed;
  const PackResult r = pack(d, values, g_out, {.framing = Framing::none, .secondary_bitmap = policy});
  check(r.error.ok());
  check(r.size == input.size() && std::memcmp(g_out.data(), input.data(), r.size) == 0);
}

void mixed_round_trip(std::span<const std::byte> input) {
  static const Dialect d = build_mixed();
  MessageView view;
  if (!unpack(d, input, view).ok()) return;
  FieldValues values;
  values.set_mti(view.mti());
  std::size_t used = 0;
  view.for_each_field([&](int f) {
    const std::string_view text = field_text(d, view, f, std::span(g_text).subspan(used));
    if (text.data() != view.wire(f).data()) used += text.size();
    values.set(f, text);
  });
  const PackResult r = pack(d, values, g_out);
  check(r.error.ok());
  MessageView again;
  check(unpack(d, std::span<const std::byte>(g_out.data(), r.size), again).ok());
  // Same fields (bit 1 may differ: an all-zero secondary bitmap is not rewritten).
  constexpr std::uint64_t fields_only = ~(std::uint64_t{1} << 63);
  check((again.primary_bitmap() & fields_only) == (view.primary_bitmap() & fields_only));
  check(again.secondary_bitmap() == view.secondary_bitmap());
  std::array<char, 10000> scratch{};
  view.for_each_field([&](int f) { check(field_text(d, again, f, scratch) == values.get(f)); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  iso87_round_trip(input);
  mixed_round_trip(input);
  return 0;
}
