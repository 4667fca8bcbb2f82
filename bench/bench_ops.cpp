// The golden kernels at issue 17's shapes (op_cases.hpp), per (channel,
// state, token) step or per element, on one core and on all cores
// (golden/threads.hpp).
// Each benchmark reports wall time (UseRealTime: the threads' span) and the
// process's CPU time over all threads per step (cpu_ns_per_*), and the context
// names the CPU model and its vector ISA (cpu_info.hpp), so a figure
// never travels without its machine; core_probe_ghz is the slower of two
// core-speed probes just before and after the timed loop (cpu_info.hpp).
// bench/bench_table.py turns the JSON output (--benchmark_format=json) into
// the README's table.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "cpu_info.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/kernel_isa.hpp"
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
  const double probe_before = bench::core_probe_ghz();
  double cpu = 0;
  for (auto _ : st) {
    const double c0 = process_cpu_ns();
    body();
    cpu += process_cpu_ns() - c0;
  }
  st.counters["core_probe_ghz"] = std::min(probe_before, bench::core_probe_ghz());  // the slower side of the run
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

// The GEMM accumulation (gemm_accumulate) and the whole INT8-output GEMM
// (gemm_int8_out) at mamba-130m's in_proj (768 -> 3072), per MAC; args: the
// kernel variant (KernelIsa: 0 spec = dot4, 1 baseline, 2 avx2, 3 avx512),
// the weight bits (8: per channel; 4: groups of 128) and the tokens.
struct GemmBenchCase {
  Int8Tensor x;
  QuantWeights w;
  double macs = 0;
};
GemmBenchCase gemm_case(int weight_bits, std::size_t tokens) {
  const bench::GemmShape m;
  Rng rng(5);
  FloatTensor wf({static_cast<std::size_t>(m.out), static_cast<std::size_t>(m.in)});
  for (auto& v : wf.vec()) v = static_cast<float>(rng.normal());
  GemmBenchCase c;
  c.w = quantize_weights(wf, weight_bits == 8 ? WeightPrecision::kInt8 : WeightPrecision::kInt4, weight_bits == 8 ? 0 : 128);
  c.x = Int8Tensor({tokens, static_cast<std::size_t>(m.in)});
  for (auto& v : c.x.vec()) v = static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128);
  c.macs = static_cast<double>(tokens) * m.in * m.out;
  return c;
}
template <class F>
void gemm_bench(benchmark::State& st, F&& body) {
  const auto isa = static_cast<KernelIsa>(st.range(1));
  if (!kernel_isa_supported(isa)) {
    st.SkipWithError("kernel ISA not supported by this host");
    return;
  }
  const KernelIsa saved = kernel_isa();
  set_kernel_isa(isa);
  const GemmBenchCase c = gemm_case(static_cast<int>(st.range(2)), static_cast<std::size_t>(st.range(3)));
  measure(st, c.macs, "mac", [&] { body(c); });
  st.SetLabel(std::string(to_string(isa)) + (st.range(0) ? ", all cores" : ", one core"));
  set_kernel_isa(saved);
}
void BM_GemmAccumulate(benchmark::State& st) {
  gemm_bench(st, [](const GemmBenchCase& c) { benchmark::DoNotOptimize(gemm_accumulate(c.x, c.w)); });
}
void BM_GemmInt8Out(benchmark::State& st) {
  const GemmScales s{0.02f, {0.05f}};
  gemm_bench(st, [&](const GemmBenchCase& c) { benchmark::DoNotOptimize(gemm_int8_out(c.x, c.w, s, RequantPolicy{})); });
}

BENCHMARK(BM_Mamba1Scan)->ArgName("all_cores")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mamba2Ssm)->ArgName("all_cores")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvSiluQuantize)
    ->ArgNames({"all_cores", "channels"})
    ->ArgsProduct({{0, 1}, {std::begin(bench::kConvChannelCases), std::end(bench::kConvChannelCases)}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
void gemm_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"all_cores", "isa", "weight_bits", "tokens"})
      ->ArgsProduct({{0}, {0, 1, 2, 3}, {8, 4}, {1, 16, 512}})
      ->ArgsProduct({{1}, {0, 3}, {8, 4}, {512}});
}
BENCHMARK(BM_GemmAccumulate)->Apply(gemm_args)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GemmInt8Out)->Apply(gemm_args)->UseRealTime()->Unit(benchmark::kMillisecond);

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
