#include "mambahw/golden/ssm.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "exp_unit_core.hpp"
#include "simd.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/golden/units.hpp"
#include "mambahw/golden/vector_clones.hpp"

namespace mambahw {

namespace {
constexpr float kLn2Hi = 0x1.62e3p-1f;     // 17 significant bits: k * kLn2Hi is exact for |k| <= 128
constexpr float kLn2Lo = 0x1.2fefa4p-17f;  // ln2 - kLn2Hi
constexpr float kSqrt2 = 0x1.6a09e6p+0f;
}  // namespace

namespace {
// The definition, tallying its datapath operations (unit_ops.hpp): the
// halving of m and the doubling of s are exponent adjustments.
template <class Tally>
float log1p_unit_impl(float v, Denormals d, Tally& tally) {
  v = ftz_if(v, d);
  tally(DatapathOp::kCompare, 3);  // v < -1 (NaN), v == -1, |v| < 2^-24; Inf by its exponent
  if (std::isnan(v) || v < -1.0f) return canonicalize_nan(std::numeric_limits<float>::quiet_NaN());
  if (v == -1.0f) return -std::numeric_limits<float>::infinity();
  if (std::isinf(v)) return v;
  if (std::fabs(v) < 0x1p-24f) return v;  // log1p(v) = v - v^2/2 rounds to v
  tally(DatapathOp::kFp32Add);
  const float u = fadd(1.0f, v, d);
  // u >= 2^-24 is normal: split exponent and significand exactly from the bits.
  int k = static_cast<int>(bits_of(u) >> 23) - 127;
  float m = float_of((bits_of(u) & 0x007F'FFFFu) | 0x3F80'0000u);
  tally(DatapathOp::kCompare);
  if (m >= kSqrt2) {
    m = m * 0.5f;  // exact
    ++k;
  }
  float f, c;
  if (k == 0) {
    f = v;  // 1 + v was not needed: no rounding to correct
    c = 0.0f;
  } else {
    tally(DatapathOp::kFp32Add, 3);
    tally(DatapathOp::kFp32Div);
    f = m - 1.0f;  // exact (Sterbenz)
    c = fdiv(fadd(v, -fadd(u, -1.0f, d), d), u, d);
  }
  tally(DatapathOp::kFp32Add);
  tally(DatapathOp::kFp32Div);
  const float s = fdiv(f, fadd(2.0f, f, d), d);
  tally(DatapathOp::kFp32Mul);
  const float z = fmul(s, s, d);
  float r = 0x1.c71c72p-3f;  // 2/9
  tally(DatapathOp::kFp32Fma, 3);
  r = ffma(r, z, 0x1.24924ap-2f, d);  // 2/7
  r = ffma(r, z, 0x1.99999ap-2f, d);  // 2/5
  r = ffma(r, z, 0x1.555556p-1f, d);  // 2/3
  tally(DatapathOp::kFp32Mul);
  r = fmul(r, z, d);
  tally(DatapathOp::kFp32Fma);
  const float logm = ffma(s, r, 2.0f * s, d);
  tally(DatapathOp::kFp32Convert);
  const auto kf = static_cast<float>(k);
  tally(DatapathOp::kFp32Fma, 2);
  tally(DatapathOp::kFp32Add);
  const float low = fadd(ffma(kf, kLn2Lo, c, d), logm, d);
  return ffma(kf, kLn2Hi, low, d);
}
}  // namespace

float log1p_unit(float v, Denormals d) {
  NoTally t;
  return log1p_unit_impl(v, d, t);
}

OpMix log1p_unit_ops() {
  OpMix m;
  (void)log1p_unit_impl(3.0f, Denormals::kPreserve, m);  // u = 4: the k != 0 path
  return m;
}

float softplus(float x, bool threshold, Denormals d) {
  if (threshold && !(x <= 20.0f)) return canonicalize_nan(x);  // setp.gtu: NaN takes this branch
  return log1p_unit(exp_unit(x, d), d);
}

OpMix softplus_ops(bool threshold) {
  OpMix m = exp_unit_ops() + log1p_unit_ops();
  if (threshold) m(DatapathOp::kCompare);
  return m;
}

float reduce_states(const float* h, const float* c, std::size_t n, float acc, StateReduction r, int tree_width,
                    Denormals d, std::vector<float>& scratch) {
  if (r == StateReduction::kSequential) {
    for (std::size_t i = 0; i < n; ++i) acc = ffma(h[i], c[i], acc, d);
    return acc;
  }
  if (tree_width < 1) throw std::invalid_argument("reduce_states: tree width " + std::to_string(tree_width));
  const auto W = static_cast<std::size_t>(tree_width);
  scratch.resize(std::min(n, W));
  for (std::size_t g0 = 0; g0 < n; g0 += W) {  // one adder tree per group of W lanes
    const std::size_t m = std::min(W, n - g0);
    for (std::size_t i = 0; i < m; ++i) scratch[i] = fmul(h[g0 + i], c[g0 + i], d);
    for (std::size_t w = 1; w < m; w *= 2)
      for (std::size_t i = 0; i + w < m; i += 2 * w) scratch[i] = fadd(scratch[i], scratch[i + w], d);
    acc = fadd(acc, scratch[0], d);
  }
  return acc;
}

ScanElem scan_combine(ScanElem l, ScanElem r, Denormals d) {
  return {fmul(r.a, l.a, d), ffma(r.a, l.b, r.b, d)};
}

Mamba1StepOut mamba1_scan_step(const Mamba1StepIn& in, Denormals d) {
  Mamba1StepOut o;
  o.a = exp_unit(-fmul(in.dl, in.e, d), d);
  o.h = ffma(o.a, in.h, fmul(in.b, in.du, d), d);
  o.y = ffma(o.h, in.c, in.y, d);
  return o;
}

void scan_sequential(std::span<const float> a, std::span<const float> b, std::span<float> h, Denormals d,
                     float h0) {
  float s = h0;
  for (std::size_t t = 0; t < a.size(); ++t) h[t] = s = ffma(a[t], s, b[t], d);
}

BlockShape quamba_block_shape(int len) {
  if (len <= 128) return {32, 4};
  if (len <= 256) return {32, 8};
  if (len <= 512) return {32, 16};
  if (len <= 1024) return {64, 16};
  return {128, 16};
}

// cub::BlockScan<WARP_SCANS> exclusive scan with a running block prefix, then
// each thread's sequential inclusive fold, as quamba-arithmetic.md §3 lists.
void scan_block(std::span<const float> a, std::span<const float> b, std::span<float> h, Denormals d, float h0,
                std::span<float> chunk_state) {
  const int len = static_cast<int>(a.size());
  const BlockShape bs = quamba_block_shape(len);
  const int T = bs.threads, I = bs.items, W = T / 32, chunk = T * I;
  auto op = [d](ScanElem l, ScanElem r) { return scan_combine(l, r, d); };
  std::vector<ScanElem> item(static_cast<std::size_t>(chunk)), agg(static_cast<std::size_t>(T)),
      incl(static_cast<std::size_t>(T)), prev(static_cast<std::size_t>(T)), excl(static_cast<std::size_t>(T));
  std::vector<ScanElem> warp_prefix(static_cast<std::size_t>(W));
  ScanElem P{1.0f, h0};
  for (int c0 = 0; c0 < len; c0 += chunk) {
    for (int i = 0; i < chunk; ++i) {
      const int t = c0 + i;
      item[static_cast<std::size_t>(i)] = t < len ? ScanElem{a[static_cast<std::size_t>(t)], b[static_cast<std::size_t>(t)]}
                                                  : ScanElem{1.0f, 0.0f};
    }
    // 1. each thread left-folds its items
    for (int j = 0; j < T; ++j) {
      ScanElem s = item[static_cast<std::size_t>(j * I)];
      for (int i = 1; i < I; ++i) s = op(s, item[static_cast<std::size_t>(j * I + i)]);
      agg[static_cast<std::size_t>(j)] = s;
    }
    // 2. Kogge-Stone inclusive warp scan (shfl_up 1, 2, 4, 8, 16)
    incl = agg;
    for (int off = 1; off < 32; off *= 2) {
      prev = incl;
      for (int j = 0; j < T; ++j)
        if (j % 32 >= off) incl[static_cast<std::size_t>(j)] = op(prev[static_cast<std::size_t>(j - off)], prev[static_cast<std::size_t>(j)]);
    }
    // 3. warp aggregates left-folded in order
    ScanElem block_agg = incl[31];
    for (int w = 1; w < W; ++w) {
      warp_prefix[static_cast<std::size_t>(w)] = block_agg;
      block_agg = op(block_agg, incl[static_cast<std::size_t>(w * 32 + 31)]);
    }
    for (int j = 0; j < T; ++j) {
      const int w = j / 32, lane = j % 32;
      ScanElem e = lane > 0 ? incl[static_cast<std::size_t>(j - 1)] : ScanElem{};
      if (w > 0) e = lane > 0 ? op(warp_prefix[static_cast<std::size_t>(w)], e) : warp_prefix[static_cast<std::size_t>(w)];
      excl[static_cast<std::size_t>(j)] = e;
    }
    // 4. the chunk prefix
    for (int j = 0; j < T; ++j)
      excl[static_cast<std::size_t>(j)] = j == 0 ? P : op(P, excl[static_cast<std::size_t>(j)]);
    P = op(P, block_agg);
    if (!chunk_state.empty()) chunk_state[static_cast<std::size_t>(c0 / chunk)] = P.b;
    // 5. each thread's sequential inclusive fold
    for (int j = 0; j < T; ++j) {
      ScanElem run = excl[static_cast<std::size_t>(j)];
      for (int i = 0; i < I; ++i) {
        const int t = c0 + j * I + i;
        run = op(run, item[static_cast<std::size_t>(j * I + i)]);
        if (t < len) h[static_cast<std::size_t>(t)] = run.b;
      }
    }
  }
}

namespace {

float gate_divide(float num, float den, const SsmPolicy& p) {
  return divide_as(num, den, p.gate_division, p.units.reciprocal, p.denormals);
}

void check_len(const Int8Tensor& t, std::size_t rows, std::size_t len, const char* what) {
  if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != len)
    throw std::invalid_argument(std::string("SSM input has the wrong shape: ") + what);
}

// The states of channel d, state n after each chunk, and the INT8 copies the
// kernel stores: int(roundf(s / scale_ssm_state)) clamped, its division being
// the scheme's multiply by the reciprocal unit's 1/scale.
void keep_chunk_states(Mamba1ScanState& st, std::size_t d, std::size_t n, std::span<const float> chunk,
                       std::optional<float> scale, const SsmPolicy& p) {
  const std::size_t C = chunk.size();
  NumericsPolicy q;
  q.rounding = Rounding::kHalfAwayFromZero;
  q.quantize_op = QuantizeOp::kMultiplyReciprocal;
  q.denormals = p.denormals;
  q.units = p.units;
  for (std::size_t c = 0; c < C; ++c) {
    st.chunk_states(d, c, n) = chunk[c];
    if (scale) st.chunk_states_q(d, c, n) = static_cast<std::int8_t>(quantize(chunk[c], *scale, inv_scale_register(*scale, q), q));
  }
  st.final_state(d, n) = chunk[C - 1];
}

}  // namespace

namespace {

// The Mamba1 scan with Denormals::kPreserve and the sequential order, for
// kLanes channels at a time: the same FP32 operations as the general path
// below, arranged in vector lanes. Per-token work (softplus, Δ·u, D·u, the
// gate) runs per channel across tokens; the recurrence runs with the channels
// in lanes (mamba1_lanes below), so each lane keeps the general path's order
// (state update, then the sum over n = 0..N-1) while the independent chains
// hide the FMA latency.
constexpr std::size_t kLanes = 16;
constexpr std::size_t kMamba1Lanes = kLanes;  // ssm_lanes.inc
// Mamba2 (ssm_lanes.inc): tokens per chunk, over which a register tile of
// the state runs before the next tile of states; the chunk's x, y, C and
// B·dt (16 tokens x 64 channels, 16 x N) stay in L1.
constexpr std::size_t kMamba2Chunk = 16;
}  // namespace

#define MAMBAHW_SIMD_KERNELS "ssm_lanes.inc"
#include "simd_variants.inc"

void log1p_unit_batch(const float* v, float* y, std::size_t n) {
  if (kernel_isa() == KernelIsa::kSpec) {
    for (std::size_t i = 0; i < n; ++i) y[i] = log1p_unit(v[i]);
    return;
  }
  MAMBAHW_SIMD_CALL(log1p_batch, v, y, n);
}

namespace {

struct Mamba1Scratch {
  std::vector<float> pre, e, x, dl, du, out;  // pre, e, x: [L]; dl, du, out: [L][kLanes] (the kernel's)
  std::vector<float> state;                   // [N][kLanes]
  std::vector<float> rows;                    // dl, du, out by channel: [3][kLanes][L] (the per-channel passes')
  Mamba1Scratch(std::size_t L, std::size_t N)
      : pre(L), e(L), x(L), dl(L * kLanes), du(L * kLanes), out(L * kLanes), state(N * kLanes),
        rows(3 * kLanes * (L + kLanes)) {}
  // Rows kLanes floats longer than L: a row stride of a multiple of 4 KiB
  // would put a transpose tile's 16 rows in one L1 set.
  float* row(std::size_t which, std::size_t lane, std::size_t L) {
    return rows.data() + (which * kLanes + lane) * (L + kLanes);
  }
};

// Δ = softplus(sΔ·qΔ + bias), Δ·u and D·u of one channel.
MAMBAHW_VECTOR_CLONES
void mamba1_channel_prologue(const float* u, std::size_t L, const std::int8_t* qdelta, float sdelta, float db,
                             float dv, bool threshold, std::size_t lane, Mamba1Scratch& w) {
  float* pre = w.pre.data();
  float* e = w.e.data();
  float* dl = w.row(0, lane, L);
  float* du = w.row(1, lane, L);
  float* out = w.row(2, lane, L);
  for (std::size_t t = 0; t < L; ++t) pre[t] = std::fma(sdelta, static_cast<float>(qdelta[t]), db);
  exp_unit_batch(pre, e, L);
  log1p_unit_batch(e, dl, L);
  for (std::size_t t = 0; t < L; ++t)
    dl[t] = (threshold && !(pre[t] <= 20.0f)) ? canonicalize_nan(pre[t]) : dl[t];
  for (std::size_t t = 0; t < L; ++t) {
    du[t] = dl[t] * u[t];
    out[t] = dv * u[t];
  }
}

// y = fp16(out · z · 1/(1 + exp(-z))) of one channel.
MAMBAHW_VECTOR_CLONES
void mamba1_channel_gate(std::size_t lane, std::size_t L, const std::int8_t* qz, float sz, bool gate_divide,
                         Mamba1Scratch& w, float* y) {
  float* x = w.x.data();
  float* e = w.e.data();
  const float* out = w.row(2, lane, L);
  for (std::size_t t = 0; t < L; ++t) x[t] = -(sz * static_cast<float>(qz[t]));
  exp_unit_batch(x, e, L);
  for (std::size_t t = 0; t < L; ++t) {
    const float zf = -x[t];
    const float den = 1.0f + e[t];
    const float num = out[t] * zf;
    e[t] = gate_divide ? num / den : num * (1.0f / den);
  }
  fp16_round_batch(e, y, L);
}

}  // namespace

FloatTensor mamba1_selective_scan(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p) {
  return mamba1_selective_scan(u, s, p, Mamba1ScanIo{});
}

FloatTensor mamba1_selective_scan(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p,
                                  const Mamba1ScanIo& io) {
  const Denormals dn = p.denormals;
  const UnitSelection& un = p.units;
  const std::size_t D = u.dim(0), L = u.dim(1), N = s.a_log.q.dim(1);
  check_len(s.delta.q, D, L, "delta");
  check_len(s.z.q, D, L, "z");
  check_len(s.b.q, N, L, "B");
  check_len(s.c.q, N, L, "C");
  FloatTensor y({D, L});
  // B and C dequantized once: shared by every channel.
  std::vector<float> bf(N * L), cf(N * L);
  for (std::size_t i = 0; i < N * L; ++i) {
    bf[i] = fmul(s.b.scale, static_cast<float>(s.b.q(i)), dn);
    cf[i] = fmul(s.c.scale, static_cast<float>(s.c.q(i)), dn);
  }
  const std::size_t C = (L + kStateChunk - 1) / kStateChunk;
  if (io.initial_state && (io.initial_state->rank() != 2 || io.initial_state->dim(0) != D || io.initial_state->dim(1) != N))
    throw std::invalid_argument("SSM initial state has the wrong shape (want [d_inner][d_state])");
  if (io.state) {
    io.state->final_state = FloatTensor({D, N});
    io.state->chunk_states = FloatTensor({D, C, N});
    io.state->chunk_states_q = io.state_scale ? Int8Tensor({D, C, N}) : Int8Tensor();
  }
  if (dn == Denormals::kPreserve && p.scan_order == ScanOrder::kSequential && p.units == UnitSelection{} &&
      p.reduction == StateReduction::kSequential && kernel_isa() != KernelIsa::kSpec) {
    Mamba1Scratch w(L, N);
    std::vector<float> chunk_h(io.state ? kLanes * N * C : 0), chunk(C);  // [lane][n][chunk]: h at each chunk's end
    std::vector<float> bt(N * L), ct(N * L);  // B and C in [t][n] order
    MAMBAHW_SIMD_CALL(transpose, bf.data(), L, N, L, bt.data(), N, true);
    MAMBAHW_SIMD_CALL(transpose, cf.data(), L, N, L, ct.data(), N, true);
    std::vector<float> e_n(N * kLanes), e_lo(kLanes), e_hi(kLanes), a_arg(N), a_exp(N);
    for (std::size_t d0 = 0; d0 < D; d0 += kLanes) {
      // Lanes past the last channel run on Δ = 0, u = 0: exp(0) = 1, no NaN.
      const std::size_t lanes = std::min(kLanes, D - d0);
      for (std::size_t which = 0; which < 3; ++which)  // the rows of lanes without a channel
        std::fill(w.row(which, lanes, L), w.row(which, 0, L) + kLanes * (L + kLanes), 0.0f);
      std::fill(e_n.begin(), e_n.end(), 0.0f);
      std::fill(w.state.begin(), w.state.end(), 0.0f);  // h_{-1}: zeros, or the initial state (lanes without a channel: 0)
      for (std::size_t k = 0; k < lanes; ++k) {
        const std::size_t d = d0 + k;
        if (io.initial_state)
          for (std::size_t n = 0; n < N; ++n) w.state[n * kLanes + k] = (*io.initial_state)(d, n);
        // E = exp_unit(fp32(sA * qA)): exp_unit_batch gives exp_unit's bits per element.
        for (std::size_t n = 0; n < N; ++n) a_arg[n] = s.a_log.scale * static_cast<float>(s.a_log.q(d, n));
        exp_unit_batch(a_arg.data(), a_exp.data(), N);
        for (std::size_t n = 0; n < N; ++n) e_n[n * kLanes + k] = a_exp[n];
        mamba1_channel_prologue(&u(d, 0), L, &s.delta.q(d, 0), s.delta.scale,
                                fmul(s.delta_bias.scale, static_cast<float>(s.delta_bias.q(d)), dn),
                                fmul(s.d_skip.scale, static_cast<float>(s.d_skip.q(d)), dn), p.softplus_threshold,
                                k, w);
      }
      for (std::size_t k = 0; k < kLanes; ++k) {  // each lane's min and max e_n; a NaN makes the min NaN
        e_lo[k] = e_hi[k] = e_n[k];
        for (std::size_t n = 0; n < N; ++n) {
          const float v = e_n[n * kLanes + k];
          e_lo[k] = std::isnan(v) || std::isnan(e_lo[k]) ? v + e_lo[k] : std::min(e_lo[k], v);
          e_hi[k] = std::max(e_hi[k], v);
        }
      }
      // The rows to [token][lane] and back by the variant's block transposes (bits moved, no arithmetic).
      MAMBAHW_SIMD_CALL(transpose, w.row(0, 0, L), L + kLanes, kLanes, L, w.dl.data(), kLanes, true);
      MAMBAHW_SIMD_CALL(transpose, w.row(1, 0, L), L + kLanes, kLanes, L, w.du.data(), kLanes, true);
      MAMBAHW_SIMD_CALL(transpose, w.row(2, 0, L), L + kLanes, kLanes, L, w.out.data(), kLanes, true);
      // The recurrence chunk by chunk (kStateChunk tokens): the lanes carry
      // their states across the calls, so the chunks change no operation;
      // the state at each chunk's end is the sequential order's chunk state.
      for (std::size_t c = 0; c < C; ++c) {
        const std::size_t t0 = c * kStateChunk, Lc = std::min(L, t0 + kStateChunk) - t0;
        MAMBAHW_SIMD_CALL(mamba1_lanes, Lc, N, e_n.data(), e_lo.data(), e_hi.data(), bt.data() + t0 * N,
                          ct.data() + t0 * N, w.dl.data() + t0 * kLanes, w.du.data() + t0 * kLanes,
                          w.out.data() + t0 * kLanes, w.state.data());
        if (io.state)
          for (std::size_t k = 0; k < lanes; ++k)
            for (std::size_t n = 0; n < N; ++n) chunk_h[(k * N + n) * C + c] = w.state[n * kLanes + k];
      }
      MAMBAHW_SIMD_CALL(transpose, w.out.data(), kLanes, L, kLanes, w.row(2, 0, L), L + kLanes, false);
      for (std::size_t k = 0; k < lanes; ++k) {
        const std::size_t d = d0 + k;
        if (io.state)
          for (std::size_t n = 0; n < N; ++n) {
            std::copy_n(chunk_h.begin() + static_cast<std::ptrdiff_t>((k * N + n) * C), C, chunk.begin());
            keep_chunk_states(*io.state, d, n, chunk, io.state_scale, p);
          }
        mamba1_channel_gate(k, L, &s.z.q(d, 0), s.z.scale, p.gate_division == QuantizeOp::kDivide, w, &y(d, 0));
      }
    }
    return y;
  }
  std::vector<float> chunk(C);
  std::vector<float> dl(L), du(L), out(L), a(L), b(L), h(L);
  const bool tree = p.reduction == StateReduction::kTree;
  std::vector<float> h_all(tree ? N * L : 0), hn(N), cn(N), scratch;  // the tree needs every state of a token
  for (std::size_t d = 0; d < D; ++d) {
    const float dv = fmul(s.d_skip.scale, static_cast<float>(s.d_skip.q(d)), dn);
    const float db = fmul(s.delta_bias.scale, static_cast<float>(s.delta_bias.q(d)), dn);
    for (std::size_t t = 0; t < L; ++t) {
      const float x = ftz_if(u(d, t), dn);
      dl[t] = softplus(ffma(s.delta.scale, static_cast<float>(s.delta.q(d, t)), db, dn), p.softplus_threshold, dn, un);
      du[t] = fmul(dl[t], x, dn);
      out[t] = fmul(dv, x, dn);
    }
    for (std::size_t n = 0; n < N; ++n) {
      const float e = exp_unit(un.exp, fmul(s.a_log.scale, static_cast<float>(s.a_log.q(d, n)), dn), dn);
      for (std::size_t t = 0; t < L; ++t) {
        a[t] = exp_unit(un.exp, -fmul(dl[t], e, dn), dn);
        b[t] = fmul(bf[n * L + t], du[t], dn);
      }
      const float h0 = io.initial_state ? ftz_if((*io.initial_state)(d, n), dn) : 0.0f;
      if (p.scan_order == ScanOrder::kSequential) {
        scan_sequential(a, b, h, dn, h0);
        for (std::size_t c = 0; c < C; ++c) chunk[c] = h[std::min(L, (c + 1) * kStateChunk) - 1];
      } else {
        scan_block(a, b, h, dn, h0, chunk);  // one block chunk per 2048 tokens (or one in all)
      }
      if (io.state) keep_chunk_states(*io.state, d, n, chunk, io.state_scale, p);
      if (tree) std::copy(h.begin(), h.end(), h_all.begin() + static_cast<std::ptrdiff_t>(n * L));
      else
        for (std::size_t t = 0; t < L; ++t) out[t] = ffma(h[t], cf[n * L + t], out[t], dn);
    }
    if (tree)
      for (std::size_t t = 0; t < L; ++t) {
        for (std::size_t n = 0; n < N; ++n) {
          hn[n] = h_all[n * L + t];
          cn[n] = cf[n * L + t];
        }
        out[t] = reduce_states(hn.data(), cn.data(), N, out[t], p.reduction, p.tree_width, dn, scratch);
      }
    for (std::size_t t = 0; t < L; ++t) {
      const float zf = fmul(s.z.scale, static_cast<float>(s.z.q(d, t)), dn);
      const float g = gate_divide(fmul(out[t], zf, dn), fadd(1.0f, exp_unit(un.exp, -zf, dn), dn), p);
      y(d, t) = fp16_to_fp32(fp32_to_fp16(g));
    }
  }
  return y;
}

namespace {
// The Mamba2 fast path's channels per head padded to a multiple of 64 (of
// every variant's register tile, kM2Vectors·W in ssm_lanes.inc) with x = 0.
constexpr std::size_t kMamba2LaneBlock = 64;

// Each thread's arrays for one head at a time (kept between calls: a head's
// work is too short to pay for fresh pages).
struct Mamba2HeadScratch {
  std::vector<float> pre, ex, dt, dA, bdt, hstate, hlanes, work, reduce;
};
Mamba2HeadScratch& mamba2_scratch() {
  thread_local Mamba2HeadScratch w;
  return w;
}
}  // namespace

FloatTensor mamba2_ssm(const FloatTensor& x, const Mamba2Ssm& s, const SsmPolicy& p) {
  return mamba2_ssm(x, s, p, nullptr, nullptr);
}

// The heads are independent (each reads its own dt, A, D, x rows and its
// group's B and C, and writes its own y rows and final state), so they run
// on threads() threads, one head per iteration: every element is computed by
// the same operations on any thread, for any thread count.
FloatTensor mamba2_ssm(const FloatTensor& x, const Mamba2Ssm& s, const SsmPolicy& p, const FloatTensor* initial_state,
                       FloatTensor* final_state) {
  const Denormals dn = p.denormals;
  const std::size_t L = x.dim(1), P = static_cast<std::size_t>(s.headdim), N = static_cast<std::size_t>(s.d_state);
  const std::size_t H = static_cast<std::size_t>(s.nheads), G = static_cast<std::size_t>(s.ngroups);
  if (x.dim(0) != H * P) throw std::invalid_argument("Mamba2 SSM: x has the wrong number of channels");
  check_len(s.dt.q, H, L, "dt");
  check_len(s.b, G * N, L, "B");
  check_len(s.c, G * N, L, "C");
  if (initial_state && (initial_state->rank() != 2 || initial_state->dim(0) != H * P || initial_state->dim(1) != N))
    throw std::invalid_argument("SSM initial state has the wrong shape (want [d_inner][d_state])");
  if (final_state) *final_state = FloatTensor({H * P, N});
  // h_{-1} of channel ch, state n: the initial state's (flushed per policy), or 0.
  auto h0 = [&](std::size_t ch, std::size_t n) { return initial_state ? ftz_if((*initial_state)(ch, n), dn) : 0.0f; };
  FloatTensor y({H * P, L});
  const bool lanes = dn == Denormals::kPreserve && p.reduction == StateReduction::kSequential &&
                     kernel_isa() != KernelIsa::kSpec;
  const std::size_t Pp = (P + kMamba2LaneBlock - 1) / kMamba2LaneBlock * kMamba2LaneBlock;  // lanes padded with x = 0
  // B and C of every group dequantized once, in [t][n] order: [G][L][N], by
  // tiles of 64 tokens on the threads.
  std::vector<float> bf(G * L * N), cf(G * L * N);
  constexpr std::size_t kTokenTile = 64;
  const std::size_t token_tiles = (L + kTokenTile - 1) / kTokenTile;
  parallel_for(G * token_tiles, [&](std::size_t i) {
    const std::size_t g = i / token_tiles, t0 = i % token_tiles * kTokenTile, t1 = std::min(L, t0 + kTokenTile);
    const float sb = s.b_scale[g], sc = s.c_scale[g];
    if (dn == Denormals::kPreserve && kernel_isa() != KernelIsa::kSpec) {  // fmul without the flush, by lane blocks
      MAMBAHW_SIMD_CALL(dequant_token_major, &s.b(g * N, 0), L, N, t0, t1, sb, bf.data() + g * L * N);
      MAMBAHW_SIMD_CALL(dequant_token_major, &s.c(g * N, 0), L, N, t0, t1, sc, cf.data() + g * L * N);
      return;
    }
    for (std::size_t n = 0; n < N; ++n) {
      const std::int8_t* qb = &s.b(g * N + n, 0);
      const std::int8_t* qc = &s.c(g * N + n, 0);
      for (std::size_t t = t0; t < t1; ++t) {
        bf[(g * L + t) * N + n] = fmul(sb, static_cast<float>(qb[t]), dn);
        cf[(g * L + t) * N + n] = fmul(sc, static_cast<float>(qc[t]), dn);
      }
    }
  });
  parallel_for(H, [&](std::size_t hd) {
    Mamba2HeadScratch& w = mamba2_scratch();
    for (auto* v : {&w.pre, &w.ex, &w.dt, &w.dA}) v->resize(L);
    float *pre = w.pre.data(), *ex = w.ex.data(), *dt = w.dt.data(), *dA = w.dA.data();
    const std::size_t g = hd / (H / G);
    const float* bg = bf.data() + g * L * N;
    const float* cg = cf.data() + g * L * N;
    const float A = -exp_unit(p.units.exp, fmul(s.a_log.scale, static_cast<float>(s.a_log.q(hd)), dn), dn);
    const float dv = fmul(s.d_skip.scale, static_cast<float>(s.d_skip.q(hd)), dn);
    if (lanes && p.units == UnitSelection{}) {  // the same softplus and exp, as array forms
      for (std::size_t t = 0; t < L; ++t) pre[t] = s.dt.scale * static_cast<float>(s.dt.q(hd, t)) + s.dt_bias[hd];
      exp_unit_batch(pre, ex, L);
      log1p_unit_batch(ex, dt, L);
      for (std::size_t t = 0; t < L; ++t) {
        if (p.softplus_threshold && !(pre[t] <= 20.0f)) dt[t] = canonicalize_nan(pre[t]);
        ex[t] = dt[t] * A;
      }
      exp_unit_batch(ex, dA, L);
    } else {
      for (std::size_t t = 0; t < L; ++t) {
        dt[t] = softplus(fadd(fmul(s.dt.scale, static_cast<float>(s.dt.q(hd, t)), dn), s.dt_bias[hd], dn),
                         p.softplus_threshold, dn, p.units);
        dA[t] = exp_unit(p.units.exp, fmul(dt[t], A, dn), dn);
      }
    }
    if (lanes) {
      // The head's state in lanes [n][Pp]: h_{-1} (padding lanes stay 0: their x is 0).
      w.hlanes.assign(N * Pp, 0.0f);
      w.work.resize((2 * Pp + N) * kMamba2Chunk);
      float* hl = w.hlanes.data();
      if (initial_state)
        for (std::size_t n = 0; n < N; ++n)
          for (std::size_t pp = 0; pp < P; ++pp) hl[n * Pp + pp] = h0(hd * P + pp, n);
      MAMBAHW_SIMD_CALL(mamba2_head, &x(hd * P, 0), P, L, dt, dA, bg, cg, dv, N, Pp, hl, &y(hd * P, 0), w.work.data());
      if (final_state)
        for (std::size_t n = 0; n < N; ++n)
          for (std::size_t pp = 0; pp < P; ++pp) (*final_state)(hd * P + pp, n) = hl[n * Pp + pp];
      return;
    }
    // The specification: per channel, B·dt, then per token the state update
    // and the reduction in the policy's order.
    w.bdt.resize(L * N);
    w.hstate.resize(N);
    float *bdt = w.bdt.data(), *hs = w.hstate.data();
    for (std::size_t i = 0; i < L * N; ++i) bdt[i] = fmul(bg[i], dt[i / N], dn);
    for (std::size_t pp = 0; pp < P; ++pp) {
      const std::size_t ch = hd * P + pp;
      for (std::size_t n = 0; n < N; ++n) hs[n] = h0(ch, n);
      for (std::size_t t = 0; t < L; ++t) {
        const float xv = ftz_if(x(ch, t), dn);
        for (std::size_t n = 0; n < N; ++n) hs[n] = ffma(dA[t], hs[n], fmul(bdt[t * N + n], xv, dn), dn);
        y(ch, t) = reduce_states(hs, &cg[t * N], N, fmul(dv, xv, dn), p.reduction, p.tree_width, dn, w.reduce);
      }
      if (final_state)
        for (std::size_t n = 0; n < N; ++n) (*final_state)(ch, n) = hs[n];
    }
  });
  return y;
}

namespace {
using Op = DatapathOp;
}  // namespace

SsmWork mamba1_ssm_work(int d_inner, int d_state, const SsmPolicy& p) {
  const std::int64_t D = d_inner, N = d_state;
  SsmWork w;
  OpMix per_dt;  // per (channel, token)
  per_dt(Op::kFp32Fma);      // dl's argument: fma(sdelta, qdelta, db)
  per_dt(Op::kFp32Mul, 2);   // du = dl*u, out = Dv*u
  per_dt(Op::kFp32Mul, 2);   // gate: zf = sz*qz, out*zf
  per_dt(Op::kFp32Add);      // 1 + exp(-zf)
  per_dt += divide_ops(p.gate_division, p.units.reciprocal);  // the divide, or the reciprocal unit and a multiply
  per_dt(Op::kFp32Convert);  // y to FP16
  OpMix per_dnt;             // per (channel, state, token)
  per_dnt(Op::kFp32Mul, 2);  // dl*E, fp32(sB*qB) * du
  per_dnt(Op::kFp32Fma, 2);  // h = fma(a, h, b), out = fma(h, C, out)
  OpMix per_nt = OpMix::of(Op::kFp32Mul, 2);  // B and C dequantized, shared by the channels
  w.ops_per_token = per_dt * D + per_dnt * (D * N) + per_nt * N;
  w.exp_per_token = D * N + D;  // exp(-dl*E) per step, the gate's exp(-zf) per channel
  w.softplus_per_token = D;
  w.steps_per_token = D * N;
  w.ops_per_pass = OpMix::of(Op::kFp32Mul, D * N + 2 * D);  // A, D and delta_bias dequantized
  w.exp_per_pass = D * N;                                   // E = exp(A)
  return w;
}

SsmWork mamba2_ssm_work(int nheads, int headdim, int ngroups, int d_state, const SsmPolicy& /*p*/) {
  const std::int64_t H = nheads, P = headdim, G = ngroups, N = d_state, C = H * P;
  SsmWork w;
  OpMix per_ht = OpMix::of(Op::kFp32Mul, 2) + OpMix::of(Op::kFp32Add);  // sdt*qdt + dt_bias; dt*A
  OpMix per_gnt = OpMix::of(Op::kFp32Mul, 2);                           // B and C dequantized
  OpMix per_hnt = OpMix::of(Op::kFp32Mul);                              // fp32(B) * dt
  OpMix per_cnt = OpMix::of(Op::kFp32Mul) + OpMix::of(Op::kFp32Fma, 2); // * x; h; y
  OpMix per_ct = OpMix::of(Op::kFp32Mul);                               // Dv * x
  w.ops_per_token = per_ht * H + per_gnt * (G * N) + per_hnt * (H * N) + per_cnt * (C * N) + per_ct * C;
  w.exp_per_token = H;       // dA = exp(dt*A) per head
  w.softplus_per_token = H;  // dt per head
  w.steps_per_token = C * N;
  w.ops_per_pass = OpMix::of(Op::kFp32Mul, 2 * H);  // A and D dequantized
  w.exp_per_pass = H;                               // A = -exp(A_log)
  return w;
}

}  // namespace mambahw
