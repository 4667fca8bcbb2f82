// The conv unit (with the scale-index lookup and the conv-output quantizer)
// and the FP32 SSM core (with the SSM dequant stage). Each runs one layer op
// tile by tile; inputs and outputs stream through the DRAM channel, prefetched
// one tile ahead. The RTL blocks are reached through hooks that process a
// whole tile and return the cycles the Verilated RTL took.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/model/dram.hpp"
#include "mambahw/model/events.hpp"
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
using TileHook = std::function<RtlTile(const ChannelTile&)>;

struct ConvJob {
  int channels = 0;            // conv channels
  int len = 0;                 // tokens
  int width = 4;
  std::uint64_t input = 0;     // INT8 [channels][L] in DRAM
  std::uint64_t weights = 0;   // INT8 taps + bias + per-channel constants
  std::int64_t weight_bytes = 0;
  std::uint64_t out_int8 = 0;  // INT8 codes in DRAM, for channels >= int8_begin
  int int8_begin = 0;          // Mamba2 W4A5-SE: only B and C are written as INT8
  std::uint64_t out_dual = 0;  // packed dual-scale words (channels < dual_channels)
  int dual_channels = 0;       // x-segment channels also written as dual-scale words
  int dual_word_bits = 5;
  // Per channel: scale-index lookup cycles (0 for a Quamba1 scale register).
  std::function<Cycles(int channel)> lookup_cycles;
  TileHook quantize;           // conv-output quantizer over the tile
};

class ConvUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<ConvUnit> dram;
  ConvUnit(sc_core::sc_module_name name, const HardwareConfig& hw, Events& events);
  Cycles run(const ConvJob& job);  // call from an SC_THREAD
  const UnitStats& stats() const { return stats_; }
  const UnitStats& lookup_stats() const { return lookup_; }

 private:
  const HardwareConfig& hw_;
  Events& ev_;
  sc_core::sc_time period_;
  UnitStats stats_, lookup_;
};

struct SsmJob {
  int channels = 0;          // SSM input channels (d_inner)
  int len = 0;
  int d_state = 0;
  double exps_per_channel = 16;     // per token: Mamba1 d_state (exp(delta*A[n])), Mamba2 1/headdim
  double softplus_per_channel = 1;  // per token: Mamba1 1, Mamba2 1/headdim (dt per head)
  double u_bits = 8;         // bits per SSM-input element in DRAM (8 or dual-scale word bits)
  std::uint64_t u = 0, delta = 0, z = 0, bc = 0, y = 0;  // DRAM tensors
  std::int64_t bc_bytes = 0;  // B and C of the whole sequence (shared by all channels)
  int delta_group = 1;        // channels sharing one delta row: Mamba1 1, Mamba2 headdim (dt per head)
  TileHook dequant;          // SSM dequant stage over the tile's u
  TileHook scan;             // the functional scan of the tile (no cycles of its own)
};

class SsmCore : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<SsmCore> dram;
  SsmCore(sc_core::sc_module_name name, const HardwareConfig& hw, Events& events);
  Cycles run(const SsmJob& job);
  const UnitStats& stats() const { return stats_; }
  const UnitStats& dequant_stats() const { return dequant_; }

 private:
  const HardwareConfig& hw_;
  Events& ev_;
  sc_core::sc_time period_;
  UnitStats stats_, dequant_;
};

// The online Hadamard unit before out_proj: tiles of tokens of the SSM's FP16
// y in (all d_inner channels of a token at once), INT8 codes for out_proj out.
struct HadamardJob {
  int len = 0;
  int n = 0;                         // d_inner
  std::int64_t adds_per_token = 0;   // hadamard_adds()
  std::uint64_t y = 0, out = 0;      // FP16 y in, INT8 codes out (DRAM)
};

class HadamardUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HadamardUnit> dram;
  HadamardUnit(sc_core::sc_module_name name, const HardwareConfig& hw, Events& events);
  Cycles run(const HadamardJob& job);
  const UnitStats& stats() const { return stats_; }

 private:
  const HardwareConfig& hw_;
  Events& ev_;
  sc_core::sc_time period_;
  UnitStats stats_;
};

}  // namespace mambahw::model
