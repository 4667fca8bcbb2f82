// The online Hadamard transform before out_proj (Quamba's QHadamard,
// quamba-arithmetic.md §8): FP16 input, an unscaled ±1 transform in FP32 in
// the kernel's summation order, then one multiply and an INT8 conversion that
// wraps by default. The out_proj weights are rotated offline by the same
// orthonormal matrix, so the layer computes W·y = (W·Tᵀ)·(T·y).
// docs/arithmetic.md §13 is the prose form.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mambahw/golden/numerics.hpp"

namespace mambahw {

// n = base · 2^k, the sizes Quamba's transform supports: base 12 when
// 12 divides n, else base 40 when 40 divides n (QHadamard's get_qhad_fn),
// else base 28 when 28 divides n (the kernel's fast_hadamard_transform_28N,
// which QHadamard never dispatches), else a power of two (base 1).
struct HadamardSize {
  int base = 1;  // 1, 12, 28 or 40
  int pow2 = 1;  // 2^k
  int n() const { return base * pow2; }
  friend bool operator==(const HadamardSize&, const HadamardSize&) = default;
};
std::optional<HadamardSize> hadamard_size(int n);

// "" when n has a transform, else why not: "<n> is not 12*2^k, 40*2^k, 28*2^k
// or 2^k (the online Hadamard's sizes)". The one wording for configs and errors.
std::string hadamard_size_problem(int n);

// The transform of out_proj's input, d_inner wide; std::invalid_argument
// naming d_inner when there is none.
HadamardSize require_hadamard_size(int d_inner);

// The base matrix, row-major, entries ±1 (base 1: {+1}): exactly the matrices
// the CUDA kernel applies (Quamba's csrc/hadamard/code_gen.py, generated into
// hadamard_mult_thread_{12,28,40}): 12 had_12_paley (Paley II, q = 5; first
// row +-++++++++++), 28 had_28_will, 40 had_40_tpal. tb/data/hadamard_kernel
// pins them against the kernels' own outputs.
const std::vector<std::int8_t>& hadamard_base(int base);

// The full transform's entry (row, col) in {+1, -1}: H_base[c][c'] · (-1)^popcount(j & j')
// for row = c·2^k + j, col = c'·2^k + j'.
int hadamard_entry(HadamardSize s, int row, int col);

// In place, unscaled, FP32, no FMA, in the kernel's order: the radix-2 stages
// (a, b) -> (a + b, a - b) over the low index bits j, lowest bit first; then
// for each j the base matrix over c as a left-to-right ±1 sum. Subnormal
// operands and results follow `d`.
void hadamard_fp32(std::span<float> v, HadamardSize s, Denormals d = Denormals::kPreserve);

// FP32 additions and subtractions per transformed vector: k radix-2 stages of
// n operations each, then base - 1 per output: n·(k + base - 1).
std::int64_t hadamard_adds(HadamardSize s);

// Datapath operations of one token through hadamard_quantize: the
// transform's additions, and per output one multiply and one INT8
// conversion. (Its FP16 input is what the SSM core wrote: the rounding to
// FP16 is counted there.)
OpMix hadamard_quantize_ops(HadamardSize s);

// The orthonormal transform T·v in double precision, T = H / sqrt(n): the
// offline weight rotation and the calibration observer use it.
void hadamard_orthonormal(std::span<double> v, HadamardSize s);

// How the transformed value becomes INT8. Quamba: q = roundf(v · m) through
// cvt.rzi.s32 and a byte store, which wraps (127.5 -> -128). Its kernel is
// built with --use_fast_math, so v · m flushes a subnormal product to zero
// (kFlushToZero); the transform's own additions never meet a subnormal (FP16
// inputs are multiples of 2^-24), and a flushed product changes no INT8 code.
struct HadamardQuantPolicy {
  Rounding rounding = Rounding::kHalfAwayFromZero;
  Overflow overflow = Overflow::kWrap;
  Denormals denormals = Denormals::kPreserve;  // of the transform and the multiply
  friend bool operator==(const HadamardQuantPolicy&, const HadamardQuantPolicy&) = default;
};

// m = fp32(double(1/sqrt(n)) / double(out_scale)): the transform's 1/sqrt(n)
// folded into the quantizer's one multiplier, the ratio formed in double.
float hadamard_quant_multiplier(int n, float out_scale);

// The transform unit's FP32 output for one token: x (n values) rounded to
// FP16 (widened exactly), then hadamard_fp32 under `d`.
void hadamard_transform_fp16(std::span<const float> x, std::span<float> v, HadamardSize s, Denormals d);

// One token's out_proj input: x (n values) is rounded to FP16, transformed by
// hadamard_fp32 (hadamard_transform_fp16), multiplied by `multiplier` and
// converted to INT8 under `p`.
// Returns how many values rounded outside [-128, 127] (wrapped or saturated).
std::int64_t hadamard_quantize(std::span<const float> x, std::span<std::int8_t> q, HadamardSize s, float multiplier,
                       const HadamardQuantPolicy& p);

}  // namespace mambahw
