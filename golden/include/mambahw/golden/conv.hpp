// The conv unit: causal depthwise conv1d + bias + SiLU, producing the FP32
// value the conv-output quantizer reads. Op orders (docs/arithmetic.md §Conv):
//   prefill: acc = exact int32 sum of w[k]*x[t-W+1+k];  y = fma(scale_in, float(acc), bias_f)
//   decode:  y = bias_f; for k = 0..W-1: y = fma(fp32(scale_in * w[k]), float(x_k), y)
// with scale_in = fp32(scale_w * scale_x) and bias_f = fp32(float(b) * scale_b)
// per channel segment. Taps before t = 0 read 0 (the unit starts from a zero
// conv state). The output is SiLU(y) from exp_unit.hpp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/tensor.hpp"

namespace mambahw {

enum class ConvOrder : std::uint8_t { kPrefill, kDecode };
template <>
struct EnumNames<ConvOrder> {
  static constexpr std::array<EnumName<ConvOrder>, 2> table{{
      {ConvOrder::kPrefill, "prefill", "exact INT32 tap sum, one FMA with the combined scale"},
      {ConvOrder::kDecode, "decode", "one FMA per tap with fp32(scale_in * w[k])"},
  }};
};

// Scales of one channel segment (Mamba1: one segment; Mamba2: x, B, C).
struct ConvSegmentScales {
  float w = 1.0f;  // weight scale
  float x = 1.0f;  // input activation scale (in_proj output)
  float b = 1.0f;  // bias scale
};

// What the conv unit's weight memory holds for a layer.
struct ConvLayer {
  int channels = 0;
  int width = 4;
  std::vector<std::int8_t> w;     // [channels][width]; tap 0 multiplies the oldest input
  std::vector<std::int8_t> bias;  // [channels], or empty for no bias
  std::vector<int> segment_end;   // exclusive channel end of each segment, ascending
  std::vector<ConvSegmentScales> segment_scales;

  int segment_of(int channel) const;
};

// Segment boundaries of a model's conv channels: [d_inner) or [x | B | C].
std::vector<int> conv_segment_ends(const ModelShape& m);

// Per-channel FP32 constants the conv unit precomputes.
struct ConvChannelConsts {
  float scale_in = 1.0f;  // fp32(scale_w * scale_x)
  float bias = 0.0f;      // fp32(float(b) * scale_b), 0 without bias
};
ConvChannelConsts channel_consts(const ConvLayer& layer, int channel, Denormals d);

// Exact tap sum; |sum| <= 4 * 128 * 128, far inside int32.
std::int32_t conv_tap_sum(const std::int8_t* w, const std::int8_t* x_window, int width);

// The pre-activation y of one output element; x_window holds the W inputs
// x[t-W+1 .. t] (zeros before t = 0).
float conv_pre_activation(const std::int8_t* w, const std::int8_t* x_window, int width,
                          ConvChannelConsts c, ConvOrder order, Denormals d);

// SiLU(conv(x)) for a whole [channels][L] INT8 input: the FP32 input of the
// conv-output quantizer, [channels][L].
FloatTensor conv1d_silu(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order,
                        const NumericsPolicy& p);

// Datapath operations per output element besides the width INT8 MACs of the
// taps (and SiLU, exp_unit.hpp's silu_ops): prefill one conversion of the tap
// sum and one FMA; decode one conversion and one FMA per tap.
OpMix conv_output_ops(ConvOrder order, int width);

// INT8 codes with one output scale per channel ([channels][L] -> same shape).
// A scale of 0 (a channel no Quamba2 range covers) gives inv = +Inf, so the
// codes saturate by sign, and 0 for a zero input (0 * Inf = NaN -> 0).
Int8Tensor quantize_per_channel(const FloatTensor& y, std::span<const float> scale,
                                const NumericsPolicy& p, CodeRange r = kInt8Range);

// y = conv1d_silu(x, layer, order, p) and codes = quantize_per_channel(y,
// scales, p), bit for bit, in one pass: each channel's row is quantized
// right after it is produced, while it is in L1 (the two-call form streams
// the FP32 tensor through memory twice). y and codes keep their storage when
// they already have x's shape.
void conv1d_silu_quantize(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order, const NumericsPolicy& p,
                          std::span<const float> scales, FloatTensor& y, Int8Tensor& codes);
// The same for channels [c0, c1) only, into y and codes already of x's shape
// (the rows of other channels are not touched): the threads' tiles.
void conv1d_silu_quantize_channels(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order,
                                   const NumericsPolicy& p, std::span<const float> scales, std::size_t c0,
                                   std::size_t c1, FloatTensor& y, Int8Tensor& codes);

}  // namespace mambahw
