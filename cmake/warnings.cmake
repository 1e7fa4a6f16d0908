# Strict warnings as errors from the first commit. Every target of ours links
# authswitch_warnings; third-party headers come in as SYSTEM and stay quiet.
add_library(authswitch_warnings INTERFACE)
target_compile_options(authswitch_warnings INTERFACE
  -Wall -Wextra -Werror -Wpedantic
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations
  -Wundef -Wvla)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 false positives on std::array/std::string in optimised builds
  # (GCC bugs 105329, 105651) would otherwise break -Werror.
  target_compile_options(authswitch_warnings INTERFACE
    -Wno-restrict -Wno-array-bounds -Wno-stringop-overflow)
endif()
