#include "mambahw/model/gemm_fold.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "mambahw/golden/kernel_isa.hpp"
#include "mambahw/golden/vector_clones.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"  // vector arguments of always-inlined helpers
#endif

namespace mambahw::model {

namespace {

// The vector variants' layout: a pair word holds inputs 2p and 2p + 1 of a
// row as two int16 halves (the even one low: pmaddwd's operand order); a
// slice of odd length ends in a pair whose high half is 0. Tokens go through
// kFoldTokens at a time (the last block padded with zero rows) and the
// columns are padded with zero weights to a multiple of kFoldColumnPad.
constexpr int kFoldTokens = 4;
constexpr std::int64_t kFoldColumnPad = 32;  // the widest variant's column block (2 x 16 lanes)

std::uint32_t pair_word(std::int8_t lo, std::int8_t hi) {
  return static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(lo))) |
         static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(hi))) << 16;
}

// The specification: the tile held k-major (as the PE rows hold it), every
// token's partial sums of all columns advancing together, one k at a time.
MAMBAHW_VECTOR_CLONES
void fold_token(const std::int8_t* __restrict x, const std::int8_t* __restrict w, std::int64_t k_len,
                std::int64_t n_len, std::int32_t* __restrict p) {
  for (std::int64_t n = 0; n < n_len; ++n) p[n] = 0;
  for (std::int64_t k = 0; k < k_len; ++k) {
    const std::int32_t xv = x[k];
    for (std::int64_t n = 0; n < n_len; ++n) p[n] += xv * static_cast<std::int32_t>(w[k * n_len + n]);
  }
}

void fold_accumulate_spec(const FoldSlice& s, FoldScratch& sc) {
  const std::int64_t kl = s.k_len, nl = s.cols;
  sc.w_k_major.resize(static_cast<std::size_t>(kl * nl));
  for (std::int64_t n = 0; n < nl; ++n)
    for (std::int64_t k = 0; k < kl; ++k) sc.w_k_major[static_cast<std::size_t>(k * nl + n)] = s.w[n * s.w_stride + k];
  sc.sums.resize(static_cast<std::size_t>(nl));
  for (std::int64_t t = 0; t < s.tokens; ++t) {
    fold_token(s.x + t * s.x_stride, sc.w_k_major.data(), kl, nl, sc.sums.data());
    for (std::int64_t n = 0; n < nl; ++n) s.acc[t * s.acc_token + n * s.acc_col] += sc.sums[static_cast<std::size_t>(n)];
  }
}

}  // namespace

// The vector variants, each in its own namespace (pragma-selected targets;
// GCC only, as golden's fast paths: under clang the baseline alone).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
namespace {
namespace fold_avx512 {
constexpr int W = 16;
#define FOLD_MADD16(a, b) ((Lanes)_mm512_madd_epi16((__m512i)(a), (__m512i)(b)))
#include "gemm_fold_lanes.inc"
#undef FOLD_MADD16
}  // namespace fold_avx512
}  // namespace
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
namespace {
namespace fold_avx2 {
constexpr int W = 8;
#define FOLD_MADD16(a, b) ((Lanes)_mm256_madd_epi16((__m256i)(a), (__m256i)(b)))
#include "gemm_fold_lanes.inc"
#undef FOLD_MADD16
}  // namespace fold_avx2
}  // namespace
#pragma GCC pop_options
#endif
namespace {
namespace fold_baseline {
constexpr int W = 4;
#if defined(__x86_64__)  // SSE2: the x86-64 baseline
#define FOLD_MADD16(a, b) ((Lanes)_mm_madd_epi16((__m128i)(a), (__m128i)(b)))
#endif
#include "gemm_fold_lanes.inc"
#undef FOLD_MADD16
}  // namespace fold_baseline
#if !(defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__))
namespace fold_avx512 = fold_baseline;  // kernel_isa_supported() is false for these
namespace fold_avx2 = fold_baseline;
#endif

// The selected variant's fold (gemm_fold_lanes.inc: fold_slice).
void fold_slice_selected(const FoldSlice& s, FoldScratch& sc) {
  switch (kernel_isa()) {
    case KernelIsa::kAvx512:
      fold_avx512::fold_slice(s, sc);
      break;
    case KernelIsa::kAvx2:
      fold_avx2::fold_slice(s, sc);
      break;
    default:
      fold_baseline::fold_slice(s, sc);
  }
}

}  // namespace

void fold_accumulate(const FoldSlice& s, FoldScratch& scratch) {
  if (s.tokens <= 0 || s.k_len <= 0 || s.cols <= 0) return;
  if (kernel_isa() == KernelIsa::kSpec)
    fold_accumulate_spec(s, scratch);
  else
    fold_slice_selected(s, scratch);
}

}  // namespace mambahw::model
