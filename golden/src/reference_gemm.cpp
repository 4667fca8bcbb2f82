#include "mambahw/golden/reference_gemm.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "mambahw/golden/kernel_isa.hpp"
#include "mambahw/golden/threads.hpp"
#include "simd.hpp"

namespace mambahw {

namespace {

using std::size_t;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Eigen sizes its GEMM blocks from the cache sizes it reads off the host
// (cpuid), and the blocks decide the order of the FP32 sums over K; so the
// reference layer, and every scale calibrated on it, differed between hosts
// with other caches (the same config and seed gave other scales on an Intel
// Xeon than on an AMD EPYC). Fixed sizes (those Eigen reads on the AMD EPYC
// Zen 4 development machine, so its results are unchanged) make the blocking
// and the sums the same on every host (Eigen runs this code at the x86-64
// baseline, so the ISA does not enter; docs/layer.md, "Threads"). Checked
// before every product and written only when they differ (the reference's
// GEMMs are called on one thread at a time).
constexpr std::ptrdiff_t kEigenL1 = 32 * 1024, kEigenL2 = 1024 * 1024, kEigenL3 = 320 * 1024 * 1024;
void fix_eigen_blocking() {
  if (Eigen::l1CacheSize() != kEigenL1 || Eigen::l2CacheSize() != kEigenL2 || Eigen::l3CacheSize() != kEigenL3)
    Eigen::setCpuCacheSizes(kEigenL1, kEigenL2, kEigenL3);
}

// Eigen's register tile at the baseline (SSE2: 4 floats a packet, mr = 2
// packets of w's rows, nr = 4 tokens) and its k unrolling, as its blocking
// heuristic reads them.
constexpr std::int64_t kEigenMr = 8, kEigenNr = 4, kEigenPeel = 8;

FloatTensor eigen_matmul(const FloatTensor& x, const FloatTensor& w) {
  FloatTensor y({x.dim(0), w.dim(0)});
  Eigen::Map<const RowMat> X(x.data(), static_cast<Eigen::Index>(x.dim(0)), static_cast<Eigen::Index>(x.dim(1)));
  Eigen::Map<const RowMat> W(w.data(), static_cast<Eigen::Index>(w.dim(0)), static_cast<Eigen::Index>(w.dim(1)));
  Eigen::Map<RowMat> Y(y.data(), static_cast<Eigen::Index>(y.dim(0)), static_cast<Eigen::Index>(y.dim(1)));
  Y.noalias() = X * W.transpose();
  return y;
}

// Columns of w per tile: a multiple of every variant's 4 vectors (16, 32, 64).
constexpr size_t kRefTile = 64;

}  // namespace

#define MAMBAHW_SIMD_KERNELS "reference_gemm_lanes.inc"
#include "simd_variants.inc"

std::int64_t reference_gemm_depth_block(std::int64_t k, std::int64_t rows, std::int64_t cols) {
  if (std::max({k, rows, cols}) < 48) return k;
  const std::int64_t k_sub = kEigenMr * kEigenNr * 4, k_div = kEigenMr * 4 + kEigenNr * 4;
  const std::int64_t max_kc = std::max<std::int64_t>(((kEigenL1 - k_sub) / k_div) & ~(kEigenPeel - 1), 1);  // 680
  if (k <= max_kc) return k;
  return k % max_kc == 0 ? max_kc : max_kc - kEigenPeel * ((max_kc - 1 - k % max_kc) / (kEigenPeel * (k / max_kc + 1)));
}

bool reference_gemm_lanes(std::int64_t m, std::int64_t k, std::int64_t n) {
  // Eigen's product runs its GEMM (not a GEMV or the coefficient-based
  // product) and every row of w through its two-packet path (a single
  // accumulator per output; its one-packet path splits even and odd k).
  return m >= 2 && n >= 2 && k + m + n >= 20 && n % kEigenMr == 0;
}

FloatTensor reference_matmul(const FloatTensor& x, const FloatTensor& w) {
  fix_eigen_blocking();
  if (x.rank() != 2 || w.rank() != 2 || x.dim(1) != w.dim(1))
    throw std::invalid_argument("reference_matmul: x [M][K] and w [N][K] of one K");
  const size_t M = x.dim(0), K = x.dim(1), N = w.dim(0);
  const auto m = static_cast<std::int64_t>(M), k = static_cast<std::int64_t>(K), n = static_cast<std::int64_t>(N);
  if (!reference_gemm_lanes(m, k, n)) return eigen_matmul(x, w);
  FloatTensor y({M, N});  // +0, as Eigen zeroes the destination before adding the blocks
  const auto kc = static_cast<size_t>(reference_gemm_depth_block(k, n, m));
  const size_t tiles = (N + kRefTile - 1) / kRefTile;
  for (size_t k0 = 0; k0 < K; k0 += kc) {
    const size_t kl = std::min(K, k0 + kc) - k0;
    if (kernel_isa() == KernelIsa::kSpec) {
      // The specification: per output, the block's sum from +0 in k order, then onto the output.
      for (size_t i = 0; i < M; ++i)
        for (size_t j = 0; j < N; ++j) {
          float acc = 0.0f;
          for (size_t q = k0; q < k0 + kl; ++q) acc = acc + w(j, q) * x(i, q);
          y(i, j) = acc + y(i, j);
        }
      continue;
    }
    // A tile's columns are independent outputs: any thread, same bits.
    parallel_for(tiles, [&](size_t t) {
      const size_t n0 = t * kRefTile, cols = std::min(N, n0 + kRefTile) - n0;
      thread_local std::vector<float> wt;  // the block's weights of the tile, [kl][kRefTile], zero-padded
      wt.assign(kl * kRefTile, 0.0f);
      for (size_t c = 0; c < cols; ++c) {
        const float* row = w.data() + (n0 + c) * K + k0;
        for (size_t q = 0; q < kl; ++q) wt[q * kRefTile + c] = row[q];
      }
      MAMBAHW_SIMD_CALL(reference_gemm_tile, x.data() + k0, M, K, wt.data(), kl, y.data() + n0, N, cols);
    });
  }
  return y;
}

}  // namespace mambahw
