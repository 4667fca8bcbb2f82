// The accelerator: GEMM array, conv unit (+ scale-index lookup + conv-output
// quantizer), SSM core (+ SSM dequant stage), online Hadamard unit, all on one
// DRAM channel, and a controller that walks the layer program op by op
// (golden/layer_program.hpp; docs/architecture.md): every program tensor has
// a DRAM region of the program's bytes, holding them in memory.hpp's layouts,
// and each op goes to its unit, which computes its outputs from those bytes.
// Timing is transaction-level: one SystemC wait per GEMM fold or channel
// tile, not per element.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/model/dram.hpp"
#include "mambahw/cost/events.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/model/gemm_array.hpp"
#include "mambahw/model/units.hpp"
#include "mambahw/golden/scale_table.hpp"

namespace mambahw::model {

// What the accelerator runs: a model's layer under a scheme on a hardware
// configuration.
struct System {
  ModelShape model;
  QuantScheme scheme;
  HardwareConfig hardware;
};

// The Verilated RTL blocks in the loop: the callbacks the units invoke per
// tile with the tile's values. Optional: without them the units apply
// golden's quantizer and dequant functions and take analytic RTL latencies.
struct LayerHooks {
  QuantizeHook quantize;  // conv-output quantizer over a conv channel tile
  DequantHook dequant;    // SSM dequant stage over an SSM channel tile
  LookupHook lookup;      // scale-index lookup over a conv tile's x channels (Quamba2)
};

struct OpReport {
  std::string name;
  Unit unit = Unit::kGemmArray;
  Cycles start = 0, cycles = 0;
};

struct UnitReport {
  Cycles busy = 0;
  double utilization = 0;  // busy / total cycles
  std::array<Cycles, cost::kNumStalls> stalls{};
};

// The decode steps after the prefill (docs/architecture.md, "Prefill and
// decode"): each step one token through every op of the layer program, from
// the conv state (the conv unit's line buffer) and the SSM state the tokens
// before it left.
struct DecodeReport {
  int steps = 0;
  Cycles cycles = 0;                  // all steps
  double latency_ns = 0;
  std::vector<Cycles> step_cycles;
  std::int64_t state_bytes = 0;       // the SSM state of the layer (d_inner x d_state FP32)
  int state_layers = 1;               // layers whose states the buffer would hold (a whole model's decode: n_layer)
  std::int64_t state_buffer_bytes = 0;  // the state buffer's capacity (buffers.state_kib, or one layer's state)
  bool state_spilled = false;         // the states do not fit: they live in DRAM between steps
  std::vector<OpReport> ops;          // the first step's ops
  std::vector<GemmRun> gemms;         // the first step's GEMMs
  std::map<std::string, UnitReport> units;   // busy cycles of the steps
  std::map<std::string, DramTraffic> dram;   // the steps' traffic per tensor
  DramTraffic dram_total;
  cost::EventCounts events;           // the steps' counters (tokens = steps)
  // With layer data, per step: the tensors as DRAM holds them after the step
  // (one token each) and the dequant stage's output [d_inner][1].
  std::vector<std::map<std::string, Bytes>> tensors;
  std::vector<FloatTensor> ssm_input;
};

// An on-chip buffer after the prefill: what the layout says its working set
// needs, its capacity, and the most bytes the unit held in it at once.
struct BufferReport {
  std::string name, unit;
  std::int64_t need = 0, capacity = 0, peak = 0;
};

struct LayerReport {
  std::string model, scheme, hardware;
  int seq_len = 0;
  double clock_mhz = 0;
  Cycles cycles = 0;
  double latency_ns = 0;
  std::vector<OpReport> ops;
  std::vector<GemmRun> gemms;
  std::map<std::string, UnitReport> units;  // by to_string(Unit), and "dram"
  std::map<std::string, DramTraffic> dram;  // per tensor
  DramTraffic dram_total;
  std::string host_input;                   // the tensor the host wrote (not a unit's traffic)
  cost::EventCounts events;                 // per unit, as the units counted them
  std::vector<BufferReport> buffers;        // the units' on-chip buffers (cost/unit_buffers.hpp)
  // With layer data: every activation tensor as DRAM holds it after the run
  // (the program's bytes, in its layout), and the SSM dequant stage's output
  // [d_inner][L] (FP32 values that never reach DRAM).
  std::map<std::string, Bytes> tensors;
  FloatTensor ssm_input;
  std::vector<ScaleLookup> scale_lookups;  // Quamba2: the lookup's cell and scale per x channel [d_inner]
  // The prefill's figures above; the decode steps' here (when asked for).
  std::optional<DecodeReport> decode;
};

class Accelerator : public sc_core::sc_module {
 public:
  // Runs `program` (the layer program of cfg.model under cfg.scheme) op by op
  // over a prompt of seq_len tokens, then `decode_steps` one-token steps.
  // With `data` the host loads its images and the units compute every value;
  // without it the run is timing only (the memories hold zeros).
  Accelerator(sc_core::sc_module_name name, const System& cfg, const LayerProgram& program, int seq_len,
              std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data = nullptr,
              int decode_steps = 0, int state_layers = 1);
  const LayerReport& report() const { return report_; }

 private:
  void controller();
  void run_ops(std::vector<OpReport>& ops);
  void decode();
  std::map<std::string, Bytes> read_tensors();
  std::map<std::string, UnitReport> unit_totals() const;  // busy and stall cycles so far (utilisation 0)
  void run_gemm(const OpSpec& op);
  void run_conv(const OpSpec& op);
  void run_ssm(const OpSpec& op);
  void run_hadamard(const OpSpec& op);
  OpCounters program_counters(const OpSpec& op) const;
  std::vector<OutputRegion> output_regions(const OpSpec& op) const;
  std::uint64_t address(const std::string& tensor) const { return map_.base(tensor); }
  Cycles now_cycles() const;  // the simulation time in this clock's cycles
  std::int64_t ssm_state_bytes() const;     // one layer's SSM state
  std::int64_t state_buffer_bytes() const;  // the state buffer's capacity
  void finish();
  OnChipBuffer& buffer(cost::UnitBufferId id);  // the unit's buffer that holds that working set

  const System& cfg_;
  const HardwareConfig& hw_;
  const LayerProgram& prog_;
  int len_;
  int decode_steps_;
  int state_layers_;                       // layers whose SSM states share the state buffer in decode
  bool fresh_ = true;                      // the prompt's tokens: the states start at zero
  std::vector<float> ssm_state_;           // the SSM state buffer (carried into decode)
  bool state_spilled_ = false;
  FloatTensor* ssm_tap_ = nullptr;         // where the dequant stage's output goes (prefill or step)
  std::optional<Quamba2ScaleTable> table_;
  std::optional<IndexSram> index_;         // the table's index SRAM image for timing-only runs
  LayerHooks hooks_;
  const LayerData* data_;
  std::vector<float> channel_scale_;  // the scale register file (per conv channel), filled by the lookup
  sc_core::sc_time period_;
  DramMap map_;
  cost::EventCounts events_;
  GemmArray gemm_;
  ConvUnit conv_;
  SsmCore ssm_;
  HadamardUnit hadamard_;
  DramChannel dram_;
  tlm_utils::simple_initiator_socket<Accelerator> host_;  // the host writes the layer input
  LayerReport report_;
};

// Elaborates an Accelerator for the system's layer program, runs it to
// completion and returns its report. SystemC allows this once per process.
LayerReport simulate_layer(const System& cfg, const LayerProgram& program, int seq_len,
                           std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data = nullptr,
                           int decode_steps = 0, int state_layers = 1);
// The same for layer_program(cfg.model, cfg.scheme).
LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table = std::nullopt,
                           LayerHooks hooks = {});

}  // namespace mambahw::model
