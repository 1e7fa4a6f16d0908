#include "io/admin_api_handlers.h"

#include <chrono>
#include <string>

#include "core/pan.h"
#include "io/admin_api_bodies.h"
#include "io/admin_api_views.h"
#include "io/http_json.h"
#include "io/switch_constants.h"

namespace authswitch::io::admin {

namespace {

constexpr const char* json_type = "application/json";
// Prometheus' text exposition format, version 0.0.4.
constexpr const char* prometheus_type = "text/plain; version=0.0.4";

void reply_json(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), json_type);
}

// Status for a failed core operation, with the message the operator reads.
void reply_op_error(httplib::Response& res, core::OpStatus st, std::string_view what, const std::string& detail) {
  switch (st) {
    case core::OpStatus::not_found: return reply_error(res, 404, std::string(what) + ": not found", false);
    case core::OpStatus::invalid: return reply_error(res, 400, detail.empty() ? "body: invalid" : detail, false);
    case core::OpStatus::full:
      return reply_error(res, 503, std::string(what) + ": a preallocated table is full; retry later", true);
    case core::OpStatus::duplicate: return reply_error(res, 409, std::string(what) + ": already exists", false);
    case core::OpStatus::conflict:
      return reply_error(res, 422, "Idempotency-Key: already used with a different body", false);
    case core::OpStatus::no_balance:
      return reply_error(res, 400, "amount: the user has no prepaid balance (a credit user)", false);
    case core::OpStatus::out_of_range:
      return reply_error(res, 400, "amount: the balance after it would leave the range of a 64-bit count of minor units",
                         false);
    case core::OpStatus::ok:
    case core::OpStatus::replayed: break;
  }
  reply_error(res, 500, "internal error", true);
}

// Before a write touches the core: the log must have room for its records
// (WriteLog::reserve), on the thread that owns `sink`.
bool reserve_log(Context& ctx, core::EventSink& sink) {
  return ctx.options.write_log == nullptr ||
         ctx.options.write_log->reserve(sink, constants::switch_records_per_operation);
}

void reply_log_busy(httplib::Response& res) {
  reply_error(res, 503, "the write-ahead log is busy: nothing was applied; retry", true);
}

LogMark mark_log(Context& ctx, const core::EventSink& sink) {
  return ctx.options.write_log == nullptr ? LogMark{} : ctx.options.write_log->mark(sink);
}

// After a write the core applied: true once its record is released by the
// log; else answers 503 (retryable: an Idempotency-Key retry is answered as
// the first time once the record is kept) and returns false.
bool wait_logged(Context& ctx, const LogMark& mark, httplib::Response& res) {
  if (ctx.options.write_log == nullptr) return true;
  if (!mark.failed && ctx.options.write_log->wait_released(mark, ctx.options.write_timeout)) return true;
  reply_error(res, 503,
              mark.failed ? "the write-ahead log failed to take the record; retry"
                          : "the write-ahead log did not keep the record in time; retry",
              true);
  return false;
}

std::string path_id(const httplib::Request& req) { return req.matches.size() > 1 ? req.matches[1].str() : ""; }

// The body's identity for Idempotency-Key (FNV-1a over the parsed amount):
// {"amount":5000} and { "amount" : 5000 } are the same body.
std::uint64_t amount_hash(std::int64_t amount) {
  std::uint64_t h = 14695981039346656037ull;
  auto u = static_cast<std::uint64_t>(amount);
  for (int i = 0; i < 8; ++i) {
    h = (h ^ (u & 0xff)) * 1099511628211ull;
    u >>= 8;
  }
  return h;
}

// A user's view with its company's id; nullopt-like empty id when unknown.
bool render_user(Context& ctx, std::string_view id, std::string* out) {
  std::lock_guard lock(ctx.control);
  const std::uint32_t user = ctx.core().find_user(id);
  if (user == core::no_index) return false;
  const core::OwnerView view = ctx.core().read_user(user, ctx.now());
  const std::string_view company =
      view.company == core::no_index ? std::string_view{} : ctx.core().accounts().company_ids.name(view.company);
  *out = user_json(id, company, view, ctx.core().config().zone);
  return true;
}

bool render_company(Context& ctx, std::string_view id, std::string* out) {
  std::lock_guard lock(ctx.control);
  const std::uint32_t company = ctx.core().find_company(id);
  if (company == core::no_index) return false;
  *out = company_json(id, ctx.core().read_company(company, ctx.now()), ctx.core().config().zone);
  return true;
}

void put_limits(Context& ctx, core::LimitOwner owner, const httplib::Request& req, httplib::Response& res) {
  const std::string id = path_id(req);
  const std::string_view what = owner == core::LimitOwner::user ? "user" : "company";
  core::LimitList limits;
  std::string error;
  if (!parse_limits_body(req.body, &limits, &error)) return reply_error(res, 400, error, false);
  std::uint32_t index = core::no_index;
  core::ShardId shard = 0;
  {
    std::lock_guard lock(ctx.control);
    index = owner == core::LimitOwner::user ? ctx.core().find_user(id) : ctx.core().find_company(id);
    if (index != core::no_index) {
      shard = owner == core::LimitOwner::user ? ctx.core().shard_of_user(index) : ctx.core().shard_of_company(index);
    }
  }
  if (index == core::no_index) return reply_error(res, 404, std::string(what) + " " + id + ": not found", false);
  // Totals change only on the owner's shard thread (single writer).
  core::OpStatus st = core::OpStatus::ok;
  bool reserved = false;
  LogMark mark;
  ctx.options.run_on_shard(shard, [&](core::EventSink& sink) {
    reserved = reserve_log(ctx, sink);
    if (!reserved) return;
    st = ctx.core().set_limits(shard, owner, index, limits, sink, &error);
    mark = mark_log(ctx, sink);
  });
  if (!reserved) return reply_log_busy(res);
  if (st != core::OpStatus::ok) return reply_op_error(res, st, what, error);
  if (!wait_logged(ctx, mark, res)) return;
  std::string body;
  const bool found = owner == core::LimitOwner::user ? render_user(ctx, id, &body) : render_company(ctx, id, &body);
  if (!found) return reply_error(res, 404, std::string(what) + " " + id + ": not found", false);
  reply_json(res, 200, std::move(body));
}

}  // namespace

core::TimeMs Context::now() const {
  if (options.now) return options.now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void reply_error(httplib::Response& res, int status, std::string_view message, bool retryable) {
  reply_json(res, status, json_error(message, retryable));
}

void get_healthz(Context&, const httplib::Request&, httplib::Response& res) {
  reply_json(res, 200, R"({"status":"ok"})");
}

void get_readyz(Context& ctx, const httplib::Request&, httplib::Response& res) {
  // No flag given: nothing to wait for.
  const bool ready = !ctx.options.ready || ctx.options.ready();
  if (ready) return reply_json(res, 200, R"({"status":"ready"})");
  reply_error(res, 503, "not ready: recovery running, a link down (see authswitch_link_up) or stopping", true);
}

void get_metrics(Context& ctx, const httplib::Request&, httplib::Response& res) {
  res.status = 200;
  res.set_content(ctx.options.metrics_text ? ctx.options.metrics_text() : std::string(), prometheus_type);
}

void get_user(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string id = path_id(req);
  std::string body;
  if (!render_user(ctx, id, &body)) return reply_error(res, 404, "user " + id + ": not found", false);
  reply_json(res, 200, std::move(body));
}

void get_company(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string id = path_id(req);
  std::string body;
  if (!render_company(ctx, id, &body)) return reply_error(res, 404, "company " + id + ": not found", false);
  reply_json(res, 200, std::move(body));
}

void put_user_limits(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  put_limits(ctx, core::LimitOwner::user, req, res);
}

void put_company_limits(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  put_limits(ctx, core::LimitOwner::company, req, res);
}

void post_card(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  CardBody card;
  std::string error;
  if (!parse_card_body(req.body, &card, &error)) return reply_error(res, 400, error, false);
  std::unique_lock lock(ctx.control);
  core::Core& core = ctx.core();
  const std::uint32_t user = core.find_user(card.user);
  if (user == core::no_index) return reply_error(res, 404, "user " + card.user + ": not found", false);
  // Said apart here so the operator knows which one clashes (the core only
  // says "duplicate"); the PAN only masked.
  if (core.find_card(card.id) != core::no_index) {
    return reply_error(res, 409, "id: card " + card.id + " already exists", false);
  }
  if (core.find_card_by_pan(card.pan) != nullptr) {
    return reply_error(res, 409, "pan: a card with PAN " + core::mask_pan(card.pan) + " already exists", false);
  }
  core::NewCard nc;
  nc.id = card.id;
  nc.pan = card.pan;
  nc.user = user;
  nc.expiry_yymm = card.expiry_yymm;
  nc.status = card.status;
  nc.currency = card.currency;
  if (!reserve_log(ctx, *ctx.options.control_sink)) return reply_log_busy(res);
  const core::OpStatus st = core.add_card(nc, *ctx.options.control_sink);
  if (st != core::OpStatus::ok) return reply_op_error(res, st, "card", {});
  const LogMark mark = mark_log(ctx, *ctx.options.control_sink);
  lock.unlock();  // other writes go on while this one waits for the log
  if (!wait_logged(ctx, mark, res)) return;
  res.set_header("Location", "/v1/cards/" + card.id);
  reply_json(res, 201, card_json(card.id, card.pan, card.user, card.expiry_yymm, card.status, card.currency));
}

void put_card_status(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string id = path_id(req);
  core::CardStatus status = core::CardStatus::active;
  std::string error;
  if (!parse_status_body(req.body, &status, &error)) return reply_error(res, 400, error, false);
  std::unique_lock lock(ctx.control);
  const std::uint32_t card = ctx.core().find_card(id);
  if (card == core::no_index) return reply_error(res, 404, "card " + id + ": not found", false);
  if (!reserve_log(ctx, *ctx.options.control_sink)) return reply_log_busy(res);
  const core::OpStatus st = ctx.core().set_card_status(card, status, *ctx.options.control_sink);
  if (st != core::OpStatus::ok) return reply_op_error(res, st, "card", {});
  const LogMark mark = mark_log(ctx, *ctx.options.control_sink);
  lock.unlock();
  if (!wait_logged(ctx, mark, res)) return;
  JsonOut out;
  out.begin_object().key("id").string(id).key("status").string(card_status_name(status)).end_object();
  reply_json(res, 200, out.take());
}

void post_balance(Context& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string id = path_id(req);
  const std::string key = req.get_header_value("Idempotency-Key");
  if (key.empty()) return reply_error(res, 400, "Idempotency-Key: missing header", false);
  if (key.size() > constants::account_id_bytes_max) {
    return reply_error(res, 400,
                       "Idempotency-Key: longer than " + std::to_string(constants::account_id_bytes_max) + " bytes",
                       false);
  }
  std::int64_t amount = 0;
  std::string error;
  if (!parse_amount_body(req.body, &amount, &error)) return reply_error(res, 400, error, false);
  std::uint32_t user = core::no_index;
  core::ShardId shard = 0;
  {
    std::lock_guard lock(ctx.control);
    user = ctx.core().find_user(id);
    if (user != core::no_index) shard = ctx.core().shard_of_user(user);
  }
  if (user == core::no_index) return reply_error(res, 404, "user " + id + ": not found", false);
  // On the shard thread: the balance has one writer, and the idempotency
  // record of the key lives there too, so two racing retries are ordered.
  core::BalanceResult result;
  bool reserved = false;
  LogMark mark;
  ctx.options.run_on_shard(shard, [&](core::EventSink& sink) {
    reserved = reserve_log(ctx, sink);
    if (!reserved) return;
    result = ctx.core().adjust_balance(shard, user, amount, key, amount_hash(amount), sink);
    mark = mark_log(ctx, sink);
  });
  if (!reserved) return reply_log_busy(res);
  if (result.status != core::OpStatus::ok && result.status != core::OpStatus::replayed) {
    return reply_op_error(res, result.status, "user", {});
  }
  // A replay waits too: the sink's last record covers the first time's.
  if (!wait_logged(ctx, mark, res)) return;
  // A replay answers exactly as the first time (the stored balance after).
  JsonOut out;
  out.begin_object()
      .key("id").string(id)
      .key("amount").integer(amount)
      .key("balance").integer(result.balance_after)
      .end_object();
  reply_json(res, 200, out.take());
}

void post_clearing(Context&, const httplib::Request&, httplib::Response& res) {
  reply_error(res, 501,
              "clearing is not available yet: it lands with the ledger's clearing work (SPEC 8); "
              "nothing was applied",
              false);
}

}  // namespace authswitch::io::admin
