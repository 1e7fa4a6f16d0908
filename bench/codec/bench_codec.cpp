// SPEC 14 codec figures: unpack an 0100 with 16 fields, pack the 0110 that
// answers it (echoing the request's fields plus 38 and 39). Each benchmark
// also reports heap allocations per iteration, counted by a replaced global
// operator new; the target is 0. Results and commands: bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "codec/pack.h"
#include "codec/unpack.h"
#include "tests/support/alloc_counter.h"

namespace authswitch::codec {
namespace {

// The fields of a typical 0100 (SPEC 1's table): 16 fields, 166 bytes.
FieldValues request_values() {
  FieldValues v;
  v.set_mti("0100");
  v.set(2, "4000000000000002");
  v.set(3, "000000");
  v.set(4, "000000012345");
  v.set(7, "1123101530");
  v.set(11, "123456");
  v.set(12, "101530");
  v.set(13, "1123");
  v.set(14, "2912");
  v.set(18, "5812");
  v.set(22, "051");
  v.set(32, "123456");
  v.set(37, "332710000001");
  v.set(41, "TERM0001");
  v.set(42, "MERCHANT0000001");
  v.set(43, "CAFE TOKYO  TOKYO       JP              ");
  v.set(49, "392");
  return v;
}

std::string request_0100() {
  std::array<std::byte, 512> out{};
  const PackResult r = pack(Dialect::iso87_ascii(), request_values(), out);
  if (!r.error.ok()) std::abort();
  return {reinterpret_cast<const char*>(out.data()), r.size};
}

void report_allocations(benchmark::State& state, std::size_t before) {
  state.counters["allocs_per_iter"] = benchmark::Counter(
      static_cast<double>(::authswitch::test::allocations() - before) / static_cast<double>(state.iterations()));
}

void BM_Unpack0100_16Fields(benchmark::State& state) {
  const std::string message = request_0100();
  const Dialect& dialect = Dialect::iso87_ascii();
  MessageView view;
  const std::size_t before = ::authswitch::test::allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(message.data());
    const CodecError err = unpack(dialect, message, view);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(view);
  }
  report_allocations(state, before);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_Unpack0100_16Fields);

// The fields a response echoes (SPEC 2) when the request carries them.
constexpr FieldSet echoed{2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49};

void BM_Pack0110_Echo(benchmark::State& state) {
  const std::string message = request_0100();
  const Dialect& dialect = Dialect::iso87_ascii();
  MessageView request;
  if (!unpack(dialect, message, request).ok()) std::abort();
  std::array<std::byte, 512> out{};
  const std::size_t before = ::authswitch::test::allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(&request);
    FieldValues response;
    response.set_mti("0110");
    response.echo(request, echoed);
    response.set(38, "A1B2C3");
    response.set(39, "00");
    const PackResult r = pack(dialect, response, out, {.framing = Framing::len2, .secondary_bitmap = {}});
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  report_allocations(state, before);
}
BENCHMARK(BM_Pack0110_Echo);

// pack() alone: the response's values built once, outside the loop.
void BM_Pack0110_ValuesReady(benchmark::State& state) {
  const std::string message = request_0100();
  const Dialect& dialect = Dialect::iso87_ascii();
  MessageView request;
  if (!unpack(dialect, message, request).ok()) std::abort();
  FieldValues response;
  response.set_mti("0110");
  response.echo(request, echoed);
  response.set(38, "A1B2C3");
  response.set(39, "00");
  std::array<std::byte, 512> out{};
  const std::size_t before = ::authswitch::test::allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(&response);
    const PackResult r = pack(dialect, response, out, {.framing = Framing::len2, .secondary_bitmap = {}});
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  report_allocations(state, before);
}
BENCHMARK(BM_Pack0110_ValuesReady);

}  // namespace
}  // namespace authswitch::codec

BENCHMARK_MAIN();
