#include "mambahw/model/accelerator.hpp"

#include <stdexcept>

namespace mambahw::model {

using sc_core::sc_time;

Accelerator::Accelerator(sc_core::sc_module_name name, const System& cfg, const LayerProgram& program, int seq_len,
                         std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data)
    : sc_module(name),
      cfg_(cfg),
      hw_(cfg.hardware),
      prog_(program),
      len_(seq_len),
      table_(std::move(table)),
      hooks_(std::move(hooks)),
      data_(data),
      channel_scale_(static_cast<std::size_t>(cfg.model.conv_channels()), 0.0f),
      period_(cfg.hardware.cycle_ns(), sc_core::SC_NS),
      gemm_("gemm_array", cfg.hardware, events_),
      conv_("conv_unit", cfg.hardware, events_),
      ssm_("ssm_core", cfg.hardware, events_),
      hadamard_("hadamard_unit", cfg.hardware, events_),
      dram_("dram", cfg.hardware, map_),
      host_("host") {
  gemm_.dram.bind(dram_.socket);
  conv_.dram.bind(dram_.socket);
  ssm_.dram.bind(dram_.socket);
  hadamard_.dram.bind(dram_.socket);
  host_.bind(dram_.socket);
  // Every tensor of the program gets a region of exactly its bytes.
  for (const TensorSpec& t : prog_.tensors) map_.allocate(t.name, static_cast<std::uint64_t>(t.bytes(len_)));
  events_.tokens = len_;
  SC_HAS_PROCESS(Accelerator);
  SC_THREAD(controller);
}

Cycles Accelerator::now_cycles() const { return static_cast<Cycles>(sc_core::sc_time_stamp() / period_ + 0.5); }

OpCounters Accelerator::program_counters(const OpSpec& op) const {
  OpCounters c{};
  for (std::size_t u = 0; u < kNumUnits; ++u) c[u] = cost::counters_of(op.work_of(static_cast<Unit>(u), len_));
  return c;
}

std::vector<OutputRegion> Accelerator::output_regions(const OpSpec& op) const {
  if (op.output_columns.size() != op.outputs.size())
    throw std::logic_error("layer program op '" + op.name + "' has no column range for each output");
  std::vector<OutputRegion> v;
  for (std::size_t i = 0; i < op.outputs.size(); ++i) {
    const Segment& s = op.output_columns[i];
    const TensorSpec& t = prog_.tensor(op.outputs[i]);
    v.push_back({address(t.name), s.begin, s.end, t.element_bits, t.layout, t.format, t.name});
  }
  return v;
}

void Accelerator::run_gemm(const OpSpec& op) {
  const GemmSpec& g = *op.gemm;
  const TensorSpec& in = prog_.tensor(op.inputs.at(0));
  const TensorSpec& out = prog_.tensor(op.outputs.at(0));
  GemmJob j;
  j.op = op.name;
  j.shape = {len_, g.k, g.n, weight_bits(g.weights), out.element_bits / 8, in.element_bits / 8};
  j.weights = address(op.weights.at(0));
  j.scale_bytes = prog_.tensor(op.weights.at(0)).bytes(len_) - plan_gemm(j.shape, hw_.gemm).weight_bytes;
  j.in = {true, address(in.name), in.layout};
  j.out = output_regions(op);
  j.program = program_counters(op)[static_cast<std::size_t>(Unit::kGemmArray)];
  if (data_) {
    j.regs = &data_->gemm.at(g.id);
    j.nibbles_high_first = data_->variant.int4_nibbles_high_first;
  }
  (void)gemm_.run(j);
}

void Accelerator::run_conv(const OpSpec& op) {
  const ModelShape& m = cfg_.model;
  ConvJob j;
  j.channels = m.conv_channels();
  j.len = len_;
  j.width = m.d_conv;
  j.ssm_channels = m.ssm_input_channels();
  j.input = address(op.inputs.at(0));
  j.weights = address(op.weights.at(0));
  j.weight_bytes = prog_.tensor(op.weights.at(0)).bytes(len_);
  j.outputs = output_regions(op);
  j.program = program_counters(op);
  if (table_) {
    const Quamba2ScaleTable t = *table_;
    const ScaleIndexConfig si = hw_.scale_index;
    const int d = m.ssm_input_channels();
    // B and C channels read their group's scale; x channels look theirs up.
    j.lookup_cycles = [t, si, d](int c) {
      return c < d ? lookup_cycles(lookup_scale_index(t, c).compares, si) : si.read_cycles;
    };
  }
  j.quantize = hooks_.quantize;
  j.lookup = hooks_.lookup;
  j.data = data_;
  if (data_ && data_->conv.index) report_.scale_lookups.assign(static_cast<std::size_t>(m.d_inner), {});
  j.lookups = &report_.scale_lookups;
  j.channel_scale = &channel_scale_;
  j.d_inner = m.d_inner;
  j.bc_group_channels = m.d_state;
  (void)conv_.run(j);
}

void Accelerator::run_ssm(const OpSpec& op) {
  const ModelShape& m = cfg_.model;
  // inputs: the SSM input (INT8 codes or dual-scale words), delta/dt, z, B and C.
  const TensorSpec& u = prog_.tensor(op.inputs.at(0));
  const TensorSpec& delta = prog_.tensor(op.inputs.at(1));
  SsmJob j;
  j.channels = m.d_inner;
  j.len = len_;
  j.d_state = m.d_state;
  j.u_bits = u.element_bits;
  j.dual_scale = u.format == ElementFormat::kDualScale;
  j.u = address(u.name);
  j.delta = address(delta.name);
  j.delta_group = static_cast<int>(m.d_inner / delta.per_token);
  j.z = address(op.inputs.at(2));
  j.bc = address(op.inputs.at(3));
  j.bc_bytes = prog_.tensor(op.inputs.at(3)).bytes(len_);
  j.params = address(op.weights.at(0));
  j.params_bytes = prog_.tensor(op.weights.at(0)).bytes(len_);
  j.y = address(op.outputs.at(0));
  j.program = program_counters(op);
  const Work core = op.work_of(Unit::kSsmCore, 1), pass = op.work_of(Unit::kSsmCore, 0);
  j.exp_per_token = core.exp - pass.exp;
  j.softplus_per_token = core.softplus - pass.softplus;
  j.exp_per_pass = pass.exp;
  j.dequant = hooks_.dequant;
  j.data = data_;
  j.channel_scale = &channel_scale_;
  j.mamba2 = m.is_mamba2();
  j.lanes = hw_.ssm.lanes;
  j.nheads = m.nheads;
  j.headdim = m.headdim;
  j.ngroups = m.ngroups;
  j.shape = m;
  if (data_) report_.ssm_input = FloatTensor({static_cast<std::size_t>(m.d_inner), static_cast<std::size_t>(len_)});
  j.ssm_input = &report_.ssm_input;
  (void)ssm_.run(j);
}

void Accelerator::run_hadamard(const OpSpec& op) {
  HadamardJob j;
  j.len = len_;
  j.n = cfg_.model.d_inner;
  j.program = program_counters(op);
  j.adds_per_token = op.work_of(Unit::kHadamardUnit, 1).ops[DatapathOp::kFp32Add];
  j.y = address(op.inputs.at(0));
  j.out = address(op.outputs.at(0));
  j.data = data_;
  (void)hadamard_.run(j);
}

void Accelerator::controller() {
  // The host's images (weights, constants) are in DRAM before the layer starts
  // (debug transport: no time, no traffic).
  if (data_)
    for (const auto& [name, img] : data_->images) {
      if (name == prog_.input) continue;  // the layer input arrives during the run (controller)
      Bytes b = img;
      dram_debug(host_, true, address(name), b);
    }
  // The layer input arrives in DRAM (written by the previous layer / host).
  const TensorSpec& in = prog_.tensor(prog_.input);
  Bytes input(static_cast<std::size_t>(in.bytes(len_)), 0);
  if (data_) input = data_->images.at(in.name);
  (void)dram_access(host_, true, address(in.name), in.bytes(len_), input.data());
  for (const OpSpec& op : prog_.ops) {
    const Cycles start = now_cycles();
    switch (op.kind) {
      case OpKind::kGemm: run_gemm(op); break;
      case OpKind::kConvSiluQuantize: run_conv(op); break;
      case OpKind::kSelectiveScan:
      case OpKind::kSsdScanNorm: run_ssm(op); break;
      case OpKind::kHadamardQuantize: run_hadamard(op); break;
    }
    report_.ops.push_back({op.name, op.unit, start, now_cycles() - start});
  }
  finish();
}

void Accelerator::finish() {
  LayerReport& r = report_;
  r.model = cfg_.model.name;
  r.scheme = cfg_.scheme.name;
  r.hardware = hw_.name;
  r.seq_len = len_;
  r.clock_mhz = hw_.clock_mhz;
  r.cycles = now_cycles();
  r.latency_ns = static_cast<double>(r.cycles) * hw_.cycle_ns();
  r.gemms = gemm_.runs();
  auto utilization = [&](Cycles busy) {
    return r.cycles ? static_cast<double>(busy) / static_cast<double>(r.cycles) : 0.0;
  };
  auto unit = [&](Unit u, const UnitStats& s) {
    r.units[std::string(to_string(u))] = {s.busy, utilization(s.busy), s.stalls};
  };
  unit(Unit::kGemmArray, gemm_.stats());
  unit(Unit::kConvUnit, conv_.stats());
  unit(Unit::kScaleIndexLookup, conv_.lookup_stats());
  unit(Unit::kSsmCore, ssm_.stats());
  unit(Unit::kSsmDequant, ssm_.dequant_stats());
  unit(Unit::kHadamardUnit, hadamard_.stats());
  r.units["dram"] = {dram_.busy_cycles(), utilization(dram_.busy_cycles()), {}};
  r.dram = dram_.traffic();
  r.dram_total = dram_.total();
  r.host_input = prog_.input;
  r.events = events_;
  if (data_)
    for (const TensorSpec& t : prog_.tensors) {
      if (!t.is_activation() || t.name == prog_.input) continue;
      Bytes b(static_cast<std::size_t>(t.bytes(len_)));
      dram_debug(host_, false, address(t.name), b);
      r.tensors[t.name] = std::move(b);
    }
}

LayerReport simulate_layer(const System& cfg, const LayerProgram& program, int seq_len,
                           std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data) {
  Accelerator acc("accelerator", cfg, program, seq_len, std::move(table), std::move(hooks), data);
  sc_core::sc_start();
  return acc.report();
}

LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table, LayerHooks hooks) {
  const LayerProgram program = layer_program(cfg.model, cfg.scheme);
  return simulate_layer(cfg, program, seq_len, std::move(table), std::move(hooks));
}

}  // namespace mambahw::model
