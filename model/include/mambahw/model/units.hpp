// The conv unit (with the scale-index lookup and the conv-output quantizer),
// the FP32 SSM core (with the SSM dequant stage) and the online Hadamard
// unit. Each runs one layer-program op tile by tile; inputs and outputs stream
// through the DRAM channel with their bytes, prefetched one tile ahead, and
// each unit computes its outputs from those bytes in its own order
// (docs/architecture.md, "Dataflow"), calling golden's per-element unit
// functions (the exp, softplus, SiLU and conv-tap units, the quantizer, the
// dequant) as the specification of one operation. The RTL blocks are reached
// through hooks that process a whole tile's values and return the cycles the
// Verilated RTL took; without hooks the units apply the golden unit
// functions themselves and take analytic latencies.
//
// Counters (cost::EventCounts, per golden Unit): what a unit can count
// itself, it counts from its tiles (MACs, recurrence steps, lookups,
// dual-scale selections, DRAM bytes); the datapath operations and the
// exp/softplus evaluations of an op are the program's, and each tile adds
// its share (UnitCounters::share), so that the exp and softplus rate the
// timing uses is the program's.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <span>

#include "mambahw/cost/events.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/cost/unit_buffers.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/golden/tensor.hpp"
#include "mambahw/model/dram.hpp"
#include "mambahw/model/layer_data.hpp"
#include "mambahw/model/stats.hpp"

namespace mambahw::model {

// A tile of channels [c0, c0 + c_len) over all tokens.
struct ChannelTile {
  int c0 = 0, c_len = 0;
};

// What an RTL block did with a tile: `elements` went through one instance in
// `cycles` clock cycles. The hardware has one instance per lane, each taking
// one element per cycle, so a tile costs L + (cycles - elements) per lane: the
// measured pipeline latency and any bubbles are folded into the timing.
struct RtlTile {
  Cycles cycles = 0;
  std::int64_t elements = 0;
  Cycles overhead() const { return cycles - elements; }
};
// The conv-output quantizer over a tile: x[i] * inv_scale[i] -> INT8 code[i];
// against the dual-scale registers -> word[i] (x channels).
struct QuantizeTile {
  ChannelTile tile;
  std::span<const float> x, inv_scale;
  std::span<std::uint8_t> code;
  std::span<std::uint16_t> word;
};
using QuantizeHook = std::function<RtlTile(const QuantizeTile&)>;
// The SSM dequant stage over a tile: INT8 codes (zero-extended) times scale[i],
// or dual-scale words through the MUX -> value[i].
struct DequantTile {
  ChannelTile tile;
  bool dual = false;
  std::span<const std::uint16_t> word;
  std::span<const float> scale;
  std::span<float> value;
};
using DequantHook = std::function<RtlTile(const DequantTile&)>;

// The scale-index lookup of x-segment channels over the index SRAM's words:
// per channel the (head group, dim group) cell it found and the FP32 scale
// word it read (hg = dg = -1 and scale 0 where no range covers the channel).
struct ScaleLookup {
  int hg = -1, dg = -1;
  std::uint32_t scale = 0;
  bool found() const { return hg >= 0 && dg >= 0; }
};
struct LookupTile {
  std::span<const std::uint8_t> sram;  // the index SRAM image (memory.hpp)
  ScaleTableShape shape;
  std::span<const int> channel;
  std::span<ScaleLookup> result;
};
using LookupHook = std::function<RtlTile(const LookupTile&)>;
// The lookup's C++ model: the RTL's search over the same words (sequential:
// first range whose end exceeds the index, early exit; parallel: lowest
// matching comparator), with its cycles as the Verilated block streams a
// tile: sequential sum of (compares + 2) per channel (accept, one cycle per
// comparison, the scale read), parallel channels + 3 (a three-stage
// pipeline). tb/model/test_model_sc.cpp checks both against the RTL.
RtlTile scale_index_model(const LookupTile& t, LookupImpl impl);

// One tensor an op writes: its DRAM region and the op's columns (GEMM output
// features, conv channels) it holds, [begin, end), with its bits per element.
// Channel-major tensors hold column c at (c - begin) * L elements.
struct OutputRegion {
  std::uint64_t address = 0;
  std::int64_t begin = 0, end = 0;
  int element_bits = 8;
  Layout layout = Layout::kChannelMajor;
  ElementFormat format = ElementFormat::kInt8;
  std::string tensor;
  std::int64_t seq_tokens = 0;  // a GEMM over a batch: sequence blocks as Placement::seq_tokens (0: one sequence)
};
// Bytes of the first `columns` columns of a region over `len` tokens,
// rounded up: a tile [a, b) moves bytes(b) - bytes(a), so tiles add up to the
// tensor's bytes exactly (no byte counted twice where words straddle tiles).
std::int64_t region_bytes(const OutputRegion& r, std::int64_t columns, std::int64_t len);
// The byte offset of column `column` of a channel-major region; std::logic_error
// if that column starts inside a byte (a packed tile boundary the units do not model).
std::int64_t column_offset(const OutputRegion& r, std::int64_t column, std::int64_t len);

// The counters the program gives an op, per unit, for the whole op.
using OpCounters = std::array<cost::UnitCounters, kNumUnits>;

struct ConvJob {
  int channels = 0;            // conv channels
  int len = 0;                 // tokens
  int width = 4;
  int ssm_channels = 0;        // channels [0, ssm_channels) are the SSM input (scale-index lookups)
  std::uint64_t input = 0;     // INT8 [channels][L] in DRAM
  std::uint64_t weights = 0;   // INT8 taps + bias + per-channel constants
  std::int64_t weight_bytes = 0;
  std::vector<OutputRegion> outputs;  // INT8 codes and dual-scale words
  // Quamba2: the index SRAM the lookup searches (the host's image, also in
  // timing-only runs); its cycles per tile are the search's (scale_index_model
  // or the Verilated block). Null: Quamba1's scale registers (no lookup cycles).
  const IndexSram* index = nullptr;
  OpCounters program;          // the op's work (conv_unit, conv_out_quantizer, scale_index_lookup)
  QuantizeHook quantize;       // conv-output quantizer over the tile (the Verilated RTL), or none
  LookupHook lookup;           // scale-index lookup over the tile's x channels (the Verilated RTL), or none
  const LayerData* data = nullptr;  // registers; null: timing only
  std::vector<ScaleLookup>* lookups = nullptr;  // debug tap: the lookup's result per x channel (Quamba2)
  std::vector<float>* channel_scale = nullptr;  // the scale register file the lookup fills, per conv channel
  int d_inner = 0, bc_group_channels = 0;       // x channels; channels per B (or C) group (Mamba2 d_state)
  // The conv line buffer [channels][width - 1] (INT8, oldest first, a region
  // of the conv buffer): each channel starts from its entries and leaves its
  // last width - 1 inputs there. state: the running layer and sequence's
  // conv state, loaded into the line buffer before the run and stored back
  // after (prefill into decode; the controller keeps one per layer and
  // sequence); null: a fresh sequence (zeros), nothing kept. With
  // `state_spilled` the state lives in DRAM at `state_address` instead (the
  // line buffer's bytes): read before the first tile unless `state_fresh`
  // (the prompt: zeros), written back after the last.
  std::vector<std::int8_t>* state = nullptr;
  bool state_spilled = false;
  bool state_fresh = false;
  std::uint64_t state_address = 0;
};

class ConvUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<ConvUnit> dram;
  ConvUnit(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events);
  Cycles run(const ConvJob& job);  // call from an SC_THREAD
  const UnitStats& stats() const { return stats_; }
  const UnitStats& lookup_stats() const { return lookup_; }
  OnChipBuffer& buffer() { return buffer_; }  // the line buffer and the input tiles

 private:
  const HardwareConfig& hw_;
  cost::EventCounts& ev_;
  sc_core::sc_time period_;
  UnitStats stats_, lookup_;
  OnChipBuffer buffer_;
};

struct SsmJob {
  int channels = 0;          // SSM input channels (d_inner)
  int len = 0;
  int d_state = 0;
  int u_bits = 8;            // bits per SSM-input element in DRAM (8 or the dual-scale word)
  bool dual_scale = false;   // the dequant stage selects one of two scales per element
  std::uint64_t u = 0, delta = 0, z = 0, bc = 0, y = 0, params = 0;  // DRAM tensors
  std::int64_t bc_bytes = 0;      // B and C of the whole sequence (shared by all channels)
  std::int64_t params_bytes = 0;  // A, D, biases, scales
  int delta_group = 1;        // channels sharing one delta row: Mamba1 1, Mamba2 headdim (dt per head)
  OpCounters program;         // the op's work (ssm_dequant, ssm_core)
  // The SSM core's exp and softplus evaluations: per token (the rate the
  // units must sustain) and per pass (work on constants, e.g. exp(A_log)).
  std::int64_t exp_per_token = 0, softplus_per_token = 0, exp_per_pass = 0;
  DequantHook dequant;        // SSM dequant stage over the tile's u (the Verilated RTL), or none
  const LayerData* data = nullptr;
  const std::vector<float>* channel_scale = nullptr;  // per conv channel, as the lookup found them
  bool mamba2 = false;
  int lanes = 16;              // the core's lanes: the width of its adder tree (layer.state_reduction: tree)
  int nheads = 0, headdim = 0, ngroups = 1;
  ModelShape shape;            // the parameter memory's layout
  FloatTensor* ssm_input = nullptr;  // debug tap: the dequant stage's output [d_inner][L]
  // The SSM state [channels][d_state] (FP32) carried in and out (prefill into
  // decode). Null: a fresh sequence, nothing kept. It lives in the state
  // buffer, or, with `state_spilled`, in DRAM at `state_address` (the FP32
  // values, channel-major): each channel tile's states then arrive with its
  // operands and leave after it, and that traffic is counted.
  std::vector<float>* state = nullptr;
  bool state_fresh = false;   // a sequence's first tokens: the states start at zero (nothing read)
  bool state_spilled = false;
  std::uint64_t state_address = 0;
  // Mamba2's norm stage (cost::norm_tiling): the whole pre-norm y and z in
  // the norm buffer, or, spilled, each channel tile's FP32 pre-norm y
  // written to DRAM at `pre_norm` (channel-major [d_inner][L], little-endian
  // FP32 bits) and read back with z in token tiles of one norm group.
  cost::NormTiling norm;
  std::uint64_t pre_norm = 0;
};

class SsmCore : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<SsmCore> dram;
  SsmCore(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events);
  Cycles run(const SsmJob& job);
  const UnitStats& stats() const { return stats_; }
  const UnitStats& dequant_stats() const { return dequant_; }
  OnChipBuffer& state_buffer() { return state_; }  // the channel tiles' states h
  OnChipBuffer& tile_buffer() { return tiles_; }   // u, delta, z tiles, B and C, the parameters
  OnChipBuffer& norm_buffer() { return norm_; }    // Mamba2: the pre-norm y and z (all, or token tiles)

 private:
  // Mamba2's norm stage with the pre-norm y spilled to DRAM (SsmJob::norm).
  void norm_from_dram(const SsmJob& j, const SsmParams& prm);

  const HardwareConfig& hw_;
  cost::EventCounts& ev_;
  sc_core::sc_time period_;
  UnitStats stats_, dequant_;
  OnChipBuffer state_, tiles_, norm_;
};

// The online Hadamard unit before out_proj: tiles of tokens of the SSM's FP16
// y in (all d_inner channels of a token at once), INT8 codes for out_proj out.
struct HadamardJob {
  int len = 0;
  int n = 0;                         // d_inner
  std::int64_t adds_per_token = 0;   // the program's additions per token
  std::uint64_t y = 0, out = 0;      // FP16 y in (channel-major), INT8 codes out (token-major) (DRAM)
  OpCounters program;                // the op's work (hadamard_unit)
  const LayerData* data = nullptr;
};

// The Hadamard unit's butterfly network over a tile of `tokens` tokens held
// channel-major (v[c * tokens + k]: channel c of token k), in place, FP32,
// unscaled: the radix-2 stages (a, b) -> (a + b, a - b) over the low index
// bits, lowest bit first, each stage over the whole tile; then per output
// block c the base matrix's row as a left-to-right +-1 sum of the blocks
// (hadamard_base's signs, the unit's sign ROM). The order of golden's
// hadamard_fp32, element by element (docs/architecture.md, "Hadamard unit").
// The wirings other than kSpec are negative controls.
enum class HadamardWiring : std::uint8_t {
  kSpec,
  kStagesReversed,     // the radix-2 stages highest bit first (same values in exact arithmetic)
  kLastStageSkipped,   // the highest radix-2 stage left out (a wrong transform)
};
void hadamard_butterflies(std::span<float> v, int tokens, HadamardSize s, Denormals d,
                          HadamardWiring w = HadamardWiring::kSpec);

class HadamardUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HadamardUnit> dram;
  HadamardUnit(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events);
  Cycles run(const HadamardJob& job);
  const UnitStats& stats() const { return stats_; }
  OnChipBuffer& buffer() { return buffer_; }  // the token tiles

 private:
  const HardwareConfig& hw_;
  cost::EventCounts& ev_;
  sc_core::sc_time period_;
  UnitStats stats_;
  OnChipBuffer buffer_;
};

}  // namespace mambahw::model
