// The golden model of one quantized Mamba layer (Mamba1 under Quamba1 W8A8,
// Mamba2 under Quamba2 W4A8), its FP32 reference, calibration of every static
// scale, and the four SSM-input modes. docs/layer.md is the prose form.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/layer_program.hpp"
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
template <>
struct EnumNames<SsmInputMode> {
  static constexpr std::array<EnumName<SsmInputMode>, 4> table{{
      {SsmInputMode::kInt8, "int8", "INT8 codes through the dequant stage"},
      {SsmInputMode::kFp32, "fp32", "the FP32 conv output, unquantized"},
      {SsmInputMode::kFp32OnGrid, "fp32_on_int8_grid", "FP32 fake-quant on the INT8 grid"},
      {SsmInputMode::kDualScale, "dual_scale", "(code, flag) words through the dual-scale MUX"},
  }};
};

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

// The layer's arithmetic choices, read off the scheme (one function each).
// The activation quantizers outside the conv output (the layer input, and
// out_proj's input without the Hadamard) round with numerics.rounding.
RequantPolicy requant_policy(const QuantScheme& s);
SsmPolicy ssm_policy(const QuantScheme& s);
// Set when the online Hadamard quantizes out_proj's input.
std::optional<HadamardQuantPolicy> hadamard_policy(const QuantScheme& s);
// Mamba2's gated RMSNorm epsilon.
inline constexpr float kRmsNormEps = 1e-5f;

// Datapath operations of Mamba2's gated RMSNorm per token, besides the
// d_inner exp evaluations of its SiLU gate: per channel the z dequant, SiLU's
// add and divide, the gate multiply, the squared-sum FMA, the two output
// multiplies and the FP16 conversion; per norm group the mean's divide, the
// epsilon add, the square root and the reciprocal's divide.
OpMix gated_rmsnorm_ops(const ModelShape& m, const QuantScheme& s);

// Every static scale and quantized weight of the layer: what the accelerator's
// weight memories, scale registers and scale-index SRAM hold.
struct QuantizedLayer {
  ModelShape shape;
  QuantScheme scheme;
  LayerProgram program;                 // what run_layer executes (layer_program(shape, scheme))
  ConvOutQuantizer conv_out;            // conv-output scales (+ dual format when calibrated)
  float in_scale = 1.0f;                // layer input quantizer
  std::vector<float> in_proj_out_scales;  // per in_proj output segment (ModelShape::in_proj_segments)
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

// ---- the layer's registers and per-element steps, one place each -----------------
// What the accelerator's host loads and its units apply; run_layer uses the same.

// The weights and the scale registers (activation scale s_x, output scales
// per output column or one for all; empty for FP16 outputs) of a GEMM.
const QuantWeights& gemm_weights(const QuantizedLayer& q, GemmId id);
GemmScales gemm_scales(const QuantizedLayer& q, GemmId id);
// The output scale of an in_proj segment ("x", "z", "dt", ...).
float in_proj_out_scale(const QuantizedLayer& q, std::string_view segment);

// The activation quantizer outside the conv output (the layer input, and
// out_proj's FP16 input without the Hadamard): x * inv (inv = reciprocal(scale)),
// rounded per `r`, saturated to INT8.
std::int8_t quantize_activation(float x, float scale, float inv, Rounding r);

// Mamba2's gated RMSNorm on one token of one norm group (gs channels):
//   g[c] = fp32(y[c] * silu(fp32(z_scale * z[c])));  ms = fma(g[c], g[c], ms) for c in order
//   r = fp32(1 / sqrt(fp32(fp32(ms / gs) + eps)));   out[c] = fp32(fp32(g[c] * r) * w[c])
// SiLU per the scheme's numerics with the SSM's gate division and units.
void gated_rmsnorm_group(std::span<const float> y, std::span<const std::int8_t> z, float z_scale,
                         std::span<const float> norm_w, std::span<float> out, const QuantScheme& s);

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
  std::int64_t conv_saturated = 0, conv_elements = 0;  // INT8 conv-output codes that clipped
  std::int64_t flagged = 0, ssm_elements = 0;          // dual-scale outliers (mode 3)
  std::int64_t gemm_saturated = 0;                     // INT8 GEMM outputs that clipped
  std::int64_t out_proj_in_overflow = 0;  // out_proj input codes outside INT8 (wrapped or saturated)
  // Every tensor of the layer program by name, in its layout (quantized layer only).
  std::map<std::string, Int8Tensor> int8;
  std::map<std::string, Tensor<std::uint16_t>> words;  // dual-scale words
  std::map<std::string, FloatTensor> fp;               // FP16 values widened exactly, FP32
};

// `ssm_input`, if given, replaces what the SSM reads ([d_inner][L]): the
// SystemC model feeds the RTL dequant stage's output through the same layer.
LayerTrace run_layer(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode,
                     const FloatTensor* ssm_input = nullptr);

// The layer in several SSM-input modes, each op computed once where the modes
// share it: the ops before the SSM (in_proj, the conv and its quantizer, and
// Mamba1's x_proj and dt_proj, which read the INT8 codes in every mode) run
// once; the SSM and the ops after it once per mode. observe(mode, trace) gets
// each mode's trace in the order given, the same bits as run_layer(q, input,
// mode) (Layer.ModesShareTheModeIndependentOps), and may keep it.
void run_layer_modes(const QuantizedLayer& q, const FloatTensor& input, std::span<const SsmInputMode> modes,
                     const std::function<void(SsmInputMode, LayerTrace&&)>& observe);

// ---- prefill and decode (docs/layer.md, "Prefill and decode") ----------------------
// What a layer carries from one token to the next. A decode step is the same
// layer program on one token, started from the state the tokens before it
// left: no second formula.
struct LayerState {
  Int8Tensor conv;  // [conv_channels][d_conv - 1]: each conv channel's last d_conv - 1 INT8 inputs, oldest first
  FloatTensor ssm;  // [d_inner][d_state]: the SSM state h after the last token (FP32)
};
// Zeros: the state before a sequence's first token (what a prefill starts from).
LayerState fresh_state(const ModelShape& m);
// run_layer from `state` (the tokens before `input`), leaving in it the state
// after input's last token. With a fresh state the trace equals run_layer's
// bit for bit; prefill of L + N tokens equals prefill of L then N one-token
// steps bit for bit for the sequential scan order (ScanOrder::kBlockScan
// associates by the sequence's block shape, so a split sequence differs).
LayerTrace run_layer(const QuantizedLayer& q, const FloatTensor& input, SsmInputMode mode, LayerState& state,
                     const FloatTensor* ssm_input = nullptr);

// A prompt of L tokens, then one decode step per row of `decode_inputs`
// ([N][d_model]), each from the state the previous one left.
struct Continuation {
  LayerTrace prefill;
  std::vector<LayerTrace> decode;  // N traces of one token
  LayerState state;                // after the last decode step
};
Continuation run_continuation(const QuantizedLayer& q, const FloatTensor& prompt, const FloatTensor& decode_inputs,
                              SsmInputMode mode);

// The unquantized FP32 layer (FP32 master weights, FP32 activations, double
// transcendentals): the accuracy reference.
LayerTrace reference_layer(const ModelShape& m, const LayerWeights& w, const FloatTensor& input);

// The mode the accelerator runs a scheme in: dual scale if the scheme stores
// the SSM input as dual-scale words, else INT8.
SsmInputMode accelerator_mode(const QuantScheme& s);


}  // namespace mambahw
