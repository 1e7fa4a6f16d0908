// Feeds a byte stream to a Deframer in reads of at most `chunk` bytes, as a
// socket would deliver it, and hands each whole message to `on_body`. Shared
// by the de-framer tests and its fuzz target, which both compare what comes
// out against a one-shot cut of the same stream.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>

#include "codec/frame.h"

namespace authswitch::codec::test {

struct FeedEnd {
  bool out_of_step = false;  // the stream broke; feeding stopped there
  CodecError error{};        // why, when out_of_step
  bool stalled = false;      // no room to read and no whole message: a de-framer bug
};

template <class OnBody>
FeedEnd feed_deframer(Deframer& d, std::span<const std::byte> stream, std::size_t chunk, OnBody&& on_body) {
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::span<std::byte> w = d.writable();
    const std::size_t n = std::min({chunk, w.size(), stream.size() - at});
    if (n == 0) return {.stalled = true};
    std::memcpy(w.data(), stream.data() + at, n);
    d.commit(n);
    at += n;
    for (;;) {
      const Deframer::Next next = d.next();
      if (next.status == Deframer::Status::need_more) break;
      if (next.status == Deframer::Status::out_of_step) return {.out_of_step = true, .error = next.error};
      on_body(next.body);
    }
  }
  return {};
}

}  // namespace authswitch::codec::test
