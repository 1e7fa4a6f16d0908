// Bearer-token check for the HTTP API's writes (SPEC 6).
#pragma once

#include <string_view>

namespace authswitch::io {

// True when `authorization` (the header's value) is "Bearer <token>" with
// exactly `token`. The scheme is matched case-insensitively (RFC 7235); the
// token is compared in time independent of where the first difference lies,
// so a caller cannot find the token byte by byte from response times. An
// empty `token` matches nothing: an unconfigured API refuses every write.
[[nodiscard]] bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept;

}  // namespace authswitch::io
