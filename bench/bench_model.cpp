// Golden + SystemC model + Verilated RTL on one layer (model::run_cosim).
// SystemC elaborates once per process, so each benchmark runs once:
//   bench_model --benchmark_filter=Mamba1   (or Mamba2)
#include <benchmark/benchmark.h>

#include <filesystem>

#include <systemc>

#include "mambahw/config/config.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace {

void run(benchmark::State& st, const char* config) {
  const mambahw::Config c = mambahw::load_config(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs" / config);
  mambahw::RunSettings run = c.run;
  run.seq_len = static_cast<int>(st.range(0));
  const int len = run.seq_len;
  for (auto _ : st) {
    const mambahw::LayerCase lc = make_layer_case(c.model, c.scheme, mambahw::SyntheticWeights(run.seed), run, 0);
    const auto r = mambahw::model::run_cosim({c.model, c.scheme, c.hardware}, lc.q, lc.input);
    if (!r.bit_exact()) st.SkipWithError("not bit-exact");
    st.counters["model_cycles"] = static_cast<double>(r.timing.cycles);
    st.counters["rtl_elements"] = static_cast<double>(r.quantizer_rtl_elements + r.dequant_rtl_elements);
  }
  st.counters["tokens_per_s"] = benchmark::Counter(len, benchmark::Counter::kIsIterationInvariantRate);
}
void BM_CosimMamba1Layer(benchmark::State& st) { run(st, "default.yaml"); }
void BM_CosimMamba2Layer(benchmark::State& st) { run(st, "mamba2-130m.yaml"); }
BENCHMARK(BM_CosimMamba1Layer)->Arg(2048)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_CosimMamba2Layer)->Arg(2048)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

int sc_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
