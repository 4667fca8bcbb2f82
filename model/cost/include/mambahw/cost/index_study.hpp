// The index-SRAM study (`mambahw compare`) and the W4A5-SE bandwidth study.
// docs/cost-model.md gives every formula with a worked example.
//
// Storage per layer of a grouped scheme with G SSD groups, H head groups and
// D dim groups (the Quamba2 tables):
//   head ranges G*H words, dim ranges G*H*D words, scales G*H*D FP32 words.
//   As the GPU code stores them the ranges are int32; the minimal widths are
//   ceil(log2(heads_per_group + 1)) and ceil(log2(headdim + 1)) bits.
// Lookup latency:
//   sequential: H*(range_read + compare) + D*(range_read + compare) + scale_read
//   parallel:   range_read + compare + select + scale_read
//   LUT:        scale_read      per-tensor: 0 (a register)
// with range_read the table's lookup.range_read_ns if it states one, else the
// access time of the memory holding the ranges, and scale_read that memory's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mambahw/cost/memory.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/cost/tech_table.hpp"

namespace mambahw::cost {

enum class IndexKind : std::uint8_t {
  kPerTensor,  // Quamba1: one scale register per layer
  kGrouped,    // Quamba2 range tables + scales
  kLut,        // a full per-channel scale LUT
  kHybrid,     // half the layers per-tensor, half grouped
  kDualScale,  // W4A5-SE: two scale registers per layer and a MUX per lane
};

// Gates of the dual-scale logic per element (the research notes' estimate):
// the dequant's 2:1 MUX between scale1 and scale1*scale2 and the quantizer's
// flag/pack logic.
inline constexpr int kDualScaleMuxGates = 50;
inline constexpr int kDualScalePackGates = 20;

struct IndexScheme {
  std::string name;
  IndexKind kind = IndexKind::kGrouped;
  int ssm_groups = 0;  // 0: the model's ngroups
  int head_groups = 4;
  int dim_groups = 4;
  bool parallel = false;
  double grouped_layer_fraction = 1.0;  // hybrid: share of layers with grouped tables
};

// The schemes the issue names, for a model: Quamba1, Quamba2 G x 4 x 4
// sequential and parallel, Quamba2-lite G x 2 x 2, per-channel LUT, hybrid,
// W4A5-SE.
std::vector<IndexScheme> default_index_schemes();

struct IndexStudyRow {
  std::string scheme, tech;
  int ssm_groups = 0, head_groups = 0, dim_groups = 0;
  double bits_per_layer = 0;          // as the GPU code stores it (int32 ranges, FP32 scales)
  double bits_per_layer_minimal = 0;  // with the minimal range widths
  double bits_all_layers = 0;         // GPU layout, every layer
  double bytes_all_layers = 0;
  int range_bits = 32, range_bits_minimal = 0;
  MemoryCost sram, flops;             // resident tables for all layers (minimal widths)
  MemoryCost sram_gpu_layout;         // the same tables stored as the GPU stores them, 32-bit words
  double area_mm2 = 0;                // the smaller of SRAM and flops
  std::string area_impl;
  double energy_pj_per_lookup = 0;    // worst-case reads + comparisons (+ MUX for dual scale)
  // Lookups: one per SSM-input channel per layer pass (scale_lookups_per_pass;
  // the scale is static, so a channel's fetch serves every token of the pass).
  double lookups_per_pass = 0;        // all layers
  int tokens_per_pass = 1;            // prefill: L; decode: 1
  double lookups_per_token = 0;       // lookups_per_pass / tokens_per_pass
  double energy_pj_per_token = 0;     // prefill of tokens_per_pass tokens
  double energy_pj_per_decode_token = 0;  // a pass of one token
  double lookup_latency_ns = 0;
  int lookup_latency_cycles = 0;      // ceil(ns * clock)
  double clock_mhz = 0;
  double stream_dram_pj_per_layer = 0;  // if tables stream from DRAM instead: one layer's load
  double notes_bits_read_per_lookup = 0;  // the notes' count: every range word of the group + 1 scale
  std::vector<std::string> notes;
};

// One row per scheme; `clock_mhz` is used when the table states none;
// `tokens_per_pass` the prefill length the per-token figures divide by.
IndexStudyRow index_study(const ModelShape& m, const IndexScheme& s, const TechTable& t, double clock_mhz,
                          int tokens_per_pass);

// Conv-output (SSM-input) traffic per layer: INT8 vs packed dual-scale words.
struct BandwidthRow {
  std::string model;
  int d_inner = 0, seq_len = 0, code_bits = 4;
  double int8_bytes_per_token = 0, packed_bytes_per_token = 0;   // one layer, one direction
  double int8_bytes_per_layer = 0, packed_bytes_per_layer = 0;   // x seq_len
  double saving_fraction = 0;
  double dram_pj_saved_per_layer = 0;  // write + read, at the table's DRAM pJ/bit
};
// `dual_scheme`: a scheme whose SSM input is dual-scale (its word width is
// ssm_input_bits()).
BandwidthRow bandwidth_study(const ModelShape& m, const QuantScheme& dual_scheme, int seq_len, const TechTable& t);

}  // namespace mambahw::cost
