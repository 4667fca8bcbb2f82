// The conv-output quantization study `mambahw run` reports: conv outputs
// quantized under each scheme, with the statistics architects asked for
// (saturation, outliers, flags, SQNR). The run's own scheme is studied on the
// golden layer's conv outputs (layer 0's, computed once by the layer run);
// other study schemes, and runs without the layer, on one synthetic conv
// layer calibrated under each scheme.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/studies/run_settings.hpp"
#include "mambahw/studies/stats.hpp"

namespace mambahw {

struct SchemeStudy {
  QuantScheme scheme;
  std::string source;   // whose conv outputs: "layer 0" (the run's layer) or "synthetic conv layer"
  std::string skipped;  // non-empty: why the scheme does not apply to the model
  ConvOutQuantizer quantizer;
  DistributionStats y;            // FP32 conv+SiLU output, SSM-input (x) channels
  std::int64_t elements = 0;      // SSM-input elements evaluated
  std::int64_t int8_saturated = 0;   // INT8 codes (all conv channels) that clipped (rounds_out_of_range)
  std::int64_t int8_elements = 0;
  ErrorStats int8_error;          // INT8 dequantized vs FP32, x channels
  ErrorStats ssm_input_error;     // what the SSM reads, vs FP32, x channels
  std::int64_t flagged = 0;       // dual-scale outliers
  std::int64_t outlier_saturated = 0;  // dual-scale outliers whose code clipped
  int ssm_input_bits = 8;         // bits per SSM-input element in memory
  int uncovered_channels = 0;     // Quamba2 channels no range covers
  float scale_min = 0, scale_max = 0;  // INT8 conv-output scales
};

struct ConvOutStudy {
  std::string model;
  RunSettings inputs;
  std::vector<SchemeStudy> schemes;
};

// The scheme's conv-output quantizer, calibrated on the same synthetic
// calibration stream the study uses (what exporters and the model load).
ConvOutQuantizer calibrate_on_synthetic(const ModelShape& m, const QuantScheme& s,
                                        const RunSettings& in);

// One evaluated batch's conv outputs: y [conv_channels][L], the FP32
// conv+SiLU output, and the INT8 codes the quantizer made of it.
struct ConvOutputs {
  const FloatTensor& y;
  const Int8Tensor& codes;
};

// The statistics of conv outputs that q (the scheme's calibrated conv-output
// quantizer) coded: nothing is recomputed but the dual-scale words.
SchemeStudy study_conv_outputs(const QuantScheme& s, const ModelShape& m, const ConvOutQuantizer& q,
                               std::span<const ConvOutputs> batches, std::string source);

// The study on the synthetic conv layer, for each scheme.
ConvOutStudy run_conv_out_study(const ModelShape& m, const std::vector<QuantScheme>& schemes,
                                const RunSettings& in);

}  // namespace mambahw
