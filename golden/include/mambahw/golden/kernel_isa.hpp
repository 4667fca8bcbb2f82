// Which variant the golden model's fast paths run (docs/layer.md, "Fast
// paths"). Every fast path is one source (golden/src/simd.hpp) compiled for
// each x86-64 level below and chosen at run time by what the host supports;
// each lane performs the scalar specification's IEEE operations in its order,
// so every variant gives the same bits (tested per variant, tb/golden).
// kSpec switches the fast paths off: every kernel runs its scalar
// specification (the reference the variants are tested against).
#pragma once

#include <array>
#include <cstdint>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

enum class KernelIsa : std::uint8_t { kSpec, kBaseline, kAvx2, kAvx512 };
template <>
struct EnumNames<KernelIsa> {
  static constexpr std::array<EnumName<KernelIsa>, 4> table{{
      {KernelIsa::kSpec, "spec", "the scalar specification functions (no fast paths)"},
      {KernelIsa::kBaseline, "baseline", "fast paths at x86-64 baseline (SSE2, 4 lanes, FMA by libm)"},
      {KernelIsa::kAvx2, "avx2", "fast paths with AVX2+FMA (8 lanes, x86-64-v3)"},
      {KernelIsa::kAvx512, "avx512", "fast paths with AVX-512 (16 lanes, x86-64-v4)"},
  }};
};

// Whether this host can run `isa` (kSpec and kBaseline always).
bool kernel_isa_supported(KernelIsa isa);
// The widest variant the host supports: what the fast paths run by default.
KernelIsa best_kernel_isa();
// The variant the fast paths run now.
KernelIsa kernel_isa();
// Selects the variant for the whole process (tests, benchmarks); throws
// std::invalid_argument if the host cannot run it. Not for use while kernels run.
void set_kernel_isa(KernelIsa isa);

}  // namespace mambahw
