#include "mambahw/ssm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "mambahw/exp_unit.hpp"

namespace mambahw {

namespace {
constexpr float kLn2Hi = 0x1.62e3p-1f;     // 17 significant bits: k * kLn2Hi is exact for |k| <= 128
constexpr float kLn2Lo = 0x1.2fefa4p-17f;  // ln2 - kLn2Hi
constexpr float kSqrt2 = 0x1.6a09e6p+0f;
}  // namespace

float log1p_unit(float v, Denormals d) {
  v = ftz_if(v, d);
  if (std::isnan(v) || v < -1.0f) return canonicalize_nan(std::numeric_limits<float>::quiet_NaN());
  if (v == -1.0f) return -std::numeric_limits<float>::infinity();
  if (std::isinf(v)) return v;
  if (std::fabs(v) < 0x1p-24f) return v;  // log1p(v) = v - v^2/2 rounds to v
  const float u = fadd(1.0f, v, d);
  // u >= 2^-24 is normal: split exponent and significand exactly from the bits.
  int k = static_cast<int>(bits_of(u) >> 23) - 127;
  float m = float_of((bits_of(u) & 0x007F'FFFFu) | 0x3F80'0000u);
  if (m >= kSqrt2) {
    m = m * 0.5f;  // exact
    ++k;
  }
  float f, c;
  if (k == 0) {
    f = v;  // 1 + v was not needed: no rounding to correct
    c = 0.0f;
  } else {
    f = m - 1.0f;  // exact (Sterbenz)
    c = fdiv(fadd(v, -fadd(u, -1.0f, d), d), u, d);
  }
  const float s = fdiv(f, fadd(2.0f, f, d), d);
  const float z = fmul(s, s, d);
  float r = 0x1.c71c72p-3f;  // 2/9
  r = ffma(r, z, 0x1.24924ap-2f, d);  // 2/7
  r = ffma(r, z, 0x1.99999ap-2f, d);  // 2/5
  r = ffma(r, z, 0x1.555556p-1f, d);  // 2/3
  r = fmul(r, z, d);
  const float logm = ffma(s, r, 2.0f * s, d);
  const auto kf = static_cast<float>(k);
  const float low = fadd(ffma(kf, kLn2Lo, c, d), logm, d);
  return ffma(kf, kLn2Hi, low, d);
}

float softplus(float x, bool threshold, Denormals d) {
  if (threshold && !(x <= 20.0f)) return canonicalize_nan(x);  // setp.gtu: NaN takes this branch
  return log1p_unit(exp_unit(x, d), d);
}

std::string_view to_string(ScanOrder o) { return o == ScanOrder::kSequential ? "sequential" : "block_scan"; }
std::optional<ScanOrder> parse_scan_order(std::string_view s) {
  if (s == "sequential") return ScanOrder::kSequential;
  if (s == "block_scan") return ScanOrder::kBlockScan;
  return std::nullopt;
}

ScanElem scan_combine(ScanElem l, ScanElem r, Denormals d) {
  return {fmul(r.a, l.a, d), ffma(r.a, l.b, r.b, d)};
}

void scan_sequential(std::span<const float> a, std::span<const float> b, std::span<float> h, Denormals d) {
  float s = 0.0f;
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
void scan_block(std::span<const float> a, std::span<const float> b, std::span<float> h, Denormals d) {
  const int len = static_cast<int>(a.size());
  const BlockShape bs = quamba_block_shape(len);
  const int T = bs.threads, I = bs.items, W = T / 32, chunk = T * I;
  auto op = [d](ScanElem l, ScanElem r) { return scan_combine(l, r, d); };
  std::vector<ScanElem> item(static_cast<std::size_t>(chunk)), agg(static_cast<std::size_t>(T)),
      incl(static_cast<std::size_t>(T)), prev(static_cast<std::size_t>(T)), excl(static_cast<std::size_t>(T));
  std::vector<ScanElem> warp_prefix(static_cast<std::size_t>(W));
  ScanElem P{1.0f, 0.0f};
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
  return p.gate_division == QuantizeOp::kDivide ? fdiv(num, den, p.denormals)
                                                : fmul(num, reciprocal(den), p.denormals);
}

void check_len(const Int8Tensor& t, std::size_t rows, std::size_t len, const char* what) {
  if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != len)
    throw std::invalid_argument(std::string("SSM input has the wrong shape: ") + what);
}

}  // namespace

namespace {

// One channel of the Mamba1 scan with Denormals::kPreserve and the sequential
// order: the same FP32 operations as the general path below, arranged so the
// compiler can vectorise across tokens and overlap the 16 state recurrences.
// The x86-64 build carries an AVX2+FMA clone chosen at load time.
struct Mamba1Scratch {
  std::vector<float> pre, e, dl, du, out, x, a, b;
};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void mamba1_channel_fast(const float* u, std::size_t L, std::size_t N, const std::int8_t* qdelta, float sdelta,
                         float db, float dv, const float* e_n, const float* bf /* [t][n] */, const float* cf /* [t][n] */,
                         const std::int8_t* qz, float sz, bool threshold, bool gate_divide, float* y,
                         Mamba1Scratch& w) {
  float* pre = w.pre.data();
  float* e = w.e.data();
  float* dl = w.dl.data();
  float* du = w.du.data();
  float* out = w.out.data();
  float* x = w.x.data();
  for (std::size_t t = 0; t < L; ++t) pre[t] = std::fma(sdelta, static_cast<float>(qdelta[t]), db);
  exp_unit_batch(pre, e, L);
  for (std::size_t t = 0; t < L; ++t)
    dl[t] = (threshold && !(pre[t] <= 20.0f)) ? canonicalize_nan(pre[t]) : log1p_unit(e[t]);
  for (std::size_t t = 0; t < L; ++t) {
    du[t] = dl[t] * u[t];
    out[t] = dv * u[t];
  }
  // a, b in [t][n] order so that the N recurrences of a token sit side by side.
  float* a = w.a.data();
  float* b = w.b.data();
  for (std::size_t t = 0; t < L; ++t)
    for (std::size_t n = 0; n < N; ++n) {
      b[t * N + n] = -(dl[t] * e_n[n]);  // exp argument, staged in b
    }
  exp_unit_batch(b, a, L * N);
  for (std::size_t t = 0; t < L; ++t)
    for (std::size_t n = 0; n < N; ++n) b[t * N + n] = bf[t * N + n] * du[t];
  float state[64];
  for (std::size_t n = 0; n < N; ++n) state[n] = 0.0f;
  for (std::size_t t = 0; t < L; ++t) {
    for (std::size_t n = 0; n < N; ++n) state[n] = std::fma(a[t * N + n], state[n], b[t * N + n]);
    float o = out[t];
    for (std::size_t n = 0; n < N; ++n) o = std::fma(state[n], cf[t * N + n], o);  // state order 0..N-1
    out[t] = o;
  }
  for (std::size_t t = 0; t < L; ++t) x[t] = -(sz * static_cast<float>(qz[t]));
  exp_unit_batch(x, e, L);
  for (std::size_t t = 0; t < L; ++t) {
    const float zf = -x[t];
    const float den = 1.0f + e[t];
    const float num = out[t] * zf;
    const float g = gate_divide ? num / den : num * (1.0f / den);
    y[t] = fp16_to_fp32(fp32_to_fp16(g));
  }
}

}  // namespace

FloatTensor mamba1_selective_scan(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p) {
  const Denormals dn = p.denormals;
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
  if (dn == Denormals::kPreserve && p.scan_order == ScanOrder::kSequential && N <= 64) {
    Mamba1Scratch w{std::vector<float>(L), std::vector<float>(L), std::vector<float>(L), std::vector<float>(L),
                    std::vector<float>(L), std::vector<float>(L), std::vector<float>(N * L),
                    std::vector<float>(N * L)};
    std::vector<float> bt(N * L), ct(N * L);  // B and C in [t][n] order
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t t = 0; t < L; ++t) {
        bt[t * N + n] = bf[n * L + t];
        ct[t * N + n] = cf[n * L + t];
      }
    std::vector<float> e_n(N);
    for (std::size_t d = 0; d < D; ++d) {
      for (std::size_t n = 0; n < N; ++n)
        e_n[n] = exp_unit(fmul(s.a_log.scale, static_cast<float>(s.a_log.q(d, n)), dn), dn);
      mamba1_channel_fast(&u(d, 0), L, N, &s.delta.q(d, 0), s.delta.scale,
                          fmul(s.delta_bias.scale, static_cast<float>(s.delta_bias.q(d)), dn),
                          fmul(s.d_skip.scale, static_cast<float>(s.d_skip.q(d)), dn), e_n.data(), bt.data(),
                          ct.data(), &s.z.q(d, 0), s.z.scale, p.softplus_threshold,
                          p.gate_division == QuantizeOp::kDivide, &y(d, 0), w);
    }
    return y;
  }
  std::vector<float> dl(L), du(L), out(L), a(L), b(L), h(L);
  for (std::size_t d = 0; d < D; ++d) {
    const float dv = fmul(s.d_skip.scale, static_cast<float>(s.d_skip.q(d)), dn);
    const float db = fmul(s.delta_bias.scale, static_cast<float>(s.delta_bias.q(d)), dn);
    for (std::size_t t = 0; t < L; ++t) {
      const float x = ftz_if(u(d, t), dn);
      dl[t] = softplus(ffma(s.delta.scale, static_cast<float>(s.delta.q(d, t)), db, dn), p.softplus_threshold, dn);
      du[t] = fmul(dl[t], x, dn);
      out[t] = fmul(dv, x, dn);
    }
    for (std::size_t n = 0; n < N; ++n) {
      const float e = exp_unit(fmul(s.a_log.scale, static_cast<float>(s.a_log.q(d, n)), dn), dn);
      for (std::size_t t = 0; t < L; ++t) {
        a[t] = exp_unit(-fmul(dl[t], e, dn), dn);
        b[t] = fmul(bf[n * L + t], du[t], dn);
      }
      if (p.scan_order == ScanOrder::kSequential) scan_sequential(a, b, h, dn);
      else scan_block(a, b, h, dn);
      for (std::size_t t = 0; t < L; ++t) out[t] = ffma(h[t], cf[n * L + t], out[t], dn);
    }
    for (std::size_t t = 0; t < L; ++t) {
      const float zf = fmul(s.z.scale, static_cast<float>(s.z.q(d, t)), dn);
      const float g = gate_divide(fmul(out[t], zf, dn), fadd(1.0f, exp_unit(-zf, dn), dn), p);
      y(d, t) = fp16_to_fp32(fp32_to_fp16(g));
    }
  }
  return y;
}

namespace {
// One Mamba2 head's recurrence for its P channels at once (Denormals::kPreserve).
// Every channel of a head shares dA[t], B*dt and C, so the channels go in
// vector lanes; each lane performs exactly the general path's operations in
// its order (the sum over the state index n stays sequential per channel).
// xt, yt: [L][P]; bdt, cf: [L][N]; h: [N][P] scratch; acc: [P] scratch.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void mamba2_head_lanes(const float* __restrict xt, const float* __restrict dA, const float* __restrict bdt,
                       const float* __restrict cf, float dv, std::size_t L, std::size_t P, std::size_t N,
                       float* __restrict h, float* __restrict acc, float* __restrict yt) {
  std::fill(h, h + N * P, 0.0f);
  for (std::size_t t = 0; t < L; ++t) {
    const float* __restrict xr = xt + t * P;
    for (std::size_t pp = 0; pp < P; ++pp) acc[pp] = dv * xr[pp];
    for (std::size_t n = 0; n < N; ++n) {
      const float a = dA[t], b = bdt[t * N + n], c = cf[t * N + n];
      float* __restrict hn = h + n * P;
      for (std::size_t pp = 0; pp < P; ++pp) {
        hn[pp] = std::fma(a, hn[pp], b * xr[pp]);
        acc[pp] = std::fma(hn[pp], c, acc[pp]);
      }
    }
    std::copy(acc, acc + P, yt + t * P);
  }
}
}  // namespace

FloatTensor mamba2_ssm(const FloatTensor& x, const Mamba2Ssm& s, const SsmPolicy& p) {
  const Denormals dn = p.denormals;
  const std::size_t L = x.dim(1), P = static_cast<std::size_t>(s.headdim), N = static_cast<std::size_t>(s.d_state);
  const std::size_t H = static_cast<std::size_t>(s.nheads), G = static_cast<std::size_t>(s.ngroups);
  if (x.dim(0) != H * P) throw std::invalid_argument("Mamba2 SSM: x has the wrong number of channels");
  check_len(s.dt.q, H, L, "dt");
  check_len(s.b, G * N, L, "B");
  check_len(s.c, G * N, L, "C");
  FloatTensor y({H * P, L});
  std::vector<float> dt(L), dA(L), bdt(L * N), cf(L * N), hstate(N * P), acc(P), xt(L * P), yt(L * P);
  for (std::size_t hd = 0; hd < H; ++hd) {
    const std::size_t g = hd / (H / G);
    const float A = -exp_unit(fmul(s.a_log.scale, static_cast<float>(s.a_log.q(hd)), dn), dn);
    const float dv = fmul(s.d_skip.scale, static_cast<float>(s.d_skip.q(hd)), dn);
    for (std::size_t t = 0; t < L; ++t) {
      dt[t] = softplus(fadd(fmul(s.dt.scale, static_cast<float>(s.dt.q(hd, t)), dn), s.dt_bias[hd], dn),
                       p.softplus_threshold, dn);
      dA[t] = exp_unit(fmul(dt[t], A, dn), dn);
    }
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t t = 0; t < L; ++t) {
        bdt[t * N + n] = fmul(fmul(s.b_scale[g], static_cast<float>(s.b(g * N + n, t)), dn), dt[t], dn);
        cf[t * N + n] = fmul(s.c_scale[g], static_cast<float>(s.c(g * N + n, t)), dn);
      }
    if (dn == Denormals::kPreserve) {
      for (std::size_t pp = 0; pp < P; ++pp)
        for (std::size_t t = 0; t < L; ++t) xt[t * P + pp] = x(hd * P + pp, t);
      mamba2_head_lanes(xt.data(), dA.data(), bdt.data(), cf.data(), dv, L, P, N, hstate.data(), acc.data(),
                        yt.data());
      for (std::size_t pp = 0; pp < P; ++pp)
        for (std::size_t t = 0; t < L; ++t) y(hd * P + pp, t) = yt[t * P + pp];
      continue;
    }
    for (std::size_t pp = 0; pp < P; ++pp) {
      const std::size_t ch = hd * P + pp;
      std::fill(hstate.begin(), hstate.begin() + static_cast<std::ptrdiff_t>(N), 0.0f);
      for (std::size_t t = 0; t < L; ++t) {
        const float xv = ftz_if(x(ch, t), dn);
        float ac = fmul(dv, xv, dn);
        for (std::size_t n = 0; n < N; ++n) {
          hstate[n] = ffma(dA[t], hstate[n], fmul(bdt[t * N + n], xv, dn), dn);
          ac = ffma(hstate[n], cf[t * N + n], ac, dn);
        }
        y(ch, t) = ac;
      }
    }
  }
  return y;
}

}  // namespace mambahw
