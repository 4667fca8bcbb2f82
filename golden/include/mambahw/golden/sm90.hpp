// The NVIDIA Hopper (sm_90) fast-math units, emulated bit for bit on the CPU:
// what a CUDA kernel built with --use_fast_math (Quamba's kernels) computes
// for exp, log1p and division. docs/arithmetic.md §3.4 is the prose form;
// tb/data/sm90_units holds the H200 reference this emulation is checked
// against in the default suite.
//
// Every operation is the PTX instruction's: FP32 round to nearest even (or
// toward zero where named), subnormal operands read as signed zero and
// subnormal results (after rounding) written as signed zero (.ftz), and the
// GPU's one NaN, 0x7FFFFFFF, wherever an instruction produces a NaN.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mambahw/golden/unit_ops.hpp"

namespace mambahw {

// The NaN every sm_90 FP32 instruction returns (positive, all payload bits set).
inline constexpr std::uint32_t kSm90Nan = 0x7FFF'FFFFu;

// ---- single PTX instructions ---------------------------------------------------

float sm90_add(float a, float b);             // add.ftz.f32 (round to nearest even)
float sm90_add_rz(float a, float b);          // add.rz.ftz.f32 (round toward zero)
float sm90_mul(float a, float b);             // mul.ftz.f32
float sm90_fma(float a, float b, float c);    // fma.rn.ftz.f32
float sm90_ex2(float x);                      // ex2.approx.ftz.f32 (MUFU.EX2)
float sm90_rcp(float x);                      // rcp.approx.ftz.f32 (MUFU.RCP)

// ---- what --use_fast_math makes of the C library calls --------------------------

// expf(x) = ex2.approx.ftz(mul.ftz(x, 0x3FB8AA3B)) (libdevice __nv_fast_expf).
float sm90_expf(float x);
// log1pf(x): libdevice __nv_log1pf with __CUDA_FTZ = 1 (a degree-9 polynomial
// in the reduced argument after an add.rz splits the exponent off).
float sm90_log1pf(float x);
// Datapath operations of one log1pf, tallied by the definition (x = 3).
OpMix sm90_log1pf_ops();
// a / b = div.approx.ftz.f32, which is mul.ftz(a, rcp.approx.ftz(b)).
float sm90_div(float a, float b);

// Array forms: y[i] = f(x[i]) bit for bit (tested against the scalar forms).
void sm90_ex2_batch(const float* x, float* y, std::size_t n);
void sm90_rcp_batch(const float* x, float* y, std::size_t n);
void sm90_expf_batch(const float* x, float* y, std::size_t n);
void sm90_log1pf_batch(const float* x, float* y, std::size_t n);

}  // namespace mambahw
