#include "mambahw/model/totals.hpp"

#include <stdexcept>

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

}  // namespace mambahw::model
