#include "io/switch_slots.h"

#include <cstring>

namespace authswitch::io {

ConnectionBuffers::ConnectionBuffers()
    : in(std::make_unique<std::byte[]>(in_bytes)),
      out{std::make_unique<std::byte[]>(constants::switch_send_buffer_bytes),
          std::make_unique<std::byte[]>(constants::switch_send_buffer_bytes)},
      inflight(std::make_unique<InflightEntry[]>(inflight_entries)),
      free_list(std::make_unique<std::uint32_t[]>(inflight_entries)) {
  // make_unique value-initialises: every page above is written once here,
  // so the first connection takes no page faults either.
}

}  // namespace authswitch::io
