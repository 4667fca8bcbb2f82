// The golden conv and selective scan under configs/schemes/quamba1-cuda.yaml
// against Quamba's own prefill kernels, run unmodified on an H200
// (tb/data/quamba_kernel/README.md): quant_causal_conv1d_fwd's INT8 codes,
// quant_sscan_fwd's FP16 y and its INT8 state per 2048-token chunk, bit for
// bit. Two producers: the CUDA kernels and the golden model with the sm90
// units. Also: a prefill split at a chunk boundary and continued from the
// first part's final state equals the unsplit prefill.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "mambahw/config/config.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/tb/reference_files.hpp"

namespace mambahw {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(MAMBAHW_SOURCE_DIR) + "/tb/data/quamba_kernel/";

// A case (inputs) and the kernels' output, as README.md lays them out.
struct KernelCase {
  int D = 0, L = 0, N = 0, W = 0, chunks = 0;
  float scale_x = 0, scale_w = 0, scale_b = 0, scale_u = 0, scale_delta = 0, scale_A = 0, scale_B = 0, scale_C = 0,
        scale_D = 0, scale_z = 0, scale_delta_bias = 0, scale_ssm_state = 0;
  std::vector<std::int8_t> x, w, bias, delta, A, B, C, Dq, z, delta_bias;
  std::vector<std::int8_t> codes, states;  // kernel outputs: [D][L], [D][chunks][N]
  std::vector<std::uint16_t> y;            // [D][L] FP16
};

KernelCase load_case(const std::string& name) {
  KernelCase k;
  std::ifstream mf(kDir + "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf);
  const std::vector<std::uint8_t> in = tb::read_file_bytes(kDir + name + ".bin"), out = tb::read_file_bytes(kDir + name + ".out");
  bool listed = false;
  for (const auto& c : manifest["cases"])
    if (c["name"] == name) {
      listed = true;
      EXPECT_EQ(tb::sha256_hex(in), c["case"]["sha256"].get<std::string>()) << name << ".bin";
      EXPECT_EQ(tb::sha256_hex(out), c["output"]["sha256"].get<std::string>()) << name << ".out";
    }
  EXPECT_TRUE(listed) << name;
  if (in.size() < 76 || std::memcmp(in.data(), "mhwqk01", 8) != 0 || out.size() < 12 ||
      std::memcmp(out.data(), "mhwqo01", 8) != 0) {
    ADD_FAILURE() << name << ": not a kernel case";
    return k;
  }
  std::int32_t dims[4];
  std::memcpy(dims, in.data() + 8, 16);
  k.D = dims[0], k.L = dims[1], k.N = dims[2], k.W = dims[3];
  float sc[12];
  std::memcpy(sc, in.data() + 24, 48);
  k.scale_x = sc[0], k.scale_w = sc[1], k.scale_b = sc[2], k.scale_u = sc[3], k.scale_delta = sc[4], k.scale_A = sc[5],
  k.scale_B = sc[6], k.scale_C = sc[7], k.scale_D = sc[8], k.scale_z = sc[9], k.scale_delta_bias = sc[10],
  k.scale_ssm_state = sc[11];
  const auto D = static_cast<std::size_t>(k.D), L = static_cast<std::size_t>(k.L), N = static_cast<std::size_t>(k.N),
             W = static_cast<std::size_t>(k.W);
  std::size_t at = 76;
  auto take = [&](std::vector<std::int8_t>& v, std::size_t n, const std::vector<std::uint8_t>& b) {
    if (at + n > b.size()) {
      ADD_FAILURE() << name << ": short file";
      n = 0;
    }
    v.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  };
  take(k.x, D * L, in), take(k.w, D * W, in), take(k.bias, D, in), take(k.delta, D * L, in), take(k.A, D * N, in);
  take(k.B, N * L, in), take(k.C, N * L, in), take(k.Dq, D, in), take(k.z, D * L, in), take(k.delta_bias, D, in);
  EXPECT_EQ(at, in.size()) << name;
  std::memcpy(&k.chunks, out.data() + 8, 4);
  EXPECT_EQ(k.chunks, (k.L + kStateChunk - 1) / kStateChunk);
  const std::size_t C = static_cast<std::size_t>(k.chunks);
  EXPECT_EQ(out.size(), 12 + D * L * 3 + D * C * N) << name;
  if (out.size() != 12 + D * L * 3 + D * C * N) return k;
  k.codes.assign(out.begin() + 12, out.begin() + 12 + static_cast<std::ptrdiff_t>(D * L));
  k.y.resize(D * L);
  std::memcpy(k.y.data(), out.data() + 12 + D * L, D * L * 2);
  k.states.assign(out.begin() + 12 + static_cast<std::ptrdiff_t>(D * L * 3), out.end());
  return k;
}

QuantScheme quamba1_cuda() {
  const fs::path root = MAMBAHW_SOURCE_DIR;
  const fs::path top = fs::temp_directory_path() / ("mambahw_qk_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(top) << "model: " << (root / "configs/models/mamba-130m.yaml").string()
                     << "\nscheme: " << (root / "configs/schemes/quamba1-cuda.yaml").string() << "\n";
  const Config c = load_config(top);
  fs::remove(top);
  return c.scheme;
}

Int8Tensor tensor(const std::vector<std::int8_t>& v, std::size_t rows, std::size_t cols) {
  Int8Tensor t({rows, cols});
  std::copy(v.begin(), v.end(), t.vec().begin());
  return t;
}

struct GoldenRun {
  Int8Tensor codes;
  FloatTensor y;
  Mamba1ScanState state;
};

Mamba1Ssm ssm_inputs(const KernelCase& k) {
  const auto D = static_cast<std::size_t>(k.D), L = static_cast<std::size_t>(k.L), N = static_cast<std::size_t>(k.N);
  Mamba1Ssm s;
  s.delta = {tensor(k.delta, D, L), k.scale_delta};
  s.delta_bias = {tensor(k.delta_bias, D, 1), k.scale_delta_bias};
  s.a_log = {tensor(k.A, D, N), k.scale_A};
  s.b = {tensor(k.B, N, L), k.scale_B};
  s.c = {tensor(k.C, N, L), k.scale_C};
  s.d_skip = {tensor(k.Dq, D, 1), k.scale_D};
  s.z = {tensor(k.z, D, L), k.scale_z};
  return s;
}

// The SSM input the kernel reads: its own conv codes, dequantized (mul.ftz).
FloatTensor ssm_u(const std::vector<std::int8_t>& codes, std::size_t D, std::size_t L, float scale, Denormals dn) {
  FloatTensor u({D, L});
  for (std::size_t i = 0; i < D * L; ++i) u(i) = dequant(codes[i], scale, dn);
  return u;
}

GoldenRun run_golden(const KernelCase& k, const QuantScheme& q) {
  const auto D = static_cast<std::size_t>(k.D), L = static_cast<std::size_t>(k.L);
  GoldenRun g;
  ConvLayer conv;
  conv.channels = k.D;
  conv.width = k.W;
  conv.w = k.w;
  conv.bias = k.bias;
  conv.segment_end = {k.D};
  conv.segment_scales = {ConvSegmentScales{k.scale_w, k.scale_x, k.scale_b}};
  const FloatTensor y = conv1d_silu(tensor(k.x, D, L), conv, q.conv_order, q.numerics);
  g.codes = quantize_per_channel(y, std::vector<float>(D, k.scale_u), q.numerics);
  Mamba1ScanIo io;
  io.state_scale = k.scale_ssm_state;
  io.state = &g.state;
  g.y = mamba1_selective_scan(ssm_u(k.codes, D, L, k.scale_u, q.numerics.denormals), ssm_inputs(k), ssm_policy(q), io);
  return g;
}

void expect_kernel_match(const std::string& name) {
  const KernelCase k = load_case(name);
  ASSERT_GT(k.D, 0);
  const QuantScheme q = quamba1_cuda();
  const GoldenRun g = run_golden(k, q);
  const std::size_t n = k.codes.size();
  std::size_t codes = 0, ys = 0, states = 0;
  for (std::size_t i = 0; i < n; ++i) {
    codes += g.codes(i) == k.codes[i];
    const std::uint16_t h = fp32_to_fp16(g.y(i));
    if (h == k.y[i]) ++ys;
    else if (n - ys <= 3) ADD_FAILURE() << name << " y[" << i / k.L << "][" << i % k.L << "] golden 0x" << std::hex << h
                                         << " kernel 0x" << k.y[i];
  }
  for (std::size_t i = 0; i < k.states.size(); ++i) states += g.state.chunk_states_q(i) == k.states[i];
  std::printf("quamba kernel case %s (D %d, L %d, N %d): conv codes %zu/%zu, fp16 y %zu/%zu, int8 chunk states %zu/%zu "
              "bit-identical\n",
              name.c_str(), k.D, k.L, k.N, codes, n, ys, n, states, k.states.size());
  EXPECT_EQ(codes, n);
  EXPECT_EQ(ys, n);
  EXPECT_EQ(states, k.states.size());
  // The final state is the last chunk's.
  const std::size_t C = static_cast<std::size_t>(k.chunks), N = static_cast<std::size_t>(k.N);
  for (std::size_t d = 0; d < static_cast<std::size_t>(k.D); ++d)
    for (std::size_t s = 0; s < N; ++s)
      EXPECT_EQ(bits_of(g.state.final_state(d, s)), bits_of(g.state.chunk_states(d, C - 1, s)));
}

TEST(QuambaKernel, Quamba1CudaSchemeMatchesTheKernelsLongCase) { expect_kernel_match("long"); }

// The comparison can fail: with the accelerator's own units (polynomial exp and
// log1p, IEEE division, no flushing) and the same block-scan order, the FP16 y
// is no longer the kernel's everywhere.
TEST(QuambaKernel, TheComparisonSeesOtherUnits) {
  const KernelCase k = load_case("long");
  ASSERT_GT(k.D, 0);
  QuantScheme q = quamba1_cuda();
  q.numerics.units = UnitSelection{};
  q.numerics.denormals = Denormals::kPreserve;
  q.numerics.silu_division = QuantizeOp::kDivide;
  const GoldenRun g = run_golden(k, q);
  std::size_t codes = 0, ys = 0;
  for (std::size_t i = 0; i < k.codes.size(); ++i) {
    codes += g.codes(i) == k.codes[i];
    ys += fp32_to_fp16(g.y(i)) == k.y[i];
  }
  std::printf("with the accelerator's units: conv codes %.3f%%, fp16 y %.3f%% bit-identical\n",
              100.0 * static_cast<double>(codes) / static_cast<double>(k.codes.size()),
              100.0 * static_cast<double>(ys) / static_cast<double>(k.codes.size()));
  EXPECT_LT(ys, k.codes.size());
}
TEST(QuambaKernel, Quamba1CudaSchemeMatchesTheKernelsShortCase) { expect_kernel_match("short"); }

// The kernel's state output is the one a decode would continue from: a
// prefill of the first chunk continued from its final state gives the
// unsplit prefill's y and states bit for bit (block scan: the running prefix
// restarts as (1, h), whose b half is all the continuation reads).
TEST(QuambaKernel, PrefillContinuesFromItsFinalState) {
  const KernelCase k = load_case("long");
  ASSERT_GT(k.D, 0);
  const QuantScheme q = quamba1_cuda();
  const SsmPolicy p = ssm_policy(q);
  const auto D = static_cast<std::size_t>(k.D), L = static_cast<std::size_t>(k.L), N = static_cast<std::size_t>(k.N);
  const std::size_t L1 = kStateChunk, L2 = L - L1;
  const Mamba1Ssm full = ssm_inputs(k);
  const FloatTensor u = ssm_u(k.codes, D, L, k.scale_u, q.numerics.denormals);
  Mamba1ScanState whole;
  const FloatTensor y = mamba1_selective_scan(u, full, p, {nullptr, k.scale_ssm_state, &whole});
  auto cols = [](const auto& t, std::size_t from, std::size_t len) {
    std::decay_t<decltype(t)> r({t.dim(0), len});
    for (std::size_t i = 0; i < t.dim(0); ++i)
      for (std::size_t j = 0; j < len; ++j) r(i, j) = t(i, from + j);
    return r;
  };
  auto part = [&](std::size_t from, std::size_t len) {
    Mamba1Ssm s = full;
    s.delta.q = cols(full.delta.q, from, len);
    s.b.q = cols(full.b.q, from, len);
    s.c.q = cols(full.c.q, from, len);
    s.z.q = cols(full.z.q, from, len);
    return s;
  };
  Mamba1ScanState first, second;
  const FloatTensor y1 = mamba1_selective_scan(cols(u, 0, L1), part(0, L1), p, {nullptr, k.scale_ssm_state, &first});
  const FloatTensor y2 =
      mamba1_selective_scan(cols(u, L1, L2), part(L1, L2), p, {&first.final_state, k.scale_ssm_state, &second});
  std::size_t same = 0;
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t t = 0; t < L; ++t) same += bits_of(t < L1 ? y1(d, t) : y2(d, t - L1)) == bits_of(y(d, t));
  EXPECT_EQ(same, D * L);
  for (std::size_t d = 0; d < D; ++d)
    for (std::size_t s = 0; s < N; ++s) {
      EXPECT_EQ(bits_of(second.final_state(d, s)), bits_of(whole.final_state(d, s)));
      EXPECT_EQ(second.chunk_states_q(d, 0, s), whole.chunk_states_q(d, 1, s));
    }
  // A zero initial state is the fresh sequence.
  const FloatTensor zeros({D, N});
  const FloatTensor y0 = mamba1_selective_scan(u, full, p, {&zeros, std::nullopt, nullptr});
  for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(bits_of(y0(i)), bits_of(y(i)));
}

}  // namespace
}  // namespace mambahw
