#include "mambahw/model/gemm_array.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/model/gemm_fold.hpp"

#include "mambahw/cost/dataflow.hpp"

namespace mambahw::model {

using cost::Counter;
using sc_core::sc_time;

GemmArray::GemmArray(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

void count_fold_events(const HardwareConfig& hw, const GemmShape& g, const GemmFold& f, std::int64_t m_len,
                       bool weights_fetched, cost::UnitCounters& c, cost::EventCounts& e) {
  c[g.weight_bits == 4 ? Counter::kMacInt4 : Counter::kMacInt8] += m_len * f.k_len * f.n_len;
  c[Counter::kRegisterBits] += 2 * cost::kPsumBits * m_len * f.n_len;  // each sum read and written once per fold
  const cost::ArrayRegisterBits regs = cost::fold_register_bits(m_len, f.k_len, f.n_len, 8, 8);
  c[Counter::kArrayWeightBits] += regs.weight_load;
  c[Counter::kArrayOperandBits] += regs.operand;
  c[Counter::kArrayPsumBits] += regs.psum;
  // The weight tile is written into the buffer as it arrives from DRAM and read into the PEs.
  const double tile_words = static_cast<double>(f.weight_bytes) / 8.0;
  e.add_sram({"weight_buffer", Unit::kGemmArray, cost::MemImpl::kSram, hw.buffers.weight_kib * 1024.0, 64, tile_words,
              weights_fetched ? tile_words : 0.0});
  e.add_sram({"activation_buffer", Unit::kGemmArray, cost::MemImpl::kSram, hw.buffers.activation_kib * 1024.0, 64,
              static_cast<double>(m_len * f.k_len * g.in_bytes) / 8.0, 0});
}

GemmRun GemmArray::run(const GemmJob& j) {
  const GemmShape& g = j.shape;
  GemmRun r{j.op, g, plan_gemm(g, hw_.gemm), {}, {}, 0, 0};
  r.fixed = cost::fixed_mapping(g, hw_.gemm, hw_.buffers);
  r.mapping = cost::map_gemm(g, hw_.gemm, hw_.buffers, j.op);  // the fixed mapping competes in the search
  cost::UnitCounters& c = ev_.at(Unit::kGemmArray);
  const sc_time t0 = sc_core::sc_time_stamp();
  const auto& folds = r.plan.folds;
  const std::vector<GemmStep> steps = gemm_steps(r.plan, r.mapping, g, hw_.gemm);
  std::vector<std::int64_t> fold_offset(folds.size(), 0);  // each fold tile's place in the weight image
  for (std::size_t i = 1; i < folds.size(); ++i) fold_offset[i] = fold_offset[i - 1] + folds[i - 1].weight_bytes;
  // A weight block resident in the weight buffer (kWeightsOuter): the tiles fetched with its first token tile.
  std::vector<Bytes> resident(r.mapping.order == cost::GemmOrder::kWeightsOuter ? folds.size() : 0);

  const bool compute = j.regs != nullptr;
  const std::int64_t M = g.m, K = g.k, in_bits = 8 * g.in_bytes;
  // The activation buffer [M][K] (INT8 codes as the array consumes them), the
  // weight registers and their shadow copy, the scale memory of the
  // requantization unit, the INT32 accumulators of one column tile.
  std::vector<std::int8_t> act(compute ? static_cast<std::size_t>(M * K) : 0);
  // The weight registers, their shadow copy and, with gemm.prefetch_depth d,
  // d - 1 more tiles in flight: a ring of d + 1 tiles.
  const bool db = hw_.gemm.weight_double_buffer;
  const std::size_t ring = db ? static_cast<std::size_t>(std::max(hw_.gemm.prefetch_depth, 1)) + 1 : 1;
  std::vector<Bytes> tile_bytes(ring);
  Bytes slice, scale_bytes(static_cast<std::size_t>(std::max<std::int64_t>(j.scale_bytes, 0)));
  std::vector<std::int8_t> tile;
  // The accumulators per output: the shape's weight groups (the mapper sized
  // the token tile's sums with them), which the registers' groups must be.
  const std::int64_t G = g.weight_groups;
  const std::int64_t gsize = compute && j.regs->grouped ? j.regs->weight_group : K;
  if (compute && (j.regs->grouped ? ceil_div(K, j.regs->weight_group) : 1) != G)
    throw std::logic_error("GEMM '" + j.op + "': the registers' weight groups differ from the program's");
  std::span<std::int32_t> acc;  // the accumulator buffer's sums of the current token tile x column tile
  const float in_inv = compute ? reciprocal(j.regs->act_scale) : 1.0f;

  // Absolute time at which step i's weight tile (and input slice) is on chip.
  auto request = [&](std::size_t i) {
    const GemmStep& s = steps[i];
    const GemmFold& f = folds[s.fold];
    Bytes& tb = tile_bytes[i % ring];
    sc_time ready = sc_core::SC_ZERO_TIME;
    if (s.fetch_weights) {
      tb.resize(static_cast<std::size_t>(f.weight_bytes));
      ready = dram_access(dram, false, j.weights + static_cast<std::uint64_t>(fold_offset[s.fold]), f.weight_bytes,
                          tb.data(), c);
      if (!resident.empty()) resident[s.fold] = tb;
    } else {
      tb = resident[s.fold];  // from the block in the weight buffer
    }
    const std::int64_t m0 = s.m0, ml = s.m_len;
    if (j.in.in_dram && s.fetch_input) {
      // The input's k slice of the step's tokens: k rows of the tokens when
      // channel-major (contiguous for every token), the tokens' rows of
      // k_len elements when token-major.
      const std::int64_t bytes = f.k_len * ml * g.in_bytes;
      slice.resize(static_cast<std::size_t>(bytes));
      sc_time in_ready;
      const std::int64_t S = j.in.seq_tokens > 0 ? j.in.seq_tokens : M;
      if (j.in.layout == Layout::kChannelMajor && S < M) {
        // A batch: the step's tokens piece by piece, each in its sequence's [K][S] block.
        Bytes piece;
        in_ready = sc_core::SC_ZERO_TIME;
        for (std::int64_t q = m0 / S; q * S < m0 + ml; ++q) {
          const std::int64_t lo = std::max(m0, q * S), hi = std::min(m0 + ml, (q + 1) * S), pl = hi - lo;
          const std::int64_t eb = g.in_bytes;
          piece.resize(static_cast<std::size_t>(f.k_len * pl * eb));
          const DramStride st{static_cast<std::uint64_t>(pl * eb), static_cast<std::uint64_t>(S * eb)};
          const sc_time t = dram_access(
              dram, false, j.in.address + static_cast<std::uint64_t>((q * K * S + f.k0 * S + (lo - q * S)) * eb),
              f.k_len * pl * eb, piece.data(), c, pl < S ? &st : nullptr);
          in_ready = std::max(in_ready, t);
          for (std::int64_t k = 0; k < f.k_len; ++k)
            std::copy_n(piece.data() + k * pl * eb, pl * eb, slice.data() + (k * ml + (lo - m0)) * eb);
        }
      } else if (j.in.layout == Layout::kChannelMajor && ml == M) {
        in_ready = dram_access(dram, false, j.in.address + static_cast<std::uint64_t>(f.k0 * M * g.in_bytes), bytes,
                               slice.data(), c);
      } else if (j.in.layout == Layout::kChannelMajor) {
        const DramStride st{static_cast<std::uint64_t>(ml * g.in_bytes), static_cast<std::uint64_t>(M * g.in_bytes)};
        in_ready = dram_access(dram, false, j.in.address + static_cast<std::uint64_t>((f.k0 * M + m0) * g.in_bytes),
                               bytes, slice.data(), c, &st);
      } else {
        const DramStride st{static_cast<std::uint64_t>(f.k_len * g.in_bytes), static_cast<std::uint64_t>(K * g.in_bytes)};
        in_ready = dram_access(dram, false, j.in.address + static_cast<std::uint64_t>((m0 * K + f.k0) * g.in_bytes),
                               bytes, slice.data(), c, &st);
      }
      if (in_ready > ready) ready = in_ready;
      // The input slice is written into the activation buffer as it arrives.
      ev_.add_sram({"activation_buffer", Unit::kGemmArray, cost::MemImpl::kSram, hw_.buffers.activation_kib * 1024.0,
                    64, 0, static_cast<double>(f.k_len * ml * g.in_bytes) / 8.0});
      if (compute) {
        for (std::int64_t mi = 0; mi < ml; ++mi)
          for (std::int64_t k = 0; k < f.k_len; ++k) {
            const std::int64_t m = m0 + mi;
            const std::int64_t e = j.in.layout == Layout::kChannelMajor ? k * ml + mi : mi * f.k_len + k;
            const std::uint32_t v = in_bits == 8 ? slice[static_cast<std::size_t>(e)] : get_element(slice, e, 16);
            // An FP16 input is requantized on the way in (out_proj without the Hadamard).
            act[static_cast<std::size_t>(m * K + f.k0 + k)] =
                in_bits == 8 ? static_cast<std::int8_t>(v)
                             : quantize_activation(fp16_to_fp32(static_cast<std::uint16_t>(v)), j.regs->act_scale,
                                                   in_inv, j.regs->in_rounding);
          }
      }
    }
    return sc_core::sc_time_stamp() + ready;
  };

  // One fold on the array: every token's k slice against the tile's columns,
  // added into the accumulators of the weight group each k belongs to
  // (fold_accumulate: exact INT32 sums, so the order of the additions does
  // not matter).
  FoldScratch fold_scratch;
  auto fold_macs = [&](const GemmFold& f, const Bytes& tb, std::int64_t m0, std::int64_t ml) {
    const std::int64_t nl = f.n_len, kl = f.k_len;
    const std::int8_t* codes = weight_tile_codes(tb, g.weight_bits, kl * nl, tile, j.nibbles_high_first).data();  // [nl][kl]
    for (std::int64_t k0 = f.k0; k0 < f.k0 + kl;) {
      const std::int64_t grp = k0 / gsize, k1 = std::min(f.k0 + kl, (grp + 1) * gsize);
      FoldSlice s;
      s.x = act.data() + m0 * K + k0;
      s.x_stride = K;
      s.w = codes + (k0 - f.k0);
      s.w_stride = kl;
      s.tokens = ml;
      s.k_len = k1 - k0;
      s.cols = nl;
      s.acc = acc.data() + grp;
      s.acc_token = nl * G;
      s.acc_col = G;
      fold_accumulate(s, fold_scratch);
      k0 = k1;
    }
  };

  // The requantization unit on the tile's completed columns, then the writes.
  auto drain = [&](const GemmFold& f, std::int64_t m0, std::int64_t ml) {
    const std::int64_t a = f.n0, b = f.n0 + f.n_len;
    for (const OutputRegion& o : j.out) {
      const std::int64_t lo = std::max(a, o.begin), hi = std::min(b, o.end);
      if (hi <= lo) continue;
      if (o.element_bits % 8) throw std::logic_error("GEMM output '" + o.tensor + "' of packed elements");
      const std::int64_t eb = o.element_bits / 8;
      const std::int64_t bytes = (hi - lo) * ml * eb;
      Bytes out(static_cast<std::size_t>(bytes), 0);
      if (compute) {
        const GemmRegisters& rg = *j.regs;
        std::vector<float> ws(static_cast<std::size_t>((hi - lo) * G));  // the columns' weight scales
        for (std::size_t i = 0; i < ws.size(); ++i) ws[i] = get_f32(scale_bytes, 4 * (static_cast<std::size_t>(lo * G) + i));
        // The unit's constants of each column, loaded once per drain (not per token).
        std::vector<RequantRegisters> cr(static_cast<std::size_t>(hi - lo));
        for (std::int64_t n = lo; n < hi; ++n) {
          const float s_out = rg.out_scale.empty() ? 1.0f : rg.out_scale[static_cast<std::size_t>(n)];
          cr[static_cast<std::size_t>(n - lo)] = requant_column_registers(
              std::span<const float>(ws.data() + (n - lo) * G, static_cast<std::size_t>(G)), rg.grouped, rg.act_scale,
              s_out, rg.requant.order);
        }
        for (std::int64_t mi = 0; mi < ml; ++mi)
          for (std::int64_t n = lo; n < hi; ++n) {
            const std::span<const std::int32_t> accs(acc.data() + (mi * f.n_len + (n - f.n0)) * G, static_cast<std::size_t>(G));
            const std::span<const float> wsn(ws.data() + (n - lo) * G, static_cast<std::size_t>(G));
            const float v = requant_column_apply(accs, wsn, rg.grouped, cr[static_cast<std::size_t>(n - lo)], rg.requant);
            const std::uint32_t code = o.element_bits == 8 ? static_cast<std::uint8_t>(requant_int8(v, rg.requant))
                                                           : fp32_to_fp16(v);
            const std::int64_t e = o.layout == Layout::kChannelMajor ? (n - lo) * ml + mi : mi * (hi - lo) + (n - lo);
            put_element(out, e, o.element_bits, code);
          }
      }
      const std::int64_t S = o.seq_tokens > 0 ? o.seq_tokens : M;
      if (o.layout == Layout::kChannelMajor && S < M) {  // a batch: each sequence's part in its block
        const std::int64_t C = o.end - o.begin;
        Bytes piece;
        for (std::int64_t q = m0 / S; q * S < m0 + ml; ++q) {
          const std::int64_t a0 = std::max(m0, q * S), a1 = std::min(m0 + ml, (q + 1) * S), pl = a1 - a0;
          piece.resize(static_cast<std::size_t>((hi - lo) * pl * eb));
          for (std::int64_t n = 0; n < hi - lo; ++n)
            std::copy_n(out.data() + (n * ml + (a0 - m0)) * eb, pl * eb, piece.data() + n * pl * eb);
          const DramStride st{static_cast<std::uint64_t>(pl * eb), static_cast<std::uint64_t>(S * eb)};
          (void)dram_access(dram, true,
                            o.address + static_cast<std::uint64_t>((q * C * S + (lo - o.begin) * S + (a0 - q * S)) * eb),
                            (hi - lo) * pl * eb, piece.data(), c, pl < S ? &st : nullptr);
        }
      } else if (o.layout == Layout::kChannelMajor && ml == M) {  // whole columns: one contiguous block
        (void)dram_access(dram, true, o.address + static_cast<std::uint64_t>((lo - o.begin) * M * eb), bytes, out.data(), c);
      } else if (o.layout == Layout::kChannelMajor) {  // the token tile's part of each column
        const DramStride st{static_cast<std::uint64_t>(ml * eb), static_cast<std::uint64_t>(M * eb)};
        (void)dram_access(dram, true, o.address + static_cast<std::uint64_t>(((lo - o.begin) * M + m0) * eb), bytes,
                          out.data(), c, &st);
      } else {
        const DramStride st{static_cast<std::uint64_t>((hi - lo) * eb), static_cast<std::uint64_t>((o.end - o.begin) * eb)};
        (void)dram_access(dram, true,
                          o.address + static_cast<std::uint64_t>((m0 * (o.end - o.begin) + (lo - o.begin)) * eb), bytes,
                          out.data(), c, &st);
      }
    }
  };

  // The requantization unit's scales follow the codes in the weight memory.
  const sc_time scales_ready = sc_core::sc_time_stamp() +
      dram_access(dram, false, j.weights + static_cast<std::uint64_t>(r.plan.weight_bytes), j.scale_bytes,
                  scale_bytes.data(), c);
  // ready[i]: when step i's tile (and input slice) is on chip; steps are
  // requested in order, up to prefetch_depth ahead of the one streaming.
  std::vector<sc_time> ready(steps.size());
  std::size_t issued = 1;
  ready[0] = std::max(request(0), scales_ready);
  auto issue_through = [&](std::size_t last) {
    for (; issued <= last && issued < steps.size(); ++issued) ready[issued] = request(issued);
  };
  const std::size_t depth = ring - 1;
  std::int64_t cells = 0;  // (token, column) outputs completed so far: the program's requant work is shared by them
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const GemmStep& s = steps[i];
    const GemmFold& f = folds[s.fold];
    const std::int64_t ml = s.m_len;
    const sc_time now = sc_core::sc_time_stamp();
    if (ready[i] > now) {
      const auto stall = static_cast<Cycles>((ready[i] - now) / period_ + 0.5);
      r.dram_stall += stall;
      wait(ready[i] - now);
    }
    // Prefetch into the shadow weights (and the tiles in flight). In the
    // pipelined schedule a request may wait for its producer's tile; the
    // fold streams meanwhile.
    const sc_time step_start = sc_core::sc_time_stamp();
    if (db) issue_through(i + depth);
    Cycles work = ml + hw_.gemm.rows + hw_.gemm.cols - 2;  // the step's tokens, the array's fill and drain
    if (!db || i == 0) work += r.plan.load_cycles;
    const sc_time spent = sc_core::sc_time_stamp() - step_start;
    if (static_cast<double>(work) * period_ > spent) wait(static_cast<double>(work) * period_ - spent);
    stats_.busy += work;
    if (f.first_k) {  // a token tile x column tile starts: its sums in the accumulator buffer, from zero
      acc = accumulators_.int32s("INT32 sums", ml * f.n_len * G);
      std::fill(acc.begin(), acc.end(), 0);
    }
    if (compute) fold_macs(f, tile_bytes[i % ring], s.m0, ml);
    count_fold_events(hw_, g, f, ml, s.fetch_weights, c, ev_);
    if (f.last_k) {
      drain(f, s.m0, ml);
      const std::int64_t done = cells + ml * f.n_len;
      cost::UnitCounters part = j.program.share(cells, done, g.m * g.n);
      cells = done;
      part[Counter::kMacInt8] = part[Counter::kMacInt4] = 0;  // counted per fold above
      c += part;
    }
    if (!db) issue_through(i + 1);  // the next tile after this fold
  }
  r.cycles = static_cast<Cycles>((sc_core::sc_time_stamp() - t0) / period_ + 0.5);
  stats_.stall(cost::Stall::kDramBandwidth) += r.dram_stall;
  (g.weight_bits == 4 ? macs4_ : macs8_) += r.plan.macs;
  runs_.push_back(r);
  return r;
}

}  // namespace mambahw::model
