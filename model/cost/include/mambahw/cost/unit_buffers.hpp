// The on-chip buffers that hold the units' working sets (docs/architecture.md,
// "On-chip buffers"): the one layout of what each unit keeps on chip at once,
// tile by tile, in bytes. The SystemC units size their buffer regions with
// these functions, the cost model prices the memories from them, and the
// configuration check compares them with the configured capacities
// (hardware.buffers.*_kib; 0 sizes a buffer to its working set). A tile that
// does not fit is a CapacityError naming the buffer, the unit, the tile and
// the bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/golden/layer_program.hpp"

namespace mambahw::cost {

// One region of a buffer: a tile the unit holds at once.
struct BufferTile {
  std::string tile;     // e.g. "input tiles"
  std::int64_t bytes = 0;
  std::string formula;  // how the bytes follow from the shapes, e.g. "2 x 16 channels x 64 tokens INT8"
};

enum class UnitBufferId : std::uint8_t {
  kConv,         // conv unit: line buffer (conv state) + ping-pong input tiles
  kSsmState,     // SSM core: the FP32 states h of a channel tile (ping-pong)
  kSsmTiles,     // SSM core: u, delta, z tiles (ping-pong), B and C of the sequence, the parameters
  kNorm,         // Mamba2: the pre-norm y and z the gated RMSNorm reads (all of them, or token tiles of a norm group)
  kHadamard,     // Hadamard unit: ping-pong FP16 token tiles
  kAccumulator,  // GEMM array: the INT32 accumulators of a token tile x a column tile (x weight groups)
};
inline constexpr std::size_t kNumUnitBuffers = 6;

struct UnitBuffer {
  UnitBufferId id = UnitBufferId::kConv;
  std::string name;    // conv_buffer, ssm_state_buffer, ssm_tile_buffer, norm_buffer, hadamard_buffer, accumulator
  std::string field;   // buffers.conv_kib, ...
  std::string unit;    // the unit whose working set it is (golden's Unit spelling)
  std::string user;    // the op or GEMM that needs the most (accumulator: the GEMM's name)
  std::vector<BufferTile> tiles;  // held at once
  std::int64_t configured = 0;    // the field's bytes; 0: sized to the working set
  std::int64_t need() const;      // the tiles' sum
  std::int64_t capacity() const { return configured ? configured : need(); }
};

// Bytes of the individual facts (each used by the layouts below and by the cost model).
std::int64_t conv_line_buffer_bytes(const ModelShape& m);  // channels x (d_conv - 1) INT8
std::int64_t ssm_tile_state_bytes(const ModelShape& m, const HardwareConfig& hw);  // one channel tile's FP32 states
// Tokens the Hadamard buffer holds at once over a sequence of `tokens`: two tiles, or the whole sequence if shorter.
std::int64_t hadamard_buffer_tokens(const HardwareConfig& hw, std::int64_t tokens);
// B and C of a sequence (INT8, 2 x groups x d_state per token): the SSM core keeps them for the whole op.
std::int64_t bc_buffer_bytes(const ModelShape& m, std::int64_t tokens);
// INT32 accumulators of `tokens` x `cols` outputs with `groups` weight groups each.
std::int64_t accumulator_bytes(std::int64_t tokens, std::int64_t cols, std::int64_t groups);
// The same as the accumulator's tile (its bytes and formula), as the layout and the mapper's error name it.
BufferTile accumulator_tile(std::int64_t tokens, std::int64_t cols, std::int64_t groups);

// Mamba2's gated RMSNorm needs every channel of a token's norm group
// (d_inner / ngroups channels), which the SSM core's channel tiles finish
// only at the op's end. With buffers.norm_kib 0, or at least the whole
// pre-norm y (d_inner x L FP32) and z (d_inner x L INT8), the norm buffer
// holds all of them. Below that the pre-norm y spills: the SSM core writes
// each channel tile's FP32 y to DRAM, and the norm stage reads back, norm
// group by norm group, token tiles of `tokens` tokens x the group's
// `channels` channels of y and z (z from its own DRAM tensor, which the
// SSM core then does not load), as many tokens as the capacity holds
// (docs/architecture.md, "On-chip buffers"). tokens is 0 when not even one
// token of a group fits: a CapacityError.
struct NormTiling {
  bool spilled = false;
  std::int64_t tokens = 0;    // tokens of a tile (L when not spilled)
  std::int64_t channels = 0;  // channels of a tile: d_inner, or one norm group's when spilled
};
inline constexpr int kNormBytesPerElement = 5;  // an FP32 pre-norm y and an INT8 z
NormTiling norm_tiling(const ModelShape& m, const HardwareConfig& hw, std::int64_t tokens);

// The memories of the die estimate that hold the units' tiles beside the
// state memories (cost/model.hpp, state_memories), by the names under which
// the units count their accesses (EventCounts::sram, in bytes):
inline constexpr const char* kConvInputTilesMemory = "conv_input_tiles";  // conv_buffer less the line buffer
inline constexpr const char* kSsmTileMemory = "ssm_tile_buffer";          // ssm_tile_buffer less B and C
inline constexpr const char* kNormMemory = "norm_buffer";                 // the norm buffer

// Every buffer the program's units need over `tokens` tokens per sequence
// and `batch` sequences: the conv unit, the SSM core and the Hadamard unit
// run one sequence at a time (their tiles are over `tokens`), the GEMM array
// every sequence's tokens at once (its token tiles over batch x tokens). The buffers
// of ops the program does not have are absent (no norm buffer for Mamba1, no
// Hadamard buffer without the Hadamard). The accumulator's need is the
// largest over the GEMMs at the mapper's token tile (map_gemm, which keeps
// that tile within buffers.accumulator_kib when it is set).
std::vector<UnitBuffer> unit_buffers(const LayerProgram& p, const HardwareConfig& hw, std::int64_t tokens, int batch = 1);
// The buffer `id` of unit_buffers, or nullptr.
const UnitBuffer* find_buffer(const std::vector<UnitBuffer>& v, UnitBufferId id);
// CapacityError at the first buffer whose configured capacity is below its need.
void check_unit_buffers(const LayerProgram& p, const HardwareConfig& hw, std::int64_t tokens, int batch = 1);

// The message of a tile that does not fit (shared with the SystemC buffers).
std::string capacity_message(const UnitBuffer& b, std::int64_t capacity);

}  // namespace mambahw::cost
