// Whole-model totals from a run of k chained layers (StackRun): the run's
// figures, and n_layer / k times them where k < n_layer (every layer has the
// same shapes and program, so each simulated layer stands for n_layer / k;
// stated as scaled wherever it is reported). With k = n_layer nothing is scaled.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "mambahw/cost/gemm_mapping.hpp"
#include "mambahw/model/accelerator.hpp"

namespace mambahw::model {

// The LM head: logits = the final norm's output x the d_model x vocab
// matrix (tied to the embedding), for the tokens whose logits are needed.
// Analytic, not simulated: the GEMM mapper's mapping and compute cycles on
// the array; its DRAM bytes over the bandwidth; its weight tiles' fetches,
// each the DRAM latency plus its transfer, gemm.prefetch_depth of them in
// flight (the simulated array's steady state, docs/architecture.md, "Weight
// prefetch"; without the double buffer, one after another beside the
// folds). Its time is the largest of the three. Weights at the scheme's
// GEMM precision with per-output-channel scales, INT8 input, FP16 logits:
// an assumption (Quamba keeps the head in FP16; the array is INT8/INT4).
// Its events (one pass) are counted as the simulated array counts a GEMM's
// (gemm_array.cpp), from the same fold plan and the mapping's steps: per
// fold its MACs, accumulator reads and writes, array registers, and the
// weight and activation buffers' accesses; per logit the requantization
// unit's operations (the scheme's gemm_requant order, FP16 out); the
// mapping's DRAM bytes. Not counted: the final norm and the quantizer that
// makes its INT8 input (not modelled), the weight scales' DRAM bytes (as
// the mapping's figures; vocab x 4 bytes, about 0.5% of an INT8 head's).
struct LmHead {
  cost::GemmShape shape;
  cost::GemmMapping mapping;
  cost::EventCounts events;  // one pass over shape.m tokens
  double compute_cycles = 0, dram_cycles = 0, fetch_cycles = 0;
  double cycles() const { return std::max({compute_cycles, dram_cycles, fetch_cycles}); }
  const char* bound() const {
    return cycles() == compute_cycles ? "the array" : cycles() == dram_cycles ? "DRAM bandwidth" : "DRAM latency";
  }
};
LmHead lm_head(const System& sys, std::int64_t tokens);

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
  // With model.vocab: the LM head over `batch` tokens (the prefill's last
  // token of each sequence, whose logits give the first decoded token, as
  // mamba_ssm's generation asks with num_last_tokens = 1; each decode step's
  // token of each sequence), included in the cycles, latencies, tokens/s and
  // DRAM bytes above (tensor "lm_head"); its energy is priced from
  // LmHead::events beside the layers' (tools/cli: the whole model's energy).
  std::optional<LmHead> lm_head;
};
WholeModel whole_model(const LayerReport& r, int n_layer);
// The same, with the LM head added when sys.model.vocab > 0.
WholeModel whole_model(const LayerReport& r, const System& sys);

}  // namespace mambahw::model
