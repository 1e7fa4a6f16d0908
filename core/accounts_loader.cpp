#include "core/accounts_loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <new>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "core/json_int.h"
#include "core/limit_list.h"
#include "core/prefetch.h"

namespace authswitch::core {

// ---- one card record ----------------------------------------------------------

namespace {

bool digits_only(std::string_view s) noexcept {
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Eight ASCII digits at p as a number (SWAR, as simdjson's number parser):
// false if any byte is not a digit. ~12 instructions where a byte loop takes ~40.
bool eight_digits(const char* p, std::uint64_t* out) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if (((w & 0xF0F0F0F0F0F0F0F0ull) | (((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) !=
      0x3333333333333333ull) {
    return false;
  }
  w -= 0x3030303030303030ull;
  w = (w * 10) + (w >> 8);
  w = (((w & 0x000000FF000000FFull) * 0x000F424000000064ull) +
       (((w >> 16) & 0x000000FF000000FFull) * 0x0000271000000001ull)) >> 32;
  *out = w;
  return true;
}

// parse_pan (pan.h) eight digits at a time.
bool fast_pan(std::string_view s, Pan* out) noexcept {
  if (s.size() < pan_digits_min || s.size() > pan_digits_max) return false;
  std::uint64_t v = 0, chunk = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    if (!eight_digits(s.data() + i, &chunk)) return false;
    v = v * 100'000'000ull + chunk;
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = Pan{v, static_cast<std::uint8_t>(s.size())};
  return true;
}

bool fail(FieldError* e, std::string_view field, std::string_view reason) noexcept {
  *e = {field, reason};
  return false;
}

}  // namespace

std::string_view card_status_to_name(CardStatus s) noexcept {
  switch (s) {
    case CardStatus::active: return "active";
    case CardStatus::blocked: return "blocked";
    case CardStatus::lost: return "lost";
    case CardStatus::stolen: return "stolen";
  }
  return "active";
}

bool card_status_from_name(std::string_view name, CardStatus* out) noexcept {
  CardStatus s = CardStatus::active;
  switch (name.size()) {
    case 4: s = CardStatus::lost; break;
    case 6: s = name[0] == 'a' ? CardStatus::active : CardStatus::stolen; break;
    case 7: s = CardStatus::blocked; break;
    default: return false;
  }
  if (name != card_status_to_name(s)) return false;
  *out = s;
  return true;
}

static_assert(constants::account_id_bytes_max == 64, "the message below says 64");

bool check_card(const CardText& t, CardValues* out, FieldError* e) noexcept {
  if (!t.has_id || t.id.empty()) return fail(e, "id", "missing");
  if (t.id.size() > constants::account_id_bytes_max) return fail(e, "id", "longer than 64 bytes");
  if (!t.has_pan) return fail(e, "pan", "missing");
  if (!fast_pan(t.pan, &out->pan)) return fail(e, "pan", "must be 12 to 19 digits");
  if (!t.has_user || t.user.empty()) return fail(e, "user", "missing");
  if (!t.has_expiry) return fail(e, "expiry", "missing");
  if (t.expiry.size() != 4 || !digits_only(t.expiry)) return fail(e, "expiry", "must be YYMM");
  const int yy = (t.expiry[0] - '0') * 10 + (t.expiry[1] - '0');
  const int mm = (t.expiry[2] - '0') * 10 + (t.expiry[3] - '0');
  if (mm < 1 || mm > 12) return fail(e, "expiry", "month must be 01 to 12");
  // Required (SPEC 5 lists balance, company and limits as the optional
  // fields): a default of active would let a card the exporter lost the
  // status of, blocked or stolen, authorize.
  if (!t.has_status) return fail(e, "status", "missing");
  if (!card_status_from_name(t.status, &out->status)) {
    return fail(e, "status", "must be active, blocked, lost or stolen");
  }
  if (!t.has_currency) return fail(e, "currency", "missing");
  if (t.currency.size() != 3 || !digits_only(t.currency)) return fail(e, "currency", "must be 3 digits (ISO 4217)");
  out->id = t.id;
  out->user = t.user;
  out->expiry_yymm = static_cast<std::uint16_t>(yy * 100 + mm);
  out->currency = static_cast<std::uint16_t>((t.currency[0] - '0') * 100 + (t.currency[1] - '0') * 10 +
                                             (t.currency[2] - '0'));
  return true;
}

// ---- the file -------------------------------------------------------------------

namespace {

// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
constexpr std::size_t padding_bytes = simdjson::SIMDJSON_PADDING;

// The shortest line of each type (no whitespace, one-byte ids): upper bounds
// on how many of each a file of N bytes can hold, for staging arrays that are
// reserved once and never move.
constexpr std::size_t company_line_bytes_min = sizeof(R"({"type":"company","id":"x"})") - 1;
constexpr std::size_t user_line_bytes_min = sizeof(R"({"type":"user","id":"x"})") - 1;
constexpr std::size_t card_line_bytes_min =
    sizeof(R"({"type":"card","id":"x","pan":"123456789012","user":"x","expiry":"2912","currency":"392"})") - 1;

void* map_anonymous(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  (void)madvise(p, bytes, MADV_HUGEPAGE);  // 2 MiB faults, not 4 KiB ones
  return p;
}

// A staging array of trivially copyable records, reserved for the most a file
// of this size can hold: address space only until written, never moved.
template <class T>
class Staging {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit Staging(std::size_t capacity)
      : capacity_(capacity + 1), data_(static_cast<T*>(map_anonymous(capacity_ * sizeof(T)))) {}
  ~Staging() { munmap(data_, capacity_ * sizeof(T)); }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  T& push() noexcept { return data_[size_++]; }  // capacity is a bound on lines: cannot overflow
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::size_t capacity_;
  T* data_;
  std::size_t size_ = 0;
};

// The accounts file, mapped read-only with SIMDJSON_PADDING readable zero
// bytes after it (anonymous pages reserved around the file mapping), so
// nothing is copied. MAP_POPULATE maps the page cache in one call instead of
// a fault per 4 KiB page.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile() {
    if (base_ != nullptr) munmap(base_, mapped_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // False with errno's text in *error.
  bool open(const std::string& path, std::string* error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = std::strerror(errno);
      return false;
    }
    struct stat st {};
    bool ok = fstat(fd, &st) == 0;
    if (ok && !S_ISREG(st.st_mode)) {
      errno = EINVAL;
      ok = false;
    }
    if (ok) {
      size_ = static_cast<std::size_t>(st.st_size);
      const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      mapped_ = (size_ + padding_bytes + page - 1) / page * page;
      void* base = mmap(nullptr, mapped_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      ok = base != MAP_FAILED;
      if (ok) base_ = static_cast<char*>(base);
      if (ok && size_ > 0) {
        ok = mmap(base_, size_, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) != MAP_FAILED;
      }
    }
    const int saved = errno;
    ::close(fd);
    if (!ok) *error = std::strerror(saved);
    return ok;
  }

  [[nodiscard]] simdjson::padded_string_view view() const noexcept {
    return simdjson::padded_string_view(base_, size_, mapped_);
  }

 private:
  char* base_ = nullptr;
  std::size_t size_ = 0, mapped_ = 0;
};

// ---- pass 1: each line on its own ---------------------------------------------

enum class RecordType : std::uint8_t { none, company, user, card };

// A short string of the file (ids, references): pointer and length. Views
// into the mapped file, or into Loader::unescaped_ when the JSON escaped it.
struct Str {
  const char* data;
  std::uint8_t size;  // ids are <= 64 bytes; a reference > 255 bytes is cut (it can match no id)
  [[nodiscard]] std::string_view view() const noexcept { return {data, size}; }
};

Str str_of(std::string_view s) noexcept {
  return Str{s.data(), static_cast<std::uint8_t>(std::min<std::size_t>(s.size(), 255))};
}

constexpr std::uint32_t no_limits = 0xffffffffu;

struct PendingCompany {
  std::uint64_t at;  // byte offset of the line, for an error's line number
  Str id;
  std::uint32_t limits;
};

struct PendingUser {
  std::uint64_t at;
  std::int64_t balance;
  Str id, company;  // company.data null: none
  std::uint32_t limits;
  std::uint32_t id_hash;  // IdIndex::hash, taken while the line is in cache
  bool has_balance;
};

struct PendingCard {
  std::uint64_t at;
  std::uint64_t pan;
  const char* id;
  const char* user;
  std::uint8_t id_size, user_size, pan_digits, status;
  std::uint16_t currency, expiry_yymm;
  std::uint32_t id_hash;
};
static_assert(sizeof(PendingCard) == 48);

// Ids and references copied out of their lines in pass 1, end to end: pass 2
// then reads ~8 dense bytes per record instead of a cache line (and a TLB
// entry) of the file per record. Bounded by the file's size.
class StringArena {
 public:
  explicit StringArena(std::size_t capacity)
      : capacity_(capacity + 1), data_(static_cast<char*>(map_anonymous(capacity_))) {}
  ~StringArena() { munmap(data_, capacity_); }
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;

  // `s` comes from the input (or is an unescaped, shorter, form of a part of it).
  Str keep(std::string_view s) noexcept {
    const Str out = str_of(s);
    char* to = data_ + size_;
    std::memcpy(to, s.data(), out.size);
    size_ += out.size;
    return Str{to, out.size};
  }

 private:
  std::size_t capacity_;
  char* data_;
  std::size_t size_ = 0;
};

// Every field any record may carry, gathered before the type is known
// (fields come in any order).
struct Record {
  RecordType type = RecordType::none;
  CardText card;  // id, pan, user, expiry, status, currency (and has_*)
  std::string_view company;
  bool has_company = false, has_balance = false, has_limits = false;
  std::int64_t balance = 0;
  std::uint32_t limits = no_limits;
};

enum class Key : std::uint8_t { type, id, company, user, pan, expiry, status, currency, balance, limits, unknown };

// The keys a line has named so far, one bit per Key: a key named twice is
// refused (JSON leaves duplicates to the reader; taking either one silently
// would load a record the operator did not write). Unknown keys are refused
// on their own, so the known ones are all there is to track: no allocation.
// (The fast path tests the Record's own has_ flags instead: one compare per
// key where this costs ~10 instructions, 4% of a card's load.)
class SeenKeys {
 public:
  // False if `k` was named before on this line.
  [[nodiscard]] bool first(Key k) noexcept {
    const auto bit = static_cast<std::uint16_t>(1u << static_cast<unsigned>(k));
    const bool fresh = (bits_ & bit) == 0;
    bits_ |= bit;
    return fresh;
  }

 private:
  std::uint16_t bits_ = 0;
};
static_assert(static_cast<unsigned>(Key::unknown) < 16, "SeenKeys holds one bit per known key");

std::string_view key_name(Key k) noexcept {
  switch (k) {
    case Key::type: return "type";
    case Key::id: return "id";
    case Key::company: return "company";
    case Key::user: return "user";
    case Key::pan: return "pan";
    case Key::expiry: return "expiry";
    case Key::status: return "status";
    case Key::currency: return "currency";
    case Key::balance: return "balance";
    case Key::limits: return "limits";
    case Key::unknown: break;
  }
  return "?";
}

Key key_of(std::string_view k) noexcept {
  switch (k.size()) {
    case 2: return k == "id" ? Key::id : Key::unknown;
    case 3: return k == "pan" ? Key::pan : Key::unknown;
    case 4: return k == "type" ? Key::type : k == "user" ? Key::user : Key::unknown;
    case 6: return k == "expiry" ? Key::expiry : k == "status" ? Key::status : k == "limits" ? Key::limits : Key::unknown;
    case 7: return k == "company" ? Key::company : k == "balance" ? Key::balance : Key::unknown;
    case 8: return k == "currency" ? Key::currency : Key::unknown;
    default: return Key::unknown;
  }
}

std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

constexpr std::uint64_t low_bytes(std::size_t n) noexcept {
  return n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
}

// A key as the fast path matches it: its name and the closing quote, as a
// little-endian word and a mask (names of up to 7 bytes), or its first 8
// bytes plus a quote at p[8] ("currency"). Built at compile time.
struct KeyPattern {
  std::uint64_t word, mask;
  std::uint8_t size;  // of the name
};

template <std::size_t N>
constexpr KeyPattern pattern(const char (&name)[N]) noexcept {
  static_assert(N - 1 <= 8);
  KeyPattern k{0, 0, static_cast<std::uint8_t>(N - 1)};
  for (std::size_t i = 0; i < N - 1; ++i) k.word |= static_cast<std::uint64_t>(static_cast<unsigned char>(name[i])) << (8 * i);
  if (N - 1 < 8) k.word |= std::uint64_t{'"'} << (8 * (N - 1));
  k.mask = low_bytes(N);  // name and quote (8 bytes at most)
  return k;
}

// Is the raw key at p (just after its opening quote) exactly this name,
// closing quote included? Reads 8 bytes (9 for "currency"): a key is
// followed by at least `":` and a value, or by the input's padding.
bool raw_key_is(const char* p, const KeyPattern& k) noexcept {
  if ((load8(p) & k.mask) != k.word) return false;
  return k.size < 8 || p[8] == '"';
}

constexpr KeyPattern key_type = pattern("type"), key_id = pattern("id"), key_pan = pattern("pan"),
                     key_user = pattern("user"), key_expiry = pattern("expiry"), key_status = pattern("status"),
                     key_limits = pattern("limits"), key_balance = pattern("balance"),
                     key_company = pattern("company"), key_currency = pattern("currency");

// Byte length of each Key's name, in Key order.
constexpr std::uint8_t key_size[] = {4, 2, 7, 4, 3, 6, 6, 8, 7, 6, 0};

// The key without a length scan: one masked compare against the one or two
// names its first byte allows. Key::unknown for anything else (an escaped
// key too: the caller then unescapes and asks key_of).
Key raw_key_of(const char* p) noexcept {
  switch (p[0]) {
    case 't': return raw_key_is(p, key_type) ? Key::type : Key::unknown;
    case 'i': return raw_key_is(p, key_id) ? Key::id : Key::unknown;
    case 'p': return raw_key_is(p, key_pan) ? Key::pan : Key::unknown;
    case 'u': return raw_key_is(p, key_user) ? Key::user : Key::unknown;
    case 'e': return raw_key_is(p, key_expiry) ? Key::expiry : Key::unknown;
    case 's': return raw_key_is(p, key_status) ? Key::status : Key::unknown;
    case 'l': return raw_key_is(p, key_limits) ? Key::limits : Key::unknown;
    case 'b': return raw_key_is(p, key_balance) ? Key::balance : Key::unknown;
    case 'c': return raw_key_is(p, key_company) ? Key::company : raw_key_is(p, key_currency) ? Key::currency : Key::unknown;
    default: return Key::unknown;
  }
}

// Does s[0, n) hold a backslash? Eight bytes a step; may read up to 7 bytes
// past n (the input is padded).
bool has_backslash(const char* s, std::size_t n) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t x = load8(s + i) ^ (ones * '\\');
    std::uint64_t zero = (x - ones) & ~x & highs;
    if (n - i < 8) zero &= low_bytes(n - i);
    if (zero != 0) return true;
  }
  return false;
}

class Loader {
 public:
  Loader(simdjson::padded_string_view json)
      : json_(json),
        companies_(json.size() / company_line_bytes_min),
        users_(json.size() / user_line_bytes_min),
        cards_(json.size() / card_line_bytes_min),
        strings_(json.size()) {}

  LoadResult run(std::string_view name);

 private:
  // First failure of pass 1 (the load stops there) or the earliest of pass 2.
  struct Error {
    std::uint64_t at = ~std::uint64_t{0};
    std::string field, reason;
  };

  // The fast path: false if the line is not in the strict form it reads.
  bool fast_record(const char* p, const char* end, Record* r);
  bool fast_limits(const char*& p, const char* end, std::uint32_t* out);
  // Any other line: simdjson checks it, then reads it field by field.
  bool slow_record(const char* p, const char* end, Record* r, FieldError* f);
  bool read_record(simdjson::ondemand::object obj, Record* r, FieldError* f);
  bool read_string(simdjson::ondemand::value v, std::string_view key, std::string_view* out, FieldError* f);
  bool read_limits(simdjson::ondemand::value v, std::uint32_t* out, FieldError* f);
  bool limits_of_text(std::string_view text, std::uint32_t* out, FieldError* f);
  bool stage(const Record& r, std::uint64_t at, FieldError* f);
  static bool only(const Record& r, bool company, bool user, bool card, FieldError* f);

  void resolve(Accounts& acc);
  void note(std::uint64_t at, std::string_view field, std::string reason) {
    if (at < error_.at) error_ = Error{at, std::string(field), std::move(reason)};
  }

  simdjson::padded_string_view json_;
  Staging<PendingCompany> companies_;
  Staging<PendingUser> users_;
  Staging<PendingCard> cards_;
  StringArena strings_;
  std::size_t company_id_bytes_ = 0, user_id_bytes_ = 0, card_id_bytes_ = 0;
  // Limit lists seen, each once: files repeat a few plans over millions of
  // users, so a list's JSON text is parsed the first time it is seen only.
  std::vector<LimitList> lists_;
  std::unordered_map<std::string_view, std::uint32_t> list_by_text_;
  std::string_view last_list_text_;
  std::uint32_t last_list_ = no_limits;
  simdjson::ondemand::parser limits_parser_, line_parser_;
  simdjson::dom::parser strict_parser_;
  // Strings the JSON escaped, unescaped (rare; stable addresses).
  std::deque<std::string> unescaped_;
  std::string dynamic_reason_;  // backs a FieldError from parse_limit_list
  Error error_;
};

// ---- pass 1, fast path: the strict form every exporter writes ---------------
//
// One object per line, no whitespace inside, keys the loader knows (each
// once), strings of printable ASCII without escapes, integers without
// fraction or exponent, `limits` an array. Such a line is valid JSON by
// construction, so it is read directly, once, with no tokenizer. Anything
// else (whitespace, escapes, UTF-8, an unknown or repeated key, a bad value)
// returns false and the line goes to slow_record(), which is the reference:
// it accepts every valid line and words every error. The fast path never
// reports an error itself.

// The first byte of s that ends a plain string: '"', or one the fast path
// leaves to simdjson ('\\', a control byte, a byte >= 0x80). Eight bytes a
// step; reads up to 7 bytes past `end` (the input is padded). nullptr if
// none before `end`.
[[gnu::always_inline]] inline const char* string_end(const char* s, const char* end) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  for (; s < end; s += 8) {
    const std::uint64_t w = load8(s);
    const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    // Exact at the lowest flagged byte, which is all that is used.
    const std::uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
    if ((m & highs) != 0) {
      const char* hit = s + (__builtin_ctzll(m & highs) >> 3);
      return hit < end ? hit : nullptr;
    }
  }
  return nullptr;
}

// A plain string at p (its opening quote); p moves past the closing quote.
[[gnu::always_inline]] inline bool fast_string(const char*& p, const char* end, std::string_view* out) noexcept {
  if (*p != '"') return false;
  const char* q = string_end(p + 1, end);
  if (q == nullptr || *q != '"') return false;
  *out = std::string_view(p + 1, static_cast<std::size_t>(q - p - 1));
  p = q + 1;
  return true;
}

// -?(0|[1-9][0-9]*) with at most 18 digits (no overflow); p moves past it.
bool fast_int(const char*& p, const char* end, std::int64_t* out) noexcept {
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  const char* first = p;
  std::int64_t v = 0;
  while (p < end && *p >= '0' && *p <= '9') {
    // Digits past the 18th are only counted: the number is refused below,
    // and adding them would overflow.
    if (p - first < 18) v = v * 10 + (*p - '0');
    ++p;
  }
  const std::ptrdiff_t digits = p - first;
  if (digits == 0 || digits > 18 || (*first == '0' && digits > 1)) return false;
  *out = negative ? -v : v;
  return true;
}

bool Loader::fast_limits(const char*& p, const char* end, std::uint32_t* out) {
  // Find the matching ']' (strings skipped); the text is then checked by
  // simdjson the first time it is seen (limits_of_text), and byte-identical
  // texts after that are known good.
  if (*p != '[') return false;
  // Users mostly share a few plans: if the bytes here repeat the last list's
  // whole text, this array is that text (the brackets match at the same
  // place), and it is known good.
  const std::string_view last = last_list_text_;
  if (!last.empty() && static_cast<std::size_t>(end - p) >= last.size() &&
      std::memcmp(p, last.data(), last.size()) == 0) {
    p += last.size();
    *out = last_list_;
    return true;
  }
  const char* start = p;
  int depth = 0;
  while (p < end) {
    const char c = *p;
    if (c == '"') {
      std::string_view ignored;
      if (!fast_string(p, end, &ignored)) return false;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) return false;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    ++p;
    if (depth == 0) break;
  }
  if (depth != 0) return false;
  FieldError ignored;
  return limits_of_text(std::string_view(start, static_cast<std::size_t>(p - start)), out, &ignored);
}

// Sets *has; false if it was set already (the key was named before).
[[gnu::always_inline]] inline bool once(bool* has) noexcept {
  const bool fresh = !*has;
  *has = true;
  return fresh;
}

bool Loader::fast_record(const char* p, const char* end, Record* r) {
  if (p >= end || *p != '{') return false;
  ++p;
  if (p < end && *p == '}') {
    ++p;
  } else {
    // A key named twice (its has_ flag already set) sends the line to the
    // slow path, which words it.
    for (;;) {
      if (p >= end || *p != '"') return false;
      ++p;
      const Key k = raw_key_of(p);  // may read a few bytes past `end`: padded
      if (k == Key::unknown) return false;
      p += key_size[static_cast<std::size_t>(k)] + 1;
      if (p >= end || *p != ':') return false;
      ++p;
      if (p >= end) return false;
      CardText& c = r->card;
      switch (k) {
        case Key::balance:
          if (r->has_balance || !fast_int(p, end, &r->balance)) return false;
          r->has_balance = true;
          break;
        case Key::limits:
          if (r->has_limits || !fast_limits(p, end, &r->limits)) return false;
          r->has_limits = true;
          break;
        case Key::type: {
          std::string_view t;
          if (r->type != RecordType::none || !fast_string(p, end, &t)) return false;
          if (t == "card") r->type = RecordType::card;
          else if (t == "user") r->type = RecordType::user;
          else if (t == "company") r->type = RecordType::company;
          else return false;
          break;
        }
        case Key::id: if (!once(&c.has_id) || !fast_string(p, end, &c.id)) return false; break;
        case Key::company: if (!once(&r->has_company) || !fast_string(p, end, &r->company)) return false; break;
        case Key::user: if (!once(&c.has_user) || !fast_string(p, end, &c.user)) return false; break;
        case Key::pan: if (!once(&c.has_pan) || !fast_string(p, end, &c.pan)) return false; break;
        case Key::expiry: if (!once(&c.has_expiry) || !fast_string(p, end, &c.expiry)) return false; break;
        case Key::status: if (!once(&c.has_status) || !fast_string(p, end, &c.status)) return false; break;
        case Key::currency: if (!once(&c.has_currency) || !fast_string(p, end, &c.currency)) return false; break;
        case Key::unknown: return false;
      }
      if (p >= end) return false;
      if (*p == '}') {
        ++p;
        break;
      }
      if (*p != ',') return false;
      ++p;
    }
  }
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
  return p == end;
}

bool Loader::slow_record(const char* p, const char* end, Record* r, FieldError* f) {
  const std::size_t size = static_cast<std::size_t>(end - p);
  const std::size_t readable = static_cast<std::size_t>(json_.data() + json_.capacity() - p);
  // A strict pass first: on-demand parsing is lazy and would not notice a
  // syntax error in a part it skips, nor a second value on the line.
  simdjson::dom::element root;
  const simdjson::error_code strict =
      strict_parser_.parse(reinterpret_cast<const std::uint8_t*>(p), size, false).get(root);
  // A number the strict pass cannot hold (an integer beyond 64 bits, a float
  // beyond a double) stops it there: everything before that number is valid.
  // The field reader below then names the field and says what is wrong; a
  // line it reads clean is still refused, since the strict pass did not see
  // its end.
  const bool bad_number = strict == simdjson::NUMBER_ERROR;
  if (strict == simdjson::SUCCESS) {
    if (!root.is_object()) return fail(f, "json", "each line must be one JSON object");
  } else if (!bad_number) {
    return fail(f, "json", "incomplete or malformed JSON line");
  }
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (line_parser_.iterate(p, size, readable).get(doc) || doc.get_object().get(obj)) {
    return fail(f, "json", "incomplete or malformed JSON line");
  }
  if (!read_record(obj, r, f)) return false;
  if (bad_number) return fail(f, "json", "incomplete or malformed JSON line");
  return true;
}

bool Loader::read_string(simdjson::ondemand::value v, std::string_view key, std::string_view* out, FieldError* f) {
  // The raw token points into the file, from the opening quote to the next
  // structural character; without escapes, its inside is the string.
  std::string_view token = v.raw_json_token();
  if (token.empty() || token[0] != '"') return fail(f, key, "must be a string");
  while (token.size() > 1 && token.back() != '"') token.remove_suffix(1);  // whitespace before , or }
  const std::size_t n = token.size() - 2;
  if (token.size() >= 2 && !has_backslash(token.data() + 1, n)) {
    *out = std::string_view(token.data() + 1, n);
    return true;
  }
  std::string_view s;
  if (v.get_string().get(s)) return fail(f, key, "must be a string");
  *out = unescaped_.emplace_back(s);
  return true;
}

bool Loader::read_limits(simdjson::ondemand::value v, std::uint32_t* out, FieldError* f) {
  std::string e;
  LimitList list;
  simdjson::ondemand::array arr;
  std::string_view text;
  if (v.get_array().get(arr) || arr.raw_json().get(text)) {
    // Not an array: parse_limit_list says what is wrong in its words.
    if (!parse_limit_list(v, &list, &e)) {
      dynamic_reason_ = std::move(e);
    } else {
      dynamic_reason_ = "limits: must be an array";
    }
    const auto colon = dynamic_reason_.find(": ");
    if (colon == std::string::npos) return fail(f, "limits", dynamic_reason_);
    return fail(f, std::string_view(dynamic_reason_).substr(0, colon),
                std::string_view(dynamic_reason_).substr(colon + 2));
  }
  return limits_of_text(text, out, f);
}

bool Loader::limits_of_text(std::string_view text, std::uint32_t* out, FieldError* f) {
  std::string e;
  LimitList list;
  if (text == last_list_text_) {
    *out = last_list_;
    return true;
  }
  if (const auto it = list_by_text_.find(text); it != list_by_text_.end()) {
    last_list_text_ = text;
    *out = last_list_ = it->second;
    return true;
  }
  // First sight: parse the array's own text (in the mapped file, whose
  // padding is still readable after it).
  const std::size_t readable = static_cast<std::size_t>(json_.data() + json_.capacity() - text.data());
  simdjson::ondemand::document doc;
  simdjson::ondemand::value root;
  if (limits_parser_.iterate(text.data(), text.size(), readable).get(doc) || doc.get_value().get(root)) {
    return fail(f, "limits", "malformed value");
  }
  if (!parse_limit_list(root, &list, &e)) {
    dynamic_reason_ = std::move(e);
    const auto colon = dynamic_reason_.find(": ");
    if (colon == std::string::npos) return fail(f, "limits", dynamic_reason_);
    return fail(f, std::string_view(dynamic_reason_).substr(0, colon),
                std::string_view(dynamic_reason_).substr(colon + 2));
  }
  lists_.push_back(list);
  last_list_ = static_cast<std::uint32_t>(lists_.size() - 1);
  last_list_text_ = text;
  list_by_text_.emplace(text, last_list_);
  *out = last_list_;
  return true;
}

bool Loader::read_record(simdjson::ondemand::object obj, Record* r, FieldError* f) {
  SeenKeys seen;
  for (auto field : obj) {
    if (field.error()) return fail(f, "json", "malformed key");
    // Keys without escapes (all of them, in practice) are matched in place.
    const char* raw_key = field.key().value_unsafe().raw();
    Key k = raw_key_of(raw_key);
    std::string_view key;
    if (k != Key::unknown) {
      key = key_name(k);
    } else {
      if (field.unescaped_key().get(key)) return fail(f, "json", "malformed key");
      key = unescaped_.emplace_back(key);  // for the message: simdjson's buffer moves on
      k = key_of(key);
    }
    if (k != Key::unknown && !seen.first(k)) return fail(f, key, "appears twice");
    simdjson::ondemand::value v;
    if (field.value().get(v)) return fail(f, key, "malformed value");
    CardText& c = r->card;
    switch (k) {
      case Key::type: {
        std::string_view t;
        if (!read_string(v, key, &t, f)) return false;
        if (t == "card") r->type = RecordType::card;
        else if (t == "user") r->type = RecordType::user;
        else if (t == "company") r->type = RecordType::company;
        else return fail(f, "type", "must be company, user or card");
        break;
      }
      case Key::id:
        if (!read_string(v, key, &c.id, f)) return false;
        c.has_id = true;
        break;
      case Key::company:
        if (!read_string(v, key, &r->company, f)) return false;
        r->has_company = true;
        break;
      case Key::user:
        if (!read_string(v, key, &c.user, f)) return false;
        c.has_user = true;
        break;
      case Key::pan:
        if (!read_string(v, key, &c.pan, f)) return false;
        c.has_pan = true;
        break;
      case Key::expiry:
        if (!read_string(v, key, &c.expiry, f)) return false;
        c.has_expiry = true;
        break;
      case Key::status:
        if (!read_string(v, key, &c.status, f)) return false;
        c.has_status = true;
        break;
      case Key::currency:
        if (!read_string(v, key, &c.currency, f)) return false;
        c.has_currency = true;
        break;
      case Key::balance:
        switch (read_int64(v, &r->balance)) {
          case IntRead::ok: break;
          case IntRead::not_integer: return fail(f, "balance", "must be an integer (minor units)");
          case IntRead::out_of_range: return fail(f, "balance", minor_units_out_of_range);
        }
        r->has_balance = true;
        break;
      case Key::limits:
        if (!read_limits(v, &r->limits, f)) return false;
        r->has_limits = true;
        break;
      case Key::unknown:
        return fail(f, key, "unknown field");
    }
  }
  return true;
}

bool Loader::only(const Record& r, bool company, bool user, bool card, FieldError* f) {
  const CardText& c = r.card;
  if (r.has_company && !company) return fail(f, "company", "not a field of this record type");
  if (r.has_balance && !user) return fail(f, "balance", "not a field of this record type");
  if (r.has_limits && card) return fail(f, "limits", "not a field of a card");
  if (!card && (c.has_pan || c.has_user || c.has_expiry || c.has_status || c.has_currency)) {
    return fail(f,
                c.has_pan      ? "pan"
                : c.has_user   ? "user"
                : c.has_expiry ? "expiry"
                : c.has_status ? "status"
                               : "currency",
                "not a field of this record type");
  }
  return true;
}

bool Loader::stage(const Record& r, std::uint64_t at, FieldError* f) {
  const std::string_view id = r.card.id;
  if (!r.card.has_id || id.empty()) return fail(f, "id", "missing");
  if (id.size() > constants::account_id_bytes_max) return fail(f, "id", "longer than 64 bytes");
  switch (r.type) {
    case RecordType::none: return fail(f, "type", "missing");
    case RecordType::company: {
      if (!only(r, false, false, false, f)) return false;
      companies_.push() = PendingCompany{at, strings_.keep(id), r.limits};
      company_id_bytes_ += id.size();
      return true;
    }
    case RecordType::user: {
      if (!only(r, true, true, false, f)) return false;
      users_.push() = PendingUser{at,
                                  r.balance,
                                  strings_.keep(id),
                                  r.has_company ? strings_.keep(r.company) : Str{nullptr, 0},
                                  r.limits,
                                  IdIndex::hash(id),
                                  r.has_balance};
      if (r.has_company && r.company.empty()) return fail(f, "company", "unknown company");
      user_id_bytes_ += id.size();
      return true;
    }
    case RecordType::card: {
      if (!only(r, false, false, true, f)) return false;
      CardValues v;
      FieldError e;
      if (!check_card(r.card, &v, &e)) return fail(f, e.field, e.reason);
      const Str kept_id = strings_.keep(id), user = strings_.keep(v.user);
      cards_.push() = PendingCard{at,
                                  v.pan.value,
                                  kept_id.data,
                                  user.data,
                                  kept_id.size,
                                  user.size,
                                  v.pan.digits,
                                  static_cast<std::uint8_t>(v.status),
                                  v.currency,
                                  v.expiry_yymm,
                                  IdIndex::hash(id)};
      card_id_bytes_ += id.size();
      return true;
    }
  }
  return false;
}

// ---- pass 2: ids, references, the PAN index -------------------------------------

// How many records ahead pass 2 prefetches the table lines it will touch: 16
// misses in flight cover a ~600 ns miss (this VM, loaded) at ~40 ns a record.
constexpr std::size_t prefetch_distance = 16;

void Loader::resolve(Accounts& acc) {
  // install_limits reshapes only limits a set already had: these sets are new.
  const Zone new_set_zone;
  const std::size_t nc = companies_.size(), nu = users_.size(), nk = cards_.size();
  acc.slots = std::make_unique<SlotPool>((nc + nu + nk) * constants::period_limits_per_owner_max +
                                         constants::limit_slots_spare);
  acc.company_ids.reserve(nc, company_id_bytes_);
  acc.companies.reserve(nc);
  for (std::size_t i = 0; i < nc; ++i) {
    const PendingCompany& p = companies_[i];
    if (!acc.company_ids.insert(p.id.view())) note(p.at, "id", "duplicate company id");
    Company& c = acc.companies.emplace_back();
    if (p.limits != no_limits && !install_limits(c.limits, *acc.slots, lists_[p.limits], new_set_zone)) {
      note(p.at, "limits", "no limit slots left");
    }
  }

  acc.user_ids.reserve(nu, user_id_bytes_);
  acc.users.reserve(nu);
  for (std::size_t j = 0; j < std::min(nu, prefetch_distance); ++j) acc.user_ids.prefetch(users_[j].id_hash);
  std::string_view last_company;
  std::uint32_t last_company_index = no_index;
  for (std::size_t i = 0; i < nu; ++i) {
    const PendingUser& p = users_[i];
    if (i + prefetch_distance < nu) acc.user_ids.prefetch(users_[i + prefetch_distance].id_hash);
    if (!acc.user_ids.insert(p.id.view(), p.id_hash)) note(p.at, "id", "duplicate user id");
    std::uint32_t company = no_index;
    if (p.company.data != nullptr) {
      // Users of one company usually come together: one lookup for the run.
      const std::string_view ref = p.company.view();
      if (ref != last_company || last_company_index == no_index) {
        last_company = ref;
        last_company_index = acc.company_ids.find(ref);
      }
      company = last_company_index;
      if (company == IdIndex::none) note(p.at, "company", "unknown company");
    }
    User& u = acc.users.emplace_back();
    u.company = company;
    u.has_balance = p.has_balance;
    u.balance = p.balance;
    if (p.limits != no_limits && !install_limits(u.limits, *acc.slots, lists_[p.limits], new_set_zone)) {
      note(p.at, "limits", "no limit slots left");
    }
  }

  // The tables are sized for the cards the HTTP API may add later too, so
  // they never grow under the authorization threads' readers.
  acc.card_ids.reserve(nk, card_id_bytes_);
  acc.cards.reserve(nk + constants::cards_added_max);
  acc.card_pans.reserve(nk + constants::cards_added_max);
  auto card_ahead = [&](std::size_t j) {
    const PendingCard& p = cards_[j];
    acc.card_ids.prefetch(p.id_hash);
    acc.cards.prefetch(Pan{p.pan, p.pan_digits});
  };
  for (std::size_t j = 0; j < std::min(nk, prefetch_distance); ++j) card_ahead(j);
  std::string_view last_user;
  std::uint32_t last_user_index = no_index;
  for (std::size_t i = 0; i < nk; ++i) {
    const PendingCard& p = cards_[i];
    if (i + prefetch_distance < nk) card_ahead(i + prefetch_distance);
    // A user's cards usually come together: one lookup for the run.
    const std::string_view ref(p.user, p.user_size);
    if (ref != last_user || last_user_index == no_index) {
      last_user = ref;
      last_user_index = acc.user_ids.find(ref);
    }
    if (last_user_index == IdIndex::none) note(p.at, "user", "unknown user");
    const auto card = acc.card_ids.insert({p.id, p.id_size}, p.id_hash);
    if (!card) note(p.at, "id", "duplicate card id");
    CardEntry e;
    e.pan = p.pan;
    e.pan_digits = p.pan_digits;
    e.status = p.status;
    e.currency = p.currency;
    e.expiry_yymm = p.expiry_yymm;
    e.user = last_user_index;
    e.card = card ? *card : no_index;
    const Pan pan{p.pan, p.pan_digits};
    if (acc.cards.insert(e) == nullptr) note(p.at, "pan", "duplicate PAN " + mask_pan(pan));
    acc.card_pans.push_back(pan);
  }
}

LoadResult Loader::run(std::string_view name) {
  LoadResult out;
  const char* const base = json_.data();
  const char* const end = base + json_.size();
  auto at_line = [&](std::size_t line, std::string_view field, std::string_view reason) {
    out.error = std::string(name) + ":" + std::to_string(line) + ": " + std::string(field) + ": " + std::string(reason);
    return std::move(out);
  };
  std::size_t line = 1, records = 0;
  for (const char* p = base; p < end; ++line) {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* const eol = nl != nullptr ? static_cast<const char*>(nl) : end;
    // The file streams from the page cache; the hardware prefetcher stops at
    // each 4 KiB page. A hint a few lines ahead keeps the next ones coming
    // (a prefetch never faults, past the end included).
    prefetch_read(eol + 512);
    Record r;
    FieldError f;
    if (!fast_record(p, eol, &r)) {
      const bool blank = std::all_of(p, eol, [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
      if (blank) {
        p = eol + 1;
        continue;
      }
      r = Record{};
      if (!slow_record(p, eol, &r, &f)) return at_line(line, f.field, f.reason);
    }
    if (!stage(r, static_cast<std::uint64_t>(p - base), &f)) return at_line(line, f.field, f.reason);
    ++records;
    p = eol + 1;
  }
  auto acc = std::make_unique<Accounts>();
  resolve(*acc);
  if (error_.at != ~std::uint64_t{0}) {
    return at_line(1 + static_cast<std::size_t>(std::count(base, base + error_.at, '\n')), error_.field, error_.reason);
  }
  out.accounts = std::move(acc);
  out.lines = records;
  return out;
}

}  // namespace

LoadResult load_accounts_text(std::string_view text, std::string_view name) {
  const simdjson::padded_string json(text);
  return Loader(json).run(name);
}

LoadResult load_accounts_file(const std::string& path) {
  MappedFile file;
  std::string error;
  if (!file.open(path, &error)) {
    LoadResult out;
    out.error = path + ":0: file: " + error;
    return out;
  }
  return Loader(file.view()).run(path);
}

}  // namespace authswitch::core
