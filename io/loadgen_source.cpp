#include "io/loadgen_source.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

#include "codec/codec.h"
#include "core/assert.h"
#include "core/pan.h"

namespace authswitch::io {
namespace {

constexpr std::uint64_t none = ~std::uint64_t{0};
constexpr std::uint32_t stan_values = 1'000'000;
static_assert(loadgen_table_slots < stan_values, "a STAN must name one remembered request");
// Originals remembered for duplicates and reversals: ~0.1 s at 50,000/s, so
// a follow-up refers to a recent request, as a network's retry would.
constexpr std::size_t followup_candidates = 4096;
// approve amounts: 100 to 5,000 minor units, far below the demo limits
// (100,000 a transaction, 200,000 a day), so most approve requests approve.
constexpr std::int64_t approve_amount_min = 100;
constexpr std::int64_t approve_amount_span = 4'901;

const codec::FieldSet echoed{2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49};
constexpr int echoed_fields[] = {2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// splitmix64: one multiply-xorshift step a value, plenty for picking cards.
std::uint64_t next_random(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void write_digits(char* out, std::size_t width, std::uint64_t value) {
  for (std::size_t i = width; i-- > 0;) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// SPEC 2: a balance inquiry's 00 carries the available balance as one
// additional-amounts block: account type 00, amount type 02, the card's
// currency, C or D, 12 digits.
bool is_available_balance_block(std::string_view block, std::string_view currency) {
  return block.size() == 20 && block.substr(0, 4) == "0002" && block.substr(4, 3) == currency &&
         (block[7] == 'C' || block[7] == 'D') && all_digits(block.substr(8));
}

std::string masked(std::string_view pan) {
  const auto parsed = core::parse_pan(pan);
  return parsed ? core::mask_pan(*parsed) : std::string("(not a PAN)");
}

}  // namespace

enum class RecordState : std::uint8_t { free, sent, answered };

struct LoadgenSource::Record {
  std::uint64_t sequence = none;
  std::uint64_t built_ns = 0;
  std::uint64_t original = none;  // duplicate, conflict, reversal: the original's sequence
  std::uint64_t followup = none;  // an original: its duplicate or conflict in flight
  std::uint64_t rrn = 0;          // field 37's number (an original's, for a retransmission)
  std::int64_t amount = 0;
  std::uint32_t stan = 0;
  std::uint32_t card = 0;  // index into the pool's active or inactive cards, or the unknown PAN's number
  std::uint32_t original_stan = 0;
  char field7[10] = {};
  char original_field7[10] = {};
  RequestKind kind = RequestKind::approve;
  RequestKind card_kind = RequestKind::approve;  // approve, blocked, unknown or balance: which card and 3
  RecordState state = RecordState::free;
  bool reversed = false;
  bool late = false;  // answered after the timeout
  char rc[2] = {};
  char approval[6] = {};  // the answer's 38, or spaces
  char expect_rc[2] = {};
  char expect_approval[6] = {};
};

// The text of every field of one request; FieldValues points into it.
struct LoadgenSource::Fields {
  char pan[20] = {};
  char amount[12] = {};
  char stan[6] = {};
  char rrn[12] = {};
  char field90[42] = {};
  codec::FieldValues values;
};

LoadgenSource::LoadgenSource(const CardPool& cards, const LoadgenSourceOptions& options)
    : cards_(cards),
      options_(options),
      random_(options.seed),
      table_(std::make_unique<Record[]>(loadgen_table_slots)),
      stan_to_sequence_(std::make_unique<std::uint64_t[]>(stan_values)),
      next_stan_(static_cast<std::uint32_t>(next_random(random_) % stan_values)),
      answered_(followup_candidates),
      approved_(followup_candidates) {
  AS_ASSERT(!cards_.active.empty());
  AS_ASSERT(options_.acquirer.size() <= 11);
  std::fill_n(stan_to_sequence_.get(), stan_values, none);
  counts_.reasons_61.reserve(loadgen_reasons_max);
  counts_.mismatch_notes.reserve(loadgen_mismatch_notes_max);
}

LoadgenSource::~LoadgenSource() = default;

LoadgenSource::Record* LoadgenSource::original_for_followup(bool approved_only) {
  std::vector<std::uint64_t>& ring = approved_only ? approved_ : answered_;
  std::size_t& head = approved_only ? approved_head_ : answered_head_;
  std::size_t& size = approved_only ? approved_size_ : answered_size_;
  while (size != 0) {
    const std::uint64_t sequence = ring[head];
    head = (head + 1) % ring.size();
    --size;
    Record& r = table_[sequence % loadgen_table_slots];
    if (r.sequence != sequence || r.state != RecordState::answered) continue;  // lapped since
    if (approved_only ? r.reversed : r.followup != none) continue;
    return &r;
  }
  return nullptr;
}

void LoadgenSource::choose(std::uint64_t sequence, Record& r) {
  r = Record{};
  r.sequence = sequence;
  RequestKind kind = options_.mix.pick(next_random(random_));
  Record* original = nullptr;
  if (kind == RequestKind::duplicate || kind == RequestKind::conflict || kind == RequestKind::reversal) {
    original = original_for_followup(kind == RequestKind::reversal);
    if (original == nullptr) kind = RequestKind::approve;
  }
  if (kind == RequestKind::blocked && cards_.inactive.empty()) kind = RequestKind::approve;
  if (kind == RequestKind::limit && cards_.limited.empty()) kind = RequestKind::approve;
  r.kind = kind;

  // Field 7 is the send time; formatting it once a second keeps gmtime off
  // the per-request path.
  const std::int64_t second = static_cast<std::int64_t>(std::time(nullptr));
  if (second != field7_second_) {
    field7_second_ = second;
    const std::time_t t = static_cast<std::time_t>(second);
    std::tm utc{};
    gmtime_r(&t, &utc);
    write_digits(field7_, 2, static_cast<std::uint64_t>(utc.tm_mon + 1));
    write_digits(field7_ + 2, 2, static_cast<std::uint64_t>(utc.tm_mday));
    write_digits(field7_ + 4, 2, static_cast<std::uint64_t>(utc.tm_hour));
    write_digits(field7_ + 6, 2, static_cast<std::uint64_t>(utc.tm_min));
    write_digits(field7_ + 8, 2, static_cast<std::uint64_t>(utc.tm_sec));
  }

  if (kind == RequestKind::duplicate || kind == RequestKind::conflict) {
    // Same key and card as the original; a conflict changes the amount only.
    r.original = original->sequence;
    r.rrn = original->rrn;
    r.stan = original->stan;
    r.card = original->card;
    r.card_kind = original->card_kind;
    r.amount = original->amount + (kind == RequestKind::conflict ? 1 : 0);
    std::memcpy(r.field7, original->field7, 10);
    if (kind == RequestKind::duplicate) {
      std::memcpy(r.expect_rc, original->rc, 2);
      std::memcpy(r.expect_approval, original->approval, 6);
    } else {
      std::memcpy(r.expect_rc, "94", 2);
    }
    original->followup = sequence;
    return;
  }

  r.stan = next_stan_;
  next_stan_ = (next_stan_ + 1) % stan_values;
  stan_to_sequence_[r.stan] = sequence;
  r.rrn = sequence;
  std::memcpy(r.field7, field7_, 10);
  const std::uint64_t random = next_random(random_);
  switch (kind) {
    case RequestKind::reversal:
      r.original = original->sequence;
      r.original_stan = original->stan;
      std::memcpy(r.original_field7, original->field7, 10);
      r.card = original->card;
      r.card_kind = RequestKind::approve;
      r.amount = original->amount;
      original->reversed = true;
      std::memcpy(r.expect_rc, "00", 2);
      break;
    case RequestKind::limit: {
      r.card = cards_.limited[random % cards_.limited.size()];
      const LoadgenCard& card = cards_.active[r.card];
      r.amount = card.transaction_max + 1 + static_cast<std::int64_t>((random >> 32) % 1000);
      std::memcpy(r.expect_rc, "61", 2);
      break;
    }
    case RequestKind::unknown:
      r.card_kind = RequestKind::unknown;
      r.card = static_cast<std::uint32_t>(random);
      r.amount = approve_amount_min;
      std::memcpy(r.expect_rc, "14", 2);
      break;
    case RequestKind::blocked:
      r.card_kind = RequestKind::blocked;
      r.card = static_cast<std::uint32_t>(random % cards_.inactive.size());
      r.amount = approve_amount_min;
      std::memcpy(r.expect_rc, status_response_code(cards_.inactive[r.card].status), 2);
      break;
    case RequestKind::balance:
      r.card_kind = RequestKind::balance;
      r.card = static_cast<std::uint32_t>(random % cards_.active.size());
      r.amount = 0;
      std::memcpy(r.expect_rc, "00", 2);
      break;
    case RequestKind::echo:
    case RequestKind::advice:
      std::memcpy(r.expect_rc, "00", 2);
      [[fallthrough]];
    default:  // approve: the code depends on totals loadgen does not keep
      r.card = static_cast<std::uint32_t>(random % cards_.active.size());
      r.amount = approve_amount_min + static_cast<std::int64_t>((random >> 32) % approve_amount_span);
      break;
  }
}

void LoadgenSource::fill(const Record& r, Fields& f) const {
  codec::FieldValues& v = f.values;
  v.clear_all();
  write_digits(f.stan, 6, r.stan);
  const std::string_view stan(f.stan, 6);
  const std::string_view field7(r.field7, 10);
  if (r.kind == RequestKind::echo) {
    v.set_mti("0800");
    v.set(7, field7);
    v.set(11, stan);
    v.set(70, "301");
    return;
  }
  const LoadgenCard* card = nullptr;
  std::string_view pan;
  if (r.card_kind == RequestKind::unknown) {
    // 9999 then 12 digits: no issuer range of the demo set or a test file.
    std::memcpy(f.pan, "9999", 4);
    write_digits(f.pan + 4, 12, r.card);
    pan = std::string_view(f.pan, 16);
  } else {
    card = r.card_kind == RequestKind::blocked ? &cards_.inactive[r.card] : &cards_.active[r.card];
    pan = card->pan;
  }
  write_digits(f.amount, 12, static_cast<std::uint64_t>(r.amount));
  write_digits(f.rrn, 12, r.rrn);
  switch (r.kind) {
    case RequestKind::duplicate: v.set_mti("0101"); break;
    case RequestKind::advice: v.set_mti("0120"); break;
    case RequestKind::reversal: v.set_mti("0400"); break;
    default: v.set_mti("0100"); break;
  }
  v.set(2, pan);
  v.set(3, r.card_kind == RequestKind::balance ? "300000" : "000000");
  v.set(4, std::string_view(f.amount, 12));
  v.set(7, field7);
  v.set(11, stan);
  v.set(12, field7.substr(4, 6));
  v.set(13, field7.substr(0, 4));
  v.set(18, "5999");
  v.set(22, "012");
  v.set(32, options_.acquirer);
  v.set(37, std::string_view(f.rrn, 12));
  v.set(41, "LOADGEN1");
  v.set(42, "AUTHSWITCHLOAD1");
  v.set(43, "AUTHSWITCH LOADGEN       TOKYO        JP");
  v.set(49, card != nullptr ? std::string_view(card->currency, 3) : std::string_view("392"));
  if (r.kind == RequestKind::reversal) {
    // MTI, STAN, field 7, acquirer zero padded to 11, forwarding id (none).
    char* p = f.field90;
    std::memcpy(p, "0100", 4);
    write_digits(p + 4, 6, r.original_stan);
    std::memcpy(p + 10, r.original_field7, 10);
    std::memset(p + 20, '0', 22);
    std::memcpy(p + 31 - options_.acquirer.size(), options_.acquirer.data(), options_.acquirer.size());
    v.set(90, std::string_view(f.field90, 42));
  }
}

std::size_t LoadgenSource::build_frame(std::uint64_t sequence, std::span<std::byte> out) {
  Record& r = table_[sequence % loadgen_table_slots];
  choose(sequence, r);
  Fields f;
  fill(r, f);
  const codec::PackResult packed =
      codec::pack(codec::Dialect::iso87_ascii(), f.values, out, {.framing = codec::Framing::len2, .secondary_bitmap = {}});
  AS_ASSERT(packed.error.ok());
  r.state = RecordState::sent;
  r.built_ns = now_ns();
  next_sequence_ = sequence + 1;
  ++counts_.sent_by_kind[static_cast<std::size_t>(r.kind)];
  return packed.size;
}

std::uint64_t LoadgenSource::overdue_so_far() {
  const std::uint64_t now = now_ns();
  const auto timeout_ns = static_cast<std::uint64_t>(options_.timeout.count()) * 1'000'000;
  while (overdue_cursor_ < next_sequence_) {
    const Record& r = table_[overdue_cursor_ % loadgen_table_slots];
    if (r.sequence == overdue_cursor_) {
      const bool judged_late = r.state == RecordState::sent ? now - r.built_ns > timeout_ns
                                                            : r.state == RecordState::answered && r.late;
      if (r.state == RecordState::sent && !judged_late) break;  // still within its timeout
      if (judged_late) ++overdue_;
    }  // else lapped by a newer request: its fate is the final count's to tell
    ++overdue_cursor_;
  }
  return overdue_;
}

void LoadgenSource::mismatch(const Record& r, const std::string& what) {
  ++counts_.mismatches;
  if (counts_.mismatch_notes.size() < loadgen_mismatch_notes_max) {
    counts_.mismatch_notes.push_back("request " + std::to_string(r.sequence) + " (" +
                                     std::string(to_string(r.kind)) + "): " + what);
  }
}

std::optional<std::size_t> LoadgenSource::reply_to_server(std::span<const std::byte> payload,
                                                          std::span<std::byte> out) {
  // Only an 0800 starts with these bytes; anything else is left to match_answer.
  constexpr std::string_view mti = "0800";
  if (payload.size() < mti.size() ||
      std::memcmp(payload.data(), mti.data(), mti.size()) != 0) {
    return std::nullopt;
  }
  codec::MessageView request;
  if (!codec::unpack(codec::Dialect::iso87_ascii(), payload, request).ok()) return std::nullopt;
  codec::FieldValues v;
  v.clear_all();
  v.set_mti("0810");
  for (const int f : {7, 11, 70}) {
    if (request.has(f)) v.set(f, request.wire(f));
  }
  v.set(39, "00");
  const codec::PackResult packed =
      codec::pack(codec::Dialect::iso87_ascii(), v, out, {.framing = codec::Framing::len2, .secondary_bitmap = {}});
  return packed.error.ok() ? packed.size : 0;
}

std::optional<std::uint64_t> LoadgenSource::match_answer(std::span<const std::byte> payload) {
  codec::MessageView answer;
  if (!codec::unpack(codec::Dialect::iso87_ascii(), payload, answer).ok()) return std::nullopt;
  const std::string_view stan_text = answer.wire(11);
  if (stan_text.size() != 6) return std::nullopt;
  std::uint32_t stan = 0;
  for (const char c : stan_text) {
    if (c < '0' || c > '9') return std::nullopt;
    stan = stan * 10 + static_cast<std::uint32_t>(c - '0');
  }
  const std::uint64_t sequence = stan_to_sequence_[stan];
  if (sequence == none) return std::nullopt;
  Record* r = &table_[sequence % loadgen_table_slots];
  if (r->sequence != sequence) return std::nullopt;
  if (r->state != RecordState::sent) {
    // The original is answered: this is its retransmission's answer, if one is out.
    if (r->followup == none) return std::nullopt;
    r = &table_[r->followup % loadgen_table_slots];
    if (r->sequence != table_[sequence % loadgen_table_slots].followup || r->state != RecordState::sent) {
      return std::nullopt;
    }
  }
  // 7 and 32 complete the key; an answer that differs there is not to us.
  if (answer.wire(7) != std::string_view(r->field7, 10)) return std::nullopt;
  if (r->kind != RequestKind::echo && answer.wire(32) != options_.acquirer) return std::nullopt;
  check(*r, answer);
  return r->sequence;
}

void LoadgenSource::check(Record& r, const codec::MessageView& answer) {
  r.state = RecordState::answered;
  if (now_ns() - r.built_ns > static_cast<std::uint64_t>(options_.timeout.count()) * 1'000'000) {
    r.late = true;
    ++counts_.late;
  }
  if (r.original != none && r.kind != RequestKind::reversal) {
    // A follow-up answered: its original may take another.
    Record& original = table_[r.original % loadgen_table_slots];
    if (original.sequence == r.original) original.followup = none;
  }

  const std::string_view rc = answer.wire(39);
  const bool rc_numeric = rc.size() == 2 && rc[0] >= '0' && rc[0] <= '9' && rc[1] >= '0' && rc[1] <= '9';
  if (rc_numeric) {
    ++counts_.by_rc[static_cast<std::size_t>((rc[0] - '0') * 10 + (rc[1] - '0'))];
    std::memcpy(r.rc, rc.data(), 2);
  } else {
    ++counts_.rc_other;
    mismatch(r, "field 39 missing or not two digits");
    return;
  }
  const std::string_view reason = answer.wire(44);
  if (rc == "61") {
    bool found = false;
    for (LoadgenCounts::Reason& known : counts_.reasons_61) {
      if (known.text == reason) {
        ++known.count;
        found = true;
        break;
      }
    }
    if (!found && counts_.reasons_61.size() < loadgen_reasons_max) counts_.reasons_61.push_back({std::string(reason), 1});
  }

  Fields f;
  fill(r, f);
  const codec::FieldValues& request = f.values;
  // The response MTI: the request's class (repeat digit cleared), function + 1.
  char expected_mti[4];
  std::memcpy(expected_mti, request.mti().data(), 4);
  expected_mti[2] = static_cast<char>(expected_mti[2] + 1);
  expected_mti[3] = '0';
  if (answer.mti() != std::string_view(expected_mti, 4)) {
    mismatch(r, "response MTI " + std::string(answer.mti()) + ", expected " + std::string(expected_mti, 4));
    return;
  }
  for (const int field : echoed_fields) {
    if (!request.has(field)) continue;
    if (answer.wire(field) != request.get(field)) {
      mismatch(r, "field " + std::to_string(field) + " not echoed: " +
                      (field == 2 ? masked(answer.wire(field)) : "'" + std::string(answer.wire(field)) + "'"));
      return;
    }
  }
  const std::string_view approval = answer.wire(38);
  // An approval carries its approval code; a retransmission is held to its
  // first answer instead (a balance inquiry's 00 may have none).
  if (rc == "00" && (r.kind == RequestKind::approve || r.kind == RequestKind::conflict) && approval.size() != 6) {
    mismatch(r, "approved without a 6-character field 38");
    return;
  }
  if (approval.size() == 6) std::memcpy(r.approval, approval.data(), 6);
  else std::memset(r.approval, ' ', 6);

  // 91 (cannot decide in time, overloaded) is an honest answer to any decision.
  if (rc == "91" && r.kind != RequestKind::echo) return;
  if (r.expect_rc[0] != 0 && rc != std::string_view(r.expect_rc, 2)) {
    mismatch(r, "field 39 " + std::string(rc) + ", expected " + std::string(r.expect_rc, 2));
    return;
  }
  if (r.kind == RequestKind::duplicate && std::memcmp(r.approval, r.expect_approval, 6) != 0) {
    mismatch(r, "retransmission answered with field 38 '" + std::string(r.approval, 6) + "', first answer '" +
                    std::string(r.expect_approval, 6) + "'");
    return;
  }
  if (r.kind == RequestKind::limit && reason != "USER:TRANSACTION") {
    mismatch(r, "61 with field 44 '" + std::string(reason) + "', expected USER:TRANSACTION");
    return;
  }
  if (r.kind == RequestKind::balance && rc == "00") {
    const LoadgenCard& card = cards_.active[r.card];
    if (card.prepaid && !answer.has(54)) {
      mismatch(r, "balance inquiry on a prepaid card approved without field 54");
      return;
    }
    if (answer.has(54) && !is_available_balance_block(answer.wire(54), std::string_view(card.currency, 3))) {
      mismatch(r, "field 54 '" + std::string(answer.wire(54)) +
                      "' is not one additional-amounts block: 00, 02, the card's currency " +
                      std::string(card.currency, 3) + ", C or D, 12 digits");
      return;
    }
  }

  // Final answers to fresh 0100s may be retransmitted; approved purchases reversed.
  const bool fresh_0100 = r.kind == RequestKind::approve || r.kind == RequestKind::limit ||
                          r.kind == RequestKind::unknown || r.kind == RequestKind::blocked ||
                          r.kind == RequestKind::balance;
  if (fresh_0100 && rc != "96") {
    answered_[(answered_head_ + answered_size_) % answered_.size()] = r.sequence;
    if (answered_size_ < answered_.size()) ++answered_size_;
    else answered_head_ = (answered_head_ + 1) % answered_.size();
  }
  if (r.kind == RequestKind::approve && rc == "00") {
    approved_[(approved_head_ + approved_size_) % approved_.size()] = r.sequence;
    if (approved_size_ < approved_.size()) ++approved_size_;
    else approved_head_ = (approved_head_ + 1) % approved_.size();
  }
}

}  // namespace authswitch::io
