#include "mambahw/golden/calibration.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace mambahw {

double quantile_linear(std::span<const float> values, double q) {
  if (values.empty()) return 0.0;
  std::vector<float> v(values.begin(), values.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double vlo = v[lo];
  double vhi = vlo;
  if (hi != lo) vhi = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(hi), v.end());
  return vlo + (vhi - vlo) * (pos - static_cast<double>(lo));
}

namespace {
std::vector<float> abs_values(std::span<const float> x) {
  std::vector<float> a(x.size());
  std::transform(x.begin(), x.end(), a.begin(), [](float v) { return std::fabs(v); });
  return a;
}
float scale_from_max(double max, int qmax) {
  const double s = std::max(max, 1e-5) / qmax;
  return static_cast<float>(std::max(s, 1e-6));
}
}  // namespace

void MinMaxObserver::observe(std::span<const float> batch) {
  // The largest |v| of the non-NaN values. A maximum is exact in any order,
  // and the float -> double conversion is exact and monotonic, so eight
  // float maxima (independent chains instead of one chain of dependent
  // compares) give the same max_ as comparing value by value in double.
  constexpr std::size_t kChains = 8;
  std::array<float, kChains> m{};  // +0: no |v| is below it
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const float a = std::fabs(batch[i]);
    if (a > m[i % kChains]) m[i % kChains] = a;  // false for NaN
  }
  for (float v : m) max_ = std::max(max_, static_cast<double>(v));
  seen_ = true;
}
float MinMaxObserver::scale(int qmax) const { return scale_from_max(max_, qmax); }

void PercentileObserver::observe(std::span<const float> batch) {
  const std::vector<float> a = abs_values(batch);
  const double cur = quantile_linear(a, p_);
  w_ = seen_ ? w_ + ema_ * (cur - w_) : cur;
  seen_ = true;
}
float PercentileObserver::scale(int qmax) const { return scale_from_max(w_, qmax); }

namespace {

// One observer per "cell" (a set of channels), fed batch by batch.
class CellObserver {
 public:
  explicit CellObserver(const ObserverConfig& c) : cfg_(c), pct_(c.percentile, c.ema_weight) {}
  void observe(std::span<const float> values) {
    if (cfg_.kind == ObserverKind::kMinMax) mm_.observe(values);
    else pct_.observe(values);
  }
  float scale(int qmax) const {
    return cfg_.kind == ObserverKind::kMinMax ? mm_.scale(qmax) : pct_.scale(qmax);
  }

 private:
  ObserverConfig cfg_;
  MinMaxObserver mm_;
  PercentileObserver pct_;
};

// Values of the channels c with pick(c) true, of one [C][L] batch.
template <class Pick>
std::vector<float> gather(const FloatTensor& y, int c_begin, int c_end, Pick pick) {
  std::vector<float> v;
  for (int c = c_begin; c < c_end; ++c) {
    if (!pick(c)) continue;
    const float* row = &y(static_cast<std::size_t>(c), 0);
    v.insert(v.end(), row, row + y.dim(1));
  }
  return v;
}

template <class Pick>
float calibrate_cell(const ObserverConfig& cfg, std::span<const FloatTensor> batches, int c_begin,
                     int c_end, Pick pick) {
  CellObserver obs(cfg);
  for (const FloatTensor& y : batches) obs.observe(gather(y, c_begin, c_end, pick));
  return obs.scale(127);
}

void calibrate_quamba1(const QuantScheme& s, const ModelShape& m,
                       std::span<const FloatTensor> batches, ConvOutQuantizer& q) {
  q.int8_scales.assign(static_cast<std::size_t>(m.conv_channels()), 0.0f);
  int begin = 0;
  for (int end : conv_segment_ends(m)) {
    const float scale = s.conv_out_scale
                            ? *s.conv_out_scale
                            : calibrate_cell(s.conv_out_observer, batches, begin, end,
                                             [](int) { return true; });
    std::fill(q.int8_scales.begin() + begin, q.int8_scales.begin() + end, scale);
    begin = end;
  }
}

void calibrate_quamba2(const QuantScheme& s, const ModelShape& m,
                       std::span<const FloatTensor> batches, ConvOutQuantizer& q) {
  if (s.scale_table) {
    q.table = *s.scale_table;
  } else {
    Quamba2ScaleTable t = Quamba2ScaleTable::uniform(
        ScaleTableShape::of(m, s.head_groups, s.dim_groups), 1.0f);
    for (int g = 0; g < t.shape.ngroups; ++g)
      for (int hg = 0; hg < t.shape.head_groups; ++hg)
        for (int dg = 0; dg < t.shape.dim_groups; ++dg)
          t.x_scales[t.cell_index(g, hg, dg)] =
              calibrate_cell(s.conv_out_observer, batches, 0, m.d_inner, [&](int c) {
                const ScaleIndex ix = lookup_scale_index(t, c);
                return ix.g == g && ix.hg == hg && ix.dg == dg;
              });
    const int n = m.d_state, bc = m.bc_channels();
    for (int g = 0; g < t.shape.ngroups; ++g) {
      t.b_scales[g] = calibrate_cell(s.conv_out_observer, batches, m.d_inner + g * n,
                                     m.d_inner + (g + 1) * n, [](int) { return true; });
      t.c_scales[g] = calibrate_cell(s.conv_out_observer, batches, m.d_inner + bc + g * n,
                                     m.d_inner + bc + (g + 1) * n, [](int) { return true; });
    }
    q.table = std::move(t);
  }
  q.int8_scales = quamba2_conv_out_scales(*q.table, m);
}

void calibrate_dual(const DualScaleSpec& d, const ModelShape& m,
                    std::span<const FloatTensor> batches, ConvOutQuantizer& q) {
  const CodeRange r = d.symmetric ? CodeRange::symmetric_bits(d.code_bits)
                                  : CodeRange::signed_bits(d.code_bits);
  std::vector<float> a;
  for (const FloatTensor& y : batches) {
    const std::vector<float> v = abs_values(gather(y, 0, m.d_inner, [](int) { return true; }));
    a.insert(a.end(), v.begin(), v.end());
  }
  double max = 0.0;
  for (float v : a)
    if (!std::isnan(v)) max = std::max(max, static_cast<double>(v));
  const double t = quantile_linear(a, d.threshold_percentile);
  q.dual_threshold = t;
  const float scale1 = d.scale1 ? *d.scale1 : scale_from_max(t, r.qmax);
  float scale2;
  if (d.scale2) {
    scale2 = *d.scale2;
  } else {
    // Capped at 2*qmax+1: beyond it the smallest outlier, (qmax+1/2)*scale1,
    // would round to outlier code 0.
    const double cap = 2.0 * r.qmax + 1.0;
    double k = std::clamp(max / (static_cast<double>(r.qmax) * scale1), 1.0, cap);
    if (d.scale2_pow2) {
      double p = 1.0;
      while (p < k) p *= 2.0;
      k = p > cap ? p / 2.0 : p;
    }
    scale2 = static_cast<float>(k);
  }
  q.dual = DualScaleFormat::make(d.code_bits, d.symmetric, scale1, scale2);
}

}  // namespace

ConvOutQuantizer calibrate_conv_out(const QuantScheme& s, const ModelShape& m,
                                    std::span<const FloatTensor> batches) {
  if (const std::string why = scheme_applicability(s, m); !why.empty())
    throw std::invalid_argument(why);
  ConvOutQuantizer q;
  q.numerics = s.numerics;
  if (s.base == SchemeBase::kQuamba1) calibrate_quamba1(s, m, batches, q);
  else calibrate_quamba2(s, m, batches, q);
  if (s.ssm_input == SsmInputFormat::kDualScale) calibrate_dual(s.dual, m, batches, q);
  return q;
}

float quantize_absmax_int8(std::span<const float> w, std::span<std::int8_t> q) {
  double absmax = 0.0;
  for (float v : w) absmax = std::max(absmax, static_cast<double>(std::fabs(v)));
  const auto scale = static_cast<float>(std::max(absmax, 1e-5) / 127.0);
  const NumericsPolicy half_even{Rounding::kHalfToEven, QuantizeOp::kDivide};
  for (std::size_t i = 0; i < w.size(); ++i)
    q[i] = static_cast<std::int8_t>(quantize(w[i], scale, reciprocal(scale), half_even));
  return scale;
}

}  // namespace mambahw
