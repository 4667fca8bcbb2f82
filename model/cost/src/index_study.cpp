#include "mambahw/cost/index_study.hpp"

#include "mambahw/cost/hardware_config.hpp"

#include <algorithm>
#include <cmath>

#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/scale_table.hpp"

namespace mambahw::cost {

std::vector<IndexScheme> default_index_schemes() {
  return {
      {"quamba1", IndexKind::kPerTensor, 0, 1, 1, false, 0.0},
      {"quamba2-seq", IndexKind::kGrouped, 0, 4, 4, false, 1.0},
      {"quamba2-par", IndexKind::kGrouped, 0, 4, 4, true, 1.0},
      {"quamba2-lite", IndexKind::kGrouped, 0, 2, 2, false, 1.0},
      {"lut", IndexKind::kLut, 0, 4, 4, false, 1.0},
      {"hybrid", IndexKind::kHybrid, 0, 4, 4, false, 0.5},
      {"w4a5-se", IndexKind::kDualScale, 0, 1, 1, false, 0.0},
  };
}

namespace {

// Range reads: the lookup section's own figure, else the memory's access time.
double range_read_ns(const TechTable& t, const MemoryCost& mem) {
  return t.lookup.range_read_ns ? *t.lookup.range_read_ns : mem.access_ns;
}

}  // namespace

IndexStudyRow index_study(const ModelShape& m, const IndexScheme& s, const TechTable& t, double clock_mhz,
                          int tokens_per_pass) {
  IndexStudyRow r;
  r.scheme = s.name;
  r.tech = t.name;
  r.clock_mhz = t.clock_mhz ? t.clock_mhz->value : clock_mhz;
  const int G = s.ssm_groups ? s.ssm_groups : std::max(1, m.ngroups);
  const int H = s.head_groups, D = s.dim_groups;
  const int hpg = m.is_mamba2() ? m.nheads / std::max(1, m.ngroups) : 1;
  const int headdim = m.is_mamba2() ? m.headdim : m.d_inner;
  r.ssm_groups = G;
  r.head_groups = H;
  r.dim_groups = D;
  // The SRAM's words at their minimal widths: golden's index_sram_layout, the
  // count the accelerator model's SRAM image has.
  const IndexSramLayout sram = index_sram_layout({G, H, D, hpg, headdim, m.d_state});
  r.range_bits_minimal = std::max(sram.head_range_bits, sram.dim_range_bits);
  const double layers = m.n_layer;
  const double cells = static_cast<double>(G) * H * D;
  const double grouped_bits = static_cast<double>(G) * H * 32 + cells * 32 + cells * 32;
  const double grouped_min = static_cast<double>(sram.bits());
  const double ch = static_cast<double>(scale_lookups_per_pass(m));
  switch (s.kind) {
    case IndexKind::kPerTensor:
      r.bits_per_layer = r.bits_per_layer_minimal = 32;
      break;
    case IndexKind::kGrouped:
      r.bits_per_layer = grouped_bits;
      r.bits_per_layer_minimal = grouped_min;
      break;
    case IndexKind::kLut:
      r.bits_per_layer = r.bits_per_layer_minimal = ch * 32;  // one FP32 scale per channel
      break;
    case IndexKind::kHybrid:  // averaged over layers
      r.bits_per_layer = s.grouped_layer_fraction * grouped_bits + (1 - s.grouped_layer_fraction) * 32;
      r.bits_per_layer_minimal = s.grouped_layer_fraction * grouped_min + (1 - s.grouped_layer_fraction) * 32;
      break;
    case IndexKind::kDualScale:
      r.bits_per_layer = r.bits_per_layer_minimal = 64;  // scale1 and scale1*scale2
      break;
  }
  r.bits_all_layers = r.bits_per_layer * layers;
  r.bytes_all_layers = r.bits_all_layers / 8;
  const double resident_bytes = r.bits_per_layer_minimal * layers / 8;
  const int word = (s.kind == IndexKind::kGrouped || s.kind == IndexKind::kHybrid) ? 16 : 32;
  r.sram = sram_cost(t, resident_bytes, word);
  r.flops = flop_cost(t, resident_bytes, word);
  r.sram_gpu_layout = sram_cost(t, r.bytes_all_layers, 32);
  const bool use_flops = r.flops.area_mm2 < r.sram.area_mm2;
  r.area_mm2 = use_flops ? r.flops.area_mm2 : r.sram.area_mm2;
  r.area_impl = use_flops ? "flops" : "sram";
  const MemoryCost& mem = use_flops ? r.flops : r.sram;

  const double cmp_pj = t.op(TechOp::kCompare).energy_pj;
  const double scale_read_pj = mem.read_pj * 32.0 / mem.width_bits;
  const double range_read_pj = mem.read_pj * 16.0 / mem.width_bits;
  r.lookups_per_pass = ch * layers;
  r.tokens_per_pass = std::max(1, tokens_per_pass);
  r.lookups_per_token = r.lookups_per_pass / r.tokens_per_pass;
  switch (s.kind) {
    case IndexKind::kPerTensor:
      r.energy_pj_per_lookup = 32 * t.reg.energy_pj_per_bit;  // a register read
      r.lookup_latency_ns = 0;
      break;
    case IndexKind::kDualScale:
      // Per element: the MUX (~50 gates) and pack/unpack (~20 gates), the notes' estimate.
      r.energy_pj_per_lookup =
          (kDualScaleMuxGates + kDualScalePackGates) * t.op(TechOp::kGate).energy_pj + 32 * t.reg.energy_pj_per_bit;
      r.lookup_latency_ns = 0;
      r.notes.push_back("no lookup: a 2:1 MUX per lane selects scale1 or scale1*scale2");
      break;
    case IndexKind::kLut:
      r.energy_pj_per_lookup = scale_read_pj;
      r.lookup_latency_ns = mem.access_ns;
      break;
    case IndexKind::kGrouped:
    case IndexKind::kHybrid: {
      const double rr = range_read_ns(t, mem);
      if (s.parallel) {
        r.energy_pj_per_lookup = (H + D) * (range_read_pj + cmp_pj) + scale_read_pj;
        r.lookup_latency_ns = rr + t.lookup.compare_ns + t.lookup.select_ns + mem.access_ns;
      } else {
        r.energy_pj_per_lookup = (H + D) * (range_read_pj + cmp_pj) + scale_read_pj;  // worst case
        r.lookup_latency_ns = H * (rr + t.lookup.compare_ns) + D * (rr + t.lookup.compare_ns) + mem.access_ns;
      }
      if (s.kind == IndexKind::kHybrid) {
        const double f = s.grouped_layer_fraction;
        r.energy_pj_per_lookup = f * r.energy_pj_per_lookup + (1 - f) * 32 * t.reg.energy_pj_per_bit;
      }
      r.notes_bits_read_per_lookup = (H + static_cast<double>(H) * D + 1) * 32;
      break;
    }
  }
  r.energy_pj_per_token = r.energy_pj_per_lookup * r.lookups_per_token;
  r.energy_pj_per_decode_token = r.energy_pj_per_lookup * r.lookups_per_pass;
  r.lookup_latency_cycles = checked_cycles(r.lookup_latency_ns * r.clock_mhz / 1000.0, "lookup latency (tech table " + t.name + ")");
  r.stream_dram_pj_per_layer = r.bits_per_layer_minimal * t.dram.energy_pj_per_bit;
  r.notes.insert(r.notes.end(), r.sram.notes.begin(), r.sram.notes.end());
  return r;
}

BandwidthRow bandwidth_study(const ModelShape& m, const QuantScheme& dual_scheme, int seq_len, const TechTable& t) {
  const int word_bits = ssm_input_bits(dual_scheme);
  BandwidthRow b;
  b.model = m.name;
  b.d_inner = m.ssm_input_channels();
  b.seq_len = seq_len;
  b.code_bits = word_bits - 1;
  b.int8_bytes_per_token = b.d_inner;
  b.packed_bytes_per_token = b.d_inner * word_bits / 8.0;
  b.int8_bytes_per_layer = b.int8_bytes_per_token * seq_len;
  b.packed_bytes_per_layer = b.packed_bytes_per_token * seq_len;
  b.saving_fraction = 1.0 - b.packed_bytes_per_layer / b.int8_bytes_per_layer;
  b.dram_pj_saved_per_layer = 2 * (b.int8_bytes_per_layer - b.packed_bytes_per_layer) * 8 * t.dram.energy_pj_per_bit;
  return b;
}

}  // namespace mambahw::cost
