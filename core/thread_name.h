// Names the calling thread for `top -H`, `ps -L` and /proc/<pid>/task/*/comm.
//
// An operator who sees one of the switch's CPUs at 100% needs to know which
// stage that is (a connection loop, an authorization thread, the log writer)
// without attaching a debugger. Linux keeps the first 15 bytes; a longer
// name is cut there rather than refused.
#pragma once

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace authswitch::core {

inline void name_this_thread(std::string_view name) noexcept {
  char buffer[16] = {};
  std::memcpy(buffer, name.data(), std::min(name.size(), sizeof(buffer) - 1));
  (void)pthread_setname_np(pthread_self(), buffer);
}

}  // namespace authswitch::core
