// Cache-line prefetch hints that the compiler keeps.
//
// g++ 12 dropped __builtin_prefetch calls from Core::prefetch's first stage
// (seen in the disassembly), so the hints are spelled as inline asm. prefetchw
// asks for the line in a writable state: the claim's CAS and the totals'
// stores would otherwise pay a second trip to upgrade it (a shared copy from
// a read prefetch). On x86-64 CPUs without it the 0F 0D opcode is a no-op
// (a NOP-class hint since the first AMD64 parts).
#pragma once

namespace authswitch::core {

inline void prefetch_read(const void* p) noexcept { __asm__ volatile("prefetcht0 (%0)" : : "r"(p)); }
inline void prefetch_write(const void* p) noexcept { __asm__ volatile("prefetchw (%0)" : : "r"(p)); }

}  // namespace authswitch::core
