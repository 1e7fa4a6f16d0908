#include "core/limit_list.h"

#include "core/json_int.h"

namespace authswitch::core {

std::string validate_limit_list(const LimitList& list) {
  int transaction = 0;
  std::size_t periods = 0;
  for (std::size_t i = 0; i < list.count; ++i) {
    const Limit& l = list.items[i];
    if (l.max < 0) return "max: must be >= 0";
    if (l.spec.kind == PeriodKind::transaction) {
      if (++transaction > 1) return "limits: more than one transaction limit";
      continue;
    }
    if (++periods > constants::period_limits_per_owner_max) {
      return "limits: more than " + std::to_string(constants::period_limits_per_owner_max) + " period limits";
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (list.items[j].spec == l.spec) return "limits: two limits with the same period and anchors";
    }
  }
  return {};
}

namespace {

bool parse_reset(std::string_view s, std::uint16_t* minutes) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (const std::size_t i : {0u, 1u, 3u, 4u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return false;
  *minutes = static_cast<std::uint16_t>(h * 60 + m);
  return true;
}

// A limit's fields, one bit each, for refusing a field named twice in one
// limit (JSON leaves duplicates to the reader; taking either one silently
// would set a limit the operator did not write).
enum LimitField : unsigned { field_period = 1, field_max = 2, field_reset = 4, field_weekday = 8, field_day = 16 };

unsigned limit_field_of(std::string_view key) noexcept {
  if (key == "period") return field_period;
  if (key == "max") return field_max;
  if (key == "reset_time") return field_reset;
  if (key == "anchor_weekday") return field_weekday;
  if (key == "anchor_day") return field_day;
  return 0;  // unknown: refused below
}

bool parse_one(simdjson::ondemand::object obj, Limit* out, std::string* error) {
  bool has_period = false, has_max = false, has_weekday = false, has_day = false;
  unsigned seen = 0;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      *error = "limits: bad key";
      return false;
    }
    const unsigned bit = limit_field_of(key);
    if ((seen & bit) != 0) {
      *error = std::string(key) + ": appears twice in one limit";
      return false;
    }
    seen |= bit;
    simdjson::ondemand::value v;
    if (field.value().get(v)) {
      *error = std::string(key) + ": malformed value";
      return false;
    }
    if (key == "period") {
      std::string_view p;
      std::optional<PeriodKind> k;
      if (v.get_string().get(p) || !(k = parse_period(p))) {
        *error = "period: must be transaction, daily, weekly, monthly or total";
        return false;
      }
      out->spec.kind = *k;
      has_period = true;
    } else if (key == "max") {
      const IntRead read = read_int64(v, &out->max);
      if (read == IntRead::out_of_range) {
        *error = "max: " + std::string(minor_units_out_of_range);
        return false;
      }
      if (read != IntRead::ok || out->max < 0) {
        *error = "max: must be an integer >= 0 (minor units)";
        return false;
      }
      has_max = true;
    } else if (key == "reset_time") {
      std::string_view r;
      if (v.get_string().get(r) || !parse_reset(r, &out->spec.reset_minutes)) {
        *error = "reset_time: must be \"HH:MM\"";
        return false;
      }
    } else if (key == "anchor_weekday") {
      std::int64_t d = 0;
      if (v.get_int64().get(d) || d < 1 || d > 7) {
        *error = "anchor_weekday: must be 1 (Monday) to 7 (Sunday)";
        return false;
      }
      out->spec.anchor_weekday = static_cast<std::uint8_t>(d);
      has_weekday = true;
    } else if (key == "anchor_day") {
      std::int64_t d = 0;
      std::string_view s;
      if (v.get_string().get(s) == simdjson::SUCCESS) {
        if (s != "last") {
          *error = "anchor_day: must be 1 to 28 or \"last\"";
          return false;
        }
        out->spec.anchor_day = anchor_day_last;
      } else if (v.get_int64().get(d) || d < 1 || d > 28) {
        *error = "anchor_day: must be 1 to 28 or \"last\"";
        return false;
      } else {
        out->spec.anchor_day = static_cast<std::uint8_t>(d);
      }
      has_day = true;
    } else {
      *error = std::string(key) + ": unknown limit field";
      return false;
    }
  }
  if (!has_period) {
    *error = "period: missing";
    return false;
  }
  if (!has_max) {
    *error = "max: missing";
    return false;
  }
  if (has_weekday && out->spec.kind != PeriodKind::weekly) {
    *error = "anchor_weekday: only for weekly limits";
    return false;
  }
  if (has_day && out->spec.kind != PeriodKind::monthly) {
    *error = "anchor_day: only for monthly limits";
    return false;
  }
  // Anchors of other kinds stay at their defaults so equal specs compare equal.
  if (out->spec.kind == PeriodKind::transaction || out->spec.kind == PeriodKind::total) out->spec.reset_minutes = 0;
  return true;
}

}  // namespace

bool parse_limit_list(simdjson::ondemand::value value, LimitList* out, std::string* error) {
  *out = LimitList{};
  simdjson::ondemand::array arr;
  if (value.get_array().get(arr)) {
    *error = "limits: must be an array";
    return false;
  }
  for (auto element : arr) {
    simdjson::ondemand::object obj;
    if (element.get_object().get(obj)) {
      *error = "limits: each limit must be an object";
      return false;
    }
    if (out->count == out->items.size()) {
      *error = "limits: more than " + std::to_string(out->items.size()) + " limits";
      return false;
    }
    Limit l;
    if (!parse_one(obj, &l, error)) return false;
    out->items[out->count++] = l;
  }
  if (std::string e = validate_limit_list(*out); !e.empty()) {
    *error = std::move(e);
    return false;
  }
  return true;
}

}  // namespace authswitch::core
