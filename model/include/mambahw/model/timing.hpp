// Cycle formulas of the accelerator's units. The SystemC model applies them
// per tile (one GEMM fold, one conv channel tile, one SSM channel tile) and
// lets the DRAM channel and unit contention add the stalls. docs/architecture.md
// derives each formula; tb/model checks them against hand computation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/cost/gemm_mapping.hpp"
#include "mambahw/cost/hardware_config.hpp"

namespace mambahw {
struct LayerProgram;
}

namespace mambahw::model {

using Cycles = std::int64_t;

inline Cycles ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// One GEMM  [M x K] * [K x N]  on the weight-stationary array (cost/gemm_mapping.hpp).
using GemmShape = cost::GemmShape;

// A fold: one weight tile held in the array while all M tokens stream through.
struct GemmFold {
  std::int64_t k0, k_len, n0, n_len;
  std::int64_t weight_bytes;  // tile bytes from the weight memory
  bool first_k, last_k;       // partial sums start / complete in this fold
};

struct GemmPlan {
  std::int64_t k_per_fold = 0;  // R * macs_per_pe
  std::int64_t folds_k = 0, folds_n = 0;
  std::vector<GemmFold> folds;  // n-major: for each n tile, all k tiles
  Cycles load_cycles = 0;       // R: shifting a weight tile into the array
  Cycles stream_cycles = 0;     // M + R + C - 2: first input in to last output out
  Cycles compute_cycles = 0;    // whole GEMM without memory stalls
  std::int64_t macs = 0;        // M * K * N
  std::int64_t weight_bytes = 0;
  double mapping_efficiency = 0;   // K*N / (folds * R*m * C): array cells holding real weights
  double compute_utilization = 0;  // macs / (compute_cycles * R*m * C)
};
GemmPlan plan_gemm(const GemmShape& g, const GemmArrayConfig& a);

// One step of a mapped GEMM: fold `fold` of the plan on tokens [m0, m0 + m_len).
struct GemmStep {
  std::size_t fold = 0;
  std::int64_t m0 = 0, m_len = 0;
  bool fetch_weights = true;  // the tile comes from DRAM (else from its block, resident in the weight buffer)
  bool fetch_input = true;    // these tokens' k slice comes from DRAM (else it is in the activation buffer)
};
// The steps of `plan` in the mapping's loop order (a token tile's k folds of
// one column tile stay consecutive, so its accumulators complete in turn).
std::vector<GemmStep> gemm_steps(const GemmPlan& plan, const cost::GemmMapping& mapping, const GemmShape& g,
                                 const GemmArrayConfig& a);

// Conv unit: `lanes` channels at a time, one token per cycle each, then the
// conv-output quantizer (one element per cycle per lane).
struct ConvTile {
  int c0, c_len;
};
std::vector<ConvTile> conv_tiles(int channels, const ConvUnitConfig& c);
// Cycles of one channel tile over L tokens: L + pipeline depth + quantizer latency.
Cycles conv_tile_cycles(int len, const ConvUnitConfig& c, int quantizer_latency);

// SSM core over a tile of channels and L tokens. `steps` = channels * d_state
// recurrence steps per token; `exps` and `softpluses` per token. Lanes,
// exp units and softplus units are fully pipelined; the slowest sets the rate.
struct SsmTileTiming {
  Cycles lane_cycles = 0, exp_cycles = 0, softplus_cycles = 0, dequant_cycles = 0;
  Cycles total = 0;           // max of the above + pipeline fill
  Cycles exp_stall = 0;       // total - lane-bound total, when exp units limit
  Cycles softplus_stall = 0;
};
SsmTileTiming ssm_tile_timing(std::int64_t steps_per_token, std::int64_t exps_per_token,
                              std::int64_t softplus_per_token, std::int64_t dequants_per_token, int len,
                              const SsmCoreConfig& s);

// Online Hadamard unit over a tile of `tokens`: every addition of the
// transform on `adders` lanes (the multiply-and-convert stage behind them is
// never the bottleneck); the pipeline depth is paid once per op.
Cycles hadamard_tile_cycles(int tokens, std::int64_t adds_per_token, const HadamardUnitConfig& h);

// The pipelined schedule's fusion buffer (docs/architecture.md, "Schedules"):
// the intermediates of `p` (a tensor one op writes and a later op reads) that
// stay on chip over `tokens` tokens. Each is live from its producer to its
// last consumer and held whole; in program order (and an op's outputs in
// order), a tensor stays on chip if its bytes fit beside those already
// placed that are live at the same time, else it is spilled to DRAM.
std::vector<std::string> fusion_placement(const LayerProgram& p, std::int64_t tokens, std::int64_t capacity_bytes);

// DRAM: requests are served in order; a request of B bytes occupies the
// channel for ceil(B / bytes_per_cycle) cycles and its data arrives `latency`
// cycles after its transfer ends.
Cycles dram_transfer_cycles(std::int64_t bytes, double bytes_per_cycle);

}  // namespace mambahw::model
