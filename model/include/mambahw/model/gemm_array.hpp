// The GEMM array: R x C weight-stationary INT8 (or INT4 x INT8) MACs with
// INT32 accumulators and an output requantization unit. One SystemC call runs
// one GEMM fold by fold; weight tiles come from DRAM through a TLM socket,
// prefetched one fold ahead into the shadow weights when the array
// double-buffers. Each fold adds its partial sums into the INT32 accumulators
// of its output columns (one per weight group); when a column's last fold is
// done the requantization unit turns its accumulators into INT8 or FP16
// outputs, which leave for DRAM in the output tensors' layouts.
#pragma once

#include <string>
#include <vector>

#include "mambahw/cost/events.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/model/dram.hpp"
#include "mambahw/model/stats.hpp"
#include "mambahw/model/units.hpp"

namespace mambahw::model {

// Where an activation tensor lives: in DRAM (a named region) or on chip.
struct Placement {
  bool in_dram = false;
  std::uint64_t address = 0;
  Layout layout = Layout::kTokenMajor;
  // A batch: the tokens are sequences of seq_tokens each, one after another,
  // a channel-major tensor holding each sequence's [K][seq_tokens] block in
  // turn (token-major needs nothing: the rows follow each other). 0: one sequence.
  std::int64_t seq_tokens = 0;
};

// What one GEMM of the program reads and writes.
struct GemmJob {
  std::string op;
  GemmShape shape;
  std::uint64_t weights = 0;        // packed codes, then the FP32 scales
  std::int64_t scale_bytes = 0;     // read once, before the first output leaves
  Placement in;
  std::vector<OutputRegion> out;    // output features [begin, end) per tensor
  cost::UnitCounters program;       // the op's gemm_array work (requantization ops)
  const GemmRegisters* regs = nullptr;  // the requantization unit's registers; null: timing only
  bool nibbles_high_first = false;      // negative control: INT4 nibbles unpacked high first
};

struct GemmRun {
  std::string op;
  GemmShape shape;
  GemmPlan plan;
  cost::GemmMapping mapping;   // the loop order and tiles it ran with (the mapper's choice, or the fixed one)
  cost::GemmMapping fixed;     // the fixed mapping's figures, for comparison
  Cycles cycles = 0;       // wall cycles of the op
  Cycles dram_stall = 0;   // waiting for weight or input tiles
};

// The events of one step of a GEMM (fold f over m_len tokens): its MACs,
// the accumulators read and written, the array's registers
// (cost/dataflow.hpp), the weight buffer's accesses (written when the tile
// came from DRAM) and the activation buffer's reads. The one definition:
// GemmArray::run counts each step it runs with it, and lm_head (totals.hpp)
// its analytic pass.
void count_fold_events(const HardwareConfig& hw, const GemmShape& g, const GemmFold& f, std::int64_t m_len,
                       bool weights_fetched, cost::UnitCounters& c, cost::EventCounts& e);

class GemmArray : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<GemmArray> dram;

  GemmArray(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events);

  // Runs one GEMM. Call from an SC_THREAD. Counts its MACs per fold, its
  // accumulator traffic and buffer reads, its DRAM bytes; the program's
  // requantization work by output columns as they complete.
  GemmRun run(const GemmJob& job);

  const UnitStats& stats() const { return stats_; }
  const std::vector<GemmRun>& runs() const { return runs_; }
  std::int64_t macs_int8() const { return macs8_; }
  std::int64_t macs_int4() const { return macs4_; }
  OnChipBuffer& accumulators() { return accumulators_; }

 private:
  const HardwareConfig& hw_;
  cost::EventCounts& ev_;
  sc_core::sc_time period_;
  UnitStats stats_;
  std::vector<GemmRun> runs_;
  std::int64_t macs8_ = 0, macs4_ = 0;
  OnChipBuffer accumulators_;
};

}  // namespace mambahw::model
