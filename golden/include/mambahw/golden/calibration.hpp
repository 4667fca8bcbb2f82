// Static-scale calibration: Quamba's observers, the Quamba2 grouped scales,
// and the W4A5-SE threshold/scale2 rule. Observers accumulate in double and
// round the final scale to FP32 once (Quamba computes in the activation dtype;
// the difference is below one FP32 ulp of the scale and documented).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/golden/tensor.hpp"

namespace mambahw {

// torch.quantile(values, q, interpolation='linear'): sorted v, pos = q*(n-1),
// v[floor(pos)] + (v[ceil(pos)] - v[floor(pos)]) * frac(pos). Computed in double.
double quantile_linear(std::span<const float> values, double q);

// Quamba's parameter quantization (conv weights and bias, A_log, D, dt_bias):
// scale = fp32(max(absmax, 1e-5) / 127), q = torch.round(w / scale) (half to
// even, true division), saturated. Returns the scale.
float quantize_absmax_int8(std::span<const float> w, std::span<std::int8_t> q);

// Running max of |x|, clamped to >= 1e-5; scale = max(max/qmax, 1e-6).
class MinMaxObserver {
 public:
  void observe(std::span<const float> batch);
  double absmax() const { return max_; }
  float scale(int qmax = 127) const;

 private:
  double max_ = 0.0;
  bool seen_ = false;
};

// First batch: w = quantile(|x|, p); later: w += ema * (quantile - w).
class PercentileObserver {
 public:
  PercentileObserver(double percentile, double ema_weight) : p_(percentile), ema_(ema_weight) {}
  void observe(std::span<const float> batch);
  double value() const { return w_; }
  float scale(int qmax = 127) const;

 private:
  double p_, ema_;
  double w_ = 0.0;
  bool seen_ = false;
};

// The conv-output quantizer of one layer with every scale resolved: what the
// accelerator's scale registers and scale-index SRAM hold.
struct ConvOutQuantizer {
  NumericsPolicy numerics;
  std::vector<float> int8_scales;              // per conv channel
  std::optional<Quamba2ScaleTable> table;      // Quamba2
  std::optional<DualScaleFormat> dual;         // SSM-input dual-scale format (x channels)
  double dual_threshold = 0.0;                 // calibrated |y| threshold T, for reports
};

// Resolves the scheme's scales for model `m`, calibrating on the FP32 conv
// outputs `batches` (each [conv_channels][L]) where the scheme gives none.
ConvOutQuantizer calibrate_conv_out(const QuantScheme& s, const ModelShape& m,
                                    std::span<const FloatTensor> batches);

}  // namespace mambahw
