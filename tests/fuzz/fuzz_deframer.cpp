// The de-framer cuts any byte stream, fed in any read sizes, into the same
// messages as a one-shot reference cut, and stops at the same out-of-step
// frame. First input byte: framing and read size; the rest is the stream.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "codec/frame.h"
#include "tests/codec/feed_deframer.h"

namespace {

using namespace authswitch::codec;

constexpr std::size_t max_message = 512;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Cut {
  std::vector<std::vector<std::byte>> bodies;
  bool out_of_step = false;
};

// Reference: the whole stream at once, by the SPEC 9 rule.
Cut reference(Framing f, std::span<const std::byte> s) {
  Cut cut;
  const std::size_t header = frame_header_bytes(f);
  std::size_t at = 0;
  while (s.size() - at >= header) {
    long length = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s.data() + at);
    if (f == Framing::len2) {
      length = (u[0] << 8) | u[1];
    } else {
      for (int i = 0; i < 4; ++i) {
        if (u[i] < '0' || u[i] > '9') {
          cut.out_of_step = true;
          return cut;
        }
        length = length * 10 + (u[i] - '0');
      }
    }
    if (length == 0 || static_cast<std::size_t>(length) > max_message) {
      cut.out_of_step = true;
      return cut;
    }
    if (s.size() - at - header < static_cast<std::size_t>(length)) break;
    cut.bodies.emplace_back(s.begin() + static_cast<std::ptrdiff_t>(at + header),
                            s.begin() + static_cast<std::ptrdiff_t>(at + header) + length);
    at += header + static_cast<std::size_t>(length);
  }
  return cut;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Framing framing = (data[0] & 1) != 0 ? Framing::ascii4 : Framing::len2;
  const std::size_t chunk = 1 + (data[0] >> 1);
  const std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  std::array<std::byte, 4 + max_message> buffer{};
  Deframer d(framing, buffer, max_message);
  Cut got;
  const test::FeedEnd end = test::feed_deframer(d, stream, chunk, [&](std::span<const std::byte> body) {
    got.bodies.emplace_back(body.begin(), body.end());
  });
  check(!end.stalled);
  got.out_of_step = end.out_of_step;
  const Cut want = reference(framing, stream);
  check(got.out_of_step == want.out_of_step);
  check(got.bodies == want.bodies);
  return 0;
}
