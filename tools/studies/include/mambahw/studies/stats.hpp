// Error and distribution statistics shared by every report (study, accuracy
// per mode, model-vs-golden comparisons). Computed in double.
#pragma once

#include <cstdint>
#include <span>

namespace mambahw {

struct ErrorStats {
  double sqnr_db = 0.0;        // 10 log10(sum ref^2 / sum (ref - x)^2); +Inf if identical
  double max_abs_err = 0.0;
  double mean_abs_err = 0.0;
  std::int64_t exact = 0;      // elements with identical FP32 bit patterns
  std::int64_t count = 0;
};
ErrorStats error_stats(std::span<const float> reference, std::span<const float> x);

struct DistributionStats {
  double min = 0, max = 0, mean = 0, std = 0;
  double absmax = 0;
  double p99 = 0, p999 = 0, p9995 = 0, p9999 = 0;  // quantiles of |x|
  double max_over_p9999 = 0;
  double outlier_fraction = 0;  // fraction of |x - mean| > 6 std
};
DistributionStats distribution_stats(std::span<const float> x);

}  // namespace mambahw
