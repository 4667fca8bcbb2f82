// The GEMM mapper (docs/architecture.md, "GEMM mapping"): how one GEMM's
// loops are ordered and tiled over the weight-stationary array and its two
// buffers. The array's own step is fixed (a fold: a k_per_fold x C weight
// tile held in the PEs while a tile of tokens streams through it); what the
// mapper chooses is what stays on chip between folds. Like Timeloop's mapper
// it searches the space exhaustively and costs every point analytically: each
// loop order with every token tile and weight block that fits the buffers
// (the token tile's input rows the activation buffer, its INT32 sums the
// accumulator, a weight block the weight buffer), DRAM bytes first, then
// cycles. A configuration in which not even the smallest tile fits is a
// CapacityError naming the buffer, the tile and the bytes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/golden/layer_program.hpp"

namespace mambahw::cost {

// One GEMM  [M x K] * [K x N]  on the weight-stationary array.
struct GemmShape {
  std::int64_t m = 0;  // tokens (rows streamed through the array)
  std::int64_t k = 0;  // reduction
  std::int64_t n = 0;  // outputs
  int weight_bits = 8; // 8 or 4
  int out_bytes = 1;   // 1 (INT8) or 2 (FP16) per output element
  int in_bytes = 1;    // 1 (INT8), or 2 where an FP16 tensor is requantized on the way in
  // INT32 accumulators per output: 1 (per-channel scales), or ceil(K /
  // group) for per-group scales (each group's sum is requantized with its own scale).
  std::int64_t weight_groups = 1;
};

enum class GemmOrder : std::uint8_t {
  kFixed,         // n tiles outer, k inner, every token per fold; the input re-read per n tile unless it fits
  kTokensOuter,   // token tiles outer: a tile's input rows stay in the activation buffer; weights read once per tile
  kWeightsOuter,  // weight blocks outer: a block's weights stay in the weight buffer; the input read once per block
};

}  // namespace mambahw::cost

namespace mambahw {
template <>
struct EnumNames<cost::GemmOrder> {
  static constexpr std::array<EnumName<cost::GemmOrder>, 3> table{{
      {cost::GemmOrder::kFixed, "fixed", "n tiles outer, k inner, all tokens per fold"},
      {cost::GemmOrder::kTokensOuter, "tokens_outer", "token tiles outer, input tile resident, weights streamed"},
      {cost::GemmOrder::kWeightsOuter, "weights_outer", "weight blocks outer, weight block resident, input streamed"},
  }};
};
}  // namespace mambahw

namespace mambahw::cost {

struct GemmMapping {
  GemmOrder order = GemmOrder::kFixed;
  std::int64_t m_tile = 0;         // tokens per token tile (the last may be shorter)
  std::int64_t n_block = 0;        // output columns per weight block (every column unless kWeightsOuter)
  std::int64_t token_tiles = 1, weight_blocks = 1;
  // DRAM traffic of the GEMM: weight codes (the scales are read once beside
  // them, not counted here), the input, the outputs.
  std::int64_t weight_bytes = 0, input_bytes = 0, output_bytes = 0;
  std::int64_t dram_bytes() const { return weight_bytes + input_bytes + output_bytes; }
  std::int64_t min_dram_bytes = 0;   // every tensor once
  std::int64_t compute_cycles = 0;   // the array's cycles without memory stalls
  double efficiency = 0;             // MACs / (compute_cycles x the array's MACs per cycle)
  std::int64_t input_tile_bytes = 0;    // on chip: the token tile's input rows [m_tile][K]
  std::int64_t accumulator_bytes = 0;   // on chip: the token tile's INT32 sums [m_tile][min(C, N)][weight groups]
  std::int64_t weight_block_bytes = 0;  // on chip: the weight block [K][n_block] (kWeightsOuter)
  int candidates = 0;                   // points the search costed
};

// A required tile does not fit its buffer.
struct CapacityError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The array's fold geometry: rows x macs per PE along K, columns along N.
std::int64_t fold_k(const GemmShape& g, const GemmArrayConfig& a);
// Array cycles of `tiles` token tiles covering m tokens over every fold (the
// weight load once with double buffering, else per fold).
std::int64_t gemm_compute_cycles(const GemmShape& g, const GemmArrayConfig& a, std::int64_t m_tile);

// The fixed mapping the model used before the mapper (for comparison).
GemmMapping fixed_mapping(const GemmShape& g, const GemmArrayConfig& a, const BufferConfig& b);
// The search: the cheapest mapping (DRAM bytes, then cycles) that fits; the
// fixed one competes too if its token tile (all M tokens) fits the
// accumulator. buffers.accumulator_kib 0: the accumulator is sized to the
// chosen mapping (no constraint). CapacityError naming `op` if no tile fits
// (the weight tile, one token's input row, one token's INT32 sums).
GemmMapping map_gemm(const GemmShape& g, const GemmArrayConfig& a, const BufferConfig& b, std::string_view op);

// The shape of a GEMM op of the program over `tokens` tokens.
GemmShape gemm_shape(const LayerProgram& p, const OpSpec& op, std::int64_t tokens);
// Maps every GEMM of the program over the run's batch x tokens, then checks
// the units' buffers (unit_buffers.hpp, the layout the accelerator
// configures): CapacityError at the first that cannot fit.
void check_capacities(const LayerProgram& p, const HardwareConfig& hw, std::int64_t tokens, int batch = 1);

}  // namespace mambahw::cost
