#include "mambahw/conv.hpp"

#include <algorithm>
#include <array>
#include <cassert>

#include "mambahw/exp_unit.hpp"

namespace mambahw {

std::string_view to_string(ConvOrder o) { return o == ConvOrder::kPrefill ? "prefill" : "decode"; }
std::optional<ConvOrder> parse_conv_order(std::string_view s) {
  if (s == "prefill") return ConvOrder::kPrefill;
  if (s == "decode") return ConvOrder::kDecode;
  return std::nullopt;
}

int ConvLayer::segment_of(int channel) const {
  const auto it = std::upper_bound(segment_end.begin(), segment_end.end(), channel);
  return static_cast<int>(it - segment_end.begin());
}

std::vector<int> conv_segment_ends(const ModelShape& m) {
  if (!m.is_mamba2()) return {m.d_inner};
  return {m.d_inner, m.d_inner + m.bc_channels(), m.d_inner + 2 * m.bc_channels()};
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

FloatTensor conv1d_silu(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order,
                        const NumericsPolicy& p) {
  assert(x.rank() == 2 && static_cast<int>(x.dim(0)) == layer.channels);
  const int width = layer.width;
  const std::size_t len = x.dim(1);
  FloatTensor y({x.dim(0), len});
  std::array<std::int8_t, 8> window{};
  for (int c = 0; c < layer.channels; ++c) {
    const ConvChannelConsts cc = channel_consts(layer, c, p.denormals);
    const std::int8_t* w = &layer.w[static_cast<std::size_t>(c) * width];
    for (std::size_t t = 0; t < len; ++t) {
      for (int k = 0; k < width; ++k) {
        const auto src = static_cast<std::ptrdiff_t>(t) - (width - 1) + k;
        window[k] = src < 0 ? std::int8_t{0} : x(c, static_cast<std::size_t>(src));
      }
      y(c, t) = silu(conv_pre_activation(w, window.data(), width, cc, order, p.denormals), p);
    }
  }
  return y;
}

Int8Tensor quantize_per_channel(const FloatTensor& y, std::span<const float> scale,
                                const NumericsPolicy& p, CodeRange r) {
  assert(scale.size() == y.dim(0));
  Int8Tensor q({y.dim(0), y.dim(1)});
  for (std::size_t c = 0; c < y.dim(0); ++c) {
    const float s = scale[c];
    const float inv = reciprocal(s);
    for (std::size_t t = 0; t < y.dim(1); ++t)
      q(c, t) = static_cast<std::int8_t>(quantize(y(c, t), s, inv, p, r));
  }
  return q;
}

}  // namespace mambahw
