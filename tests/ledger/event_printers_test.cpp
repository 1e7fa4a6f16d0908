// `wal dump`'s summaries of the core's events (ledger/event_printers.h): a
// transaction key is shown as the fields it is made of, the same names the
// received record uses, so `grep stan=N` finds a request, its decision, its
// answer and a reversal of it.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "core/pan.h"
#include "core/txn_table.h"
#include "ledger/event_codec.h"
#include "ledger/event_printers.h"
#include "ledger/record_registry.h"

namespace authswitch::ledger {
namespace {

std::string printed(const core::Event& event, bool json) {
  std::array<std::byte, event_format::payload_bytes_max> buffer{};
  EncodedEvent encoded;
  const CodecResult r = encode_event(event, core::no_index, nullptr, buffer, encoded);
  EXPECT_TRUE(r.ok()) << r.error;
  RecordRegistry registry;
  register_core_event_types(registry);
  const RecordTypeInfo* info = registry.find(encoded.type);
  EXPECT_NE(info, nullptr);
  std::string out;
  if (info != nullptr && info->print != nullptr) info->print(std::span(buffer).first(encoded.bytes), json, out);
  return out;
}

const core::TxnKey approval_key = core::make_txn_key(static_cast<std::uint8_t>(core::MtiClass::authorization),
                                                     424242, 1204233421, 822465);

TEST(EventPrinters, ADecisionShowsItsKeyAsClassAcquirerField7AndStan) {
  core::DecisionEvent d;
  d.key = approval_key;
  d.content.pan = *core::parse_pan("4000001234567899");
  d.content.amount = 2537;
  d.rc = core::ResponseCode::approved;
  const std::string text = printed(d, false);
  EXPECT_EQ(text.rfind("class=authorization acquirer=424242 field7=1204233421 stan=822465 pan=400000******7899 ", 0),
            0u)
      << text;
  const std::string json = printed(d, true);
  EXPECT_EQ(json.rfind(R"({"class":"authorization","acquirer":424242,"field7":1204233421,"stan":822465,)", 0), 0u)
      << json;
}

TEST(EventPrinters, AReversalShowsItsOwnKeyAndItsOriginals) {
  core::ReversalEvent v;
  v.key = core::make_txn_key(static_cast<std::uint8_t>(core::MtiClass::reversal), 424242, 1204233422, 822483);
  v.original_key = approval_key;
  v.rc = core::ResponseCode::approved;
  const std::string text = printed(v, false);
  EXPECT_EQ(text.rfind("class=reversal acquirer=424242 field7=1204233422 stan=822483 original_class=authorization "
                       "original_acquirer=424242 original_field7=1204233421 original_stan=822465 ",
                       0),
            0u)
      << text;
}

TEST(EventPrinters, AHoldExpiredShowsItsOriginalsKey) {
  core::HoldExpiredEvent h;
  h.original_key = approval_key;
  h.released = 2537;
  EXPECT_EQ(printed(h, false),
            "original_class=authorization original_acquirer=424242 original_field7=1204233421 original_stan=822465 "
            "released=2537");
}

}  // namespace
}  // namespace authswitch::ledger
