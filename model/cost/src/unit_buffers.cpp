#include "mambahw/cost/unit_buffers.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "mambahw/cost/gemm_mapping.hpp"

namespace mambahw::cost {

namespace {

std::int64_t cdiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::int64_t kib(int v) { return static_cast<std::int64_t>(v) * 1024; }

// Bytes of columns [c0, c1) of a channel-major tensor of `bits`-wide elements
// over `len` tokens, as a tile reads them (whole bytes, rounded outward).
std::int64_t column_bytes(std::int64_t c0, std::int64_t c1, std::int64_t len, int bits) {
  return cdiv(c1 * len * bits, 8) - c0 * len * bits / 8;
}

const OpSpec* find_op(const LayerProgram& p, OpKind k) {
  for (const OpSpec& op : p.ops)
    if (op.kind == k) return &op;
  return nullptr;
}

}  // namespace

std::int64_t UnitBuffer::need() const {
  std::int64_t n = 0;
  for (const BufferTile& t : tiles) n += t.bytes;
  return n;
}

std::int64_t conv_line_buffer_bytes(const ModelShape& m) {
  return static_cast<std::int64_t>(m.conv_channels()) * std::max(m.d_conv - 1, 0);
}

std::int64_t ssm_tile_state_bytes(const ModelShape& m, const HardwareConfig& hw) {
  return static_cast<std::int64_t>(std::min(hw.ssm.dequant_lanes, m.d_inner)) * m.d_state * 4;
}

std::int64_t hadamard_buffer_tokens(const HardwareConfig& hw, std::int64_t tokens) {
  return std::min<std::int64_t>(std::max<std::int64_t>(tokens, 1), 2LL * hw.hadamard.tokens_per_tile);
}

std::int64_t bc_buffer_bytes(const ModelShape& m, std::int64_t tokens) {
  return 2LL * (m.is_mamba2() ? m.ngroups : 1) * m.d_state * std::max<std::int64_t>(tokens, 1);
}

NormTiling norm_tiling(const ModelShape& m, const HardwareConfig& hw, std::int64_t tokens) {
  const std::int64_t L = std::max<std::int64_t>(tokens, 1), d = m.d_inner;
  const std::int64_t capacity = kib(hw.buffers.norm_kib);
  if (capacity == 0 || d * L * kNormBytesPerElement <= capacity) return {false, L, d};
  const std::int64_t group = d / std::max(m.ngroups, 1);
  return {true, std::min(L, capacity / (group * kNormBytesPerElement)), group};
}

std::int64_t accumulator_bytes(std::int64_t tokens, std::int64_t cols, std::int64_t groups) {
  return std::max<std::int64_t>(tokens, 1) * cols * groups * 4;
}

BufferTile accumulator_tile(std::int64_t tokens, std::int64_t cols, std::int64_t groups) {
  return {"INT32 sums", accumulator_bytes(tokens, cols, groups),
          fmt::format("{} token{} x {} columns x {} weight group(s) INT32", std::max<std::int64_t>(tokens, 1),
                      tokens > 1 ? "s" : "", cols, groups)};
}

std::vector<UnitBuffer> unit_buffers(const LayerProgram& p, const HardwareConfig& hw, std::int64_t tokens, int batch) {
  const ModelShape& m = p.shape;
  const BufferConfig& b = hw.buffers;
  const std::int64_t L = std::max<std::int64_t>(tokens, 1);
  std::vector<UnitBuffer> v;
  if (const OpSpec* op = find_op(p, OpKind::kConvSiluQuantize)) {
    const std::int64_t lanes = std::min(hw.conv.lanes, m.conv_channels());
    const std::int64_t held = std::min<std::int64_t>(2 * lanes, m.conv_channels());  // two tiles, or the one
    UnitBuffer c{UnitBufferId::kConv, "conv_buffer", "buffers.conv_kib", "conv_unit", op->name, {}, kib(b.conv_kib)};
    c.tiles.push_back({"line buffer", conv_line_buffer_bytes(m),
                       fmt::format("{} channels x {} previous INT8 inputs", m.conv_channels(), m.d_conv - 1)});
    c.tiles.push_back({"input tiles", held * L, fmt::format("{} channels (two tiles of {}) x {} tokens INT8", held, lanes, L)});
    v.push_back(std::move(c));
  }
  const OpSpec* ssm = find_op(p, OpKind::kSelectiveScan);
  if (!ssm) ssm = find_op(p, OpKind::kSsdScanNorm);
  if (ssm) {
    const int lanes = std::min(hw.ssm.dequant_lanes, m.d_inner);
    UnitBuffer h{UnitBufferId::kSsmState, "ssm_state_buffer", "buffers.state_kib", "ssm_core", ssm->name, {}, kib(b.state_kib)};
    h.tiles.push_back({"tile states", 2 * ssm_tile_state_bytes(m, hw),
                       fmt::format("2 x {} channels x {} FP32 states", lanes, m.d_state)});
    v.push_back(std::move(h));

    const TensorSpec& u = p.tensor(ssm->inputs.at(0));
    const TensorSpec& delta = p.tensor(ssm->inputs.at(1));
    const std::int64_t group = m.d_inner / delta.per_token;  // channels per delta row
    std::int64_t u_tile = 0, d_tile = 0, z_tile = 0;
    for (std::int64_t c0 = 0; c0 < m.d_inner; c0 += lanes) {  // the largest tile (tiles straddle delta rows)
      const std::int64_t c1 = std::min<std::int64_t>(m.d_inner, c0 + lanes);
      u_tile = std::max(u_tile, column_bytes(c0, c1, L, u.element_bits));
      d_tile = std::max(d_tile, (cdiv(c1, group) - c0 / group) * L);
      z_tile = std::max(z_tile, (c1 - c0) * L);
    }
    UnitBuffer s{UnitBufferId::kSsmTiles, "ssm_tile_buffer", "buffers.ssm_tile_kib", "ssm_core", ssm->name, {}, kib(b.ssm_tile_kib)};
    s.tiles.push_back({"u tiles", 2 * u_tile, fmt::format("2 x {} channels x {} tokens x {} bits", lanes, L, u.element_bits)});
    s.tiles.push_back({"delta tiles", 2 * d_tile, fmt::format("2 x {} rows x {} tokens INT8", d_tile / L, L)});
    // Mamba2 with the pre-norm y spilled: z feeds only the norm stage, which reads it from DRAM.
    const bool z_to_norm = ssm->kind == OpKind::kSsdScanNorm && norm_tiling(m, hw, L).spilled;
    if (!z_to_norm)
      s.tiles.push_back({"z tiles", 2 * z_tile, fmt::format("2 x {} channels x {} tokens INT8", lanes, L)});
    const TensorSpec& bc = p.tensor(ssm->inputs.at(3));
    if (bc.bytes(L) != bc_buffer_bytes(m, L))
      throw std::logic_error("unit_buffers: the program's B and C tensor differs from the buffer layout");
    s.tiles.push_back({"B and C", bc_buffer_bytes(m, L), fmt::format("{} x {} tokens INT8 (the whole sequence)", bc.per_token, L)});
    const TensorSpec& prm = p.tensor(ssm->weights.at(0));
    s.tiles.push_back({"parameters", prm.bytes(L), "A, D, biases, norm weights and scales"});
    v.push_back(std::move(s));

    if (ssm->kind == OpKind::kSsdScanNorm) {
      UnitBuffer n{UnitBufferId::kNorm, "norm_buffer", "buffers.norm_kib", "ssm_core", ssm->name, {}, kib(b.norm_kib)};
      const NormTiling nt = norm_tiling(m, hw, L);
      if (!nt.spilled) {
        n.tiles.push_back({"pre-norm y", static_cast<std::int64_t>(m.d_inner) * L * 4,
                           fmt::format("{} channels x {} tokens FP32", m.d_inner, L)});
        n.tiles.push_back({"z", static_cast<std::int64_t>(m.d_inner) * L, fmt::format("{} channels x {} tokens INT8", m.d_inner, L)});
      } else {  // token tiles of one norm group (at least one token: else the capacity check fails)
        const std::int64_t t = std::max<std::int64_t>(nt.tokens, 1);
        n.tiles.push_back({"pre-norm y tile", t * nt.channels * 4,
                           fmt::format("{} tokens x {} channels (a norm group) FP32, the rest spilled to DRAM", t, nt.channels)});
        n.tiles.push_back({"z tile", t * nt.channels, fmt::format("{} tokens x {} channels INT8", t, nt.channels)});
      }
      v.push_back(std::move(n));
    }
  }
  if (const OpSpec* op = find_op(p, OpKind::kHadamardQuantize)) {
    UnitBuffer h{UnitBufferId::kHadamard, "hadamard_buffer", "buffers.hadamard_kib", "hadamard_unit", op->name, {}, kib(b.hadamard_kib)};
    const std::int64_t held = hadamard_buffer_tokens(hw, L);
    h.tiles.push_back({"token tiles", held * m.d_inner * 2,
                       fmt::format("{} tokens (two tiles of {}) x {} FP16 values", held, hw.hadamard.tokens_per_tile, m.d_inner)});
    v.push_back(std::move(h));
  }
  // The GEMM array runs every sequence's tokens at once: its token tiles are over B x L.
  UnitBuffer acc{UnitBufferId::kAccumulator, "accumulator", "buffers.accumulator_kib", "gemm_array", "", {}, kib(b.accumulator_kib)};
  for (const OpSpec& op : p.ops) {
    if (op.kind != OpKind::kGemm) continue;
    const GemmShape g = gemm_shape(p, op, L * std::max(batch, 1));
    const GemmMapping mp = map_gemm(g, hw.gemm, b, op.name);  // its token tile fits buffers.accumulator_kib
    if (acc.tiles.empty() || mp.accumulator_bytes > acc.tiles[0].bytes) {
      acc.user = op.name;
      acc.tiles = {accumulator_tile(mp.m_tile, std::min<std::int64_t>(hw.gemm.cols, g.n), g.weight_groups)};
    }
  }
  if (!acc.tiles.empty()) v.push_back(std::move(acc));
  return v;
}

const UnitBuffer* find_buffer(const std::vector<UnitBuffer>& v, UnitBufferId id) {
  for (const UnitBuffer& b : v)
    if (b.id == id) return &b;
  return nullptr;
}

std::string capacity_message(const UnitBuffer& b, std::int64_t capacity) {
  std::string tiles;
  for (const BufferTile& t : b.tiles) tiles += fmt::format("{}{} ({} = {} bytes)", tiles.empty() ? "" : " + ", t.tile, t.formula, t.bytes);
  return fmt::format("{}: the {} needs for '{}' its {}, {} bytes in all, on chip; the {} holds {} bytes", b.field,
                     b.unit, b.user, tiles, b.need(), b.name, capacity);
}

void check_unit_buffers(const LayerProgram& p, const HardwareConfig& hw, std::int64_t tokens, int batch) {
  for (const UnitBuffer& b : unit_buffers(p, hw, tokens, batch))
    if (b.configured && b.need() > b.configured) throw CapacityError(capacity_message(b, b.configured));
}

}  // namespace mambahw::cost
