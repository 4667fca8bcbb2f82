// The GEMM array's MACs of one fold, as the model computes them: every
// token's slice of inputs against the weight tile's columns, added into the
// INT32 accumulators. The model's own kernel (not golden's: the co-simulation
// compares two independent producers). Integer sums are exact in any order,
// so the vector variants (pairs of inputs per pmaddwd, columns in lanes; a
// slice of fewer than 4 tokens with the inputs in lanes; docs/arithmetic.md
// §12) add the same values as the specification's
// k-by-k loop; which one runs is the process's kernel ISA selection
// (mambahw/golden/kernel_isa.hpp, KernelIsa::kSpec: the specification).
// Nothing here changes a counter or a cycle: those are counted by the array
// per fold (gemm_array.cpp).
#pragma once

#include <cstdint>
#include <vector>

namespace mambahw::model {

// One weight group's part of a fold: for tokens t < tokens and columns
// n < cols,
//   acc[t * acc_token + n * acc_col] += sum_{k < k_len} x[t * x_stride + k] * w[n * w_stride + k]
// x: INT8 activation codes; w: the tile's weight codes (INT8, or INT4 in
// [-8, 7]) column by column. Exact while k_len <= 131071 and the
// accumulators stay inside INT32 (every |x * w| <= 2^14); the array's folds
// hold at most rows * int4_macs_per_pe inputs.
struct FoldSlice {
  const std::int8_t* x = nullptr;
  std::int64_t x_stride = 0;
  const std::int8_t* w = nullptr;
  std::int64_t w_stride = 0;
  std::int64_t tokens = 0, k_len = 0, cols = 0;
  std::int32_t* acc = nullptr;
  std::int64_t acc_token = 0, acc_col = 0;
};

// Working storage of fold_accumulate, reused from fold to fold.
struct FoldScratch {
  std::vector<std::uint32_t> x_pairs, w_pairs;
  std::vector<std::int32_t> sums;
  std::vector<std::int8_t> w_k_major;
};

void fold_accumulate(const FoldSlice& s, FoldScratch& scratch);

}  // namespace mambahw::model
