#include "mambahw/studies/unit_accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/units.hpp"

namespace mambahw {

namespace {

struct Range {
  std::uint32_t lo, hi;  // inclusive bit-pattern ranges (positive or negative floats)
};

std::vector<Range> domain_ranges(UnitFunction f) {
  switch (f) {
    case UnitFunction::kExp:  // exp(x) normal and finite
      return {{0x0000'0000u, bits_of(88.72283f)}, {0x8000'0000u, bits_of(-87.33654f)}};
    case UnitFunction::kLog1p:
      return {{0x0080'0000u, 0x7F7F'FFFFu}};
    case UnitFunction::kReciprocal:
      return {{0x0080'0000u, 0x7E80'0000u}};
  }
  return {};
}

double exact(UnitFunction f, double x) {
  switch (f) {
    case UnitFunction::kExp: return std::exp(x);
    case UnitFunction::kLog1p: return std::log1p(x);
    case UnitFunction::kReciprocal: return 1.0 / x;
  }
  return 0;
}

void evaluate(UnitFunction f, const UnitSelection& u, const float* x, float* y, std::size_t n) {
  switch (f) {
    case UnitFunction::kExp: return exp_unit_batch(u.exp, x, y, n);
    case UnitFunction::kLog1p: return log1p_unit_batch(u.log1p, x, y, n);
    case UnitFunction::kReciprocal: return reciprocal_unit_batch(u.reciprocal, x, y, n);
  }
}

struct Partial {
  std::uint64_t n = 0, cr = 0;
  double max_ulp = -1;
  float worst = 0;
};

}  // namespace

std::string unit_domain(UnitFunction f) {
  switch (f) {
    case UnitFunction::kExp: return "x in [-87.34, 88.72] (normal results)";
    case UnitFunction::kLog1p: return "v in [2^-126, FLT_MAX]";
    case UnitFunction::kReciprocal: return "x in [2^-126, 2^126]";
  }
  return {};
}

UnitAccuracy unit_accuracy(UnitFunction f, const UnitSelection& units, std::uint64_t stride, unsigned threads) {
  stride = std::max<std::uint64_t>(stride, 1);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // The sampled points: every stride-th pattern of each range, in blocks.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> blocks;  // (first pattern, count)
  constexpr std::uint64_t kBlock = 1 << 16;
  for (const Range& r : domain_ranges(f)) {
    const std::uint64_t count = (static_cast<std::uint64_t>(r.hi) - r.lo) / stride + 1;
    for (std::uint64_t i = 0; i < count; i += kBlock)
      blocks.emplace_back(r.lo + i * stride, std::min(kBlock, count - i));
  }
  std::vector<Partial> part(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<float> x(kBlock), y(kBlock);
      Partial& p = part[t];
      for (std::size_t b = t; b < blocks.size(); b += threads) {
        const auto [first, n] = blocks[b];
        for (std::uint64_t i = 0; i < n; ++i) x[i] = float_of(static_cast<std::uint32_t>(first + i * stride));
        evaluate(f, units, x.data(), y.data(), n);
        for (std::uint64_t i = 0; i < n; ++i) {
          const double r = exact(f, static_cast<double>(x[i]));
          const double ulp = std::ldexp(1.0, std::ilogb(r) - 23);
          const double e = std::fabs(static_cast<double>(y[i]) - r) / ulp;  // NaN/Inf results: Inf
          p.cr += bits_of(y[i]) == bits_of(static_cast<float>(r));
          const float xi = x[i];
          if (!(e <= p.max_ulp) || (e == p.max_ulp && bits_of(xi) < bits_of(p.worst))) {
            p.max_ulp = std::isnan(e) ? INFINITY : e;
            p.worst = x[i];
          }
        }
        p.n += n;
      }
    });
  for (auto& th : pool) th.join();
  UnitAccuracy a;
  a.stride = stride;
  a.max_ulp = -1;
  std::uint64_t cr = 0;
  for (const Partial& p : part) {
    a.inputs += p.n;
    cr += p.cr;
    if (p.max_ulp > a.max_ulp || (p.max_ulp == a.max_ulp && bits_of(p.worst) < bits_of(a.worst_input))) {
      a.max_ulp = p.max_ulp;
      a.worst_input = p.worst;
    }
  }
  a.correctly_rounded = a.inputs ? static_cast<double>(cr) / static_cast<double>(a.inputs) : 0;
  return a;
}

}  // namespace mambahw
