// How the HTTP API shows users, companies and cards (SPEC 6).
//
//   {"id":"u1","company":"acme","balance":500000,"open_holds":12000,
//    "limits":[{"period":"daily","max":200000,
//               "current":{"start":"2026-11-23T00:00:00+09:00","end":"...","total":12000},
//               "next":{"start":"...","end":"...","total":0}}]}
//
// - `company` is null for a user without one; `balance` is null for a
//   credit user (no prepaid balance, SPEC 5).
// - A limit shows `reset_time`, `anchor_weekday` and `anchor_day` only when
//   they differ from their defaults, so it reads like the SPEC 5 form that
//   set it (and can be sent back as it is, without the periods).
// - `transaction` limits have no periods; `total` never resets, so its
//   `current` has null start and end and there is no `next`.
// - Times are RFC 3339 in the switch's zone, with its offset at that instant.
#pragma once

#include <string>
#include <string_view>

#include "core/core.h"
#include "core/zone.h"

namespace authswitch::io {

// `company_id` is empty when the user has no company.
[[nodiscard]] std::string user_json(std::string_view id, std::string_view company_id, const core::OwnerView& view,
                                    const core::Zone& zone);
[[nodiscard]] std::string company_json(std::string_view id, const core::OwnerView& view, const core::Zone& zone);

// A card as POST /v1/cards answers it: the PAN masked (first 6, last 4).
[[nodiscard]] std::string card_json(std::string_view id, const core::Pan& pan, std::string_view user,
                                    std::uint16_t expiry_yymm, core::CardStatus status, std::uint16_t currency);

}  // namespace authswitch::io
