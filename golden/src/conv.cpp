#include "mambahw/golden/conv.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>

#include "exp_unit_core.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/units.hpp"
#include "mambahw/golden/vector_clones.hpp"
#include "simd.hpp"

namespace mambahw {

int ConvLayer::segment_of(int channel) const {
  const auto it = std::upper_bound(segment_end.begin(), segment_end.end(), channel);
  return static_cast<int>(it - segment_end.begin());
}

std::vector<int> conv_segment_ends(const ModelShape& m) {
  std::vector<int> ends;
  for (const Segment& s : m.conv_segments()) ends.push_back(s.end);
  return ends;
}

ConvChannelConsts channel_consts(const ConvLayer& layer, int channel, Denormals d) {
  const ConvSegmentScales& s = layer.segment_scales[layer.segment_of(channel)];
  ConvChannelConsts c;
  c.scale_in = fmul(s.w, s.x, d);
  c.bias = layer.bias.empty() ? 0.0f : fmul(static_cast<float>(layer.bias[channel]), s.b, d);
  return c;
}

std::int32_t conv_tap_sum(const std::int8_t* w, const std::int8_t* x_window, int width) {
  std::int32_t acc = 0;
  for (int k = 0; k < width; ++k) acc += static_cast<std::int32_t>(w[k]) * x_window[k];
  return acc;
}

float conv_pre_activation(const std::int8_t* w, const std::int8_t* x_window, int width,
                          ConvChannelConsts c, ConvOrder order, Denormals d) {
  if (order == ConvOrder::kPrefill)
    return ffma(c.scale_in, static_cast<float>(conv_tap_sum(w, x_window, width)), c.bias, d);
  float y = c.bias;
  for (int k = 0; k < width; ++k)
    y = ffma(fmul(c.scale_in, static_cast<float>(w[k]), d), static_cast<float>(x_window[k]), y, d);
  return y;
}

#define MAMBAHW_SIMD_KERNELS "conv_lanes.inc"
#include "simd_variants.inc"

namespace {
// conv_pre_activation(kPrefill, kPreserve) for tokens [first, len) of one
// channel: the same exact integer tap sum and the same single fma, written
// so the compiler vectorises it.
MAMBAHW_VECTOR_CLONES
void prefill_pre_activations(const std::int8_t* w, const std::int8_t* xr, int width,
                             ConvChannelConsts c, std::size_t first, std::size_t len, float* yr) {
  for (std::size_t t = first; t < len; ++t) {
    const std::int8_t* xw = xr + t - (width - 1);
    std::int32_t acc = 0;
    for (int k = 0; k < width; ++k) acc += static_cast<std::int32_t>(w[k]) * xw[k];
    yr[t] = std::fma(c.scale_in, static_cast<float>(acc), c.bias);
  }
}
}  // namespace

namespace {
// SiLU(conv(x)) of channel c: yr[t] for the len tokens of its input row xr.
void conv_silu_channel(const ConvLayer& layer, int c, const std::int8_t* xr, std::size_t len, ConvOrder order,
                       const NumericsPolicy& p, float* yr) {
  const int width = layer.width;
  const ConvChannelConsts cc = channel_consts(layer, c, p.denormals);
  const std::int8_t* w = &layer.w[static_cast<std::size_t>(c) * static_cast<std::size_t>(width)];
  // The first width-1 tokens see the causal zero padding; later windows
  // are read in place.
  const std::size_t head = std::min(len, static_cast<std::size_t>(width - 1));
  std::array<std::int8_t, 8> window{};
  for (std::size_t t = 0; t < head; ++t) {
    for (int k = 0; k < width; ++k) {
      const auto src = static_cast<std::ptrdiff_t>(t) - (width - 1) + k;
      window[k] = src < 0 ? std::int8_t{0} : xr[src];
    }
    yr[t] = conv_pre_activation(w, window.data(), width, cc, order, p.denormals);
  }
  // The lane path (conv_lanes.inc): prefill order, subnormals preserved, the default units.
  const bool lanes = order == ConvOrder::kPrefill && p.denormals == Denormals::kPreserve &&
                     p.units == UnitSelection{} && kernel_isa() != KernelIsa::kSpec;
  if (lanes) {
    const std::size_t block = static_cast<std::size_t>(kernel_isa() == KernelIsa::kAvx512 ? 16
                                                       : kernel_isa() == KernelIsa::kAvx2 ? 8 : 4);
    const std::size_t last = head + (len - head) / block * block;
    MAMBAHW_SIMD_CALL(conv_silu_row, w, xr, width, cc.scale_in, cc.bias, head, last,
                      p.silu_division == QuantizeOp::kDivide, yr);
    for (std::size_t t = last; t < len; ++t)
      yr[t] = conv_pre_activation(w, xr + t - (width - 1), width, cc, order, p.denormals);
    for (std::size_t t = 0; t < head; ++t) yr[t] = silu(yr[t], p);
    for (std::size_t t = last; t < len; ++t) yr[t] = silu(yr[t], p);
    return;
  }
  if (order == ConvOrder::kPrefill && p.denormals == Denormals::kPreserve && kernel_isa() != KernelIsa::kSpec)
    prefill_pre_activations(w, xr, width, cc, head, len, yr);
  else
    for (std::size_t t = head; t < len; ++t)
      yr[t] = conv_pre_activation(w, xr + t - (width - 1), width, cc, order, p.denormals);
  silu_batch(yr, yr, len, p);
}
}  // namespace

FloatTensor conv1d_silu(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order,
                        const NumericsPolicy& p) {
  assert(x.rank() == 2 && static_cast<int>(x.dim(0)) == layer.channels);
  const std::size_t len = x.dim(1);
  FloatTensor y({x.dim(0), len});
  for (int c = 0; c < layer.channels; ++c)
    conv_silu_channel(layer, c, &x(static_cast<std::size_t>(c), 0), len, order, p, &y(static_cast<std::size_t>(c), 0));
  return y;
}

void conv1d_silu_quantize_channels(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order,
                                   const NumericsPolicy& p, std::span<const float> scales, std::size_t c0,
                                   std::size_t c1, FloatTensor& y, Int8Tensor& codes) {
  assert(x.rank() == 2 && static_cast<int>(x.dim(0)) == layer.channels && scales.size() == x.dim(0));
  assert(y.dim(0) == x.dim(0) && y.dim(1) == x.dim(1) && codes.dim(0) == x.dim(0) && codes.dim(1) == x.dim(1));
  assert(c0 <= c1 && c1 <= x.dim(0));
  const std::size_t len = x.dim(1);
  for (std::size_t c = c0; c < c1; ++c) {
    float* yr = &y(c, 0);
    conv_silu_channel(layer, static_cast<int>(c), &x(c, 0), len, order, p, yr);
    // The row is still in L1: quantize it now rather than in a second pass over the tensor.
    quantize_batch(yr, scales[c], inv_scale_register(scales[c], p), &codes(c, 0), len, p);
  }
}

void conv1d_silu_quantize(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order, const NumericsPolicy& p,
                          std::span<const float> scales, FloatTensor& y, Int8Tensor& codes) {
  assert(x.rank() == 2);
  const std::size_t C = x.dim(0), L = x.dim(1);
  if (y.rank() != 2 || y.dim(0) != C || y.dim(1) != L) y = FloatTensor({C, L});
  if (codes.rank() != 2 || codes.dim(0) != C || codes.dim(1) != L) codes = Int8Tensor({C, L});
  conv1d_silu_quantize_channels(x, layer, order, p, scales, 0, C, y, codes);
}

Int8Tensor quantize_per_channel(const FloatTensor& y, std::span<const float> scale,
                                const NumericsPolicy& p, CodeRange r) {
  assert(scale.size() == y.dim(0));
  Int8Tensor q({y.dim(0), y.dim(1)});
  for (std::size_t c = 0; c < y.dim(0); ++c) {
    quantize_batch(&y(c, 0), scale[c], inv_scale_register(scale[c], p), &q(c, 0), y.dim(1), p, r);
  }
  return q;
}

OpMix conv_output_ops(ConvOrder order, int width) {
  const int k = order == ConvOrder::kPrefill ? 1 : width;
  return OpMix::of(DatapathOp::kFp32Convert, k) + OpMix::of(DatapathOp::kFp32Fma, k);
}

}  // namespace mambahw
