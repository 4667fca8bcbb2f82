#include "mambahw/model/units.hpp"

#include <algorithm>
#include <cmath>

namespace mambahw::model {

namespace {
// A tile takes `work`; time the Verilated RTL spent in its own (fast) clock
// domain inside a hook is part of it, not added to it.
void wait_remaining(const sc_core::sc_time& work, const sc_core::sc_time& hook_start) {
  const sc_core::sc_time spent = sc_core::sc_time_stamp() - hook_start;
  if (work > spent) sc_core::wait(work - spent);
}
}  // namespace


using sc_core::sc_time;

namespace {
Cycles to_cycles(const sc_time& t, const sc_time& period) { return static_cast<Cycles>(t / period + 0.5); }
RtlTile analytic(const ChannelTile& t, int len) {
  return {static_cast<Cycles>(t.c_len) * len, static_cast<std::int64_t>(t.c_len) * len};
}
}  // namespace

// ---- conv unit ------------------------------------------------------------------------

ConvUnit::ConvUnit(sc_core::sc_module_name name, const HardwareConfig& hw, Events& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles ConvUnit::run(const ConvJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  const std::int64_t len = j.len;
  std::vector<ChannelTile> tiles;
  for (int c0 = 0; c0 < j.channels; c0 += hw_.conv.lanes) tiles.push_back({c0, std::min(hw_.conv.lanes, j.channels - c0)});

  auto lookups = [&](const ChannelTile& t) {
    Cycles c = 0;
    if (j.lookup_cycles)
      for (int ch = t.c0; ch < t.c0 + t.c_len; ++ch) c += j.lookup_cycles(ch);
    return c;
  };
  auto request = [&](const ChannelTile& t) {
    return sc_core::sc_time_stamp() +
           dram_access(dram, false, j.input + static_cast<std::uint64_t>(t.c0 * len), t.c_len * len);
  };
  const sc_time weights_ready = t0 + dram_access(dram, false, j.weights, j.weight_bytes);
  sc_time ready = std::max(request(tiles[0]), weights_ready);
  sc_time lookups_done = t0 + static_cast<double>(lookups(tiles[0])) * period_;

  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const ChannelTile& t = tiles[i];
    const sc_time now = sc_core::sc_time_stamp();
    const sc_time start = std::max({now, ready, lookups_done});
    if (start > now) {
      // Attribute the wait to whichever resource was later.
      (lookups_done >= ready ? lookup_.stalls["lookup_latency"] : stats_.stalls["dram_bandwidth"]) +=
          to_cycles(start - now, period_);
      wait(start - now);
    }
    const Cycles lk = i + 1 < tiles.size() ? lookups(tiles[i + 1]) : 0;  // lookup unit runs one tile ahead
    lookup_.busy += lk + (i == 0 ? lookups(tiles[0]) : 0);
    lookups_done = start + static_cast<double>(lk) * period_;
    if (i + 1 < tiles.size()) ready = request(tiles[i + 1]);

    const sc_time hook_start = sc_core::sc_time_stamp();
    const RtlTile q = j.quantize ? j.quantize(t) : analytic(t, j.len);
    const Cycles work = len + hw_.conv.pipeline_depth + q.overhead();
    wait_remaining(static_cast<double>(work) * period_, hook_start);
    stats_.busy += work;

    const std::int64_t n = t.c_len * len;
    const int int8_c0 = std::max(t.c0, j.int8_begin);
    const std::int64_t n8 = std::max(0, t.c0 + t.c_len - int8_c0) * len;
    if (n8 > 0) (void)dram_access(dram, true, j.out_int8 + static_cast<std::uint64_t>(int8_c0 * len), n8);
    const int dual_ch = std::max(0, std::min(t.c0 + t.c_len, j.dual_channels) - t.c0);
    if (dual_ch > 0) {
      const std::int64_t bits = static_cast<std::int64_t>(dual_ch) * len * j.dual_word_bits;
      (void)dram_access(dram, true, j.out_dual + static_cast<std::uint64_t>(t.c0 * len * j.dual_word_bits / 8),
                        (bits + 7) / 8);
      ev_.add("quantizer_dual_elements", dual_ch * len);
    }
    ev_.add("conv_mac_int8", n * j.width);
    ev_.add("fp32_fma", n);              // scale_in * acc + bias
    ev_.add("exp", n);                   // SiLU
    ev_.add("fp32_add", n);              // 1 + e
    ev_.add("fp32_div", n);              // y / (1 + e)
    ev_.add("quantizer_int8_elements", n8);
    ev_.add("fp32_mul", n8 + 2LL * dual_ch * len);  // x * inv_scale (dual: two scales)
  }
  const Cycles total = to_cycles(sc_core::sc_time_stamp() - t0, period_);
  return total;
}

// ---- SSM core -------------------------------------------------------------------------

SsmCore::SsmCore(sc_core::sc_module_name name, const HardwareConfig& hw, Events& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles SsmCore::run(const SsmJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  const std::int64_t len = j.len;
  const int tile_ch = hw_.ssm.dequant_lanes;  // one token of a tile per dequant cycle
  std::vector<ChannelTile> tiles;
  for (int c0 = 0; c0 < j.channels; c0 += tile_ch) tiles.push_back({c0, std::min(tile_ch, j.channels - c0)});

  auto request = [&](const ChannelTile& t) {
    const std::int64_t n = t.c_len * len;
    const auto u_bytes = static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * j.u_bits / 8.0));
    sc_time r = dram_access(dram, false, j.u + static_cast<std::uint64_t>(static_cast<double>(t.c0 * len) * j.u_bits / 8.0), u_bytes);
    const std::int64_t d0 = t.c0 / j.delta_group, d1 = (t.c0 + t.c_len + j.delta_group - 1) / j.delta_group;
    r = std::max(r, dram_access(dram, false, j.delta + static_cast<std::uint64_t>(d0 * len), (d1 - d0) * len));
    r = std::max(r, dram_access(dram, false, j.z + static_cast<std::uint64_t>(t.c0 * len), n));
    return sc_core::sc_time_stamp() + r;
  };
  const sc_time bc_ready = t0 + dram_access(dram, false, j.bc, j.bc_bytes);  // B, C stay on chip
  sc_time ready = std::max(request(tiles[0]), bc_ready);

  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const ChannelTile& t = tiles[i];
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      stats_.stalls["dram_bandwidth"] += to_cycles(ready - now, period_);
      wait(ready - now);
    }
    if (i + 1 < tiles.size()) ready = request(tiles[i + 1]);

    const sc_time hook_start = sc_core::sc_time_stamp();
    const RtlTile dq = j.dequant ? j.dequant(t) : analytic(t, j.len);
    if (j.scan) (void)j.scan(t);
    const std::int64_t steps = static_cast<std::int64_t>(t.c_len) * j.d_state;
    const auto exps = static_cast<std::int64_t>(std::ceil(t.c_len * j.exps_per_channel - 1e-9));
    const auto softplus = static_cast<std::int64_t>(std::ceil(t.c_len * j.softplus_per_channel - 1e-9));
    const std::int64_t dequants = 3LL * t.c_len + 2LL * j.d_state;  // u, delta, z; B and C
    const SsmTileTiming tm = ssm_tile_timing(steps, exps, softplus, dequants, j.len, hw_.ssm);
    const Cycles work = tm.total + dq.overhead();
    wait_remaining(static_cast<double>(work) * period_, hook_start);
    stats_.busy += work - tm.exp_stall - tm.softplus_stall;
    stats_.stalls["exp_throughput"] += tm.exp_stall;
    stats_.stalls["softplus_throughput"] += tm.softplus_stall;
    dequant_.busy += tm.dequant_cycles;

    const std::int64_t n = t.c_len * len;
    (void)dram_access(dram, true, j.y + static_cast<std::uint64_t>(t.c0 * len * 2), n * 2);  // FP16 y
    ev_.add("dequant", dequants * len);
    ev_.add("exp", exps * len);
    ev_.add("softplus", softplus * len);
    ev_.add("fp32_mul", 3 * steps * len + 2 * n);  // delta*A, delta*B, *u; D*u, gate
    ev_.add("fp32_fma", 2 * steps * len);          // h = dA*h + dBu; y += C*h
    ev_.add("ssm_steps", steps * len);
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

// ---- online Hadamard unit --------------------------------------------------------------

HadamardUnit::HadamardUnit(sc_core::sc_module_name name, const HardwareConfig& hw, Events& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles HadamardUnit::run(const HadamardJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  const int tile = hw_.hadamard.tokens_per_tile;
  const std::int64_t n = j.n;
  auto request = [&](int tok) {
    const int count = std::min(tile, j.len - tok);
    return sc_core::sc_time_stamp() +
           dram_access(dram, false, j.y + static_cast<std::uint64_t>(tok * n * 2), count * n * 2);
  };
  sc_time ready = request(0);
  for (int tok = 0; tok < j.len; tok += tile) {
    const int count = std::min(tile, j.len - tok);
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      stats_.stalls["dram_bandwidth"] += to_cycles(ready - now, period_);
      wait(ready - now);
    }
    if (tok + tile < j.len) ready = request(tok + tile);
    const bool last = tok + tile >= j.len;
    const Cycles work = hadamard_tile_cycles(count, j.adds_per_token, hw_.hadamard) +
                        (last ? hw_.hadamard.pipeline_depth : 0);
    wait(static_cast<double>(work) * period_);
    stats_.busy += work;
    (void)dram_access(dram, true, j.out + static_cast<std::uint64_t>(tok * n), count * n);
    ev_.add("hadamard_add", count * j.adds_per_token);
    ev_.add("hadamard_elements", count * n);  // one multiply by 1/sqrt(n)/s_H and one INT8 conversion each
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

}  // namespace mambahw::model
