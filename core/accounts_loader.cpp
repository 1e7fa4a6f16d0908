#include "core/accounts_loader.h"

#include <algorithm>
#include <cstring>

#include <simdjson.h>

#include "core/limit_list.h"
#include "core/pan.h"

namespace authswitch::core {

namespace {

enum class RecordType { none, company, user, card };

// Every field any record may carry, gathered before the type is known
// (fields come in any order).
struct Record {
  RecordType type = RecordType::none;
  std::string_view id, company, user, pan, expiry, status, currency;
  bool has_company = false, has_user = false, has_pan = false, has_expiry = false, has_status = false,
       has_currency = false, has_balance = false, has_limits = false;
  std::int64_t balance = 0;
  LimitList limits;
};

struct Failure {
  std::string field, reason;
};

// memchr is vectorised in glibc; a std::count byte loop at -O2 was 40% of the
// load's instructions.
std::size_t count_newlines(const char* begin, const char* end) {
  std::size_t n = 0;
  while (begin < end) {
    const void* nl = std::memchr(begin, '\n', static_cast<std::size_t>(end - begin));
    if (nl == nullptr) break;
    ++n;
    begin = static_cast<const char*>(nl) + 1;
  }
  return n;
}

bool digits_only(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads one line's object into `r`; false with *f set on a bad field.
bool read_record(simdjson::ondemand::document_reference doc, Record* r, Failure* f) {
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) {
    *f = {"json", "each line must be one JSON object"};
    return false;
  }
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      *f = {"json", "malformed key"};
      return false;
    }
    simdjson::ondemand::value v;
    if (field.value().get(v)) {
      *f = {std::string(key), "malformed value"};
      return false;
    }
    auto str = [&](std::string_view* out, bool* has) {
      if (v.get_string().get(*out)) {
        *f = {std::string(key), "must be a string"};
        return false;
      }
      if (has != nullptr) *has = true;
      return true;
    };
    if (key == "type") {
      std::string_view t;
      if (!str(&t, nullptr)) return false;
      if (t == "company") r->type = RecordType::company;
      else if (t == "user") r->type = RecordType::user;
      else if (t == "card") r->type = RecordType::card;
      else {
        *f = {"type", "must be company, user or card"};
        return false;
      }
    } else if (key == "id") {
      if (!str(&r->id, nullptr)) return false;
    } else if (key == "company") {
      if (!str(&r->company, &r->has_company)) return false;
    } else if (key == "user") {
      if (!str(&r->user, &r->has_user)) return false;
    } else if (key == "pan") {
      if (!str(&r->pan, &r->has_pan)) return false;
    } else if (key == "expiry") {
      if (!str(&r->expiry, &r->has_expiry)) return false;
    } else if (key == "status") {
      if (!str(&r->status, &r->has_status)) return false;
    } else if (key == "currency") {
      if (!str(&r->currency, &r->has_currency)) return false;
    } else if (key == "balance") {
      if (v.get_int64().get(r->balance)) {
        *f = {"balance", "must be an integer (minor units)"};
        return false;
      }
      r->has_balance = true;
    } else if (key == "limits") {
      std::string e;
      if (!parse_limit_list(v, &r->limits, &e)) {
        const auto colon = e.find(": ");
        *f = {e.substr(0, colon), colon == std::string::npos ? e : e.substr(colon + 2)};
        return false;
      }
      r->has_limits = true;
    } else {
      *f = {std::string(key), "unknown field"};
      return false;
    }
  }
  return true;
}

class Loader {
 public:
  explicit Loader(std::size_t lines) : acc_(std::make_unique<Accounts>()) {
    acc_->slots = std::make_unique<SlotPool>(lines * constants::period_limits_per_owner_max +
                                             constants::limit_slots_spare);
    // Cards are most of any real file: size their tables for every line up
    // front, so ten million cards never rehash or move (growing them cost a
    // third of the load time at 1,000,000 cards).
    acc_->card_ids.reserve(lines);
    acc_->cards.reserve(lines);
    acc_->card_pans.reserve(lines);
  }

  bool add(const Record& r, Failure* f) {
    if (r.id.empty()) return fail(f, "id", "missing");
    if (r.id.size() > constants::account_id_bytes_max) return fail(f, "id", "longer than 64 bytes");
    switch (r.type) {
      case RecordType::none: return fail(f, "type", "missing");
      case RecordType::company: return add_company(r, f);
      case RecordType::user: return add_user(r, f);
      case RecordType::card: return add_card(r, f);
    }
    return false;
  }

  std::unique_ptr<Accounts> finish() {
    acc_->cards.reserve(acc_->cards.size() + constants::cards_added_max);
    acc_->card_pans.reserve(acc_->card_pans.size() + constants::cards_added_max);
    return std::move(acc_);
  }

 private:
  static bool fail(Failure* f, std::string field, std::string reason) {
    *f = {std::move(field), std::move(reason)};
    return false;
  }

  bool only(const Record& r, bool allowed_company, bool allowed_user_fields, bool allowed_card_fields, Failure* f) {
    if (r.has_company && !allowed_company) return fail(f, "company", "not a field of this record type");
    if ((r.has_balance) && !allowed_user_fields) return fail(f, "balance", "not a field of this record type");
    if (r.has_limits && allowed_card_fields) return fail(f, "limits", "not a field of a card");
    if (!allowed_card_fields && (r.has_pan || r.has_user || r.has_expiry || r.has_status || r.has_currency)) {
      return fail(f, r.has_pan ? "pan" : r.has_user ? "user" : r.has_expiry ? "expiry" : r.has_status ? "status" : "currency",
                  "not a field of this record type");
    }
    return true;
  }

  bool add_company(const Record& r, Failure* f) {
    if (!only(r, false, false, false, f)) return false;
    if (!acc_->company_ids.insert(r.id)) return fail(f, "id", "duplicate company id");
    Company& c = acc_->companies.emplace_back();
    if (!install_limits(c.limits, *acc_->slots, r.limits)) return fail(f, "limits", "no limit slots left");
    return true;
  }

  bool add_user(const Record& r, Failure* f) {
    if (!only(r, true, true, false, f)) return false;
    std::uint32_t company = no_index;
    if (r.has_company) {
      company = acc_->company_ids.find(r.company);
      if (company == IdIndex::none) return fail(f, "company", "unknown company (it must come on an earlier line)");
    }
    if (!acc_->user_ids.insert(r.id)) return fail(f, "id", "duplicate user id");
    User& u = acc_->users.emplace_back();
    u.company = company;
    u.has_balance = r.has_balance;
    u.balance = r.balance;
    if (!install_limits(u.limits, *acc_->slots, r.limits)) return fail(f, "limits", "no limit slots left");
    return true;
  }

  bool add_card(const Record& r, Failure* f) {
    if (!only(r, false, false, true, f)) return false;
    if (!r.has_pan) return fail(f, "pan", "missing");
    const auto pan = parse_pan(r.pan);
    if (!pan) return fail(f, "pan", "must be 12 to 19 digits");
    if (!r.has_user) return fail(f, "user", "missing");
    const std::uint32_t user = acc_->user_ids.find(r.user);
    if (user == IdIndex::none) return fail(f, "user", "unknown user (it must come on an earlier line)");
    if (!r.has_expiry) return fail(f, "expiry", "missing");
    if (r.expiry.size() != 4 || !digits_only(r.expiry)) return fail(f, "expiry", "must be YYMM");
    const int yy = (r.expiry[0] - '0') * 10 + (r.expiry[1] - '0');
    const int mm = (r.expiry[2] - '0') * 10 + (r.expiry[3] - '0');
    if (mm < 1 || mm > 12) return fail(f, "expiry", "month must be 01 to 12");
    CardStatus status = CardStatus::active;
    if (r.has_status) {
      if (r.status == "active") status = CardStatus::active;
      else if (r.status == "blocked") status = CardStatus::blocked;
      else if (r.status == "lost") status = CardStatus::lost;
      else if (r.status == "stolen") status = CardStatus::stolen;
      else return fail(f, "status", "must be active, blocked, lost or stolen");
    }
    if (!r.has_currency) return fail(f, "currency", "missing");
    if (r.currency.size() != 3 || !digits_only(r.currency)) return fail(f, "currency", "must be 3 digits (ISO 4217)");
    const auto card = acc_->card_ids.insert(r.id);
    if (!card) return fail(f, "id", "duplicate card id");
    CardEntry e;
    e.pan = pan->value;
    e.pan_digits = pan->digits;
    e.status = static_cast<std::uint8_t>(status);
    e.currency = static_cast<std::uint16_t>((r.currency[0] - '0') * 100 + (r.currency[1] - '0') * 10 +
                                            (r.currency[2] - '0'));
    e.expiry_yymm = static_cast<std::uint16_t>(yy * 100 + mm);
    e.user = user;
    e.card = *card;
    if (acc_->cards.size() + 1 > acc_->cards.capacity_cards()) {
      acc_->cards.reserve(std::max<std::size_t>(1024, acc_->cards.size() * 2));
    }
    if (acc_->cards.insert(e) == nullptr) return fail(f, "pan", "duplicate PAN " + mask_pan(*pan));
    acc_->card_pans.push_back(*pan);
    return true;
  }

  std::unique_ptr<Accounts> acc_;
};

}  // namespace

namespace {

LoadResult load_padded(simdjson::padded_string_view json, std::string_view name) {
  LoadResult out;
  const std::string_view text(json.data(), json.size());
  const std::size_t lines = count_newlines(text.data(), text.data() + text.size()) + 1;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document_stream stream;
  Loader loader(lines);
  auto at = [&](std::size_t line, const std::string& field, const std::string& reason) {
    out.error = std::string(name) + ":" + std::to_string(line) + ": " + field + ": " + reason;
    return std::move(out);
  };
  if (auto err = parser.iterate_many(json.data(), json.size(), simdjson::dom::DEFAULT_BATCH_SIZE).get(stream); err) return at(1, "json", simdjson::error_message(err));
  std::size_t line = 1, counted_to = 0;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    const std::size_t offset = it.current_index();
    line += count_newlines(json.data() + counted_to, json.data() + offset);
    counted_to = offset;
    auto doc = *it;
    if (doc.error()) return at(line, "json", simdjson::error_message(doc.error()));
    Record r;
    Failure f;
    if (!read_record(doc.value_unsafe(), &r, &f) || !loader.add(r, &f)) return at(line, f.field, f.reason);
  }
  if (stream.truncated_bytes() > 0) {
    // The unparsed tail starts at the bad line (after any blank lines).
    std::size_t bad = text.size() - stream.truncated_bytes();
    while (bad < text.size() && (text[bad] == '\n' || text[bad] == ' ' || text[bad] == '\r' || text[bad] == '\t')) ++bad;
    line += count_newlines(json.data() + counted_to, json.data() + bad);
    return at(line, "json", "incomplete or malformed JSON line");
  }
  out.accounts = loader.finish();
  out.lines = lines;
  return out;
}

}  // namespace

LoadResult load_accounts_text(std::string_view text, std::string_view name) {
  const simdjson::padded_string json(text);
  return load_padded(json, name);
}

LoadResult load_accounts_file(const std::string& path) {
  simdjson::padded_string content;
  if (auto err = simdjson::padded_string::load(path).get(content); err) {
    LoadResult out;
    out.error = path + ":0: file: " + simdjson::error_message(err);
    return out;
  }
  return load_padded(content, path);
}

}  // namespace authswitch::core
