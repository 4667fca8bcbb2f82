// The golden kernels at issue 17's shapes, per (channel, state, token) step
// or per element, on one core and on all cores (golden/threads.hpp):
//   Mamba1 selective scan   d_inner 1536 x d_state 16, L = 2048
//   Mamba2 SSM              24 heads x headdim 64 x d_state 128 (1 group), L = 512
//   conv1d + SiLU + INT8    1536 and 3072 channels, L = 2048 (prefill order)
// Each benchmark reports wall time (UseRealTime: the threads' span) and the
// process's CPU time over all threads per step (cpu_ns_per_*), and the context
// names the CPU model and its vector ISA (from /proc/cpuinfo), so a figure
// never travels without its machine. bench/bench_table.py turns the JSON
// output (--benchmark_format=json) into the README's table.
#include <benchmark/benchmark.h>

#include <time.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mambahw/golden/threads.hpp"
#include "mambahw/golden/tiled.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/random.hpp"
#include "mambahw/tb/test_shapes.hpp"

namespace mambahw {
namespace {

double process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

// The CPU's model name and the vector extensions the kernels can use.
void add_cpu_context() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, model, flags;
  while (std::getline(f, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : std::string();
    if (key == "model name" && model.empty()) model = value;
    if (key == "flags" && flags.empty()) flags = " " + value + " ";
  }
  std::string isa;
  for (const char* x : {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                        "avx512_bf16", "avx512_fp16", "amx_int8"})
    if (flags.find(std::string(" ") + x + " ") != std::string::npos) {
      if (!isa.empty()) isa += ' ';
      isa += x;
    }
  benchmark::AddCustomContext("cpu_model", model.empty() ? "unknown" : model);
  benchmark::AddCustomContext("cpu_isa", isa.empty() ? "unknown" : isa);
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
  const std::size_t D = 1536, N = 16, L = 2048;
  Rng rng(1);
  const Mamba1Ssm s = tb::random_mamba1_ssm(D, N, L, rng);
  FloatTensor u({D, L});
  for (auto& v : u.vec()) v = static_cast<float>(rng.normal());
  const SsmPolicy p{true, ScanOrder::kSequential};
  measure(st, static_cast<double>(D * N * L), "step",
          [&] { benchmark::DoNotOptimize(mamba1_selective_scan_tiled(u, s, p)); });
}

void BM_Mamba2Ssm(benchmark::State& st) {
  const int H = 24, P = 64, N = 128;
  const std::size_t L = 512;
  Rng rng(1);
  const Mamba2Ssm s = tb::random_mamba2_ssm(H, P, 1, N, L, -3.0, rng);
  FloatTensor x({static_cast<std::size_t>(H * P), L});
  for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
  const SsmPolicy p{false};
  measure(st, static_cast<double>(H) * P * N * static_cast<double>(L), "step",
          [&] { benchmark::DoNotOptimize(mamba2_ssm(x, s, p)); });
}

void BM_ConvSiluQuantize(benchmark::State& st) {
  const int C = static_cast<int>(st.range(1));
  const int L = 2048;
  const ModelShape m = test::mamba1_shape(C);
  std::vector<float> in_scales;
  const Int8Tensor x = quantize_rows_minmax(synthetic_activations(C, L, 1), conv_segment_ends(m), in_scales);
  const ConvLayer layer = synthetic_conv_layer(m, 2, in_scales);
  const std::vector<float> scales(static_cast<std::size_t>(C), 0.03f);
  const NumericsPolicy np;
  FloatTensor y;
  Int8Tensor codes;
  measure(st, static_cast<double>(C) * L, "element", [&] {
    conv1d_silu_quantize_tiled(x, layer, ConvOrder::kPrefill, np, scales, y, codes);
    benchmark::DoNotOptimize(codes.data());
  });
}

BENCHMARK(BM_Mamba1Scan)->ArgName("all_cores")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mamba2Ssm)->ArgName("all_cores")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvSiluQuantize)
    ->ArgNames({"all_cores", "channels"})
    ->Args({0, 1536})
    ->Args({1, 1536})
    ->Args({0, 3072})
    ->Args({1, 3072})
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
