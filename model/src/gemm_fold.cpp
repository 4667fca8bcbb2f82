#include "mambahw/model/gemm_fold.hpp"

#include <algorithm>
#include <cstring>

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

void fold_pairs_selected(const std::uint32_t* xp, std::int64_t kp, const std::uint32_t* wp, std::int64_t cols_pad,
                         std::int32_t* sums) {
  switch (kernel_isa()) {
    case KernelIsa::kAvx512:
      fold_avx512::fold_pairs(xp, kp, wp, cols_pad, sums);
      break;
    case KernelIsa::kAvx2:
      fold_avx2::fold_pairs(xp, kp, wp, cols_pad, sums);
      break;
    default:
      fold_baseline::fold_pairs(xp, kp, wp, cols_pad, sums);
  }
}

// The vector variants: the tile's columns packed into pairs once, the tokens
// through them kFoldTokens at a time, each block's sums added into the
// accumulators.
void fold_accumulate_pairs(const FoldSlice& s, FoldScratch& sc) {
  const std::int64_t kp = (s.k_len + 1) / 2, cols_pad = (s.cols + kFoldColumnPad - 1) / kFoldColumnPad * kFoldColumnPad;
  sc.w_pairs.assign(static_cast<std::size_t>(kp * cols_pad), 0);  // padded columns: zero weights
  for (std::int64_t n = 0; n < s.cols; ++n) {
    const std::int8_t* wr = s.w + n * s.w_stride;
    for (std::int64_t p = 0; p < kp; ++p)
      sc.w_pairs[static_cast<std::size_t>(p * cols_pad + n)] = pair_word(wr[2 * p], 2 * p + 1 < s.k_len ? wr[2 * p + 1] : 0);
  }
  sc.x_pairs.resize(static_cast<std::size_t>(kFoldTokens * kp));
  sc.sums.resize(static_cast<std::size_t>(kFoldTokens * cols_pad));
  for (std::int64_t t0 = 0; t0 < s.tokens; t0 += kFoldTokens) {
    const std::int64_t tl = std::min<std::int64_t>(kFoldTokens, s.tokens - t0);
    std::fill(sc.x_pairs.begin(), sc.x_pairs.end(), 0u);  // rows past the last token: zero
    for (std::int64_t t = 0; t < tl; ++t) {
      const std::int8_t* xr = s.x + (t0 + t) * s.x_stride;
      for (std::int64_t p = 0; p < kp; ++p)
        sc.x_pairs[static_cast<std::size_t>(t * kp + p)] = pair_word(xr[2 * p], 2 * p + 1 < s.k_len ? xr[2 * p + 1] : 0);
    }
    fold_pairs_selected(sc.x_pairs.data(), kp, sc.w_pairs.data(), cols_pad, sc.sums.data());
    for (std::int64_t t = 0; t < tl; ++t) {
      std::int32_t* a = s.acc + (t0 + t) * s.acc_token;
      const std::int32_t* p = sc.sums.data() + t * cols_pad;
      if (s.acc_col == 1) {
        for (std::int64_t n = 0; n < s.cols; ++n) a[n] += p[n];
      } else {
        for (std::int64_t n = 0; n < s.cols; ++n) a[n * s.acc_col] += p[n];
      }
    }
  }
}

}  // namespace

void fold_accumulate(const FoldSlice& s, FoldScratch& scratch) {
  if (s.tokens <= 0 || s.k_len <= 0 || s.cols <= 0) return;
  if (kernel_isa() == KernelIsa::kSpec)
    fold_accumulate_spec(s, scratch);
  else
    fold_accumulate_pairs(s, scratch);
}

}  // namespace mambahw::model
