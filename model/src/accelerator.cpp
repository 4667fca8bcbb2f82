#include "mambahw/model/accelerator.hpp"

#include <cmath>

#include "mambahw/golden/hadamard.hpp"

namespace mambahw::model {

using sc_core::sc_time;

Accelerator::Accelerator(sc_core::sc_module_name name, const System& cfg, int seq_len,
                         std::optional<Quamba2ScaleTable> table, int dual_word_bits, LayerHooks hooks)
    : sc_module(name),
      cfg_(cfg),
      hw_(cfg.hardware),
      len_(seq_len),
      table_(std::move(table)),
      dual_bits_(dual_word_bits),
      hooks_(std::move(hooks)),
      period_(cfg.hardware.cycle_ns(), sc_core::SC_NS),
      gemm_("gemm_array", cfg.hardware),
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
  SC_HAS_PROCESS(Accelerator);
  SC_THREAD(controller);
}

std::uint64_t Accelerator::tensor(const std::string& name, std::int64_t bytes) {
  return map_.allocate(name, static_cast<std::uint64_t>(bytes));
}

Cycles Accelerator::now_cycles() const { return static_cast<Cycles>(sc_core::sc_time_stamp() / period_ + 0.5); }

void Accelerator::op(const std::string& name, const std::string& unit, Cycles start) {
  const auto now = now_cycles();
  report_.ops.push_back({name, unit, start, now - start});
}

GemmRun Accelerator::gemm(const std::string& name, GemmShape g, const std::string& in, const std::string& out) {
  const auto start = now_cycles();
  const std::uint64_t w = tensor("w_" + name, (g.k * g.n * g.weight_bits + 7) / 8);
  const Placement pin{true, tensor(in, g.m * g.k * g.in_bytes)};
  const Placement pout{true, tensor(out, g.m * g.n * g.out_bytes)};
  const GemmRun r = gemm_.run(name, g, w, pin, pout);
  events_.add(g.weight_bits == 4 ? "mac_int4" : "mac_int8", r.plan.macs);
  events_.add("requant", g.m * g.n);
  events_.add("weight_buffer_read_bytes", r.plan.weight_bytes);
  events_.add("activation_buffer_read_bytes", g.m * g.k * g.in_bytes * r.plan.folds_n);
  events_.add("accumulator_rw", 2 * r.plan.macs / std::max<std::int64_t>(1, r.plan.k_per_fold));
  op(name, "gemm_array", start);
  return r;
}

ConvJob Accelerator::conv_job(int channels) const {
  ConvJob j;
  j.channels = channels;
  j.len = len_;
  j.width = cfg_.model.d_conv;
  j.input = map_.base("x_conv_in");
  j.weights = map_.base("w_conv");
  j.weight_bytes = static_cast<std::int64_t>(channels) * (j.width + 1 + 8);  // taps, bias, FP32 scale_in + bias_f
  j.out_int8 = map_.base("u_int8");
  const int d = cfg_.model.d_inner;
  if (dual_bits_ > 0) {
    j.out_dual = map_.base("u_dual");
    j.dual_channels = d;
    j.dual_word_bits = dual_bits_;
    j.int8_begin = cfg_.model.is_mamba2() ? d : 0;  // Mamba1 keeps the INT8 copy for x_proj
  }
  if (table_) {
    const Quamba2ScaleTable t = *table_;
    const ScaleIndexConfig si = hw_.scale_index;
    j.lookup_cycles = [t, si, d](int c) {
      return c < d ? lookup_cycles(lookup_scale_index(t, c).compares, si) : si.read_cycles;
    };
  }
  j.quantize = hooks_.quantize;
  return j;
}

SsmJob Accelerator::ssm_job(double exps_per_channel, double softplus_per_channel) const {
  SsmJob j;
  j.channels = cfg_.model.d_inner;
  j.len = len_;
  j.d_state = cfg_.model.d_state;
  j.exps_per_channel = exps_per_channel;
  j.softplus_per_channel = softplus_per_channel;
  j.u_bits = dual_bits_ > 0 ? dual_bits_ : 8;
  j.u = map_.base(dual_bits_ > 0 ? "u_dual" : "u_int8");
  j.delta = map_.base("delta");
  j.z = map_.base("z");
  j.bc = map_.base("bc");
  j.bc_bytes = 2LL * cfg_.model.d_state * std::max(1, cfg_.model.ngroups) * len_;
  j.delta_group = cfg_.model.is_mamba2() ? cfg_.model.headdim : 1;
  j.y = map_.base("y");
  j.dequant = hooks_.dequant;
  j.scan = hooks_.scan;
  return j;
}

void Accelerator::run_mamba1() {
  const ModelShape& m = cfg_.model;
  const std::int64_t l = len_, d = m.d_inner, n = m.d_state;
  // The layer input arrives in DRAM (written by the previous layer / host).
  (void)dram_access(host_, true, tensor("hidden", l * m.d_model), l * m.d_model);
  gemm("in_proj", {l, m.d_model, 2 * d, 8, 1, 1}, "hidden", "xz");
  // x and z are the two halves of in_proj's output.
  map_.allocate("x_conv_in", static_cast<std::uint64_t>(l * d));
  map_.allocate("z", static_cast<std::uint64_t>(l * d));
  tensor("w_conv", d * (m.d_conv + 9));
  tensor("u_int8", l * d);
  if (dual_bits_ > 0) tensor("u_dual", (l * d * dual_bits_ + 7) / 8);
  Cycles start = now_cycles();
  conv_.run(conv_job(static_cast<int>(d)));
  op("conv1d+silu+quantize", "conv_unit", start);
  gemm("x_proj", {l, d, m.dt_rank + 2 * n, 8, 1, 1}, "u_int8", "dbc");
  map_.allocate("bc", static_cast<std::uint64_t>(l * 2 * n));
  gemm("dt_proj", {l, m.dt_rank, d, 8, 1, 1}, "dbc", "delta");
  tensor("y", l * d * 2);
  start = now_cycles();
  ssm_.run(ssm_job(static_cast<double>(n), 1.0));
  op("selective_scan", "ssm_core", start);
  out_proj(8, 1);
}

void Accelerator::run_mamba2() {
  const ModelShape& m = cfg_.model;
  const std::int64_t l = len_, d = m.d_inner;
  const int wbits = cfg_.scheme.base == SchemeBase::kQuamba2 ? 4 : 8;  // Quamba2 is W4A8
  (void)dram_access(host_, true, tensor("hidden", l * m.d_model), l * m.d_model);
  gemm("in_proj", {l, m.d_model, m.in_proj_out(), wbits, 1, 1}, "hidden", "zxbcdt");
  map_.allocate("x_conv_in", static_cast<std::uint64_t>(l * m.conv_channels()));
  map_.allocate("z", static_cast<std::uint64_t>(l * d));
  map_.allocate("delta", static_cast<std::uint64_t>(l * m.nheads));
  tensor("w_conv", static_cast<std::int64_t>(m.conv_channels()) * (m.d_conv + 9));
  tensor("u_int8", l * m.conv_channels());
  map_.allocate("bc", static_cast<std::uint64_t>(l * 2 * m.bc_channels()));
  if (dual_bits_ > 0) tensor("u_dual", (l * d * dual_bits_ + 7) / 8);
  Cycles start = now_cycles();
  conv_.run(conv_job(m.conv_channels()));
  op("conv1d+silu+quantize", "conv_unit", start);
  tensor("y", l * d * 2);
  start = now_cycles();
  ssm_.run(ssm_job(1.0 / m.headdim, 1.0 / m.headdim));  // dt, exp(dt*A) per head
  op("ssd_scan+norm", "ssm_core", start);
  events_.add("fp32_mul", 4 * l * d);  // gated RMSNorm: z gate, square, scale, weight
  out_proj(wbits, 2);
}

// out_proj, behind the online Hadamard unit when the scheme turns it on: the
// unit reads the FP16 y and writes INT8 codes, which out_proj reads.
void Accelerator::out_proj(int weight_bits, int plain_in_bytes) {
  const ModelShape& m = cfg_.model;
  const std::int64_t l = len_, d = m.d_inner;
  if (!cfg_.scheme.layer.out_proj_hadamard) {
    gemm("out_proj", {l, d, m.d_model, weight_bits, 1, plain_in_bytes}, "y", "out");
    return;
  }
  HadamardJob j;
  j.len = len_;
  j.n = m.d_inner;
  j.adds_per_token = hadamard_adds(require_hadamard_size(m.d_inner));
  j.y = map_.base("y");
  j.out = tensor("y_h", l * d);
  const Cycles start = now_cycles();
  hadamard_.run(j);
  op("hadamard+quantize", "hadamard_unit", start);
  gemm("out_proj", {l, d, m.d_model, weight_bits, 1, 1}, "y_h", "out");
}

void Accelerator::controller() {
  if (cfg_.model.is_mamba2()) run_mamba2();
  else run_mamba1();
  if (hooks_.gemms) hooks_.gemms();
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
  auto unit = [&](const std::string& name, const UnitStats& s) {
    r.units[name] = {s.busy, r.cycles ? static_cast<double>(s.busy) / static_cast<double>(r.cycles) : 0.0, s.stalls};
  };
  unit("gemm_array", gemm_.stats());
  unit("conv_unit", conv_.stats());
  unit("scale_index_lookup", conv_.lookup_stats());
  unit("ssm_core", ssm_.stats());
  unit("ssm_dequant", ssm_.dequant_stats());
  unit("hadamard_unit", hadamard_.stats());
  r.units["dram"] = {dram_.busy_cycles(),
                     r.cycles ? static_cast<double>(dram_.busy_cycles()) / static_cast<double>(r.cycles) : 0.0, {}};
  r.dram = dram_.traffic();
  r.dram_total = dram_.total();
  events_.add("dram_read_bytes", r.dram_total.read_bytes);
  events_.add("dram_write_bytes", r.dram_total.write_bytes);
  r.events = events_;
}

LayerReport simulate_layer(const System& cfg, int seq_len, std::optional<Quamba2ScaleTable> table,
                           int dual_word_bits, LayerHooks hooks) {
  Accelerator acc("accelerator", cfg, seq_len, std::move(table), dual_word_bits, std::move(hooks));
  sc_core::sc_start();
  return acc.report();
}

}  // namespace mambahw::model
