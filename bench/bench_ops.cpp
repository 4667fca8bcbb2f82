// The golden kernels at issue 17's shapes (op_cases.hpp), per (channel,
// state, token) step or per element, on one core and on all cores
// (golden/threads.hpp).
// Each benchmark reports wall time (UseRealTime: the threads' span) and the
// process's CPU time over all threads per step (cpu_ns_per_*), and the context
// names the CPU model and its vector ISA (cpu_info.hpp), so a figure
// never travels without its machine. bench/bench_table.py turns the JSON
// output (--benchmark_format=json) into the README's table.
#include <benchmark/benchmark.h>

#include <time.h>

#include <iterator>
#include <string>

#include "cpu_info.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/golden/tiled.hpp"
#include "op_cases.hpp"

namespace mambahw {
namespace {

double process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// The machine (cpu_info.hpp) in the benchmark's context.
void add_cpu_context() {
  const bench::CpuInfo cpu = bench::cpu_info();
  benchmark::AddCustomContext("cpu_model", cpu.model);
  benchmark::AddCustomContext("cpu_isa", cpu.isa);
  benchmark::AddCustomContext("cores", std::to_string(hardware_threads()));
  benchmark::AddCustomContext("compiler", std::string("GCC ") + __VERSION__);
}

// Runs `body` per iteration on `threads` threads and reports per-unit figures.
template <class F>
void measure(benchmark::State& st, double units, const char* unit, F&& body) {
  const int threads = st.range(0) ? hardware_threads() : 1;
  const ThreadScope scope(threads);
  double cpu = 0;
  for (auto _ : st) {
    const double c0 = process_cpu_ns();
    body();
    cpu += process_cpu_ns() - c0;
  }
  const auto it = static_cast<double>(st.iterations());
  st.counters[std::string("ns_per_") + unit] =
      benchmark::Counter(units * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters[std::string("cpu_ns_per_") + unit] = cpu / (it * units);
  st.counters["threads"] = threads;
  st.counters["units"] = units;
  st.SetLabel(threads == 1 ? "one core" : "all cores");
}

void BM_Mamba1Scan(benchmark::State& st) {
  const bench::Mamba1Shape m;
  const bench::Mamba1Case c = bench::mamba1_case(m);
  const SsmPolicy p{true, ScanOrder::kSequential};
  measure(st, m.steps(), "step", [&] { benchmark::DoNotOptimize(mamba1_selective_scan_tiled(c.u, c.ssm, p)); });
}

void BM_Mamba2Ssm(benchmark::State& st) {
  const bench::Mamba2Shape m;
  const bench::Mamba2Case c = bench::mamba2_case(m);
  const SsmPolicy p{false};
  measure(st, m.steps(), "step", [&] { benchmark::DoNotOptimize(mamba2_ssm(c.x, c.ssm, p)); });
}

void BM_ConvSiluQuantize(benchmark::State& st) {
  const bench::ConvShape m{static_cast<int>(st.range(1))};
  const bench::ConvCase c = bench::conv_case(m);
  const NumericsPolicy np;
  FloatTensor y;
  Int8Tensor codes;
  measure(st, m.elements(), "element", [&] {
    conv1d_silu_quantize_tiled(c.x, c.layer, ConvOrder::kPrefill, np, c.out_scales, y, codes);
    benchmark::DoNotOptimize(codes.data());
  });
}

BENCHMARK(BM_Mamba1Scan)->ArgName("all_cores")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mamba2Ssm)->ArgName("all_cores")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvSiluQuantize)
    ->ArgNames({"all_cores", "channels"})
    ->ArgsProduct({{0, 1}, {std::begin(bench::kConvChannelCases), std::end(bench::kConvChannelCases)}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mambahw

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  mambahw::add_cpu_context();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
