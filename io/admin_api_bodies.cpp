#include "io/admin_api_bodies.h"

#include <algorithm>
#include <functional>
#include <vector>

#include <simdjson.h>

#include "core/accounts_loader.h"
#include "core/json_int.h"

namespace authswitch::io {

namespace {

using FieldFn = std::function<bool(std::string_view key, simdjson::ondemand::value value, std::string* error)>;

// Parses `body` as one JSON object and hands each field to `on_field`;
// refuses anything after the object, and a field named twice (JSON leaves
// duplicates to the reader; taking either one silently would apply a value
// the operator may not have meant), as the accounts file does.
bool for_each_field(std::string_view body, const FieldFn& on_field, std::string* error) {
  const simdjson::padded_string json(body);
  // On-demand parsing is lazy: it would not notice a syntax error in a part
  // it skips, nor trailing garbage. A strict DOM pass first (bodies are
  // small, this is off the hot path) refuses any body that is not exactly
  // one JSON value.
  simdjson::dom::parser strict;
  const simdjson::error_code strict_error = strict.parse(json).error();
  // A number the strict pass cannot hold (an integer beyond 64 bits, a float
  // beyond a double) stops it there, everything before it valid: the field
  // that reads it says what is wrong, and a body read clean is still refused
  // below, since the strict pass did not see its end.
  const bool bad_number = strict_error == simdjson::NUMBER_ERROR;
  if (strict_error != simdjson::SUCCESS && !bad_number) {
    *error = "body: not JSON";
    return false;
  }
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) {
    *error = "body: not JSON";
    return false;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) {
    *error = "body: must be a JSON object";
    return false;
  }
  std::vector<std::string> seen;  // a body has a handful of fields
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      *error = "body: malformed JSON";
      return false;
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      *error = std::string(key) + ": appears twice";
      return false;
    }
    seen.emplace_back(key);
    simdjson::ondemand::value value;
    if (field.value().get(value)) {
      *error = std::string(key) + ": malformed value";
      return false;
    }
    if (!on_field(key, value, error)) return false;
  }
  if (bad_number) {
    *error = "body: not JSON";
    return false;
  }
  return true;
}

bool read_string(simdjson::ondemand::value v, std::string_view key, std::string_view* out, std::string* error) {
  if (v.get_string().get(*out)) {
    *error = std::string(key) + ": must be a string";
    return false;
  }
  return true;
}

bool unknown(std::string_view key, std::string* error) {
  *error = std::string(key) + ": unknown field";
  return false;
}

bool missing(std::string_view key, std::string* error) {
  *error = std::string(key) + ": missing";
  return false;
}

}  // namespace

std::string_view card_status_name(core::CardStatus s) noexcept { return core::card_status_to_name(s); }

bool parse_card_status(std::string_view name, core::CardStatus* out) noexcept {
  return core::card_status_from_name(name, out);
}

bool parse_limits_body(std::string_view body, core::LimitList* out, std::string* error) {
  bool has_limits = false;
  const bool ok = for_each_field(
      body,
      [&](std::string_view key, simdjson::ondemand::value v, std::string* e) {
        if (key != "limits") return unknown(key, e);
        has_limits = true;
        return core::parse_limit_list(v, out, e);
      },
      error);
  if (!ok) return false;
  if (!has_limits) return missing("limits", error);
  return true;
}

bool parse_card_body(std::string_view body, CardBody* out, std::string* error) {
  // Copied out inside the callback: the parser's buffer dies with it.
  std::string id, pan, user, expiry, status, currency;
  bool has_id = false, has_pan = false, has_user = false, has_expiry = false, has_status = false,
       has_currency = false;
  const bool ok = for_each_field(
      body,
      [&](std::string_view key, simdjson::ondemand::value v, std::string* e) {
        auto str = [&](std::string* s, bool* has) {
          std::string_view text;
          if (!read_string(v, key, &text, e)) return false;
          *s = std::string(text);
          *has = true;
          return true;
        };
        if (key == "id") return str(&id, &has_id);
        if (key == "pan") return str(&pan, &has_pan);
        if (key == "user") return str(&user, &has_user);
        if (key == "expiry") return str(&expiry, &has_expiry);
        if (key == "status") return str(&status, &has_status);
        if (key == "currency") return str(&currency, &has_currency);
        if (key == "type") {
          std::string_view t;
          if (!read_string(v, key, &t, e)) return false;
          if (t != "card") {
            *e = "type: must be card (or left out)";
            return false;
          }
          return true;
        }
        return unknown(key, e);
      },
      error);
  if (!ok) return false;
  // The accounts file's rules for a card record, from the loader itself.
  const core::CardText text{.id = id,
                            .pan = pan,
                            .user = user,
                            .expiry = expiry,
                            .status = status,
                            .currency = currency,
                            .has_id = has_id,
                            .has_pan = has_pan,
                            .has_user = has_user,
                            .has_expiry = has_expiry,
                            .has_status = has_status,
                            .has_currency = has_currency};
  core::CardValues v;
  core::FieldError e;
  if (!core::check_card(text, &v, &e)) {
    *error = std::string(e.field) + ": " + std::string(e.reason);
    return false;
  }
  out->id = id;
  out->pan = v.pan;
  out->user = user;
  out->expiry_yymm = v.expiry_yymm;
  out->status = v.status;
  out->currency = v.currency;
  return true;
}

bool parse_status_body(std::string_view body, core::CardStatus* out, std::string* error) {
  bool has_status = false;
  const bool ok = for_each_field(
      body,
      [&](std::string_view key, simdjson::ondemand::value v, std::string* e) {
        if (key != "status") return unknown(key, e);
        std::string_view s;
        if (!read_string(v, key, &s, e)) return false;
        if (!parse_card_status(s, out)) {
          *e = "status: must be active, blocked, lost or stolen";
          return false;
        }
        has_status = true;
        return true;
      },
      error);
  if (!ok) return false;
  if (!has_status) return missing("status", error);
  return true;
}

bool parse_amount_body(std::string_view body, std::int64_t* amount, std::string* error) {
  bool has_amount = false;
  const bool ok = for_each_field(
      body,
      [&](std::string_view key, simdjson::ondemand::value v, std::string* e) {
        if (key != "amount") return unknown(key, e);
        const core::IntRead read = core::read_int64(v, amount);
        if (read == core::IntRead::out_of_range) {
          *e = "amount: " + std::string(core::minor_units_out_of_range);
          return false;
        }
        if (read != core::IntRead::ok || *amount == 0) {
          *e = "amount: must be a non-zero integer (minor units)";
          return false;
        }
        has_amount = true;
        return true;
      },
      error);
  if (!ok) return false;
  if (!has_amount) return missing("amount", error);
  return true;
}

}  // namespace authswitch::io
