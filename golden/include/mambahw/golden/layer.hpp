// The golden model of one quantized Mamba layer (Mamba1 under Quamba1 W8A8,
// Mamba2 under Quamba2 W4A8), its FP32 reference, calibration of every static
// scale, and the four SSM-input modes. docs/layer.md is the prose form.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/golden/tensor.hpp"

namespace mambahw {

// What the SSM reads as its input x (u). x_proj (Mamba1) always reads the
// INT8 conv-output codes, so the modes differ only in the SSM input.
enum class SsmInputMode : std::uint8_t {
  kInt8 = 0,        // INT8 codes through the dequant stage: fp32(code * scale)
  kFp32 = 1,        // the FP32 conv+SiLU output, unquantized
  kFp32OnGrid = 2,  // FP32 fake-quant: float(quantize(y)) * scale, as a float simulator computes it
  kDualScale = 3,   // (code, flag) words through the dual-scale MUX (W4A5-SE or scale enhancement)
};
std::string_view to_string(SsmInputMode);

// FP32 master weights of one layer. A loader of real checkpoints implements
// WeightSource; the studies library's SyntheticWeights draws seeded tensors.
struct LayerWeights {
  FloatTensor in_proj;           // [in_proj_out][d_model]
  ConvLayer conv;                // INT8 conv weights (segment_scales.x set by calibration)
  FloatTensor x_proj;            // Mamba1: [dt_rank + 2N][d_inner]
  FloatTensor dt_proj;           // Mamba1: [d_inner][dt_rank]
  std::vector<float> dt_bias;    // Mamba1: [d_inner]; Mamba2: [nheads] (FP16-representable)
  FloatTensor a_log;             // Mamba1: [d_inner][N]; Mamba2: [nheads][1]
  std::vector<float> d_skip;     // Mamba1: [d_inner]; Mamba2: [nheads]
  std::vector<float> norm_w;     // Mamba2 gated RMSNorm: [d_inner]
  FloatTensor out_proj;          // [d_model][d_inner]; quantize_layer rotates it when the Hadamard is on
};

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual LayerWeights layer(const ModelShape& m, int index) const = 0;
};

// Arithmetic choices of the layer outside the conv-output quantizer.
struct LayerPolicy {
  WeightPrecision weights = WeightPrecision::kInt8;
  int weight_group = 0;          // 0: per output channel; INT4 Quamba2: 128
  RequantPolicy gemm;
  SsmPolicy ssm;
  Rounding act_rounding = Rounding::kHalfAwayFromZero;  // layer input quantizer, and out_proj input without the Hadamard (roundf)
  float rms_eps = 1e-5f;
  ConvOrder conv_order = ConvOrder::kPrefill;
  std::optional<HadamardQuantPolicy> out_proj_hadamard;  // set: the online Hadamard quantizes out_proj's input
};
LayerPolicy layer_policy(const QuantScheme& s);

// Every static scale and quantized weight of the layer: what the accelerator's
// weight memories, scale registers and scale-index SRAM hold.
struct QuantizedLayer {
  ModelShape shape;
  LayerPolicy policy;
  ConvOutQuantizer conv_out;            // conv-output scales (+ dual format when calibrated)
  float in_scale = 1.0f;                // layer input quantizer
  std::vector<float> in_proj_out_scales;  // per in_proj output segment
  std::vector<int> in_proj_segment_end;
  QuantWeights in_proj, x_proj, dt_proj, out_proj;
  ConvLayer conv;
  float x_proj_out_scale = 1.0f, dt_proj_out_scale = 1.0f;  // Mamba1
  QTensor delta_bias, a_log, d_skip;    // quantized with absmax/127, half to even (Quamba)
  std::vector<float> dt_bias;           // Mamba2: FP16, not quantized
  std::vector<float> norm_w;            // Mamba2
  float out_proj_in_scale = 1.0f;       // out_proj input (after the Hadamard when it is on)
  float hadamard_multiplier = 0.0f;     // fp32(1/sqrt(d_inner) / out_proj_in_scale), Hadamard on
};

// Calibrates every scale on `calib` inputs ([L][d_model] each) through the
// FP32 reference, with min-max observers except the conv output (the scheme's
// observer). The dual-scale format is calibrated for every scheme (mode 3).
QuantizedLayer quantize_layer(const ModelShape& m, const QuantScheme& s, const LayerWeights& w,
                              const std::vector<FloatTensor>& calib);

// Tensors of one forward pass. `out` is [L][d_model] (FP16 values widened
// exactly to FP32 for the quantized layer).
struct LayerTrace {
  FloatTensor in_proj_out;  // [L][in_proj_out] (reference: for calibration)
  FloatTensor x_proj_out;   // Mamba1 [L][dt_rank + 2N] (reference)
  FloatTensor dt_proj_out;  // Mamba1 [L][d_inner], before the bias (reference)
  FloatTensor conv_y;       // conv+SiLU output [conv_channels][L], FP32
  Int8Tensor conv_codes;    // INT8 conv-output codes [conv_channels][L]
  FloatTensor ssm_input;    // what the SSM read [d_inner][L]
  FloatTensor ssm_out;      // Mamba1: gated FP16 y; Mamba2: normed output; [d_inner][L]
  FloatTensor out;          // [L][d_model]
  // The INT8 tensors between the units (the layer-level vectors export them):
  Int8Tensor in_codes;           // layer input quantized [L][d_model]
  Int8Tensor in_proj_codes;      // in_proj output [L][in_proj_out]
  Int8Tensor x_proj_codes;       // Mamba1 x_proj output [L][dt_rank + 2N]
  Int8Tensor dt_codes;           // Mamba1 dt_proj output [L][d_inner]
  Int8Tensor out_proj_in_codes;  // out_proj input (after the Hadamard when on) [L][d_inner]
  std::int64_t conv_saturated = 0, conv_elements = 0;  // INT8 conv-output codes that clipped
  std::int64_t flagged = 0, ssm_elements = 0;          // dual-scale outliers (mode 3)
  std::int64_t gemm_saturated = 0;                     // INT8 GEMM outputs that clipped
  std::int64_t out_proj_in_overflow = 0;  // out_proj input codes outside INT8 (wrapped or saturated)
};

// `ssm_input`, if given, replaces what the SSM reads ([d_inner][L]): the
// SystemC model feeds the RTL dequant stage's output through the same layer.
LayerTrace run_layer(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode,
                     const FloatTensor* ssm_input = nullptr);

// The unquantized FP32 layer (FP32 master weights, FP32 activations, double
// transcendentals): the accuracy reference.
LayerTrace reference_layer(const ModelShape& m, const LayerWeights& w, const FloatTensor& input);

// The mode the accelerator runs a scheme in: dual scale if the scheme stores
// the SSM input as dual-scale words, else INT8.
SsmInputMode accelerator_mode(const QuantScheme& s);


}  // namespace mambahw
