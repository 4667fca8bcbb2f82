#include "mambahw/studies/stats.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/fp32.hpp"

namespace mambahw {

ErrorStats error_stats(std::span<const float> reference, std::span<const float> x) {
  ErrorStats s;
  double sig = 0.0, noise = 0.0, sum_abs = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    const double r = reference[i], e = static_cast<double>(x[i]) - r;
    sig += r * r;
    noise += e * e;
    sum_abs += std::fabs(e);
    s.max_abs_err = std::max(s.max_abs_err, std::fabs(e));
    s.exact += bits_of(reference[i]) == bits_of(x[i]);
  }
  s.count = static_cast<std::int64_t>(reference.size());
  s.mean_abs_err = s.count ? sum_abs / static_cast<double>(s.count) : 0.0;
  s.sqnr_db = noise == 0.0 ? INFINITY : 10.0 * std::log10(sig / noise);
  return s;
}

DistributionStats distribution_stats(std::span<const float> x) {
  DistributionStats d;
  if (x.empty()) return d;
  double sum = 0.0, sum2 = 0.0;
  d.min = d.max = x[0];
  std::vector<float> a(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    sum += x[i];
    sum2 += static_cast<double>(x[i]) * x[i];
    d.min = std::min(d.min, static_cast<double>(x[i]));
    d.max = std::max(d.max, static_cast<double>(x[i]));
    a[i] = std::fabs(x[i]);
  }
  const double n = static_cast<double>(x.size());
  d.mean = sum / n;
  d.std = std::sqrt(std::max(0.0, sum2 / n - d.mean * d.mean));
  d.absmax = std::max(std::fabs(d.min), std::fabs(d.max));
  d.p99 = quantile_linear(a, 0.99);
  d.p999 = quantile_linear(a, 0.999);
  d.p9995 = quantile_linear(a, 0.9995);
  d.p9999 = quantile_linear(a, 0.9999);
  d.max_over_p9999 = d.p9999 > 0 ? d.absmax / d.p9999 : 0.0;
  std::int64_t out = 0;
  for (float v : x) out += std::fabs(v - d.mean) > 6.0 * d.std;
  d.outlier_fraction = static_cast<double>(out) / n;
  return d;
}

}  // namespace mambahw
