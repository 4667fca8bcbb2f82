// The FP32 SSM core: softplus and log1p units, the selective-scan recurrence
// in the sequential order an ASIC scan unit implements or in the association
// order of Quamba's CUDA kernel (cub::BlockScan), and the Mamba1 and Mamba2
// SSMs built on them. docs/layer.md §SSM is the prose form of this file.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/unit_ops.hpp"
#include "mambahw/golden/tensor.hpp"

namespace mambahw {

// log(1 + v) with FP32 operations only (project-owned, libm-free):
//   u = fp32(1 + v); u = 2^k * m, m in [sqrt(1/2), sqrt(2)); f = m - 1 (exact)
//   c = (k != 0) ? fp32((v - fp32(u - 1)) / u) : 0      the rounding lost in 1 + v
//   s = f / (2 + f);  z = s*s
//   log(m) = 2s + s*z*(2/3 + z*(2/5 + z*(2/7 + z*(2/9))))   (atanh series, Horner with fma)
//   log1p(v) = fma(k, ln2_hi, fma(k, ln2_lo, c) + log(m))
// |v| < 2^-24 returns v; v = -1 gives -Inf, v < -1 NaN, +Inf gives +Inf.
float log1p_unit(float v, Denormals d = Denormals::kPreserve);

// Datapath operations of one log1p evaluation, tallied by the definition on
// its main path (k != 0): 6 adds, 2 divides, 2 multiplies, 6 FMAs, 1
// int-to-float conversion, 4 comparisons.
OpMix log1p_unit_ops();

// y[i] = log1p_unit(v[i], Denormals::kPreserve) for n elements, bit for bit
// (tested exhaustively), vectorised for throughput.
void log1p_unit_batch(const float* v, float* y, std::size_t n);

// softplus(x) = log1p_unit(exp_unit(x)); with `threshold`, x > 20 passes
// through unchanged (Quamba1 prefill and upstream Mamba; NaN passes too, as
// the kernel's setp.gtu does). Quamba2 and the decode paths have no threshold.
float softplus(float x, bool threshold, Denormals d = Denormals::kPreserve);

// One softplus evaluation: exp + log1p, and the threshold's comparison.
OpMix softplus_ops(bool threshold);

enum class ScanOrder : std::uint8_t {
  kSequential,  // h_t = fma(a_t, h_{t-1}, b_t): the ASIC scan unit
  kBlockScan,   // Quamba's cub::BlockScan WARP_SCANS association (quamba-arithmetic.md §3)
};
template <>
struct EnumNames<ScanOrder> {
  static constexpr std::array<EnumName<ScanOrder>, 2> table{{
      {ScanOrder::kSequential, "sequential", "h = fma(a, h, b) token by token (the ASIC scan unit)"},
      {ScanOrder::kBlockScan, "block_scan", "Quamba's cub::BlockScan association"},
  }};
};

// The order of the output reduction y = D*u + sum_n h_n * C_n of one channel
// and token (the SSM core's adder structure):
enum class StateReduction : std::uint8_t {
  kSequential,  // y = fma(h_n, C_n, y) for n = 0 .. N-1 from y = fp32(D*u): one FMA chain
  kTree,        // p_n = fp32(h_n * C_n); per group of W = tree_width products, level k: p[n] += p[n + 2^k]
                // for n = 0 mod 2^(k+1); y = fp32(D*u), then y = fp32(y + group sum) group after group
};
template <>
struct EnumNames<StateReduction> {
  static constexpr std::array<EnumName<StateReduction>, 2> table{{
      {StateReduction::kSequential, "sequential", "y = fma(h_n, C_n, y) for n in order (one FMA chain)"},
      {StateReduction::kTree, "tree",
       "products h_n * C_n summed by binary adder trees of layer.state_tree_width (the SSM lanes), added to D*u tree after tree"},
  }};
};
// One channel's and token's y from the states h[0..n) and C[0..n), starting
// from acc = fp32(D*u), in order `r`; kTree: the products in groups of
// `tree_width` (the last group may be shorter), each group summed by a binary
// adder tree, the group sums added to acc in order. `scratch` holds the
// tree's partial sums.
float reduce_states(const float* h, const float* c, std::size_t n, float acc, StateReduction r, int tree_width,
                    Denormals d, std::vector<float>& scratch);

// The scan element (a, b) and the combine operator of the recurrence:
// (a_l, b_l) (+) (a_r, b_r) = (a_r * a_l, fma(a_r, b_l, b_r)).
struct ScanElem {
  float a = 1.0f, b = 0.0f;
};
ScanElem scan_combine(ScanElem l, ScanElem r, Denormals d);

// h_t for t in [0, L) from h_{-1} = h0 (0: a fresh sequence).
void scan_sequential(std::span<const float> a, std::span<const float> b, std::span<float> h, Denormals d,
                     float h0 = 0.0f);

// Quamba's block shape (threads x items) by sequence length; L > 1024 runs in
// chunks of 2048 tokens with the prefix carried in FP32.
struct BlockShape {
  int threads = 32, items = 4;
};
BlockShape quamba_block_shape(int len);
// The block scan from the running prefix (1, h0), the kernel's (1, 0) when
// h0 = 0. With `chunk_state` (one entry per chunk of the block, T x I tokens),
// the state the kernel keeps after each chunk: the b half of its running
// prefix P' = P (+) block aggregate, padded positions included as (1, 0).
void scan_block(std::span<const float> a, std::span<const float> b, std::span<float> h, Denormals d,
                float h0 = 0.0f, std::span<float> chunk_state = {});

// The chunk length of Quamba's state output: the kernel writes one INT8 state
// per 2048 tokens (n_chunks = ceil(L / 2048)).
inline constexpr int kStateChunk = 2048;

struct SsmPolicy {
  bool softplus_threshold = true;
  ScanOrder scan_order = ScanOrder::kSequential;
  Denormals denormals = Denormals::kPreserve;
  QuantizeOp gate_division = QuantizeOp::kDivide;  // SiLU(z)'s 1/(1+e): divider or reciprocal-multiply
  UnitSelection units{};  // the exp / log1p / reciprocal units (units.hpp); the defaults take the vector paths
  StateReduction reduction = StateReduction::kSequential;  // y = C . h; the vector paths are the sequential order
  int tree_width = 16;  // kTree: products per adder tree (the SSM core's lanes)
  friend bool operator==(const SsmPolicy&, const SsmPolicy&) = default;
};

// One step of the Mamba1 recurrence for one (channel d, state n) pair at
// token t: the scan unit's datapath, in the order of mamba1_selective_scan
// (which calls it for the sequential scan order):
//   a = exp_unit(-fp32(dl * e));  h' = fma(a, h, fp32(b * du));  y' = fma(h', c, y)
struct Mamba1StepIn {
  float h = 0.0f;   // state h_{t-1} (0 before the first token)
  float dl = 0.0f;  // softplus(delta) of channel d at t
  float e = 0.0f;   // exp_unit(fp32(sA * qA[d][n])), so A = -e
  float b = 0.0f;   // fp32(sB * qB[n][t])
  float du = 0.0f;  // fp32(dl * u[d][t])
  float c = 0.0f;   // fp32(sC * qC[n][t])
  float y = 0.0f;   // output accumulator so far: fp32(Dv * u) before state 0
};
struct Mamba1StepOut {
  float a = 0.0f;   // the decay exp_unit(-dl*e)
  float h = 0.0f;   // state h_t
  float y = 0.0f;   // accumulator after this state
};
Mamba1StepOut mamba1_scan_step(const Mamba1StepIn& in, Denormals d);

// A per-tensor-scaled INT8 tensor as the SSM core reads it.
struct QTensor {
  Int8Tensor q;
  float scale = 1.0f;
};

// Mamba1 (Quamba1) selective scan over one sequence (quamba-arithmetic.md §3):
//   Dv = fp32(sD*qD[d]); db = fp32(sdb*qdb[d]); dl = softplus(fma(sdelta, qdelta, db))
//   du = fp32(dl*u);  out = fp32(Dv*u)
//   for n: E = exp_unit(fp32(sA*qA[d][n])); a_t = exp_unit(-fp32(dl*E));
//          b_t = fp32(fp32(sB*qB[n][t]) * du); h = scan(a, b); out = fma(h, fp32(sC*qC[n][t]), out)
//   gate: zf = fp32(sz*qz); y = fp32(out*zf) / fp32(1 + exp_unit(-zf))   (division per policy)
//   y16 = fp16(y) (round to nearest even)
// u is the SSM input in FP32 [d_inner][L] (what the dequant stage delivers).
struct Mamba1Ssm {
  QTensor delta;       // [d_inner][L] (dt_proj output)
  QTensor delta_bias;  // [d_inner]
  QTensor a_log;       // [d_inner][d_state], A = -exp(A_log)
  QTensor b, c;        // [d_state][L] (x_proj output)
  QTensor d_skip;      // [d_inner]
  QTensor z;           // [d_inner][L] (in_proj output)
};
// Returns y [d_inner][L]: FP16 values widened (exactly) to FP32.
//
// Work of the SSM core (docs/layer.md), read off the formulas above for the
// sequential order (the block-scan association is a GPU order; it is not
// counted): the datapath operations and the exp/softplus unit evaluations
// per token (all channels and states) and per pass (constants of the
// weights: exp(A), the dequantized D and biases, computed once per sequence).
// The dequant of u is the SSM dequant stage's, not counted here.
struct SsmWork {
  OpMix ops_per_token;
  std::int64_t exp_per_token = 0, softplus_per_token = 0;
  std::int64_t steps_per_token = 0;  // (channel, state) recurrence steps
  OpMix ops_per_pass;
  std::int64_t exp_per_pass = 0;
};
SsmWork mamba1_ssm_work(int d_inner, int d_state, const SsmPolicy& p);
FloatTensor mamba1_selective_scan(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p);

// The scan's state, as a kernel comparison and a prefill-then-decode handoff need it
// (docs/layer.md, "Scan state"). chunk c covers tokens [2048 c, min(2048 (c+1), L)).
struct Mamba1ScanState {
  FloatTensor final_state;      // [d_inner][d_state]: the state after the last token (the last chunk's)
  FloatTensor chunk_states;     // [d_inner][n_chunks][d_state]: after each chunk. Block scan: the b half
                                // of the kernel's running prefix P'; sequential: h at the chunk's last token
  Int8Tensor chunk_states_q;    // same shape, what the kernel stores: saturate(round_half_away(s * inv)),
                                // inv = the reciprocal unit's 1/scale_ssm_state (empty without a scale)
};
struct Mamba1ScanIo {
  const FloatTensor* initial_state = nullptr;  // [d_inner][d_state]: h_{-1} (null: zeros), e.g. a prefill's final state
  std::optional<float> state_scale;            // scale_ssm_state for chunk_states_q
  Mamba1ScanState* state = nullptr;            // where to leave the state (null: not kept)
};
// The same y bits as above (with initial_state null). The vector path is
// taken for the sequential order with the default units and gradual
// underflow, with or without states (it runs the recurrence chunk by chunk,
// the lanes carrying their states); the scalar path otherwise. Both give the
// same y and states bit for bit (Mamba1Scan.VectorPathKeepsTheScalarPathsStates).
FloatTensor mamba1_selective_scan(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p,
                                  const Mamba1ScanIo& io);

// Mamba2 (Quamba2) SSM as a recurrence per head (the chunked SSD computes the
// same sums in another order):
//   dt = softplus(fp32(sdt*qdt[h]) + dt_bias[h]);  A = -exp_unit(fp32(sA*qA[h]))
//   dA = exp_unit(fp32(dt*A));  for p, n: b = fp32(fp32(fp32(sB_g*qB[g][n])*dt) * x[p])
//   h = fma(dA, h, b);  y[p] = fma(h, fp32(sC_g*qC[g][n]), y) from y = fp32(Dv*x[p])
// x is the SSM input [d_inner][L] in FP32; B/C are [ngroups*d_state][L] INT8
// with one scale per group; dt codes [nheads][L]; dt_bias FP16 values [nheads].
struct Mamba2Ssm {
  int nheads = 0, headdim = 0, ngroups = 1, d_state = 0;
  QTensor dt;                     // [nheads][L]
  std::vector<float> dt_bias;     // [nheads], FP16-representable
  QTensor a_log;                  // [nheads]
  Int8Tensor b, c;                // [ngroups*d_state][L]
  std::vector<float> b_scale, c_scale;  // [ngroups]
  QTensor d_skip;                 // [nheads]
};
// Returns y [d_inner][L] in FP32 (before the gated RMSNorm). The heads run
// on threads() threads (threads.hpp), one head per iteration: the same bits
// for any thread count.
// Work (as for Mamba1; the gated RMSNorm is layer.hpp's):
SsmWork mamba2_ssm_work(int nheads, int headdim, int ngroups, int d_state, const SsmPolicy& p);
FloatTensor mamba2_ssm(const FloatTensor& x, const Mamba2Ssm& s, const SsmPolicy& p);
// The same recurrence from h_{-1} = `initial_state` ([d_inner][d_state], null:
// zeros), leaving the state after the last token in `final_state` if given:
// a prefill's handoff to decode (docs/layer.md, "Prefill and decode"). The
// same y bits as above with both null.
FloatTensor mamba2_ssm(const FloatTensor& x, const Mamba2Ssm& s, const SsmPolicy& p, const FloatTensor* initial_state,
                       FloatTensor* final_state);

}  // namespace mambahw
