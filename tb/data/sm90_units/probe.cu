// sm_90 fast-math unit probe (issue 19): the device-side half of the proof of
// golden/src/sm90.cpp. On an H100/H200 it
//   1. writes ex2.approx.ftz.f32 and rcp.approx.ftz.f32 on their fraction grids
//      (the tables golden/data/sm90_tables.tar.xz ships) and their FNV-1a hashes;
//   2. checks on the GPU, over all 2^32 inputs, table models of ex2 and rcp
//      (which reduction rule reproduces the instruction), expf =
//      ex2(mul(x, log2e)) and div.approx.ftz(a, b) = mul(a, rcp(b));
//   3. compares the CPU emulation itself (golden/src/sm90.cpp, linked in)
//      with the GPU over all 2^32 inputs for ex2, rcp, expf and log1pf, and
//      for division over 2^32 pseudo-random bit pairs and all 2^32 divisors of 1;
//   4. writes the sampled reference files of tb/data/sm90_units.
// Build and run: tb/data/sm90_units/README.md. Not part of the project build.
#include <cuda_runtime.h>
#include <omp.h>

#include <chrono>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mambahw/golden/sm90.hpp"

#define CK(x)                                                                                  \
  do {                                                                                         \
    cudaError_t e_ = (x);                                                                      \
    if (e_ != cudaSuccess) {                                                                   \
      std::fprintf(stderr, "CUDA %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(e_)); \
      std::exit(2);                                                                            \
    }                                                                                          \
  } while (0)

__device__ __forceinline__ float ex2a(float x) { float y; asm volatile("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x)); return y; }
__device__ __forceinline__ float rcpa(float x) { float y; asm volatile("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x)); return y; }
__device__ __forceinline__ float diva(float a, float b) { float y; asm volatile("div.approx.ftz.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b)); return y; }
__device__ __forceinline__ float mulrn(float a, float b) { float y; asm volatile("mul.rn.ftz.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b)); return y; }

enum Op : int { kEx2 = 0, kRcp = 1, kLog1pf = 2, kExpf = 3, kDiv = 4 };

// Compiled with --use_fast_math: log1pf is libdevice's with FTZ, expf is
// mul.ftz + ex2.approx.ftz, a / b is div.approx.ftz.
__device__ __noinline__ float op_log1pf(float x) { return log1pf(x); }
__device__ __noinline__ float op_expf(float x) { return expf(x); }

__device__ float apply(int op, float x) {
  switch (op) {
    case kEx2: return ex2a(x);
    case kRcp: return rcpa(x);
    case kLog1pf: return op_log1pf(x);
    case kExpf: return op_expf(x);
  }
  return 0.0f;
}

__global__ void k_eval(int op, const uint32_t* in, uint32_t* out, uint64_t n) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
    out[i] = __float_as_uint(apply(op, __uint_as_float(in[i])));
}
__global__ void k_eval_div(const uint32_t* a, const uint32_t* b, uint32_t* out, uint64_t n) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
    out[i] = __float_as_uint(diva(__uint_as_float(a[i]), __uint_as_float(b[i])));
}
__global__ void k_range(int op, uint64_t base, uint32_t* out, uint64_t n) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
    out[i] = __float_as_uint(apply(op, __uint_as_float((uint32_t)(base + i))));
}

// Tables on the grids: ex2(j 2^-23), ex2(-j 2^-23), rcp(1 + j 2^-23).
__global__ void k_tables(uint32_t* tpos, uint32_t* tneg, uint32_t* trcp) {
  for (uint32_t j = blockIdx.x * blockDim.x + threadIdx.x; j < (1u << 23); j += gridDim.x * blockDim.x) {
    const float f = (float)j * 0x1p-23f;
    tpos[j] = __float_as_uint(ex2a(f));
    tneg[j] = __float_as_uint(ex2a(-f));
    trcp[j] = __float_as_uint(rcpa(1.0f + f));
  }
}

struct Counters {
  unsigned long long mism[16];
  unsigned long long cls[16][512];
  unsigned int nex[16];
  uint32_t ex[16][16][3];
};

__device__ void record(Counters* c, int t, uint32_t x, uint32_t got, uint32_t want) {
  atomicAdd(&c->mism[t], 1ull);
  atomicAdd(&c->cls[t][x >> 23], 1ull);
  if (*(volatile unsigned*)&c->nex[t] >= 16) return;
  unsigned k = atomicAdd(&c->nex[t], 1u);
  if (k < 16) { c->ex[t][k][0] = x; c->ex[t][k][1] = got; c->ex[t][k][2] = want; }
}

// x * 2^k exactly for a float t in [0.5, 2] (double holds it), flushed to a
// signed zero when below 2^-126, +Inf above the range.
__device__ uint32_t scale_ftz(float t, int k) {
  const double v = (double)t * ldexp(1.0, k);
  if (v < 0x1p-126) return 0u;
  if (v >= 0x1p128) return 0x7F800000u;
  return __float_as_uint((float)v);
}

// Table models of ex2.approx.ftz. |x| < 128 as a fixed-point number F = |x| 2^23
// (truncated: tr; rounded to nearest even: rn), i = F >> 23, f = F mod 2^23.
// A: x >= 0: Tpos[f] 2^i; x < 0: Tneg[f] 2^-i (sign-magnitude).
// C: two's complement floor of x 2^23, Tpos only.
__device__ uint32_t model_ex2(int variant, uint32_t xb, const uint32_t* tpos, const uint32_t* tneg) {
  const uint32_t ab = xb & 0x7FFFFFFFu;
  const bool neg = xb >> 31;
  if (ab > 0x7F800000u) return 0x7FFFFFFFu;
  if (ab < 0x00800000u) return 0x3F800000u;  // +-0 and subnormals (flushed): 1
  if (ab >= 0x43000000u) return neg ? 0u : 0x7F800000u;
  const int e = (int)(ab >> 23) - 127;
  const uint64_t m = (ab & 0x7FFFFFu) | 0x800000u;  // |x| = m 2^(e-23)
  uint64_t F;  // |x| 2^23, truncated or rounded
  if (e >= 0) F = m << e;
  else if (-e >= 40) F = (variant == 2 && neg) ? 1 : 0;
  else {
    const int s = -e;
    F = m >> s;
    const uint64_t rem = m & ((1ull << s) - 1), half = 1ull << (s - 1);
    if (variant == 1 && (rem > half || (rem == half && (F & 1)))) ++F;  // A, round to nearest even
    if (variant == 2 && neg && rem != 0) ++F;                             // C: floor of a negative
  }
  if (!neg) {
    const uint32_t i = (uint32_t)(F >> 23), f = (uint32_t)(F & 0x7FFFFFu);
    return scale_ftz(__uint_as_float(tpos[f]), (int)i);
  }
  if (variant == 2) {  // x = -(F 2^-23) = -(i+1) + (1 - f 2^-23)
    if (F == 0) return 0x3F800000u;
    const uint64_t G = (1ull << 31) - F;  // offset by 2^8 integer units to stay positive
    const int i = (int)(G >> 23) - 256;
    const uint32_t f = (uint32_t)(G & 0x7FFFFFu);
    return scale_ftz(__uint_as_float(tpos[f]), i);
  }
  const uint32_t i = (uint32_t)(F >> 23), f = (uint32_t)(F & 0x7FFFFFu);
  return scale_ftz(__uint_as_float(tneg[f]), -(int)i);
}

__device__ uint32_t model_rcp(uint32_t xb, const uint32_t* trcp) {
  const uint32_t ab = xb & 0x7FFFFFFFu, sign = xb & 0x80000000u;
  if (ab > 0x7F800000u) return 0x7FFFFFFFu;
  if (ab < 0x00800000u) return sign | 0x7F800000u;
  if (ab == 0x7F800000u) return sign;
  const int e = (int)(ab >> 23) - 127;
  return sign | scale_ftz(__uint_as_float(trcp[ab & 0x7FFFFFu]), -e);
}

// Full-range checks: t0..2 the ex2 models, t3 the rcp model, t4 expf == ex2(mul(x, log2e)),
// t5 div(1, x) == mul(1, rcp(x)) etc. with fixed numerators (t5..t12).
__constant__ float kNumer[8] = {1.0f, -3.7f, 1e-30f, 3e38f, 0.0f, INFINITY, 1e-40f, 65504.0f};
__global__ void k_sweep(uint64_t base, uint64_t n, const uint32_t* tpos, const uint32_t* tneg, const uint32_t* trcp,
                        Counters* c) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
    const uint32_t xb = (uint32_t)(base + i);
    const float x = __uint_as_float(xb);
    const uint32_t g = __float_as_uint(ex2a(x));
    for (int v = 0; v < 3; ++v) {
      const uint32_t w = model_ex2(v, xb, tpos, tneg);
      if (w != g) record(c, v, xb, g, w);
    }
    const uint32_t r = __float_as_uint(rcpa(x));
    const uint32_t wr = model_rcp(xb, trcp);
    if (wr != r) record(c, 3, xb, r, wr);
    const uint32_t ge = __float_as_uint(op_expf(x));
    const uint32_t we = __float_as_uint(ex2a(mulrn(x, 0x1.715476p+0f)));
    if (ge != we) record(c, 4, xb, ge, we);
    for (int k = 0; k < 8; ++k) {
      const uint32_t gd = __float_as_uint(diva(kNumer[k], x));
      const uint32_t wd = __float_as_uint(mulrn(kNumer[k], rcpa(x)));
      if (gd != wd) record(c, 5 + k, xb, gd, wd);
    }
  }
}

// div.approx.ftz(a, b) against mul(a, rcp(b)) on pseudo-random bit pairs.
__device__ uint64_t splitmix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
__global__ void k_div_pairs(uint64_t base, uint64_t n, Counters* c) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
    const uint64_t r = splitmix(base + i);
    const uint32_t ab = (uint32_t)r, bb = (uint32_t)(r >> 32);
    const float a = __uint_as_float(ab), b = __uint_as_float(bb);
    const uint32_t gd = __float_as_uint(diva(a, b));
    const uint32_t wd = __float_as_uint(mulrn(a, rcpa(b)));
    if (gd != wd) record(c, 13, ab, gd, wd);
  }
}

// div.approx.ftz over one chunk: pairs = splitmix bit pairs, else 1 / x for x = base + i.
__global__ void k_div_range(bool pairs, uint64_t base, uint32_t* out, uint64_t n) {
  for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
    uint32_t ab = 0x3F800000u, bb = (uint32_t)(base + i);
    if (pairs) {
      const uint64_t r = splitmix(base + i);
      ab = (uint32_t)r, bb = (uint32_t)(r >> 32);
    }
    out[i] = __float_as_uint(diva(__uint_as_float(ab), __uint_as_float(bb)));
  }
}

// Correctly rounded references on the grids: rcp vs IEEE 1/m, ex2 vs exp2 in double.
__global__ void k_grid_stats(const uint32_t* tpos, const uint32_t* tneg, const uint32_t* trcp, unsigned long long* h) {
  for (uint32_t j = blockIdx.x * blockDim.x + threadIdx.x; j < (1u << 23); j += gridDim.x * blockDim.x) {
    const float m = 1.0f + (float)j * 0x1p-23f;
    const int dr = (int)trcp[j] - (int)__float_as_uint(__fdiv_rn(1.0f, m));
    atomicAdd(&h[0 * 9 + min(max(dr + 4, 0), 8)], 1ull);
    const float f = (float)j * 0x1p-23f;
    const int dp = (int)tpos[j] - (int)__float_as_uint((float)exp2((double)f));
    atomicAdd(&h[1 * 9 + min(max(dp + 4, 0), 8)], 1ull);
    const int dn = (int)tneg[j] - (int)__float_as_uint((float)exp2(-(double)f));
    atomicAdd(&h[2 * 9 + min(max(dn + 4, 0), 8)], 1ull);
  }
}

// ---- host ---------------------------------------------------------------------------

static uint64_t splitmix_host(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint64_t fnv1a(const std::vector<uint32_t>& t) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t v : t)
    for (int k = 0; k < 4; ++k) h = (h ^ ((v >> (8 * k)) & 0xFFu)) * 0x100000001b3ull;
  return h;
}
static uint64_t g_rng = 0x5EED0019ull;
static uint64_t next_rand() {
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static uint32_t fbits(float f) { uint32_t b; std::memcpy(&b, &f, 4); return b; }
static float uniform(double lo, double hi) { return (float)(lo + (hi - lo) * ((next_rand() >> 11) * 0x1p-53)); }

static void write_file(const std::string& path, const void* p, size_t n) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(p, 1, n, f) != n || std::fclose(f) != 0) { std::perror(path.c_str()); std::exit(3); }
}

// Delta code of a table of bit patterns (monotone): int8 differences.
static void write_delta(const std::string& path, const std::vector<uint32_t>& t) {
  std::vector<int8_t> d(t.size());
  uint32_t prev = 0;
  for (size_t j = 0; j < t.size(); ++j) {
    const int64_t dd = (int64_t)t[j] - (int64_t)prev;
    if (j > 0 && (dd < -127 || dd > 127)) { std::fprintf(stderr, "delta out of range at %zu\n", j); std::exit(4); }
    d[j] = j == 0 ? 0 : (int8_t)dd;
    prev = t[j];
  }
  // first value in a 4-byte prefix
  std::vector<uint8_t> out(4 + d.size());
  std::memcpy(out.data(), &t[0], 4);
  std::memcpy(out.data() + 4, d.data(), d.size());
  write_file(path, out.data(), out.size());
}

// Every special and boundary class of an FP32 input: each sign and exponent
// with mantissas 0, 1, 2^22 - 1, 2^22, 2^23 - 2, 2^23 - 1, plus named values.
static std::vector<uint32_t> special_inputs(int op) {
  std::vector<uint32_t> v;
  for (uint32_t s = 0; s < 2; ++s)
    for (uint32_t e = 0; e < 256; ++e)
      for (uint32_t m : {0u, 1u, 0x3FFFFFu, 0x400000u, 0x7FFFFEu, 0x7FFFFFu}) v.push_back(s << 31 | e << 23 | m);
  for (uint32_t b : {0x7FC00000u, 0xFFC00000u, 0x7FFFFFFFu, 0x7F800001u, 0xFF800001u, 0x7FA00000u}) v.push_back(b);
  auto around = [&](float x) {
    const uint32_t b = fbits(x);
    for (int d = -3; d <= 3; ++d) v.push_back(b + (uint32_t)d);
  };
  if (op == kEx2 || op == kExpf) {
    for (int k = -160; k <= 160; ++k) { around((float)k); around((float)k + 0.5f); }
    for (float x : {88.7228394f, 88.0f, -87.3365479f, -103.972084f, -104.0f, 0.693147182f, -0.693147182f}) around(x);
  }
  if (op == kRcp || op == kDiv) {
    for (int k = -149; k <= 127; ++k) { around(std::ldexp(1.0f, k)); around(-std::ldexp(1.0f, k)); around(std::ldexp(1.5f, k)); }
  }
  if (op == kLog1pf) {
    for (float x : {-1.0f, -0.5f, -0.75f, -0.25f, 0.5f, 0.25f, 0.75f, 1.0f, 2.0f, 3.0f, 1e-8f, 1e-30f, -1e-8f}) { around(x); }
    for (int k = -149; k <= 127; ++k) { around(std::ldexp(1.0f, k)); around(-std::ldexp(1.0f, k)); }
  }
  return v;
}

static std::vector<uint32_t> sample_inputs(int op) {
  std::vector<uint32_t> v = special_inputs(op);
  for (int i = 0; i < 32768; ++i) v.push_back((uint32_t)next_rand());
  for (int i = 0; i < 32768; ++i) {
    float x = 0;
    switch (op) {
      case kEx2: x = uniform(-130, 130); break;
      case kRcp: x = std::ldexp(uniform(1, 2), (int)(next_rand() % 254) - 126) * ((next_rand() & 1) ? -1 : 1); break;
      case kLog1pf: x = (i & 1) ? uniform(-1, 4) : std::ldexp(uniform(1, 2), (int)(next_rand() % 100) - 60); break;
      case kExpf: x = uniform(-110, 95); break;
    }
    v.push_back(fbits(x));
  }
  return v;
}

// File: "mhwsm90\1", u32 op, u32 arity, u64 count, then count records of arity+1 u32.
static void write_ref(const std::string& path, int op, int arity, const std::vector<uint32_t>& rec) {
  std::vector<uint8_t> out(24 + rec.size() * 4);
  std::memcpy(out.data(), "mhwsm90\1", 8);
  const uint32_t o = (uint32_t)op, a = (uint32_t)arity;
  const uint64_t n = rec.size() / (size_t)(arity + 1);
  std::memcpy(out.data() + 8, &o, 4);
  std::memcpy(out.data() + 12, &a, 4);
  std::memcpy(out.data() + 16, &n, 8);
  std::memcpy(out.data() + 24, rec.data(), rec.size() * 4);
  write_file(path, out.data(), out.size());
}

static void print_counters(const Counters& c, const char* const* names, int ntests) {
  for (int t = 0; t < ntests; ++t) {
    std::printf("test %-28s mismatches %llu\n", names[t], c.mism[t]);
    if (!c.mism[t]) continue;
    int shown = 0;
    for (int k = 0; k < 512 && shown < 24; ++k)
      if (c.cls[t][k]) { std::printf("   class sign %d exp %3d: %llu\n", k >> 8, k & 255, c.cls[t][k]); ++shown; }
    for (unsigned k = 0; k < std::min(c.nex[t], 16u); ++k)
      std::printf("   e.g. x %08x gpu %08x model %08x\n", c.ex[t][k][0], c.ex[t][k][1], c.ex[t][k][2]);
  }
}

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : ".";
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device %s, sm_%d%d, %d SMs\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
  const int grid = prop.multiProcessorCount * 16, block = 256;

  // 1. tables
  uint32_t *tpos, *tneg, *trcp;
  const size_t T = 1u << 23;
  CK(cudaMalloc(&tpos, T * 4));
  CK(cudaMalloc(&tneg, T * 4));
  CK(cudaMalloc(&trcp, T * 4));
  k_tables<<<grid, block>>>(tpos, tneg, trcp);
  CK(cudaDeviceSynchronize());
  std::vector<uint32_t> hpos(T), hneg(T), hrcp(T);
  CK(cudaMemcpy(hpos.data(), tpos, T * 4, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hneg.data(), tneg, T * 4, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hrcp.data(), trcp, T * 4, cudaMemcpyDeviceToHost));
  write_delta(out + "/ex2_pos.d8", hpos);
  write_delta(out + "/ex2_neg.d8", hneg);
  write_delta(out + "/rcp.d8", hrcp);
  std::printf("tables: FNV-1a ex2_pos %016llx ex2_neg %016llx rcp %016llx (golden/src/sm90.cpp checks these)\n",
              (unsigned long long)fnv1a(hpos), (unsigned long long)fnv1a(hneg), (unsigned long long)fnv1a(hrcp));
  {
    unsigned long long* h;
    CK(cudaMalloc(&h, 27 * 8));
    CK(cudaMemset(h, 0, 27 * 8));
    k_grid_stats<<<grid, block>>>(tpos, tneg, trcp, h);
    unsigned long long hh[27];
    CK(cudaMemcpy(hh, h, sizeof hh, cudaMemcpyDeviceToHost));
    const char* nm[3] = {"rcp(1+j/2^23) - RN(1/m)", "ex2(j/2^23) - RN(exp2)", "ex2(-j/2^23) - RN(exp2)"};
    for (int t = 0; t < 3; ++t) {
      std::printf("grid %-26s ulp histogram (-4..4):", nm[t]);
      for (int k = 0; k < 9; ++k) std::printf(" %llu", hh[t * 9 + k]);
      std::printf("\n");
    }
  }

  // 2. device-side sweeps over all 2^32 inputs
  Counters* c;
  CK(cudaMalloc(&c, sizeof(Counters)));
  CK(cudaMemset(c, 0, sizeof(Counters)));
  for (uint64_t base = 0; base < (1ull << 32); base += 1ull << 30) k_sweep<<<grid, block>>>(base, 1ull << 30, tpos, tneg, trcp, c);
  for (uint64_t base = 0; base < (1ull << 32); base += 1ull << 30) k_div_pairs<<<grid, block>>>(base, 1ull << 30, c);
  CK(cudaDeviceSynchronize());
  Counters hc;
  CK(cudaMemcpy(&hc, c, sizeof hc, cudaMemcpyDeviceToHost));
  const char* names[14] = {"ex2 model A (trunc)", "ex2 model A (round)", "ex2 model C (floor)", "rcp model",
                           "expf == ex2(mul(x,log2e))", "div(1,x)==mul(1,rcp(x))", "div(-3.7,x)", "div(1e-30,x)",
                           "div(3e38,x)", "div(0,x)", "div(inf,x)", "div(1e-40,x)", "div(65504,x)",
                           "div random pairs (2^32)"};
  print_counters(hc, names, 14);

  // 3. the CPU emulation (golden/src/sm90.cpp) against the GPU, every input
  {
    const uint64_t chunk = 1ull << 28;
    uint32_t *dout, *hout;
    CK(cudaMalloc(&dout, chunk * 4));
    CK(cudaMallocHost(&hout, chunk * 4));
    // ops 0..3 unary over all bit patterns; 4: div(a, b) on splitmix pairs; 5: div(1, x) for every x
    const char* opn[6] = {"ex2", "rcp", "log1pf", "expf", "div(random pairs)", "div(1, x)"};
    const int unary[4] = {kEx2, kRcp, kLog1pf, kExpf};
    for (int oi = 0; oi < 6; ++oi) {
      const auto t0 = std::chrono::steady_clock::now();
      unsigned long long mism = 0;
      uint32_t ex[8][4];
      int nex = 0;
      for (uint64_t base = 0; base < (1ull << 32); base += chunk) {
        if (oi < 4) k_range<<<grid, block>>>(unary[oi], base, dout, chunk);
        else k_div_range<<<grid, block>>>(oi == 4, base, dout, chunk);
        CK(cudaMemcpy(hout, dout, chunk * 4, cudaMemcpyDeviceToHost));
#pragma omp parallel for reduction(+ : mism) schedule(static)
        for (int64_t i = 0; i < (int64_t)chunk; ++i) {
          uint32_t ab = (uint32_t)(base + i), bb = 0;
          if (oi == 4) {
            const uint64_t r = splitmix_host(base + i);
            ab = (uint32_t)r, bb = (uint32_t)(r >> 32);
          } else if (oi == 5) {
            bb = ab, ab = 0x3F800000u;
          }
          float x, y = 0;
          std::memcpy(&x, &ab, 4);
          switch (oi) {
            case 0: y = mambahw::sm90_ex2(x); break;
            case 1: y = mambahw::sm90_rcp(x); break;
            case 2: y = mambahw::sm90_log1pf(x); break;
            case 3: y = mambahw::sm90_expf(x); break;
            default: {
              float d;
              std::memcpy(&d, &bb, 4);
              y = mambahw::sm90_div(x, d);
            }
          }
          const uint32_t yb = fbits(y);
          if (yb != hout[i]) {
            ++mism;
            if (nex < 8) {
#pragma omp critical
              if (nex < 8) { ex[nex][0] = ab; ex[nex][1] = bb; ex[nex][2] = hout[i]; ex[nex][3] = yb; ++nex; }
            }
          }
        }
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("CPU emulation %-18s vs GPU over 2^32 inputs: %llu mismatches (%.1f s)\n", opn[oi], mism, s);
      for (int k = 0; k < nex; ++k)
        std::printf("   e.g. a %08x b %08x gpu %08x emu %08x\n", ex[k][0], ex[k][1], ex[k][2], ex[k][3]);
    }
  }

  // 4. sampled reference
  for (int op : {kEx2, kRcp, kLog1pf, kExpf}) {
    std::vector<uint32_t> in = sample_inputs(op);
    uint32_t *din, *dres;
    CK(cudaMalloc(&din, in.size() * 4));
    CK(cudaMalloc(&dres, in.size() * 4));
    CK(cudaMemcpy(din, in.data(), in.size() * 4, cudaMemcpyHostToDevice));
    k_eval<<<grid, block>>>(op, din, dres, in.size());
    std::vector<uint32_t> res(in.size());
    CK(cudaMemcpy(res.data(), dres, in.size() * 4, cudaMemcpyDeviceToHost));
    std::vector<uint32_t> rec;
    for (size_t i = 0; i < in.size(); ++i) { rec.push_back(in[i]); rec.push_back(res[i]); }
    const char* nm[4] = {"ex2", "rcp", "log1pf", "expf"};
    write_ref(out + "/" + nm[op] + ".ref", op, 1, rec);
    std::printf("reference %s: %zu pairs\n", nm[op], in.size());
  }
  {
    std::vector<uint32_t> sp = special_inputs(kDiv), a, b;
    std::vector<uint32_t> few;
    for (size_t i = 0; i < sp.size(); i += 37) few.push_back(sp[i]);
    for (uint32_t x : few)
      for (uint32_t y : few) { a.push_back(x); b.push_back(y); }
    for (int i = 0; i < 32768; ++i) { a.push_back((uint32_t)next_rand()); b.push_back((uint32_t)next_rand()); }
    for (int i = 0; i < 32768; ++i) { a.push_back(fbits(uniform(-100, 100))); b.push_back(fbits(uniform(0.5, 50))); }
    uint32_t *da, *db, *dres;
    CK(cudaMalloc(&da, a.size() * 4));
    CK(cudaMalloc(&db, a.size() * 4));
    CK(cudaMalloc(&dres, a.size() * 4));
    CK(cudaMemcpy(da, a.data(), a.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(db, b.data(), b.size() * 4, cudaMemcpyHostToDevice));
    k_eval_div<<<grid, block>>>(da, db, dres, a.size());
    std::vector<uint32_t> res(a.size());
    CK(cudaMemcpy(res.data(), dres, a.size() * 4, cudaMemcpyDeviceToHost));
    std::vector<uint32_t> rec;
    for (size_t i = 0; i < a.size(); ++i) { rec.push_back(a[i]); rec.push_back(b[i]); rec.push_back(res[i]); }
    write_ref(out + "/div.ref", kDiv, 2, rec);
    std::printf("reference div: %zu triples\n", a.size());
  }
  CK(cudaDeviceSynchronize());
  std::printf("probe done\n");
  return 0;
}
