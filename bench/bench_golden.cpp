// Throughput of the golden conv-output path (Release build):
//   ./build/bench/bench_golden
#include <benchmark/benchmark.h>

#include "bench_shapes.hpp"

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {
namespace {

struct ConvSetup {
  ModelShape m = bench::model_shape("mamba-130m");
  std::vector<float> in_scales;
  Int8Tensor x;
  ConvLayer layer;
  explicit ConvSetup(int len) {
    x = quantize_rows_minmax(synthetic_activations(m.conv_channels(), len, 1), conv_segment_ends(m), in_scales);
    layer = synthetic_conv_layer(m, 2, in_scales);
  }
};

// conv1d + bias + SiLU + INT8 quantization, one mamba-130m layer, L tokens,
// in the prefill order (vectorised) or the decode order (scalar reference).
void BM_ConvSiluQuantize(benchmark::State& state) {
  const ConvSetup s(static_cast<int>(state.range(0)));
  const auto order = static_cast<ConvOrder>(state.range(1));
  const std::vector<float> scales(static_cast<std::size_t>(s.m.conv_channels()), 0.03f);
  const NumericsPolicy p;
  for (auto _ : state) {
    const FloatTensor y = conv1d_silu(s.x, s.layer, order, p);
    benchmark::DoNotOptimize(quantize_per_channel(y, scales, p));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.x.size()));
  state.SetLabel(std::string(to_string(order)));
}
BENCHMARK(BM_ConvSiluQuantize)
    ->Args({2048, static_cast<int>(ConvOrder::kPrefill)})
    ->Args({2048, static_cast<int>(ConvOrder::kDecode)})
    ->Unit(benchmark::kMillisecond);

void BM_ExpUnit(benchmark::State& state) {
  std::vector<float> x(4096);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -20.0f + 40.0f * static_cast<float>(i) / 4096.0f;
  for (auto _ : state)
    for (float v : x) benchmark::DoNotOptimize(exp_unit(v));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}
BENCHMARK(BM_ExpUnit);

void BM_ExpUnitBatch(benchmark::State& state) {
  std::vector<float> x(4096), y(4096);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -20.0f + 40.0f * static_cast<float>(i) / 4096.0f;
  for (auto _ : state) {
    exp_unit_batch(x.data(), y.data(), x.size());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}
BENCHMARK(BM_ExpUnitBatch);

void BM_SiluBatch(benchmark::State& state) {
  std::vector<float> x(4096), y(4096);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -20.0f + 40.0f * static_cast<float>(i) / 4096.0f;
  const NumericsPolicy p;
  for (auto _ : state) {
    silu_batch(x.data(), y.data(), x.size(), p);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}
BENCHMARK(BM_SiluBatch);

void BM_QuantizeInt8(benchmark::State& state) {
  std::vector<float> x(4096);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -5.0f + 10.0f * static_cast<float>(i) / 4096.0f;
  const NumericsPolicy p;
  const float s = 0.03f, inv = reciprocal(s);
  for (auto _ : state)
    for (float v : x) benchmark::DoNotOptimize(quantize(v, s, inv, p));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}
BENCHMARK(BM_QuantizeInt8);

// Random-order inputs (branch prediction cannot help the scalar form).
void BM_QuantizeBatch(benchmark::State& state) {
  const FloatTensor x = synthetic_activations(1, 4096, 3);
  std::vector<std::int8_t> q(x.size());
  NumericsPolicy p;
  p.rounding = static_cast<Rounding>(state.range(0));
  const float s = 0.03f, inv = reciprocal(s);
  for (auto _ : state) {
    quantize_batch(x.data(), s, inv, q.data(), x.size(), p);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
  state.SetLabel(std::string(to_string(p.rounding)));
}
BENCHMARK(BM_QuantizeBatch)->DenseRange(0, 2);

void BM_QuantizeDualScale(benchmark::State& state) {
  std::vector<float> x(4096);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -5.0f + 10.0f * static_cast<float>(i) / 4096.0f;
  const NumericsPolicy p;
  const DualScaleFormat f = DualScaleFormat::make(4, true, 0.2f, 6.0f);
  for (auto _ : state)
    for (float v : x) benchmark::DoNotOptimize(quantize_dual(v, f, p));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
}
BENCHMARK(BM_QuantizeDualScale);

}  // namespace
}  // namespace mambahw

BENCHMARK_MAIN();
