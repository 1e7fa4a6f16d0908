// Unpack and pack never touch the heap: this binary counts every call to the
// global operator new (tests/support/alloc_counter) and checks the count does
// not move across them.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>

#include "codec/pack.h"
#include "codec/text.h"
#include "codec/unpack.h"
#include "tests/support/alloc_counter.h"
#include "tests/codec/message_builder.h"

namespace authswitch::codec {
namespace {

TEST(NoHeap, CounterSeesAllocations) {
  const std::size_t before = ::authswitch::test::allocations();
  auto* p = new std::string(100, 'x');  // proves the counter is wired in
  delete p;
  EXPECT_GT(::authswitch::test::allocations(), before);
}

TEST(NoHeap, UnpackPackFramesAndText) {
  const std::string request = "0100" + test::bitmap({2, 3, 4, 7, 11, 12, 13, 14, 18, 22, 32, 37, 41, 42, 43, 49}) +
                              "16" + "4000000000000002" + "000000" + "000000001000" + "1123235959" + "123456" +
                              "235959" + "1123" + "2912" + "5812" + "010" + "06" + "123456" + "123456789012" +
                              "TERM0001" + "MERCHANT0000001" + std::string(40, 'N') + "392";
  std::array<std::byte, 1024> out{};
  std::array<char, 64> text{};
  std::array<std::byte, 2 + 4096> stream{};

  const std::size_t before = ::authswitch::test::allocations();
  MessageView view;
  const CodecError err = unpack(Dialect::iso87_ascii(), request, view);
  FieldValues values;
  values.set_mti("0110");
  view.for_each_field([&](int f) { values.set(f, view.wire(f)); });
  values.set(38, "A1B2C3");
  values.set(39, "00");
  const PackResult packed = pack(Dialect::iso87_ascii(), values, out, {.framing = Framing::len2, .secondary_bitmap = {}});
  const std::string_view pan = field_text(Dialect::iso87_ascii(), view, 2, text);
  Deframer deframer(Framing::len2, stream, 4096);
  std::memcpy(deframer.writable().data(), out.data(), packed.size);
  deframer.commit(packed.size);
  const Deframer::Next next = deframer.next();
  const std::size_t after = ::authswitch::test::allocations();

  EXPECT_EQ(after, before);
  EXPECT_TRUE(err.ok());
  EXPECT_TRUE(packed.error.ok());
  EXPECT_EQ(pan.size(), 16u);
  EXPECT_EQ(next.status, Deframer::Status::message);
}

}  // namespace
}  // namespace authswitch::codec
