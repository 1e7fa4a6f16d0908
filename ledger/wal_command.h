// `authswitch wal dump|verify DIR` (SPEC 10), as a library function so tests
// run it without the whole binary; tools/cmd_wal.cpp only registers it.
#pragma once

#include <cstdio>

#include "ledger/record_registry.h"

namespace authswitch::ledger {

// argv[0] is "wal". Returns 0 (ok), 1 (the log is faulty or unreadable) or
// 2 (usage error); output on `out`, diagnostics on `err`.
int run_wal_command(int argc, char** argv, std::FILE* out, std::FILE* err, const RecordRegistry& registry);

}  // namespace authswitch::ledger
