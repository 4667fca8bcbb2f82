// The FP32 reference layer's GEMM (reference_gemm.hpp) against Eigen 3.4's
// product computed here, in this file, at the x86-64 baseline: the
// calibration's reference was Eigen's product, so every output of the lane
// kernel and of the scalar specification must have Eigen's bits, on every
// variant and thread count. The depth blocks against hand computation.
#define EIGEN_DONT_PARALLELIZE  // the reference's products are single-threaded (golden/CMakeLists.txt)
#include <Eigen/Core>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/reference_gemm.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Eigen's product, as the reference layer computed it before the lane
// kernel: after a reference_matmul, so Eigen holds the golden model's fixed
// cache sizes (checked).
FloatTensor eigen_product(const FloatTensor& x, const FloatTensor& w) {
  EXPECT_EQ(Eigen::l1CacheSize(), 32 * 1024);
  FloatTensor y({x.dim(0), w.dim(0)});
  Eigen::Map<const RowMat> X(x.data(), static_cast<Eigen::Index>(x.dim(0)), static_cast<Eigen::Index>(x.dim(1)));
  Eigen::Map<const RowMat> W(w.data(), static_cast<Eigen::Index>(w.dim(0)), static_cast<Eigen::Index>(w.dim(1)));
  Eigen::Map<RowMat> Y(y.data(), static_cast<Eigen::Index>(y.dim(0)), static_cast<Eigen::Index>(y.dim(1)));
  Y.noalias() = X * W.transpose();
  return y;
}

FloatTensor random_matrix(std::size_t r, std::size_t c, Rng& rng) {
  FloatTensor t({r, c});
  for (auto& v : t.vec()) v = static_cast<float>(rng.normal());
  return t;
}

// Bit for bit; a NaN must meet a NaN (its payload is not specified: x86 keeps
// one operand's, and which one is the compiler's choice of operand order).
void expect_bits(const FloatTensor& got, const FloatTensor& want, const std::string& what) {
  ASSERT_EQ(got.dim(0), want.dim(0)) << what;
  ASSERT_EQ(got.dim(1), want.dim(1)) << what;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const bool same = std::isnan(want(i)) ? std::isnan(got(i)) : bits_of(got(i)) == bits_of(want(i));
    if (!same && bad++ < 3)
      ADD_FAILURE() << what << ": output " << i / got.dim(1) << "," << i % got.dim(1) << " is " << got(i) << " (0x"
                    << std::hex << bits_of(got(i)) << "), Eigen's " << want(i) << " (0x" << bits_of(want(i)) << ")"
                    << std::dec;
  }
  EXPECT_EQ(bad, 0u) << what;
}

// Every variant (the scalar specification included) and 1, 2 and 3 threads.
void expect_eigens_bits(const FloatTensor& x, const FloatTensor& w, const std::string& what) {
  ASSERT_TRUE(reference_gemm_lanes(static_cast<std::int64_t>(x.dim(0)), static_cast<std::int64_t>(x.dim(1)),
                                   static_cast<std::int64_t>(w.dim(0))))
      << what << " would run Eigen itself: no check";
  (void)reference_matmul(x, w);  // fixes Eigen's cache sizes
  const FloatTensor want = eigen_product(x, w);
  std::vector<KernelIsa> isas = tb::vector_isas();
  isas.push_back(KernelIsa::kSpec);
  for (KernelIsa isa : isas)
    for (int threads : {1, 2, 3}) {
      const tb::KernelIsaScope scope(isa);
      const ThreadScope ts(threads);
      expect_bits(reference_matmul(x, w), want,
                  what + " on " + std::string(to_string(isa)) + ", " + std::to_string(threads) + " threads");
    }
}

TEST(ReferenceGemm, DepthBlocksByHand) {
  // max_kc = ((32768 - 8*4*4) / (8*4 + 4*4)) & ~7 = 680; beyond it the block
  // is 680 - 8 * ((679 - K % 680) / (8 * (K / 680 + 1))).
  EXPECT_EQ(reference_gemm_depth_block(768, 3072, 512), 392);   // 680 - 8 * (591 / 16) = 680 - 288
  EXPECT_EQ(reference_gemm_depth_block(1536, 768, 512), 520);   // 680 - 8 * (503 / 24) = 680 - 160
  EXPECT_EQ(reference_gemm_depth_block(681, 8, 8), 344);        // 680 - 8 * (678 / 16) = 680 - 336
  EXPECT_EQ(reference_gemm_depth_block(1360, 64, 64), 680);     // a multiple of 680
  EXPECT_EQ(reference_gemm_depth_block(680, 64, 64), 680);      // not blocked
  EXPECT_EQ(reference_gemm_depth_block(48, 1536, 512), 48);
  EXPECT_EQ(reference_gemm_depth_block(40, 40, 40), 40);        // every dimension below 48
  EXPECT_EQ(reference_gemm_depth_block(5120, 80, 16), 648);     // 5120 % 680 = 360: 680 - 8 * (319 / 64) = 680 - 32
}

TEST(ReferenceGemm, WhichShapesRunTheLaneKernel) {
  EXPECT_TRUE(reference_gemm_lanes(512, 768, 3072));
  EXPECT_TRUE(reference_gemm_lanes(2, 10, 8));     // K + M + N = 20
  EXPECT_FALSE(reference_gemm_lanes(2, 9, 8));     // 19: Eigen's coefficient-based product
  EXPECT_FALSE(reference_gemm_lanes(1, 768, 3072));  // one token: Eigen's GEMV
  EXPECT_FALSE(reference_gemm_lanes(512, 768, 3076));  // rows past the last 8: Eigen's one-packet path
}

TEST(ReferenceGemm, TheLayersShapesHaveEigensBits) {
  Rng rng(11);
  // mamba-130m's in_proj, x_proj, dt_proj and out_proj at 64 tokens;
  // mamba2-130m's in_proj (3352 rows: the last tile of 64 partial).
  for (const auto& [M, K, N] : {std::tuple<std::size_t, std::size_t, std::size_t>{64, 768, 3072},
                               {64, 1536, 80}, {64, 48, 1536}, {64, 1536, 768}, {67, 768, 3352}}) {
    const FloatTensor x = random_matrix(M, K, rng), w = random_matrix(N, K, rng);
    expect_eigens_bits(x, w, std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N));
  }
}

TEST(ReferenceGemm, EdgesOfTheBlocksAndTilesHaveEigensBits) {
  Rng rng(12);
  // Depths around the 680 block, token counts around the 4-token tile, rows
  // around the 64-column tile and the variants' 16-, 32- and 64-column parts.
  for (const std::size_t K : {1u, 3u, 17u, 47u, 679u, 680u, 681u, 1361u, 2047u})
    for (const std::size_t M : {2u, 3u, 5u, 9u})
      for (const std::size_t N : {8u, 24u, 72u, 136u}) {
        if (K + M + N < 20) continue;
        const FloatTensor x = random_matrix(M, K, rng), w = random_matrix(N, K, rng);
        expect_eigens_bits(x, w, std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N));
      }
}

TEST(ReferenceGemm, SignedZerosSubnormalsAndOverflowHaveEigensBits) {
  Rng rng(13);
  const std::size_t M = 6, K = 700, N = 16;  // two depth blocks
  FloatTensor x = random_matrix(M, K, rng), w = random_matrix(N, K, rng);
  for (std::size_t k = 0; k < K; ++k) {
    x(0, k) = -0.0f;                                   // every product of token 0 is a zero
    x(1, k) = 1e-30f;                                  // subnormal products
    x(2, k) = k % 2 ? 3e38f : -3e38f;                  // overflow to infinities, then inf - inf
    x(3, k) = k == 5 ? std::numeric_limits<float>::infinity() : x(3, k);
    w(4, k) = k == 400 ? std::numeric_limits<float>::quiet_NaN() : w(4, k);  // a NaN in the second block
  }
  for (std::size_t k = 0; k < K; ++k) w(1, k) = -1e-20f;
  expect_eigens_bits(x, w, "special values");
}

}  // namespace
}  // namespace mambahw
