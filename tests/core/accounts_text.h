// The accounts the rule and flow tests run against.
#pragma once

namespace authswitch::core::testing {

// u1: prepaid 500,000, transaction 100,000, daily 200,000, monthly on the
//     20th 1,000,000; company acme (daily 250,000, monthly 1,000,000).
// u2: credit, weekly 300,000, company acme.  u3: prepaid 1,000, no limits,
// no company. Cards: c1 (u1), lost, stolen, blocked, expired (2610), c2
// (u2), c3 (u3), nov (u1, expires 2611), usd (u3, currency 840).
inline constexpr const char* rules_accounts = R"({"type":"company","id":"acme","limits":[{"period":"daily","max":250000},{"period":"monthly","max":1000000}]}
{"type":"user","id":"u1","company":"acme","balance":500000,"limits":[{"period":"transaction","max":100000},{"period":"daily","max":200000},{"period":"monthly","max":1000000,"anchor_day":20}]}
{"type":"user","id":"u2","company":"acme","limits":[{"period":"weekly","max":300000}]}
{"type":"user","id":"u3","balance":1000}
{"type":"card","id":"c1","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"}
{"type":"card","id":"lost","pan":"4000000000000010","user":"u1","expiry":"2912","status":"lost","currency":"392"}
{"type":"card","id":"stolen","pan":"4000000000000028","user":"u1","expiry":"2912","status":"stolen","currency":"392"}
{"type":"card","id":"blocked","pan":"4000000000000036","user":"u1","expiry":"2912","status":"blocked","currency":"392"}
{"type":"card","id":"expired","pan":"4000000000000044","user":"u1","expiry":"2610","status":"active","currency":"392"}
{"type":"card","id":"c2","pan":"4000000000000051","user":"u2","expiry":"2912","status":"active","currency":"392"}
{"type":"card","id":"c3","pan":"4000000000000069","user":"u3","expiry":"2912","status":"active","currency":"392"}
{"type":"card","id":"nov","pan":"4000000000000077","user":"u1","expiry":"2611","status":"active","currency":"392"}
{"type":"card","id":"usd","pan":"4000000000000085","user":"u3","expiry":"2912","status":"active","currency":"840"}
)";

inline constexpr const char* pan_c1 = "4000000000000002";
inline constexpr const char* pan_lost = "4000000000000010";
inline constexpr const char* pan_stolen = "4000000000000028";
inline constexpr const char* pan_blocked = "4000000000000036";
inline constexpr const char* pan_expired = "4000000000000044";
inline constexpr const char* pan_c2 = "4000000000000051";
inline constexpr const char* pan_c3 = "4000000000000069";
inline constexpr const char* pan_nov = "4000000000000077";
inline constexpr const char* pan_usd = "4000000000000085";
inline constexpr const char* pan_unknown = "4999999999999999";

}  // namespace authswitch::core::testing
