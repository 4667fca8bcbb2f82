// The SSM core: log1p and softplus units against double-precision libm, the
// scan orders against a double-precision sequential recurrence, and the Mamba1
// and Mamba2 SSMs against double-precision references written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/random.hpp"
#include "mambahw/tb/ulp.hpp"

namespace mambahw {
namespace {

using tb::random_qtensor;
using tb::random_mamba2_ssm;
using tb::ulp_distance;

std::int64_t ulps_from(float x, double ref) { return ulp_distance(x, static_cast<float>(ref)); }

// Random Mamba1 operands: delta codes at `delta_scale`, e = exp(A_log) in
// [1, 16], the rest at small scales (the RNG draws in field order).
Mamba1Ssm random_mamba1_ssm(std::size_t D, std::size_t N, std::size_t L, float delta_scale, Rng& rng) {
  Mamba1Ssm s;
  s.delta = random_qtensor(D, L, delta_scale, rng);
  s.delta_bias = random_qtensor(D, 1, 0.004f, rng);
  s.a_log = random_qtensor(D, N, 2.77f / 127, rng, 0, 127);
  s.b = random_qtensor(N, L, 0.02f, rng);
  s.c = random_qtensor(N, L, 0.02f, rng);
  s.d_skip = random_qtensor(D, 1, 1.0f / 127, rng);
  s.z = random_qtensor(D, L, 0.05f, rng, -100, 100);
  return s;
}


TEST(Log1pUnit, WithinTwoUlpOfDoubleLibm) {
  Rng rng(11);
  std::int64_t worst = 0;
  for (int i = 0; i < 1000000; ++i) {
    // log-uniform magnitudes 2^-30 .. 2^40 plus negatives down to -1
    const double mag = std::ldexp(1.0 + rng.uniform(), static_cast<int>(rng.below(70)) - 30);
    float v = static_cast<float>(rng.below(4) == 0 ? -std::min(mag, 0.999999) : mag);
    worst = std::max(worst, ulps_from(log1p_unit(v), std::log1p(static_cast<double>(v))));
  }
  EXPECT_LE(worst, 2);
  RecordProperty("max_ulp", static_cast<int>(worst));
}

TEST(Log1pUnit, Specials) {
  EXPECT_EQ(bits_of(log1p_unit(0.0f)), bits_of(0.0f));
  EXPECT_EQ(bits_of(log1p_unit(-0.0f)), bits_of(-0.0f));
  EXPECT_EQ(log1p_unit(-1.0f), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(bits_of(log1p_unit(-2.0f)), 0x7FC00000u);
  EXPECT_EQ(log1p_unit(INFINITY), INFINITY);
  EXPECT_EQ(bits_of(log1p_unit(NAN)), 0x7FC00000u);
  EXPECT_EQ(log1p_unit(0x1p-30f), 0x1p-30f);
  EXPECT_EQ(log1p_unit(1.0f), static_cast<float>(std::log(2.0)));
}

// The array form against the scalar unit on a strided sweep of all bit
// patterns plus the edges of its covered range (all 2^32 in the exhaustive label).
TEST(Log1pUnit, BatchBitIdenticalToScalar) {
  std::vector<float> x;
  for (std::uint64_t b = 0; b < (1ull << 32); b += 1031) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  for (float v : {-1.0f, std::nextafter(-1.0f, 0.0f), 0x1p-24f, -0x1p-24f, std::nextafter(0x1p-24f, 0.0f), 0.0f,
                  -0.0f, 0x1.6a09e6p+0f - 1.0f, 0x1.6a09e4p-1f - 1.0f, 1e30f, INFINITY, -INFINITY, NAN})
    x.push_back(v);
  std::vector<float> y(x.size());
  log1p_unit_batch(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(bits_of(y[i]), bits_of(log1p_unit(x[i]))) << std::hexfloat << x[i];
}

TEST(Softplus, ThresholdPassesLargeInputsThrough) {
  EXPECT_EQ(softplus(20.5f, true), 20.5f);
  EXPECT_EQ(softplus(1e30f, true), 1e30f);
  EXPECT_EQ(bits_of(softplus(NAN, true)), 0x7FC00000u);
  // At 20 itself the formula runs: log1p(e^20) = 20 + 2.06e-9, which is 20 in FP32 ...
  EXPECT_EQ(softplus(20.0f, true), 20.0f);
  // ... and without the threshold large inputs go through exp: e^89 overflows to +Inf.
  EXPECT_EQ(softplus(89.5f, false), INFINITY);
  EXPECT_EQ(softplus(89.5f, true), 89.5f);
  EXPECT_LE(ulps_from(softplus(20.5f, false), 20.5 + std::log1p(std::exp(-20.5))), 1);
}

TEST(Softplus, WithinThreeUlpOfDoubleReference) {
  std::int64_t worst = 0;
  for (float x = -30.0f; x <= 20.0f; x += 0.0037f) {
    const double ref = std::log1p(std::exp(static_cast<double>(x)));
    worst = std::max(worst, ulps_from(softplus(x, true), ref));
  }
  EXPECT_LE(worst, 3);
}

std::vector<double> scan_double(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<double> h(a.size());
  double s = 0;
  for (std::size_t t = 0; t < a.size(); ++t) h[t] = s = static_cast<double>(a[t]) * s + b[t];
  return h;
}

TEST(Scan, BothOrdersExactWhenNothingRounds) {
  // a in {0, 1}, b small integers: every product and sum is exact, so any
  // association gives the same bits.
  for (int len : {5, 100, 300, 700, 1500, 4500}) {
    Rng rng(static_cast<std::uint64_t>(len));
    std::vector<float> a(static_cast<std::size_t>(len)), b(a.size()), h1(a.size()), h2(a.size());
    for (std::size_t t = 0; t < a.size(); ++t) {
      a[t] = t % 7 == 0 ? 0.0f : 1.0f;
      b[t] = static_cast<float>(static_cast<int>(rng.below(9)) - 4);
    }
    scan_sequential(a, b, h1, Denormals::kPreserve);
    scan_block(a, b, h2, Denormals::kPreserve);
    const auto ref = scan_double(a, b);
    for (std::size_t t = 0; t < a.size(); ++t) {
      ASSERT_EQ(h1[t], ref[t]) << t;
      ASSERT_EQ(bits_of(h2[t]), bits_of(h1[t])) << "len " << len << " t " << t;
    }
  }
}

TEST(Scan, OrdersDifferInLastBitsWithinBound) {
  // Decaying recurrence (a in [0.9, 1)): error of a length-L FP32 scan is
  // below ~(L_eff + 2) * 2^-24 relative, L_eff = 1/(1-a) <= 10 here; bound 64 ulp of max|h|.
  for (int len : {128, 1000, 2048, 5000}) {
    Rng rng(static_cast<std::uint64_t>(len) + 99);
    std::vector<float> a(static_cast<std::size_t>(len)), b(a.size()), h1(a.size()), h2(a.size());
    for (std::size_t t = 0; t < a.size(); ++t) {
      a[t] = static_cast<float>(0.9 + 0.0999 * rng.uniform());
      b[t] = static_cast<float>(rng.normal());
    }
    scan_sequential(a, b, h1, Denormals::kPreserve);
    scan_block(a, b, h2, Denormals::kPreserve);
    const auto ref = scan_double(a, b);
    double hmax = 0;
    for (double v : ref) hmax = std::max(hmax, std::fabs(v));
    int differ = 0;
    for (std::size_t t = 0; t < a.size(); ++t) {
      EXPECT_LE(std::fabs(h1[t] - ref[t]), 64 * 0x1p-24 * hmax);
      EXPECT_LE(std::fabs(h2[t] - ref[t]), 64 * 0x1p-24 * hmax);
      differ += bits_of(h1[t]) != bits_of(h2[t]);
    }
    EXPECT_GT(differ, 0) << "the block order should round differently somewhere (len " << len << ")";
  }
}

TEST(Scan, BlockShapesFollowQuamba) {
  EXPECT_EQ(quamba_block_shape(128).items, 4);
  EXPECT_EQ(quamba_block_shape(129).items, 8);
  EXPECT_EQ(quamba_block_shape(512).items, 16);
  EXPECT_EQ(quamba_block_shape(1024).threads, 64);
  EXPECT_EQ(quamba_block_shape(1025).threads, 128);
}


double dq(const QTensor& t, std::size_t i) { return static_cast<double>(t.scale) * t.q(i); }

TEST(Mamba1Scan, MatchesDoubleReferenceWithinFp16Rounding) {
  Rng rng(5);
  const std::size_t D = 6, N = 16, L = 200;
  const Mamba1Ssm s = tb::random_mamba1_ssm(D, N, L, rng);
  FloatTensor u({D, L});
  for (auto& v : u.vec()) v = static_cast<float>(rng.normal());
  for (ScanOrder order : {ScanOrder::kSequential, ScanOrder::kBlockScan}) {
    const FloatTensor y = mamba1_selective_scan(u, s, {true, order});
    for (std::size_t d = 0; d < D; ++d) {
      std::vector<double> h(N, 0.0);
      for (std::size_t t = 0; t < L; ++t) {
        double dl = dq(s.delta, d * L + t) + dq(s.delta_bias, d);
        dl = dl > 20 ? dl : std::log1p(std::exp(dl));
        const double x = u(d, t);
        double out = dq(s.d_skip, d) * x;
        for (std::size_t n = 0; n < N; ++n) {
          const double A = -std::exp(dq(s.a_log, d * N + n));
          h[n] = std::exp(dl * A) * h[n] + dl * dq(s.b, n * L + t) * x;
          out += h[n] * dq(s.c, n * L + t);
        }
        const double z = dq(s.z, d * L + t);
        const double ref = out * z / (1 + std::exp(-z));
        // FP16 output: half an FP16 ulp (2^-11 relative) plus the FP32 path's
        // error, far below it; absolute floor for FP16 subnormals.
        EXPECT_NEAR(y(d, t), ref, std::fabs(ref) * 0x1p-10 + 1e-6) << d << "," << t;
      }
    }
  }
}

TEST(Mamba2Ssm, MatchesDoubleReference) {
  Rng rng(9);
  const std::size_t L = 150, H = 4, P = 3, N = 8, G = 2;
  const Mamba2Ssm s = random_mamba2_ssm(4, 3, 2, 8, L, -4.0, rng);
  FloatTensor x({H * P, L});
  for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
  const FloatTensor y = mamba2_ssm(x, s, {false});
  for (std::size_t h = 0; h < H; ++h) {
    const std::size_t g = h / (H / G);
    const double A = -std::exp(dq(s.a_log, h));
    for (std::size_t p = 0; p < P; ++p) {
      std::vector<double> st(N, 0.0);
      for (std::size_t t = 0; t < L; ++t) {
        const double dt = std::log1p(std::exp(dq(s.dt, h * L + t) + s.dt_bias[h]));
        const double xv = x(h * P + p, t);
        double acc = dq(s.d_skip, h) * xv;
        for (std::size_t n = 0; n < N; ++n) {
          st[n] = std::exp(dt * A) * st[n] + static_cast<double>(s.b_scale[g]) * s.b(g * N + n, t) * dt * xv;
          acc += st[n] * static_cast<double>(s.c_scale[g]) * s.c(g * N + n, t);
        }
        // FP32 throughout: a few ulp per term; 2^-16 of the magnitude scale.
        EXPECT_NEAR(y(h * P + p, t), acc, 0x1p-16 * (std::fabs(acc) + 1.0)) << h << "," << p << "," << t;
      }
    }
  }
}

// log1p_unit_batch on every fast-path variant against the scalar unit:
// the covered range, every uncovered input (NaN, v <= -1, Inf, |v| < 2^-24),
// the k = 0 / k != 0 and m >= sqrt(2) boundaries, subnormals, random bit
// patterns, every length 0..40 (partial lane blocks).
TEST(Log1pUnit, BatchBitIdenticalOnEveryVariant) {
  std::vector<float> v = {-1.0f, std::nextafter(-1.0f, 0.0f), std::nextafter(-1.0f, -2.0f), -2.0f, -0.0f, 0.0f,
                          0x1p-24f, std::nextafter(0x1p-24f, 0.0f), -0x1p-24f, 0x1p-149f, -0x1p-149f,
                          0x1.6a09e6p+0f - 1.0f, 0x1.6a09e8p+0f - 1.0f, 0.5f, -0.29289f, 1e30f, 3.4e38f,
                          INFINITY, -INFINITY, NAN, float_of(0xFFC00001u), float_of(0x7F800001u)};
  Rng rng(41);
  for (int i = 0; i < 300; ++i) v.push_back(float_of(static_cast<std::uint32_t>(rng.below(1ull << 32))));
  for (int i = 0; i < 300; ++i) v.push_back(static_cast<float>(std::ldexp(rng.uniform(), -static_cast<int>(rng.below(30)))));
  for (KernelIsa isa : tb::vector_isas()) {
    tb::KernelIsaScope scope(isa);
    std::vector<float> y(v.size());
    log1p_unit_batch(v.data(), y.data(), v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      ASSERT_EQ(bits_of(y[i]), bits_of(log1p_unit(v[i]))) << to_string(isa) << " v bits " << std::hex << bits_of(v[i]);
    for (std::size_t n = 0; n <= 40; ++n) {
      std::vector<float> out(n + 1, 7.0f);
      log1p_unit_batch(v.data() + 1, out.data(), n);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(bits_of(out[i]), bits_of(log1p_unit(v[1 + i]))) << n;
      ASSERT_EQ(out[n], 7.0f) << to_string(isa) << " wrote past n = " << n;
    }
  }
}

// Every fast-path variant against the scalar specification (KernelIsa::kSpec:
// the general path, same policy, subnormals preserved), bit for bit: 21
// channels (a full block of 16 lanes and a partial one), 333 tokens. Δ codes
// reach pre-activations past 20 (the softplus threshold, on and off) and
// softplus(Δ)·exp(A) past 87 (exp_unit's out-of-range fallback, subnormal and
// zero decays), on some tokens only, so tokens take both the main path and
// the checked one; u holds subnormals, zeros of both signs, an Inf and a NaN.
TEST(Mamba1Scan, EveryVariantBitIdenticalToSpecification) {
  Rng rng(31);
  const std::size_t D = 21, N = 16, L = 333;
  Mamba1Ssm s;
  s.delta = random_qtensor(D, L, 0.004f, rng);
  for (std::size_t t = 0; t < L; t += 7)
    for (std::size_t d = 0; d < D; d += 3) s.delta.q(d, t) = static_cast<std::int8_t>(rng.below(2) ? 127 : 90);
  s.delta.scale = 0.25f;  // codes 90, 127: pre-activations 22.5, 31.75 (threshold); others |pre| <= 0.5 * 1.3
  for (auto& q : s.delta.q.vec())
    if (q != 127 && q != 90) q = static_cast<std::int8_t>(q / 50);
  s.delta_bias = random_qtensor(D, 1, 0.004f, rng);
  s.a_log = random_qtensor(D, N, 2.77f / 127, rng, 0, 127);  // e = exp(A_log) in [1, 16]
  s.b = random_qtensor(N, L, 0.02f, rng);
  s.c = random_qtensor(N, L, 0.02f, rng);
  s.d_skip = random_qtensor(D, 1, 1.0f / 127, rng);
  s.z = random_qtensor(D, L, 0.05f, rng, -100, 100);
  FloatTensor u({D, L});
  for (auto& v : u.vec()) v = static_cast<float>(rng.normal());
  u(0, 5) = 0x1p-140f;
  u(1, 6) = -0x1p-149f;
  u(2, 7) = -0.0f;
  u(3, 8) = INFINITY;
  u(20, 9) = NAN;
  // The data reaches the fallback: some step's exp argument is below -87.
  bool fallback = false;
  for (std::size_t d = 0; d < D && !fallback; ++d)
    for (std::size_t t = 0; t < L && !fallback; ++t) {
      const float pre = std::fma(s.delta.scale, static_cast<float>(s.delta.q(d, t)), s.delta_bias.scale * s.delta_bias.q(d));
      const float e = exp_unit(s.a_log.scale * static_cast<float>(s.a_log.q(d, 0)));
      fallback = softplus(pre, true) * e > 87.0f;
    }
  ASSERT_TRUE(fallback);
  for (bool threshold : {true, false})
    for (QuantizeOp gate : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal}) {
      const SsmPolicy p{threshold, ScanOrder::kSequential, Denormals::kPreserve, gate};
      tb::expect_every_variant_matches_spec([&] { return mamba1_selective_scan(u, s, p); },
                                            "threshold " + std::to_string(threshold) + " " + std::string(to_string(gate)));
    }
}

// With states kept (a prefill's handoff to decode): every variant's y, final
// state, chunk states and their INT8 copies against the scalar
// specification's, bit for bit, from an initial state with subnormals, zeros
// of both signs, large values and a NaN. 2085 tokens: one whole 2048-token
// chunk and a partial one, so the vector path's chunk-by-chunk recurrence
// carries its lanes' states across a call; 21 channels (a full and a partial
// block of lanes); decays reach exp_unit's out-of-range fallback.
TEST(Mamba1Scan, VectorPathKeepsTheScalarPathsStates) {
  Rng rng(37);
  const std::size_t D = 21, N = 16, L = 2085;
  Mamba1Ssm s = random_mamba1_ssm(D, N, L, 0.25f, rng);
  for (auto& q : s.delta.q.vec()) q = static_cast<std::int8_t>(rng.below(40) == 0 ? 127 : q / 50);
  FloatTensor u({D, L}), h0({D, N});
  for (auto& v : u.vec()) v = static_cast<float>(rng.normal());
  for (auto& v : h0.vec()) v = static_cast<float>(3.0 * rng.normal());
  h0(0, 0) = 0x1p-140f;
  h0(1, 3) = -0.0f;
  h0(2, 5) = 0.0f;
  h0(4, 15) = 1e30f;
  h0(20, 7) = NAN;
  for (const FloatTensor* init : std::vector<const FloatTensor*>{nullptr, &h0}) {
    tb::expect_every_variant_matches_spec(
        [&] {
          Mamba1ScanState st;
          const FloatTensor y = mamba1_selective_scan(u, s, SsmPolicy{}, Mamba1ScanIo{init, 0.01f, &st});
          EXPECT_EQ(st.chunk_states.dim(1), 2u);
          // One tensor of every output: y, final state, chunk states, INT8 copies (widened exactly).
          std::vector<float> all(y.vec());
          all.insert(all.end(), st.final_state.vec().begin(), st.final_state.vec().end());
          all.insert(all.end(), st.chunk_states.vec().begin(), st.chunk_states.vec().end());
          for (std::int8_t q : st.chunk_states_q.vec()) all.push_back(static_cast<float>(q));
          FloatTensor out({all.size()});
          std::copy(all.begin(), all.end(), out.data());
          return out;
        },
        init ? "from an initial state" : "from zeros");
  }
}

// The vectorised Mamba1 path (Denormals::kPreserve, sequential order) and the
// general path (taken for flush-to-zero) are two implementations of the same
// operation sequence; on data where no subnormal arises they agree bit for bit.
TEST(Mamba1Scan, FastPathBitIdenticalToGeneralPath) {
  Rng rng(17);
  const std::size_t D = 21, N = 16, L = 333;  // one full block of 16 lanes and a partial one; 6 token chunks
  const Mamba1Ssm s = random_mamba1_ssm(D, N, L, 0.004f, rng);  // softplus(dt) in ~[0.1, 1.6]: exp arguments >= -26
  FloatTensor u({D, L});
  for (auto& v : u.vec()) v = static_cast<float>(0.5 + rng.uniform());
  for (bool threshold : {true, false})
    for (QuantizeOp gate : {QuantizeOp::kDivide, QuantizeOp::kMultiplyReciprocal}) {
      const FloatTensor fast = mamba1_selective_scan(u, s, {threshold, ScanOrder::kSequential, Denormals::kPreserve, gate});
      const FloatTensor general = mamba1_selective_scan(u, s, {threshold, ScanOrder::kSequential, Denormals::kFlushToZero, gate});
      for (std::size_t i = 0; i < fast.size(); ++i) ASSERT_EQ(bits_of(fast(i)), bits_of(general(i))) << i;
    }
}

// The Mamba2 lane path (Denormals::kPreserve: a head's channels in vector
// lanes) and the general per-channel path (flush-to-zero) perform the same
// operations in the same order; on data where no subnormal arises they agree
// bit for bit. headdim 11 leaves a remainder after 8-wide vectors.
TEST(Mamba2Ssm, LanePathBitIdenticalToGeneralPath) {
  Rng rng(23);
  const std::size_t L = 200, H = 4, P = 11;
  const Mamba2Ssm s = random_mamba2_ssm(4, 11, 2, 16, L, -3.0, rng);
  FloatTensor x({H * P, L});
  for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
  for (bool threshold : {true, false}) {
    SsmPolicy lanes{threshold}, general{threshold};
    lanes.denormals = Denormals::kPreserve;
    general.denormals = Denormals::kFlushToZero;
    const FloatTensor a = mamba2_ssm(x, s, lanes), b = mamba2_ssm(x, s, general);
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(bits_of(a(i)), bits_of(b(i))) << i;
  }
}

// Every fast-path variant against the scalar specification (kSpec, same
// policy), bit for bit: headdim 11 (one partial block of lanes) and 70 (a
// full block of 64 and a partial one), two groups, subnormal and signed-zero
// inputs.
TEST(Mamba2Ssm, EveryVariantBitIdenticalToSpecification) {
  for (int P : {11, 70}) {
    Rng rng(29 + static_cast<std::uint64_t>(P));
    const std::size_t L = 150, H = 4;
    const Mamba2Ssm s = random_mamba2_ssm(4, P, 2, 16, L, -3.0, rng);
    FloatTensor x({H * static_cast<std::size_t>(P), L});
    for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
    x(0, 3) = 0x1p-145f;
    x(1, 4) = -0.0f;
    x(2, 5) = -0x1p-149f;
    for (bool threshold : {true, false}) {
      const SsmPolicy p{threshold};
      tb::expect_every_variant_matches_spec([&] { return mamba2_ssm(x, s, p); },
                                            "P " + std::to_string(P) + " threshold " + std::to_string(threshold));
    }
  }
}

// The Mamba2 fast path's blocking (ssm_lanes.inc: register tiles of 8, 4 or
// 2 states by 2 lane vectors over chunks of 16 tokens) against the
// specification on every variant, bit for bit, where the blocks are partial:
// d_state 13 and 1 (a partial tile of states; states one by one), headdim 40
// (a partial lane block), L 37 (a partial chunk) and L 16 (one whole chunk);
// heads whose dt drives dt·A past exp's range (exp's fallback: dA zero or
// subnormal) or to its edge; x with NaN and ±Inf (one channel each, so each
// channel's NaNs have one origin); and a prefill handoff (initial state in,
// final state out).
TEST(Mamba2Ssm, EveryVariantBitIdenticalToSpecificationOnPartialBlocks) {
  struct Shape {
    int P, N;
    std::size_t L;
  };
  for (const Shape sh : {Shape{40, 13, 37}, Shape{16, 1, 16}, Shape{64, 24, 37}}) {
    Rng rng(41 + static_cast<std::uint64_t>(sh.N));
    const std::size_t H = 4, P = static_cast<std::size_t>(sh.P), N = static_cast<std::size_t>(sh.N), L = sh.L;
    Mamba2Ssm s = random_mamba2_ssm(4, sh.P, 2, sh.N, L, -3.0, rng);
    s.dt_bias[1] = 30.0f;  // dt·A in [-480, -30]: dA = exp(dt·A) zero or subnormal on most tokens
    s.dt_bias[2] = 5.5f;   // dt·A around -87, exp's range edge
    s.a_log.q(1) = s.a_log.q(2) = 127;  // A = -exp(2.77) ~ -16
    FloatTensor x({H * P, L}), h0({H * P, N});
    for (auto& v : x.vec()) v = static_cast<float>(rng.normal());
    for (auto& v : h0.vec()) v = static_cast<float>(rng.normal());
    x(0, 3) = 0x1p-145f;
    x(1, 4) = -0.0f;
    x(2, 5) = NAN;
    x(3, 6) = INFINITY;
    x(P + 5, 7) = -INFINITY;
    h0(4, 0) = -0x1p-140f;
    // The data reaches exp's fallback: head 1's dt·A is below -87 (A by the spec's expression).
    const float A1 = -exp_unit(s.a_log.scale * static_cast<float>(s.a_log.q(1)));
    ASSERT_LT(softplus(s.dt.scale * static_cast<float>(s.dt.q(1, 0)) + s.dt_bias[1], true) * A1, -87.0f);
    const std::string name = "P " + std::to_string(P) + " N " + std::to_string(N) + " L " + std::to_string(L);
    for (bool threshold : {true, false}) {
      const SsmPolicy p{threshold};
      tb::expect_every_variant_matches_spec([&] { return mamba2_ssm(x, s, p); }, name);
      tb::expect_every_variant_matches_spec(
          [&] {
            FloatTensor h;
            const FloatTensor y = mamba2_ssm(x, s, p, &h0, &h);
            FloatTensor both({y.size() + h.size()});
            std::copy(y.vec().begin(), y.vec().end(), both.vec().begin());
            std::copy(h.vec().begin(), h.vec().end(), both.vec().begin() + static_cast<std::ptrdiff_t>(y.size()));
            return both;
          },
          name + " from a state");
    }
  }
}

// The two reduction orders of y = D*u + sum h_n * C_n by hand: with
// h = {2^26, 1, -2^26}, C = 1 and D*u = 1, the FMA chain loses each 1 against
// 2^26 (ulp 8): ((1 + 2^26) + 1) - 2^26 = 0; the tree adds p0 + p1 = 2^26 (the
// 1 lost once), then p0 + p2 = 0, then D*u: 1.
TEST(StateReduction, SequentialAndTreeByHand) {
  const float h[3] = {0x1p26f, 1.0f, -0x1p26f}, c[3] = {1.0f, 1.0f, 1.0f};
  std::vector<float> scratch;
  EXPECT_EQ(reduce_states(h, c, 3, 1.0f, StateReduction::kSequential, 16, Denormals::kPreserve, scratch), 0.0f);
  EXPECT_EQ(reduce_states(h, c, 3, 1.0f, StateReduction::kTree, 16, Denormals::kPreserve, scratch), 1.0f);
  // Five states: level 1 pairs (0,1) and (2,3), level 2 (0,2), level 3 (0,4).
  const float h5[5] = {1, 2, 3, 4, 5}, c5[5] = {1, 1, 1, 1, 1};
  EXPECT_EQ(reduce_states(h5, c5, 5, 0.5f, StateReduction::kTree, 16, Denormals::kPreserve, scratch), 15.5f);
}

// Trees of the lane width: h = {2^24, 1, -2^24, 1}, C = 1, D*u = 1; 2^24 + 1
// is a tie that rounds to 2^24 (even). One tree of 4: (2^24 + 1) + (-2^24 + 1)
// = 2^24 - 16777215 = 1, then 1 + 1 = 2. Trees of 2: 1 + (2^24 + 1 -> 2^24)
// -> 2^24, then + (-2^24 + 1) = 1. Trees of 3: (2^24 + 1) - 2^24 = 0, 1 + 0,
// then + 1 = 2; trees of 1 (each product added in order): 1.
TEST(StateReduction, TreesOfTheLaneWidthByHand) {
  const float h[4] = {0x1p24f, 1.0f, -0x1p24f, 1.0f}, c[4] = {1.0f, 1.0f, 1.0f, 1.0f};
  std::vector<float> scratch;
  auto tree = [&](int w) { return reduce_states(h, c, 4, 1.0f, StateReduction::kTree, w, Denormals::kPreserve, scratch); };
  EXPECT_EQ(tree(4), 2.0f);
  EXPECT_EQ(tree(16), 2.0f);  // wider than the states: one tree
  EXPECT_EQ(tree(2), 1.0f);
  EXPECT_EQ(tree(3), 2.0f);
  EXPECT_EQ(tree(1), 1.0f);
  EXPECT_THROW((void)tree(0), std::invalid_argument);
}

// The policy's tree order reaches the Mamba2 scan (its lane path is the
// sequential order only): on random data some y differ.
TEST(StateReduction, TreeOrderChangesTheMamba2Scan) {
  Rng rng(29);
  const Mamba2Ssm s = random_mamba2_ssm(2, 8, 1, 16, 64, -3.0, rng);
  FloatTensor x({16, 64});
  for (std::size_t i = 0; i < x.size(); ++i) x(i) = static_cast<float>(rng.normal());
  SsmPolicy seq, tree;
  tree.reduction = StateReduction::kTree;
  const FloatTensor a = mamba2_ssm(x, s, seq), b = mamba2_ssm(x, s, tree);
  int differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ += bits_of(a(i)) != bits_of(b(i));
  EXPECT_GT(differ, 0);
}

}  // namespace
}  // namespace mambahw
