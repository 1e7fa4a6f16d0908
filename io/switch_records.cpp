#include "io/switch_records.h"

#include <type_traits>

#include "core/constants.h"
#include "ledger/pan_mask.h"
#include "ledger/record_registry.h"

namespace authswitch::io {
namespace {

static_assert(std::is_trivially_copyable_v<ReceivedRecord> && sizeof(ReceivedRecord) <= constants::wal_payload_bytes_max);

}  // namespace

void mask_into(std::string_view pan, std::array<char, 19>& out, std::uint8_t& length) noexcept {
  const ledger::MaskedPan m = ledger::mask_pan(pan);
  for (std::size_t i = 0; i < m.length; ++i) out[i] = m.chars[i];
  length = static_cast<std::uint8_t>(m.length);
}

void register_switch_record_types() {
  ledger::RecordRegistry& registry = ledger::wal_record_registry();
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::link_up), "link_up", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::link_down), "link_down", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::signed_on), "signed_on", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::received), "received", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::response_written), "response_written", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::dropped), "dropped", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::out_of_step), "out_of_step", nullptr);
}

}  // namespace authswitch::io
