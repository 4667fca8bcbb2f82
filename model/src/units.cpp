#include "mambahw/model/units.hpp"

#include <algorithm>
#include <cstring>
#include <array>
#include <bit>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>

#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/units.hpp"
#include "mambahw/golden/vector_clones.hpp"

namespace mambahw::model {

using cost::Counter;
using cost::Stall;
using sc_core::sc_time;

std::int64_t region_bytes(const OutputRegion& r, std::int64_t columns, std::int64_t len) {
  return (columns * len * r.element_bits + 7) / 8;
}

std::int64_t column_offset(const OutputRegion& r, std::int64_t column, std::int64_t len) {
  const std::int64_t bits = column * len * r.element_bits;
  if (bits % 8)
    throw std::logic_error("tensor '" + r.tensor + "': column " + std::to_string(column) + " of " +
                           std::to_string(r.element_bits) + "-bit elements at " + std::to_string(len) +
                           " tokens starts inside a byte; tiles of packed words must end on byte boundaries");
  return bits / 8;
}

RtlTile scale_index_model(const LookupTile& t, LookupImpl impl) {
  const ScaleTableShape& s = t.shape;
  const IndexSramLayout l = index_sram_layout(s);
  auto word = [&](IndexSramArray a, std::int64_t i) { return static_cast<int>(index_sram_word(t.sram, l, a, i)); };
  const int per_group = s.heads_per_group * s.headdim;
  // First k of n ranges (cumulative ends end(k), starting at 0) holding v;
  // `compares` counts the sequential search's comparisons up to its exit.
  auto search = [&](int n, int v, auto end, int& compares) {
    int lo = 0, hit = -1;
    for (int k = 0; k < n; ++k) {
      const int hi = end(k);
      if (impl == LookupImpl::kSequential) ++compares;
      if (v >= lo && v < hi) {
        hit = k;
        break;
      }
      lo = hi;
    }
    return hit;
  };
  RtlTile r{0, static_cast<std::int64_t>(t.channel.size())};
  for (std::size_t i = 0; i < t.channel.size(); ++i) {
    const int c = t.channel[i], g = c / per_group, head = c % per_group / s.headdim, dim = c % s.headdim;
    int compares = 0;
    ScaleLookup& out = t.result[i];
    out = {};
    if (c < s.ngroups * per_group) {
      out.hg = search(s.head_groups, head, [&](int k) { return word(IndexSramArray::kHeadRange, static_cast<std::int64_t>(g) * s.head_groups + k); }, compares);
      if (out.hg >= 0) {
        const std::int64_t row = (static_cast<std::int64_t>(g) * s.head_groups + out.hg) * s.dim_groups;
        out.dg = search(s.dim_groups, dim, [&](int k) { return word(IndexSramArray::kDimRange, row + k); }, compares);
      }
      if (out.found()) out.scale = static_cast<std::uint32_t>(word(IndexSramArray::kScale,
                                       (static_cast<std::int64_t>(g) * s.head_groups + out.hg) * s.dim_groups + out.dg));
    }
    r.cycles += impl == LookupImpl::kSequential ? compares + 2 : 0;
  }
  if (impl == LookupImpl::kParallel) r.cycles = r.elements + 3;
  return r;
}

namespace {

// A tile takes `work` from `hook_start`; time spent waiting since (the next
// tile's request, which may wait for its producer) is part of it, not added
// to it. The RTL hooks take no SystemC time (rtl_blocks.hpp).
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

// Bytes a unit wrote into and read out of one of its buffers' memories
// (cost/unit_buffers.hpp names them), as 8-bit accesses; the energy report
// prices them at the memory's macro and width (cost::state_memories).
void count_buffer(cost::EventCounts& ev, const char* memory, Unit u, std::int64_t read_bytes, std::int64_t write_bytes) {
  ev.add_sram({memory, u, cost::MemImpl::kSram, 0, 8, static_cast<double>(read_bytes), static_cast<double>(write_bytes)});
}

}  // namespace

// ---- conv unit: datapath -------------------------------------------------------------

namespace {

// The scale of a B or C channel: its SSD group's scale register.
float group_scale(const ConvJob& j, int ch) {
  const IndexSram& x = *j.data->conv.index;
  const int bc = ch - j.d_inner, gn = j.bc_group_channels, groups = static_cast<int>(x.b_scales.size());
  return bc < groups * gn ? x.b_scales[static_cast<std::size_t>(bc / gn)]
                          : x.c_scales[static_cast<std::size_t>((bc - groups * gn) / gn)];
}

// The taps: each lane streams its channel's tokens in token tiles; the conv
// state (the last width - 1 inputs) carries from one token tile to the next.
void conv_taps(const ChannelTile& t, std::span<const std::uint8_t> in, const Bytes& weights, const ConvJob& j, int tile,
               std::span<std::uint8_t> line, std::vector<float>& y) {
  const ConvRegisters& r = j.data->conv;
  const int W = j.width, len = j.len;
  const bool drop = j.data->variant.conv_state_dropped;
  std::vector<std::int8_t> window(static_cast<std::size_t>(W)), state(static_cast<std::size_t>(W - 1));
  for (int ch = 0; ch < t.c_len; ++ch) {
    const ConvChannelWeights w = conv_channel_weights(weights, t.c0 + ch, W);
    const auto* x = reinterpret_cast<const std::int8_t*>(in.data()) + static_cast<std::ptrdiff_t>(ch) * len;
    auto* kept = reinterpret_cast<std::int8_t*>(line.data()) + static_cast<std::ptrdiff_t>(t.c0 + ch) * (W - 1);
    std::copy_n(kept, W - 1, state.begin());  // the line buffer's state (zeros for a fresh sequence)
    for (int t0 = 0; t0 < len; t0 += tile) {
      const int t1 = std::min(len, t0 + tile);
      if (drop) std::fill(state.begin(), state.end(), std::int8_t{0});
      for (int tok = t0; tok < t1; ++tok) {
        for (int k = 0; k < W; ++k) {
          const int src = tok - (W - 1) + k;
          window[static_cast<std::size_t>(k)] = src >= t0 ? x[src] : state[static_cast<std::size_t>(src - t0 + W - 1)];
        }
        y[static_cast<std::size_t>(ch * len + tok)] =
            conv_pre_activation(w.taps.data(), window.data(), W, w.consts, r.order, r.numerics.denormals);
      }
      for (int k = 0; k < W - 1; ++k) {  // the state after this tile: its last width - 1 inputs
        const int src = t1 - (W - 1) + k;
        state[static_cast<std::size_t>(k)] = src >= t0 ? x[src] : state[static_cast<std::size_t>(src - t0 + W - 1)];
      }
    }
    std::copy_n(state.begin(), W - 1, kept);
    // The SiLU stage over the channel's tokens (silu_batch: silu's bits per element).
    float* yc = y.data() + static_cast<std::size_t>(ch) * static_cast<std::size_t>(len);
    silu_batch(yc, yc, static_cast<std::size_t>(len), r.numerics);
  }
}

// The conv-output quantizer when the RTL is not in the loop: golden's quantizer functions per element.
void quantize_model(const ChannelTile& t, std::span<const float> y, std::span<const float> inv,
                    std::span<std::uint8_t> code, std::span<std::uint16_t> word, const ConvJob& j) {
  const ConvRegisters& r = j.data->conv;
  const std::size_t len = static_cast<std::size_t>(j.len);
  for (int ch = 0; ch < t.c_len; ++ch) {
    const float sc = (*j.channel_scale)[static_cast<std::size_t>(t.c0 + ch)];
    for (std::size_t k = 0; k < len; ++k) {
      const std::size_t i = static_cast<std::size_t>(ch) * len + k;
      code[i] = static_cast<std::uint8_t>(quantize(y[i], sc, inv[i], r.numerics, kInt8Range));
      if (r.dual && t.c0 + ch < j.d_inner) word[i] = pack_dual(quantize_dual(y[i], *r.dual, r.numerics), r.dual->code_bits());
    }
  }
}

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
  const bool compute = j.data != nullptr;
  const ConvRegisters* regs = compute ? &j.data->conv : nullptr;

  // The lookup unit fetches one scale per channel of the tile into the scale
  // register file; the SSM-input channels' fetches are the scale lookups (a
  // register, or Quamba2's search over the index SRAM's words). It runs one
  // tile ahead of the conv lanes; a tile whose lookups are not done when its
  // inputs are stalls the lanes (Stall::kLookupLatency).
  // The lookup unit's cycles for a tile are what the search took: the
  // Verilated scale_index_lookup's cycles when it is in the loop, else its
  // C++ model's (the same count, checked against the RTL); a B or C channel
  // reads its group's register in scale_index.read_cycles.
  const IndexSram* sram = j.index;
  std::vector<int> x_channels;
  std::vector<ScaleLookup> found;
  auto lookups = [&](const ChannelTile& t) {
    Cycles c = 0;
    x_channels.clear();
    for (int ch = t.c0; ch < t.c0 + t.c_len; ++ch) {
      if (ch < j.ssm_channels) ++lookup[Counter::kLookup];
      if (sram) {
        if (ch < j.d_inner) x_channels.push_back(ch);
        else c += hw_.scale_index.read_cycles;
      }
      if (!compute) continue;
      if (!sram) (*j.channel_scale)[static_cast<std::size_t>(ch)] = regs->scale[static_cast<std::size_t>(ch)];
      else if (ch >= j.d_inner) (*j.channel_scale)[static_cast<std::size_t>(ch)] = group_scale(j, ch);
    }
    if (!x_channels.empty()) {
      found.assign(x_channels.size(), {});
      const LookupTile lt{sram->words, sram->shape, x_channels, found};
      const RtlTile r = j.lookup ? j.lookup(lt) : scale_index_model(lt, hw_.scale_index.impl);
      c += r.cycles;
      if (compute)
        for (std::size_t k = 0; k < x_channels.size(); ++k) {
          const auto ch = static_cast<std::size_t>(x_channels[k]);
          (*j.channel_scale)[ch] = float_of(found[k].scale);
          if (j.lookups) (*j.lookups)[ch] = found[k];
        }
    }
    return c;
  };
  // The conv buffer: the line buffer [channels][width - 1], and the input
  // tiles, ping-pong, one channel tile [c_len][L] each.
  const std::span<std::uint8_t> line =
      buffer_.bytes("line buffer", static_cast<std::int64_t>(j.channels) * std::max(j.width - 1, 0));
  sc_time state_ready = t0;
  if (j.state_spilled && !j.state_fresh)  // the running layer and sequence's state, from DRAM
    state_ready += dram_access(dram, false, j.state_address, static_cast<std::int64_t>(line.size()), line.data(), conv);
  else if (j.state && j.state->size() == line.size())
    std::memcpy(line.data(), j.state->data(), line.size());  // the running layer and sequence's state
  else
    std::fill(line.begin(), line.end(), std::uint8_t{0});  // a fresh sequence
  std::array<std::span<std::uint8_t>, 2> in_buf;
  auto request = [&](std::size_t i) {
    const ChannelTile& t = tiles[i];
    std::span<std::uint8_t>& b = in_buf[i % 2];
    b = buffer_.bytes(i % 2 ? "input tile 1" : "input tile 0", t.c_len * len);
    count_buffer(ev_, cost::kConvInputTilesMemory, Unit::kConvUnit, 0, t.c_len * len);  // written as it arrives
    return sc_core::sc_time_stamp() +
           dram_access(dram, false, j.input + static_cast<std::uint64_t>(t.c0 * len), t.c_len * len, b.data(), conv);
  };
  Bytes weights(static_cast<std::size_t>(j.weight_bytes));
  const sc_time weights_ready = t0 + dram_access(dram, false, j.weights, j.weight_bytes, weights.data(), conv);
  sc_time ready = std::max({request(0), weights_ready, state_ready});
  const Cycles first_lookups = lookups(tiles[0]);
  sc_time lookups_done = t0 + static_cast<double>(first_lookups) * period_;
  lookup_.busy += first_lookups;

  std::vector<float> y, inv;
  std::vector<std::uint8_t> code;
  std::vector<std::uint16_t> word;
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
    const std::size_t n = static_cast<std::size_t>(t.c_len * len);
    if (compute) {  // the tile's scales are in the register file now; the next lookups overwrite other channels
      y.resize(n);
      inv.resize(n);
      conv_taps(t, in_buf[i % 2], weights, j, hw_.conv.token_tile, line, y);
      for (int ch = 0; ch < t.c_len; ++ch) {
        const float sc = (*j.channel_scale)[static_cast<std::size_t>(t.c0 + ch)];
        std::fill_n(inv.begin() + ch * len, len, inv_scale_register(sc, regs->numerics));
      }
    }
    const Cycles lk = i + 1 < tiles.size() ? lookups(tiles[i + 1]) : 0;  // the lookup unit runs one tile ahead
    lookup_.busy += lk;
    lookups_done = start + static_cast<double>(lk) * period_;
    // The tile's time runs from here: the next tile's request (which, in the
    // pipelined schedule, may wait for its producer) is inside it.
    const sc_time hook_start = sc_core::sc_time_stamp();
    if (i + 1 < tiles.size()) ready = request(i + 1);
    RtlTile q = analytic(t, j.len);
    if (compute) {
      code.assign(n, 0);
      word.assign(n, 0);
      if (j.quantize) q = j.quantize({t, y, inv, code, word});
      else quantize_model(t, y, inv, code, word, j);
    }
    const Cycles work = len + hw_.conv.pipeline_depth + q.overhead();
    wait_remaining(static_cast<double>(work) * period_, hook_start);
    stats_.busy += work;

    // Each output region takes the tile's channels it holds: INT8 codes, or dual-scale words.
    const std::int64_t a = t.c0, b = t.c0 + t.c_len;
    for (const OutputRegion& r : j.outputs) {
      const std::int64_t lo = std::max(a, r.begin), hi = std::min(b, r.end);
      if (hi <= lo) continue;
      const std::int64_t off = compute ? column_offset(r, lo - r.begin, len) : region_bytes(r, lo - r.begin, len);
      const std::int64_t bytes = region_bytes(r, hi - r.begin, len) - off;
      Bytes out(static_cast<std::size_t>(bytes), 0);
      if (compute)
        for (std::int64_t ch = lo; ch < hi; ++ch)
          for (std::int64_t k = 0; k < len; ++k) {
            const auto src = static_cast<std::size_t>((ch - a) * len + k);
            put_element(out, (ch - lo) * len + k, r.element_bits,
                        r.format == ElementFormat::kDualScale ? word[src] : code[src]);
          }
      (void)dram_access(dram, true, r.address + static_cast<std::uint64_t>(off), bytes, out.data(), quant);
      if (r.element_bits != 8) quant[Counter::kMuxSelect] += (hi - lo) * len;  // flag + pack per dual-scale word
    }
    // The lanes read each input of the tile once (the window shifts it through d_conv registers).
    count_buffer(ev_, cost::kConvInputTilesMemory, Unit::kConvUnit, t.c_len * len, 0);
    conv[Counter::kMacInt8] += t.c_len * len * j.width;
    conv += program_share(of(j.program, Unit::kConvUnit), a, b, j.channels, {Counter::kMacInt8});
    quant += program_share(of(j.program, Unit::kConvOutQuantizer), a, b, j.channels, {Counter::kMuxSelect});
  }
  // Kept for the next step of this layer and sequence: in the line buffer's
  // copy, or back in DRAM (posted; the next op's transfers queue behind it).
  if (j.state_spilled)
    (void)dram_access(dram, true, j.state_address, static_cast<std::int64_t>(line.size()), line.data(), conv);
  else if (j.state)
    j.state->assign(line.begin(), line.end());
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

// ---- SSM core -------------------------------------------------------------------------

SsmCore::SsmCore(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

// ---- SSM core: datapath ---------------------------------------------------------------

namespace {

// The operands of one SSM channel tile as they arrived in the core's
// buffers (regions of the tile buffer and the state buffer).
struct SsmTileBuffers {
  std::span<std::uint8_t> u, delta, z;
  std::span<std::uint32_t> h;  // the tile's FP32 states [c_len][d_state] in the state buffer
  bool carried = false;        // h holds the states before the tile's first token (else a fresh sequence)
  std::int64_t delta_row0 = 0;  // the first delta (Mamba2: dt) row of the buffer
};

// B and C as the lanes read them, dequantized once per op (they are the
// same for every channel tile): [group][token][state], B's and C's scale
// register times the code (an FP32 multiply, as each step would do it).
// Built only where the lanes' datapath runs (gradual underflow and the
// sequential reduction: each multiply is then the plain FP32 product).
struct SsmBcOperands {
  std::vector<float> b, c;
  std::size_t len = 0, n = 0;
  const float* b_at(std::size_t g, std::size_t tok) const { return b.data() + (g * len + tok) * n; }
  const float* c_at(std::size_t g, std::size_t tok) const { return c.data() + (g * len + tok) * n; }
};

// One token of one channel across the core's state lanes, Mamba1:
//   h[n] = fma(decay[n], h[n], fp32(b[n] * du));  then out = fma(h[n], c[n], out), n = 0..N-1
// (the sequential reduction: one FMA chain in state order). FP32 with
// gradual underflow: each operation rounds once, as ffma/fmul do with
// Denormals::kPreserve. The state updates are independent per n and
// vectorise; the chain stays in order.
MAMBAHW_VECTOR_CLONES
float mamba1_lanes_token(const float* __restrict decay, const float* __restrict b, float du,
                         const float* __restrict c, float out, float* __restrict h, std::size_t N) {
  for (std::size_t n = 0; n < N; ++n) h[n] = std::fma(decay[n], h[n], b[n] * du);
  for (std::size_t n = 0; n < N; ++n) out = std::fma(h[n], c[n], out);
  return out;
}

// Mamba2: h[n] = fma(dA, h[n], fp32(fp32(b[n] * dt) * x)); out = fma(h[n], c[n], out).
MAMBAHW_VECTOR_CLONES
float mamba2_lanes_token(float dA, float dt, float x, const float* __restrict b, const float* __restrict c, float out,
                         float* __restrict h, std::size_t N) {
  for (std::size_t n = 0; n < N; ++n) h[n] = std::fma(dA, h[n], (b[n] * dt) * x);
  for (std::size_t n = 0; n < N; ++n) out = std::fma(h[n], c[n], out);
  return out;
}

// The lanes' B and C for the op, or none where the general datapath runs
// (flush-to-zero, or a tree reduction: reduce_states' order).
std::optional<SsmBcOperands> ssm_bc_operands(const SsmJob& j, std::span<const std::uint8_t> bc) {
  const SsmRegisters& r = j.data->ssm;
  const StateReduction order = j.data->variant.reduction.value_or(r.policy.reduction);
  if (r.policy.denormals != Denormals::kPreserve || order != StateReduction::kSequential) return std::nullopt;
  const std::size_t L = static_cast<std::size_t>(j.len), N = static_cast<std::size_t>(j.d_state);
  const std::size_t G = j.mamba2 ? static_cast<std::size_t>(j.ngroups) : 1, GN = G * N;
  SsmBcOperands o{std::vector<float>(G * L * N), std::vector<float>(G * L * N), L, N};
  const std::size_t D = static_cast<std::size_t>(j.channels);
  for (std::size_t g = 0; g < G; ++g) {
    // Mamba1: one scale register for B and C; Mamba2: the group's B and C scales (the lookup's).
    const float sb = j.mamba2 ? (*j.channel_scale)[D + g * N] : r.bc_scale;
    const float sc = j.mamba2 ? (*j.channel_scale)[D + GN + g * N] : r.bc_scale;
    for (std::size_t n = 0; n < N; ++n) {
      const auto* qb = reinterpret_cast<const std::int8_t*>(bc.data()) + (g * N + n) * L;
      const auto* qc = reinterpret_cast<const std::int8_t*>(bc.data()) + (GN + g * N + n) * L;
      for (std::size_t tok = 0; tok < L; ++tok) {
        o.b[(g * L + tok) * N + n] = sb * static_cast<float>(qb[tok]);
        o.c[(g * L + tok) * N + n] = sc * static_cast<float>(qc[tok]);
      }
    }
  }
  return o;
}

// One tile of channels through the recurrence, token by token, with the
// tile's states in the state buffer; Mamba1 finishes each channel with the
// gate and writes FP16 y, Mamba2 leaves the tile's pre-norm y ([c_len][L]
// FP32 bits in `pre_norm`) for the norm stage.
void ssm_recurrence(const SsmJob& j, const ChannelTile& t, const SsmTileBuffers& b, std::span<const float> u,
                    std::span<const std::uint8_t> bc, const SsmBcOperands* lanes_bc, const SsmParams& prm,
                    std::span<std::uint16_t> y16, std::span<std::uint32_t> pre_norm, std::vector<float>& state) {
  const SsmRegisters& r = j.data->ssm;
  const SsmPolicy& sp = r.policy;
  const Denormals dn = sp.denormals;
  const UnitSelection& un = sp.units;
  const StateReduction order = j.data->variant.reduction.value_or(sp.reduction);  // the scheme's, unless overridden
  // A tree reduction is the core's: one adder tree over its lanes' products per cycle.
  const int lanes = j.data->variant.tree_width.value_or(j.lanes);
  const std::size_t L = static_cast<std::size_t>(j.len), N = static_cast<std::size_t>(j.d_state);
  auto code = [](std::span<const std::uint8_t> v, std::size_t i) { return static_cast<float>(static_cast<std::int8_t>(v[i])); };
  // The tile's states: carried in (b.h), or a fresh sequence; the lanes work
  // on them in `state` and leave them there.
  state.assign(static_cast<std::size_t>(t.c_len) * N, 0.0f);
  if (b.carried) std::transform(b.h.begin(), b.h.end(), state.begin(), [](std::uint32_t w) { return std::bit_cast<float>(w); });
  std::vector<float> cf(N), e(N), scratch, arg(N), decay(N);
  if (!j.mamba2) {
    std::vector<float> pre(L), delta(L), zf(L), nz(L), ez(L);
    // Mamba1: B rows [0, N), C rows [N, 2N) of bc; one delta row per channel.
    for (int ch = 0; ch < t.c_len; ++ch) {
      const auto d = static_cast<std::size_t>(t.c0 + ch);
      float* h = state.data() + static_cast<std::size_t>(ch) * N;
      const float dv = fmul(prm.d_scale, static_cast<float>(prm.d_skip[d]), dn);
      const float db = fmul(prm.delta_bias_scale, static_cast<float>(prm.delta_bias[d]), dn);
      for (std::size_t n = 0; n < N; ++n) arg[n] = fmul(prm.a_scale, static_cast<float>(prm.a_log[d * N + n]), dn);
      exp_unit_batch(un.exp, arg.data(), e.data(), N, dn);  // exp_unit's bits per element
      const std::size_t drow = (d - static_cast<std::size_t>(b.delta_row0)) * L;
      // The softplus unit's and the gate's exp over the channel's tokens at
      // once (the units' batch forms: their scalar forms' bits per element).
      for (std::size_t tok = 0; tok < L; ++tok) {
        pre[tok] = ffma(r.delta_scale, code(b.delta, drow + tok), db, dn);
        zf[tok] = fmul(r.z_scale, code(b.z, static_cast<std::size_t>(ch) * L + tok), dn);
        nz[tok] = -zf[tok];
      }
      softplus_batch(pre.data(), delta.data(), L, sp.softplus_threshold, dn, un);
      exp_unit_batch(un.exp, nz.data(), ez.data(), L, dn);
      for (std::size_t tok = 0; tok < L; ++tok) {
        const float x = ftz_if(u[static_cast<std::size_t>(ch) * L + tok], dn);
        const float dl = delta[tok];
        const float du = fmul(dl, x, dn);
        // The d_state exp evaluations of the token at once (exp_unit_batch: exp_unit's bits per element).
        for (std::size_t n = 0; n < N; ++n) arg[n] = -fmul(dl, e[n], dn);
        exp_unit_batch(un.exp, arg.data(), decay.data(), N, dn);
        float out;
        if (lanes_bc) {
          out = mamba1_lanes_token(decay.data(), lanes_bc->b_at(0, tok), du, lanes_bc->c_at(0, tok), fmul(dv, x, dn), h, N);
        } else {
          for (std::size_t n = 0; n < N; ++n) {
            const float bn = fmul(fmul(r.bc_scale, code(bc, n * L + tok), dn), du, dn);
            h[n] = ffma(decay[n], h[n], bn, dn);
            cf[n] = fmul(r.bc_scale, code(bc, (N + n) * L + tok), dn);
          }
          out = reduce_states(h, cf.data(), N, fmul(dv, x, dn), order, lanes, dn, scratch);
        }
        const float g = divide_as(fmul(out, zf[tok], dn), fadd(1.0f, ez[tok], dn), sp.gate_division, un.reciprocal, dn);
        y16[static_cast<std::size_t>(ch) * L + tok] = fp32_to_fp16(g);
      }
    }
    return;
  }
  // Mamba2: channel c is dim c % P of head c / P, which reads B and C of its SSD group.
  const int P = j.headdim, G = j.ngroups, hpg = j.nheads / G;
  const std::size_t GN = static_cast<std::size_t>(G) * N;
  const int D = j.channels;
  // A head's dt and dA per token are the same for its channels: with the
  // lanes' datapath, computed once per head of the tile (the same
  // operations on the same operands as per channel below).
  std::vector<float> head_dt, head_dA;
  int head_cached = -1;
  for (int ch = 0; ch < t.c_len; ++ch) {
    const int c = t.c0 + ch, hd = c / P, g = hd / hpg;
    float* h = state.data() + static_cast<std::size_t>(ch) * N;
    const float A = -exp_unit(un.exp, fmul(prm.a_scale, static_cast<float>(prm.a_log[static_cast<std::size_t>(hd)]), dn), dn);
    const float dv = fmul(prm.d_scale, static_cast<float>(prm.d_skip[static_cast<std::size_t>(hd)]), dn);
    const float sb = (*j.channel_scale)[static_cast<std::size_t>(D) + static_cast<std::size_t>(g) * N];
    const float sc = (*j.channel_scale)[static_cast<std::size_t>(D) + GN + static_cast<std::size_t>(g) * N];
    const std::size_t drow = static_cast<std::size_t>(hd - b.delta_row0) * L;
    if (lanes_bc) {
      if (head_cached != hd) {
        head_dt.resize(L);
        head_dA.resize(L);
        for (std::size_t tok = 0; tok < L; ++tok) {
          head_dt[tok] = softplus(fadd(fmul(r.delta_scale, code(b.delta, drow + tok), dn), prm.dt_bias[static_cast<std::size_t>(hd)], dn),
                                  sp.softplus_threshold, dn, un);
          head_dA[tok] = exp_unit(un.exp, fmul(head_dt[tok], A, dn), dn);
        }
        head_cached = hd;
      }
      for (std::size_t tok = 0; tok < L; ++tok) {
        const float xv = u[static_cast<std::size_t>(ch) * L + tok];
        const auto gs = static_cast<std::size_t>(g);
        pre_norm[static_cast<std::size_t>(ch) * L + tok] = std::bit_cast<std::uint32_t>(mamba2_lanes_token(
            head_dA[tok], head_dt[tok], xv, lanes_bc->b_at(gs, tok), lanes_bc->c_at(gs, tok), fmul(dv, xv, dn), h, N));
      }
      continue;
    }
    for (std::size_t tok = 0; tok < L; ++tok) {
      const float xv = ftz_if(u[static_cast<std::size_t>(ch) * L + tok], dn);
      const float dt = softplus(fadd(fmul(r.delta_scale, code(b.delta, drow + tok), dn), prm.dt_bias[static_cast<std::size_t>(hd)], dn),
                                sp.softplus_threshold, dn, un);
      const float dA = exp_unit(un.exp, fmul(dt, A, dn), dn);
      for (std::size_t n = 0; n < N; ++n) {
        const std::size_t row = static_cast<std::size_t>(g) * N + n;
        const float bdt = fmul(fmul(sb, code(bc, row * L + tok), dn), dt, dn);
        h[n] = ffma(dA, h[n], fmul(bdt, xv, dn), dn);
        cf[n] = fmul(sc, code(bc, (GN + row) * L + tok), dn);
      }
      pre_norm[static_cast<std::size_t>(ch) * L + tok] =
          std::bit_cast<std::uint32_t>(reduce_states(h, cf.data(), N, fmul(dv, xv, dn), order, lanes, dn, scratch));
    }
  }
}

// The dequant stage over a tile when the RTL is not in the loop: golden's dequant per element.
void dequant_model(const DequantTile& d, const SsmRegisters& r) {
  const Denormals dn = r.policy.denormals;
  for (std::size_t i = 0; i < d.word.size(); ++i)
    d.value[i] = d.dual ? dequant_dual(unpack_dual(d.word[i], r.dual->code_bits()), *r.dual, dn)
                        : dequant(static_cast<std::int8_t>(d.word[i]), d.scale[i], dn);
}

}  // namespace

Cycles SsmCore::run(const SsmJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  const std::int64_t len = j.len;
  cost::UnitCounters& core = ev_.at(Unit::kSsmCore);
  cost::UnitCounters& dq = ev_.at(Unit::kSsmDequant);
  const cost::UnitCounters& prog_core = of(j.program, Unit::kSsmCore);
  const int tile_ch = hw_.ssm.dequant_lanes;  // one token of a tile per dequant cycle
  std::vector<ChannelTile> tiles;
  for (int c0 = 0; c0 < j.channels; c0 += tile_ch) tiles.push_back({c0, std::min(tile_ch, j.channels - c0)});
  const bool compute = j.data != nullptr;
  // Mamba2 with the pre-norm y spilled: z feeds only the norm stage, which reads it itself.
  const bool spill = j.mamba2 && j.norm.spilled;
  const bool load_z = !spill;

  const OutputRegion u{j.u, 0, j.channels, j.u_bits, Layout::kChannelMajor,
                       j.dual_scale ? ElementFormat::kDualScale : ElementFormat::kInt8, "ssm input"};
  std::array<SsmTileBuffers, 2> buf;  // ping-pong: the next tile arrives while this one runs
  auto state_at = [&](const ChannelTile& t) {
    return j.state_address + static_cast<std::uint64_t>(t.c0) * static_cast<std::uint64_t>(j.d_state) * 4;
  };
  std::vector<float> tile_state;  // the tile's states after its last token
  auto request = [&](std::size_t i) {
    const ChannelTile& t = tiles[i];
    SsmTileBuffers& b = buf[i % 2];
    const bool odd = i % 2 == 1;
    const std::int64_t off = compute ? column_offset(u, t.c0, len) : region_bytes(u, t.c0, len);
    b.u = tiles_.bytes(odd ? "u tile 1" : "u tile 0", region_bytes(u, t.c0 + t.c_len, len) - off);
    sc_time r = dram_access(dram, false, j.u + static_cast<std::uint64_t>(off), static_cast<std::int64_t>(b.u.size()),
                            b.u.data(), dq);
    const std::int64_t d0 = t.c0 / j.delta_group, d1 = (t.c0 + t.c_len + j.delta_group - 1) / j.delta_group;
    b.delta_row0 = d0;
    b.delta = tiles_.bytes(odd ? "delta tile 1" : "delta tile 0", (d1 - d0) * len);
    r = std::max(r, dram_access(dram, false, j.delta + static_cast<std::uint64_t>(d0 * len), (d1 - d0) * len,
                                b.delta.data(), core));
    if (load_z) {
      b.z = tiles_.bytes(odd ? "z tile 1" : "z tile 0", t.c_len * len);
      r = std::max(r, dram_access(dram, false, j.z + static_cast<std::uint64_t>(t.c0 * len), t.c_len * len, b.z.data(), core));
    }
    // The operands are written into the tile buffer as they arrive.
    count_buffer(ev_, cost::kSsmTileMemory, Unit::kSsmCore, 0,
                 static_cast<std::int64_t>(b.u.size() + b.delta.size()) + (load_z ? t.c_len * len : 0));
    const std::int64_t n = static_cast<std::int64_t>(t.c_len) * j.d_state;
    const char* h_name = odd ? "states 1" : "states 0";
    b.h = state_.words(h_name, n);
    b.carried = j.state && !j.state_fresh;
    if (b.carried) {  // the tile's carried states: from DRAM when spilled (FP32 little-endian), else the layer's states
      const auto first = static_cast<std::size_t>(t.c0) * static_cast<std::size_t>(j.d_state);
      if (j.state_spilled)
        r = std::max(r, dram_access(dram, false, state_at(t), 4 * n, state_.bytes(h_name, 4 * n).data(), core));
      else
        for (std::size_t k = 0; k < b.h.size(); ++k) b.h[k] = std::bit_cast<std::uint32_t>((*j.state)[first + k]);
    }
    return sc_core::sc_time_stamp() + r;
  };
  // B, C and the parameters stay on chip for the whole op.
  const std::span<std::uint8_t> bc = tiles_.bytes("B and C", j.bc_bytes), params = tiles_.bytes("parameters", j.params_bytes);
  const sc_time on_chip_ready = t0 + std::max(dram_access(dram, false, j.bc, j.bc_bytes, bc.data(), core),
                                              dram_access(dram, false, j.params, j.params_bytes, params.data(), core));
  sc_time ready = std::max(request(0), on_chip_ready);
  // The parameters are written once and each read once when its channel's
  // tile starts (the lane keeps it); B and C are the ssm_bc_buffer's.
  count_buffer(ev_, cost::kSsmTileMemory, Unit::kSsmCore, j.params_bytes, j.params_bytes);
  SsmParams prm;
  if (compute) prm = read_ssm_params(params, j.shape);
  // Mamba2: the pre-norm y (FP32) and the gate's z stay on chip for the norm
  // stage, or (spilled) each tile's pre-norm y goes to DRAM.
  const std::int64_t norm_elems = j.mamba2 && !spill ? static_cast<std::int64_t>(j.channels) * len : 0;
  const std::span<std::uint32_t> pre_norm = norm_elems ? norm_.words("pre-norm y", norm_elems) : std::span<std::uint32_t>{};
  const std::span<std::uint8_t> z_all = norm_elems ? norm_.bytes("z", norm_elems) : std::span<std::uint8_t>{};
  std::vector<std::uint32_t> tile_y;  // spilled: the tile's pre-norm y on its way to DRAM
  std::vector<std::uint16_t> y16;
  std::vector<std::uint16_t> word;
  std::vector<float> scale, value;
  std::optional<SsmBcOperands> lanes_bc;  // the lanes' datapath's B and C (none: the general datapath)

  auto write_y = [&](const ChannelTile& t, std::span<const std::uint16_t> y) {
    Bytes out(static_cast<std::size_t>(t.c_len * len * 2), 0);
    for (std::size_t k = 0; k < y.size(); ++k) put_element(out, static_cast<std::int64_t>(k), 16, y[k]);
    (void)dram_access(dram, true, j.y + static_cast<std::uint64_t>(t.c0 * len * 2), t.c_len * len * 2, out.data(), core);  // FP16 y
  };

  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const ChannelTile& t = tiles[i];
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      stats_.stall(Stall::kDramBandwidth) += to_cycles(ready - now, period_);
      wait(ready - now);
    }
    const SsmTileBuffers& b = buf[i % 2];
    const std::size_t n = static_cast<std::size_t>(t.c_len * len);
    if (compute) {  // the tile's operands, decoded before the next tile's arrive in the other buffer
      word.resize(n);
      scale.resize(n);
      value.resize(n);
      for (std::size_t k = 0; k < n; ++k) word[k] = static_cast<std::uint16_t>(get_element(b.u, static_cast<std::int64_t>(k), j.u_bits));
      for (int ch = 0; ch < t.c_len; ++ch)
        std::fill_n(scale.begin() + ch * len, len, (*j.channel_scale)[static_cast<std::size_t>(t.c0 + ch)]);
    }
    const sc_time hook_start = sc_core::sc_time_stamp();  // as in the conv unit: the next request is inside the tile
    if (i + 1 < tiles.size()) ready = request(i + 1);
    RtlTile dqt = analytic(t, j.len);
    if (compute) {
      const DequantTile d{t, j.dual_scale, word, scale, value};
      if (j.dequant) dqt = j.dequant(d);
      else dequant_model(d, j.data->ssm);
      for (int ch = 0; ch < t.c_len; ++ch)
        std::copy_n(value.begin() + ch * len, len, &(*j.ssm_input)(static_cast<std::size_t>(t.c0 + ch), 0));
      y16.assign(n, 0);
      tile_y.assign(spill ? n : 0, 0);
      const std::span<std::uint32_t> tile_pre_norm =
          spill ? std::span<std::uint32_t>(tile_y) : pre_norm.empty() ? pre_norm : pre_norm.subspan(static_cast<std::size_t>(t.c0 * len), n);
      if (i == 0) lanes_bc = ssm_bc_operands(j, bc);  // B and C are on chip before the first tile runs
      ssm_recurrence(j, t, b, value, bc, lanes_bc ? &*lanes_bc : nullptr, prm, y16, tile_pre_norm, tile_state);
      if (j.mamba2 && !spill)
        std::copy_n(b.z.begin(), n, z_all.begin() + static_cast<std::ptrdiff_t>(t.c0) * len);
    }
    // The lanes read the tile's u and, per channel and token, its delta (dt) and z.
    count_buffer(ev_, cost::kSsmTileMemory, Unit::kSsmCore,
                 static_cast<std::int64_t>(b.u.size()) + static_cast<std::int64_t>(t.c_len) * len * (load_z ? 2 : 1), 0);
    if (j.mamba2 && !spill)  // the pre-norm y and z into the norm buffer
      count_buffer(ev_, cost::kNormMemory, Unit::kSsmCore, 0, static_cast<std::int64_t>(n) * cost::kNormBytesPerElement);
    // The tile's share of the op: its steps it counts, its exp and softplus
    // evaluations (per token: the rate the units must sustain) are the program's.
    const cost::UnitCounters share = program_share(prog_core, t.c0, t.c0 + t.c_len, j.channels, {Counter::kSsmStep});
    const std::int64_t steps = static_cast<std::int64_t>(t.c_len) * j.d_state;
    auto tile_share = [&](std::int64_t v) { return cost::UnitCounters::share_of(v, t.c0, t.c0 + t.c_len, j.channels); };
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

    // Mamba1's y leaves per tile; Mamba2's waits for the norm, which needs every channel of its group.
    if (!j.mamba2) write_y(t, y16);
    if (spill) {  // the tile's pre-norm y to DRAM, FP32 bits little-endian (zeros when timing only)
      tile_y.resize(n, 0);
      (void)dram_access(dram, true, j.pre_norm + static_cast<std::uint64_t>(t.c0 * len) * 4, 4 * static_cast<std::int64_t>(n),
                        reinterpret_cast<std::uint8_t*>(tile_y.data()), core);
    }
    // The lanes leave the tile's states in the state buffer.
    if (!compute) tile_state.assign(b.h.size(), 0.0f);
    std::transform(tile_state.begin(), tile_state.end(), b.h.begin(), [](float v) { return std::bit_cast<std::uint32_t>(v); });
    if (j.state) {  // they stay for the next token: in the layer's states, or back to DRAM
      if (j.state_spilled)
        (void)dram_access(dram, true, state_at(t), 4 * static_cast<std::int64_t>(b.h.size()),
                          reinterpret_cast<std::uint8_t*>(b.h.data()), core);
      else
        std::copy(tile_state.begin(), tile_state.end(), j.state->begin() + static_cast<std::ptrdiff_t>(t.c0) * j.d_state);
    }
    core[Counter::kSsmStep] += steps * len;
    core += share;
    if (j.dual_scale) dq[Counter::kMuxSelect] += t.c_len * len;
    dq += program_share(of(j.program, Unit::kSsmDequant), t.c0, t.c0 + t.c_len, j.channels, {Counter::kMuxSelect});
  }
  if (spill) {
    norm_from_dram(j, prm);
  } else if (j.mamba2) {
    // The gated RMSNorm stage: per token and norm group, over the channels' pre-norm y, then FP16 out.
    std::vector<std::uint16_t> y_all(compute ? static_cast<std::size_t>(j.channels * len) : 0);
    if (compute) {
      const SsmRegisters& r = j.data->ssm;
      const int gs = j.channels / j.ngroups;
      const std::size_t L = static_cast<std::size_t>(len);
      std::vector<float> yg(static_cast<std::size_t>(gs)), og(yg.size());
      std::vector<std::int8_t> zg(yg.size());
      for (int grp = 0; grp < j.ngroups; ++grp)
        for (std::size_t tok = 0; tok < L; ++tok) {
          for (int c = 0; c < gs; ++c) {
            const std::size_t ch = static_cast<std::size_t>(grp * gs + c);
            yg[static_cast<std::size_t>(c)] = std::bit_cast<float>(pre_norm[ch * L + tok]);
            zg[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(z_all[ch * L + tok]);
          }
          gated_rmsnorm_group(yg, zg, r.z_scale, std::span(prm.norm_w).subspan(static_cast<std::size_t>(grp * gs), yg.size()),
                              og, r.scheme);
          for (int c = 0; c < gs; ++c) y_all[static_cast<std::size_t>(grp * gs + c) * L + tok] = fp32_to_fp16(og[static_cast<std::size_t>(c)]);
        }
    }
    // The norm read every pre-norm y and z, and per (channel, token) its norm weight.
    count_buffer(ev_, cost::kNormMemory, Unit::kSsmCore, static_cast<std::int64_t>(j.channels) * len * cost::kNormBytesPerElement, 0);
    count_buffer(ev_, cost::kSsmTileMemory, Unit::kSsmCore, static_cast<std::int64_t>(j.channels) * len * 4, 0);
    for (const ChannelTile& t : tiles)
      write_y(t, compute ? std::span<const std::uint16_t>(y_all).subspan(static_cast<std::size_t>(t.c0 * len), static_cast<std::size_t>(t.c_len * len))
                         : std::span<const std::uint16_t>(y16.data(), 0));
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

// Per norm group, token tiles of the group's channels (cost::norm_tiling):
// the pre-norm y (FP32 bits, from the spill region) and z (INT8, from its
// tensor) arrive in the norm buffer as 2-D transfers of one row per
// channel; the gated RMSNorm per token (the same gated_rmsnorm_group over
// the same values as the on-chip stage); the FP16 y of the tile leaves as a
// 2-D transfer into the channel-major y.
void SsmCore::norm_from_dram(const SsmJob& j, const SsmParams& prm) {
  cost::UnitCounters& core = ev_.at(Unit::kSsmCore);
  const bool compute = j.data != nullptr;
  const std::int64_t len = j.len, gs = j.norm.channels, T = j.norm.tokens;
  if (T < 1 || gs < 1) throw cost::CapacityError(cost::capacity_message(norm_.spec(), norm_.capacity()));
  const auto g = static_cast<std::size_t>(gs);
  std::vector<float> yg(g), og(g);
  std::vector<std::int8_t> zg(g);
  for (std::int64_t c0 = 0; c0 < j.channels; c0 += gs)
    for (std::int64_t tok0 = 0; tok0 < len; tok0 += T) {
      const std::int64_t cnt = std::min(T, len - tok0), n = gs * cnt;
      const std::span<std::uint8_t> yb = norm_.bytes("pre-norm y", 4 * n), zb = norm_.bytes("z", n);
      const DramStride sy{static_cast<std::uint64_t>(4 * cnt), static_cast<std::uint64_t>(4 * len)};
      const DramStride sz{static_cast<std::uint64_t>(cnt), static_cast<std::uint64_t>(len)};
      const sc_time r = std::max(
          dram_access(dram, false, j.pre_norm + static_cast<std::uint64_t>(c0 * len + tok0) * 4, 4 * n, yb.data(), core, &sy),
          dram_access(dram, false, j.z + static_cast<std::uint64_t>(c0 * len + tok0), n, zb.data(), core, &sz));
      if (r > sc_core::SC_ZERO_TIME) {
        stats_.stall(Stall::kDramBandwidth) += to_cycles(r, period_);
        wait(r);
      }
      Bytes out(static_cast<std::size_t>(2 * n), 0);
      if (compute) {
        const SsmRegisters& reg = j.data->ssm;
        const std::span<const float> w = std::span<const float>(prm.norm_w).subspan(static_cast<std::size_t>(c0), g);
        for (std::int64_t tok = 0; tok < cnt; ++tok) {
          for (std::size_t c = 0; c < g; ++c) {
            const auto i = static_cast<std::int64_t>(c) * cnt + tok;
            yg[c] = get_f32(yb, static_cast<std::size_t>(4 * i));
            zg[c] = static_cast<std::int8_t>(zb[static_cast<std::size_t>(i)]);
          }
          gated_rmsnorm_group(yg, zg, reg.z_scale, w, og, reg.scheme);
          for (std::size_t c = 0; c < g; ++c)
            put_element(out, static_cast<std::int64_t>(c) * cnt + tok, 16, fp32_to_fp16(og[c]));
        }
      }
      const DramStride so{static_cast<std::uint64_t>(2 * cnt), static_cast<std::uint64_t>(2 * len)};
      (void)dram_access(dram, true, j.y + static_cast<std::uint64_t>(c0 * len + tok0) * 2, 2 * n, out.data(), core, &so);
      // The tile written into the norm buffer and read once by the norm; its norm weights per (channel, token).
      count_buffer(ev_, cost::kNormMemory, Unit::kSsmCore, n * cost::kNormBytesPerElement, n * cost::kNormBytesPerElement);
      count_buffer(ev_, cost::kSsmTileMemory, Unit::kSsmCore, 4 * n, 0);
    }
}

// ---- online Hadamard unit --------------------------------------------------------------

void hadamard_butterflies(std::span<float> v, int tokens, HadamardSize s, Denormals d, HadamardWiring wiring) {
  const std::size_t T = static_cast<std::size_t>(tokens), m = static_cast<std::size_t>(s.pow2),
                    k = static_cast<std::size_t>(s.base);
  if (v.size() != k * m * T) throw std::logic_error("hadamard_butterflies: tile size");
  auto add = [d](float a, float b) { return fadd(a, b, d); };
  auto sub = [d](float a, float b) { return fadd(a, -b, d); };  // a - b is a + (-b) in IEEE 754
  std::vector<std::size_t> halves;
  for (std::size_t half = 1; half < m; half <<= 1) halves.push_back(half);
  if (wiring == HadamardWiring::kStagesReversed) std::reverse(halves.begin(), halves.end());
  if (wiring == HadamardWiring::kLastStageSkipped && !halves.empty()) halves.pop_back();
  for (std::size_t half : halves)  // one radix-2 stage over the tile
    for (std::size_t block = 0; block < k; ++block)
      for (std::size_t b0 = 0; b0 < m; b0 += 2 * half)
        for (std::size_t j = b0; j < b0 + half; ++j) {
          float* x = v.data() + (block * m + j) * T;
          float* y = v.data() + (block * m + j + half) * T;
          for (std::size_t t = 0; t < T; ++t) {
            const float a = x[t], b = y[t];
            x[t] = add(a, b);
            y[t] = sub(a, b);
          }
        }
  if (k == 1) return;
  // The base stage: output block c = sum over c2 of sign(c, c2) * block c2, left to right.
  const std::vector<std::int8_t>& sign = hadamard_base(s.base);
  const std::vector<float> in(v.begin(), v.end());
  const std::size_t block = m * T;
  for (std::size_t c = 0; c < k; ++c) {
    float* out = v.data() + c * block;
    for (std::size_t i = 0; i < block; ++i) out[i] = sign[c * k] > 0 ? in[i] : -in[i];  // negation is exact
    for (std::size_t c2 = 1; c2 < k; ++c2) {
      const float* x = in.data() + c2 * block;
      if (sign[c * k + c2] > 0)
        for (std::size_t i = 0; i < block; ++i) out[i] = add(out[i], x[i]);
      else
        for (std::size_t i = 0; i < block; ++i) out[i] = sub(out[i], x[i]);
    }
  }
}

HadamardUnit::HadamardUnit(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

Cycles HadamardUnit::run(const HadamardJob& j) {
  const sc_time t0 = sc_core::sc_time_stamp();
  cost::UnitCounters& c = ev_.at(Unit::kHadamardUnit);
  const int tile = hw_.hadamard.tokens_per_tile;
  const std::int64_t n = j.n, L = j.len;
  const bool compute = j.data != nullptr;
  // y is channel-major: a tile of tokens is n rows of `count` FP16 values,
  // ping-pong in the Hadamard buffer.
  std::array<std::span<std::uint8_t>, 2> in_buf;
  auto request = [&](int tok) {
    const int count = static_cast<int>(std::min<std::int64_t>(tile, L - tok));
    const std::size_t which = static_cast<std::size_t>(tok / tile) % 2;
    std::span<std::uint8_t>& b = in_buf[which];
    b = buffer_.bytes(which ? "token tile 1" : "token tile 0", count * n * 2);
    const DramStride st{static_cast<std::uint64_t>(count * 2), static_cast<std::uint64_t>(L * 2)};
    return sc_core::sc_time_stamp() +
           dram_access(dram, false, j.y + static_cast<std::uint64_t>(tok * 2), count * n * 2, b.data(), c, &st);
  };
  std::vector<float> v;  // the tile through the butterfly network, [n][count]
  sc_time ready = request(0);
  for (int tok = 0; tok < j.len; tok += tile) {
    const int count = std::min(tile, j.len - tok);
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      stats_.stall(Stall::kDramBandwidth) += to_cycles(ready - now, period_);
      wait(ready - now);
    }
    // The tile through the butterfly network, then per value the multiplier
    // and the INT8 conversion (golden's scalar quantizer); codes out token-major.
    Bytes out(static_cast<std::size_t>(count * n), 0);
    if (compute) {
      const HadamardRegisters& r = *j.data->hadamard;
      const std::span<const std::uint8_t> b = in_buf[static_cast<std::size_t>(tok / tile) % 2];
      const std::size_t cnt = static_cast<std::size_t>(count);
      v.resize(static_cast<std::size_t>(n) * cnt);
      for (std::size_t i = 0; i < v.size(); ++i)  // FP16 widens exactly
        v[i] = fp16_to_fp32(static_cast<std::uint16_t>(get_element(b, static_cast<std::int64_t>(i), 16)));
      hadamard_butterflies(v, count, r.size, r.policy.denormals,
                           j.data->variant.hadamard_last_stage_skipped ? HadamardWiring::kLastStageSkipped : HadamardWiring::kSpec);
      const NumericsPolicy np{r.policy.rounding, QuantizeOp::kMultiplyReciprocal, r.policy.overflow, r.policy.denormals};
      for (std::size_t ch = 0; ch < static_cast<std::size_t>(n); ++ch)
        for (std::size_t k = 0; k < cnt; ++k)
          out[k * static_cast<std::size_t>(n) + ch] = static_cast<std::uint8_t>(
              code_of_scaled(fmul(v[ch * cnt + k], r.multiplier, r.policy.denormals), np, kInt8Range));
    }
    const sc_time tile_start = sc_core::sc_time_stamp();
    if (tok + tile < j.len) ready = request(tok + tile);
    const bool last = tok + tile >= j.len;
    const Cycles work = hadamard_tile_cycles(count, j.adds_per_token, hw_.hadamard) +
                        (last ? hw_.hadamard.pipeline_depth : 0);
    wait_remaining(static_cast<double>(work) * period_, tile_start);
    stats_.busy += work;
    (void)dram_access(dram, true, j.out + static_cast<std::uint64_t>(tok * n), count * n, out.data(), c);
    c += of(j.program, Unit::kHadamardUnit).share(tok, tok + count, j.len);
  }
  return to_cycles(sc_core::sc_time_stamp() - t0, period_);
}

}  // namespace mambahw::model
