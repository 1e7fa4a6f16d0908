#include "core/demo_data.h"

#include <cstdio>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::core {

std::string demo_pan(std::size_t card) {
  char digits[17];
  std::snprintf(digits, sizeof digits, "4000%011zu", card);
  // Luhn: double every second digit from the right, check digit excluded.
  int sum = 0;
  for (int i = 14; i >= 0; --i) {
    int d = digits[i] - '0';
    if ((14 - i) % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  digits[15] = static_cast<char>('0' + (10 - sum % 10) % 10);
  digits[16] = '\0';
  return digits;
}

std::string generate_demo_accounts(std::size_t cards) {
  AS_ASSERT(cards <= constants::demo_cards_max);
  std::string out;
  out.reserve(cards * 150);
  const std::size_t users = (cards + demo_cards_per_user - 1) / demo_cards_per_user;
  char line[512];
  for (std::size_t u = 0; u < users; ++u) {
    const std::size_t company = u / demo_users_per_company;
    if (u % demo_users_per_company == 0) {
      std::snprintf(line, sizeof line,
                    "{\"type\":\"company\",\"id\":\"co%zu\",\"limits\":[{\"period\":\"monthly\",\"max\":50000000}]}\n",
                    company);
      out += line;
    }
    char company_field[48] = "";
    if (u % 4 != 3) std::snprintf(company_field, sizeof company_field, "\"company\":\"co%zu\",", company);
    std::snprintf(line, sizeof line,
                  "{\"type\":\"user\",\"id\":\"u%zu\",%s%s\"limits\":[{\"period\":\"transaction\",\"max\":100000},"
                  "{\"period\":\"daily\",\"max\":200000},{\"period\":\"monthly\",\"max\":1000000}]}\n",
                  u, company_field, u % 2 == 0 ? "\"balance\":500000," : "");
    out += line;
    for (std::size_t c = u * demo_cards_per_user; c < (u + 1) * demo_cards_per_user && c < cards; ++c) {
      const char* status = c % 1000 == 997 ? "blocked" : c % 1000 == 998 ? "lost" : c % 1000 == 999 ? "stolen" : "active";
      std::snprintf(line, sizeof line,
                    "{\"type\":\"card\",\"id\":\"c%zu\",\"pan\":\"%s\",\"user\":\"u%zu\",\"expiry\":\"3012\","
                    "\"status\":\"%s\",\"currency\":\"392\"}\n",
                    c, demo_pan(c).c_str(), u, status);
      out += line;
    }
  }
  return out;
}

}  // namespace authswitch::core
