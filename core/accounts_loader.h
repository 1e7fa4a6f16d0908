// Loads SPEC 5's NDJSON accounts file: companies, users, cards.
//
// One JSON object per line (NDJSON; blank lines are skipped). Lines may come
// in any order (SPEC 5 promises none): a user may name a company on a later
// line, a card a user on a later line. The load runs in two passes:
//   1. Every line is read and its own fields checked (JSON, field names,
//      each at most once, types, integers within 64 bits, PAN, expiry,
//      status, currency, limits); the first bad line stops the load. A line
//      in the strict form exporters write (no whitespace, no escapes, ASCII)
//      is read by a direct scanner; any other line by simdjson, which also
//      words every error. The file is mapped, not copied; each record is
//      staged in file order.
//   2. With every count known, the id tables and the PAN index are sized
//      once (no rehash), ids interned in file order (so dense indices are
//      file order per record type), references resolved, duplicates found.
//      The error reported is the one on the earliest line.
// Errors read "FILE:LINE: field: reason" (no PAN in them, only its masked
// form); LINE counts every line of the file, blank ones included.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/accounts.h"
#include "core/card_index.h"
#include "core/pan.h"

namespace authswitch::core {

struct LoadResult {
  std::unique_ptr<Accounts> accounts;  // null on error
  std::string error;                   // "FILE:LINE: field: reason"
  std::size_t lines = 0;               // records (non-blank lines) read
};

[[nodiscard]] LoadResult load_accounts_file(const std::string& path);
// `name` stands for the file name in error messages.
[[nodiscard]] LoadResult load_accounts_text(std::string_view text, std::string_view name);

// ---- one card record, shared with the HTTP API (POST /cards) ---------------

// A card record's fields as text (JSON strings, unescaped), before checking.
struct CardText {
  std::string_view id, pan, user, expiry, status, currency;
  bool has_id = false, has_pan = false, has_user = false, has_expiry = false, has_status = false,
       has_currency = false;
};

// The card record checked and converted. `user` is still the user's id: the
// loader and the API resolve it each in their own way.
struct CardValues {
  std::string_view id, user;
  Pan pan;
  std::uint16_t expiry_yymm = 0;
  CardStatus status = CardStatus::active;
  std::uint16_t currency = 0;
};

// A failed check: which field, and why (static strings, nothing allocated).
struct FieldError {
  std::string_view field, reason;
};

// SPEC 5's rules for one card record: id present and <= 64 bytes, PAN 12 to
// 19 digits, user present, expiry YYMM with month 01-12, status present and
// one of active/blocked/lost/stolen, currency 3 digits. Checked in that
// order; false with *error set at the first failure. No allocation.
[[nodiscard]] bool check_card(const CardText& text, CardValues* out, FieldError* error) noexcept;

// Card status <-> its SPEC 5 name ("active", "blocked", "lost", "stolen").
[[nodiscard]] std::string_view card_status_to_name(CardStatus s) noexcept;
[[nodiscard]] bool card_status_from_name(std::string_view name, CardStatus* out) noexcept;

}  // namespace authswitch::core
