// A quantization scheme as a config names it: the numerics policy, the conv
// op order, how the conv-output scales are obtained, and the format in which
// the conv output travels to the SSM. Scales not given explicitly are
// calibrated (calibration.hpp).
#pragma once

#include <optional>
#include <string>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/golden/ssm.hpp"

namespace mambahw {

enum class SchemeBase : std::uint8_t {
  kQuamba1,  // one static scale per tensor
  kQuamba2,  // (SSD group, head group, dim group) scales for x; per-group B/C (Mamba2 only)
};
template <>
struct EnumNames<SchemeBase> {
  static constexpr std::array<EnumName<SchemeBase>, 2> table{{
      {SchemeBase::kQuamba1, "quamba1", "one static scale per tensor"},
      {SchemeBase::kQuamba2, "quamba2", "grouped scales per (SSD group, head group, dim group); Mamba2 only"},
  }};
};

enum class ObserverKind : std::uint8_t { kMinMax, kPercentile };
template <>
struct EnumNames<ObserverKind> {
  static constexpr std::array<EnumName<ObserverKind>, 2> table{{
      {ObserverKind::kMinMax, "minmax", "running max of |x|"},
      {ObserverKind::kPercentile, "percentile", "EMA of a quantile of |x| per batch"},
  }};
};

struct ObserverConfig {
  ObserverKind kind = ObserverKind::kPercentile;
  double percentile = 0.9995;  // quantile of |x| per batch (percentile observer)
  double ema_weight = 0.01;    // w += ema_weight * (cur - w) after the first batch
};

enum class SsmInputFormat : std::uint8_t {
  kInt8,       // the SSM reads the INT8 conv-output codes
  kDualScale,  // the SSM reads (code, flag) words: W4A5-SE or scale enhancement
};
template <>
struct EnumNames<SsmInputFormat> {
  static constexpr std::array<EnumName<SsmInputFormat>, 2> table{{
      {SsmInputFormat::kInt8, "int8", "INT8 conv-output codes"},
      {SsmInputFormat::kDualScale, "dual_scale", "(code, flag) words: W4A5-SE or scale enhancement"},
  }};
};

struct DualScaleSpec {
  int code_bits = 4;
  bool symmetric = true;
  // Calibration rule: T = quantile(|y|, threshold_percentile); scale1 = T / qmax;
  // scale2 = max|y| / (qmax * scale1), clamped to [1, 2*qmax+1] (above that
  // the smallest outlier would get code 0), rounded up to a power of two
  // (not above the cap) when scale2_pow2. Explicit values override.
  double threshold_percentile = 0.99;
  std::optional<float> scale1;
  std::optional<float> scale2;
  bool scale2_pow2 = false;
};

// The layer's arithmetic outside the conv-output quantizer (docs/layer.md).
// Defaults are Quamba1's; a Quamba2 scheme defaults to INT4 weights in groups
// of 128, the Marlin epilogue order and no softplus threshold.
struct LayerNumerics {
  WeightPrecision weights = WeightPrecision::kInt8;
  int weight_group = 0;  // 0: per output channel
  RequantOrder gemm_requant = RequantOrder::kActThenWeight;
  Rounding gemm_rounding = Rounding::kHalfToEven;
  bool softplus_threshold = true;
  ScanOrder scan_order = ScanOrder::kSequential;
  StateReduction state_reduction = StateReduction::kSequential;  // the SSM core's y = C . h order
  int state_tree_width = 16;      // tree: products per adder tree (must equal the SSM core's lanes)
  bool out_proj_hadamard = true;  // Quamba's online QHadamard before out_proj (off: plain quantizer)
  HadamardQuantPolicy hadamard;   // its INT8 conversion: roundf, wrap; denormals as numerics unless set
};

struct QuantScheme {
  std::string name;
  SchemeBase base = SchemeBase::kQuamba1;
  NumericsPolicy numerics;
  ConvOrder conv_order = ConvOrder::kPrefill;
  ObserverConfig conv_out_observer;
  std::optional<float> conv_out_scale;  // Quamba1: explicit static scale
  int head_groups = 4;                  // Quamba2 grouping (uniform unless a table is given)
  int dim_groups = 4;
  std::optional<Quamba2ScaleTable> scale_table;  // Quamba2: explicit ranges + scales
  SsmInputFormat ssm_input = SsmInputFormat::kInt8;
  DualScaleSpec dual;
  LayerNumerics layer;
};


// The layer numerics a scheme base starts from: Quamba1's defaults above, or
// Quamba2's INT4 weights in groups of 128, the Marlin epilogue order and no
// softplus threshold. A config's `layer:` section overrides them.
LayerNumerics default_layer_numerics(SchemeBase b);

// Empty if `s` can run on `m`, else the reason (e.g. Quamba2 needs heads).
std::string scheme_applicability(const QuantScheme& s, const ModelShape& m);

}  // namespace mambahw
