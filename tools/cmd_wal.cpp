// `authswitch wal dump|verify DIR`: the work is in ledger/wal_command.cpp so
// that tests run it in-process.
#include <cstdio>

#include "ledger/record_registry.h"
#include "ledger/wal_command.h"
#include "tools/command.h"

namespace {

int run_wal(int argc, char** argv) {
  // The event catalogue's types register into wal_record_registry() here
  // once the core provides its register function.
  return authswitch::ledger::run_wal_command(argc, argv, stdout, stderr, authswitch::ledger::wal_record_registry());
}

}  // namespace

AUTHSWITCH_COMMAND(wal, "wal", "dump or verify the write-ahead log (wal dump|verify DIR)", run_wal)
