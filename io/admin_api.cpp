#include "io/admin_api.h"

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <algorithm>
#include <string_view>
#include <utility>

#include <httplib.h>

#include "core/assert.h"
#include "core/thread_name.h"
#include "io/admin_api_handlers.h"
#include "io/http_auth.h"
#include "io/http_json.h"

namespace authswitch::io {

namespace {

// Largest body accepted: a card or a limit list is well under 1 KiB; 64 KiB
// leaves room and bounds what one request can make a worker buffer (413).
constexpr std::size_t body_bytes_max = 64 * 1024;
// An operator's request is answered in microseconds; a peer that sends
// nothing for 5 s is holding a worker and is cut off.
constexpr time_t read_timeout_s = 5;

struct Route {
  const char* method;
  const char* pattern;  // cpp-httplib's: std::regex over the decoded path
  bool write;           // needs the bearer token
  admin::Handler handler;
};

constexpr std::array<Route, 11> routes{{
    {"GET", "/healthz", false, admin::get_healthz},
    {"GET", "/readyz", false, admin::get_readyz},
    {"GET", "/metrics", false, admin::get_metrics},
    {"GET", "/v1/users/([^/]+)", false, admin::get_user},
    {"GET", "/v1/companies/([^/]+)", false, admin::get_company},
    {"PUT", "/v1/users/([^/]+)/limits", true, admin::put_user_limits},
    {"PUT", "/v1/companies/([^/]+)/limits", true, admin::put_company_limits},
    {"POST", "/v1/cards", true, admin::post_card},
    {"PUT", "/v1/cards/([^/]+)/status", true, admin::put_card_status},
    {"POST", "/v1/users/([^/]+)/balance", true, admin::post_balance},
    {"POST", "/v1/clearing", true, admin::post_clearing},
}};

// Whether `path` matches a route's pattern, segment by segment: "([^/]+)"
// stands for one non-empty segment, anything else for itself. The same
// patterns go to cpp-httplib (as std::regex); matching them by hand here
// keeps std::regex out of this file (g++ 12 with sanitizers flags its
// internals with a false maybe-uninitialized warning).
bool path_matches(std::string_view path, std::string_view pattern) {
  static constexpr std::string_view any_segment = "([^/]+)";
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    // The wildcard holds a '/' itself ("[^/]"), so it is taken whole.
    const std::size_t pe =
        pattern.starts_with(any_segment) ? any_segment.size() : std::min(pattern.find('/'), pattern.size());
    const std::size_t se = std::min(path.find('/'), path.size());
    const std::string_view want = pattern.substr(0, pe), got = path.substr(0, se);
    if (want == any_segment ? got.empty() : want != got) return false;
    pattern.remove_prefix(pe);
    path.remove_prefix(se);
  }
  return pattern.empty() && path.empty();
}

// A request whose body was not read must not leave it in the stream for the
// next request on a kept-alive connection to trip over.
bool body_pending(const httplib::Request& req) {
  const std::string length = req.get_header_value("Content-Length");
  return (!length.empty() && length != "0") || req.has_header("Transfer-Encoding");
}

// The words for an error status cpp-httplib set before any handler ran.
std::string http_layer_error(int status) {
  switch (status) {
    case 400: return "request: malformed HTTP";
    case 413: return "body: larger than " + std::to_string(body_bytes_max) + " bytes";
    case 414: return "request: URI too long";
    default: return "request: refused by the HTTP layer (" + std::to_string(status) + ")";
  }
}

}  // namespace

struct AdminApi::Server {
  explicit Server(const AdminApiOptions& options) : ctx{options, {}} {}

  // What the router decides before the body is read: an unknown path (404),
  // a known path with another method (405), a write without the token
  // (401). False when the request may go on to its handler.
  bool refuse_early(const httplib::Request& req, httplib::Response& res) const {
    // HEAD is served by the GET handlers (cpp-httplib maps it).
    const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
    bool path_known = false;
    std::string allow;
    for (const Route& route : routes) {
      if (!path_matches(req.path, route.pattern)) continue;
      path_known = true;
      if (method == route.method) {
        if (!route.write || bearer_token_matches(req.get_header_value("Authorization"), ctx.options.token)) {
          return false;
        }
        res.set_header("WWW-Authenticate", "Bearer");
        admin::reply_error(res, 401, "Authorization: a write needs \"Bearer\" and the admin token", false);
        return true;
      }
      if (!allow.empty()) allow += ", ";
      allow += route.method;
    }
    if (!path_known) {
      admin::reply_error(res, 404, "no such route: " + req.method + " " + req.path, false);
    } else {
      res.set_header("Allow", allow);
      admin::reply_error(res, 405, "method " + req.method + " not allowed here; allowed: " + allow, false);
    }
    return true;
  }

  admin::Context ctx;
  httplib::Server http;
  std::atomic<bool> listen_returned{false};  // the listener thread's loop has ended
};

AdminApi::AdminApi(AdminApiOptions options) : options_(std::move(options)) {
  AS_ASSERT(options_.core != nullptr && options_.run_on_shard && options_.control_sink != nullptr);
  AS_ASSERT(options_.threads > 0);
}

AdminApi::~AdminApi() { stop(); }

std::string AdminApi::start() {
  AS_ASSERT(!server_);
  auto server = std::make_unique<Server>(options_);
  httplib::Server& http = server->http;
  Server* s = server.get();
  const std::size_t threads = options_.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(body_bytes_max);
  http.set_read_timeout(read_timeout_s);
  http.set_keep_alive_timeout(static_cast<time_t>(options_.keep_alive.count()));

  http.set_pre_routing_handler([s](const httplib::Request& req, httplib::Response& res) {
    if (!s->refuse_early(req, res)) return httplib::Server::HandlerResponse::Unhandled;
    if (body_pending(req)) res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  // A client that asks before sending its body learns the refusal instead of
  // a "100 Continue", and never sends the body.
  http.set_expect_100_continue_handler([s](const httplib::Request& req, httplib::Response& res) {
    if (!s->refuse_early(req, res)) return 100;
    res.set_header("Connection", "close");
    // cpp-httplib 0.11 writes this answer without a Content-Length, and
    // closes the socket only after its keep-alive wait: without one, a
    // client could not tell the body's end until then.
    res.set_header("Content-Length", std::to_string(res.body.size()));
    return res.status;
  });
  // Errors cpp-httplib produces itself (413, a malformed request line) get
  // the same JSON shape as ours; ours already have a body and pass through.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        admin::reply_error(res, res.status, http_layer_error(res.status), res.status >= 500);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    admin::reply_error(res, 500, "internal error", true);
  });

  for (const Route& r : routes) {
    auto handler = [s, h = r.handler](const httplib::Request& req, httplib::Response& res) { h(s->ctx, req, res); };
    const std::string_view method = r.method;
    if (method == "GET") http.Get(r.pattern, handler);
    else if (method == "PUT") http.Put(r.pattern, handler);
    else if (method == "POST") http.Post(r.pattern, handler);
    else AS_ASSERT(false);
  }

  int port = options_.port;
  if (port == 0) {
    port = http.bind_to_any_port(options_.host);
    if (port < 0) return "admin.listen " + options_.host + ":0: cannot bind";
  } else if (!http.bind_to_port(options_.host, port)) {
    return "admin.listen " + options_.host + ":" + std::to_string(port) + ": cannot bind (in use or not local?)";
  }
  port_ = static_cast<std::uint16_t>(port);
  server_ = std::move(server);
  listener_ = std::thread([s] {
    core::name_this_thread("as-http");
    s->http.listen_after_bind();
    s->listen_returned.store(true, std::memory_order_release);
  });
  // cpp-httplib's stop() does nothing until the loop runs, so a stop() right
  // after start() would leave the loop running forever: wait for it to run
  // (or to have failed at once). Start-up only, microseconds.
  while (!s->http.is_running() && !s->listen_returned.load(std::memory_order_acquire)) std::this_thread::yield();
  if (s->listen_returned.load(std::memory_order_acquire)) {
    listener_.join();
    server_.reset();
    return "admin.listen " + options_.host + ":" + std::to_string(port_) + ": cannot serve";
  }
  return {};
}

void AdminApi::stop() {
  if (!server_) return;
  server_->http.stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
}

}  // namespace authswitch::io
