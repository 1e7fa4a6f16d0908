// Loads SPEC 5's NDJSON accounts file: companies, users, cards.
//
// One pass with simdjson's iterate_many. A record may only refer to ids on
// earlier lines (companies before their users, users before their cards), so
// ten million cards load without a second pass; the demo generator and any
// export write them in that order. A bad line stops the load with
// "FILE:LINE: field: reason" (no PAN in it, only its masked form).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/accounts.h"

namespace authswitch::core {

struct LoadResult {
  std::unique_ptr<Accounts> accounts;  // null on error
  std::string error;                   // "FILE:LINE: field: reason"
  std::size_t lines = 0;
};

[[nodiscard]] LoadResult load_accounts_file(const std::string& path);
// `name` stands for the file name in error messages.
[[nodiscard]] LoadResult load_accounts_text(std::string_view text, std::string_view name);

}  // namespace authswitch::core
