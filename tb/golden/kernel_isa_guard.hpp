// The fast-path variants a test runs on this host (kernel_isa.hpp), and a
// guard that selects one for a scope and restores the previous selection.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/tensor.hpp"

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

// run() under KernelIsa::kSpec (the scalar specification) and under every
// vector variant; each variant's tensor must equal the specification's bit
// for bit. `what` names the case in a failure.
template <class Run>
void expect_every_variant_matches_spec(Run run, const std::string& what) {
  FloatTensor spec;
  {
    KernelIsaScope scope(KernelIsa::kSpec);
    spec = run();
  }
  for (KernelIsa isa : vector_isas()) {
    KernelIsaScope scope(isa);
    const FloatTensor fast = run();
    ASSERT_EQ(fast.size(), spec.size());
    for (std::size_t i = 0; i < fast.size(); ++i)
      ASSERT_EQ(bits_of(fast(i)), bits_of(spec(i))) << to_string(isa) << " " << what << " element " << i;
  }
}

}  // namespace mambahw::tb
