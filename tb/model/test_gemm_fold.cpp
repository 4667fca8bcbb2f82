// The GEMM array's fold accumulation (model/gemm_fold.hpp) under its
// specification (KernelIsa::kSpec) and every vector variant the host runs,
// against an INT64 loop written here: awkward slices (odd k, k below a pair,
// columns not a multiple of a vector or of the padded column block, token
// counts around the 4-token block), strided operands and accumulators as the
// array passes them (one accumulator per weight group), sums added into
// accumulators that already hold values, and the extreme codes.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/golden/kernel_isa.hpp"
#include "mambahw/model/gemm_fold.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw::model {
namespace {

std::vector<KernelIsa> every_isa() {
  std::vector<KernelIsa> v{KernelIsa::kSpec};
  for (KernelIsa i : {KernelIsa::kBaseline, KernelIsa::kAvx2, KernelIsa::kAvx512})
    if (kernel_isa_supported(i)) v.push_back(i);
  return v;
}

struct Shape {
  std::int64_t tokens, k_len, cols, acc_col;  // acc_col: the weight groups of each column's accumulators
};

// How the codes are drawn: uniform over the range, or only its two ends.
enum class Codes { kUniform, kExtreme };

void expect_every_variant_adds_exact_sums(const Shape& sh, int wlo, int whi, Codes codes, Rng& rng) {
  auto draw = [&](int lo, int hi) {
    if (codes == Codes::kExtreme) return static_cast<std::int8_t>(rng.below(2) ? lo : hi);
    return static_cast<std::int8_t>(lo + static_cast<int>(rng.below(static_cast<std::uint64_t>(hi - lo + 1))));
  };
  // Strides past the slice (the array passes the activation buffer's rows
  // and the tile's columns, of which the slice is a part).
  const std::int64_t xs = sh.k_len + 5, ws = sh.k_len + 3, at = sh.cols * sh.acc_col + 2;
  std::vector<std::int8_t> x(static_cast<std::size_t>(sh.tokens * xs)), w(static_cast<std::size_t>(sh.cols * ws));
  for (auto& v : x) v = draw(-128, 127);
  for (auto& v : w) v = draw(wlo, whi);
  std::vector<std::int32_t> acc0(static_cast<std::size_t>(sh.tokens * at));
  for (auto& v : acc0) v = static_cast<std::int32_t>(rng.below(2000001)) - 1000000;  // sums of earlier folds
  std::vector<std::int64_t> ref(acc0.begin(), acc0.end());
  for (std::int64_t t = 0; t < sh.tokens; ++t)
    for (std::int64_t n = 0; n < sh.cols; ++n) {
      std::int64_t s = 0;
      for (std::int64_t k = 0; k < sh.k_len; ++k)
        s += static_cast<std::int64_t>(x[static_cast<std::size_t>(t * xs + k)]) * w[static_cast<std::size_t>(n * ws + k)];
      ref[static_cast<std::size_t>(t * at + n * sh.acc_col)] += s;
    }
  const KernelIsa saved = kernel_isa();
  for (KernelIsa isa : every_isa()) {
    set_kernel_isa(isa);
    std::vector<std::int32_t> acc = acc0;
    FoldSlice s;
    s.x = x.data();
    s.x_stride = xs;
    s.w = w.data();
    s.w_stride = ws;
    s.tokens = sh.tokens;
    s.k_len = sh.k_len;
    s.cols = sh.cols;
    s.acc = acc.data();
    s.acc_token = at;
    s.acc_col = sh.acc_col;
    FoldScratch scratch;
    fold_accumulate(s, scratch);
    for (std::size_t i = 0; i < acc.size(); ++i) {
      ASSERT_EQ(acc[i], ref[i]) << to_string(isa) << " tokens " << sh.tokens << " k " << sh.k_len << " cols " << sh.cols
                                << " acc_col " << sh.acc_col << " element " << i;
    }
  }
  set_kernel_isa(saved);
}

TEST(GemmFold, EveryVariantAddsInt64ReferenceSums) {
  Rng rng(41);
  for (std::int64_t tokens : {1, 3, 4, 5, 9})
    for (std::int64_t k : {1, 2, 3, 31, 32, 33, 64, 127})
      for (std::int64_t cols : {1, 7, 16, 17, 32, 33})
        for (std::int64_t acc_col : {1, 3}) {
          expect_every_variant_adds_exact_sums({tokens, k, cols, acc_col}, -128, 127, Codes::kUniform, rng);
          expect_every_variant_adds_exact_sums({tokens, k, cols, acc_col}, -8, 7, Codes::kUniform, rng);
        }
}

// Every pair sum at its largest magnitude: (-128)(-128) + (-128)(-128) =
// 32768 (past int16, inside pmaddwd's int32 result), 127 x -128 products,
// and INT4's -7..7 (and -8, which the packing can hold) against -128 / 127.
TEST(GemmFold, EveryVariantExactAtExtremeCodes) {
  Rng rng(42);
  for (std::int64_t tokens : {1, 4, 7})
    for (std::int64_t k : {2, 33, 64, 1000}) {
      expect_every_variant_adds_exact_sums({tokens, k, 32, 1}, -128, 127, Codes::kExtreme, rng);
      expect_every_variant_adds_exact_sums({tokens, k, 19, 2}, -128, -128, Codes::kExtreme, rng);
      expect_every_variant_adds_exact_sums({tokens, k, 32, 1}, -7, 7, Codes::kExtreme, rng);
      expect_every_variant_adds_exact_sums({tokens, k, 32, 4}, -8, 7, Codes::kExtreme, rng);
    }
}

TEST(GemmFold, EmptySliceAddsNothing) {
  std::vector<std::int32_t> acc{5, 6};
  FoldSlice s;
  s.acc = acc.data();
  s.tokens = 2;
  s.cols = 1;
  s.acc_token = 1;
  s.acc_col = 1;
  FoldScratch scratch;
  for (KernelIsa isa : every_isa()) {
    const KernelIsa saved = kernel_isa();
    set_kernel_isa(isa);
    fold_accumulate(s, scratch);  // k_len 0
    set_kernel_isa(saved);
  }
  EXPECT_EQ(acc, (std::vector<std::int32_t>{5, 6}));
}

}  // namespace
}  // namespace mambahw::model
