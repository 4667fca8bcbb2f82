// The accelerator: GEMM array, conv unit (+ scale-index lookup + conv-output
// quantizer), SSM core (+ SSM dequant stage), all on one DRAM channel, and a
// controller that runs one quantized Mamba layer op by op
// (docs/architecture.md). Timing is transaction-level: one SystemC wait per
// GEMM fold or channel tile, not per element.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/model/dram.hpp"
#include "mambahw/model/events.hpp"
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

// The functional side of a run: the datapath callbacks the units invoke per
// tile (RTL in the loop, golden checks). All optional: without them the
// model is timing-only with analytic RTL latencies.
struct LayerHooks {
  TileHook quantize;  // conv-output quantizer over a conv channel tile
  TileHook dequant;   // SSM dequant stage over an SSM channel tile
  TileHook scan;      // functional scan of an SSM channel tile
  std::function<void()> gemms;  // functional GEMMs/remaining ops, once per layer
};

struct OpReport {
  std::string name, unit;
  Cycles start = 0, cycles = 0;
};

struct UnitReport {
  Cycles busy = 0;
  double utilization = 0;  // busy / total cycles
  std::map<std::string, Cycles> stalls;
};

struct LayerReport {
  std::string model, scheme, hardware;
  int seq_len = 0;
  double clock_mhz = 0;
  Cycles cycles = 0;
  double latency_ns = 0;
  std::vector<OpReport> ops;
  std::vector<GemmRun> gemms;
  std::map<std::string, UnitReport> units;
  std::map<std::string, DramTraffic> dram;  // per tensor
  DramTraffic dram_total;
  Events events;
};

class Accelerator : public sc_core::sc_module {
 public:
  Accelerator(sc_core::sc_module_name name, const System& cfg, int seq_len,
              std::optional<Quamba2ScaleTable> table, int dual_word_bits, LayerHooks hooks);
  const LayerReport& report() const { return report_; }

 private:
  void controller();
  void run_mamba1();
  void run_mamba2();
  GemmRun gemm(const std::string& op, GemmShape g, const std::string& in, const std::string& out);
  ConvJob conv_job(int channels) const;
  SsmJob ssm_job(double exps_per_channel, double softplus_per_channel) const;
  void out_proj(int weight_bits, int plain_in_bytes);
  std::uint64_t tensor(const std::string& name, std::int64_t bytes);
  void op(const std::string& name, const std::string& unit, Cycles start);
  Cycles now_cycles() const;  // the simulation time in this clock's cycles
  void finish();

  const System& cfg_;
  const HardwareConfig& hw_;
  int len_;
  std::optional<Quamba2ScaleTable> table_;
  int dual_bits_;  // 0: the SSM reads INT8
  LayerHooks hooks_;
  sc_core::sc_time period_;
  DramMap map_;
  Events events_;
  GemmArray gemm_;
  ConvUnit conv_;
  SsmCore ssm_;
  HadamardUnit hadamard_;
  DramChannel dram_;
  tlm_utils::simple_initiator_socket<Accelerator> host_;  // the host writes the layer input
  LayerReport report_;
};

// Elaborates an Accelerator, runs it to completion and returns its report.
// SystemC allows this once per process.
LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table,
                           int dual_word_bits, LayerHooks hooks);

}  // namespace mambahw::model
