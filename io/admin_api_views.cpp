#include "io/admin_api_views.h"

#include <array>
#include <cstdio>

#include "io/admin_api_bodies.h"
#include "io/http_json.h"

namespace authswitch::io {

namespace {

// "HH:MM", "04:30".
std::string hh_mm(std::uint16_t minutes) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%02u:%02u", static_cast<unsigned>(minutes / 60),
                static_cast<unsigned>(minutes % 60));
  return buf.data();
}

// Zero padded to `width` digits ("0392", "2912").
std::string padded(unsigned value, int width) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%0*u", width, value);
  return buf.data();
}

void write_time(JsonOut& out, core::TimeMs t, const core::Zone& zone) {
  if (t <= core::time_ms_min || t >= core::time_ms_max) {
    out.null();  // an open end: the `total` period
  } else {
    out.string(core::format_rfc3339(t, zone));
  }
}

void write_period(JsonOut& out, const core::PeriodView& p, const core::Zone& zone) {
  out.begin_object();
  out.key("start");
  write_time(out, p.start, zone);
  out.key("end");
  write_time(out, p.end, zone);
  out.key("total").integer(p.total);
  out.end_object();
}

void write_limits(JsonOut& out, const core::OwnerView& view, const core::Zone& zone) {
  out.key("limits").begin_array();
  for (std::size_t i = 0; i < view.limit_count; ++i) {
    const core::LimitView& lv = view.limits[i];
    const core::LimitSpec& spec = lv.limit.spec;
    out.begin_object();
    out.key("period").string(core::period_name(spec.kind));
    out.key("max").integer(lv.limit.max);
    const bool resets = spec.kind == core::PeriodKind::daily || spec.kind == core::PeriodKind::weekly ||
                        spec.kind == core::PeriodKind::monthly;
    if (resets && spec.reset_minutes != 0) out.key("reset_time").string(hh_mm(spec.reset_minutes));
    if (spec.kind == core::PeriodKind::weekly && spec.anchor_weekday != 1) {
      out.key("anchor_weekday").integer(spec.anchor_weekday);
    }
    if (spec.kind == core::PeriodKind::monthly && spec.anchor_day != 1) {
      if (spec.anchor_day == core::anchor_day_last) {
        out.key("anchor_day").string("last");
      } else {
        out.key("anchor_day").integer(spec.anchor_day);
      }
    }
    if (spec.kind != core::PeriodKind::transaction) {
      out.key("current");
      write_period(out, lv.current, zone);
      if (spec.kind != core::PeriodKind::total) {
        out.key("next");
        write_period(out, lv.next, zone);
      }
    }
    out.end_object();
  }
  out.end_array();
}

}  // namespace

std::string user_json(std::string_view id, std::string_view company_id, const core::OwnerView& view,
                      const core::Zone& zone) {
  JsonOut out;
  out.begin_object();
  out.key("id").string(id);
  out.key("company");
  if (company_id.empty()) {
    out.null();
  } else {
    out.string(company_id);
  }
  out.key("balance");
  if (view.has_balance) {
    out.integer(view.balance);
  } else {
    out.null();
  }
  out.key("open_holds").integer(view.open_holds);
  write_limits(out, view, zone);
  out.end_object();
  return out.take();
}

std::string company_json(std::string_view id, const core::OwnerView& view, const core::Zone& zone) {
  JsonOut out;
  out.begin_object();
  out.key("id").string(id);
  write_limits(out, view, zone);
  out.end_object();
  return out.take();
}

std::string card_json(std::string_view id, const core::Pan& pan, std::string_view user, std::uint16_t expiry_yymm,
                      core::CardStatus status, std::uint16_t currency) {
  JsonOut out;
  out.begin_object();
  out.key("id").string(id);
  out.key("pan").string(core::mask_pan(pan));
  out.key("user").string(user);
  out.key("expiry").string(padded(expiry_yymm, 4));
  out.key("status").string(card_status_name(status));
  out.key("currency").string(padded(currency, 3));
  out.end_object();
  return out.take();
}

}  // namespace authswitch::io
