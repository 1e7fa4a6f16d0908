// The ledger's operating-error value (STYLE: two error channels).
//
// A Status is one null pointer when OK, so returning it on the append and
// replay paths costs nothing; the file, offset and message are only built on
// the error path. Bugs are AS_ASSERT, never a Status.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace authswitch::ledger {

// What went wrong; tests assert on it, operators read the message.
enum class Fault : std::uint8_t {
  none,
  io,                  // a system call failed (errno in the message)
  no_space,            // ENOSPC / EDQUOT / EFBIG: the disk or quota is full
  sync_failed,         // fdatasync failed: what reached the disk is unknown
  bad_crc,             // record checksum mismatch
  bad_length,          // record length above the maximum
  bad_type,            // type 0, or a ledger type (>= 0x8000) not known
  bad_reserved,        // the reserved header field is not zero
  sequence_gap,        // a sequence number is not the previous plus one
  truncated_header,    // a segment ends inside a record header
  truncated_payload,   // a segment ends inside a record payload
  bad_segment_header,  // a segment does not start with its header record
  missing_records,     // the log does not reach back to the sequence asked for
  bad_snapshot,        // snapshot header, size or CRC wrong
  bad_key,             // PAN key missing, malformed or unusable
  crypto,              // OpenSSL refused
  closed,              // the writer is closed or failed
  queue_full,          // the append queue is full (answer 91)
};

[[nodiscard]] std::string_view fault_name(Fault fault) noexcept;

class [[nodiscard]] Status {
 public:
  // Success. (No static ok(): `s.ok()` must mean "is s a success", and a
  // static factory of that name let `if (!s.ok())` compile as a call that
  // never fails.)
  Status() noexcept = default;
  // `offset` < 0 means no byte offset applies. The message reads
  // "FILE at offset N: MESSAGE" or "FILE: MESSAGE".
  static Status error(Fault fault, std::string_view file, std::int64_t offset, std::string_view message);
  // For a failed system call: appends strerror(err) and picks no_space for
  // ENOSPC, EDQUOT and EFBIG.
  static Status from_errno(int err, std::string_view file, std::int64_t offset, std::string_view what);

  Status(const Status& other) : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  [[nodiscard]] bool ok() const noexcept { return state_ == nullptr; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] Fault fault() const noexcept { return state_ ? state_->fault : Fault::none; }
  [[nodiscard]] const std::string& file() const noexcept;
  [[nodiscard]] std::int64_t offset() const noexcept { return state_ ? state_->offset : -1; }
  // The message alone, without the fault, file and offset.
  [[nodiscard]] const std::string& message() const noexcept;
  // The full line for an operator: "bad_crc: /var/wal/...wal at offset 4096: ...".
  [[nodiscard]] std::string to_string() const;

 private:
  struct State {
    Fault fault;
    std::int64_t offset;
    std::string file;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

}  // namespace authswitch::ledger
