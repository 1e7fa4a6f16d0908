// Every shared vector (made by an independent implementation) unpacks to
// exactly its fields and packs back to exactly its bytes (SPEC 1).
#include <gtest/gtest.h>

#include <array>
#include <set>

#include "codec/frame.h"
#include "codec/pack.h"
#include "codec/unpack.h"
#include "tests/codec/vectors.h"

namespace authswitch::codec {
namespace {

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

TEST(Vectors, FileIsThereAndHoldsSeventyMessages) {
  const auto vectors = test::load_vectors();
  EXPECT_EQ(vectors.size(), 70u) << test::vectors_path();
}

TEST(Vectors, UnpackToExactlyTheirFields) {
  const auto vectors = test::load_vectors();
  ASSERT_FALSE(vectors.empty());
  for (const test::Vector& v : vectors) {
    SCOPED_TRACE(v.name);
    const FrameResult frame = unframe(Framing::len2, bytes(v.frame));
    ASSERT_TRUE(frame.error.ok());
    MessageView view;
    const CodecError err = unpack(Dialect::iso87_ascii(), frame.body, view);
    ASSERT_TRUE(err.ok()) << name(err.code) << " field " << err.field << " offset " << err.offset;
    EXPECT_EQ(view.mti(), v.fields.at(0));
    std::set<int> present;
    view.for_each_field([&](int f) { present.insert(f); });
    std::set<int> expected;
    for (const auto& [f, text] : v.fields) {
      if (f == 0) continue;
      expected.insert(f);
      EXPECT_EQ(view.wire(f), text) << "field " << f;
    }
    EXPECT_EQ(present, expected);
  }
}

TEST(Vectors, PackToExactlyTheirBytesWithSecondaryBitmapAlways) {
  const auto vectors = test::load_vectors();
  ASSERT_FALSE(vectors.empty());
  for (const test::Vector& v : vectors) {
    SCOPED_TRACE(v.name);
    FieldValues values;
    for (const auto& [f, text] : v.fields) {
      if (f == 0) {
        values.set_mti(text);
      } else {
        values.set(f, text);
      }
    }
    std::array<std::byte, 4096> out{};
    const PackResult r = pack(Dialect::iso87_ascii(), values, out,
                              {.framing = Framing::len2, .secondary_bitmap = SecondaryBitmap::always});
    ASSERT_TRUE(r.error.ok()) << name(r.error.code) << " field " << r.error.field;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), r.size), v.frame);
  }
}

}  // namespace
}  // namespace authswitch::codec
