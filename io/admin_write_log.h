// The HTTP API's WriteLog (admin_api.h) over the switch's write-ahead log:
// sinks are ledger::WalEventSinks (the control thread's and each
// authorization thread's), so reserving is WalWriter::room on the sink's
// producer, and a write's mark is that producer's last ticket.
//
// Waiting is off the hot path (an operator's request on an HTTP worker): it
// re-reads the released count every 100 us until the deadline.
#pragma once

#include "io/admin_api.h"
#include "ledger/wal_writer.h"

namespace authswitch::io {

class WalWriteLog final : public WriteLog {
 public:
  explicit WalWriteLog(ledger::WalWriter& wal) noexcept : wal_(wal) {}
  [[nodiscard]] bool reserve(core::EventSink& sink, std::size_t records) override;
  [[nodiscard]] LogMark mark(const core::EventSink& sink) override;
  [[nodiscard]] bool wait_released(const LogMark& mark, std::chrono::milliseconds deadline) override;

 private:
  ledger::WalWriter& wal_;
};

}  // namespace authswitch::io
