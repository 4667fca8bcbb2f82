#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/units.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>

#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/reference_exp.hpp"
#include "mambahw/golden/reference_gemm.hpp"
#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/golden/tiled.hpp"

namespace mambahw {

namespace {

using std::size_t;

size_t sz(int v) { return static_cast<size_t>(v); }

template <class T>
Tensor<T> columns(const Tensor<T>& x, int begin, int end) {  // [M][K] -> [M][end - begin]
  Tensor<T> y({x.dim(0), sz(end - begin)});
  for (size_t i = 0; i < x.dim(0); ++i)
    for (int j = begin; j < end; ++j) y(i, sz(j - begin)) = x(i, sz(j));
  return y;
}

template <class T>
Tensor<T> rows(const Tensor<T>& x, int begin, int end) {  // [C][L] -> [end - begin][L]
  return row_block(x, sz(begin), sz(end));
}

// Rows of the parallel loops over tokens or channels: a fixed tile, so the
// partition does not depend on the thread count (threads.hpp).
constexpr size_t kRowTile = 64;
size_t row_tiles(size_t n) { return (n + kRowTile - 1) / kRowTile; }
template <class F>
void for_row_tiles(size_t n, F&& f) {  // f(begin, end) per tile, in parallel
  parallel_for(row_tiles(n), [&](size_t i) { f(i * kRowTile, std::min(n, (i + 1) * kRowTile)); });
}

Int8Tensor quantize_tensor(const FloatTensor& x, float scale, Rounding r, std::int64_t* saturated = nullptr) {
  const NumericsPolicy p{r, QuantizeOp::kMultiplyReciprocal, Overflow::kSaturate, Denormals::kPreserve};
  const float inv = reciprocal(scale);
  Int8Tensor q({x.dim(0), x.dim(1)});
  std::atomic<std::int64_t> clipped{0};
  for_row_tiles(x.dim(0), [&](size_t r0, size_t r1) {
    std::int64_t n = 0;
    for (size_t i = r0 * x.dim(1); i < r1 * x.dim(1); ++i) {
      q(i) = quantize_activation(x(i), scale, inv, r);
      if (saturated) n += rounds_out_of_range(scaled_value(x(i), scale, inv, p), r);
    }
    clipped += n;
  });
  if (saturated) *saturated += clipped.load();
  return q;
}

QTensor quantize_param(std::span<const float> v, size_t rows_, size_t cols) {
  QTensor t{Int8Tensor({rows_, cols}), 1.0f};
  t.scale = quantize_absmax_int8(v, t.q.vec());
  return t;
}

double silu_d(double v) { return v / (1.0 + std::exp(-v)); }
double softplus_d(double v, bool threshold) { return threshold && v > 20 ? v : std::log1p(std::exp(v)); }

// Reference causal depthwise conv + SiLU in double on FP32 input [C][L].
FloatTensor conv_silu_ref(const FloatTensor& x, const ConvLayer& c) {
  FloatTensor y({x.dim(0), x.dim(1)});
  const auto L = static_cast<long>(x.dim(1));
  parallel_for(sz(c.channels), [&](size_t chi) {
    const int ch = static_cast<int>(chi);
    const ConvSegmentScales& s = c.segment_scales[sz(c.segment_of(ch))];
    const double bias = c.bias.empty() ? 0.0 : static_cast<double>(c.bias[sz(ch)]) * s.b;
    for (long t = 0; t < L; ++t) {
      double acc = bias;
      for (int k = 0; k < c.width; ++k) {
        const long src = t - (c.width - 1) + k;
        if (src >= 0) acc += static_cast<double>(c.w[sz(ch * c.width + k)]) * s.w * x(sz(ch), static_cast<size_t>(src));
      }
      y(sz(ch), static_cast<size_t>(t)) = static_cast<float>(silu_d(acc));
    }
  });
  return y;
}

// The transform's size for d_inner when the scheme turns the Hadamard on.
std::optional<HadamardSize> out_proj_hadamard_size(const QuantizedLayer& q) {
  if (!q.scheme.layer.out_proj_hadamard) return std::nullopt;
  return require_hadamard_size(q.shape.d_inner);
}

// Each row through the orthonormal transform in double, rounded once to FP32.
FloatTensor hadamard_rows(const FloatTensor& x, HadamardSize s) {
  FloatTensor y({x.dim(0), x.dim(1)});
  std::vector<double> row(x.dim(1));
  for (size_t r = 0; r < x.dim(0); ++r) {
    for (size_t c = 0; c < row.size(); ++c) row[c] = x(r, c);
    hadamard_orthonormal(row, s);
    for (size_t c = 0; c < row.size(); ++c) y(r, c) = static_cast<float>(row[c]);
  }
  return y;
}

// out_proj's input [L][d_inner] through the online Hadamard, token by token.
Int8Tensor hadamard_quantize_rows(const FloatTensor& yt, const QuantizedLayer& q, std::int64_t& overflow) {
  const HadamardSize s = *out_proj_hadamard_size(q);
  Int8Tensor out({yt.dim(0), yt.dim(1)});
  const size_t n = yt.dim(1);
  const HadamardQuantPolicy policy = *hadamard_policy(q.scheme);
  std::atomic<std::int64_t> total{0};
  for_row_tiles(yt.dim(0), [&](size_t t0, size_t t1) {
    std::int64_t o = 0;
    for (size_t t = t0; t < t1; ++t)
      o += hadamard_quantize(std::span<const float>(yt.data() + t * n, n), std::span<std::int8_t>(out.data() + t * n, n), s,
                             q.hadamard_multiplier, policy);
    total += o;
  });
  overflow += total.load();
  return out;
}

}  // namespace

RequantPolicy requant_policy(const QuantScheme& s) {
  return {s.layer.gemm_requant, s.layer.gemm_rounding, s.numerics.denormals};
}

SsmPolicy ssm_policy(const QuantScheme& s) {
  return {s.layer.softplus_threshold, s.layer.scan_order, s.numerics.denormals, s.numerics.silu_division,
          s.numerics.units, s.layer.state_reduction, s.layer.state_tree_width};
}

std::optional<HadamardQuantPolicy> hadamard_policy(const QuantScheme& s) {
  if (!s.layer.out_proj_hadamard) return std::nullopt;
  return s.layer.hadamard;
}

OpMix gated_rmsnorm_ops(const ModelShape& m, const QuantScheme& s) {
  using Op = DatapathOp;
  OpMix per_c = OpMix::of(Op::kFp32Mul, 4) + OpMix::of(Op::kFp32Add) +
                divide_ops(s.numerics.silu_division, s.numerics.units.reciprocal) +  // divide, or reciprocal and multiply
                OpMix::of(Op::kFp32Fma) + OpMix::of(Op::kFp32Convert);
  const OpMix per_g = OpMix::of(Op::kFp32Div, 2) + OpMix::of(Op::kFp32Add) + OpMix::of(Op::kFp32Sqrt);
  return per_c * m.d_inner + per_g * m.ngroups;
}


// ---- registers and per-element steps ------------------------------------------------

namespace {
std::size_t in_proj_index(const ModelShape& m, std::string_view name) {
  const std::vector<Segment> segs = m.in_proj_segments();
  for (std::size_t i = 0; i < segs.size(); ++i)
    if (segs[i].name == name) return i;
  throw std::out_of_range("no in_proj segment " + std::string(name));
}
}  // namespace

float in_proj_out_scale(const QuantizedLayer& q, std::string_view segment) {
  return q.in_proj_out_scales[in_proj_index(q.shape, segment)];
}

const QuantWeights& gemm_weights(const QuantizedLayer& q, GemmId id) {
  switch (id) {
    case GemmId::kInProj: return q.in_proj;
    case GemmId::kXProj: return q.x_proj;
    case GemmId::kDtProj: return q.dt_proj;
    case GemmId::kOutProj: return q.out_proj;
  }
  throw std::logic_error("unknown GEMM");
}

GemmScales gemm_scales(const QuantizedLayer& q, GemmId id) {
  switch (id) {
    case GemmId::kInProj: {
      GemmScales s{q.in_scale, {}};
      const std::vector<Segment> segs = q.shape.in_proj_segments();
      for (std::size_t i = 0; i < segs.size(); ++i) s.out.insert(s.out.end(), sz(segs[i].width()), q.in_proj_out_scales[i]);
      return s;
    }
    case GemmId::kXProj: return {q.conv_out.int8_scales[0], {q.x_proj_out_scale}};
    case GemmId::kDtProj: return {q.x_proj_out_scale, {q.dt_proj_out_scale}};
    case GemmId::kOutProj: return {q.out_proj_in_scale, {}};
  }
  throw std::logic_error("unknown GEMM");
}

std::int8_t quantize_activation(float x, float scale, float inv, Rounding r) {
  const NumericsPolicy p{r, QuantizeOp::kMultiplyReciprocal, Overflow::kSaturate, Denormals::kPreserve};
  return static_cast<std::int8_t>(code_of_scaled(scaled_value(x, scale, inv, p), p, kInt8Range));
}

void gated_rmsnorm_group(std::span<const float> y, std::span<const std::int8_t> z, float z_scale,
                         std::span<const float> norm_w, std::span<float> out, const QuantScheme& s) {
  const SsmPolicy sp = ssm_policy(s);
  const Denormals dn = sp.denormals;
  const NumericsPolicy silu_p{s.numerics.rounding, QuantizeOp::kMultiplyReciprocal, Overflow::kSaturate, dn,
                              sp.gate_division, sp.units};
  const std::size_t gs = y.size();
  float ms = 0.0f;
  for (std::size_t c = 0; c < gs; ++c) {
    out[c] = fmul(y[c], silu(fmul(z_scale, static_cast<float>(z[c]), dn), silu_p), dn);
    ms = ffma(out[c], out[c], ms, dn);
  }
  const float mean = fdiv(ms, static_cast<float>(gs), dn);
  const float r = fdiv(1.0f, std::sqrt(fadd(mean, kRmsNormEps, dn)), dn);  // IEEE sqrt: correctly rounded
  for (std::size_t c = 0; c < gs; ++c) out[c] = fmul(fmul(out[c], r, dn), norm_w[c], dn);
}

// ---- reference ----------------------------------------------------------------------

LayerTrace reference_layer(const ModelShape& m, const LayerWeights& w, const FloatTensor& input) {
  LayerTrace tr;
  const int D = m.d_inner, N = m.d_state;
  const size_t L = input.dim(0);
  tr.in_proj_out = reference_matmul(input, w.in_proj);
  const std::vector<Segment> segs = m.in_proj_segments();
  const Segment& zs = segment(segs, "z");
  const int conv0 = segment(segs, "x").begin;  // x (and B, C for Mamba2) in conv order
  const FloatTensor conv_in = transposed(columns(tr.in_proj_out, conv0, conv0 + m.conv_channels()));
  const FloatTensor z = transposed(columns(tr.in_proj_out, zs.begin, zs.end));
  tr.conv_y = conv_silu_ref(conv_in, w.conv);
  tr.ssm_input = rows(tr.conv_y, 0, D);
  FloatTensor y({sz(D), L});
  if (!m.is_mamba2()) {
    tr.x_proj_out = reference_matmul(transposed(tr.ssm_input), w.x_proj);
    tr.dt_proj_out = reference_matmul(columns(tr.x_proj_out, 0, m.dt_rank), w.dt_proj);
    // Eight channels at a time, one per lane of a double vector: each lane
    // runs one channel's scalar recurrence in its order (no sum crosses a
    // lane), so the bits are the channel-by-channel loop's; the lanes hide the
    // latency of the sequential sum over the states. Lanes past D repeat the
    // group's last channel and are not stored. Tokens by chunks of 256 keep
    // the chunk's exp(Δ·A) in L2.
    constexpr int kLanes = 8;
    constexpr size_t kChunk = 256;
    typedef double Lanes __attribute__((vector_size(8 * kLanes)));
    const size_t groups = (sz(D) + kLanes - 1) / kLanes;
    parallel_for(groups, [&](size_t gi) {
      const int d0 = static_cast<int>(gi) * kLanes, nd = std::min(kLanes, D - d0);
      auto chan = [&](int l) { return sz(d0 + std::min(l, nd - 1)); };
      std::vector<double> A(sz(N) * kLanes), dls(kChunk * kLanes), dA(kChunk * sz(N) * kLanes);
      for (int n = 0; n < N; ++n)  // per (d, n), not per token
        for (int l = 0; l < kLanes; ++l)
          A[sz(n) * kLanes + sz(l)] = -std::exp(static_cast<double>(w.a_log(chan(l), sz(n))));
      Lanes skip;
      for (int l = 0; l < kLanes; ++l) skip[l] = static_cast<double>(w.d_skip[chan(l)]);
      std::vector<Lanes> h(sz(N), Lanes{});
      for (size_t t0 = 0; t0 < L; t0 += kChunk) {
        const size_t tl = std::min(kChunk, L - t0);
        // The chunk's exp(Δ·A) for every (token, state, channel) first, in lanes.
        for (size_t t = 0; t < tl; ++t)
          for (int l = 0; l < kLanes; ++l) {
            const double dl = softplus_d(static_cast<double>(tr.dt_proj_out(t0 + t, chan(l))) + w.dt_bias[chan(l)], true);
            dls[t * kLanes + sz(l)] = dl;
            for (int n = 0; n < N; ++n) dA[(t * sz(N) + sz(n)) * kLanes + sz(l)] = dl * A[sz(n) * kLanes + sz(l)];
          }
        reference_exp_batch(dA.data(), dA.data(), tl * sz(N) * kLanes);
        for (size_t t = 0; t < tl; ++t) {
          Lanes dl, x, da;
          std::memcpy(&dl, &dls[t * kLanes], sizeof dl);
          for (int l = 0; l < kLanes; ++l) x[l] = tr.ssm_input(chan(l), t0 + t);
          Lanes out = skip * x;
          for (int n = 0; n < N; ++n) {
            const double B = tr.x_proj_out(t0 + t, sz(m.dt_rank + n)), C = tr.x_proj_out(t0 + t, sz(m.dt_rank + N + n));
            std::memcpy(&da, &dA[(t * sz(N) + sz(n)) * kLanes], sizeof da);
            h[sz(n)] = da * h[sz(n)] + dl * B * x;  // (exp(Δ·A) * h) + ((Δ * B) * x), as the scalar loop
            out = out + h[sz(n)] * C;
          }
          for (int l = 0; l < nd; ++l)
            y(sz(d0 + l), t0 + t) = static_cast<float>(out[l] * silu_d(z(sz(d0 + l), t0 + t)));
        }
      }
    });
  } else {
    const int H = m.nheads, P = m.headdim, G = m.ngroups, hpg = H / G;
    const int dt0 = segment(segs, "dt").begin;
    // dt per (head, token), once for the head's P channels.
    std::vector<double> dts(sz(H) * L);
    parallel_for(sz(H), [&](size_t h) {
      for (size_t t = 0; t < L; ++t)
        dts[h * L + t] = softplus_d(static_cast<double>(tr.in_proj_out(t, sz(dt0) + h)) + w.dt_bias[h], false);
    });
    parallel_for(sz(H) * sz(P), [&](size_t chi) {
      const int h = static_cast<int>(chi / sz(P)), p = static_cast<int>(chi % sz(P));
      const int g = h / hpg;
      const double A = -std::exp(static_cast<double>(w.a_log(sz(h), 0)));
      {
        const int ch = h * P + p;
        std::vector<double> st(sz(N), 0.0), dAs(L);
        for (size_t t = 0; t < L; ++t) dAs[t] = dts[sz(h) * L + t] * A;
        reference_exp_batch(dAs.data(), dAs.data(), L);  // one per (channel, token): the states share it
        for (size_t t = 0; t < L; ++t) {
          const double dt = dts[sz(h) * L + t];
          const double x = tr.conv_y(sz(ch), t);
          const double dA = dAs[t];
          double acc = static_cast<double>(w.d_skip[sz(h)]) * x;
          for (int n = 0; n < N; ++n) {
            const double B = tr.conv_y(sz(D + g * N + n), t), C = tr.conv_y(sz(D + G * N + g * N + n), t);
            st[sz(n)] = dA * st[sz(n)] + dt * B * x;
            acc += st[sz(n)] * C;
          }
          y(sz(ch), t) = static_cast<float>(acc * silu_d(z(sz(ch), t)));
        }
      }
    });
    const int gs = D / G;  // gated RMSNorm per group of d_inner / ngroups channels
    for (size_t t = 0; t < L; ++t)
      for (int g = 0; g < G; ++g) {
        double ms = 0;
        for (int c = g * gs; c < (g + 1) * gs; ++c) ms += static_cast<double>(y(sz(c), t)) * y(sz(c), t);
        const double r = 1.0 / std::sqrt(ms / gs + 1e-5);
        for (int c = g * gs; c < (g + 1) * gs; ++c) y(sz(c), t) = static_cast<float>(y(sz(c), t) * r * w.norm_w[sz(c)]);
      }
  }
  tr.ssm_out = y;
  tr.out = reference_matmul(transposed(y), w.out_proj);
  return tr;
}

// ---- calibration ------------------------------------------------------------------

QuantizedLayer quantize_layer(const ModelShape& m, const QuantScheme& s, const LayerWeights& w,
                              const std::vector<FloatTensor>& calib) {
  QuantizedLayer q;
  q.shape = m;
  q.scheme = s;
  q.program = layer_program(m, s);
  const std::optional<HadamardSize> hadamard = out_proj_hadamard_size(q);
  const std::vector<Segment> segs = m.in_proj_segments();
  MinMaxObserver in_obs, xo_obs, dt_obs, y_obs;
  std::vector<MinMaxObserver> seg_obs(segs.size());
  std::vector<FloatTensor> conv_batches;
  for (const FloatTensor& x : calib) {
    const LayerTrace r = reference_layer(m, w, x);
    in_obs.observe(x.vec());
    for (size_t sgi = 0; sgi < seg_obs.size(); ++sgi)
      seg_obs[sgi].observe(columns(r.in_proj_out, segs[sgi].begin, segs[sgi].end).vec());
    if (!m.is_mamba2()) {
      xo_obs.observe(r.x_proj_out.vec());
      dt_obs.observe(r.dt_proj_out.vec());
    }
    if (hadamard) {
      y_obs.observe(hadamard_rows(transposed(r.ssm_out), *hadamard).vec());
    } else {
      y_obs.observe(r.ssm_out.vec());
    }
    conv_batches.push_back(r.conv_y);
  }
  q.in_scale = in_obs.scale();
  for (auto& o : seg_obs) q.in_proj_out_scales.push_back(o.scale());
  // Every scheme gets a calibrated dual-scale format so that mode 3 can run.
  QuantScheme sd = s;
  if (sd.ssm_input != SsmInputFormat::kDualScale) {
    sd.ssm_input = SsmInputFormat::kDualScale;
    sd.dual = DualScaleSpec{};
  }
  q.conv_out = calibrate_conv_out(sd, m, conv_batches);
  q.conv_out.numerics = s.numerics;

  const WeightPrecision wp = weight_precision(s);
  const int wg = s.layer.weight_group;
  q.in_proj = quantize_weights(w.in_proj, wp, wg);
  // Offline rotation W·Tᵀ: row r of out_proj becomes T·w_r, so that
  // (W·Tᵀ)·(T·y) = W·y for the orthonormal T.
  q.out_proj = quantize_weights(hadamard ? hadamard_rows(w.out_proj, *hadamard) : w.out_proj, wp, wg);
  q.conv = w.conv;
  // Each conv segment (x, and B, C for Mamba2) reads its in_proj segment's scale.
  const std::vector<Segment> conv_segs = m.conv_segments();
  for (size_t sgi = 0; sgi < q.conv.segment_scales.size(); ++sgi)
    for (size_t k = 0; k < segs.size(); ++k)
      if (segs[k].name == conv_segs[sgi].name) q.conv.segment_scales[sgi].x = q.in_proj_out_scales[k];
  q.a_log = quantize_param(w.a_log.vec(), w.a_log.dim(0), w.a_log.dim(1));
  q.d_skip = quantize_param(w.d_skip, w.d_skip.size(), 1);
  if (!m.is_mamba2()) {
    q.x_proj = quantize_weights(w.x_proj, wp, wg);
    q.dt_proj = quantize_weights(w.dt_proj, wp, wg);
    q.x_proj_out_scale = xo_obs.scale();
    q.dt_proj_out_scale = dt_obs.scale();
    q.delta_bias = quantize_param(w.dt_bias, w.dt_bias.size(), 1);
  } else {
    q.dt_bias = w.dt_bias;
    q.norm_w = w.norm_w;
  }
  q.out_proj_in_scale = y_obs.scale();
  if (hadamard) q.hadamard_multiplier = hadamard_quant_multiplier(hadamard->n(), q.out_proj_in_scale);
  return q;
}

// ---- the quantized layer ------------------------------------------------------------

namespace {

// The SSM input of the x channels [0, D) under `mode`, with its statistics.
FloatTensor ssm_input(const QuantizedLayer& q, const FloatTensor& y, const Int8Tensor& codes, SsmInputMode mode,
                      LayerTrace& tr) {
  const int D = q.shape.d_inner;
  const NumericsPolicy& np = q.conv_out.numerics;
  const Denormals dn = np.denormals;
  FloatTensor u({sz(D), y.dim(1)});
  const size_t L = y.dim(1);
  tr.ssm_elements = static_cast<std::int64_t>(sz(D) * L);
  std::atomic<std::int64_t> flagged{0};
  parallel_for(sz(D), [&](size_t ci) {
    const int c = static_cast<int>(ci);
    std::int64_t flags = 0;
    const float s = q.conv_out.int8_scales[sz(c)];
    const float inv = inv_scale_register(s, np);
    for (size_t t = 0; t < L; ++t) {
      const float v = y(sz(c), t);
      float out = v;
      switch (mode) {
        case SsmInputMode::kInt8:  // the dequant stage
          out = dequant(codes(sz(c), t), s, dn);
          break;
        case SsmInputMode::kFp32:
          break;
        case SsmInputMode::kFp32OnGrid: {  // fake quantization, as a float simulator writes it
          const float grid = static_cast<float>(quantize(v, s, inv, np)) * s;
          out = grid;
          break;
        }
        case SsmInputMode::kDualScale: {
          const DualScaleFormat& f = *q.conv_out.dual;
          const DualScaleCode dc = quantize_dual(v, f, np);
          flags += dc.flag;
          out = dequant_dual(dc, f, dn);
          break;
        }
      }
      u(sz(c), t) = out;
    }
    flagged += flags;
  });
  tr.flagged += flagged.load();
  return u;
}

std::int64_t count_saturated(const FloatTensor& y, std::span<const float> scales, const NumericsPolicy& np, int rows_) {
  std::atomic<std::int64_t> n{0};
  parallel_for(sz(rows_), [&](size_t c) {
    const float s = scales[c], inv = inv_scale_register(s, np);
    std::int64_t k = 0;
    for (size_t t = 0; t < y.dim(1); ++t) k += rounds_out_of_range(scaled_value(y(c, t), s, inv, np), np.rounding);
    n += k;
  });
  return n.load();
}

FloatTensor gated_rmsnorm(const QuantizedLayer& q, const FloatTensor& y, const Int8Tensor& z_codes, float z_scale) {
  const ModelShape& m = q.shape;
  const int D = m.d_inner, gs = D / m.ngroups;
  const size_t L = y.dim(1);
  FloatTensor out({y.dim(0), L});
  const size_t tiles = row_tiles(L);  // (group, token tile) pairs, each on its own
  parallel_for(sz(m.ngroups) * tiles, [&](size_t i) {
    const int grp = static_cast<int>(i / tiles);
    const size_t t0 = (i % tiles) * kRowTile, t1 = std::min(L, t0 + kRowTile);
    std::vector<float> yg(sz(gs)), og(sz(gs)), wg(sz(gs));
    std::vector<std::int8_t> zg(sz(gs));
    std::copy(q.norm_w.begin() + grp * gs, q.norm_w.begin() + (grp + 1) * gs, wg.begin());
    for (size_t t = t0; t < t1; ++t) {
      for (int c = 0; c < gs; ++c) {
        yg[sz(c)] = y(sz(grp * gs + c), t);
        zg[sz(c)] = z_codes(sz(grp * gs + c), t);
      }
      gated_rmsnorm_group(yg, zg, z_scale, wg, og, q.scheme);
      for (int c = 0; c < gs; ++c) out(sz(grp * gs + c), t) = og[sz(c)];
    }
  });
  return out;
}

}  // namespace

namespace {

// The program's tensors as the golden layer holds them, each in its layout.
struct Store {
  std::map<std::string, Int8Tensor> i8;
  std::map<std::string, Tensor<std::uint16_t>> words;  // dual-scale words
  std::map<std::string, FloatTensor> f;                // FP16 values (widened exactly) and FP32
  LayerState* state = nullptr;                         // carried in and out; null: a fresh sequence, not kept
};

// x [C][T] joined after `head` [C][H]: [C][H + T].
Int8Tensor append_columns(const Int8Tensor& head, const Int8Tensor& x) {
  const size_t C = x.dim(0), H = head.dim(1), T = x.dim(1);
  Int8Tensor y({C, H + T});
  for (size_t c = 0; c < C; ++c) {
    std::copy_n(&head(c, 0), H, &y(c, 0));
    std::copy_n(&x(c, 0), T, &y(c, H));
  }
  return y;
}

// A GEMM's [L][K] input from its tensor's layout.
Int8Tensor gemm_input(const Store& st, const TensorSpec& t) {
  const Int8Tensor& x = st.i8.at(t.name);
  return t.layout == Layout::kChannelMajor ? transposed(x) : x;
}

// A GEMM's [L][N] output split into its output tensors, consecutive column
// ranges of their per-token widths, each stored in its layout.
template <class T>
void put_outputs(std::map<std::string, Tensor<T>>& to, const LayerProgram& prog, const OpSpec& op, const Tensor<T>& y) {
  int begin = 0;
  for (const std::string& name : op.outputs) {
    const TensorSpec& t = prog.tensor(name);
    const int end = begin + static_cast<int>(t.per_token);
    const Tensor<T> seg = columns(y, begin, end);
    to[name] = t.layout == Layout::kChannelMajor ? transposed(seg) : seg;
    begin = end;
  }
}

void run_gemm(const QuantizedLayer& q, const OpSpec& op, Store& st, LayerTrace& tr) {
  const GemmSpec& g = *op.gemm;
  const TensorSpec& in = q.program.tensor(op.inputs.at(0));
  const QuantWeights& w = gemm_weights(q, g.id);
  const GemmScales sc = gemm_scales(q, g.id);
  const RequantPolicy rp = requant_policy(q.scheme);
  Int8Tensor x;
  if (g.in == ElementFormat::kInt8) {
    x = gemm_input(st, in);
  } else {  // an FP16 tensor, requantized on the way in (out_proj without the Hadamard)
    const FloatTensor& y = st.f.at(in.name);
    x = quantize_tensor(in.layout == Layout::kChannelMajor ? transposed(y) : y, sc.act, q.scheme.numerics.rounding,
                        &tr.out_proj_in_overflow);
  }
  if (g.out == ElementFormat::kInt8) {
    put_outputs(st.i8, q.program, op, gemm_int8_out(x, w, sc, rp, &tr.gemm_saturated));
  } else {
    put_outputs(st.f, q.program, op, gemm_fp16_out(x, w, sc.act, rp));
  }
}

void run_conv(const QuantizedLayer& q, const OpSpec& op, Store& st, LayerTrace& tr) {
  const ModelShape& m = q.shape;
  const int D = m.d_inner;
  const Int8Tensor& x = st.i8.at(op.inputs.at(0));  // [conv channels][L]
  if (st.state) {
    // From a carried conv state: the same conv over the state's W - 1 inputs
    // followed by x, whose first W - 1 outputs (the ones that would see the
    // zero padding) are dropped; the new state is the last W - 1 inputs.
    // (The quantizer is per element: quantizing the kept columns is the same.)
    const Int8Tensor ext = append_columns(st.state->conv, x);
    const size_t W1 = st.state->conv.dim(1), T = x.dim(1);
    FloatTensor y;
    Int8Tensor codes;
    conv1d_silu_quantize_tiled(ext, q.conv, q.scheme.conv_order, q.conv_out.numerics, q.conv_out.int8_scales, y, codes);
    tr.conv_y = FloatTensor({y.dim(0), T});
    tr.conv_codes = Int8Tensor({y.dim(0), T});
    for (size_t c = 0; c < y.dim(0); ++c) {
      std::copy_n(&y(c, W1), T, &tr.conv_y(c, 0));
      std::copy_n(&codes(c, W1), T, &tr.conv_codes(c, 0));
      std::copy_n(&ext(c, T), W1, &st.state->conv(c, 0));
    }
  } else {
    conv1d_silu_quantize_tiled(x, q.conv, q.scheme.conv_order, q.conv_out.numerics, q.conv_out.int8_scales, tr.conv_y,
                               tr.conv_codes);
  }
  tr.conv_elements = static_cast<std::int64_t>(sz(D) * tr.conv_y.dim(1));
  const size_t L = tr.conv_y.dim(1);
  for (const std::string& name : op.outputs) {
    if (name == "u_int8") {
      st.i8[name] = rows(tr.conv_codes, 0, D);
    } else if (name == "bc") {
      st.i8[name] = rows(tr.conv_codes, D, m.conv_channels());
    } else if (name == "u_dual") {
      const DualScaleFormat& f = *q.conv_out.dual;
      Tensor<std::uint16_t> wds({sz(D), L});
      for_row_tiles(sz(D), [&](size_t c0, size_t c1) {
        for (size_t i = c0 * L; i < c1 * L; ++i)
          wds(i) = pack_dual(quantize_dual(tr.conv_y(i), f, q.conv_out.numerics), f.code_bits());
      });
      st.words[name] = std::move(wds);
    } else {
      throw std::logic_error("conv op: unknown output " + name);
    }
  }
}

void run_ssm(const QuantizedLayer& q, const OpSpec& op, Store& st, LayerTrace& tr, SsmInputMode mode,
             const FloatTensor* ssm_input_override) {
  const ModelShape& m = q.shape;
  const int D = m.d_inner, N = m.d_state;
  tr.ssm_input = ssm_input(q, tr.conv_y, st.i8.count("u_int8") ? st.i8.at("u_int8") : rows(tr.conv_codes, 0, D), mode, tr);
  if (ssm_input_override) {
    if (ssm_input_override->dim(0) != tr.ssm_input.dim(0) || ssm_input_override->dim(1) != tr.ssm_input.dim(1))
      throw std::invalid_argument("run_layer: the SSM-input override has the wrong shape");
    tr.ssm_input = *ssm_input_override;
  }
  if (mode == SsmInputMode::kInt8 || mode == SsmInputMode::kFp32OnGrid)
    tr.conv_saturated = count_saturated(tr.conv_y, q.conv_out.int8_scales, q.conv_out.numerics, D);
  const SsmPolicy sp = ssm_policy(q.scheme);
  const Int8Tensor& z = st.i8.at("z");
  const float z_scale = q.in_proj_out_scales[in_proj_index(m, "z")];
  const Int8Tensor& bc = st.i8.at("bc");
  FloatTensor y;
  if (op.kind == OpKind::kSelectiveScan) {
    Mamba1Ssm s;
    s.delta = {st.i8.at("delta"), q.dt_proj_out_scale};
    s.delta_bias = q.delta_bias;
    s.a_log = q.a_log;
    s.b = {rows(bc, 0, N), q.x_proj_out_scale};
    s.c = {rows(bc, N, 2 * N), q.x_proj_out_scale};
    s.d_skip = q.d_skip;
    s.z = {z, z_scale};
    if (st.state) {  // the tiled scan starts from zeros; a carried state takes the whole-tensor kernel
      Mamba1ScanState kept;
      y = mamba1_selective_scan(tr.ssm_input, s, sp, Mamba1ScanIo{&st.state->ssm, std::nullopt, &kept});
      st.state->ssm = std::move(kept.final_state);
    } else {
      y = mamba1_selective_scan_tiled(tr.ssm_input, s, sp);
    }
  } else {
    const int G = m.ngroups, gn = G * N;
    Mamba2Ssm s;
    s.nheads = m.nheads;
    s.headdim = m.headdim;
    s.ngroups = G;
    s.d_state = N;
    s.dt = {st.i8.at("dt"), q.in_proj_out_scales[in_proj_index(m, "dt")]};
    s.dt_bias = q.dt_bias;
    s.a_log = q.a_log;
    s.b = rows(bc, 0, gn);
    s.c = rows(bc, gn, 2 * gn);
    for (int g = 0; g < G; ++g) {
      s.b_scale.push_back(q.conv_out.int8_scales[sz(D + g * N)]);
      s.c_scale.push_back(q.conv_out.int8_scales[sz(D + gn + g * N)]);
    }
    s.d_skip = q.d_skip;
    if (st.state) {  // the tiled SSM starts from zeros; a carried state takes the whole-tensor kernel
      FloatTensor kept;
      y = gated_rmsnorm(q, mamba2_ssm(tr.ssm_input, s, sp, &st.state->ssm, &kept), z, z_scale);
      st.state->ssm = std::move(kept);
    } else {
      y = gated_rmsnorm(q, mamba2_ssm(tr.ssm_input, s, sp), z, z_scale);
    }
    fp16_round_batch(y.data(), y.data(), y.size());  // y is stored as FP16 (the program's format)
  }
  tr.ssm_out = y;
  st.f[op.outputs.at(0)] = std::move(y);
}

void run_hadamard(const QuantizedLayer& q, const OpSpec& op, Store& st, LayerTrace& tr) {
  const TensorSpec& in = q.program.tensor(op.inputs.at(0));
  const FloatTensor& y = st.f.at(in.name);
  st.i8[op.outputs.at(0)] =
      hadamard_quantize_rows(in.layout == Layout::kChannelMajor ? transposed(y) : y, q, tr.out_proj_in_overflow);
}

}  // namespace

namespace {

// A layer pass in two parts: the ops before the first SSM op do not depend
// on the SSM-input mode (x_proj reads the INT8 codes in every mode), the SSM
// op and everything after it do.
struct Pass {
  LayerTrace tr;
  Store st;
};

bool is_ssm(const OpSpec& op) { return op.kind == OpKind::kSelectiveScan || op.kind == OpKind::kSsdScanNorm; }

void run_ops(const QuantizedLayer& q, Pass& p, bool before_ssm, SsmInputMode mode, const FloatTensor* ssm_input_override) {
  bool past = false;
  for (const OpSpec& op : q.program.ops) {
    past = past || is_ssm(op);
    if (past == before_ssm) continue;
    switch (op.kind) {
      case OpKind::kGemm: run_gemm(q, op, p.st, p.tr); break;
      case OpKind::kConvSiluQuantize: run_conv(q, op, p.st, p.tr); break;
      case OpKind::kSelectiveScan:
      case OpKind::kSsdScanNorm: run_ssm(q, op, p.st, p.tr, mode, ssm_input_override); break;
      case OpKind::kHadamardQuantize: run_hadamard(q, op, p.st, p.tr); break;
    }
  }
}

Pass mode_independent_part(const QuantizedLayer& q, const FloatTensor& input, LayerState* state) {
  Pass p;
  p.st.state = state;  // carried in and out (null: a fresh sequence)
  // The layer's input quantizer: outside the program (the host, or the previous layer, writes INT8 hidden).
  p.st.i8[q.program.input] = quantize_tensor(input, q.in_scale, q.scheme.numerics.rounding);
  run_ops(q, p, true, SsmInputMode::kInt8, nullptr);
  return p;
}

LayerTrace finish(const QuantizedLayer& q, Pass p, SsmInputMode mode, const FloatTensor* ssm_input_override) {
  if (mode == SsmInputMode::kDualScale && !q.conv_out.dual)
    throw std::invalid_argument("SSM-input mode 3 needs a calibrated dual-scale format");
  run_ops(q, p, false, mode, ssm_input_override);
  LayerTrace& tr = p.tr;
  tr.out = p.st.f.at("out");
  tr.int8 = std::move(p.st.i8);
  tr.words = std::move(p.st.words);
  tr.fp = std::move(p.st.f);
  return std::move(tr);
}

LayerTrace run_program(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode,
                       const FloatTensor* ssm_input_override, LayerState* state);
}  // namespace

LayerTrace run_layer(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode, const FloatTensor* ssm_input_override) {
  return run_program(q, input, mode, ssm_input_override, nullptr);
}

LayerState fresh_state(const ModelShape& m) {
  LayerState s;
  s.conv = Int8Tensor({sz(m.conv_channels()), sz(m.d_conv - 1)});
  s.ssm = FloatTensor({sz(m.d_inner), sz(m.d_state)});
  return s;
}

LayerTrace run_layer(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode, LayerState& state,
                     const FloatTensor* ssm_input) {
  const ModelShape& m = q.shape;
  if (state.conv.rank() != 2 || state.conv.dim(0) != sz(m.conv_channels()) || state.conv.dim(1) != sz(m.d_conv - 1) ||
      state.ssm.rank() != 2 || state.ssm.dim(0) != sz(m.d_inner) || state.ssm.dim(1) != sz(m.d_state))
    throw std::invalid_argument("run_layer: the layer state has the wrong shape (want fresh_state's)");
  return run_program(q, input, mode, ssm_input, &state);
}

Continuation run_continuation(const QuantizedLayer& q, const FloatTensor& prompt, const FloatTensor& decode_inputs,
                              SsmInputMode mode) {
  Continuation c;
  c.state = fresh_state(q.shape);
  c.prefill = run_layer(q, prompt, mode, c.state);
  const size_t dm = decode_inputs.dim(1);
  for (size_t t = 0; t < decode_inputs.dim(0); ++t) {
    FloatTensor x({1, dm});
    std::copy_n(&decode_inputs(t, 0), dm, x.data());
    c.decode.push_back(run_layer(q, x, mode, c.state));
  }
  return c;
}

namespace {
LayerTrace run_program(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode,
                       const FloatTensor* ssm_input_override, LayerState* state) {
  if (mode == SsmInputMode::kDualScale && !q.conv_out.dual)
    throw std::invalid_argument("SSM-input mode 3 needs a calibrated dual-scale format");
  return finish(q, mode_independent_part(q, input, state), mode, ssm_input_override);
}
}  // namespace

void run_layer_modes(const QuantizedLayer& q, const FloatTensor& input, std::span<const SsmInputMode> modes,
                     const std::function<void(SsmInputMode, LayerTrace&&)>& observe) {
  for (SsmInputMode mode : modes)
    if (mode == SsmInputMode::kDualScale && !q.conv_out.dual)
      throw std::invalid_argument("SSM-input mode 3 needs a calibrated dual-scale format");
  if (modes.empty()) return;
  Pass shared = mode_independent_part(q, input, nullptr);
  for (std::size_t i = 0; i < modes.size(); ++i) {
    const bool last = i + 1 == modes.size();
    observe(modes[i], finish(q, last ? std::move(shared) : shared, modes[i], nullptr));
  }
}

SsmInputMode accelerator_mode(const QuantScheme& s) {
  return s.ssm_input == SsmInputFormat::kDualScale ? SsmInputMode::kDualScale : SsmInputMode::kInt8;
}


}  // namespace mambahw
