// `authswitch wal dump|verify DIR`: the work is in ledger/wal_command.cpp so
// that tests run it in-process.
#include <cstdio>

#include "io/switch_records.h"
#include "ledger/event_printers.h"
#include "ledger/record_registry.h"
#include "ledger/wal_command.h"
#include "tools/command.h"

namespace {

int run_wal(int argc, char** argv) {
  authswitch::ledger::register_core_event_types(authswitch::ledger::wal_record_registry());
  // The switch's own steps (link events, request received, response written).
  authswitch::io::register_switch_record_types();
  return authswitch::ledger::run_wal_command(argc, argv, stdout, stderr, authswitch::ledger::wal_record_registry());
}

}  // namespace

AUTHSWITCH_COMMAND(wal, "wal", "dump or verify the write-ahead log (wal dump|verify DIR)", run_wal)
