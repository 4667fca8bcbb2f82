#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/kernel_isa.hpp"
#include "mambahw/golden/threads.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "simd.hpp"

namespace mambahw {

std::vector<std::uint8_t> pack_int4(std::span<const std::int8_t> codes) {
  std::vector<std::uint8_t> out((codes.size() + 1) / 2, 0);
  for (std::size_t k = 0; k < codes.size(); ++k) {
    if (codes[k] < -8 || codes[k] > 7) throw std::invalid_argument("INT4 code out of range");
    const auto nib = static_cast<std::uint8_t>(static_cast<std::uint8_t>(codes[k]) & 0xF);
    out[k / 2] = static_cast<std::uint8_t>(out[k / 2] | (k % 2 ? nib << 4 : nib));
  }
  return out;
}

std::vector<std::int8_t> unpack_int4(std::span<const std::uint8_t> bytes, int count) {
  std::vector<std::int8_t> out(static_cast<std::size_t>(count));
  for (int k = 0; k < count; ++k) {
    const int nib = (bytes[static_cast<std::size_t>(k / 2)] >> (k % 2 ? 4 : 0)) & 0xF;
    out[static_cast<std::size_t>(k)] = static_cast<std::int8_t>(nib >= 8 ? nib - 16 : nib);
  }
  return out;
}

std::int8_t QuantWeights::at(int n, int k) const {
  const std::size_t row = static_cast<std::size_t>(n) * static_cast<std::size_t>(row_bytes());
  if (precision == WeightPrecision::kInt8) return static_cast<std::int8_t>(packed[row + static_cast<std::size_t>(k)]);
  const int nib = (packed[row + static_cast<std::size_t>(k / 2)] >> (k % 2 ? 4 : 0)) & 0xF;
  return static_cast<std::int8_t>(nib >= 8 ? nib - 16 : nib);
}

QuantWeights quantize_weights(const FloatTensor& w, WeightPrecision p, int group) {
  QuantWeights q;
  q.precision = p;
  q.out = static_cast<int>(w.dim(0));
  q.in = static_cast<int>(w.dim(1));
  q.group = group >= q.in ? 0 : group;
  const int qmax = p == WeightPrecision::kInt8 ? 127 : 7;
  const int gsize = q.group ? q.group : q.in;
  const NumericsPolicy rne{Rounding::kHalfToEven, QuantizeOp::kDivide, Overflow::kSaturate, Denormals::kPreserve};
  const CodeRange range = CodeRange::symmetric_bits(p == WeightPrecision::kInt8 ? 8 : 4);
  q.packed.reserve(static_cast<std::size_t>(q.out) * static_cast<std::size_t>(q.row_bytes()));
  std::vector<std::int8_t> codes(static_cast<std::size_t>(q.in));
  for (int n = 0; n < q.out; ++n) {
    for (int g = 0; g < q.groups(); ++g) {
      const int k0 = g * gsize, k1 = std::min(q.in, k0 + gsize);
      float absmax = 0.0f;
      for (int k = k0; k < k1; ++k) absmax = std::max(absmax, std::fabs(w(static_cast<std::size_t>(n), static_cast<std::size_t>(k))));
      const float scale = absmax > 0.0f ? absmax / static_cast<float>(qmax) : 1.0f;
      q.scales.push_back(scale);
      for (int k = k0; k < k1; ++k)
        codes[static_cast<std::size_t>(k)] = static_cast<std::int8_t>(
            quantize(w(static_cast<std::size_t>(n), static_cast<std::size_t>(k)), scale, reciprocal(scale), rne, range));
    }
    if (p == WeightPrecision::kInt8) {
      for (std::int8_t c : codes) q.packed.push_back(static_cast<std::uint8_t>(c));
    } else {
      const auto row = pack_int4(codes);
      q.packed.insert(q.packed.end(), row.begin(), row.end());
    }
  }
  return q;
}

FloatTensor dequantize_weights(const QuantWeights& w) {
  FloatTensor f({static_cast<std::size_t>(w.out), static_cast<std::size_t>(w.in)});
  const int gsize = w.group ? w.group : w.in;
  for (int n = 0; n < w.out; ++n)
    for (int k = 0; k < w.in; ++k)
      f(static_cast<std::size_t>(n), static_cast<std::size_t>(k)) =
          static_cast<float>(w.at(n, k)) * w.scale(n, k / gsize);
  return f;
}

namespace {

// The GEMMs run by tiles of output channels: each tile unpacks its weight
// rows once (one signed byte per weight, [n][in]) and streams every token
// through them. The tile bounds depend only on w.out, so the partition is the
// same for any thread count; every accumulator is an exact integer sum of one
// (token, channel, group), computed wholly inside one tile, so the results
// are the same bits for any thread count. Nothing of size M x out x groups is
// ever held (the 8b model's in_proj at L = 2048 would be 4.9 GB of INT32).
constexpr int kOutTile = 64;

void tile_codes(const QuantWeights& w, int n0, int n1, std::vector<std::int8_t>& c) {
  const auto in = static_cast<std::size_t>(w.in), rb = static_cast<std::size_t>(w.row_bytes());
  c.resize(static_cast<std::size_t>(n1 - n0) * in);
  for (int n = n0; n < n1; ++n) {
    const std::uint8_t* row = w.packed.data() + static_cast<std::size_t>(n) * rb;
    std::int8_t* out = c.data() + static_cast<std::size_t>(n - n0) * in;
    if (w.precision == WeightPrecision::kInt8) {
      std::copy(row, row + in, reinterpret_cast<std::uint8_t*>(out));
      continue;
    }
    // Byte by byte: the low nibble (even k), then the high one (odd k), each
    // sign-extended from bit 3 by an arithmetic shift of the byte.
    for (std::size_t b = 0; b < in / 2; ++b) {
      out[2 * b] = static_cast<std::int8_t>(static_cast<std::int8_t>(row[b] << 4) >> 4);
      out[2 * b + 1] = static_cast<std::int8_t>(static_cast<std::int8_t>(row[b]) >> 4);
    }
    if (in % 2) out[in - 1] = static_cast<std::int8_t>(static_cast<std::int8_t>(row[in / 2] << 4) >> 4);
  }
}

// Exact integer dot products of one activation row with four weight rows
// (n <= 131071, so no sum can leave INT32). Integer sums are exact in any
// order, so the vector clones (AVX-512, AVX2, baseline) give the same values.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void dot4(const std::int8_t* __restrict a, const std::int8_t* __restrict w0, const std::int8_t* __restrict w1,
          const std::int8_t* __restrict w2, const std::int8_t* __restrict w3, int n, std::int32_t* out) {
  std::int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int k = 0; k < n; ++k) {
    const std::int32_t x = a[k];
    s0 += x * w0[k];
    s1 += x * w1[k];
    s2 += x * w2[k];
    s3 += x * w3[k];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

std::int32_t dot_exact(const std::int8_t* a, const std::int8_t* b, int n, std::int64_t* saturated) {
  if (n <= 131071) {  // |sum| <= n * 2^14 < 2^31: no overflow possible
    std::int32_t s[4];
    dot4(a, b, b, b, b, n, s);
    return s[0];
  }
  std::int64_t s = 0;
  for (int k = 0; k < n; ++k) s += static_cast<std::int64_t>(a[k]) * static_cast<std::int64_t>(b[k]);
  constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  if (s < lo || s > hi) {
    if (saturated) ++*saturated;
    s = std::clamp(s, lo, hi);
  }
  return static_cast<std::int32_t>(s);
}

// The pair layout of the fast path (gemm_lanes.inc): per weight group, its
// inputs in pairs (k0, k0 + 1), (k0 + 2, k0 + 3), ..., a group of odd length
// ending in a pair whose second code is 0; one uint32 word per pair, the
// first code's int16 in the low half, the second's in the high half
// (pmaddwd's operand order).
constexpr int kPairTokens = 4;         // tokens of a micro-tile (gemm_lanes.inc)
constexpr int kPairTileWidth = kOutTile;  // weight-pair row: the tile's channels, zero-padded

std::uint32_t pair_word(std::int8_t lo, std::int8_t hi) {
  return static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(lo))) |
         static_cast<std::uint32_t>(static_cast<std::uint16_t>(static_cast<std::int16_t>(hi))) << 16;
}

struct PairGroups {
  std::vector<int> begin;  // [G + 1]: each group's first pair, then the total
  std::size_t pairs() const { return static_cast<std::size_t>(begin.back()); }
};
PairGroups pair_groups(int in, int gsize) {
  PairGroups p{{0}};
  for (int k0 = 0; k0 < in; k0 += gsize) p.begin.push_back(p.begin.back() + (std::min(in, k0 + gsize) - k0 + 1) / 2);
  return p;
}

// codes[0..in) as pair words into out[0..P), by group.
void pack_pairs(const std::int8_t* codes, int in, int gsize, const PairGroups& pg, std::uint32_t* out, std::size_t stride) {
  for (std::size_t g = 0; g + 1 < pg.begin.size(); ++g) {
    const int k0 = static_cast<int>(g) * gsize, k1 = std::min(in, k0 + gsize);
    std::size_t p = static_cast<std::size_t>(pg.begin[g]);
    for (int k = k0; k < k1; k += 2, ++p) out[p * stride] = pair_word(codes[k], k + 1 < k1 ? codes[k + 1] : 0);
  }
}

}  // namespace

#define MAMBAHW_SIMD_KERNELS "gemm_lanes.inc"
#include "simd_variants.inc"

namespace {

// Whether the GEMM runs the pair kernels: a vector variant selected, every
// group at most 131071 inputs (no partial sum can leave INT32), and enough
// tokens to repay a tile's repacking into pairs (a GEMV of a few tokens runs
// faster on dot4 over the codes as they are). The decision depends on the
// shapes and the selected variant, never on the thread count.
constexpr std::size_t kPairMinTokens = 8;
bool pairs_path(std::size_t tokens, int gsize) {
  return kernel_isa() != KernelIsa::kSpec && tokens >= kPairMinTokens && gsize <= 131071;
}

// for_each_accumulator on the pair kernels: the same tiles of output
// channels, each tile's weights repacked into pairs once, the tokens through
// them kPairTokens at a time.
template <class F>
void for_each_accumulator_pairs(const Int8Tensor& x, const QuantWeights& w, F&& f) {
  const std::size_t M = x.dim(0), Mb = (M + kPairTokens - 1) / kPairTokens * kPairTokens;
  const int G = w.groups(), gsize = w.group ? w.group : w.in;
  const PairGroups pg = pair_groups(w.in, gsize);
  const std::size_t P = pg.pairs(), in = static_cast<std::size_t>(w.in), Gs = static_cast<std::size_t>(G);
  // Every token's activation pairs, once; the rows past M (to a whole micro-tile) are zero.
  std::vector<std::uint32_t> xp(Mb * P, 0);
  parallel_for(M, [&](std::size_t m) { pack_pairs(x.data() + m * in, w.in, gsize, pg, xp.data() + m * P, 1); });
  const auto tiles = static_cast<std::size_t>((w.out + kOutTile - 1) / kOutTile);
  parallel_for(tiles, [&](std::size_t t) {
    const int n0 = static_cast<int>(t) * kOutTile, n1 = std::min(w.out, n0 + kOutTile);
    std::vector<std::int8_t> wc;
    tile_codes(w, n0, n1, wc);
    std::vector<std::uint32_t> wp(P * kPairTileWidth, 0);  // channels past n1 stay zero
    for (int n = n0; n < n1; ++n)
      pack_pairs(wc.data() + static_cast<std::size_t>(n - n0) * in, w.in, gsize, pg, wp.data() + (n - n0), kPairTileWidth);
    std::vector<std::int32_t> acc(static_cast<std::size_t>(kPairTokens * kPairTileWidth) * Gs);
    for (std::size_t m0 = 0; m0 < M; m0 += kPairTokens) {
      MAMBAHW_SIMD_CALL(gemm_pairs_block, xp.data() + m0 * P, P, wp.data(), pg.begin.data(), G, n1 - n0, acc.data());
      for (std::size_t m = m0; m < std::min(M, m0 + kPairTokens); ++m) f(m, n0, n1, acc.data() + (m - m0) * kPairTileWidth * Gs);
    }
  });
}

// for_each_accumulator's specification: dot4 per token and four channels.
template <class F>
void for_each_accumulator_spec(const Int8Tensor& x, const QuantWeights& w, std::int64_t* saturated, F&& f) {
  const std::size_t M = x.dim(0);
  const int G = w.groups(), gsize = w.group ? w.group : w.in;
  const bool narrow = gsize <= 131071;
  const auto tiles = static_cast<std::size_t>((w.out + kOutTile - 1) / kOutTile);
  std::atomic<std::int64_t> sat{0};
  parallel_for(tiles, [&](std::size_t t) {
    const int n0 = static_cast<int>(t) * kOutTile, n1 = std::min(w.out, n0 + kOutTile);
    const auto in = static_cast<std::size_t>(w.in), Gs = static_cast<std::size_t>(G);
    // INT8 rows are the codes as stored, read in place (a decode step's GEMV
    // would otherwise copy every weight tile once per token); INT4 rows are unpacked.
    std::vector<std::int8_t> unpacked;
    const std::int8_t* wc = nullptr;
    if (w.precision == WeightPrecision::kInt8) {
      wc = reinterpret_cast<const std::int8_t*>(w.packed.data()) + static_cast<std::size_t>(n0) * in;
    } else {
      tile_codes(w, n0, n1, unpacked);
      wc = unpacked.data();
    }
    std::vector<std::int32_t> acc(static_cast<std::size_t>(n1 - n0) * Gs);
    std::int64_t s = 0;
    for (std::size_t m = 0; m < M; ++m) {
      const std::int8_t* xr = x.data() + m * in;
      int n = n0;
      for (; narrow && n + 4 <= n1; n += 4) {
        const std::int8_t* w0 = wc + static_cast<std::size_t>(n - n0) * in;
        for (int g = 0; g < G; ++g) {
          const int k0 = g * gsize, len = std::min(w.in, k0 + gsize) - k0;
          std::int32_t r[4];
          dot4(xr + k0, w0 + k0, w0 + in + k0, w0 + 2 * in + k0, w0 + 3 * in + k0, len, r);
          for (std::size_t j = 0; j < 4; ++j) acc[(static_cast<std::size_t>(n - n0) + j) * Gs + static_cast<std::size_t>(g)] = r[j];
        }
      }
      for (; n < n1; ++n) {
        const std::int8_t* wr = wc + static_cast<std::size_t>(n - n0) * in;
        for (int g = 0; g < G; ++g) {
          const int k0 = g * gsize, len = std::min(w.in, k0 + gsize) - k0;
          acc[static_cast<std::size_t>(n - n0) * Gs + static_cast<std::size_t>(g)] = dot_exact(xr + k0, wr + k0, len, &s);
        }
      }
      f(m, n0, n1, acc.data());
    }
    sat += s;
  });
  if (saturated) *saturated += sat.load();
}

// row(m, n0, n1, acc) for every token m and tile of output channels
// [n0, n1) (at most kOutTile of them), acc = the tile's exact accumulators
// for m, channel n's groups at acc[(n - n0) * groups + g]. Calls for one
// channel tile come from one thread; row must only write outputs of (m, n0..n1).
// The specification (dot4, or INT64 sums with saturation past 131071
// inputs) or the pair kernels: the same bits (tb/golden GemmPairs.*).
template <class Row>
void for_each_accumulator_row(const Int8Tensor& x, const QuantWeights& w, std::int64_t* saturated, Row&& row) {
  if (static_cast<int>(x.dim(1)) != w.in) throw std::invalid_argument("GEMM: inner dimensions differ");
  if (w.in > 0 && pairs_path(x.dim(0), w.group ? w.group : w.in))
    for_each_accumulator_pairs(x, w, std::forward<Row>(row));
  else
    for_each_accumulator_spec(x, w, saturated, std::forward<Row>(row));
}
// f(m, n, acc) for every token m and output channel n, acc = the channel's
// accumulators, one per weight group (for_each_accumulator_row, channel by channel).
template <class F>
void for_each_accumulator(const Int8Tensor& x, const QuantWeights& w, std::int64_t* saturated, F&& f) {
  const auto Gs = static_cast<std::size_t>(w.groups());
  for_each_accumulator_row(x, w, saturated, [&](std::size_t m, int n0, int n1, const std::int32_t* acc) {
    for (int n = n0; n < n1; ++n) f(m, n, std::span<const std::int32_t>(acc + static_cast<std::size_t>(n - n0) * Gs, Gs));
  });
}

float ratio_fp32(float num, float den) {  // host-precomputed constant: double, then one rounding
  return static_cast<float>(static_cast<double>(num) / static_cast<double>(den));
}

}  // namespace

std::vector<std::int32_t> gemm_accumulate(const Int8Tensor& x, const QuantWeights& w, std::int64_t* saturated) {
  const auto G = static_cast<std::size_t>(w.groups()), N = static_cast<std::size_t>(w.out);
  std::vector<std::int32_t> acc(x.dim(0) * N * G);
  for_each_accumulator(x, w, saturated, [&](std::size_t m, int n, std::span<const std::int32_t> a) {
    std::copy(a.begin(), a.end(), acc.begin() + static_cast<std::ptrdiff_t>((m * N + static_cast<std::size_t>(n)) * G));
  });
  return acc;
}

namespace {
// Output channel n's scale: one per channel, one for all, or 1 (FP16/FP32 outputs).
float out_scale(const GemmScales& s, int n) {
  return s.out.empty() ? 1.0f : s.out[s.out.size() == 1 ? 0 : static_cast<std::size_t>(n)];
}
}  // namespace

float requant_value(std::span<const std::int32_t> acc, const QuantWeights& w, int n, const GemmScales& s,
                    const RequantPolicy& p) {
  const float s_out = out_scale(s, n);
  const auto G = static_cast<std::size_t>(w.groups());
  return requant_value(acc, std::span(w.scales).subspan(static_cast<std::size_t>(n) * G, G), w.group != 0, s.act,
                       s_out, p);
}

float requant_value(std::span<const std::int32_t> acc, std::span<const float> ws, bool grouped, float s_x,
                    float s_out, const RequantPolicy& p) {
  return requant_column_apply(acc, ws, grouped, requant_column_registers(ws, grouped, s_x, s_out, p.order), p);
}

RequantRegisters requant_column_registers(std::span<const float> ws, bool grouped, float s_x, float s_out,
                                          RequantOrder order) {
  if (grouped) return {ratio_fp32(s_x, s_out), 0.0f};
  return requant_registers(order, s_x, ws[0], s_out);
}

float requant_column_apply(std::span<const std::int32_t> acc, std::span<const float> ws, bool grouped,
                           RequantRegisters r, const RequantPolicy& p) {
  const Denormals d = p.denormals;
  if (grouped) {  // per-group weights: scale each group's sum in FP32, in group order
    float y = 0.0f;
    for (std::size_t g = 0; g < ws.size(); ++g) y = ffma(ws[g], static_cast<float>(acc[g]), y, d);
    return fmul(r.a, y, d);
  }
  return requant_apply(p.order, acc[0], r, d);
}

RequantRegisters requant_registers(RequantOrder order, float s_x, float s_w, float s_out) {
  switch (order) {
    case RequantOrder::kActThenWeight:
      return {ratio_fp32(s_x, s_out), s_w};
    case RequantOrder::kWeightThenAct:
      return {ratio_fp32(s_w, s_out), s_x};
    case RequantOrder::kAlpha:
      return {ratio_fp32(fmul(s_w, s_x, Denormals::kPreserve), s_out), 0.0f};
  }
  return {};
}

float requant_apply(RequantOrder order, std::int32_t acc, RequantRegisters r, Denormals d) {
  const float a = static_cast<float>(acc);  // cvt.rn.f32.s32
  switch (order) {
    case RequantOrder::kActThenWeight:
      return fmul(r.a, fmul(r.b, a, d), d);
    case RequantOrder::kWeightThenAct:
      return fmul(fmul(a, r.a, d), r.b, d);
    case RequantOrder::kAlpha:
      return fmul(r.a, a, d);
  }
  return a;
}

std::int8_t requant_int8(float v, const RequantPolicy& p) {
  const NumericsPolicy np{p.rounding, QuantizeOp::kMultiplyReciprocal, Overflow::kSaturate, p.denormals};
  return static_cast<std::int8_t>(code_of_scaled(v, np, kInt8Range));
}

namespace {
// The requantization unit's registers of every output column, computed once
// per GEMM (not once per output: the per-channel constants are a double
// divide each), then requant_value's datapath per accumulator.
class ColumnRequant {
 public:
  ColumnRequant(const QuantWeights& w, const GemmScales& s, const RequantPolicy& p)
      : w_(w), p_(p), G_(static_cast<std::size_t>(w.groups())), regs_(static_cast<std::size_t>(w.out)) {
    for (int n = 0; n < w.out; ++n) {
      regs_[static_cast<std::size_t>(n)] = requant_column_registers(scales(n), w.group != 0, s.act, out_scale(s, n), p.order);
    }
  }
  float operator()(std::span<const std::int32_t> acc, int n) const {
    return requant_column_apply(acc, scales(n), w_.group != 0, regs_[static_cast<std::size_t>(n)], p_);
  }

 private:
  std::span<const float> scales(int n) const { return std::span(w_.scales).subspan(static_cast<std::size_t>(n) * G_, G_); }
  const QuantWeights& w_;
  const RequantPolicy& p_;
  std::size_t G_;
  std::vector<RequantRegisters> regs_;
};
}  // namespace

Int8Tensor gemm_int8_out(const Int8Tensor& x, const QuantWeights& w, const GemmScales& s, const RequantPolicy& p,
                         std::int64_t* saturated_codes) {
  Int8Tensor y({x.dim(0), static_cast<std::size_t>(w.out)});
  std::atomic<std::int64_t> clipped{0};  // an exact count: the same for any thread count
  const ColumnRequant col(w, s, p);
  const auto Gs = static_cast<std::size_t>(w.groups());
  if (kernel_isa() == KernelIsa::kSpec) {  // the specification: requant_int8 per output
    for_each_accumulator(x, w, nullptr, [&](std::size_t m, int n, std::span<const std::int32_t> acc) {
      const float v = col(acc, n);
      if (saturated_codes && rounds_out_of_range(v, p.rounding)) clipped.fetch_add(1, std::memory_order_relaxed);
      y(m, static_cast<std::size_t>(n)) = requant_int8(v, p);
    });
  } else {
    // A tile row's values, then their codes by quantize_batch with scale 1:
    // quantize(v, 1, 1) is code_of_scaled(fmul(v, 1)), and v * 1 is v (a
    // subnormal v rounds to a zero code with or without its flush), so the
    // codes are requant_int8's. Only a code at the range's ends can have
    // been clipped; those are checked one by one.
    const NumericsPolicy np{p.rounding, QuantizeOp::kMultiplyReciprocal, Overflow::kSaturate, p.denormals};
    for_each_accumulator_row(x, w, nullptr, [&](std::size_t m, int n0, int n1, const std::int32_t* acc) {
      std::array<float, kOutTile> v;
      const auto len = static_cast<std::size_t>(n1 - n0);
      for (std::size_t i = 0; i < len; ++i)
        v[i] = col(std::span<const std::int32_t>(acc + i * Gs, Gs), n0 + static_cast<int>(i));
      std::int8_t* out = &y(m, static_cast<std::size_t>(n0));
      quantize_batch(v.data(), 1.0f, 1.0f, out, len, np, kInt8Range);
      if (saturated_codes)
        for (std::size_t i = 0; i < len; ++i)
          if ((out[i] == 127 || out[i] == -128) && rounds_out_of_range(v[i], p.rounding))
            clipped.fetch_add(1, std::memory_order_relaxed);
    });
  }
  if (saturated_codes) *saturated_codes += clipped.load();
  return y;
}

FloatTensor gemm_fp16_out(const Int8Tensor& x, const QuantWeights& w, float act_scale, const RequantPolicy& p) {
  FloatTensor y({x.dim(0), static_cast<std::size_t>(w.out)});
  const GemmScales s{act_scale, {}};
  const ColumnRequant col(w, s, p);
  for_each_accumulator(x, w, nullptr, [&](std::size_t m, int n, std::span<const std::int32_t> acc) {
    y(m, static_cast<std::size_t>(n)) = fp16_to_fp32(fp32_to_fp16(col(acc, n)));
  });
  return y;
}

FloatTensor gemm_fp32_out(const Int8Tensor& x, const QuantWeights& w, float act_scale, const RequantPolicy& p) {
  FloatTensor y({x.dim(0), static_cast<std::size_t>(w.out)});
  const GemmScales s{act_scale, {}};
  const ColumnRequant col(w, s, p);
  for_each_accumulator(x, w, nullptr, [&](std::size_t m, int n, std::span<const std::int32_t> acc) {
    y(m, static_cast<std::size_t>(n)) = col(acc, n);
  });
  return y;
}

OpMix requant_ops(RequantOrder /*order*/, int weight_groups, bool int8_out) {
  // Every order is two multiplies per channel (the third factor a constant).
  OpMix m = OpMix::of(DatapathOp::kFp32Convert, weight_groups);
  if (weight_groups > 1) {
    m(DatapathOp::kFp32Fma, weight_groups);
    m(DatapathOp::kFp32Mul);
  } else {
    m(DatapathOp::kFp32Mul, 2);
  }
  m(DatapathOp::kFp32Convert);  // round to INT8, or convert to FP16
  if (int8_out) m(DatapathOp::kCompare, 2);
  return m;
}

}  // namespace mambahw
