// The FP64 reference layer's exp (reference_exp.hpp): its error against
// long double expl (64-bit significand, an independent producer), its edges
// (overflow, subnormal results, NaN, infinities) against expl's rounding, and
// the lanes of every variant against the scalar specification bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernel_isa_guard.hpp"
#include "mambahw/golden/reference_exp.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {
namespace {

std::uint64_t bits(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// |y - e^x| in units of the last place of the double nearest e^x (2^-1074
// below the normal range), e^x from expl.
double ulp_error(double x, double y) {
  const long double e = expl(static_cast<long double>(x));
  const double ed = static_cast<double>(e);
  if (ed == 0.0) return y == 0.0 ? 0.0 : std::fabs(y) / std::ldexp(1.0, -1074);
  int exp2 = 0;
  std::frexp(ed, &exp2);
  const double ulp = std::ldexp(1.0, std::max(exp2 - 53, -1074));
  return static_cast<double>(std::fabs(static_cast<long double>(y) - e) / ulp);
}

TEST(ReferenceExp, ErrorBelowOnePointOneUlpOverTheWholeRange) {
  Rng rng(31);
  double worst = 0, worst_x = 0;
  auto check = [&](double x) {
    const double err = ulp_error(x, reference_exp(x));
    if (err > worst) worst = err, worst_x = x;
  };
  for (int i = 0; i < 2000000; ++i) check(-745.0 + 1454.7 * rng.uniform());  // every result from subnormal to DBL_MAX
  for (int i = 0; i < 1000000; ++i) check((rng.uniform() - 0.5) * 0.1);     // the scans' typical arguments
  for (int i = 0; i < 200000; ++i) check(-745.0 + 37.0 * rng.uniform());     // subnormal results
  EXPECT_LT(worst, 1.1) << "at x = " << worst_x;
  RecordProperty("max_ulp_error", std::to_string(worst));
}

TEST(ReferenceExp, EdgesAreExplsRoundingOrTheIeeeValue) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(bits(reference_exp(0.0)), bits(1.0));
  EXPECT_EQ(bits(reference_exp(-0.0)), bits(1.0));
  EXPECT_EQ(bits(reference_exp(inf)), bits(inf));
  EXPECT_EQ(bits(reference_exp(-inf)), bits(0.0));
  EXPECT_EQ(bits(reference_exp(1e300)), bits(inf));
  EXPECT_EQ(bits(reference_exp(-1e300)), bits(0.0));
  EXPECT_TRUE(std::isnan(reference_exp(std::numeric_limits<double>::quiet_NaN())));
  // ln(DBL_MAX) = 709.7827128933840: finite just below, infinite just above.
  EXPECT_TRUE(std::isfinite(reference_exp(709.78)));
  EXPECT_EQ(reference_exp(709.79), inf);
  // The smallest subnormal, 2^-1074 = e^-744.44; below e^-745.13 (half of it) zero.
  EXPECT_EQ(reference_exp(-744.44), std::ldexp(1.0, -1074));
  EXPECT_EQ(bits(reference_exp(-745.2)), bits(0.0));
  for (const double x : {-740.0, -720.5, -708.4, -708.3, 1.0, 700.0, 709.7})
    EXPECT_LT(ulp_error(x, reference_exp(x)), 1.1) << x;
}

TEST(ReferenceExp, EveryVariantsLanesAreTheSpecificationsBits) {
  Rng rng(32);
  std::vector<double> x;
  for (const double s : {0.0, -0.0, 1e-310, -1e-300, 709.79, -745.2, -744.44, 1e300, -1e300,
                         std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::quiet_NaN()})
    x.push_back(s);
  for (int i = 0; i < 1000; ++i) x.push_back(-745.0 + 1454.7 * rng.uniform());
  for (int i = 0; i < 1000; ++i) x.push_back((rng.uniform() - 0.5) * 0.1);
  std::vector<KernelIsa> isas = tb::vector_isas();
  isas.push_back(KernelIsa::kSpec);
  for (KernelIsa isa : isas) {
    const tb::KernelIsaScope scope(isa);
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{17}, x.size()}) {
      std::vector<double> y(n, -1.0);
      reference_exp_batch(x.data(), y.data(), n);
      for (std::size_t i = 0; i < n; ++i) {
        const double want = reference_exp(x[i]);
        const bool same = std::isnan(want) ? std::isnan(y[i]) : bits(y[i]) == bits(want);
        ASSERT_TRUE(same) << to_string(isa) << " n " << n << " x " << x[i] << ": " << y[i] << " vs " << want;
      }
    }
  }
}

}  // namespace
}  // namespace mambahw
