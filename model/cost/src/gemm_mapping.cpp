#include "mambahw/cost/gemm_mapping.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "mambahw/cost/unit_buffers.hpp"

namespace mambahw::cost {

namespace {

std::int64_t cdiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::int64_t input_bytes(const GemmShape& g) { return g.m * g.k * g.in_bytes; }
std::int64_t weight_bytes(const GemmShape& g) { return cdiv(g.k * g.n * g.weight_bits, 8); }
std::int64_t output_bytes(const GemmShape& g) { return g.m * g.n * g.out_bytes; }
// The columns a fold's accumulators cover: the array's, or N if narrower.
std::int64_t accumulator_cols(const GemmShape& g, const GemmArrayConfig& a) { return std::min<std::int64_t>(a.cols, g.n); }

// The costs every mapping shares: the minimum traffic, the cycles and the efficiency of its token tile.
GemmMapping base(const GemmShape& g, const GemmArrayConfig& a, GemmOrder order, std::int64_t m_tile) {
  GemmMapping p;
  p.order = order;
  p.m_tile = m_tile;
  p.n_block = g.n;
  p.token_tiles = cdiv(g.m, m_tile);
  p.output_bytes = output_bytes(g);
  p.min_dram_bytes = weight_bytes(g) + input_bytes(g) + output_bytes(g);
  p.compute_cycles = gemm_compute_cycles(g, a, m_tile);
  p.efficiency = static_cast<double>(g.m * g.k * g.n) /
                 (static_cast<double>(p.compute_cycles) * static_cast<double>(fold_k(g, a) * a.cols));
  p.input_tile_bytes = m_tile * g.k * g.in_bytes;
  p.accumulator_bytes = accumulator_bytes(m_tile, accumulator_cols(g, a), g.weight_groups);
  return p;
}

}  // namespace

std::int64_t fold_k(const GemmShape& g, const GemmArrayConfig& a) {
  return static_cast<std::int64_t>(a.rows) * (g.weight_bits == 4 ? a.int4_macs_per_pe : 1);
}

std::int64_t gemm_compute_cycles(const GemmShape& g, const GemmArrayConfig& a, std::int64_t m_tile) {
  const std::int64_t folds = cdiv(g.k, fold_k(g, a)) * cdiv(g.n, a.cols);
  const std::int64_t tiles = cdiv(g.m, m_tile);
  // Every fold of every token tile streams its tokens plus the array's fill and drain.
  const std::int64_t stream = folds * (g.m + tiles * (a.rows + a.cols - 2));
  return a.weight_double_buffer ? a.rows + stream : folds * tiles * a.rows + stream;
}

GemmMapping fixed_mapping(const GemmShape& g, const GemmArrayConfig& a, const BufferConfig& b) {
  GemmMapping p = base(g, a, GemmOrder::kFixed, std::max<std::int64_t>(g.m, 1));
  const bool reread = input_bytes(g) > static_cast<std::int64_t>(b.activation_kib) * 1024;
  p.weight_bytes = weight_bytes(g);
  p.input_bytes = input_bytes(g) * (reread ? cdiv(g.n, a.cols) : 1);
  p.candidates = 1;
  return p;
}

GemmMapping map_gemm(const GemmShape& g, const GemmArrayConfig& a, const BufferConfig& b, std::string_view op) {
  const std::int64_t act = static_cast<std::int64_t>(b.activation_kib) * 1024;
  const std::int64_t wbuf = static_cast<std::int64_t>(b.weight_kib) * 1024;
  const std::int64_t fk = fold_k(g, a);
  // The smallest tiles any mapping needs: the fold's weight tile (with the
  // double buffer, once more per tile in flight: gemm.prefetch_depth) and one
  // token's input row.
  const std::int64_t held = a.weight_double_buffer ? 1 + a.prefetch_depth : 1;
  const std::int64_t tile = cdiv(fk * a.cols * g.weight_bits, 8) * held;
  if (tile > wbuf)
    throw CapacityError(fmt::format(
        "buffers.weight_kib: GEMM '{}' needs its weight tile ({} x {} {}-bit weights = {} bytes{}) on chip; the "
        "weight buffer holds {} bytes",
        op, fk, a.cols, g.weight_bits, cdiv(fk * a.cols * g.weight_bits, 8),
        held == 2  ? std::string(", twice for the double buffer")
        : held > 2 ? fmt::format(", {} times: the double buffer with gemm.prefetch_depth {}", held, a.prefetch_depth)
                   : std::string{},
        wbuf));
  const std::int64_t row = g.k * g.in_bytes;
  if (row > act)
    throw CapacityError(fmt::format(
        "buffers.activation_kib: GEMM '{}' needs one token's input row (K {} x {} byte(s) = {} bytes) on chip; the "
        "activation buffer holds {} bytes",
        op, g.k, g.in_bytes, row, act));

  // The accumulator holds the INT32 sums of a token tile x a column tile
  // (x weight groups): with buffers.accumulator_kib set, a bound on the token
  // tile; 0 sizes it to the chosen mapping.
  const std::int64_t accb = static_cast<std::int64_t>(b.accumulator_kib) * 1024;
  const std::int64_t acc_cols = accumulator_cols(g, a);
  if (accb && accumulator_bytes(1, acc_cols, g.weight_groups) > accb) {
    const UnitBuffer one{UnitBufferId::kAccumulator, "accumulator", "buffers.accumulator_kib", "gemm_array",
                         std::string(op), {accumulator_tile(1, acc_cols, g.weight_groups)}, accb};
    throw CapacityError(capacity_message(one, accb));
  }
  const std::int64_t M = std::max<std::int64_t>(g.m, 1);
  const std::int64_t acc_tokens = accb ? accb / accumulator_bytes(1, acc_cols, g.weight_groups) : M;

  std::optional<GemmMapping> best;
  int candidates = 0;
  auto consider = [&](const GemmMapping& p) {
    ++candidates;
    const auto key = [](const GemmMapping& m) { return std::make_tuple(m.dram_bytes(), m.compute_cycles, m.order); };
    if (!best || key(p) < key(*best)) best = p;
  };
  // The fixed mapping streams every token through each fold: its token tile is M.
  if (!accb || accumulator_bytes(M, acc_cols, g.weight_groups) <= accb) consider(fixed_mapping(g, a, b));
  const std::int64_t W = weight_bytes(g), X = input_bytes(g);
  // Token tiles: 256 consecutive tilings ceil(M / T) from the fewest tiles
  // whose input rows fit the activation buffer and whose sums fit the
  // accumulator (more tiles only add traffic and fill/drain cycles).
  const std::int64_t first = cdiv(M, std::min({act / row, acc_tokens, M}));
  for (std::int64_t tiles = first; tiles <= std::min<std::int64_t>(g.m, first + 255); ++tiles) {
    const std::int64_t m_tile = cdiv(g.m, tiles);
    if (cdiv(g.m, m_tile) != tiles || m_tile * row > act) continue;
    GemmMapping t = base(g, a, GemmOrder::kTokensOuter, m_tile);
    t.weight_bytes = W * tiles;  // every fold's weights once per token tile
    t.input_bytes = X;
    consider(t);
    // Weight blocks of whole column tiles that fit the weight buffer.
    const std::int64_t col_bytes = cdiv(g.k * g.weight_bits, 8);
    for (std::int64_t nb = a.cols; nb < g.n + a.cols; nb += a.cols) {
      const std::int64_t n_block = std::min(nb, g.n);
      if (n_block * col_bytes > wbuf) break;
      GemmMapping w = base(g, a, GemmOrder::kWeightsOuter, m_tile);
      w.n_block = n_block;
      w.weight_blocks = cdiv(g.n, n_block);
      w.weight_block_bytes = n_block * col_bytes;
      w.weight_bytes = W;
      w.input_bytes = tiles == 1 ? X : X * w.weight_blocks;  // one token tile stays; more stream per block
      consider(w);
      if (n_block == g.n) break;
    }
  }
  // One token's row and sums fit (checked above), so the fewest tiles that
  // fit both buffers is always a candidate.
  if (!best) throw std::logic_error(fmt::format("map_gemm: no mapping of GEMM '{}' was costed", op));
  best->candidates = candidates;
  return *best;
}

GemmShape gemm_shape(const LayerProgram& p, const OpSpec& op, std::int64_t tokens) {
  const GemmSpec& g = *op.gemm;
  return {tokens,
          g.k,
          g.n,
          weight_bits(g.weights),
          p.tensor(op.outputs.at(0)).element_bits / 8,
          p.tensor(op.inputs.at(0)).element_bits / 8,
          g.weight_group ? cdiv(g.k, g.weight_group) : 1};
}

void check_capacities(const LayerProgram& p, const HardwareConfig& hw, std::int64_t tokens, int batch) {
  const std::int64_t m = tokens * std::max(batch, 1);  // a GEMM runs every sequence's tokens at once
  for (const OpSpec& op : p.ops)
    if (op.kind == OpKind::kGemm) (void)map_gemm(gemm_shape(p, op, m), hw.gemm, hw.buffers, op.name);
  check_unit_buffers(p, hw, tokens, batch);  // the conv, SSM, norm and Hadamard tiles and the accumulators
}

}  // namespace mambahw::cost
