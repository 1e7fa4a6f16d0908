// `wal dump` printers for the core's event records (event_codec.h): the
// tools call register_core_event_types(wal_record_registry()) at start.
// Printers show the masked PAN and the card index, never a full PAN; a card
// added shows its id and user, not the encrypted blob.
#pragma once

#include "ledger/record_registry.h"

namespace authswitch::ledger {

void register_core_event_types(RecordRegistry& registry);

}  // namespace authswitch::ledger
