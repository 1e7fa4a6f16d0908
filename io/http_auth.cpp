#include "io/http_auth.h"

#include <cstddef>

namespace authswitch::io {

namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept {
  static constexpr std::string_view scheme = "bearer ";
  if (token.empty() || authorization.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (lower(authorization[i]) != scheme[i]) return false;  // the scheme is no secret
  }
  const std::string_view given = authorization.substr(scheme.size());
  // Every byte of the configured token is visited whatever `given` holds; the
  // differences are OR-ed together and looked at once, at the end. `volatile`
  // keeps the compiler from turning the loop back into an early exit.
  volatile unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff = static_cast<unsigned char>(diff | static_cast<unsigned char>(g ^ token[i]));
  }
  return diff == 0;
}

}  // namespace authswitch::io
