// Every bound of authswitch in one place, each with its reason.
//
// Nothing on the hot path grows: queues, tables and buffers are sized from
// these at start-up (TIGER_STYLE: put a limit on everything). A module adds
// its bounds here, in its own section, rather than as a literal in its code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace authswitch::constants {

// ---- machine ----------------------------------------------------------------

// x86-64 cache line; also what std::hardware_destructive_interference_size
// says on this target, spelled out so the ABI does not move with a compiler
// flag (g++ warns about exactly that).
inline constexpr std::size_t cache_line_bytes = 64;

// ---- wire (SPEC 1, 9) -------------------------------------------------------

// Default `max_message_bytes`: a frame above it means the stream is out of
// step (SPEC 9). 4096 holds the largest realistic 0100 (all 128 fields at
// typical lengths stay under 1.5 KiB) with room for private-use fields.
inline constexpr std::size_t max_message_bytes_default = 4096;
// Hard ceiling for `max_message_bytes` in a config: len2 frames cannot say
// more than 65535, ascii4 not more than 9999.
inline constexpr std::size_t max_message_bytes_ceiling = 65535;
// ISO 8583:1987 numbers fields 1 to 128 (bit 1 is the secondary bitmap).
inline constexpr int iso_field_count = 128;

// ---- codec (SPEC 1) ---------------------------------------------------------

// The longest field ISO 8583 can state: an LLLLVAR prefix holds 4 digits. A
// buffer this size holds the text of any one field (codec/text.h).
inline constexpr std::size_t iso_field_length_max = 9999;
// Unpack records field offsets as 16 bits: no frame carries more (len2 says
// at most 65535), so a larger message is refused rather than truncated.
inline constexpr std::size_t iso_message_bytes_max = 65535;
static_assert(max_message_bytes_ceiling <= iso_message_bytes_max);

}  // namespace authswitch::constants
