#include "rtl_harness.hpp"

#include <fmt/core.h>

namespace mambahw::rtl_tb {

VerilatedContext& context() {
  static VerilatedContext* ctx = [] {
    auto* c = new VerilatedContext;
    c->fatalOnError(false);
    return c;
  }();
  return *ctx;
}

void retire(std::shared_ptr<void> model) {
  static std::vector<std::shared_ptr<void>>* retired = new std::vector<std::shared_ptr<void>>;
  retired->push_back(std::move(model));
}

bool assertions_failed() {
  const bool failed = context().gotError();
  context().gotError(false);
  return failed;
}

std::string describe(const verif::VectorBlock& b, const Mismatch& m) {
  std::string s = fmt::format("transaction {}:", m.index);
  const auto& ports = b.ports();
  const std::size_t ns = b.stimulus_ports();
  for (std::size_t i = 0; i < ns; ++i) s += fmt::format(" {}=0x{:x}", ports[i].name, m.stim[i]);
  for (std::size_t i = 0; i < m.want.size(); ++i)
    s += fmt::format(" | {}: golden 0x{:x} rtl 0x{:x}", ports[ns + i].name, m.want[i], m.got[i]);
  return s;
}

std::uint64_t test_seed(std::uint64_t fallback) {
  std::uint64_t seed = fallback;
  if (const char* e = std::getenv("MAMBAHW_SEED")) seed = std::strtoull(e, nullptr, 0);
  std::printf("random stimulus seed %llu (set MAMBAHW_SEED to reproduce or change)\n",
              static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace mambahw::rtl_tb
