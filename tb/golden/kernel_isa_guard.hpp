// The fast-path variants a test runs on this host (kernel_isa.hpp), and a
// guard that selects one for a scope and restores the previous selection.
#pragma once

#include <vector>

#include "mambahw/golden/kernel_isa.hpp"

namespace mambahw::tb {

// Every vector variant this host can run (baseline always; AVX2, AVX-512 if present).
inline std::vector<KernelIsa> vector_isas() {
  std::vector<KernelIsa> v;
  for (KernelIsa i : {KernelIsa::kBaseline, KernelIsa::kAvx2, KernelIsa::kAvx512})
    if (kernel_isa_supported(i)) v.push_back(i);
  return v;
}

class KernelIsaScope {
 public:
  explicit KernelIsaScope(KernelIsa isa) : saved_(kernel_isa()) { set_kernel_isa(isa); }
  ~KernelIsaScope() { set_kernel_isa(saved_); }
  KernelIsaScope(const KernelIsaScope&) = delete;
  KernelIsaScope& operator=(const KernelIsaScope&) = delete;

 private:
  KernelIsa saved_;
};

}  // namespace mambahw::tb
