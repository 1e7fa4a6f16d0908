#include "io/loadgen_cards.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/accounts_loader.h"
#include "core/demo_data.h"
#include "core/pan.h"

namespace authswitch::io {

CardPoolResult load_card_pool(const std::string& path, std::size_t demo_cards) {
  CardPoolResult result;
  core::LoadResult loaded = path.empty() ? core::load_accounts_text(core::generate_demo_accounts(demo_cards), "demo")
                                         : core::load_accounts_file(path);
  if (!loaded.accounts) {
    result.error = loaded.error;
    return result;
  }
  const core::Accounts& accounts = *loaded.accounts;
  CardPool& pool = result.pool;
  // An expired card is declined 54 before any rule loadgen predicts (SPEC 3
  // rule 6); loadgen leaves those out rather than guess the switch's clock.
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  const unsigned now_yymm = static_cast<unsigned>((utc.tm_year % 100) * 100 + utc.tm_mon + 1);
  // Table order is hash order: a spread over users, which is what a load wants.
  for (const core::CardEntry& e : accounts.cards.entries()) {
    if (e.pan_digits == 0 || e.expiry_yymm < now_yymm) continue;
    LoadgenCard card;
    const std::string digits = core::pan_digits(core::Pan{e.pan, e.pan_digits});
    std::memcpy(card.pan, digits.data(), digits.size());
    std::snprintf(card.currency, sizeof card.currency, "%03u", static_cast<unsigned>(e.currency % 1000));
    card.expiry_yymm = e.expiry_yymm;
    card.status = e.status;
    card.transaction_max = accounts.users[e.user].limits.transaction_max;
    card.prepaid = accounts.users[e.user].has_balance;
    if (card.status == 0) {
      if (card.transaction_max >= 0) pool.limited.push_back(static_cast<std::uint32_t>(pool.active.size()));
      pool.active.push_back(card);
    } else {
      pool.inactive.push_back(card);
    }
  }
  if (pool.active.empty()) result.error = (path.empty() ? std::string("demo") : path) + ": no active card to load";
  return result;
}

const char* status_response_code(std::uint8_t status) noexcept {
  switch (status) {
    case 2: return "41";
    case 3: return "43";
    default: return "62";
  }
}

}  // namespace authswitch::io
