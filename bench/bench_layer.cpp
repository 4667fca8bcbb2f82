// Golden selective scan and full-layer throughput (docs/layer.md). The scan
// figure is per (channel, state, token) step: mamba-130m d_inner 1536,
// d_state 16, L 2048 = 50.3 M steps per call.
#include <benchmark/benchmark.h>

#include "bench_shapes.hpp"

#include "mambahw/golden/layer.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/random.hpp"

namespace mambahw {
namespace {

using tb::random_mamba2_ssm;


void BM_SelectiveScanMamba130m(benchmark::State& st) {
  const std::size_t D = 1536, N = 16, L = static_cast<std::size_t>(st.range(0));
  Rng rng(1);
  const Mamba1Ssm s = tb::random_mamba1_ssm(D, N, L, rng);
  FloatTensor u({D, L});
  for (auto& v : u.vec()) v = static_cast<float>(rng.normal());
  const ScanOrder order = st.range(1) ? ScanOrder::kBlockScan : ScanOrder::kSequential;
  for (auto _ : st) benchmark::DoNotOptimize(mamba1_selective_scan(u, s, {true, order}));
  const double steps = static_cast<double>(D * N * L);
  st.counters["ns_per_step"] = benchmark::Counter(steps, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["steps"] = steps;
}
BENCHMARK(BM_SelectiveScanMamba130m)->Args({2048, 0})->Args({2048, 1})->Unit(benchmark::kMillisecond)->Iterations(1);

// Mamba2 SSM of mamba2-130m (24 heads x headdim 64, d_state 128, 1 group):
// per (channel, state, token) step, Denormals::kPreserve (channels in lanes)
// or flush-to-zero (the general per-channel path). One thread (mamba2_ssm
// runs its heads on threads() threads; bench_ops measures both).
void BM_Mamba2SsmMamba2_130m(benchmark::State& st) {
  const ModelShape m = bench::model_shape("mamba2-130m");
  const std::size_t H = static_cast<std::size_t>(m.nheads), P = static_cast<std::size_t>(m.headdim);
  const std::size_t N = static_cast<std::size_t>(m.d_state);
  const std::size_t L = static_cast<std::size_t>(st.range(0));
  Rng rng(1);
  const Mamba2Ssm s = random_mamba2_ssm(m.nheads, m.headdim, m.ngroups, m.d_state, L, -3.0, rng);
  FloatTensor x({H * P, L});
  for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
  SsmPolicy p{false};
  p.denormals = st.range(1) ? Denormals::kFlushToZero : Denormals::kPreserve;
  const ThreadScope one(1);
  for (auto _ : st) benchmark::DoNotOptimize(mamba2_ssm(x, s, p));
  const double steps = static_cast<double>(H * P * N * L);
  st.counters["ns_per_step"] = benchmark::Counter(steps, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.SetLabel(std::string(to_string(p.denormals)));
}
BENCHMARK(BM_Mamba2SsmMamba2_130m)->Args({512, 0})->Args({512, 1})->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Layer(benchmark::State& st) {
  const ModelShape m = st.range(0) ? bench::model_shape("mamba2-130m") : bench::model_shape("mamba-130m");
  QuantScheme s;
  if (m.is_mamba2()) {
    s.base = SchemeBase::kQuamba2;
    s.layer.weights = WeightPrecision::kInt4;
    s.layer.weight_group = 128;
    s.layer.gemm_requant = RequantOrder::kWeightThenAct;
    s.layer.softplus_threshold = false;
  }
  const int L = static_cast<int>(st.range(1));
  const LayerWeights w = SyntheticWeights(1).layer(m, 0);
  const QuantizedLayer q = quantize_layer(m, s, w, {synthetic_layer_input(m, 256, 2)});
  const FloatTensor x = synthetic_layer_input(m, L, 3);
  for (auto _ : st) benchmark::DoNotOptimize(run_layer(q, x, SsmInputMode::kInt8));
  st.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(L), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Layer)->Args({0, 2048})->Args({1, 512})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace mambahw

BENCHMARK_MAIN();
