// Helpers for the switch's socket tests: ISO 8583 requests built with the
// codec, a blocking client over 127.0.0.1 that reads answers with a
// deadline, an in-process SwitchRuntime on an ephemeral port with a
// temporary log, and counting the log's records by type.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "core/accounts_loader.h"
#include "core/demo_data.h"
#include "io/switch_records.h"
#include "io/switch_runtime.h"
#include "ledger/event_codec.h"
#include "ledger/log_reader.h"

namespace authswitch::test {

// Fields by number; 0 is the MTI.
using Fields = std::map<int, std::string>;

// A len2 frame of the message `f` (iso87-ascii).
inline std::string frame_of(const Fields& f) {
  codec::FieldValues v;
  v.clear_all();
  v.set_mti(f.at(0));
  for (const auto& [n, text] : f) {
    if (n != 0) v.set(n, text);
  }
  std::string out(8192, '\0');
  const codec::PackResult r = codec::pack(codec::Dialect::iso87_ascii(), v,
                                          std::as_writable_bytes(std::span(out.data(), out.size())),
                                          codec::PackOptions{.framing = codec::Framing::len2, .secondary_bitmap = {}});
  EXPECT_TRUE(r.error.ok()) << codec::describe(r.error.code) << " field " << r.error.field;
  out.resize(r.size);
  return out;
}

// A len2 frame around raw body bytes (for malformed messages).
inline std::string raw_frame(const std::string& body) {
  std::string out;
  out.push_back(static_cast<char>(body.size() >> 8));
  out.push_back(static_cast<char>(body.size() & 0xff));
  return out + body;
}

inline Fields parse_body(const std::string& body) {
  codec::MessageView view;
  const codec::CodecError e = codec::unpack(codec::Dialect::iso87_ascii(), body, view);
  EXPECT_TRUE(e.ok()) << codec::describe(e.code);
  Fields f;
  if (!e.ok()) return f;
  f[0] = std::string(view.mti());
  view.for_each_field([&](int n) { f[n] = std::string(view.wire_present(n)); });
  return f;
}

// An 0100 for demo card `card`, key fields from `stan`.
// Field 7 (MMDDhhmmss, UTC) of the time `days` before now.
inline std::string field7_days_ago(int days) {
  const std::time_t t = std::time(nullptr) - static_cast<std::time_t>(days) * 86'400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  const std::size_t n = std::strftime(text, sizeof text, "%m%d%H%M%S", &tm);
  return std::string(text, n);
}

inline Fields auth_request(std::size_t card, std::int64_t amount, std::uint32_t stan,
                           const std::string& mti = "0100", const std::string& processing = "000000") {
  char amount_text[13];
  std::snprintf(amount_text, sizeof(amount_text), "%012lld", static_cast<long long>(amount));
  char stan_text[7];
  std::snprintf(stan_text, sizeof(stan_text), "%06u", stan % 1'000'000u);
  return Fields{{0, mti},        {2, core::demo_pan(card)}, {3, processing}, {4, amount_text},
                {7, "1123140000"}, {11, stan_text},         {32, "123456"},  {37, "RRN000000001"},
                {41, "TERM0001"},  {49, "392"}};
}

class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0;
    const int one = 1;
    (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  // Takes over an accepted socket (a test server's side of a connect link).
  struct Adopt {};
  Client(int fd, Adopt) : fd_(fd), connected_(fd >= 0) {}
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  void send_bytes(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }
  void send(const Fields& f) { send_bytes(frame_of(f)); }

  // The next answer's body; nullopt at EOF or after `deadline`. The default
  // only bounds a failing test: a sync-mode answer waits for an fdatasync,
  // which on a loaded machine under a sanitizer can take seconds.
  std::optional<std::string> read_body(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      if (buffer_.size() >= 2) {
        const std::size_t len = (static_cast<unsigned char>(buffer_[0]) << 8) | static_cast<unsigned char>(buffer_[1]);
        if (buffer_.size() >= 2 + len) {
          std::string body = buffer_.substr(2, len);
          buffer_.erase(0, 2 + len);
          return body;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  std::optional<Fields> read(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    auto body = read_body(deadline);
    if (!body) return std::nullopt;
    return parse_body(*body);
  }
  Fields roundtrip(const Fields& f) {
    send(f);
    auto r = read();
    EXPECT_TRUE(r.has_value()) << "no answer";
    return r.value_or(Fields{});
  }
  // True once the peer closed (a read returned 0) within the deadline.
  bool closed_by_peer(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    while (!eof_) {
      if (!read_body(deadline) && !eof_) return false;
    }
    return true;
  }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

inline std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("authswitch-" + name + "-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::random_device{}()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline io::Config test_config(const std::filesystem::path& wal_dir, io::Durability durability) {
  io::Config c;
  c.links[0].port = 0;
  c.links[0].echo_interval_s = 0;
  c.cores.io = {};
  c.cores.auth = {};
  c.wal.dir = wal_dir;
  c.wal.durability = durability;
  c.clock = io::ClockSource::message;
  return c;
}

// A runtime on the demo data set (1,000 cards) with quiet logs kept for checks.
class RunningSwitch {
 public:
  // No hold sweeps unless asked for (`hold_sweep_interval_ms`): most tests'
  // requests carry a fixed field 7, days old, whose holds must stay put.
  // `adjust` changes any other option before the start.
  explicit RunningSwitch(io::Config config, std::size_t cards = 1000, std::int64_t hold_sweep_interval_ms = 0,
                         const std::function<void(io::SwitchOptions&)>& adjust = {}) {
    io::SwitchOptions options;
    options.config = std::move(config);
    options.txn_capacity = 1u << 14;
    options.hold_sweep_interval_ms = hold_sweep_interval_ms;
    if (adjust) adjust(options);
    options.log = [this](const std::string& line) {
      const std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    };
    runtime_ = std::make_unique<io::SwitchRuntime>(std::move(options));
    core::LoadResult loaded = core::load_accounts_text(core::generate_demo_accounts(cards), "demo");
    EXPECT_TRUE(loaded.accounts) << loaded.error;
    const std::string error = runtime_->start(std::move(loaded.accounts));
    EXPECT_EQ(error, "");
  }
  ~RunningSwitch() { stop(); }
  std::string stop() {
    if (stopped_) return {};
    stopped_ = true;
    return runtime_->stop();
  }
  io::SwitchRuntime& runtime() { return *runtime_; }
  std::uint16_t port(std::size_t link = 0) const { return runtime_->port(link); }
  std::vector<std::string> lines() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  std::unique_ptr<io::SwitchRuntime> runtime_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
  bool stopped_ = false;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::string bytes(std::filesystem::file_size(path), '\0');
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  const std::size_t n = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  bytes.resize(n);
  return bytes;
}

// Calls `fn` with each record of the log in `dir`, in order.
inline void for_each_record(const std::filesystem::path& dir, const std::function<void(const ledger::RecordView&)>& fn) {
  ledger::LogReader reader;
  EXPECT_TRUE(reader.open(dir.string(), 1).ok());
  ledger::RecordView r;
  bool has = true;
  while (true) {
    const ledger::Status s = reader.next(r, has);
    EXPECT_TRUE(s.ok()) << s.to_string();
    if (!s.ok() || !has) break;
    fn(r);
  }
}

// Records of the log in `dir` by type.
inline std::map<std::uint16_t, std::uint64_t> count_records(const std::filesystem::path& dir) {
  std::map<std::uint16_t, std::uint64_t> counts;
  for_each_record(dir, [&](const ledger::RecordView& r) { ++counts[r.type]; });
  return counts;
}

// The payloads of the log's records of one type, as `Record`.
template <typename Record>
std::vector<Record> records_of(const std::filesystem::path& dir, io::SwitchRecord type) {
  std::vector<Record> out;
  for_each_record(dir, [&](const ledger::RecordView& r) {
    if (r.type != static_cast<std::uint16_t>(type)) return;
    EXPECT_EQ(r.payload.size(), sizeof(Record));
    Record record;
    std::memcpy(&record, r.payload.data(), std::min(sizeof record, r.payload.size()));
    out.push_back(record);
  });
  return out;
}

// The value of an unlabelled metric on a /metrics page; -1 when absent.
inline double metric_value(const std::string& page, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const std::size_t at = page.find(prefix);
  if (at == std::string::npos) return -1;
  return std::strtod(page.c_str() + at + prefix.size(), nullptr);
}

inline std::uint64_t count_of(const std::map<std::uint16_t, std::uint64_t>& m, std::uint16_t type) {
  const auto it = m.find(type);
  return it == m.end() ? 0 : it->second;
}
inline std::uint64_t count_of(const std::map<std::uint16_t, std::uint64_t>& m, io::SwitchRecord t) {
  return count_of(m, static_cast<std::uint16_t>(t));
}

}  // namespace authswitch::test
