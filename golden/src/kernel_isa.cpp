#include "mambahw/golden/kernel_isa.hpp"

#include <atomic>
#include <stdexcept>
#include <string>

namespace mambahw {

namespace {
// __builtin_cpu_supports reads CPUID and the OS-enabled register state (XCR0).
// The AVX2 and AVX-512 variants are compiled by GCC only (simd_variants.inc;
// clang, the fuzz build's compiler, builds the baseline alone and knows no
// "x86-64-v3"/"-v4" feature strings), so under clang only the baseline runs.
bool host_has(KernelIsa isa) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  switch (isa) {
    case KernelIsa::kAvx512:
      return __builtin_cpu_supports("x86-64-v4") && __builtin_cpu_supports("x86-64-v3");
    case KernelIsa::kAvx2:
      return __builtin_cpu_supports("x86-64-v3");
    default:
      return true;
  }
#else
  return isa == KernelIsa::kSpec || isa == KernelIsa::kBaseline;
#endif
}

std::atomic<KernelIsa>& selected() {
  static std::atomic<KernelIsa> isa{best_kernel_isa()};
  return isa;
}
}  // namespace

bool kernel_isa_supported(KernelIsa isa) { return host_has(isa); }

KernelIsa best_kernel_isa() {
  static const KernelIsa best = host_has(KernelIsa::kAvx512) ? KernelIsa::kAvx512
                                : host_has(KernelIsa::kAvx2) ? KernelIsa::kAvx2
                                                             : KernelIsa::kBaseline;
  return best;
}

KernelIsa kernel_isa() { return selected().load(std::memory_order_relaxed); }

void set_kernel_isa(KernelIsa isa) {
  if (!host_has(isa))
    throw std::invalid_argument("kernel ISA '" + std::string(to_string(isa)) + "' is not supported by this host");
  selected().store(isa, std::memory_order_relaxed);
}

}  // namespace mambahw
