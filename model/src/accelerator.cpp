#include "mambahw/model/accelerator.hpp"

#include <algorithm>
#include <stdexcept>

namespace mambahw::model {

using sc_core::sc_time;

namespace {
// The DRAM region of Mamba2's spilled pre-norm y (its traffic is reported under this name).
constexpr const char* kPreNormRegion = "pre_norm_y";
}  // namespace

Accelerator::Accelerator(sc_core::sc_module_name name, const System& cfg, const LayerProgram& program, int seq_len,
                         std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data,
                         int decode_steps, int state_layers, const StackRun* stack)
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
  if (stack) {
    stack_ = *stack;
    if (stack_.layers < 1 || stack_.batch < 1) throw std::invalid_argument("accelerator: layers and batch must be >= 1");
    if (!stack_.data.empty()) {
      if (static_cast<int>(stack_.data.size()) != stack_.layers || static_cast<int>(stack_.inputs.size()) != stack_.batch)
        throw std::logic_error("accelerator: the stack's data needs one load per layer and one input per sequence");
      if (stack_.layers > 1 && !stack_.next_input) throw std::logic_error("accelerator: chained layers need the host's next_input");
    }
  } else if (data) {  // one layer, one sequence: the report keeps the tensors
    legacy_ = true;
    stack_.data = {data};
    stack_.inputs = {data->images.at(program.input)};
    stack_.decode_inputs = {data->decode_inputs};
  }
  if (stack_.tables.empty()) stack_.tables.assign(static_cast<std::size_t>(stack_.layers), table_);
  const auto B = static_cast<std::uint64_t>(stack_.batch);
  // Every tensor of the program gets a region of exactly its bytes (per
  // sequence, the sequences one after another); each layer its own weights.
  for (const TensorSpec& t : prog_.tensors) {
    if (t.is_activation()) {
      map_.allocate(t.name, B * static_cast<std::uint64_t>(t.bytes(len_)));
      continue;
    }
    for (int l = 0; l < stack_.layers; ++l)
      map_.allocate(l ? t.name + "#" + std::to_string(l) : t.name, static_cast<std::uint64_t>(t.bytes(len_)));
  }
  events_.tokens = static_cast<std::int64_t>(B) * len_;
  // Mamba2's pre-norm y when the norm buffer cannot hold all of it (cost::norm_tiling):
  // each sequence's d_inner x L FP32 values, channel-major.
  if (cfg.model.is_mamba2() && cost::norm_tiling(cfg.model, hw_, len_).spilled)
    map_.allocate(kPreNormRegion, B * static_cast<std::uint64_t>(cfg.model.d_inner) * static_cast<std::uint64_t>(len_) * 4);
  // The units' buffers, sized by the one layout (cost/unit_buffers.hpp).
  for (cost::UnitBuffer& b : buffer_layout()) buffer(b.id).configure(std::move(b));
  if (decode_steps_ > 0) {
    // The states carry from the prompt into decode, one per (layer,
    // sequence): held = the layers sharing the state buffer (at least the
    // simulated ones) x the batch. One conv state stays in the conv unit's
    // line buffer; with more, the line buffer holds the running one's and
    // the others lie beside the SSM states. The states (SSM, and the conv
    // states when held > 1) live in the state buffer if they fit, else in
    // DRAM, each read with its op and written back after it.
    const ModelShape& m = cfg.model;
    const auto n = static_cast<std::size_t>(stack_.layers) * B;
    state_layers_ = std::max(state_layers_, stack_.layers);
    const std::int64_t held = static_cast<std::int64_t>(state_layers_) * static_cast<std::int64_t>(B);
    conv_states_beside_ = held > 1;
    conv_state_.assign(n, std::vector<std::int8_t>(static_cast<std::size_t>(conv_state_bytes()), 0));
    ssm_state_.assign(n, std::vector<float>(static_cast<std::size_t>(m.d_inner) * static_cast<std::size_t>(m.d_state), 0.0f));
    if (held * (ssm_state_bytes() + (conv_states_beside_ ? conv_state_bytes() : 0)) > state_buffer_bytes()) {
      state_spilled_ = true;
      map_.allocate("ssm_state", static_cast<std::uint64_t>(ssm_state_bytes()) * n);
      if (conv_states_beside_) map_.allocate("conv_state", static_cast<std::uint64_t>(conv_state_bytes()) * n);
    }
  }
  for (const auto& steps : stack_.decode_inputs)
    if (!stack_.data.empty() && static_cast<int>(steps.size()) < decode_steps_)
      throw std::logic_error("accelerator: fewer decode inputs than decode steps");
  if (!stack_.data.empty() && static_cast<int>(stack_.decode_inputs.size()) < (decode_steps_ > 0 ? stack_.batch : 0))
    throw std::logic_error("accelerator: no decode inputs for every sequence");
  SC_HAS_PROCESS(Accelerator);
  SC_THREAD(controller);
  if (hw_.schedule == Schedule::kPipelined) {
    for (std::size_t i = 0; i < prog_.ops.size(); ++i) queues_[prog_.ops[i].unit].push_back(i);
    for (const auto& [unit, queue] : queues_)
      sc_core::sc_spawn([this, q = queue] { sequencer(q); }, sc_core::sc_gen_unique_name("sequencer"));
  }
}

std::uint64_t Accelerator::address(const std::string& tensor, bool all_sequences) const {
  const TensorSpec& t = prog_.tensor(tensor);
  const std::uint64_t seq = all_sequences || !t.is_activation() ? 0 : static_cast<std::uint64_t>(seq_);
  return map_.base(tensor) + seq * static_cast<std::uint64_t>(t.bytes(len_));
}

std::uint64_t Accelerator::weight_address(const std::string& tensor) const {
  return map_.base(layer_ ? tensor + "#" + std::to_string(layer_) : tensor);
}

std::int64_t Accelerator::ssm_state_bytes() const {
  return static_cast<std::int64_t>(cfg_.model.d_inner) * cfg_.model.d_state * 4;
}

std::int64_t Accelerator::conv_state_bytes() const { return cost::conv_line_buffer_bytes(cfg_.model); }

std::int64_t Accelerator::state_buffer_bytes() const {
  return hw_.buffers.state_kib ? static_cast<std::int64_t>(hw_.buffers.state_kib) * 1024 : ssm_state_bytes();
}

// The one layout (the configuration check's too): the conv unit, the SSM
// core and the Hadamard unit run one sequence at a time (the prompt's
// length); the GEMM array runs every sequence's tokens at once, so its
// accumulators are the mapper's tile at batch x length.
std::vector<cost::UnitBuffer> Accelerator::buffer_layout() const { return cost::unit_buffers(prog_, hw_, len_, stack_.batch); }

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

OpCounters Accelerator::program_counters(const OpSpec& op, std::int64_t tokens) const {
  OpCounters c{};
  for (std::size_t u = 0; u < kNumUnits; ++u) c[u] = cost::counters_of(op.work_of(static_cast<Unit>(u), tokens));
  return c;
}

std::vector<OutputRegion> Accelerator::output_regions(const OpSpec& op, bool all_sequences) const {
  if (op.output_columns.size() != op.outputs.size())
    throw std::logic_error("layer program op '" + op.name + "' has no column range for each output");
  std::vector<OutputRegion> v;
  for (std::size_t i = 0; i < op.outputs.size(); ++i) {
    const Segment& s = op.output_columns[i];
    const TensorSpec& t = prog_.tensor(op.outputs[i]);
    v.push_back({address(t.name, all_sequences), s.begin, s.end, t.element_bits, t.layout, t.format, t.name,
                 all_sequences ? len_ : 0});
  }
  return v;
}

// One GEMM over every sequence's tokens: the weights fetched once per tile for the batch.
void Accelerator::run_gemm(const OpSpec& op) {
  const GemmSpec& g = *op.gemm;
  const TensorSpec& in = prog_.tensor(op.inputs.at(0));
  const std::int64_t tokens = static_cast<std::int64_t>(stack_.batch) * len_;
  GemmJob j;
  j.op = op.name;
  j.shape = cost::gemm_shape(prog_, op, tokens);
  j.weights = weight_address(op.weights.at(0));
  j.scale_bytes = prog_.tensor(op.weights.at(0)).bytes(len_) - plan_gemm(j.shape, hw_.gemm).weight_bytes;
  j.in = {true, address(in.name, true), in.layout, len_};
  j.out = output_regions(op, true);
  j.program = program_counters(op, tokens)[static_cast<std::size_t>(Unit::kGemmArray)];
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
  j.weights = weight_address(op.weights.at(0));
  j.weight_bytes = prog_.tensor(op.weights.at(0)).bytes(len_);
  j.outputs = output_regions(op, false);
  j.program = program_counters(op, len_);
  // The index SRAM as the host loaded it, or (timing only) the layer's table's image.
  if (data_ && data_->conv.index) {
    j.index = &*data_->conv.index;
  } else if (const auto& table = stack_.tables.at(static_cast<std::size_t>(layer_))) {
    auto it = index_.find(layer_);
    if (it == index_.end())
      it = index_.emplace(layer_, IndexSram{table->shape, index_sram_image(*table), table->b_scales, table->c_scales}).first;
    j.index = &it->second;
  }
  j.quantize = hooks_.quantize;
  j.lookup = hooks_.lookup;
  j.data = data_;
  // The lookup's results of layer 0's first sequence's prompt are kept for the report.
  const bool keep = layer_ == 0 && seq_ == 0 && fresh_;
  if (keep && data_ && data_->conv.index) report_.scale_lookups.assign(static_cast<std::size_t>(m.d_inner), {});
  j.lookups = keep ? &report_.scale_lookups : nullptr;
  j.channel_scale = &channel_scale_;
  j.d_inner = m.d_inner;
  j.bc_group_channels = m.d_state;
  // The running layer and sequence's conv state (decode): the conv unit loads
  // it into its line buffer and leaves the last inputs there for the next
  // step; spilled, it reads it from DRAM (not in the prompt: zeros) and
  // writes it back.
  if (decode_steps_ > 0 && conv_states_beside_ && state_spilled_) {
    j.state_spilled = true;
    j.state_fresh = fresh_;
    j.state_address = map_.base("conv_state") + static_cast<std::uint64_t>(state_index()) *
                                                    static_cast<std::uint64_t>(conv_state_bytes());
  } else if (decode_steps_ > 0) {
    j.state = &conv_state_.at(state_index());
  }
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
  j.params = weight_address(op.weights.at(0));
  j.params_bytes = prog_.tensor(op.weights.at(0)).bytes(len_);
  j.y = address(op.outputs.at(0));
  j.program = program_counters(op, len_);
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
    j.state = &ssm_state_.at(state_index());
    j.state_fresh = fresh_ || (data_ && data_->variant.decode_state_dropped);
    j.state_spilled = state_spilled_;
    if (state_spilled_)
      j.state_address = map_.base("ssm_state") + static_cast<std::uint64_t>(state_index()) *
                                                     static_cast<std::uint64_t>(ssm_state_bytes());
  }
  if (j.mamba2) {
    j.norm = cost::norm_tiling(m, hw_, len_);
    if (j.norm.spilled)  // this sequence's part of the region (decode's one token fits the norm buffer)
      j.pre_norm = map_.base(kPreNormRegion) + static_cast<std::uint64_t>(seq_) * static_cast<std::uint64_t>(m.d_inner) *
                                                   static_cast<std::uint64_t>(len_) * 4;
  }
  (void)ssm_.run(j);
}

void Accelerator::run_hadamard(const OpSpec& op) {
  HadamardJob j;
  j.len = len_;
  j.n = cfg_.model.d_inner;
  j.program = program_counters(op, len_);
  j.adds_per_token = op.work_of(Unit::kHadamardUnit, 1).ops[DatapathOp::kFp32Add];
  j.y = address(op.inputs.at(0));
  j.out = address(op.outputs.at(0));
  j.data = data_;
  (void)hadamard_.run(j);
}

void Accelerator::load_layer(int layer) {
  layer_ = layer;
  data_ = stack_.data.empty() ? nullptr : stack_.data.at(static_cast<std::size_t>(layer));
  if (stack_.on_layer) stack_.on_layer(layer);
}

// The host writes the layer's input of every sequence: layer 0's from the
// run's inputs, a later layer's from the previous layer's output (next_input).
void Accelerator::write_inputs(int step) {
  const TensorSpec& in = prog_.tensor(prog_.input);
  for (int b = 0; b < stack_.batch; ++b) {
    seq_ = b;
    Bytes input(static_cast<std::size_t>(in.bytes(len_)), 0);
    if (data_) {
      const auto sb = static_cast<std::size_t>(b);
      if (layer_ > 0) input = stack_.next_input(layer_ - 1, b, step, outs_.at(sb));
      else input = step < 0 ? stack_.inputs.at(sb) : stack_.decode_inputs.at(sb).at(static_cast<std::size_t>(step));
    }
    (void)dram_access(host_, true, address(in.name), in.bytes(len_), input.data());
  }
}

void Accelerator::controller() {
  // Every layer's host images (weights, constants) are in DRAM before the
  // run starts (debug transport: no time, no traffic), each at its own region.
  for (int l = 0; l < static_cast<int>(stack_.data.size()); ++l) {
    load_layer(l);
    for (const auto& [name, img] : data_->images) {
      if (prog_.tensor(name).is_activation()) continue;  // the layer input arrives during the run
      Bytes b = img;
      dram_debug(host_, true, weight_address(name), b);
    }
  }
  for (int l = 0; l < stack_.layers; ++l) {
    load_layer(l);
    const Cycles start = now_cycles();
    write_inputs(-1);
    const std::vector<std::string> on_chip = run_layer_pass(-1, l == 0 ? &report_.ops : nullptr);
    if (l == 0) report_.on_chip = on_chip;
    report_.layer_cycles.push_back(now_cycles() - start);
  }
  finish();
  if (decode_steps_ > 0) decode();
}

// Every op of the program on layer layer_ (in the configured schedule): a
// GEMM once over all sequences' tokens, the conv, the SSM and the Hadamard
// once per sequence. Then, with data, each sequence's tensors go to the
// observer (or the report).
std::vector<std::string> Accelerator::run_layer_pass(int step, std::vector<OpReport>* ops) {
  taps_.assign(static_cast<std::size_t>(stack_.batch), FloatTensor{});
  std::vector<std::string> on_chip;
  if (hw_.schedule == Schedule::kPipelined) on_chip = begin_pass();
  std::vector<OpReport> pass;
  run_ops(pass);
  if (ops) ops->insert(ops->end(), pass.begin(), pass.end());
  if (!data_) return on_chip;
  const std::string& out = prog_.ops.back().outputs.at(0);  // out_proj's output: the layer's
  outs_.resize(static_cast<std::size_t>(stack_.batch));
  for (int b = 0; b < stack_.batch; ++b) {
    seq_ = b;
    std::map<std::string, Bytes> t = read_tensors();
    outs_[static_cast<std::size_t>(b)] = t.at(out);
    FloatTensor& tap = taps_[static_cast<std::size_t>(b)];
    if (legacy_ && step < 0) {
      report_.tensors = std::move(t);
      report_.ssm_input = std::move(tap);
    } else if (legacy_) {
      decode_tensors_.push_back(std::move(t));
      decode_taps_.push_back(std::move(tap));
    } else if (stack_.observe) {
      stack_.observe(layer_, b, step, std::move(t), std::move(tap));
    }
  }
  return on_chip;
}

// A GEMM once over every sequence's tokens; the other units once per
// sequence. seq_ and ssm_tap_ are read only while a job is set up (before
// the unit's first wait), so the pipelined schedule's sequencers, which
// interleave at waits, each see their own.
void Accelerator::run_op(const OpSpec& op) {
  if (op.kind == OpKind::kGemm) {
    seq_ = 0;
    run_gemm(op);
    return;
  }
  for (int b = 0; b < stack_.batch; ++b) {
    seq_ = b;
    ssm_tap_ = &taps_[static_cast<std::size_t>(b)];
    switch (op.kind) {
      case OpKind::kConvSiluQuantize: run_conv(op); break;
      case OpKind::kSelectiveScan:
      case OpKind::kSsdScanNorm: run_ssm(op); break;
      case OpKind::kHadamardQuantize: run_hadamard(op); break;
      case OpKind::kGemm: break;
    }
  }
}

UnitStats Accelerator::op_unit_stats(Unit u) const {
  switch (u) {
    case Unit::kGemmArray: return gemm_.stats();
    case Unit::kConvUnit: {
      UnitStats s = conv_.stats();
      s.stall(cost::Stall::kLookupLatency) += conv_.lookup_stats().stall(cost::Stall::kLookupLatency);
      return s;
    }
    case Unit::kSsmCore: return ssm_.stats();
    case Unit::kHadamardUnit: return hadamard_.stats();
    default: return {};
  }
}

OpReport Accelerator::timed_op(const OpSpec& op) {
  const Cycles start = now_cycles();
  const UnitStats before = op_unit_stats(op.unit);
  run_op(op);
  const UnitStats after = op_unit_stats(op.unit);
  OpReport r{op.name, op.unit, start, now_cycles() - start, after.busy - before.busy, {}};
  for (std::size_t i = 0; i < r.stalls.size(); ++i) r.stalls[i] = after.stalls[i] - before.stalls[i];
  return r;
}

std::vector<std::string> Accelerator::begin_pass() {
  std::vector<std::string> produced;
  for (const OpSpec& op : prog_.ops) produced.insert(produced.end(), op.outputs.begin(), op.outputs.end());
  const std::vector<std::string> on_chip =
      fusion_placement(prog_, stack_.batch * len_, static_cast<std::int64_t>(hw_.buffers.fusion_kib) * 1024);
  dram_.begin_pass(produced, on_chip);
  return on_chip;
}

// Serial: the ops one after another. Pipelined: one sequencer per unit runs
// that unit's ops in program order, all at once; a read of a tensor another
// unit writes waits for the bytes it needs (DramChannel::begin_pass), so a
// tile starts as soon as the tiles it reads are written. Program order is a
// topological order of both the units' queues and the data, so no sequencer
// waits on one that waits on it.
void Accelerator::run_ops(std::vector<OpReport>& ops) {
  if (hw_.schedule == Schedule::kSerial) {
    for (const OpSpec& op : prog_.ops) ops.push_back(timed_op(op));
    return;
  }
  pass_first_ = ops.size();
  ops.resize(pass_first_ + prog_.ops.size());
  pass_ops_ = &ops;
  running_ = static_cast<int>(queues_.size());
  pass_start_.notify(sc_core::SC_ZERO_TIME);
  sc_core::wait(pass_done_);
}

// One per unit with ops, for the whole run (the Verilated blocks a unit
// drives keep one driver process): each pass, the unit's ops in program order.
void Accelerator::sequencer(std::vector<std::size_t> queue) {
  for (;;) {
    sc_core::wait(pass_start_);
    for (std::size_t i : queue) (*pass_ops_)[pass_first_ + i] = timed_op(prog_.ops[i]);
    if (--running_ == 0) pass_done_.notify(sc_core::SC_ZERO_TIME);
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

std::string region_tensor(const std::string& region) { return region.substr(0, region.find('#')); }

// The channel's traffic per tensor: every layer's region of a tensor together.
std::map<std::string, DramTraffic> Accelerator::traffic_by_tensor() const {
  std::map<std::string, DramTraffic> by;
  for (const auto& [region, t] : dram_.traffic()) {
    DramTraffic& x = by[region_tensor(region)];
    x.read_bytes += t.read_bytes;
    x.write_bytes += t.write_bytes;
    x.requests += t.requests;
  }
  return by;
}

// Each step: one token of every sequence through every layer, from the
// carried states; the host writes layer 0's inputs and chains the layers.
void Accelerator::decode() {
  DecodeReport d;
  d.steps = decode_steps_;
  d.state_bytes = ssm_state_bytes();
  d.conv_state_bytes = conv_state_bytes();
  d.conv_states_beside = conv_states_beside_;
  d.state_layers = state_layers_;
  d.state_buffer_bytes = state_buffer_bytes();
  d.state_spilled = state_spilled_;
  const std::map<std::string, DramTraffic> traffic0 = traffic_by_tensor();
  const std::map<std::string, DramTraffic> on_chip0 = dram_.on_chip_traffic();
  const std::size_t gemms0 = gemm_.runs().size();
  const std::map<std::string, UnitReport> units0 = unit_totals();
  events_ = cost::EventCounts{};  // the steps' own counters from here (the units hold a reference)
  events_.tokens = static_cast<std::int64_t>(decode_steps_) * stack_.batch;
  fresh_ = false;
  len_ = 1;
  const Cycles start = now_cycles();
  for (int k = 0; k < decode_steps_; ++k) {
    const Cycles s0 = now_cycles();
    std::vector<OpReport> ops;
    for (int l = 0; l < stack_.layers; ++l) {
      load_layer(l);
      write_inputs(k);
      const std::vector<std::string> on_chip = run_layer_pass(k, k == 0 && l == 0 ? &ops : nullptr);
      if (l == 0) d.on_chip = on_chip;
    }
    for (OpReport& o : ops) o.start -= s0;
    if (k == 0) d.ops = std::move(ops);
    d.step_cycles.push_back(now_cycles() - s0);
  }
  d.tensors = std::move(decode_tensors_);
  d.ssm_input = std::move(decode_taps_);
  d.cycles = now_cycles() - start;
  d.latency_ns = static_cast<double>(d.cycles) * hw_.cycle_ns();
  const std::vector<GemmRun>& runs = gemm_.runs();
  const auto per_step = static_cast<std::size_t>(
      std::count_if(prog_.ops.begin(), prog_.ops.end(), [](const OpSpec& o) { return o.kind == OpKind::kGemm; }));
  d.gemms.assign(runs.begin() + static_cast<std::ptrdiff_t>(gemms0),
                 runs.begin() + static_cast<std::ptrdiff_t>(gemms0 + per_step));
  for (const auto& [name, t] : traffic_by_tensor()) {
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
  for (const auto& [name, t] : dram_.on_chip_traffic()) {
    DramTraffic x = t;
    if (auto it = on_chip0.find(name); it != on_chip0.end()) {
      x.read_bytes -= it->second.read_bytes;
      x.write_bytes -= it->second.write_bytes;
      x.requests -= it->second.requests;
    }
    if (x.read_bytes || x.write_bytes) d.on_chip_traffic[name] = x;
  }
  add_fusion_traffic(d.on_chip_traffic);
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

// The fusion buffer's accesses (64-bit words) for the energy report.
void Accelerator::add_fusion_traffic(const std::map<std::string, DramTraffic>& t) {
  double reads = 0, writes = 0;
  for (const auto& [name, x] : t) {
    reads += static_cast<double>(x.read_bytes) / 8.0;
    writes += static_cast<double>(x.write_bytes) / 8.0;
  }
  if (reads > 0 || writes > 0)
    events_.add_sram({"fusion_buffer", Unit::kSsmCore, cost::MemImpl::kSram, hw_.buffers.fusion_kib * 1024.0, 64,
                      reads, writes});
}

void Accelerator::finish() {
  LayerReport& r = report_;
  r.model = cfg_.model.name;
  r.scheme = cfg_.scheme.name;
  r.hardware = hw_.name;
  r.seq_len = len_;
  r.layers = stack_.layers;
  r.batch = stack_.batch;
  r.clock_mhz = hw_.clock_mhz;
  r.cycles = now_cycles();
  r.latency_ns = static_cast<double>(r.cycles) * hw_.cycle_ns();
  const auto per_layer = static_cast<std::size_t>(
      std::count_if(prog_.ops.begin(), prog_.ops.end(), [](const OpSpec& o) { return o.kind == OpKind::kGemm; }));
  r.gemms.assign(gemm_.runs().begin(), gemm_.runs().begin() + static_cast<std::ptrdiff_t>(per_layer));
  r.units = unit_totals();
  for (auto& [name, u] : r.units) u.utilization = r.cycles ? static_cast<double>(u.busy) / static_cast<double>(r.cycles) : 0.0;
  r.dram = traffic_by_tensor();
  r.dram_total = dram_.total();
  r.host_input = prog_.input;
  r.schedule = hw_.schedule;
  r.on_chip_traffic = dram_.on_chip_traffic();
  r.producer_wait = dram_.producer_wait_cycles();
  add_fusion_traffic(r.on_chip_traffic);
  for (const cost::UnitBuffer& b : buffer_layout()) {
    const OnChipBuffer& ob = buffer(b.id);
    r.buffers.push_back({b.name, b.unit, b.need(), ob.capacity(), ob.peak()});
  }
  r.events = events_;
}

LayerReport simulate_layer(const System& cfg, const LayerProgram& program, int seq_len,
                           std::optional<Quamba2ScaleTable> table, LayerHooks hooks, const LayerData* data,
                           int decode_steps, int state_layers, const StackRun* stack) {
  Accelerator acc("accelerator", cfg, program, seq_len, std::move(table), std::move(hooks), data, decode_steps,
                  state_layers, stack);
  sc_core::sc_start();
  return acc.report();
}

LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table, LayerHooks hooks) {
  const LayerProgram program = layer_program(cfg.model, cfg.scheme);
  return simulate_layer(cfg, program, seq_len, std::move(table), std::move(hooks));
}

}  // namespace mambahw::model
