// The HTTP API's endpoint handlers (SPEC 6), one function each, behind
// AdminApi (admin_api.cpp does routing, authentication and errors the
// router itself produces). Internal to io/: the runtime uses admin_api.h.
#pragma once

#include <mutex>

#include <httplib.h>

#include "io/admin_api.h"

namespace authswitch::io::admin {

// What every handler works with; lives as long as the server.
struct Context {
  const AdminApiOptions& options;
  // The core's id lookups, add_card and the control sink belong to one
  // thread at a time (core.h); HTTP workers take turns through this.
  std::mutex control;

  [[nodiscard]] core::Core& core() const noexcept { return *options.core; }
  [[nodiscard]] core::TimeMs now() const;
};

using Handler = void (*)(Context& ctx, const httplib::Request& req, httplib::Response& res);

void get_healthz(Context& ctx, const httplib::Request& req, httplib::Response& res);
void get_readyz(Context& ctx, const httplib::Request& req, httplib::Response& res);
void get_metrics(Context& ctx, const httplib::Request& req, httplib::Response& res);
void get_user(Context& ctx, const httplib::Request& req, httplib::Response& res);
void get_company(Context& ctx, const httplib::Request& req, httplib::Response& res);
void put_user_limits(Context& ctx, const httplib::Request& req, httplib::Response& res);
void put_company_limits(Context& ctx, const httplib::Request& req, httplib::Response& res);
void post_card(Context& ctx, const httplib::Request& req, httplib::Response& res);
void put_card_status(Context& ctx, const httplib::Request& req, httplib::Response& res);
void post_balance(Context& ctx, const httplib::Request& req, httplib::Response& res);
void post_clearing(Context& ctx, const httplib::Request& req, httplib::Response& res);

// Sets `res` to {"error":message,"retryable":retryable} with `status`.
void reply_error(httplib::Response& res, int status, std::string_view message, bool retryable);

}  // namespace authswitch::io::admin
