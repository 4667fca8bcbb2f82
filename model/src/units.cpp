#include "mambahw/model/units.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace mambahw::model {

using cost::Counter;
using cost::Stall;
using sc_core::sc_time;

std::int64_t region_bytes(const OutputRegion& r, std::int64_t columns, std::int64_t len) {
  return (columns * len * r.element_bits + 7) / 8;
}

namespace {

// A tile takes `work`; time the Verilated RTL spent in its own (fast) clock
// domain inside a hook is part of it, not added to it.
void wait_remaining(const sc_time& work, const sc_time& hook_start) {
  const sc_time spent = sc_core::sc_time_stamp() - hook_start;
  if (work > spent) sc_core::wait(work - spent);
}

Cycles to_cycles(const sc_time& t, const sc_time& period) { return static_cast<Cycles>(t / period + 0.5); }

RtlTile analytic(const ChannelTile& t, int len) {
  return {static_cast<Cycles>(t.c_len) * len, static_cast<std::int64_t>(t.c_len) * len};
}

// A tile's share [a, b) of n of the program's counters of a unit, without
// the counters the unit counts itself from the tile.
cost::UnitCounters program_share(const cost::UnitCounters& op, std::int64_t a, std::int64_t b, std::int64_t n,
                                 std::initializer_list<Counter> own) {
  cost::UnitCounters c = op.share(a, b, n);
  for (Counter k : own) c[k] = 0;
  return c;
}

const cost::UnitCounters& of(const OpCounters& p, Unit u) { return p[static_cast<std::size_t>(u)]; }

}  // namespace

// ---- conv unit ------------------------------------------------------------------------

ConvUnit::ConvUnit(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles ConvUnit::run(const ConvJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  const std::int64_t len = j.len;
  cost::UnitCounters& conv = ev_.at(Unit::kConvUnit);
  cost::UnitCounters& quant = ev_.at(Unit::kConvOutQuantizer);
  cost::UnitCounters& lookup = ev_.at(Unit::kScaleIndexLookup);
  std::vector<ChannelTile> tiles;
  for (int c0 = 0; c0 < j.channels; c0 += hw_.conv.lanes) tiles.push_back({c0, std::min(hw_.conv.lanes, j.channels - c0)});

  // The lookup unit fetches one scale per channel of the tile; the SSM-input
  // channels' fetches are the scale lookups (a register or the index SRAM).
  auto lookups = [&](const ChannelTile& t) {
    Cycles c = 0;
    for (int ch = t.c0; ch < t.c0 + t.c_len; ++ch) {
      if (j.lookup_cycles) c += j.lookup_cycles(ch);
      if (ch < j.ssm_channels) ++lookup[Counter::kLookup];
    }
    return c;
  };
  auto request = [&](const ChannelTile& t) {
    return sc_core::sc_time_stamp() +
           dram_access(dram, false, j.input + static_cast<std::uint64_t>(t.c0 * len), t.c_len * len, conv);
  };
  const sc_time weights_ready = t0 + dram_access(dram, false, j.weights, j.weight_bytes, conv);
  sc_time ready = std::max(request(tiles[0]), weights_ready);
  const Cycles first_lookups = lookups(tiles[0]);
  sc_time lookups_done = t0 + static_cast<double>(first_lookups) * period_;
  lookup_.busy += first_lookups;

  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const ChannelTile& t = tiles[i];
    const sc_time now = sc_core::sc_time_stamp();
    const sc_time start = std::max({now, ready, lookups_done});
    if (start > now) {
      // Attribute the wait to whichever resource was later.
      (lookups_done >= ready ? lookup_.stall(Stall::kLookupLatency) : stats_.stall(Stall::kDramBandwidth)) +=
          to_cycles(start - now, period_);
      wait(start - now);
    }
    const Cycles lk = i + 1 < tiles.size() ? lookups(tiles[i + 1]) : 0;  // the lookup unit runs one tile ahead
    lookup_.busy += lk;
    lookups_done = start + static_cast<double>(lk) * period_;
    if (i + 1 < tiles.size()) ready = request(tiles[i + 1]);

    const sc_time hook_start = sc_core::sc_time_stamp();
    const RtlTile q = j.quantize ? j.quantize(t) : analytic(t, j.len);
    const Cycles work = len + hw_.conv.pipeline_depth + q.overhead();
    wait_remaining(static_cast<double>(work) * period_, hook_start);
    stats_.busy += work;

    // Each output region takes the tile's channels it holds.
    const std::int64_t a = t.c0, b = t.c0 + t.c_len;
    for (const OutputRegion& r : j.outputs) {
      const std::int64_t lo = std::max(a, r.begin), hi = std::min(b, r.end);
      if (hi <= lo) continue;
      const std::int64_t off = region_bytes(r, lo - r.begin, len);
      (void)dram_access(dram, true, r.address + static_cast<std::uint64_t>(off),
                        region_bytes(r, hi - r.begin, len) - off, quant);
      if (r.element_bits != 8) quant[Counter::kMuxSelect] += (hi - lo) * len;  // flag + pack per dual-scale word
    }
    conv[Counter::kMacInt8] += t.c_len * len * j.width;
    conv += program_share(of(j.program, Unit::kConvUnit), a, b, j.channels, {Counter::kMacInt8});
    quant += program_share(of(j.program, Unit::kConvOutQuantizer), a, b, j.channels, {Counter::kMuxSelect});
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

// ---- SSM core -------------------------------------------------------------------------

SsmCore::SsmCore(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles SsmCore::run(const SsmJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  const std::int64_t len = j.len;
  cost::UnitCounters& core = ev_.at(Unit::kSsmCore);
  cost::UnitCounters& dq = ev_.at(Unit::kSsmDequant);
  const cost::UnitCounters& prog_core = of(j.program, Unit::kSsmCore);
  const int tile_ch = hw_.ssm.dequant_lanes;  // one token of a tile per dequant cycle
  std::vector<ChannelTile> tiles;
  for (int c0 = 0; c0 < j.channels; c0 += tile_ch) tiles.push_back({c0, std::min(tile_ch, j.channels - c0)});

  const OutputRegion u{j.u, 0, j.channels, j.u_bits};
  auto request = [&](const ChannelTile& t) {
    const std::int64_t off = region_bytes(u, t.c0, len);
    sc_time r = dram_access(dram, false, j.u + static_cast<std::uint64_t>(off),
                            region_bytes(u, t.c0 + t.c_len, len) - off, dq);
    const std::int64_t d0 = t.c0 / j.delta_group, d1 = (t.c0 + t.c_len + j.delta_group - 1) / j.delta_group;
    r = std::max(r, dram_access(dram, false, j.delta + static_cast<std::uint64_t>(d0 * len), (d1 - d0) * len, core));
    r = std::max(r, dram_access(dram, false, j.z + static_cast<std::uint64_t>(t.c0 * len), t.c_len * len, core));
    return sc_core::sc_time_stamp() + r;
  };
  // B, C and the parameters stay on chip for the whole op.
  const sc_time on_chip_ready = t0 + std::max(dram_access(dram, false, j.bc, j.bc_bytes, core),
                                              dram_access(dram, false, j.params, j.params_bytes, core));
  sc_time ready = std::max(request(tiles[0]), on_chip_ready);

  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const ChannelTile& t = tiles[i];
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      stats_.stall(Stall::kDramBandwidth) += to_cycles(ready - now, period_);
      wait(ready - now);
    }
    if (i + 1 < tiles.size()) ready = request(tiles[i + 1]);

    const sc_time hook_start = sc_core::sc_time_stamp();
    const RtlTile dqt = j.dequant ? j.dequant(t) : analytic(t, j.len);
    // The tile's share of the op: its steps it counts, its exp and softplus
    // evaluations (per token: the rate the units must sustain) are the program's.
    const cost::UnitCounters share = program_share(prog_core, t.c0, t.c0 + t.c_len, j.channels, {Counter::kSsmStep});
    const std::int64_t steps = static_cast<std::int64_t>(t.c_len) * j.d_state;
    auto tile_share = [&](std::int64_t n) { return cost::UnitCounters::share_of(n, t.c0, t.c0 + t.c_len, j.channels); };
    const std::int64_t dequants = 3LL * t.c_len + 2LL * j.d_state;  // u, delta, z; B and C
    const SsmTileTiming tm = ssm_tile_timing(steps, tile_share(j.exp_per_token), tile_share(j.softplus_per_token),
                                             dequants, j.len, hw_.ssm);
    // Per-pass evaluations (constants) pass through the exp units once.
    const Cycles pass_cycles = ceil_div(tile_share(j.exp_per_pass), hw_.ssm.exp_units);
    const Cycles work = tm.total + pass_cycles + dqt.overhead();
    wait_remaining(static_cast<double>(work) * period_, hook_start);
    stats_.busy += work - tm.exp_stall - tm.softplus_stall;
    stats_.stall(Stall::kExpThroughput) += tm.exp_stall;
    stats_.stall(Stall::kSoftplusThroughput) += tm.softplus_stall;
    dequant_.busy += tm.dequant_cycles;

    (void)dram_access(dram, true, j.y + static_cast<std::uint64_t>(t.c0 * len * 2), t.c_len * len * 2, core);  // FP16 y
    core[Counter::kSsmStep] += steps * len;
    core += share;
    if (j.dual_scale) dq[Counter::kMuxSelect] += t.c_len * len;
    dq += program_share(of(j.program, Unit::kSsmDequant), t.c0, t.c0 + t.c_len, j.channels, {Counter::kMuxSelect});
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

// ---- online Hadamard unit --------------------------------------------------------------

HadamardUnit::HadamardUnit(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles HadamardUnit::run(const HadamardJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  cost::UnitCounters& c = ev_.at(Unit::kHadamardUnit);
  const int tile = hw_.hadamard.tokens_per_tile;
  const std::int64_t n = j.n;
  auto request = [&](int tok) {
    const int count = std::min(tile, j.len - tok);
    return sc_core::sc_time_stamp() +
           dram_access(dram, false, j.y + static_cast<std::uint64_t>(tok * n * 2), count * n * 2, c);
  };
  sc_time ready = request(0);
  for (int tok = 0; tok < j.len; tok += tile) {
    const int count = std::min(tile, j.len - tok);
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      stats_.stall(Stall::kDramBandwidth) += to_cycles(ready - now, period_);
      wait(ready - now);
    }
    if (tok + tile < j.len) ready = request(tok + tile);
    const bool last = tok + tile >= j.len;
    const Cycles work = hadamard_tile_cycles(count, j.adds_per_token, hw_.hadamard) +
                        (last ? hw_.hadamard.pipeline_depth : 0);
    wait(static_cast<double>(work) * period_);
    stats_.busy += work;
    (void)dram_access(dram, true, j.out + static_cast<std::uint64_t>(tok * n), count * n, c);
    c += of(j.program, Unit::kHadamardUnit).share(tok, tok + count, j.len);
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

}  // namespace mambahw::model
