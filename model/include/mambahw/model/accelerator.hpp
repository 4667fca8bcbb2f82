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
#include <functional>
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
  // The op's unit over the op: busy cycles and stalls by cause (the conv op's
  // include its scale-index lookup's), for the accuracy band.
  Cycles busy = 0;
  std::array<Cycles, cost::kNumStalls> stalls{};
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
  Cycles cycles = 0;                  // all steps, every layer and sequence
  double latency_ns = 0;
  std::vector<Cycles> step_cycles;
  std::int64_t state_bytes = 0;       // the SSM state of the layer (d_inner x d_state FP32)
  std::int64_t conv_state_bytes = 0;  // the conv state of the layer (conv channels x (d_conv - 1) INT8)
  int state_layers = 1;               // layers whose states the buffer would hold (a whole model's decode: n_layer)
  std::int64_t state_buffer_bytes = 0;  // the state buffer's capacity (buffers.state_kib, or one layer's SSM state)
  // More than one (layer, sequence): the conv states other than the running
  // one's lie beside the SSM states (one stays in the conv line buffer).
  bool conv_states_beside = false;
  bool state_spilled = false;         // the states do not fit: they live in DRAM between steps
  std::vector<OpReport> ops;          // the first step's ops
  std::vector<GemmRun> gemms;         // the first step's GEMMs
  std::map<std::string, UnitReport> units;   // busy cycles of the steps
  std::map<std::string, DramTraffic> dram;   // the steps' traffic per tensor
  DramTraffic dram_total;
  std::vector<std::string> on_chip;          // pipelined: the step's intermediates kept in the fusion buffer
  std::map<std::string, DramTraffic> on_chip_traffic;  // the steps' fusion-buffer accesses per tensor
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
  int seq_len = 0;                          // tokens per sequence (the prompt)
  int layers = 1, batch = 1;                // layers simulated (chained) and sequences (StackRun)
  std::vector<Cycles> layer_cycles;         // the prompt's cycles per layer, all sequences
  double clock_mhz = 0;
  Cycles cycles = 0;
  double latency_ns = 0;
  std::vector<OpReport> ops;                // layer 0's (every layer runs the same program)
  std::vector<GemmRun> gemms;               // layer 0's
  std::map<std::string, UnitReport> units;  // by to_string(Unit), and "dram"
  std::map<std::string, DramTraffic> dram;  // per tensor
  DramTraffic dram_total;
  std::string host_input;                   // the tensor the host wrote (not a unit's traffic)
  Schedule schedule = Schedule::kSerial;    // hardware.schedule (docs/architecture.md, "Schedules")
  std::vector<std::string> on_chip;         // pipelined: the intermediates kept in the fusion buffer
  std::map<std::string, DramTraffic> on_chip_traffic;  // their accesses (no DRAM time, no DRAM traffic)
  Cycles producer_wait = 0;                 // pipelined: cycles reads waited for another unit's tiles
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

// Several layers and sequences in one run (docs/architecture.md, "Whole
// models and batch"). The layers run in order, each from its own weights
// (its own DRAM regions: layer l's weight tensor `w` is region "w#l", layer
// 0's "w"); between two layers the host turns layer l's output into layer
// l + 1's input (the residual add and the RMSNorm, which the accelerator has
// no unit for: no cycles; the input's write is counted as layer 0's is). The
// `batch` sequences share the weights: each GEMM runs once over all their
// tokens (weights fetched once per tile), the conv and the SSM once per
// sequence from its own states. Activation tensors hold the sequences one
// after another (sequence b at b x the tensor's bytes of one sequence).
// Decode: each step runs one token of every sequence through every layer.
struct StackRun {
  int layers = 1;
  int batch = 1;
  // With data (the constructor's `data` is unused then):
  std::vector<const LayerData*> data;                 // each layer's registers and host images [layers]
  std::vector<Bytes> inputs;                          // layer 0's input image per sequence (the prompt)
  std::vector<std::vector<Bytes>> decode_inputs;      // [sequence][step]: layer 0's input, one token each
  std::vector<std::optional<Quamba2ScaleTable>> tables;  // each layer's scale table (Quamba2; the lookup's timing)
  // The host between layers: layer `layer`'s `out` image of one sequence
  // (step -1: the prompt's tokens, else one token) -> layer + 1's input image.
  std::function<Bytes(int layer, int seq, int step, const Bytes& out)> next_input;
  // Every layer's tensors as DRAM holds them after it ran (per sequence; step
  // -1 the prompt), and the dequant stage's output (FP32 [d_inner][tokens]).
  std::function<void(int layer, int seq, int step, std::map<std::string, Bytes>&& tensors, FloatTensor&& ssm_input)>
      observe;
  std::function<void(int layer)> on_layer;  // the units start on this layer (its registers for the RTL hooks)
};

class Accelerator : public sc_core::sc_module {
 public:
  // Runs `program` (the layer program of cfg.model under cfg.scheme) op by op
  // over a prompt of seq_len tokens, then `decode_steps` one-token steps.
  // With `data` the host loads its images and the units compute every value;
  // without it the run is timing only (the memories hold zeros).
  Accelerator(sc_core::sc_module_name name, const System& cfg, const LayerProgram& program, int seq_len,
              std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data = nullptr,
              int decode_steps = 0, int state_layers = 1, const StackRun* stack = nullptr);
  const LayerReport& report() const { return report_; }

 private:
  void controller();
  // One pass of layer_ over every sequence; returns what the pipelined
  // schedule's fusion buffer held (empty when serial).
  std::vector<std::string> run_layer_pass(int step, std::vector<OpReport>* ops);
  void write_inputs(int step);  // the host: layer_'s input of every sequence
  void load_layer(int layer);   // the layer's registers (its images are in DRAM)
  void run_ops(std::vector<OpReport>& ops);
  void run_op(const OpSpec& op);         // a GEMM once over all sequences; the other units per sequence
  OpReport timed_op(const OpSpec& op);  // runs it and reports its time and its unit's activity
  UnitStats op_unit_stats(Unit u) const;
  void sequencer(std::vector<std::size_t> queue);  // pipelined: one unit's ops of each pass
  std::vector<std::string> begin_pass();  // the pipelined schedule's scoreboard and fusion buffer for a pass
  void decode();
  std::map<std::string, Bytes> read_tensors();  // sequence seq_'s
  std::map<std::string, UnitReport> unit_totals() const;
  std::map<std::string, DramTraffic> traffic_by_tensor() const;  // every layer's region of a tensor together
  std::size_t state_index() const {
    return static_cast<std::size_t>(layer_) * static_cast<std::size_t>(stack_.batch) + static_cast<std::size_t>(seq_);
  }  // busy and stall cycles so far (utilisation 0)
  void run_gemm(const OpSpec& op);
  void run_conv(const OpSpec& op);
  void run_ssm(const OpSpec& op);
  void run_hadamard(const OpSpec& op);
  OpCounters program_counters(const OpSpec& op, std::int64_t tokens) const;
  std::vector<OutputRegion> output_regions(const OpSpec& op, bool all_sequences) const;
  // Sequence seq_'s part of an activation tensor; the whole tensor when all_sequences.
  std::uint64_t address(const std::string& tensor, bool all_sequences = false) const;
  std::uint64_t weight_address(const std::string& tensor) const;  // layer layer_'s region
  Cycles now_cycles() const;  // the simulation time in this clock's cycles
  std::int64_t ssm_state_bytes() const;     // one layer's SSM state
  std::int64_t conv_state_bytes() const;    // one layer's conv state (the line buffer's bytes)
  std::int64_t state_buffer_bytes() const;  // the state buffer's capacity
  void finish();
  void add_fusion_traffic(const std::map<std::string, DramTraffic>& t);
  OnChipBuffer& buffer(cost::UnitBufferId id);  // the unit's buffer that holds that working set
  std::vector<cost::UnitBuffer> buffer_layout() const;  // every unit's working set at this run's shapes

  const System& cfg_;
  const HardwareConfig& hw_;
  const LayerProgram& prog_;
  int len_;
  int decode_steps_;
  StackRun stack_;
  bool legacy_ = false;                    // one layer, one sequence, the constructor's data: report_ keeps the tensors
  int layer_ = 0, seq_ = 0;                // the layer and the sequence the units work on
  int state_layers_;                       // layers whose states share the state buffer in decode (>= the simulated)
  bool conv_states_beside_ = false;        // decode: more than one conv state, held beside the SSM states
  bool fresh_ = true;                      // the prompt's tokens: the states start at zero
  // Per layer and sequence (index layer * batch + seq), carried into decode:
  std::vector<std::vector<std::int8_t>> conv_state_;  // the conv unit's line buffer
  std::vector<std::vector<float>> ssm_state_;         // the SSM state buffer
  bool state_spilled_ = false;
  FloatTensor* ssm_tap_ = nullptr;         // where the dequant stage's output goes (prefill or step)
  std::vector<FloatTensor> taps_;          // per sequence, the layer pass's dequant outputs
  std::vector<Bytes> outs_;                // per sequence, the last layer pass's output image (the host chains it)
  std::vector<std::map<std::string, Bytes>> decode_tensors_;  // one layer, one sequence: each step's tensors
  std::vector<FloatTensor> decode_taps_;
  std::optional<Quamba2ScaleTable> table_;
  std::map<int, IndexSram> index_;         // timing-only runs: each layer's table's index SRAM image
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
  // The pipelined schedule's unit sequencers and the pass they run.
  std::map<Unit, std::vector<std::size_t>> queues_;
  sc_core::sc_event pass_start_, pass_done_;
  std::vector<OpReport>* pass_ops_ = nullptr;
  std::size_t pass_first_ = 0;
  int running_ = 0;
};

// A DRAM region's tensor: layer l's region "w#l" is tensor w's.
std::string region_tensor(const std::string& region);

// Elaborates an Accelerator for the system's layer program, runs it to
// completion and returns its report. SystemC allows this once per process.
LayerReport simulate_layer(const System& cfg, const LayerProgram& program, int seq_len,
                           std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data = nullptr,
                           int decode_steps = 0, int state_layers = 1, const StackRun* stack = nullptr);
// The same for layer_program(cfg.model, cfg.scheme).
LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table = std::nullopt,
                           LayerHooks hooks = {});

}  // namespace mambahw::model
