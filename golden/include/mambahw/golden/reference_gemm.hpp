// The FP32 reference layer's float GEMM (reference_layer, the calibration's
// model): y[M][N] = x[M][K] · w[N][K]^T in FP32, no fused multiply-add.
//
// Its order of operations is the one Eigen 3.4's blocked GEMM has at the
// x86-64 baseline (SSE2, no FMA) under the golden model's fixed cache sizes,
// which every calibrated scale was computed with (docs/layer.md, "The FP32
// reference's GEMM"): K is cut into depth blocks (reference_gemm_depth_block);
// within a block each output is summed over k in ascending order from +0,
// one rounding per product and one per sum (acc = acc + w[n][k] * x[m][k]);
// the block sums are added in block order to the output, which starts at +0.
// Where N is a multiple of 8 and the product is a GEMM in Eigen's sense
// (M, N >= 2 and K + M + N >= 20), that is every output's order in Eigen, and
// the lane kernel computes it on any variant (kernel_isa.hpp) and any thread
// count with the same bits; elsewhere (Eigen's GEMV, coefficient-based and
// remainder-row paths order the sums otherwise) Eigen itself runs.
// ReferenceGemm.* (tb/golden/test_reference_gemm.cpp) checks the bits
// against Eigen's product.
#pragma once

#include <cstdint>

#include "mambahw/golden/tensor.hpp"

namespace mambahw {

FloatTensor reference_matmul(const FloatTensor& x, const FloatTensor& w);

// The depth block Eigen's blocking heuristic picks for a product of depth k
// with `rows` rows of w and `cols` tokens (Eigen's k, m and n), at the fixed
// 32 KiB L1 and the baseline's 8 x 4 register tile: k itself below 48 in
// every dimension or at most 680, else 680 shortened so that the last block
// is as long as possible for the same number of blocks.
std::int64_t reference_gemm_depth_block(std::int64_t k, std::int64_t rows, std::int64_t cols);

// Whether reference_matmul runs the lane kernel for this shape (else Eigen).
bool reference_gemm_lanes(std::int64_t m, std::int64_t k, std::int64_t n);

}  // namespace mambahw
