#include "ledger/status.h"

#include <cerrno>
#include <cstring>

namespace authswitch::ledger {

std::string_view fault_name(Fault fault) noexcept {
  switch (fault) {
    case Fault::none: return "ok";
    case Fault::io: return "io";
    case Fault::no_space: return "no_space";
    case Fault::sync_failed: return "sync_failed";
    case Fault::bad_crc: return "bad_crc";
    case Fault::bad_length: return "bad_length";
    case Fault::bad_type: return "bad_type";
    case Fault::bad_reserved: return "bad_reserved";
    case Fault::sequence_gap: return "sequence_gap";
    case Fault::truncated_header: return "truncated_header";
    case Fault::truncated_payload: return "truncated_payload";
    case Fault::bad_segment_header: return "bad_segment_header";
    case Fault::missing_records: return "missing_records";
    case Fault::bad_snapshot: return "bad_snapshot";
    case Fault::bad_key: return "bad_key";
    case Fault::crypto: return "crypto";
    case Fault::closed: return "closed";
    case Fault::queue_full: return "queue_full";
  }
  return "unknown";
}

Status Status::error(Fault fault, std::string_view file, std::int64_t offset, std::string_view message) {
  Status s;
  s.state_ = std::make_unique<State>(State{fault, offset, std::string(file), std::string(message)});
  return s;
}

Status Status::from_errno(int err, std::string_view file, std::int64_t offset, std::string_view what) {
  const Fault fault = (err == ENOSPC || err == EDQUOT || err == EFBIG) ? Fault::no_space : Fault::io;
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return error(fault, file, offset, message);
}

const std::string& Status::file() const noexcept {
  static const std::string empty;
  return state_ ? state_->file : empty;
}

const std::string& Status::message() const noexcept {
  static const std::string empty;
  return state_ ? state_->message : empty;
}

std::string Status::to_string() const {
  if (!state_) return "ok";
  std::string out(fault_name(state_->fault));
  out += ": ";
  if (!state_->file.empty()) {
    out += state_->file;
    if (state_->offset >= 0) {
      out += " at offset ";
      out += std::to_string(state_->offset);
    }
    out += ": ";
  }
  out += state_->message;
  return out;
}

}  // namespace authswitch::ledger
