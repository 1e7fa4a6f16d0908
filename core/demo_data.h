// The demo data set: N cards, deterministic, for `serve`'s embedded default,
// the benchmarks and the tests.
//
//   card  i: id "c<i>", PAN demo_pan(i) = "4000" + i as 11 digits + a Luhn
//            check digit (16 digits; card 0 is 4000000000000002), currency
//            392 (JPY), expiry "3012"; status active except i % 1000 == 997
//            blocked, 998 lost, 999 stolen.
//   user  u: id "u<u>", owns cards 2u and 2u+1; limits transaction 100,000,
//            daily 200,000, monthly 1,000,000; even users are prepaid with a
//            balance of 500,000, odd users are credit (no balance); every
//            fourth user (u % 4 == 3) has no company.
//   company k: id "co<k>", users 100k .. 100k+99 (those with a company),
//            limit monthly 50,000,000.
//
// Lines come company, its users, each user's cards (the loader accepts any
// order; this one keeps each user's cards next to it).
#pragma once

#include <cstddef>
#include <string>

namespace authswitch::core {

inline constexpr std::size_t demo_cards_per_user = 2;
inline constexpr std::size_t demo_users_per_company = 100;

// The PAN of demo card i (16 digits).
[[nodiscard]] std::string demo_pan(std::size_t card);
// The NDJSON text of a demo data set of `cards` cards.
[[nodiscard]] std::string generate_demo_accounts(std::size_t cards);

}  // namespace authswitch::core
