// The golden model's threads (golden/threads.hpp): whole layers, their
// calibration and the FP32 reference computed at 1, 2 and 3 threads give the
// same bits in every tensor and counter. The shapes leave partial tiles in
// every parallel loop (channels, heads, GEMM output tiles, token tiles), so a
// partition that moved a reduction across tiles, or a race, shows up here.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/golden/tiled.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/random.hpp"
#include "mambahw/tb/test_shapes.hpp"

namespace mambahw {
namespace {

template <class T>
void expect_same_bits(const Tensor<T>& a, const Tensor<T>& b, const std::string& what) {
  ASSERT_EQ(a.rank(), b.rank()) << what;
  for (std::size_t i = 0; i < a.rank(); ++i) ASSERT_EQ(a.dim(i), b.dim(i)) << what;
  ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(T)), 0) << what << " differs";
}

template <class T>
void expect_same_maps(const std::map<std::string, Tensor<T>>& a, const std::map<std::string, Tensor<T>>& b,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << what << " " << name;
    expect_same_bits(t, b.at(name), what + " " + name);
  }
}

void expect_same_trace(const LayerTrace& a, const LayerTrace& b, const std::string& what) {
  for (const auto& [name, ta, tb] : std::vector<std::tuple<const char*, const FloatTensor*, const FloatTensor*>>{
           {"in_proj_out", &a.in_proj_out, &b.in_proj_out}, {"x_proj_out", &a.x_proj_out, &b.x_proj_out},
           {"dt_proj_out", &a.dt_proj_out, &b.dt_proj_out}, {"conv_y", &a.conv_y, &b.conv_y},
           {"ssm_input", &a.ssm_input, &b.ssm_input},        {"ssm_out", &a.ssm_out, &b.ssm_out},
           {"out", &a.out, &b.out}})
    expect_same_bits(*ta, *tb, what + " " + name);
  expect_same_bits(a.conv_codes, b.conv_codes, what + " conv_codes");
  expect_same_maps(a.int8, b.int8, what + " int8");
  expect_same_maps(a.words, b.words, what + " words");
  expect_same_maps(a.fp, b.fp, what + " fp");
  EXPECT_EQ(a.conv_saturated, b.conv_saturated) << what;
  EXPECT_EQ(a.conv_elements, b.conv_elements) << what;
  EXPECT_EQ(a.flagged, b.flagged) << what;
  EXPECT_EQ(a.ssm_elements, b.ssm_elements) << what;
  EXPECT_EQ(a.gemm_saturated, b.gemm_saturated) << what;
  EXPECT_EQ(a.out_proj_in_overflow, b.out_proj_in_overflow) << what;
}

std::vector<std::uint32_t> scale_bits(const QuantizedLayer& q) {
  std::vector<float> f{q.in_scale, q.x_proj_out_scale, q.dt_proj_out_scale, q.out_proj_in_scale, q.hadamard_multiplier,
                       q.a_log.scale, q.d_skip.scale, q.delta_bias.scale};
  f.insert(f.end(), q.in_proj_out_scales.begin(), q.in_proj_out_scales.end());
  f.insert(f.end(), q.conv_out.int8_scales.begin(), q.conv_out.int8_scales.end());
  if (q.conv_out.dual) f.insert(f.end(), {q.conv_out.dual->scale1, q.conv_out.dual->scale2});
  std::vector<std::uint32_t> b;
  for (float v : f) b.push_back(bits_of(v));
  return b;
}

struct Run {
  QuantizedLayer q;
  LayerTrace ref;
  std::vector<LayerTrace> modes;
};

Run run_at(int threads, const ModelShape& m, const QuantScheme& s) {
  const ThreadScope scope(threads);
  EXPECT_EQ(mambahw::threads(), threads);
  const LayerWeights w = SyntheticWeights(7).layer(m, 0);
  Run r;
  r.q = quantize_layer(m, s, w, {synthetic_layer_input(m, 130, 41)});
  const FloatTensor x = synthetic_layer_input(m, 150, 42);
  r.ref = reference_layer(m, w, x);
  for (SsmInputMode mode : {SsmInputMode::kInt8, SsmInputMode::kFp32, SsmInputMode::kFp32OnGrid, SsmInputMode::kDualScale})
    r.modes.push_back(run_layer(r.q, x, mode));
  return r;
}

void expect_thread_count_independent(const ModelShape& m, const QuantScheme& s) {
  const Run one = run_at(1, m, s);
  ASSERT_GT(one.modes[3].flagged, 0);  // the dual-scale path and its counter are exercised
  for (int n : {2, 3}) {
    const Run other = run_at(n, m, s);
    const std::string at = std::to_string(n) + " threads:";
    EXPECT_EQ(scale_bits(one.q), scale_bits(other.q)) << at << " calibrated scales";
    EXPECT_EQ(one.q.conv_out.int8_scales.size(), other.q.conv_out.int8_scales.size());
    expect_same_trace(one.ref, other.ref, at + " reference");
    for (std::size_t k = 0; k < one.modes.size(); ++k)
      expect_same_trace(one.modes[k], other.modes[k], at + " mode " + std::to_string(k));
  }
}

// run_layer_modes computes the mode-independent ops once: every mode's trace
// is the bits of its own run_layer (a separate computation of all its ops).
TEST(Layer, ModesShareTheModeIndependentOps) {
  for (bool mamba2 : {false, true}) {
    const ModelShape m = mamba2 ? test::small_mamba2() : test::small_mamba1(96, 72);
    QuantScheme s;
    if (mamba2) {
      s.base = SchemeBase::kQuamba2;
      s.head_groups = 2;
      s.dim_groups = 2;
      s.layer = default_layer_numerics(SchemeBase::kQuamba2);
      s.layer.weight_group = 32;
    }
    const LayerWeights w = SyntheticWeights(9).layer(m, 0);
    const QuantizedLayer q = quantize_layer(m, s, w, {synthetic_layer_input(m, 100, 51)});
    const FloatTensor x = synthetic_layer_input(m, 90, 52);
    const std::vector<SsmInputMode> modes{SsmInputMode::kDualScale, SsmInputMode::kInt8, SsmInputMode::kFp32,
                                          SsmInputMode::kFp32OnGrid};
    std::vector<SsmInputMode> seen;
    run_layer_modes(q, x, modes, [&](SsmInputMode mode, LayerTrace&& t) {
      seen.push_back(mode);
      expect_same_trace(run_layer(q, x, mode), t, std::string(mamba2 ? "Mamba2" : "Mamba1") + " mode " + std::string(to_string(mode)));
    });
    EXPECT_EQ(seen, modes);
  }
}

TEST(Threads, LayerBitIdenticalForAnyThreadCountMamba1) {
  ModelShape m = test::small_mamba1(96, 72);  // channel tiles 64 + 32; in_proj 192, out_proj 72 outputs
  QuantScheme s;
  s.name = "quamba1+hadamard";
  s.layer.out_proj_hadamard = true;
  expect_thread_count_independent(m, s);
}

TEST(Threads, LayerBitIdenticalForAnyThreadCountMamba2) {
  ModelShape m = test::mamba2_shape(96, 6, 16, 2, 16);
  m.d_model = 64;
  QuantScheme s;
  s.name = "quamba2+hadamard";
  s.base = SchemeBase::kQuamba2;
  s.head_groups = 2;
  s.dim_groups = 2;
  s.layer = default_layer_numerics(SchemeBase::kQuamba2);
  s.layer.weight_group = 32;
  s.layer.out_proj_hadamard = true;
  expect_thread_count_independent(m, s);
}

// The tiled kernels against one call of the kernel on the whole tensor (a
// second computation of the same elements): partial last tiles, several
// groups, conv segments that straddle a tile; and Mamba2's heads on 2 and 3
// threads against one thread.
// The FP32 reference's GEMMs (Eigen) block K by the cache sizes Eigen reads
// off the host, and the blocks order the sums: on an Intel Xeon (48 KiB L1,
// 2 MiB L2) the default layer's calibrated scales and outputs differed from an
// AMD EPYC's (32 KiB, 1 MiB) until the sizes were fixed. After a reference
// layer Eigen must hold the golden model's fixed sizes, whatever this host is
// (here an Intel host's sizes are set first, as Eigen would read them there).
TEST(Threads, ReferenceGemmBlockingIsFixedNotTheHosts) {
  const ModelShape m = mambahw::test::small_mamba1();
  Eigen::setCpuCacheSizes(48 * 1024, 2048 * 1024, 105 * 1024 * 1024);
  (void)reference_layer(m, SyntheticWeights(7).layer(m, 0), synthetic_layer_input(m, 8, 1));
  EXPECT_EQ(Eigen::l1CacheSize(), 32 * 1024);
  EXPECT_EQ(Eigen::l2CacheSize(), 1024 * 1024);
  EXPECT_EQ(Eigen::l3CacheSize(), 320 * 1024 * 1024);
}

TEST(Threads, TiledKernelsEqualTheWholeTensorKernel) {
  const ThreadScope scope(2);
  Rng rng(5);
  {
    const std::size_t D = 150, N = 16, L = 70;  // tiles 64, 64, 22
    const Mamba1Ssm s = tb::random_mamba1_ssm(D, N, L, rng);
    FloatTensor u({D, L});
    for (auto& v : u.vec()) v = static_cast<float>(rng.normal());
    for (ScanOrder order : {ScanOrder::kSequential, ScanOrder::kBlockScan})
      expect_same_bits(mamba1_selective_scan_tiled(u, s, {true, order}), mamba1_selective_scan(u, s, {true, order}),
                       "Mamba1 scan");
  }
  {
    // mamba2_ssm runs its heads on the threads itself: 2 and 3 threads
    // against 1 (a head per iteration, so 3 threads leave a partial round).
    const Mamba2Ssm s = tb::random_mamba2_ssm(7, 16, 7, 13, 40, -3.0, rng);  // 7 heads, one per group; N 13
    const Mamba2Ssm s2 = tb::random_mamba2_ssm(6, 16, 3, 16, 40, -3.0, rng);  // 2 heads per group
    for (const Mamba2Ssm* m : {&s, &s2}) {
      FloatTensor x({static_cast<std::size_t>(m->nheads * 16), 40});
      for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
      for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero}) {
        SsmPolicy p{false};
        p.denormals = d;
        FloatTensor one, h_one;
        {
          const ThreadScope serial(1);
          one = mamba2_ssm(x, *m, p, nullptr, &h_one);
        }
        for (int n : {2, 3}) {
          const ThreadScope many(n);
          FloatTensor h;
          expect_same_bits(mamba2_ssm(x, *m, p, nullptr, &h), one, "Mamba2 SSM");
          expect_same_bits(h, h_one, "Mamba2 final state");
        }
      }
    }
  }
  {
    ModelShape m = test::mamba2_shape(100, 5, 20, 1, 30);  // conv channels [0, 100) [100, 130) [130, 160)
    std::vector<float> in_scales;
    const Int8Tensor x = quantize_rows_minmax(synthetic_activations(m.conv_channels(), 90, 3), conv_segment_ends(m), in_scales);
    const ConvLayer layer = synthetic_conv_layer(m, 4, in_scales);
    std::vector<float> scales(static_cast<std::size_t>(m.conv_channels()));
    for (std::size_t c = 0; c < scales.size(); ++c) scales[c] = 0.01f + 0.001f * static_cast<float>(c % 7);
    const NumericsPolicy np;
    for (ConvOrder order : {ConvOrder::kPrefill, ConvOrder::kDecode}) {
      FloatTensor y;
      Int8Tensor codes;
      conv1d_silu_quantize_tiled(x, layer, order, np, scales, y, codes);
      const FloatTensor whole = conv1d_silu(x, layer, order, np);
      expect_same_bits(y, whole, "conv");
      expect_same_bits(codes, quantize_per_channel(whole, scales, np), "conv codes");
    }
  }
}

TEST(Threads, SetThreadsAndErrors) {
  const ThreadScope scope(2);
  EXPECT_EQ(threads(), 2);
  set_threads(0);
  EXPECT_EQ(threads(), hardware_threads());
  EXPECT_THROW(set_threads(-1), std::invalid_argument);
  // An exception inside a parallel tile reaches the caller.
  set_threads(2);
  EXPECT_THROW(parallel_for(8, [](std::size_t i) {
                 if (i == 5) throw std::runtime_error("tile 5");
               }),
               std::runtime_error);
}

}  // namespace
}  // namespace mambahw
