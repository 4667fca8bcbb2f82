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

FloatTensor mamba2_ssm_tiled(const FloatTensor& x, const Mamba2Ssm& s, const SsmPolicy& p) {
  const auto H = static_cast<size_t>(s.nheads), P = static_cast<size_t>(s.headdim), N = static_cast<size_t>(s.d_state);
  if (s.ngroups <= 0 || s.nheads % s.ngroups || x.dim(0) != H * P || s.dt.q.dim(0) != H ||
      s.b.dim(0) != static_cast<size_t>(s.ngroups) * N || s.c.dim(0) != s.b.dim(0) || s.dt_bias.size() != H ||
      s.a_log.q.size() != H || s.d_skip.q.size() != H || s.b_scale.size() != static_cast<size_t>(s.ngroups) ||
      s.c_scale.size() != s.b_scale.size())
    return mamba2_ssm(x, s, p);  // the kernel reports the shape error
  if (threads() == 1) return mamba2_ssm(x, s, p);  // one thread: one call, the same bits, no copies
  const size_t heads_per_group = H / static_cast<size_t>(s.ngroups);
  FloatTensor y({x.dim(0), x.dim(1)});
  parallel_for(H, [&](size_t h) {
    const size_t g = h / heads_per_group;
    Mamba2Ssm t;
    t.nheads = 1;
    t.headdim = s.headdim;
    t.ngroups = 1;
    t.d_state = s.d_state;
    t.dt = rows_of(s.dt, h, h + 1);
    t.dt_bias = {s.dt_bias[h]};
    t.a_log = rows_of(s.a_log, h, h + 1);
    t.b = row_block(s.b, g * N, (g + 1) * N);
    t.c = row_block(s.c, g * N, (g + 1) * N);
    t.b_scale = {s.b_scale[g]};
    t.c_scale = {s.c_scale[g]};
    t.d_skip = rows_of(s.d_skip, h, h + 1);
    put_row_block(y, h * P, mamba2_ssm(row_block(x, h * P, (h + 1) * P), t, p));
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
