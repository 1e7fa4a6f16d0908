// The io layer's log records (io/switch_records.h) are copied into the log
// byte for byte, so no byte of one may be padding: a padding byte keeps what
// the stack held before (a request's PAN digits, say) and writes it to disk.
#include <gtest/gtest.h>

#include <type_traits>

#include "io/switch_records.h"

namespace authswitch::io {
namespace {

template <typename Record>
class SwitchRecordBytes : public testing::Test {};

using Records = testing::Types<LinkRecord, ReceivedRecord, WrittenRecord, DroppedRecord>;
TYPED_TEST_SUITE(SwitchRecordBytes, Records);

TYPED_TEST(SwitchRecordBytes, EveryByteIsAFieldSoNoStackBytesReachTheLog) {
  EXPECT_TRUE(std::has_unique_object_representations_v<TypeParam>) << "sizeof " << sizeof(TypeParam);
}

TEST(SwitchRecordBytes, TheReceivedRecordKeepsItsSizeOnDisk) {
  // The tail field fills what was padding: the record's length in the log
  // is what earlier builds wrote.
  EXPECT_EQ(sizeof(ReceivedRecord), 56u);
}

}  // namespace
}  // namespace authswitch::io
