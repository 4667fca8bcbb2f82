// The online Hadamard before out_proj: the base matrices against rows copied
// by hand from the kernel's source (test_hadamard_kernel.cpp checks them
// against the kernel's outputs), the FP32 transform against an int64
// matrix-vector product, the summation order pinned on hand-derived ties,
// orthonormality of the double form, and the INT8 conversion that wraps as
// the GPU kernel's byte store does (quamba-arithmetic.md §8).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mambahw/golden/hadamard.hpp"

namespace mambahw {
namespace {

std::string row_string(int base, int r) {
  const std::vector<std::int8_t>& h = hadamard_base(base);
  std::string s;
  for (int c = 0; c < base; ++c) s += h[static_cast<std::size_t>(r * base + c)] > 0 ? '+' : '-';
  return s;
}

TEST(Hadamard, SizesQuambaSupports) {
  EXPECT_EQ(hadamard_size(1536), (HadamardSize{12, 128}));  // mamba-130m, mamba2-130m d_inner
  EXPECT_EQ(hadamard_size(5120), (HadamardSize{40, 128}));  // mamba2-2.7b
  EXPECT_EQ(hadamard_size(8192), (HadamardSize{1, 8192}));  // mamba2-8b
  EXPECT_EQ(hadamard_size(12), (HadamardSize{12, 1}));
  EXPECT_EQ(hadamard_size(40), (HadamardSize{40, 1}));
  EXPECT_EQ(hadamard_size(80), (HadamardSize{40, 2}));
  EXPECT_EQ(hadamard_size(1), (HadamardSize{1, 1}));
  // 28 * 2^k: the kernel's 28N transform, where neither 12 nor 40 divides.
  EXPECT_EQ(hadamard_size(28), (HadamardSize{28, 1}));
  EXPECT_EQ(hadamard_size(3584), (HadamardSize{28, 128}));
  // 12 and 40 are tried first, as Quamba's get_qhad_fn does: 84 = 12 * 7 and
  // 280 = 40 * 7 are refused there, even though 28 divides them.
  for (int n : {0, -4, 3, 20, 36, 84, 100, 120, 280, 1000, 12 * 3, 40 * 5, 28 * 3}) EXPECT_FALSE(hadamard_size(n)) << n;
}

TEST(Hadamard, AdditionCountByHand) {
  // 1536 = 12 * 2^7: 7 stages of 1536, then 11 per output: 1536 * 18.
  EXPECT_EQ(hadamard_adds(*hadamard_size(1536)), 27648);
  EXPECT_EQ(hadamard_adds(*hadamard_size(5120)), 5120 * (7 + 39));
  EXPECT_EQ(hadamard_adds(*hadamard_size(8192)), 8192 * 13);
  EXPECT_EQ(hadamard_adds(*hadamard_size(12)), 12 * 11);
  EXPECT_EQ(hadamard_adds(*hadamard_size(1)), 0);
}

TEST(Hadamard, BaseMatricesAreHadamard) {
  for (int n : {12, 28, 40}) {
    const std::vector<std::int8_t>& h = hadamard_base(n);
    ASSERT_EQ(h.size(), static_cast<std::size_t>(n * n));
    for (int r = 0; r < n; ++r)
      for (int r2 = 0; r2 < n; ++r2) {
        int dot = 0;
        for (int c = 0; c < n; ++c)
          dot += h[static_cast<std::size_t>(r * n + c)] * h[static_cast<std::size_t>(r2 * n + c)];
        ASSERT_EQ(dot, r == r2 ? n : 0) << "H" << n << " rows " << r << ", " << r2;
      }
  }
}

// Rows typed by hand from the generated kernel, fast_hadamard_transform_special.h
// (Quamba c474646): out[1] of hadamard_mult_thread_12 is
// "- x[0] - x[1] + x[2] - x[3] + ..." and so on.
TEST(Hadamard, RowsAreTheKernels) {
  EXPECT_EQ(row_string(12, 0), "+-++++++++++");
  EXPECT_EQ(row_string(12, 1), "--+-+-+-+-+-");
  EXPECT_EQ(row_string(12, 11), "+-+--+-++---");
  EXPECT_EQ(row_string(28, 0), "+------++----++-+--+-+--++--");
  EXPECT_EQ(row_string(40, 1), "++-++----+-+-++++--+" "++-++----+-+-++++--+");
  EXPECT_EQ(row_string(40, 20), "+-------------------" "-+++++++++++++++++++");
  EXPECT_EQ(row_string(40, 21), "++-++----+-+-++++--+" "--+--++++-+-+----++-");
}

// H40 is also H2 ⊗ H20 with H20 from Paley construction I over GF(19)
// (squares {1, 4, 5, 6, 7, 9, 11, 16, 17}), normalised: a second derivation.
TEST(Hadamard, Base40IsPaleyOverGf19TimesH2) {
  auto legendre = [](int a) {
    a = ((a % 19) + 19) % 19;
    if (a == 0) return 0;
    for (int x = 1; x < 19; ++x)
      if (x * x % 19 == a) return 1;
    return -1;
  };
  std::vector<int> h20(400);
  for (int c = 0; c < 20; ++c) h20[static_cast<std::size_t>(c)] = c == 0 ? 1 : -1;
  for (int i = 0; i < 19; ++i) {
    h20[static_cast<std::size_t>((i + 1) * 20)] = 1;
    for (int j = 0; j < 19; ++j) h20[static_cast<std::size_t>((i + 1) * 20 + j + 1)] = i == j ? 1 : -legendre(j - i);
  }
  const std::vector<std::int8_t>& h40 = hadamard_base(40);
  for (int r = 0; r < 40; ++r)
    for (int c = 0; c < 40; ++c) {
      const int sign = (r >= 20 && c >= 20) ? -1 : 1;
      ASSERT_EQ(h40[static_cast<std::size_t>(r * 40 + c)], sign * h20[static_cast<std::size_t>((r % 20) * 20 + c % 20)])
          << r << ", " << c;
    }
}

// A second implementation: the Kronecker product written out entry by entry
// (Sylvester entry (-1)^popcount(j & j')), applied in int64.
std::vector<std::int64_t> matrix_times(const HadamardSize& s, const std::vector<std::int64_t>& x) {
  const int n = s.n();
  const std::vector<std::int8_t>& h = hadamard_base(s.base);
  std::vector<std::int64_t> y(static_cast<std::size_t>(n), 0);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const int sylvester = std::popcount(static_cast<unsigned>((r % s.pow2) & (c % s.pow2))) % 2 ? -1 : 1;
      const int e = h[static_cast<std::size_t>((r / s.pow2) * s.base + c / s.pow2)] * sylvester;
      y[static_cast<std::size_t>(r)] += e * x[static_cast<std::size_t>(c)];
    }
  return y;
}

TEST(Hadamard, Fp32TransformEqualsTheMatrixOnSmallIntegers) {
  // Integers below 2^10: every partial sum is an integer below 2^24, so the
  // FP32 transform is exact and must equal the int64 product exactly.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(-1023, 1023);
  for (int n : {1, 2, 8, 12, 24, 28, 96, 40, 80, 64, 1536, 3584, 5120}) {
    const HadamardSize s = *hadamard_size(n);
    std::vector<std::int64_t> xi(static_cast<std::size_t>(n));
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < xi.size(); ++i) v[i] = static_cast<float>(xi[i] = dist(rng));
    hadamard_fp32(v, s);
    const std::vector<std::int64_t> want = matrix_times(s, xi);
    for (std::size_t i = 0; i < v.size(); ++i)
      ASSERT_EQ(static_cast<std::int64_t>(v[i]), want[i]) << "n " << n << " element " << i;
  }
}

TEST(Hadamard, EntryMatchesTheKroneckerProduct) {
  for (int n : {12, 24, 28, 40, 80, 16}) {
    const HadamardSize s = *hadamard_size(n);
    for (int c = 0; c < n; ++c) {
      std::vector<std::int64_t> e(static_cast<std::size_t>(n), 0);
      e[static_cast<std::size_t>(c)] = 1;
      const std::vector<std::int64_t> col = matrix_times(s, e);
      for (int r = 0; r < n; ++r) ASSERT_EQ(hadamard_entry(s, r, c), col[static_cast<std::size_t>(r)]) << n;
    }
  }
}

TEST(Hadamard, Base12SumIsLeftToRight) {
  // Row 0 of H12 is + - + + ... : out[0] = x0 - x1 + x2 + ...
  // x = [1, -2^-24, 2^-24, 0...]: 1 + 2^-24 is a tie and rounds to even (1),
  // twice; the exact sum 1 + 2^-23 is what another order would give.
  std::vector<float> v(12, 0.0f);
  v[0] = 1.0f;
  v[1] = -0x1p-24f;
  v[2] = 0x1p-24f;
  hadamard_fp32(v, *hadamard_size(12));
  EXPECT_EQ(std::bit_cast<std::uint32_t>(v[0]), std::bit_cast<std::uint32_t>(1.0f));
}

TEST(Hadamard, Radix2StagesRunLowestBitFirst) {
  // n = 4: lowest bit first gives out[0] = (x0 + x1) + (x2 + x3) =
  // (1 + 2^-24 -> 1) + 2^-24 -> 1; highest bit first would give
  // (x0 + x2) + (x1 + x3) = 1 + 2^-23.
  std::vector<float> v{1.0f, 0x1p-24f, 0.0f, 0x1p-24f};
  hadamard_fp32(v, *hadamard_size(4));
  EXPECT_EQ(std::bit_cast<std::uint32_t>(v[0]), std::bit_cast<std::uint32_t>(1.0f));
}

TEST(Hadamard, FlushToZeroFlushesSubnormalOperands) {
  std::vector<float> v{0x1p-130f, 0x1p-130f};
  std::vector<float> w = v;
  hadamard_fp32(v, *hadamard_size(2), Denormals::kFlushToZero);
  hadamard_fp32(w, *hadamard_size(2), Denormals::kPreserve);
  EXPECT_EQ(v[0], 0.0f);
  EXPECT_EQ(w[0], 0x1p-129f);
}

// A second, deliberately plain implementation of §13's order: per element
// pair for the radix-2 stages, per (j, c) row sum for the base matrix.
std::vector<float> documented_order(std::vector<float> v, HadamardSize s, Denormals d) {
  const int m = s.pow2;
  auto add = [d](float a, float b) { return ftz_if(ftz_if(a, d) + ftz_if(b, d), d); };
  auto sub = [d](float a, float b) { return ftz_if(ftz_if(a, d) - ftz_if(b, d), d); };
  for (int c = 0; c < s.base; ++c)
    for (int half = 1; half < m; half *= 2)
      for (int j = 0; j < m; ++j)
        if ((j & half) == 0) {
          const float a = v[static_cast<std::size_t>(c * m + j)], b = v[static_cast<std::size_t>(c * m + j + half)];
          v[static_cast<std::size_t>(c * m + j)] = add(a, b);
          v[static_cast<std::size_t>(c * m + j + half)] = sub(a, b);
        }
  std::vector<float> out = v;
  for (int j = 0; j < m; ++j)
    for (int c = 0; c < s.base; ++c) {
      float acc = 0;
      for (int c2 = 0; c2 < s.base; ++c2) {
        const float x = v[static_cast<std::size_t>(c2 * m + j)];
        const int e = hadamard_base(s.base)[static_cast<std::size_t>(c * s.base + c2)];
        acc = c2 == 0 ? (e > 0 ? x : -x) : (e > 0 ? add(acc, x) : sub(acc, x));
      }
      out[static_cast<std::size_t>(c * m + j)] = acc;
    }
  return out;
}

TEST(Hadamard, Fp32BitIdenticalToThePlainDocumentedOrder) {
  // Every finite FP16 magnitude is possible (subnormal halves included), and
  // some FP32 subnormals, so the flush-to-zero path is exercised too.
  std::mt19937 rng(17);
  for (int n : {8, 12, 28, 96, 1536, 3584, 5120, 8192}) {
    const HadamardSize s = *hadamard_size(n);
    std::vector<float> x(static_cast<std::size_t>(n));
    for (float& v : x) v = fp16_to_fp32(static_cast<std::uint16_t>((rng() % 0x7C00u) | ((rng() & 1u) << 15)));
    for (std::size_t i = 0; i < x.size(); i += 97) x[i] = std::bit_cast<float>(0x0000'1234u + static_cast<std::uint32_t>(i));
    for (Denormals d : {Denormals::kPreserve, Denormals::kFlushToZero}) {
      std::vector<float> got = x;
      hadamard_fp32(got, s, d);
      const std::vector<float> want = documented_order(x, s, d);
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(want[i]))
            << "n " << n << " element " << i << (d == Denormals::kFlushToZero ? " ftz" : "");
    }
  }
}

TEST(Hadamard, OrthonormalFormPreservesInnerProducts) {
  // The out_proj rotation relies on <T w, T y> = <w, y>; a transposed or
  // mis-scaled matrix breaks it (H12 is not symmetric).
  std::mt19937 rng(3);
  std::normal_distribution<double> g;
  for (int n : {12, 28, 40, 64, 1536}) {
    const HadamardSize s = *hadamard_size(n);
    std::vector<double> w(static_cast<std::size_t>(n)), y(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
      w[i] = g(rng);
      y[i] = g(rng);
    }
    double dot = 0, nw = 0, ny = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      dot += w[i] * y[i];
      nw += w[i] * w[i];
      ny += y[i] * y[i];
    }
    hadamard_orthonormal(w, s);
    hadamard_orthonormal(y, s);
    double dot_t = 0, nw_t = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      dot_t += w[i] * y[i];
      nw_t += w[i] * w[i];
    }
    // Double rounding over ~n log n operations: far below 1e-10 relative.
    EXPECT_NEAR(dot_t, dot, 1e-10 * std::sqrt(nw * ny)) << n;
    EXPECT_NEAR(nw_t, nw, 1e-10 * nw) << n;
  }
}

TEST(Hadamard, Fp32WithinSummationBoundOfDouble) {
  // FP16 inputs of mixed magnitude: each output is a sum of n terms along a
  // tree of depth k plus a chain of base - 1 additions, so its error is at
  // most (k + base) * 2^-24 * sum|x| (first-order bound).
  std::mt19937 rng(11);
  std::normal_distribution<float> g;
  for (int n : {96, 1536, 5120}) {
    const HadamardSize s = *hadamard_size(n);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = fp16_to_fp32(fp32_to_fp16(g(rng) * std::exp2(static_cast<float>(rng() % 12) - 6.0f)));
    std::vector<double> d(v.begin(), v.end());
    double l1 = 0;
    for (float x : v) l1 += std::fabs(x);
    hadamard_fp32(v, s);
    hadamard_orthonormal(d, s);
    const double root_n = std::sqrt(static_cast<double>(n));
    const double bound = (std::log2(s.pow2) + s.base) * 0x1p-24 * l1;
    for (std::size_t i = 0; i < v.size(); ++i) ASSERT_LE(std::fabs(v[i] - d[i] * root_n), bound) << n << " " << i;
  }
}

struct WrapCase {
  float a;
  int away_wrap, away_saturate, even_saturate;
};

TEST(HadamardQuantize, WrapsAsTheGpuByteStore) {
  // n = 64: 1/sqrt(64) = 1/8 and out_scale 0.5 make the multiplier exactly
  // 0.25. A one-hot input a at index 0 transforms to a in every output
  // (column 0 is all +1), so every code is convert(a / 4).
  // Quamba's H100 check: 127.5 -> -128, 200 -> -56, -129 -> 127.
  const HadamardSize s = *hadamard_size(64);
  const float m = hadamard_quant_multiplier(64, 0.5f);
  ASSERT_EQ(m, 0.25f);
  const WrapCase cases[] = {
      {510.0f, -128, 127, 127},   // 127.5
      {800.0f, -56, 127, 127},    // 200
      {-516.0f, 127, -128, -128}, // -129
      {10.0f, 3, 3, 2},           // 2.5: half away vs half to even
      {-10.0f, -3, -3, -2},
      {2049.0f, 0, 127, 127},     // FP16 input: 2049 -> 2048 (tie to even), 512 wraps to 0
  };
  for (const WrapCase& c : cases) {
    std::vector<float> x(64, 0.0f);
    x[0] = c.a;
    std::vector<std::int8_t> q(64);
    const std::int64_t overflow =
        hadamard_quantize(x, q, s, m, {Rounding::kHalfAwayFromZero, Overflow::kWrap, Denormals::kPreserve});
    EXPECT_EQ(overflow, std::fabs(c.a) > 500 ? 64 : 0) << c.a;  // every lane left [-128, 127] or none did
    for (std::int8_t v : q) ASSERT_EQ(v, c.away_wrap) << c.a;
    hadamard_quantize(x, q, s, m, {Rounding::kHalfAwayFromZero, Overflow::kSaturate, Denormals::kPreserve});
    for (std::int8_t v : q) ASSERT_EQ(v, c.away_saturate) << c.a;
    hadamard_quantize(x, q, s, m, {Rounding::kHalfToEven, Overflow::kSaturate, Denormals::kPreserve});
    for (std::int8_t v : q) ASSERT_EQ(v, c.even_saturate) << c.a;
  }
}

TEST(HadamardQuantize, Base12OneHotAndNan) {
  // Column 0 of the kernel's H12 is + - + + ... + (only row 1 starts with -);
  // a NaN input converts to 0 everywhere.
  const HadamardSize s = *hadamard_size(12);
  const float m = 0.5f;
  std::vector<float> x(12, 0.0f);
  x[0] = 7.0f;  // +-3.5 -> +-4 (half away)
  std::vector<std::int8_t> q(12);
  hadamard_quantize(x, q, s, m, {});
  for (std::size_t c = 0; c < q.size(); ++c) EXPECT_EQ(q[c], c == 1 ? -4 : 4) << c;
  x[0] = std::nanf("");
  hadamard_quantize(x, q, s, m, {});
  for (std::int8_t v : q) EXPECT_EQ(v, 0);
}

TEST(HadamardQuantize, SpreadsAnOutlierChannel) {
  // Why Quamba rotates: one channel 100x the Gaussian body sets a min-max
  // scale that leaves the body a handful of codes. After T (orthonormal, so
  // errors keep their norm) the outlier is spread as ±100/sqrt(n) over every
  // lane and the scale shrinks by about sqrt(n)/4. Errors are measured in the
  // rotated domain against the double-precision T·y.
  const int n = 1536;
  const HadamardSize s = *hadamard_size(n);
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> y(n);
  for (float& v : y) v = fp16_to_fp32(fp32_to_fp16(g(rng)));
  y[700] = 100.0f;
  auto sqnr = [](const std::vector<double>& ref, const std::vector<double>& got) {
    double sig = 0, err = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      sig += ref[i] * ref[i];
      err += (ref[i] - got[i]) * (ref[i] - got[i]);
    }
    return 10 * std::log10(sig / err);
  };
  // Plain: min-max scale over y, roundf, saturate.
  const float plain_scale = 100.0f / 127;
  std::vector<double> ref_plain(y.begin(), y.end()), got_plain(n);
  for (int i = 0; i < n; ++i)
    got_plain[static_cast<std::size_t>(i)] = std::round(y[static_cast<std::size_t>(i)] / plain_scale) * plain_scale;
  // Hadamard: min-max scale over T·y.
  std::vector<double> ty(y.begin(), y.end());
  hadamard_orthonormal(ty, s);
  double amax = 0;
  for (double v : ty) amax = std::max(amax, std::fabs(v));
  const auto had_scale = static_cast<float>(amax / 127);
  std::vector<std::int8_t> q(n);
  EXPECT_EQ(hadamard_quantize(y, q, s, hadamard_quant_multiplier(n, had_scale), {}), 0);
  std::vector<double> got_had(n);
  for (int i = 0; i < n; ++i) got_had[static_cast<std::size_t>(i)] = q[static_cast<std::size_t>(i)] * double{had_scale};
  const double plain = sqnr(ref_plain, got_plain), had = sqnr(ty, got_had);
  EXPECT_LT(had_scale, plain_scale / 4);
  EXPECT_GT(had, plain + 6.0) << "Hadamard " << had << " dB, plain " << plain << " dB";
}

TEST(HadamardQuantize, MultiplierIsTheDoubleRatioRoundedOnce) {
  // 1/sqrt(64) / 0.5 = 0.25 exactly; 1/sqrt(16) / 3 = 1/12 rounds once to
  // 0x1.555556p-4 (1/12 = 0x1.5555...p-4, the 24th bit rounds up).
  EXPECT_EQ(hadamard_quant_multiplier(64, 0.5f), 0.25f);
  EXPECT_EQ(hadamard_quant_multiplier(16, 3.0f), 0x1.555556p-4f);
}

}  // namespace
}  // namespace mambahw
