// The accelerator's hardware parameters (the `hardware:` section of a run
// configuration, configs/hw/*.yaml; mambahw/config/hardware.hpp parses it).
// Read by the SystemC model for timing and by the cost model for areas;
// documented in docs/architecture.md.
#pragma once

#include <string>

#include <string_view>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

// Weight-stationary systolic array of INT8 x INT8 MACs with INT32 accumulators.
struct GemmArrayConfig {
  int rows = 32;               // R: PE rows, along the reduction dimension K
  int cols = 32;               // C: PE columns, along the output dimension N
  int int4_macs_per_pe = 2;    // INT4 x INT8 MACs a PE does per cycle (two nibbles per weight byte)
  bool weight_double_buffer = true;  // next fold's weights load while the current one streams
  // Weight tiles requested ahead of the fold that streams (outstanding DRAM
  // reads; with the double buffer). 1: one tile ahead (the shadow copy);
  // d: d tiles in flight, d + 1 tiles in the weight buffer. Decode's GEMVs
  // are bound by DRAM latency at 1 (docs/architecture.md, "Weight prefetch").
  int prefetch_depth = 1;
};

struct ConvUnitConfig {
  int lanes = 16;           // channels processed in parallel, one token per cycle each
  int pipeline_depth = 12;  // cycles from a window to its SiLU output
  int token_tile = 256;     // tokens a lane streams per pass over its input buffer; the conv state (the last
                            // width - 1 inputs of each channel) carries across these tiles
};

enum class LookupImpl : std::uint8_t { kSequential, kParallel };
template <>
struct EnumNames<LookupImpl> {
  static constexpr std::array<EnumName<LookupImpl>, 2> table{{
      {LookupImpl::kSequential, "sequential", "one range comparison per cycle, early exit (the CUDA loop)"},
      {LookupImpl::kParallel, "parallel", "all head-group comparators, then all dim-group ones"},
  }};
};

struct ScaleIndexConfig {
  LookupImpl impl = LookupImpl::kSequential;
  int read_cycles = 1;      // scale SRAM read after the index is known
};

struct SsmCoreConfig {
  int lanes = 16;           // (channel, state) recurrence steps per cycle
  int fma_latency = 4;
  int exp_units = 16;       // exp evaluations per cycle (fully pipelined units)
  int exp_latency = 10;
  int softplus_units = 4;
  int softplus_latency = 16;
  int dequant_lanes = 16;   // SSM dequant stage elements per cycle
};

// The online Hadamard before out_proj (arithmetic.md §13): FP32 add/subtract
// lanes working on tiles of tokens. The multiply and INT8 conversion behind
// them is a pipelined stage of the same width; it needs 1/(k + base - 1) of
// the adders' cycles, so it never sets the rate.
struct HadamardUnitConfig {
  int adders = 64;            // FP32 additions or subtractions per cycle
  int pipeline_depth = 16;    // cycles from the last input of a tile to its last code
  int tokens_per_tile = 16;   // tokens held on chip at once (d_inner FP16 values each)
};

// How the controller runs a layer's ops (docs/architecture.md, "Schedules").
enum class Schedule : std::uint8_t { kSerial, kPipelined };
template <>
struct EnumNames<Schedule> {
  static constexpr std::array<EnumName<Schedule>, 2> table{{
      {Schedule::kSerial, "serial", "one op after another, every intermediate through DRAM"},
      {Schedule::kPipelined, "pipelined",
       "each unit runs its ops in program order, a tile as soon as the tiles it reads are written; "
       "intermediates that fit buffers.fusion_kib stay on chip"},
  }};
};

struct BufferConfig {
  int weight_kib = 512;     // on-chip weight buffer
  int activation_kib = 1024;
  int state_kib = 0;        // SSM state buffer; 0: sized for one layer's state (d_inner x d_state FP32). A
                            // decode whose layers' states do not fit keeps them in DRAM (docs/architecture.md)
  int fusion_kib = 1024;    // pipelined schedule: the on-chip buffer between units; an intermediate tensor whose
                            // bytes fit beside the others live at the same time stays here (docs/architecture.md)
  // The units' working sets (cost/unit_buffers.hpp); 0: sized to the working set at the run's shapes.
  int conv_kib = 0;         // conv unit: line buffer (conv state) + ping-pong input tiles
  int ssm_tile_kib = 0;     // SSM core: u, delta, z tiles (ping-pong), B and C of the sequence, parameters
  int norm_kib = 0;         // Mamba2: the whole pre-norm y and z for the gated RMSNorm
  int hadamard_kib = 0;     // Hadamard unit: ping-pong FP16 token tiles
  int accumulator_kib = 0;  // GEMM array: INT32 accumulators of a token tile x a column tile
};

struct DramConfig {
  double bandwidth_gbs = 25.6;  // GB/s (10^9 bytes per second)
  double latency_ns = 100.0;    // first-byte latency of a request
};

struct HardwareConfig {
  std::string name = "default";
  double clock_mhz = 1000.0;
  Schedule schedule = Schedule::kSerial;
  GemmArrayConfig gemm;
  ConvUnitConfig conv;
  ScaleIndexConfig scale_index;
  SsmCoreConfig ssm;
  HadamardUnitConfig hadamard;
  BufferConfig buffers;
  DramConfig dram;

  double cycle_ns() const { return 1000.0 / clock_mhz; }
  // ceil(dram.latency_ns / cycle); std::range_error if it does not fit an int
  // (the config's ranges keep it below 10^8).
  double dram_bytes_per_cycle() const { return dram.bandwidth_gbs * cycle_ns(); }
  int dram_latency_cycles() const;
};

// ceil(x - 1e-9) as an int cycle count; std::range_error naming `what` if x
// is NaN, negative or too large (never a float->int conversion out of range).
int checked_cycles(double x, std::string_view what);

}  // namespace mambahw
