// Golden + SystemC model + Verilated RTL (model::run_cosim, run_cosim_stack).
// SystemC elaborates once per process, so each benchmark runs once:
//   bench_model --benchmark_filter=CosimMamba1Layer   (or CosimMamba2Layer,
//   WholeMamba130m, Mamba2_2p7b; "Mamba1" alone also matches WholeMamba130m)
// The one-layer cases time run_cosim (golden's layer for the comparison, the
// SystemC units computing every value, the Verilated RTL); the layer's
// weights and calibration are timed apart (setup_s).
// The whole-model cases: mamba-130m, all 24 layers chained, prefill L = 2048
// then 128 decode steps, every tensor of every layer checked against golden's
// chained run; mamba2-2.7b, one layer of 64 simulated (prefill + decode) and
// scaled to the model. The time is the whole wall (set-up included);
// counters: setup_s (the layers' synthetic weights and their FP32
// calibration: the test case, not the simulator), sim_s (run_cosim_stack:
// golden's chained run and the SystemC model with the RTL, checked tensor by
// tensor), model_cycles (prompt + decode, simulated layers), sim_cycles_per_s
// (model cycles over sim_s), core_probe_ghz (cpu_info.hpp: the slower of a
// core-speed probe before and one after the run). On one core: taskset -c 0
// (the golden kernels then run on one thread: threads.hpp counts the cores
// the process may use).
// GemmFoldAccumulate times the array's fold kernel alone (no SystemC).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <systemc>

#include "cpu_info.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/golden/kernel_isa.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/model/gemm_fold.hpp"
#include "mambahw/model/totals.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace {

mambahw::Config config(const char* name) {
  return mambahw::load_config(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs" / name);
}

void run(benchmark::State& st, const char* name) {
  const mambahw::Config c = config(name);
  mambahw::RunSettings run = c.run;
  run.seq_len = static_cast<int>(st.range(0));
  const int len = run.seq_len;
  const double probe_before = mambahw::bench::core_probe_ghz();  // outside the timed loop, as the one after it
  for (auto _ : st) {
    // The layer's weights and its FP32 calibration are set-up, not the model:
    // outside the timed region, reported as setup_s.
    st.PauseTiming();
    const auto t0 = std::chrono::steady_clock::now();
    const mambahw::LayerCase lc = make_layer_case(c.model, c.scheme, mambahw::SyntheticWeights(run.seed), run, 0);
    st.counters["setup_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.ResumeTiming();
    const auto r = mambahw::model::run_cosim({c.model, c.scheme, c.hardware}, lc.q, lc.input);
    if (!r.bit_exact()) st.SkipWithError("not bit-exact");
    st.counters["model_cycles"] = static_cast<double>(r.timing.cycles);
    st.counters["rtl_elements"] = static_cast<double>(r.quantizer_rtl_elements + r.dequant_rtl_elements);
  }
  st.counters["tokens_per_s"] = benchmark::Counter(len, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["core_probe_ghz"] = std::min(probe_before, mambahw::bench::core_probe_ghz());  // the slower side
}
void BM_CosimMamba1Layer(benchmark::State& st) { run(st, "default.yaml"); }
void BM_CosimMamba2Layer(benchmark::State& st) { run(st, "mamba2-130m.yaml"); }
BENCHMARK(BM_CosimMamba1Layer)->Arg(2048)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(BM_CosimMamba2Layer)->Arg(2048)->Iterations(1)->Unit(benchmark::kSecond);

// range(0) layers simulated (0: all n_layer), range(1) prompt tokens, range(2) decode steps.
void run_model(benchmark::State& st, const char* name) {
  using clock = std::chrono::steady_clock;
  const mambahw::Config c = config(name);
  const int layers = st.range(0) ? static_cast<int>(st.range(0)) : c.model.n_layer;
  const auto L = static_cast<std::size_t>(st.range(1)), N = static_cast<std::size_t>(st.range(2));
  mambahw::RunSettings run = c.run;
  run.seq_len = static_cast<int>(L + N);
  const double probe_before = mambahw::bench::core_probe_ghz();
  for (auto _ : st) {
    const auto t0 = clock::now();
    std::vector<mambahw::QuantizedLayer> qs;
    mambahw::model::StackInputs in;
    for (int l = 0; l < layers; ++l) {
      mambahw::LayerCase lc = make_layer_case(c.model, c.scheme, mambahw::SyntheticWeights(run.seed), run, l);
      if (l == 0) {
        const std::size_t dm = lc.input.dim(1);
        mambahw::FloatTensor p({L, dm}), d({N, dm});
        std::copy_n(lc.input.data(), p.size(), p.data());
        std::copy_n(lc.input.data() + p.size(), d.size(), d.data());
        in.prompts.push_back(std::move(p));
        if (N) in.decode_inputs.push_back(std::move(d));
      }
      qs.push_back(std::move(lc.q));
    }
    for (const auto& q : qs) in.layers.push_back(&q);
    const double setup = std::chrono::duration<double>(clock::now() - t0).count();
    mambahw::model::CosimOptions opt;
    opt.state_layers = c.model.n_layer;
    const auto t1 = clock::now();
    const auto r = mambahw::model::run_cosim_stack({c.model, c.scheme, c.hardware}, in, opt);
    const double sim = std::chrono::duration<double>(clock::now() - t1).count();
    if (!r.bit_exact()) st.SkipWithError("not bit-exact");
    if (!r.rtl_in_loop) st.SkipWithError("the RTL is not in the loop");
    const auto w = mambahw::model::whole_model(r.timing, c.model.n_layer);
    const double cycles = static_cast<double>(r.timing.cycles) + (r.timing.decode ? static_cast<double>(r.timing.decode->cycles) : 0.0);
    st.counters["setup_s"] = setup;
    st.counters["sim_s"] = sim;
    st.counters["layers"] = layers;
    st.counters["model_cycles"] = cycles;
    st.counters["sim_cycles_per_s"] = cycles / sim;
    st.counters["prefill_tok_per_s"] = w.prefill_tokens_per_s;  // the modelled accelerator's (scaled where layers < n_layer)
    st.counters["decode_tok_per_s"] = w.decode_tokens_per_s;
  }
  st.counters["core_probe_ghz"] = std::min(probe_before, mambahw::bench::core_probe_ghz());  // the slower side
}
void BM_WholeMamba130m(benchmark::State& st) { run_model(st, "default.yaml"); }
void BM_Mamba2_2p7bOneLayerScaled(benchmark::State& st) { run_model(st, "mamba2-2.7b.yaml"); }
BENCHMARK(BM_WholeMamba130m)->Args({0, 2048, 128})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
// Smaller cuts of the same run (a busy machine): two layers at full length, all layers at L = 256 + 16.
BENCHMARK(BM_WholeMamba130m)->Args({2, 2048, 128})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_WholeMamba130m)->Args({0, 256, 16})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_Mamba2_2p7bOneLayerScaled)->Args({1, 2048, 128})->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// The GEMM array's fold accumulation alone (model/gemm_fold.hpp, no
// SystemC): one fold of the default 32 x 32 array for 512 tokens, per MAC;
// args: the kernel variant (KernelIsa: 0 spec, 1 baseline, 2 avx2, 3
// avx512), the inputs per fold (32: INT8; 64: INT4, two per PE) and the
// weight groups per accumulator column (1: per channel; 6: INT4 groups of
// 128 at K = 768) and the tokens (512: a prefill tile; 1: a decode step).
void BM_GemmFoldAccumulate(benchmark::State& st) {
  const auto isa = static_cast<mambahw::KernelIsa>(st.range(0));
  if (!mambahw::kernel_isa_supported(isa)) {
    st.SkipWithError("kernel ISA not supported by this host");
    return;
  }
  const std::int64_t tokens = st.range(3), k = st.range(1), cols = 32, groups = st.range(2), K = 768;
  std::vector<std::int8_t> x(static_cast<std::size_t>(tokens * K)), w(static_cast<std::size_t>(cols * k));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(i * 37 + 11);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<std::int8_t>(static_cast<int>((i * 13) % 15) - 7);
  std::vector<std::int32_t> acc(static_cast<std::size_t>(tokens * cols * groups), 0);
  mambahw::model::FoldSlice s;
  s.x = x.data();
  s.x_stride = K;
  s.w = w.data();
  s.w_stride = k;
  s.tokens = tokens;
  s.k_len = k;
  s.cols = cols;
  s.acc = acc.data();
  s.acc_token = cols * groups;
  s.acc_col = groups;
  mambahw::model::FoldScratch scratch;
  const mambahw::KernelIsa saved = mambahw::kernel_isa();
  mambahw::set_kernel_isa(isa);
  for (auto _ : st) {
    mambahw::model::fold_accumulate(s, scratch);
    benchmark::DoNotOptimize(acc.data());
  }
  mambahw::set_kernel_isa(saved);
  st.counters["ns_per_mac"] = benchmark::Counter(static_cast<double>(tokens * k * cols) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.SetLabel(std::string(mambahw::to_string(isa)));
}
BENCHMARK(BM_GemmFoldAccumulate)
    ->ArgNames({"isa", "k", "groups", "tokens"})
    ->ArgsProduct({{0, 1, 2, 3}, {32}, {1}, {512, 1}})
    ->ArgsProduct({{0, 1, 2, 3}, {64}, {6}, {512, 1}});

}  // namespace

int sc_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
