#include "mambahw/studies/synthetic.hpp"

#include <algorithm>
#include <cmath>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/numerics.hpp"

namespace mambahw {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E37'79B9'7F4A'7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double sum = 0.0;
  for (int i = 0; i < 12; ++i) sum += uniform();
  return sum - 6.0;
}

std::uint64_t Rng::below(std::uint64_t n) {
  const std::uint64_t limit = ~0ull - (~0ull % n);
  std::uint64_t v;
  do v = next();
  while (v >= limit);
  return v % n;
}

std::uint64_t stream_seed(std::uint64_t seed, Stream s, std::uint64_t index) {
  std::uint64_t x = seed ^ (static_cast<std::uint64_t>(s) << 56) ^ (index * 0x9E37'79B9ull);
  return splitmix64(x);
}

FloatTensor synthetic_activations(int channels, int len, std::uint64_t seed) {
  Rng rng(seed);
  FloatTensor x({static_cast<std::size_t>(channels), static_cast<std::size_t>(len)});
  for (int c = 0; c < channels; ++c) {
    const double gain = rng.uniform() < 0.02 ? 2.0 + 4.0 * rng.uniform() : 1.0;
    for (int t = 0; t < len; ++t) {
      double v = rng.normal() * gain;
      if (rng.uniform() < 0.0005) v *= 2.0 + 4.0 * rng.uniform();
      x(c, t) = static_cast<float>(v);
    }
  }
  return x;
}





ConvLayer synthetic_conv_layer(const ModelShape& m, std::uint64_t seed,
                               std::span<const float> input_scale_per_segment) {
  Rng rng(seed);
  ConvLayer layer;
  layer.channels = m.conv_channels();
  layer.width = m.d_conv;
  layer.segment_end = conv_segment_ends(m);
  const auto n = static_cast<std::size_t>(layer.channels);
  std::vector<float> w(n * layer.width), b(n);
  for (std::size_t c = 0; c < n; ++c) {
    const double gain = rng.uniform() < 0.01 ? 1.5 + 1.5 * rng.uniform() : 1.0;
    for (int k = 0; k < layer.width; ++k) w[c * layer.width + k] = static_cast<float>(0.25 * gain * rng.normal());
    b[c] = static_cast<float>(0.05 * rng.normal());
  }
  layer.w.resize(w.size());
  layer.bias.resize(n);
  int begin = 0;
  for (std::size_t s = 0; s < layer.segment_end.size(); ++s) {
    const int end = layer.segment_end[s];
    const auto wb = static_cast<std::size_t>(begin) * layer.width;
    const auto we = static_cast<std::size_t>(end) * layer.width;
    ConvSegmentScales sc;
    sc.w = quantize_absmax_int8(std::span(w).subspan(wb, we - wb), std::span(layer.w).subspan(wb, we - wb));
    sc.b = quantize_absmax_int8(std::span(b).subspan(begin, end - begin),
                            std::span(layer.bias).subspan(begin, end - begin));
    sc.x = input_scale_per_segment[s];
    layer.segment_scales.push_back(sc);
    begin = end;
  }
  return layer;
}

Int8Tensor quantize_rows_minmax(const FloatTensor& x, std::span<const int> segment_end,
                                std::vector<float>& scales) {
  Int8Tensor q({x.dim(0), x.dim(1)});
  const NumericsPolicy half_even{Rounding::kHalfToEven, QuantizeOp::kDivide};
  if (scales.size() != segment_end.size()) {
    scales.clear();
    std::size_t begin = 0;
    for (int end : segment_end) {
      double absmax = 0.0;
      for (std::size_t i = begin * x.dim(1); i < static_cast<std::size_t>(end) * x.dim(1); ++i)
        absmax = std::max(absmax, static_cast<double>(std::fabs(x(i))));
      scales.push_back(static_cast<float>(std::max(std::max(absmax, 1e-5) / 127.0, 1e-6)));
      begin = static_cast<std::size_t>(end);
    }
  }
  std::size_t begin = 0;
  for (std::size_t s = 0; s < segment_end.size(); ++s) {
    const float sc = scales[s];
    for (std::size_t i = begin * x.dim(1); i < static_cast<std::size_t>(segment_end[s]) * x.dim(1); ++i)
      q(i) = static_cast<std::int8_t>(quantize(x(i), sc, reciprocal(sc), half_even));
    begin = static_cast<std::size_t>(segment_end[s]);
  }
  return q;
}

}  // namespace mambahw
