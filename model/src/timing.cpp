#include "mambahw/model/timing.hpp"

#include <algorithm>
#include <cmath>

#include "mambahw/golden/layer_program.hpp"

namespace mambahw::model {

GemmPlan plan_gemm(const GemmShape& g, const GemmArrayConfig& a) {
  GemmPlan p;
  const int mpp = g.weight_bits == 4 ? a.int4_macs_per_pe : 1;
  p.k_per_fold = static_cast<std::int64_t>(a.rows) * mpp;
  p.folds_k = ceil_div(g.k, p.k_per_fold);
  p.folds_n = ceil_div(g.n, a.cols);
  for (std::int64_t nf = 0; nf < p.folds_n; ++nf) {
    for (std::int64_t kf = 0; kf < p.folds_k; ++kf) {
      GemmFold f;
      f.k0 = kf * p.k_per_fold;
      f.k_len = std::min(p.k_per_fold, g.k - f.k0);
      f.n0 = nf * a.cols;
      f.n_len = std::min<std::int64_t>(a.cols, g.n - f.n0);
      f.weight_bytes = ceil_div(f.k_len * f.n_len * g.weight_bits, 8);
      f.first_k = kf == 0;
      f.last_k = kf + 1 == p.folds_k;
      p.weight_bytes += f.weight_bytes;
      p.folds.push_back(f);
    }
  }
  const auto folds = static_cast<Cycles>(p.folds.size());
  p.load_cycles = a.rows;
  p.stream_cycles = g.m + a.rows + a.cols - 2;
  p.compute_cycles = a.weight_double_buffer ? p.load_cycles + folds * p.stream_cycles
                                            : folds * (p.load_cycles + p.stream_cycles);
  p.macs = g.m * g.k * g.n;
  const double cells = static_cast<double>(p.k_per_fold) * a.cols;
  p.mapping_efficiency = static_cast<double>(g.k * g.n) / (static_cast<double>(folds) * cells);
  p.compute_utilization = static_cast<double>(p.macs) / (static_cast<double>(p.compute_cycles) * cells);
  return p;
}

std::vector<GemmStep> gemm_steps(const GemmPlan& p, const cost::GemmMapping& mp, const GemmShape& g,
                                 const GemmArrayConfig& a) {
  std::vector<GemmStep> steps;
  const std::int64_t M = std::max<std::int64_t>(g.m, 1), mt = std::max<std::int64_t>(mp.m_tile, 1);
  const std::int64_t tiles = ceil_div(M, mt);
  const std::size_t fk = static_cast<std::size_t>(p.folds_k);
  auto tile_of = [&](std::int64_t t) { return std::pair{t * mt, std::min(mt, M - t * mt)}; };
  switch (mp.order) {
    case cost::GemmOrder::kFixed: {
      const bool reread = mp.input_bytes > g.m * g.k * g.in_bytes;  // the input did not fit: once per column tile
      for (std::size_t i = 0; i < p.folds.size(); ++i)
        steps.push_back({i, 0, M, true, p.folds[i].n0 == 0 || reread});
      break;
    }
    case cost::GemmOrder::kTokensOuter:
      for (std::int64_t t = 0; t < tiles; ++t)
        for (std::size_t i = 0; i < p.folds.size(); ++i) {
          const auto [m0, ml] = tile_of(t);
          steps.push_back({i, m0, ml, true, p.folds[i].n0 == 0});
        }
      break;
    case cost::GemmOrder::kWeightsOuter: {
      const std::int64_t tiles_per_block = std::max<std::int64_t>(mp.n_block / a.cols, 1);
      for (std::int64_t n0 = 0; n0 < p.folds_n; n0 += tiles_per_block)
        for (std::int64_t t = 0; t < tiles; ++t)
          for (std::int64_t nt = n0; nt < std::min(p.folds_n, n0 + tiles_per_block); ++nt)
            for (std::size_t k = 0; k < fk; ++k) {
              const auto [m0, ml] = tile_of(t);
              // The block's weights come from DRAM with its first token tile; the
              // input streams once per block (or once in all when one tile holds every token).
              const bool input = nt == n0 && (tiles > 1 || n0 == 0);
              steps.push_back({static_cast<std::size_t>(nt) * fk + k, m0, ml, t == 0, input});
            }
      break;
    }
  }
  return steps;
}

std::vector<ConvTile> conv_tiles(int channels, const ConvUnitConfig& c) {
  std::vector<ConvTile> t;
  for (int c0 = 0; c0 < channels; c0 += c.lanes) t.push_back({c0, std::min(c.lanes, channels - c0)});
  return t;
}

Cycles conv_tile_cycles(int len, const ConvUnitConfig& c, int quantizer_latency) {
  return static_cast<Cycles>(len) + c.pipeline_depth + quantizer_latency;
}

Cycles hadamard_tile_cycles(int tokens, std::int64_t adds_per_token, const HadamardUnitConfig& h) {
  return ceil_div(static_cast<std::int64_t>(tokens) * adds_per_token, h.adders);
}

SsmTileTiming ssm_tile_timing(std::int64_t steps, std::int64_t exps, std::int64_t softplus,
                              std::int64_t dequants, int len, const SsmCoreConfig& s) {
  SsmTileTiming t;
  const Cycles l = len;
  t.lane_cycles = ceil_div(steps, s.lanes) * l;
  t.exp_cycles = ceil_div(exps, s.exp_units) * l;
  t.softplus_cycles = ceil_div(softplus, s.softplus_units) * l;
  t.dequant_cycles = ceil_div(dequants, s.dequant_lanes) * l;
  const Cycles fill = s.softplus_latency + s.exp_latency + 2 * s.fma_latency;
  const Cycles bound = std::max({t.lane_cycles, t.exp_cycles, t.softplus_cycles, t.dequant_cycles});
  t.total = bound + fill;
  t.exp_stall = std::max<Cycles>(0, t.exp_cycles - std::max(t.lane_cycles, t.dequant_cycles));
  t.softplus_stall = std::max<Cycles>(
      0, t.softplus_cycles - std::max({t.lane_cycles, t.dequant_cycles, t.exp_cycles}));
  return t;
}

std::vector<std::string> fusion_placement(const LayerProgram& p, std::int64_t tokens, std::int64_t capacity) {
  struct Live {
    std::string name;
    std::size_t first, last;
    std::int64_t bytes;
  };
  std::vector<Live> placed;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < p.ops.size(); ++i)
    for (const std::string& t : p.ops[i].outputs) {
      std::size_t last = i;
      for (std::size_t k = i + 1; k < p.ops.size(); ++k)
        if (std::find(p.ops[k].inputs.begin(), p.ops[k].inputs.end(), t) != p.ops[k].inputs.end()) last = k;
      if (last == i) continue;  // no later op reads it: the layer's output, for the host or the next layer
      const std::int64_t bytes = p.tensor(t).bytes(tokens);
      // The most bytes live at once during [i, last] among those placed (they are live over intervals of ops).
      std::int64_t peak = 0;
      for (std::size_t k = i; k <= last; ++k) {
        std::int64_t live = 0;
        for (const Live& l : placed)
          if (l.first <= k && k <= l.last) live += l.bytes;
        peak = std::max(peak, live);
      }
      if (peak + bytes > capacity) continue;
      placed.push_back({t, i, last, bytes});
      out.push_back(t);
    }
  return out;
}

Cycles dram_transfer_cycles(std::int64_t bytes, double bytes_per_cycle) {
  if (bytes <= 0) return 0;
  return static_cast<Cycles>(std::ceil(static_cast<double>(bytes) / bytes_per_cycle - 1e-9));
}

}  // namespace mambahw::model
