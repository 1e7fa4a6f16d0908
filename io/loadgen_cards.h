// The cards loadgen plays with (SPEC 11): what it must know about each card to
// build a request and to predict the answer when the answer is predictable.
//
// Loaded once, before the first request, from the accounts NDJSON (SPEC 5)
// through the core's own loader (so loadgen accepts exactly the files `serve`
// accepts), or from the generated demo data set (core/demo_data.h). loadgen
// does not keep totals: it does not load the switch's state, so a limit or
// balance decline is only predicted where no total matters (an amount above
// the per-transaction limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace authswitch::io {

struct LoadgenCard {
  char pan[20] = {};             // NUL-terminated digits (12..19)
  char currency[4] = {};         // n3, e.g. "392"
  std::uint16_t expiry_yymm = 0;  // 3012 is December 2030
  std::uint8_t status = 0;       // core::CardStatus: 0 active, 1 blocked, 2 lost, 3 stolen
  std::int64_t transaction_max = -1;  // the user's per-transaction limit; -1: none
  bool prepaid = false;               // the user has a balance: a balance inquiry answers field 54
};

struct CardPool {
  std::vector<LoadgenCard> active;    // status active
  std::vector<LoadgenCard> inactive;  // blocked, lost or stolen
  // Active cards whose user has a per-transaction limit (index into active).
  std::vector<std::uint32_t> limited;
};

struct CardPoolResult {
  CardPool pool;
  std::string error;  // "FILE:LINE: field: reason" as the loader says it; empty on success
};

// `path` empty: the demo data set of `demo_cards` cards.
[[nodiscard]] CardPoolResult load_card_pool(const std::string& path, std::size_t demo_cards);

// The response code SPEC 3 rule 5 gives a card of this status (41, 43, 62).
[[nodiscard]] const char* status_response_code(std::uint8_t status) noexcept;

}  // namespace authswitch::io
