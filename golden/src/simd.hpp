// Internal to golden/src: how the fast paths are built and dispatched.
//
// A fast path is written once, in a kernel file (exp_unit_lanes.inc,
// ssm_lanes.inc) beside the scalar specification it is tested against, with
// GCC vector extensions over W lanes (simd_lanes.inc: +, *, compares and
// selects are lane-wise IEEE operations; fma() is a lane-wise fused
// multiply-add). simd_variants.inc compiles it three times: W = 16 under
// x86-64-v4 (AVX-512), W = 8 under x86-64-v3 (AVX2+FMA), W = 4 at the x86-64
// baseline (SSE2, fma by libm's correctly rounded fmaf); MAMBAHW_SIMD_CALL
// runs the one kernel_isa() selects. Every lane performs the specification's
// operations in its order, so the variants cannot differ in any bit: only
// the number of lanes changes. (The GEMM's integer kernel, gemm_lanes.inc,
// reorders exact integer sums instead: madd_pairs is pmaddwd over int16
// pairs; arithmetic.md §12 gives the bound that keeps it exact.) No
// reassociation, no contraction
// (-ffp-contract=off), no FTZ/DAZ (MXCSR is never touched); the files are
// built with -fno-trapping-math, which changes no value (exception flags are
// never read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "exp_unit_core.hpp"
#include "mambahw/golden/exp_unit.hpp"  // the scalar exp_unit of the lanes outside its main path
#include "mambahw/golden/kernel_isa.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// Vector arguments of the lane helpers: they are always inlined.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// fn(args...) in the variant kernel_isa() selects (never kSpec: the caller
// runs its scalar specification then).
#define MAMBAHW_SIMD_CALL(fn, ...)                   \
  do {                                               \
    switch (::mambahw::kernel_isa()) {               \
      case ::mambahw::KernelIsa::kAvx512:            \
        simd_avx512::fn(__VA_ARGS__);                \
        break;                                       \
      case ::mambahw::KernelIsa::kAvx2:              \
        simd_avx2::fn(__VA_ARGS__);                  \
        break;                                       \
      default:                                       \
        simd_baseline::fn(__VA_ARGS__);              \
    }                                                \
  } while (0)
