#include "mambahw/golden/tiled.hpp"

#include <algorithm>
#include <stdexcept>

#include "mambahw/golden/threads.hpp"

namespace mambahw {

namespace {
using std::size_t;

QTensor rows_of(const QTensor& t, size_t begin, size_t end) { return {row_block(t.q, begin, end), t.scale}; }

size_t tiles_of(size_t n, size_t tile) { return (n + tile - 1) / tile; }

// The conv layer of channels [c0, c1): its weights, biases and the segments
// that overlap the range, with their scales.
ConvLayer conv_channels(const ConvLayer& l, int c0, int c1) {
  ConvLayer t;
  t.channels = c1 - c0;
  t.width = l.width;
  const auto w = static_cast<size_t>(l.width);
  t.w.assign(l.w.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(c0) * w),
             l.w.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(c1) * w));
  if (!l.bias.empty()) t.bias.assign(l.bias.begin() + c0, l.bias.begin() + c1);
  int begin = 0;
  for (size_t s = 0; s < l.segment_end.size(); ++s) {
    const int end = l.segment_end[s];
    if (end > c0 && begin < c1) {
      t.segment_end.push_back(std::min(end, c1) - c0);
      t.segment_scales.push_back(l.segment_scales[s]);
    }
    begin = end;
  }
  return t;
}
}  // namespace

FloatTensor mamba1_selective_scan_tiled(const FloatTensor& u, const Mamba1Ssm& s, const SsmPolicy& p) {
  const size_t D = u.dim(0), tile = kChannelTile;
  if (s.delta.q.dim(0) != D || s.z.q.dim(0) != D || s.a_log.q.dim(0) != D || s.delta_bias.q.size() != D ||
      s.d_skip.q.size() != D)
    return mamba1_selective_scan(u, s, p);  // the kernel reports the shape error
  // One thread: the whole tensor in one call (the same bits, Threads.TiledKernelsEqualTheWholeTensorKernel),
  // without the tiles' copies.
  if (threads() == 1) return mamba1_selective_scan(u, s, p);
  FloatTensor y({D, u.dim(1)});
  parallel_for(tiles_of(D, tile), [&](size_t i) {
    const size_t c0 = i * tile, c1 = std::min(D, c0 + tile);
    Mamba1Ssm t;
    t.delta = rows_of(s.delta, c0, c1);
    t.delta_bias = rows_of(s.delta_bias, c0, c1);
    t.a_log = rows_of(s.a_log, c0, c1);
    t.b = s.b;
    t.c = s.c;
    t.d_skip = rows_of(s.d_skip, c0, c1);
    t.z = rows_of(s.z, c0, c1);
    put_row_block(y, c0, mamba1_selective_scan(row_block(u, c0, c1), t, p));
  });
  return y;
}

void conv1d_silu_quantize_tiled(const Int8Tensor& x, const ConvLayer& layer, ConvOrder order, const NumericsPolicy& np,
                                std::span<const float> scales, FloatTensor& y, Int8Tensor& codes) {
  const auto C = static_cast<size_t>(layer.channels), tile = static_cast<size_t>(kChannelTile);
  if (threads() == 1 || x.dim(0) != C || scales.size() != C || layer.segment_end.empty() ||
      layer.segment_end.back() != layer.channels) {  // one thread: one call (the same bits, no copies); or the kernels report the shape error
    y = conv1d_silu(x, layer, order, np);  // the kernels report the shape error
    codes = quantize_per_channel(y, scales, np);
    return;
  }
  y = FloatTensor({C, x.dim(1)});
  codes = Int8Tensor({C, x.dim(1)});
  parallel_for(tiles_of(C, tile), [&](size_t i) {
    const size_t c0 = i * tile, c1 = std::min(C, c0 + tile);
    const FloatTensor yt =
        conv1d_silu(row_block(x, c0, c1), conv_channels(layer, static_cast<int>(c0), static_cast<int>(c1)), order, np);
    put_row_block(codes, c0, quantize_per_channel(yt, scales.subspan(c0, c1 - c0), np));
    put_row_block(y, c0, yt);
  });
}

}  // namespace mambahw
