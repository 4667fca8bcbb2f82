#include "mambahw/model/totals.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "mambahw/golden/layer_program.hpp"
#include "mambahw/model/gemm_array.hpp"
#include "mambahw/model/timing.hpp"

namespace mambahw::model {

WholeModel whole_model(const LayerReport& r, int n_layer) {
  if (r.layers < 1 || r.layers > n_layer) throw std::invalid_argument("whole_model: simulated layers outside 1..n_layer");
  WholeModel w;
  w.layers_simulated = r.layers;
  w.n_layer = n_layer;
  w.batch = r.batch;
  w.seq_len = r.seq_len;
  w.scale = static_cast<double>(n_layer) / r.layers;
  w.prefill_cycles = static_cast<double>(r.cycles) * w.scale;
  w.prefill_latency_ns = r.latency_ns * w.scale;
  if (w.prefill_latency_ns > 0) w.prefill_tokens_per_s = 1e9 * r.batch * r.seq_len / w.prefill_latency_ns;
  for (const auto& [name, t] : r.dram)
    w.prefill_dram_bytes[name] = static_cast<double>(t.read_bytes + t.write_bytes) * w.scale;
  if (r.decode && r.decode->steps > 0) {
    const DecodeReport& d = *r.decode;
    w.decode_steps = d.steps;
    w.decode_cycles_per_step = static_cast<double>(d.cycles) / d.steps * w.scale;
    w.decode_latency_ns_per_step = d.latency_ns / d.steps * w.scale;
    if (w.decode_latency_ns_per_step > 0) w.decode_tokens_per_s = 1e9 * r.batch / w.decode_latency_ns_per_step;
    for (const auto& [name, t] : d.dram)
      w.decode_dram_bytes_per_step[name] = static_cast<double>(t.read_bytes + t.write_bytes) / d.steps * w.scale;
  }
  return w;
}

namespace {
// One pass of the head as the simulated array counts a GEMM (GemmArray::run):
// the same folds in the mapping's order, each counted by count_fold_events,
// then the requantization unit per output and the mapping's DRAM bytes.
cost::EventCounts lm_head_events(const System& sys, const cost::GemmShape& g, const cost::GemmMapping& mapping) {
  using cost::Counter;
  const HardwareConfig& hw = sys.hardware;
  cost::EventCounts e;
  e.tokens = g.m;
  cost::UnitCounters& c = e.at(Unit::kGemmArray);
  const GemmPlan plan = plan_gemm(g, hw.gemm);
  for (const GemmStep& s : gemm_steps(plan, mapping, g, hw.gemm))
    count_fold_events(hw, g, plan.folds[s.fold], s.m_len, s.fetch_weights, c, e);
  Work requant;
  requant.ops = requant_ops(sys.scheme.layer.gemm_requant, 1, false) * (g.m * g.n);
  c += cost::counters_of(requant);
  c[Counter::kDramReadBytes] += mapping.weight_bytes + mapping.input_bytes;
  c[Counter::kDramWriteBytes] += mapping.output_bytes;
  return e;
}
}  // namespace

LmHead lm_head(const System& sys, std::int64_t tokens) {
  LmHead h;
  h.shape = {tokens, sys.model.d_model, sys.model.vocab, weight_bits(weight_precision(sys.scheme)), 2, 1};
  h.mapping = cost::map_gemm(h.shape, sys.hardware.gemm, sys.hardware.buffers, "lm_head");
  h.compute_cycles = static_cast<double>(h.mapping.compute_cycles);
  const double bpc = sys.hardware.dram_bytes_per_cycle();
  h.dram_cycles = static_cast<double>(h.mapping.dram_bytes()) / bpc;
  // A fetch per fold (a k_per_fold x cols weight tile) each time the mapping reads the weights.
  const GemmArrayConfig& a = sys.hardware.gemm;
  const std::int64_t fk = cost::fold_k(h.shape, a), k = h.shape.k, n = h.shape.n;
  const double folds = static_cast<double>(((k + fk - 1) / fk) * ((n + a.cols - 1) / a.cols));
  const double once = static_cast<double>(k * n * h.shape.weight_bits) / 8.0;
  const double reads = std::max(1.0, std::round(static_cast<double>(h.mapping.weight_bytes) / once));
  const double tile = static_cast<double>(fk * a.cols * h.shape.weight_bits) / 8.0;
  const double fetch = folds * reads * (sys.hardware.dram_latency_cycles() + tile / bpc);
  // Without the double buffer a fold's tile is requested after the fold before it: nothing overlaps.
  h.fetch_cycles = a.weight_double_buffer ? fetch / std::max(1, a.prefetch_depth) : fetch + h.compute_cycles;
  h.events = lm_head_events(sys, h.shape, h.mapping);
  return h;
}

WholeModel whole_model(const LayerReport& r, const System& sys) {
  WholeModel w = whole_model(r, sys.model.n_layer);
  if (sys.model.vocab <= 0) return w;
  const LmHead h = lm_head(sys, r.batch);
  const double ns = h.cycles() * sys.hardware.cycle_ns(), bytes = static_cast<double>(h.mapping.dram_bytes());
  w.prefill_cycles += h.cycles();
  w.prefill_latency_ns += ns;
  if (w.prefill_latency_ns > 0) w.prefill_tokens_per_s = 1e9 * r.batch * r.seq_len / w.prefill_latency_ns;
  w.prefill_dram_bytes["lm_head"] = bytes;
  if (w.decode_steps > 0) {
    w.decode_cycles_per_step += h.cycles();
    w.decode_latency_ns_per_step += ns;
    w.decode_tokens_per_s = 1e9 * r.batch / w.decode_latency_ns_per_step;
    w.decode_dram_bytes_per_step["lm_head"] = bytes;
  }
  w.lm_head = h;
  return w;
}

}  // namespace mambahw::model
