// The io layer's write-ahead log records (SPEC 7: link up/down, signed on,
// request received, response written, stray and out-of-step input). The
// core's events (decisions, reversals, ...) are the ledger's
// (ledger/event_codec.h, appended by ledger::WalEventSink).
//
// Payloads are small fixed structs copied byte for byte (little-endian, the
// only target), so appending one is a memcpy into the WAL producer's queue:
// no allocation on the hot path. A PAN only ever appears masked (first 6,
// last 4), never whole. Every byte of a record is a field: a padding byte
// would carry whatever the stack held before (a request's PAN, say) into the
// log, so each struct fills its tail explicitly and append_record refuses a
// type with padding.
//
// Types live in 0x0200..0x02ff so they cannot collide with the core's event
// types (the ledger's catalogue starts at 1) or the ledger's own (>= 0x8000).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "io/iso_adapter.h"
#include "ledger/wal_writer.h"

namespace authswitch::io {

enum class SwitchRecord : std::uint16_t {
  link_up = 0x0201,           // LinkRecord
  link_down = 0x0202,         // LinkRecord
  signed_on = 0x0203,         // LinkRecord
  received = 0x0204,          // ReceivedRecord
  response_written = 0x0205,  // WrittenRecord
  dropped = 0x0206,           // DroppedRecord: a stray response or an unreadable message
  out_of_step = 0x0207,       // LinkRecord: a frame length of 0 or too large
};

struct LinkRecord {
  std::uint16_t link = 0;        // index in the config's links
  std::uint16_t connection = 0;  // connection slot
  std::uint16_t peer_port = 0;
  std::uint16_t reserved = 0;
};

// inflight of a request the loop answered itself (30, 12, 91) or an 0800:
// it took no in-flight slot.
inline constexpr std::uint32_t answered_by_loop = 0xffffffffu;

// What a request carried that an investigation needs (SPEC 7: the parsed
// fields that matter, never raw bytes): enough to find its decision (the key
// is MTI class, 32, 7 and 11) and its clearing record (SPEC 8 matches on 37).
struct ReceivedRecord {
  std::uint16_t link = 0;
  std::uint16_t connection = 0;
  std::uint32_t inflight = 0;    // the connection's in-flight slot, or answered_by_loop
  std::array<char, 4> mti{};
  std::uint32_t stan = 0;
  std::int64_t amount = 0;
  std::array<char, 19> masked_pan{};  // first 6, last 4; '*' between
  std::uint8_t pan_length = 0;
  std::uint32_t field7 = 0;
  // The first builds' records ended here (received_record_v1_bytes, then
  // 8 bytes kept zero); the printer reads both.
  std::uint64_t acquirer = 0;         // field 32
  std::array<char, 12> rrn{};         // field 37
  std::array<char, 8> terminal{};     // field 41
  std::uint16_t currency = 0;         // field 49
  std::uint16_t present = 0;          // ReceivedField bits: which of the numbers above were read
};
inline constexpr std::size_t received_record_v1_bytes = 56;
inline constexpr std::size_t received_record_v1_fields = 48;  // bytes of those that are fields

enum ReceivedField : std::uint16_t {
  received_stan = 1u << 0,
  received_amount = 1u << 1,
  received_field7 = 1u << 2,
  received_acquirer = 1u << 3,
  received_rrn = 1u << 4,
  received_terminal = 1u << 5,
  received_currency = 1u << 6,
};

struct WrittenRecord {
  std::uint16_t link = 0;
  std::uint16_t connection = 0;
  std::uint32_t inflight = 0;
  std::array<char, 4> mti{};     // the response's
  std::uint32_t stan = 0;
  std::array<char, 2> rc{};
  std::array<char, 6> approval{};
};

struct DroppedRecord {
  std::uint16_t link = 0;
  std::uint16_t connection = 0;
  std::array<char, 4> mti{};     // as read; zeros when unreadable
  std::uint8_t reason = 0;       // 1 stray response, 2 unreadable MTI or STAN, 3 other (not a request)
  std::array<std::uint8_t, 7> reserved{};
};

// Appends any of the records above. False when the writer refused it.
template <typename Record>
[[nodiscard]] ledger::AppendResult append_record(ledger::WalWriter& wal, ledger::ProducerId producer,
                                                 SwitchRecord type, const Record& record) noexcept {
  static_assert(std::has_unique_object_representations_v<Record>,
                "a padding byte would copy stack contents into the log");
  return wal.append(producer, static_cast<std::uint16_t>(type),
                    std::as_bytes(std::span<const Record, 1>(&record, 1)));
}

// A masked PAN into a record's fixed field.
void mask_into(std::string_view pan, std::array<char, 19>& out, std::uint8_t& length) noexcept;

// A request's received record from the fields its answer echoes, which the
// loop holds whether the request goes to the core or is answered at once.
// A field absent or not all digits where digits are due is left out.
[[nodiscard]] ReceivedRecord received_record(const EchoCapture& echo, std::uint16_t link, std::uint16_t connection,
                                             std::uint32_t inflight) noexcept;

// Registers the names of these records with `wal dump` (ledger/record_registry.h).
void register_switch_record_types();

}  // namespace authswitch::io
