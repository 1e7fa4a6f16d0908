// The core's full state in a snapshot file (snapshot.h is the container).
//
// Payload layout (little-endian):
//   0   u32 version (2; 1 from earlier builds still loads)
//   4   u32 cards loaded from the accounts file (the core it loads into must
//       have exactly these before the added ones)
//   8   u32 n cards added through the API
//   12  (version 2) u32 id of the core's PAN hash key (core/keyed_pan.h): a
//       snapshot taken under another key is noticed (its unknown cards'
//       hashes no longer match: 94 for their retransmissions)
//   16  n x {u16 length, card-added record payload (event_codec.h): the PAN
//       only as its AES-256-GCM blob}
//   ..  u64 length, core state (Core::save_state: no full PAN)
//
// Loading re-adds the cards through Core::apply, then loads the core state.
// Writing and loading are quiescent operations (no shard thread running);
// they allocate (start-up and shutdown, not the hot path).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/core.h"
#include "ledger/pan_cipher.h"
#include "ledger/snapshot.h"
#include "ledger/status.h"

namespace authswitch::ledger {

namespace core_snapshot_format {
inline constexpr std::uint32_t version = 2;
inline constexpr std::uint32_t version_without_key_id = 1;
inline constexpr std::size_t header_bytes = 16;
}  // namespace core_snapshot_format

// Serialises `core` covering the log up to `covered_sequence`. Cards from
// index `loaded_cards` on were added through the API (the caller notes
// accounts().card_pans.size() right after loading the accounts file); they
// are stored encrypted with `cipher` (null fails when there are any).
[[nodiscard]] Status write_core_snapshot(const std::string& wal_dir, const core::Core& core,
                                         std::uint32_t loaded_cards, std::uint64_t covered_sequence,
                                         const PanCipher* cipher, SnapshotInfo* written = nullptr);

// Loads a snapshot payload into a core freshly built from the accounts file.
// On an error the core is partly loaded: discard it (start-up stops).
// `keyed_pan_other_key` (when given) receives how many entries hold a PAN
// hash made under another key than the core's (0 when the same or unknown).
[[nodiscard]] Status load_core_snapshot(std::span<const std::byte> payload, core::Core& core,
                                        const PanCipher* cipher, std::uint64_t* keyed_pan_other_key = nullptr);

}  // namespace authswitch::ledger
