// The golden layer's accuracy report (`mambahw run`): synthetic weights and
// inputs, the four SSM-input modes against the FP32 reference, and the
// bit-level comparisons between modes. A study built on the golden model,
// not part of the specification.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "mambahw/golden/layer.hpp"
#include "mambahw/studies/run_settings.hpp"
#include "mambahw/studies/stats.hpp"

namespace mambahw {

// SyntheticWeights draws seeded tensors with realistic scales.
class SyntheticWeights final : public WeightSource {
 public:
  explicit SyntheticWeights(std::uint64_t seed) : seed_(seed) {}
  LayerWeights layer(const ModelShape& m, int index) const override;

 private:
  std::uint64_t seed_;
};

// The layer's input hidden states [L][d_model] in FP32 (synthetic, seeded).
FloatTensor synthetic_layer_input(const ModelShape& m, int len, std::uint64_t seed);

// Where a layer's activations come from: the calibration batches and the
// evaluated input, each [L][d_model] FP32 (the mixer's input hidden states).
class ActivationSource {
 public:
  virtual ~ActivationSource() = default;
  virtual std::vector<FloatTensor> calibration(const ModelShape& m, const RunSettings& in, int layer) const = 0;
  virtual FloatTensor input(const ModelShape& m, const RunSettings& in, int layer) const = 0;
  // Sequence b of a batch (run.batch > 1) at the layer's input; sequence 0 is input().
  virtual FloatTensor sequence(const ModelShape& m, const RunSettings& in, int layer, int b) const = 0;
};

// Seeded synthetic activations: run.calib_batches x run.calib_seq_len tokens
// from the calibration stream, run.seq_len tokens from the activation stream;
// sequence b of a batch is the activation stream under run.seed + b.
class SyntheticActivations final : public ActivationSource {
 public:
  std::vector<FloatTensor> calibration(const ModelShape& m, const RunSettings& in, int layer) const override;
  FloatTensor input(const ModelShape& m, const RunSettings& in, int layer) const override;
  FloatTensor sequence(const ModelShape& m, const RunSettings& in, int layer, int b) const override;
};

// Replaces calibrated scales and codes of a layer by ones given from outside
// (a quantized checkpoint's static scales); empty: keep the calibration.
using StaticScales = std::function<void(const ModelShape& m, const QuantScheme& s, int layer, QuantizedLayer& q)>;

// Everything a run's layers are made from.
struct LayerSources {
  const WeightSource& weights;
  const ActivationSource& activations;
  StaticScales static_scales;
};

// ---- accuracy report ------------------------------------------------------------

struct DifferingPosition {
  int token = 0, channel = 0;
  float a = 0, b = 0;
};
struct ModeComparison {
  SsmInputMode a{}, b{};
  std::int64_t exact = 0, count = 0;
  std::vector<DifferingPosition> top;  // largest |a - b| first
};
ModeComparison compare_outputs(SsmInputMode a, const FloatTensor& xa, SsmInputMode b, const FloatTensor& xb,
                               int top = 5);

struct ModeAccuracy {
  SsmInputMode mode{};
  ErrorStats out_error;        // layer output vs the FP32 reference
  ErrorStats ssm_input_error;  // SSM input vs the reference's FP32 conv output
  double saturated_fraction = 0, flagged_fraction = 0;
  double out_proj_in_overflow_fraction = 0;  // out_proj input codes that wrapped or saturated
};
struct LayerAccuracy {
  int layer = 0;
  std::vector<ModeAccuracy> modes;
  std::vector<ModeComparison> comparisons;
  std::optional<bool> mode2_bit_identical_to_mode0;  // when both ran
  float dual_scale1 = 0, dual_scale2 = 0;
};

// One evaluated layer: its weights, calibrated quantized form and input, all
// derived from the seed (the accuracy report and the SystemC model share it).
struct LayerCase {
  LayerWeights weights;
  QuantizedLayer q;
  FloatTensor input;  // [seq_len][d_model]
  std::vector<FloatTensor> calibration;  // the batches q was calibrated on
};
LayerCase make_layer_case(const ModelShape& m, const QuantScheme& s, const LayerSources& src, const RunSettings& in,
                          int layer);
// Synthetic activations.
LayerCase make_layer_case(const ModelShape& m, const QuantScheme& s, const WeightSource& w, const RunSettings& in,
                          int layer);

// Sees every trace the report computes: the FP32 reference (mode empty) and
// each SSM-input mode's quantized layer (a dump writes them out).
using TraceObserver =
    std::function<void(const LayerCase& lc, int layer, std::optional<SsmInputMode> mode, const LayerTrace& trace)>;

std::vector<LayerAccuracy> layer_accuracy(const ModelShape& m, const QuantScheme& s, const LayerSources& src,
                                          const RunSettings& in, const TraceObserver& observe = {});
std::vector<LayerAccuracy> layer_accuracy(const ModelShape& m, const QuantScheme& s, const WeightSource& w,
                                          const RunSettings& in);

}  // namespace mambahw
