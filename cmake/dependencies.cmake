# Every dependency is a Debian package; tools/setup.sh installs them.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
find_package(simdjson REQUIRED)
find_package(date REQUIRED)            # Howard Hinnant's date + tz (system tzdata)
find_package(OpenSSL REQUIRED)         # AES-256-GCM for stored PANs
find_package(GTest REQUIRED)
if(AUTHSWITCH_BENCH)
  find_package(benchmark REQUIRED)
endif()

find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/concurrentqueue.h REQUIRED)
add_library(concurrentqueue INTERFACE)
target_include_directories(concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_INCLUDE_DIR})

find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
find_library(HTTPLIB_LIBRARY cpp-httplib REQUIRED)
add_library(httplib INTERFACE)
target_include_directories(httplib SYSTEM INTERFACE ${HTTPLIB_INCLUDE_DIR})
# Debian's libcpp-httplib is built with these; the header must agree.
target_compile_definitions(httplib INTERFACE CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT CPPHTTPLIB_BROTLI_SUPPORT)
target_link_libraries(httplib INTERFACE ${HTTPLIB_LIBRARY} OpenSSL::SSL OpenSSL::Crypto Threads::Threads)

# Project-wide include root: #include "codec/message.h".
add_library(authswitch_include INTERFACE)
target_include_directories(authswitch_include INTERFACE ${CMAKE_SOURCE_DIR})
target_link_libraries(authswitch_include INTERFACE authswitch_warnings)
