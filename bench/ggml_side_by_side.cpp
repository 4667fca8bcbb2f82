// ggml's CPU ssm_scan / ssm_conv (the ops llama.cpp runs for Mamba) beside
// the golden kernels at issue 17's shapes (op_cases.hpp), one thread each,
// interleaved (ggml, mambahw, ggml, mambahw, ...), process CPU time per
// step or element, the median of the repetitions. Built only when CMake is
// given -DMAMBAHW_GGML_DIR=<a ggml install prefix> (docs/benchmarks.md says
// how to build ggml for it); never in the default build.
//
// What each side computes (the ops are not the same work, and the table says
// so): ggml's ssm_scan is the recurrence and y = C.h in FP32 from FP32
// operands (softplus and exp inside); mambahw's scans read the quantized
// operands and add the D skip and the z gate (Mamba1) as the accelerator
// does. ggml's conv row is ssm_conv + bias add + SiLU (three graph nodes, as
// llama.cpp builds them) on FP32; mambahw's is INT8 in, SiLU, INT8 codes out.
#include <ggml-cpu.h>
#include <ggml.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cpu_info.hpp"
#include "mambahw/golden/kernel_isa.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/golden/tiled.hpp"
#include "op_cases.hpp"

namespace mambahw::bench {
namespace {

double process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

double cpu_ns_of(const std::function<void()>& f) {
  const double t0 = process_cpu_ns();
  f();
  return process_cpu_ns() - t0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// One ggml graph on one thread, its context and work buffer owned here.
class GgmlGraph {
 public:
  explicit GgmlGraph(std::size_t bytes) {
    ggml_init_params params{};
    params.mem_size = bytes;
    params.no_alloc = false;
    ctx_ = ggml_init(params);
    if (!ctx_) {
      std::fprintf(stderr, "ggml_init failed for %zu bytes\n", bytes);
      std::exit(1);
    }
  }
  ~GgmlGraph() { ggml_free(ctx_); }
  GgmlGraph(const GgmlGraph&) = delete;
  GgmlGraph& operator=(const GgmlGraph&) = delete;

  ggml_context* ctx() { return ctx_; }

  // An F32 tensor of the given ne[] filled from `draw`.
  ggml_tensor* tensor(std::initializer_list<std::int64_t> ne, const std::function<float()>& draw) {
    const std::vector<std::int64_t> n(ne);
    ggml_tensor* t = n.size() == 1   ? ggml_new_tensor_1d(ctx_, GGML_TYPE_F32, n[0])
                     : n.size() == 2 ? ggml_new_tensor_2d(ctx_, GGML_TYPE_F32, n[0], n[1])
                     : n.size() == 3 ? ggml_new_tensor_3d(ctx_, GGML_TYPE_F32, n[0], n[1], n[2])
                                     : ggml_new_tensor_4d(ctx_, GGML_TYPE_F32, n[0], n[1], n[2], n[3]);
    auto* d = static_cast<float*>(t->data);
    for (std::int64_t i = 0; i < ggml_nelements(t); ++i) d[i] = draw();
    return t;
  }

  void build(ggml_tensor* out) {
    graph_ = ggml_new_graph(ctx_);
    ggml_build_forward_expand(graph_, out);
    plan_ = ggml_graph_plan(graph_, 1, nullptr);
    work_.resize(plan_.work_size);
    plan_.work_data = work_.empty() ? nullptr : work_.data();
  }
  void compute() {
    if (ggml_graph_compute(graph_, &plan_) != GGML_STATUS_SUCCESS) {
      std::fprintf(stderr, "ggml_graph_compute failed\n");
      std::exit(1);
    }
  }

 private:
  ggml_context* ctx_ = nullptr;
  ggml_cgraph* graph_ = nullptr;
  ggml_cplan plan_{};
  std::vector<std::uint8_t> work_;
};

struct Row {
  std::string op, unit;
  double ggml_ns = 0, mambahw_ns = 0;
};

// reps interleaved runs of each side after one warm-up run of each.
Row measure(std::string op, std::string unit, double units, int reps, const std::function<void()>& ggml_run,
            const std::function<void()>& mambahw_run) {
  ggml_run();
  mambahw_run();
  std::vector<double> g, m;
  for (int r = 0; r < reps; ++r) {
    g.push_back(cpu_ns_of(ggml_run) / units);
    m.push_back(cpu_ns_of(mambahw_run) / units);
  }
  return {std::move(op), std::move(unit), median(g), median(m)};
}

int run(int reps) {
  ggml_cpu_init();
  const ThreadScope one_thread(1);
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const auto n01 = [&] { return normal(gen); };
  std::vector<Row> rows;

  // ggml_ssm_scan over one sequence: state {N, P, H, 1} from zero, x {P, H, L, 1}, dt {H, L, 1} (softplus
  // inside; drawn around dt_mean), A {a_rows, H} (Mamba1: a_rows = N; Mamba2: 1), B and C {N, 1, L, 1}.
  const auto scan_graph = [&](GgmlGraph& g, std::int64_t H, std::int64_t P, std::int64_t N, std::int64_t L,
                              std::int64_t a_rows, float dt_mean) {
    ggml_tensor* s = g.tensor({N, P, H, 1}, [] { return 0.0f; });
    ggml_tensor* x = g.tensor({P, H, L, 1}, n01);
    ggml_tensor* dt = g.tensor({H, L, 1}, [&] { return normal(gen) + dt_mean; });
    ggml_tensor* a = g.tensor({a_rows, H}, [&] { return -std::exp(2.77f * uniform(gen)); });
    ggml_tensor* b = g.tensor({N, 1, L, 1}, n01);
    ggml_tensor* c = g.tensor({N, 1, L, 1}, n01);
    ggml_tensor* ids = ggml_new_tensor_1d(g.ctx(), GGML_TYPE_I32, 1);
    static_cast<std::int32_t*>(ids->data)[0] = 0;
    g.build(ggml_ssm_scan(g.ctx(), s, x, dt, a, b, c, ids, 1));
  };
  {  // Mamba1 as llama.cpp runs it: d_inner heads of one channel, A per state
    const Mamba1Shape m;
    GgmlGraph g(std::size_t{256} << 20);
    scan_graph(g, static_cast<std::int64_t>(m.d_inner), 1, static_cast<std::int64_t>(m.d_state),
               static_cast<std::int64_t>(m.len), static_cast<std::int64_t>(m.d_state), -2.0f);
    const Mamba1Case mc = mamba1_case(m);
    const SsmPolicy p{true, ScanOrder::kSequential};
    rows.push_back(measure("Mamba1 scan 1536x16, L 2048", "step", m.steps(), reps, [&] { g.compute(); },
                           [&] { (void)mamba1_selective_scan_tiled(mc.u, mc.ssm, p); }));
  }
  {  // Mamba2: one A per head
    const Mamba2Shape m;
    GgmlGraph g(std::size_t{64} << 20);
    scan_graph(g, m.nheads, m.headdim, m.d_state, static_cast<std::int64_t>(m.len), 1, -3.0f);
    const Mamba2Case mc = mamba2_case(m);
    const SsmPolicy p{false};
    rows.push_back(measure("Mamba2 SSM 24x64x128, L 512", "step", m.steps(), reps, [&] { g.compute(); },
                           [&] { (void)mamba2_ssm(mc.x, mc.ssm, p); }));
  }
  for (int channels : kConvChannelCases) {  // sx {W-1+L, C, 1}, weights {W, C}, bias {C}
    const ConvShape m{channels};
    const ConvCase cc = conv_case(m);
    const std::int64_t C = channels, W = cc.layer.width, L = static_cast<std::int64_t>(m.len);
    const NumericsPolicy np;
    FloatTensor y;
    Int8Tensor codes;
    const auto mambahw_conv = [&] {
      conv1d_silu_quantize_tiled(cc.x, cc.layer, ConvOrder::kPrefill, np, cc.out_scales, y, codes);
    };
    const std::string ch = std::to_string(channels) + " ch, L 2048";
    {
      GgmlGraph g((static_cast<std::size_t>(C * (W - 1 + L)) * 4 * 4) + (std::size_t{16} << 20));
      ggml_tensor* sx = g.tensor({W - 1 + L, C, 1}, n01);
      ggml_tensor* w = g.tensor({W, C}, [&] { return 0.5f * normal(gen); });
      ggml_tensor* bias = g.tensor({C}, n01);
      g.build(ggml_silu(g.ctx(), ggml_add(g.ctx(), ggml_ssm_conv(g.ctx(), sx, w), bias)));
      rows.push_back(measure("conv1d+bias+SiLU (mambahw: +INT8 quantize) " + ch, "element", m.elements(), reps,
                             [&] { g.compute(); }, mambahw_conv));
    }
    {
      GgmlGraph g((static_cast<std::size_t>(C * (W - 1 + L)) * 4 * 2) + (std::size_t{16} << 20));
      ggml_tensor* sx = g.tensor({W - 1 + L, C, 1}, n01);
      ggml_tensor* w = g.tensor({W, C}, [&] { return 0.5f * normal(gen); });
      g.build(ggml_ssm_conv(g.ctx(), sx, w));
      rows.push_back(measure("ggml ssm_conv alone vs mambahw conv+SiLU+quantize " + ch, "element", m.elements(),
                             reps, [&] { g.compute(); }, mambahw_conv));
    }
  }

  const CpuInfo cpu = cpu_info();
  std::printf("cpu_model: %s\ncpu_isa: %s\n", cpu.model.c_str(), cpu.isa.c_str());
  std::printf("mambahw kernels: %s variant; ggml CPU backend: avx2 %d, avx512 %d; one thread each\n",
              std::string(to_string(kernel_isa())).c_str(), ggml_cpu_has_avx2(), ggml_cpu_has_avx512());
  std::printf("repetitions: %d interleaved, median of process CPU time; load average at the end: %s\n\n", reps,
              load_average().c_str());
  std::printf("| op | ggml CPU ns | mambahw CPU ns | per | ggml / mambahw |\n|---|---|---|---|---|\n");
  for (const Row& r : rows)
    std::printf("| %s | %.4g | %.4g | %s | %.2fx |\n", r.op.c_str(), r.ggml_ns, r.mambahw_ns, r.unit.c_str(),
                r.ggml_ns / r.mambahw_ns);
  return 0;
}

}  // namespace
}  // namespace mambahw::bench

int main(int argc, char** argv) {
  int reps = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--reps N]  (N >= 1; default 7)\n", argv[0]);
      return 2;
    }
  }
  if (reps < 1) {
    std::fprintf(stderr, "--reps must be at least 1\n");
    return 2;
  }
  return mambahw::bench::run(reps);
}
