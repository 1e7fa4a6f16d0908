// Cost of a request's received record on the io loop: built from the echo
// capture (io/switch_records.h) for every request read.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "io/switch_records.h"

namespace authswitch::bench {
namespace {

io::EchoCapture typical_request() {
  io::EchoCapture e;
  std::memcpy(e.mti.data(), "0100", 4);
  const std::pair<int, std::string_view> fields[] = {
      {2, "4000001234567899"}, {3, "000000"},       {4, "000000012345"}, {7, "1123140000"}, {11, "000042"},
      {32, "123456"},          {37, "RRN000000042"}, {41, "TERM0001"},    {49, "392"}};
  for (const auto& [field, text] : fields) {
    for (std::size_t i = 0; i < io::echoed_fields.size(); ++i) {
      if (io::echoed_fields[i] != field) continue;
      std::memcpy(e.text[i].data(), text.data(), text.size());
      e.length[i] = static_cast<std::uint8_t>(text.size());
      e.present = static_cast<std::uint16_t>(e.present | (1u << i));
    }
  }
  return e;
}

void BM_ReceivedRecordFromEcho(benchmark::State& state) {
  const io::EchoCapture echo = typical_request();
  std::uint32_t inflight = 0;
  for (auto _ : state) {
    io::ReceivedRecord r = io::received_record(echo, 0, 1, inflight++);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ReceivedRecordFromEcho);

}  // namespace
}  // namespace authswitch::bench

BENCHMARK_MAIN();
