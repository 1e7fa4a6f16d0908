#include "io/admin_write_log.h"

#include <thread>

#include "ledger/wal_event_sink.h"

namespace authswitch::io {

bool WalWriteLog::reserve(core::EventSink& sink, std::size_t records) {
  auto* wal_sink = dynamic_cast<ledger::WalEventSink*>(&sink);
  if (wal_sink == nullptr) return true;  // not logged: nothing to reserve
  wal_sink->reset_fault();
  return wal_.room(wal_sink->producer()) >= records;
}

LogMark WalWriteLog::mark(const core::EventSink& sink) {
  const auto* wal_sink = dynamic_cast<const ledger::WalEventSink*>(&sink);
  if (wal_sink == nullptr) return {};
  return LogMark{wal_sink->producer(), wal_sink->last_ticket(), wal_sink->fault() != ledger::Fault::none};
}

bool WalWriteLog::wait_released(const LogMark& mark, std::chrono::milliseconds deadline) {
  if (mark.failed) return false;
  if (mark.ticket == 0) return true;
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (wal_.is_released(mark.producer, mark.ticket)) return true;
    if (wal_.failed() || std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

}  // namespace authswitch::io
