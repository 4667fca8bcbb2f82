#include "mambahw/golden/tiled.hpp"

#include <algorithm>
#include <stdexcept>

#include "mambahw/golden/threads.hpp"

namespace mambahw {

namespace {
using std::size_t;

QTensor rows_of(const QTensor& t, size_t begin, size_t end) { return {row_block(t.q, begin, end), t.scale}; }

size_t tiles_of(size_t n, size_t tile) { return (n + tile - 1) / tile; }

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
  // One thread: one call; or the kernel reports the shape error.
  if (threads() == 1 || x.rank() != 2 || x.dim(0) != C || scales.size() != C)
    return conv1d_silu_quantize(x, layer, order, np, scales, y, codes);
  if (y.rank() != 2 || y.dim(0) != C || y.dim(1) != x.dim(1)) y = FloatTensor({C, x.dim(1)});
  if (codes.rank() != 2 || codes.dim(0) != C || codes.dim(1) != x.dim(1)) codes = Int8Tensor({C, x.dim(1)});
  // Each tile writes only its own rows, in place (no copies).
  parallel_for(tiles_of(C, tile), [&](size_t i) {
    const size_t c0 = i * tile, c1 = std::min(C, c0 + tile);
    conv1d_silu_quantize_channels(x, layer, order, np, scales, c0, c1, y, codes);
  });
}

}  // namespace mambahw
