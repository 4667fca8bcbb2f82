// Whole-model totals from a run of k chained layers (StackRun): the run's
// figures, and n_layer / k times them where k < n_layer (every layer has the
// same shapes and program, so each simulated layer stands for n_layer / k;
// stated as scaled wherever it is reported). With k = n_layer nothing is scaled.
#pragma once

#include <map>
#include <string>

#include "mambahw/model/accelerator.hpp"

namespace mambahw::model {

struct WholeModel {
  int layers_simulated = 1, n_layer = 1, batch = 1, seq_len = 0, decode_steps = 0;
  double scale = 1;                 // n_layer / layers_simulated
  bool scaled() const { return layers_simulated < n_layer; }
  double prefill_cycles = 0, prefill_latency_ns = 0;
  double prefill_tokens_per_s = 0;  // batch x seq_len over the prefill's latency
  double decode_cycles_per_step = 0, decode_latency_ns_per_step = 0;
  double decode_tokens_per_s = 0;   // batch tokens per step over the step's latency
  // DRAM bytes per tensor (read + written), the prefill and one decode step.
  std::map<std::string, double> prefill_dram_bytes, decode_dram_bytes_per_step;
};
WholeModel whole_model(const LayerReport& r, int n_layer);

}  // namespace mambahw::model
