// Request bodies of the HTTP API (SPEC 6), parsed with simdjson.
//
// Each parser takes the raw body and either fills its output or returns
// false with "field: reason" in *error, which the API answers as 400 with
// that text: the operator sees which field is wrong. Unknown fields are
// refused, as in the accounts file and the config (a misspelt "anchor_dya"
// must not silently mean the default), and so is a field named twice. Limits reuse the loader's parser
// (core/limit_list.h), so the file and the API accept exactly the same form.
//
// No error text carries a full PAN: a bad PAN is described, never echoed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/card_index.h"
#include "core/limit_list.h"
#include "core/pan.h"

namespace authswitch::io {

// {"limits":[LIMIT, ...]}; [] unsets all.
[[nodiscard]] bool parse_limits_body(std::string_view body, core::LimitList* out, std::string* error);

// SPEC 5's card record without `type` ("type":"card" is tolerated, so a
// line of the accounts file can be posted as it is).
struct CardBody {
  std::string id;
  core::Pan pan;
  std::string user;  // the user's id; the API resolves it
  std::uint16_t expiry_yymm = 0;
  core::CardStatus status = core::CardStatus::active;
  std::uint16_t currency = 0;
};
[[nodiscard]] bool parse_card_body(std::string_view body, CardBody* out, std::string* error);

// {"status":"blocked"}
[[nodiscard]] bool parse_status_body(std::string_view body, core::CardStatus* out, std::string* error);

// {"amount":5000}: a non-zero integer in minor units (negative: an adjustment).
[[nodiscard]] bool parse_amount_body(std::string_view body, std::int64_t* amount, std::string* error);

// Card status <-> its SPEC 5 name.
[[nodiscard]] std::string_view card_status_name(core::CardStatus s) noexcept;
[[nodiscard]] bool parse_card_status(std::string_view name, core::CardStatus* out) noexcept;

}  // namespace authswitch::io
