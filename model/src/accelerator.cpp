#include "mambahw/model/accelerator.hpp"

#include <algorithm>
#include <stdexcept>

namespace mambahw::model {

using sc_core::sc_time;

Accelerator::Accelerator(sc_core::sc_module_name name, const System& cfg, const LayerProgram& program, int seq_len,
                         std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data,
                         int decode_steps, int state_layers)
    : sc_module(name),
      cfg_(cfg),
      hw_(cfg.hardware),
      prog_(program),
      len_(seq_len),
      decode_steps_(decode_steps),
      state_layers_(std::max(state_layers, 1)),
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
  // The units' buffers, sized by the one layout (cost/unit_buffers.hpp) at the prompt's length.
  for (cost::UnitBuffer& b : cost::unit_buffers(prog_, hw_, len_)) buffer(b.id).configure(std::move(b));
  if (decode_steps_ > 0) {
    // The states carry from the prompt into decode: the conv line buffer
    // always on chip; the SSM state in the state buffer if it fits, else in DRAM.
    const ModelShape& m = cfg.model;
    ssm_state_.assign(static_cast<std::size_t>(m.d_inner) * static_cast<std::size_t>(m.d_state), 0.0f);
    if (ssm_state_bytes() * state_layers_ > state_buffer_bytes()) {
      state_spilled_ = true;
      map_.allocate("ssm_state", static_cast<std::uint64_t>(ssm_state_bytes()));
    }
  }
  if (data_ && static_cast<int>(data_->decode_inputs.size()) < decode_steps_)
    throw std::logic_error("accelerator: fewer decode inputs than decode steps");
  SC_HAS_PROCESS(Accelerator);
  SC_THREAD(controller);
}

std::int64_t Accelerator::ssm_state_bytes() const {
  return static_cast<std::int64_t>(cfg_.model.d_inner) * cfg_.model.d_state * 4;
}

std::int64_t Accelerator::state_buffer_bytes() const {
  return hw_.buffers.state_kib ? static_cast<std::int64_t>(hw_.buffers.state_kib) * 1024 : ssm_state_bytes();
}

OnChipBuffer& Accelerator::buffer(cost::UnitBufferId id) {
  switch (id) {
    case cost::UnitBufferId::kConv: return conv_.buffer();
    case cost::UnitBufferId::kSsmState: return ssm_.state_buffer();
    case cost::UnitBufferId::kSsmTiles: return ssm_.tile_buffer();
    case cost::UnitBufferId::kNorm: return ssm_.norm_buffer();
    case cost::UnitBufferId::kHadamard: return hadamard_.buffer();
    case cost::UnitBufferId::kAccumulator: break;
  }
  return gemm_.accumulators();
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
  j.shape = cost::gemm_shape(prog_, op, len_);
  (void)out;
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
  // The index SRAM as the host loaded it, or (timing only) the table's image.
  if (data_ && data_->conv.index) j.index = &*data_->conv.index;
  else if (table_) {
    if (!index_) index_ = IndexSram{table_->shape, index_sram_image(*table_), table_->b_scales, table_->c_scales};
    j.index = &*index_;
  }
  j.quantize = hooks_.quantize;
  j.lookup = hooks_.lookup;
  j.data = data_;
  if (data_ && data_->conv.index) report_.scale_lookups.assign(static_cast<std::size_t>(m.d_inner), {});
  j.lookups = &report_.scale_lookups;
  j.channel_scale = &channel_scale_;
  j.d_inner = m.d_inner;
  j.bc_group_channels = m.d_state;
  j.keep_state = !fresh_;  // the line buffer starts at zero for the prompt, decode steps continue from it
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
  if (data_) *ssm_tap_ = FloatTensor({static_cast<std::size_t>(m.d_inner), static_cast<std::size_t>(len_)});
  j.ssm_input = ssm_tap_;
  if (decode_steps_ > 0) {
    j.state = &ssm_state_;
    j.state_fresh = fresh_ || (data_ && data_->variant.decode_state_dropped);
    j.state_spilled = state_spilled_;
    if (state_spilled_) j.state_address = address("ssm_state");
  }
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
  ssm_tap_ = &report_.ssm_input;
  run_ops(report_.ops);
  finish();
  if (decode_steps_ > 0) decode();
}

void Accelerator::run_ops(std::vector<OpReport>& ops) {
  for (const OpSpec& op : prog_.ops) {
    const Cycles start = now_cycles();
    switch (op.kind) {
      case OpKind::kGemm: run_gemm(op); break;
      case OpKind::kConvSiluQuantize: run_conv(op); break;
      case OpKind::kSelectiveScan:
      case OpKind::kSsdScanNorm: run_ssm(op); break;
      case OpKind::kHadamardQuantize: run_hadamard(op); break;
    }
    ops.push_back({op.name, op.unit, start, now_cycles() - start});
  }
}

std::map<std::string, Bytes> Accelerator::read_tensors() {
  std::map<std::string, Bytes> out;
  for (const TensorSpec& t : prog_.tensors) {
    if (!t.is_activation() || t.name == prog_.input) continue;
    Bytes b(static_cast<std::size_t>(t.bytes(len_)));
    dram_debug(host_, false, address(t.name), b);
    out[t.name] = std::move(b);
  }
  return out;
}

// Each step: the host (the previous layer) writes one token's input, every op
// runs on it from the carried states, the outputs are read back.
void Accelerator::decode() {
  DecodeReport d;
  d.steps = decode_steps_;
  d.state_bytes = ssm_state_bytes();
  d.state_layers = state_layers_;
  d.state_buffer_bytes = state_buffer_bytes();
  d.state_spilled = state_spilled_;
  const std::map<std::string, DramTraffic> traffic0 = dram_.traffic();
  const std::size_t gemms0 = gemm_.runs().size();
  const std::map<std::string, UnitReport> units0 = unit_totals();
  events_ = cost::EventCounts{};  // the steps' own counters from here (the units hold a reference)
  events_.tokens = decode_steps_;
  fresh_ = false;
  len_ = 1;
  const Cycles start = now_cycles();
  const TensorSpec& in = prog_.tensor(prog_.input);
  for (int k = 0; k < decode_steps_; ++k) {
    const Cycles s0 = now_cycles();
    Bytes input(static_cast<std::size_t>(in.bytes(1)), 0);
    if (data_) input = data_->decode_inputs.at(static_cast<std::size_t>(k));
    (void)dram_access(host_, true, address(in.name), in.bytes(1), input.data());
    FloatTensor tap;
    ssm_tap_ = &tap;
    std::vector<OpReport> ops;
    run_ops(ops);
    for (OpReport& o : ops) o.start -= s0;
    if (k == 0) d.ops = std::move(ops);
    d.step_cycles.push_back(now_cycles() - s0);
    if (data_) {
      d.tensors.push_back(read_tensors());
      d.ssm_input.push_back(std::move(tap));
    }
  }
  d.cycles = now_cycles() - start;
  d.latency_ns = static_cast<double>(d.cycles) * hw_.cycle_ns();
  const std::vector<GemmRun>& runs = gemm_.runs();
  const auto per_step = static_cast<std::size_t>(
      std::count_if(prog_.ops.begin(), prog_.ops.end(), [](const OpSpec& o) { return o.kind == OpKind::kGemm; }));
  d.gemms.assign(runs.begin() + static_cast<std::ptrdiff_t>(gemms0),
                 runs.begin() + static_cast<std::ptrdiff_t>(gemms0 + per_step));
  for (const auto& [name, t] : dram_.traffic()) {
    DramTraffic x = t;
    if (auto it = traffic0.find(name); it != traffic0.end()) {
      x.read_bytes -= it->second.read_bytes;
      x.write_bytes -= it->second.write_bytes;
      x.requests -= it->second.requests;
    }
    if (x.read_bytes || x.write_bytes) d.dram[name] = x;
    d.dram_total.read_bytes += x.read_bytes;
    d.dram_total.write_bytes += x.write_bytes;
    d.dram_total.requests += x.requests;
  }
  // Busy cycles of the steps: the units' totals now less the prefill's.
  d.units = unit_totals();
  for (auto& [name, u] : d.units) {
    const UnitReport& before = units0.at(name);
    u.busy -= before.busy;
    for (std::size_t i = 0; i < u.stalls.size(); ++i) u.stalls[i] -= before.stalls[i];
    u.utilization = d.cycles ? static_cast<double>(u.busy) / static_cast<double>(d.cycles) : 0.0;
  }
  d.events = events_;
  report_.decode = std::move(d);
}

std::map<std::string, UnitReport> Accelerator::unit_totals() const {
  std::map<std::string, UnitReport> m;
  auto unit = [&](Unit u, const UnitStats& s) { m[std::string(to_string(u))] = {s.busy, 0.0, s.stalls}; };
  unit(Unit::kGemmArray, gemm_.stats());
  unit(Unit::kConvUnit, conv_.stats());
  unit(Unit::kScaleIndexLookup, conv_.lookup_stats());
  unit(Unit::kSsmCore, ssm_.stats());
  unit(Unit::kSsmDequant, ssm_.dequant_stats());
  unit(Unit::kHadamardUnit, hadamard_.stats());
  m["dram"] = {dram_.busy_cycles(), 0.0, {}};
  return m;
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
  r.units = unit_totals();
  for (auto& [name, u] : r.units) u.utilization = r.cycles ? static_cast<double>(u.busy) / static_cast<double>(r.cycles) : 0.0;
  r.dram = dram_.traffic();
  r.dram_total = dram_.total();
  r.host_input = prog_.input;
  for (const cost::UnitBuffer& b : cost::unit_buffers(prog_, hw_, len_)) {
    const OnChipBuffer& ob = buffer(b.id);
    r.buffers.push_back({b.name, b.unit, b.need(), ob.capacity(), ob.peak()});
  }
  r.events = events_;
  if (data_) r.tensors = read_tensors();
}

LayerReport simulate_layer(const System& cfg, const LayerProgram& program, int seq_len,
                           std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data,
                           int decode_steps, int state_layers) {
  Accelerator acc("accelerator", cfg, program, seq_len, std::move(table), std::move(hooks), data, decode_steps,
                  state_layers);
  sc_core::sc_start();
  return acc.report();
}

LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table, LayerHooks hooks) {
  const LayerProgram program = layer_program(cfg.model, cfg.scheme);
  return simulate_layer(cfg, program, seq_len, std::move(table), std::move(hooks));
}

}  // namespace mambahw::model
