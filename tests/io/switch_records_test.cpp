// The io layer's log records (io/switch_records.h): every byte a field, a
// received record built from what the answer echoes, and `wal dump`'s
// summaries of them, of the first builds' shorter received records too.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "io/switch_records.h"
#include "ledger/record_registry.h"

namespace authswitch::io {
namespace {

template <typename Record>
class SwitchRecordBytes : public testing::Test {};

using Records = testing::Types<LinkRecord, ReceivedRecord, WrittenRecord, DroppedRecord>;
TYPED_TEST_SUITE(SwitchRecordBytes, Records);

// Copied into the log byte for byte: a padding byte would keep what the
// stack held before (a request's PAN digits, say) and write it to disk.
TYPED_TEST(SwitchRecordBytes, EveryByteIsAFieldSoNoStackBytesReachTheLog) {
  EXPECT_TRUE(std::has_unique_object_representations_v<TypeParam>) << "sizeof " << sizeof(TypeParam);
}

EchoCapture capture(const std::string& mti, const std::vector<std::pair<int, std::string>>& fields) {
  EchoCapture e;
  std::memcpy(e.mti.data(), mti.data(), 4);
  for (const auto& [field, text] : fields) {
    for (std::size_t i = 0; i < echoed_fields.size(); ++i) {
      if (echoed_fields[i] != field) continue;
      std::memcpy(e.text[i].data(), text.data(), text.size());
      e.length[i] = static_cast<std::uint8_t>(text.size());
      e.present = static_cast<std::uint16_t>(e.present | (1u << i));
    }
  }
  return e;
}

std::string printed(SwitchRecord type, std::span<const std::byte> payload, bool json) {
  register_switch_record_types();
  const ledger::RecordTypeInfo* info = ledger::wal_record_registry().find(static_cast<std::uint16_t>(type));
  EXPECT_NE(info, nullptr);
  EXPECT_NE(info->print, nullptr) << info->name;
  std::string out;
  if (info != nullptr && info->print != nullptr) info->print(payload, json, out);
  return out;
}

template <typename Record>
std::span<const std::byte> bytes_of(const Record& r) {
  return std::as_bytes(std::span<const Record, 1>(&r, 1));
}

const EchoCapture full_request = capture("0100", {{2, "4000001234567899"},
                                                  {3, "000000"},
                                                  {4, "000000012345"},
                                                  {7, "1123140000"},
                                                  {11, "000042"},
                                                  {32, "123456"},
                                                  {37, "RRN000000042"},
                                                  {41, "TERM0001"},
                                                  {49, "392"}});

TEST(ReceivedRecord, CarriesTheKeysTheRrnAndAMaskedPanFromTheEcho) {
  const ReceivedRecord r = received_record(full_request, 2, 3, 17);
  EXPECT_EQ(r.link, 2);
  EXPECT_EQ(r.connection, 3);
  EXPECT_EQ(r.inflight, 17u);
  EXPECT_EQ(std::string(r.mti.data(), 4), "0100");
  EXPECT_EQ(r.stan, 42u);
  EXPECT_EQ(r.amount, 12345);
  EXPECT_EQ(r.field7, 1123140000u);
  EXPECT_EQ(r.acquirer, 123456u);
  EXPECT_EQ(r.currency, 392u);
  EXPECT_EQ(std::string(r.rrn.data(), r.rrn.size()), "RRN000000042");
  EXPECT_EQ(std::string(r.terminal.data(), r.terminal.size()), "TERM0001");
  EXPECT_EQ(std::string(r.masked_pan.data(), r.pan_length), "400000******7899");
  // No digit of the PAN's middle anywhere in the record.
  const auto b = bytes_of(r);
  const std::string raw(reinterpret_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(raw.find("123456789"), std::string::npos);
}

// A field absent, or not digits where digits are due, is left out rather
// than recorded as 0: a 30 for a bad amount must not read as amount 0.
TEST(ReceivedRecord, AFieldAbsentOrNotDigitsIsMarkedAbsent) {
  struct Case {
    std::vector<std::pair<int, std::string>> fields;
    std::uint16_t want_present;
  };
  const Case cases[] = {
      {{}, 0},
      {{{11, "000042"}}, received_stan},
      {{{11, "00004X"}, {4, "00000001234A"}}, 0},
      {{{7, "1123140000"}, {32, "12 456"}}, received_field7},
      {{{37, "ABC"}, {41, "T1"}}, received_rrn | received_terminal},
      {{{49, "JPY"}}, 0},
  };
  for (const Case& c : cases) {
    const ReceivedRecord r = received_record(capture("0100", c.fields), 0, 0, 0);
    EXPECT_EQ(r.present, c.want_present) << c.fields.size();
    if ((r.present & received_stan) == 0) {
      EXPECT_EQ(r.stan, 0u);
    }
    if ((r.present & received_amount) == 0) {
      EXPECT_EQ(r.amount, 0);
    }
  }
}

TEST(ReceivedRecord, WalDumpShowsItsFieldsInTextAndJson) {
  const ReceivedRecord r = received_record(full_request, 0, 1, answered_by_loop);
  EXPECT_EQ(printed(SwitchRecord::received, bytes_of(r), false),
            "link=0 connection=1 inflight=by_loop mti=0100 stan=42 field7=1123140000 "
            "amount=12345 currency=392 pan=400000******7899 acquirer=123456 rrn=RRN000000042 terminal=TERM0001");
  EXPECT_EQ(printed(SwitchRecord::received, bytes_of(received_record(full_request, 0, 1, 5)), true),
            "{\"link\":0,\"connection\":1,\"inflight\":5,\"mti\":\"0100\",\"stan\":42,\"field7\":1123140000,"
            "\"amount\":12345,\"currency\":392,\"pan\":\"400000******7899\",\"acquirer\":123456,"
            "\"rrn\":\"RRN000000042\",\"terminal\":\"TERM0001\"}");
}

// The RRN and terminal id are the peer's text: a quote, a backslash or a
// control byte must not break the dump's JSON or reach a terminal.
TEST(ReceivedRecord, WalDumpShowsAHostileRrnAsPlainCharacters) {
  const ReceivedRecord r = received_record(capture("0100", {{37, "A\"B\\C\x1b[2J"}, {41, "T\n1"}}), 0, 0, 0);
  EXPECT_EQ(printed(SwitchRecord::received, bytes_of(r), true),
            "{\"link\":0,\"connection\":0,\"inflight\":0,\"mti\":\"0100\",\"rrn\":\"A?B?C?[2J\",\"terminal\":\"T?1\"}");
}

// Logs written by the first builds hold 56-byte received records (no
// acquirer, RRN, terminal, currency or presence bits): the dump still reads
// them.
TEST(ReceivedRecord, WalDumpReadsAFirstBuildsShorterRecord) {
  ReceivedRecord r = received_record(full_request, 0, 1, 4);
  std::vector<std::byte> v1(received_record_v1_bytes, std::byte{0});
  std::memcpy(v1.data(), &r, received_record_v1_fields);
  EXPECT_EQ(printed(SwitchRecord::received, v1, false),
            "link=0 connection=1 inflight=4 mti=0100 stan=42 field7=1123140000 amount=12345 pan=400000******7899");
  EXPECT_EQ(printed(SwitchRecord::received, std::span(v1).first(20), false), "error=payload too short length=20");
}

TEST(SwitchRecordDump, LinkWrittenAndDroppedRecordsShowTheirFields) {
  const LinkRecord link{1, 2, 40000, 0};
  EXPECT_EQ(printed(SwitchRecord::link_up, bytes_of(link), false), "link=1 connection=2 peer_port=40000");
  EXPECT_EQ(printed(SwitchRecord::out_of_step, bytes_of(link), true),
            "{\"link\":1,\"connection\":2,\"peer_port\":40000}");
  WrittenRecord w;
  w.inflight = 3;
  w.mti = {'0', '1', '1', '0'};
  w.stan = 42;
  w.rc = {'0', '0'};
  w.approval = {'A', 'B', '1', '2', '3', '4'};
  EXPECT_EQ(printed(SwitchRecord::response_written, bytes_of(w), false),
            "link=0 connection=0 inflight=3 mti=0110 stan=42 rc=00 approval=AB1234");
  w.approval = {};
  w.rc = {'9', '1'};
  w.inflight = answered_by_loop;
  EXPECT_EQ(printed(SwitchRecord::response_written, bytes_of(w), false),
            "link=0 connection=0 inflight=by_loop mti=0110 stan=42 rc=91");
  DroppedRecord d;
  d.mti = {'0', '1', '1', '0'};
  d.reason = 1;
  EXPECT_EQ(printed(SwitchRecord::dropped, bytes_of(d), false),
            "link=0 connection=0 mti=0110 reason=stray_response");
  d.reason = 200;
  EXPECT_EQ(printed(SwitchRecord::dropped, bytes_of(d), false), "link=0 connection=0 mti=0110 reason=unknown");
}

}  // namespace
}  // namespace authswitch::io
