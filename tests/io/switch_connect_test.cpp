// SPEC 9's `connect` links against a test server playing the network: the
// switch connects, signs on (0800/001), serves requests the network sends,
// echoes (0800/301) on an idle link, and after the network drops the
// connection it comes back and signs on again. The metrics registry shows
// the link up and counts the messages.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tests/io/switch_test_support.h"
#include "tests/io/wait_until.h"
#include "tests/support/loopback_port.h"

namespace authswitch::test {
namespace {

class NetworkServer {
 public:
  NetworkServer() {
    const BoundSocket bound = bind_loopback();
    EXPECT_GE(bound.fd, 0);
    fd_ = bound.fd;
    port_ = bound.port;
    EXPECT_EQ(::listen(fd_, 4), 0);
  }
  ~NetworkServer() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  // The switch's next connection, within 30 s (its backoff starts at 1 s).
  std::unique_ptr<Client> accept() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 30'000) <= 0) return nullptr;
    return std::make_unique<Client>(::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC), Client::Adopt{});
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A connect link to a test network on `port`, in async.
io::Config connect_config(const std::filesystem::path& dir, std::uint16_t port, bool sign_on,
                          std::uint32_t echo_interval_s) {
  io::Config config = test_config(dir, io::Durability::async);
  config.links[0].mode = io::LinkMode::connect;
  config.links[0].port = port;
  config.links[0].sign_on = sign_on;
  config.links[0].echo_interval_s = echo_interval_s;
  return config;
}

// The switch's next connection and the sign-on (0800/001) it sends first;
// `link` is null when either did not come.
struct SignedOnLink {
  std::unique_ptr<Client> link;
  Fields sign_on;
};
SignedOnLink accept_sign_on(NetworkServer& network) {
  SignedOnLink got{network.accept(), {}};
  EXPECT_TRUE(got.link) << "the switch did not connect";
  if (!got.link) return got;
  const auto first = got.link->read();
  EXPECT_TRUE(first) << "no sign-on";
  if (!first) return SignedOnLink{};
  got.sign_on = *first;
  EXPECT_EQ(got.sign_on[0], "0800");
  EXPECT_EQ(got.sign_on[70], "001");
  EXPECT_EQ(got.sign_on[7].size(), 10u);
  return got;
}

Fields answer_to(const Fields& request) {
  return Fields{{0, "0810"}, {7, request.at(7)}, {11, request.at(11)}, {39, "00"}, {70, request.at(70)}};
}

// A request's answer over the link. The switch echoes after each idle
// second, so on a slow machine an echo can come first: it is answered, as
// the network would, and the read goes on.
Fields roundtrip_answering_echoes(Client& link, const Fields& request) {
  link.send(request);
  for (;;) {
    const auto r = link.read();
    EXPECT_TRUE(r.has_value()) << "no answer";
    if (!r) return {};
    if (r->count(0) == 0 || r->at(0) != "0800" || r->count(70) == 0 || r->at(70) != "301") return *r;
    link.send(answer_to(*r));
  }
}

TEST(SwitchConnectLink, SignsOnServesEchoesAndReconnectsAfterADrop) {
  NetworkServer network;
  const auto dir = temp_dir("connect");
  const io::Config config = connect_config(dir, network.port(), true, 1);
  RunningSwitch sw(config);

  auto [link, sign_on] = accept_sign_on(network);
  ASSERT_TRUE(link);
  link->send(answer_to(sign_on));
  ASSERT_TRUE(wait_until([&] {
    return sw.runtime().metrics().render().find("authswitch_link_up{link=\"net\"} 1") != std::string::npos;
  }));

  // The network sends a request over the link the switch opened.
  const Fields approved = roundtrip_answering_echoes(*link, auth_request(0, 1000, 1));
  EXPECT_EQ(approved.at(0), "0110");
  EXPECT_EQ(approved.at(39), "00");

  // Idle for echo_interval_s: an echo, answered; a wrong 0810 is a stray.
  const auto echo = link->read(std::chrono::seconds(30));
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->at(0), "0800");
  EXPECT_EQ(echo->at(70), "301");
  EXPECT_NE(echo->at(11), sign_on.at(11));
  link->send(answer_to(*echo));

  // The network drops the link; the switch reconnects and signs on again.
  link.reset();
  auto [again, second] = accept_sign_on(network);
  ASSERT_TRUE(again);
  again->send(answer_to(second));
  EXPECT_EQ(roundtrip_answering_echoes(*again, auth_request(2, 1000, 2)).at(39), "00");

  const std::string metrics = sw.runtime().metrics().render();
  EXPECT_NE(metrics.find("authswitch_messages_total{link=\"net\",mti=\"0110\",rc=\"00\"} 2"), std::string::npos)
      << metrics.substr(0, 2000);
  EXPECT_NE(metrics.find("authswitch_decision_seconds"), std::string::npos);
  EXPECT_NE(metrics.find("authswitch_end_to_end_seconds"), std::string::npos);
  ASSERT_EQ(sw.stop(), "");
  const auto counts = count_records(dir);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::signed_on), 2u);
  EXPECT_EQ(count_of(counts, io::SwitchRecord::link_up), 2u);
  std::filesystem::remove_all(dir);
}

// SPEC 1: a field-spec dialect speaks BCD or EBCDIC without code changes.
// With 7, 11, 39 and 70 in EBCDIC the switch still recognises the answer to
// its sign-on (it compared wire bytes with its own digits, so it never
// matched, and reconnected for ever) and echoes 70 back.
TEST(SwitchConnectLink, SignsOnInAnEbcdicDialect) {
  NetworkServer network;
  const auto dir = temp_dir("connect-ebcdic");
  std::string json = read_file(std::filesystem::path(AUTHSWITCH_SOURCE_DIR) / "codec/specs/iso87-ascii.json");
  for (const int f : {7, 11, 39, 70}) {
    const std::size_t at = json.find("{\"number\": " + std::to_string(f) + ",");
    ASSERT_NE(at, std::string::npos) << f;
    const std::string ascii = "\"content_encoding\": \"ascii\"";
    const std::size_t encoding = json.find(ascii, at);
    ASSERT_NE(encoding, std::string::npos) << f;
    json.replace(encoding, ascii.size(), "\"content_encoding\": \"ebcdic\"");
  }
  const codec::DialectResult dialect = codec::parse_dialect(json);
  ASSERT_TRUE(dialect.dialect) << dialect.error;
  std::ofstream(dir / "ebcdic.json") << json;
  io::Config config = connect_config(dir, network.port(), true, 0);
  config.links[0].spec = (dir / "ebcdic.json").string();
  RunningSwitch sw(config);

  std::unique_ptr<Client> link = network.accept();
  ASSERT_TRUE(link);
  const std::optional<std::string> body = link->read_body();
  ASSERT_TRUE(body);
  codec::MessageView view;
  ASSERT_TRUE(codec::unpack(*dialect.dialect, *body, view).ok());
  ASSERT_EQ(view.mti(), "0800");
  std::array<char, 16> f7{}, f11{}, f70{};
  const std::string sent_at(codec::field_text(*dialect.dialect, view, 7, f7));
  const std::string stan(codec::field_text(*dialect.dialect, view, 11, f11));
  ASSERT_EQ(codec::field_text(*dialect.dialect, view, 70, f70), "001");
  ASSERT_NE(view.wire(11), stan) << "field 11 is not in EBCDIC on the wire";

  codec::FieldValues answer;
  answer.clear_all();
  answer.set_mti("0810");
  answer.set(7, sent_at);
  answer.set(11, stan);
  answer.set(39, "00");
  answer.set(70, "001");
  std::string frame(1024, '\0');
  const codec::PackResult packed =
      codec::pack(*dialect.dialect, answer, std::as_writable_bytes(std::span(frame.data(), frame.size())),
                  codec::PackOptions{.framing = codec::Framing::len2, .secondary_bitmap = {}});
  ASSERT_TRUE(packed.error.ok()) << codec::describe(packed.error.code);
  frame.resize(packed.size);
  link->send_bytes(frame);
  EXPECT_TRUE(wait_until([&] {
    return sw.runtime().metrics().render().find("authswitch_link_up{link=\"net\"} 1") != std::string::npos;
  }));
  link.reset();
  ASSERT_EQ(sw.stop(), "");
  EXPECT_EQ(count_of(count_records(dir), io::SwitchRecord::signed_on), 1u);
  std::filesystem::remove_all(dir);
}

bool has_line(RunningSwitch& sw, const std::string& text) {
  for (const std::string& line : sw.lines()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// A network that accepts but never answers the sign-on: the switch does not
// wait for ever (nor spin), it closes, reconnects and signs on again; the
// link, and /readyz, are up only once a sign-on is answered 00.
TEST(SwitchConnectLink, UnansweredSignOnClosesReconnectsAndSignsOnAgain) {
  NetworkServer network;
  const auto dir = temp_dir("connect-signon");
  // Echo interval 1 s: also how long our 0800 waits for its answer.
  const io::Config config = connect_config(dir, network.port(), true, 1);
  RunningSwitch sw(config);

  auto first = accept_sign_on(network).link;
  ASSERT_TRUE(first);
  EXPECT_FALSE(sw.runtime().ready());
  EXPECT_TRUE(first->closed_by_peer(std::chrono::seconds(20)));
  EXPECT_TRUE(has_line(sw, "no answer to our sign-on 0800/001"));
  first.reset();  // the network closes its side too, ending the switch's linger

  auto [second, sign_on] = accept_sign_on(network);
  ASSERT_TRUE(second);
  EXPECT_FALSE(sw.runtime().ready());
  second->send(answer_to(sign_on));
  EXPECT_TRUE(wait_until([&] { return sw.runtime().ready(); }));
  EXPECT_EQ(roundtrip_answering_echoes(*second, auth_request(0, 1000, 1)).at(39), "00");
  second.reset();
  ASSERT_EQ(sw.stop(), "");
  EXPECT_FALSE(sw.runtime().ready());
  std::filesystem::remove_all(dir);
}

TEST(SwitchConnectLink, RefusedSignOnClosesAndLeavesTheLinkDown) {
  NetworkServer network;
  const auto dir = temp_dir("connect-refused");
  const io::Config config = connect_config(dir, network.port(), true, 0);
  RunningSwitch sw(config);

  auto [link, sign_on] = accept_sign_on(network);
  ASSERT_TRUE(link);
  Fields refusal = answer_to(sign_on);
  refusal[39] = "91";
  link->send(refusal);
  EXPECT_TRUE(link->closed_by_peer(std::chrono::seconds(20)));
  EXPECT_FALSE(sw.runtime().ready());
  EXPECT_TRUE(has_line(sw, "sign-on refused with 39=91"));
  link.reset();
  EXPECT_TRUE(network.accept());  // and it tries again
  ASSERT_EQ(sw.stop(), "");
  std::filesystem::remove_all(dir);
}

// A peer that has gone silent (no answer to the idle link's echo, nothing
// else either) is closed; one that keeps sending is alive even if it does
// not answer echoes, and gets the next echo on the next idle interval.
TEST(SwitchListenLink, UnansweredEchoClosesOnlyASilentPeer) {
  const auto dir = temp_dir("listen-echo");
  io::Config config = test_config(dir, io::Durability::async);
  config.links[0].echo_interval_s = 1;
  RunningSwitch sw(config);

  Client busy(sw.port());
  ASSERT_TRUE(busy.connected());
  const auto first_echo = busy.read();
  ASSERT_TRUE(first_echo);
  ASSERT_EQ(first_echo->at(70), "301");
  const auto answer = busy.roundtrip(auth_request(0, 1000, 1));  // traffic instead of the 0810
  EXPECT_EQ(answer.at(39), "00");
  const auto second_echo = busy.read();
  ASSERT_TRUE(second_echo) << "a peer that sent traffic was closed";
  EXPECT_EQ(second_echo->at(70), "301");
  EXPECT_NE(second_echo->at(11), first_echo->at(11));

  // Now silent: closed after one more interval.
  EXPECT_TRUE(busy.closed_by_peer(std::chrono::seconds(20)));
  EXPECT_TRUE(has_line(sw, "no answer to our echo 0800/301"));
  // The link itself still accepts.
  Client next(sw.port());
  ASSERT_TRUE(next.connected());
  EXPECT_TRUE(sw.runtime().ready());
  ASSERT_EQ(sw.stop(), "");
  std::filesystem::remove_all(dir);
}

// A connect link whose peer drops SYNs (a listen queue that is full) must
// not hold up a stop for the kernel's two minutes of SYN retries.
TEST(SwitchConnectLink, StopsWhileAConnectHangs) {
  const BoundSocket bound = bind_loopback();
  ASSERT_GE(bound.fd, 0);
  const int full = bound.fd;
  ASSERT_EQ(::listen(full, 0), 0);
  // Fill the accept queue (backlog 0 holds one) so that further SYNs are dropped.
  const Client filler(bound.port);
  ASSERT_TRUE(filler.connected());

  const auto dir = temp_dir("connect-hang");
  const io::Config config = connect_config(dir, bound.port, false, 0);
  auto sw = std::make_unique<RunningSwitch>(config);
  EXPECT_FALSE(sw->runtime().ready());
  auto stopped = std::async(std::launch::async, [&] { return sw->stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "stop waited on a hanging connect";
  EXPECT_EQ(stopped.get(), "");
  ::close(full);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace authswitch::test
