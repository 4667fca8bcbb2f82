#include "mambahw/model/gemm_array.hpp"

#include <algorithm>

#include "mambahw/cost/dataflow.hpp"

namespace mambahw::model {

using cost::Counter;
using sc_core::sc_time;

GemmArray::GemmArray(sc_core::sc_module_name name, const HardwareConfig& hw, cost::EventCounts& events)
    : sc_module(name), dram("dram"), hw_(hw), ev_(events), period_(hw.cycle_ns(), sc_core::SC_NS) {}

GemmRun GemmArray::run(const GemmJob& j) {
  const GemmShape& g = j.shape;
  GemmRun r{j.op, g, plan_gemm(g, hw_.gemm), 0, 0};
  cost::UnitCounters& c = ev_.at(Unit::kGemmArray);
  const sc_time t0 = sc_core::sc_time_stamp();
  const auto act_buffer = static_cast<std::int64_t>(hw_.buffers.activation_kib) * 1024;
  const bool reread_input = g.m * g.k * g.in_bytes > act_buffer;  // input slices do not stay on chip
  const auto& folds = r.plan.folds;

  std::int64_t weight_offset = 0;
  // Absolute time at which fold i's weight tile (and input slice) is on chip.
  auto request = [&](std::size_t i) {
    const GemmFold& f = folds[i];
    sc_time ready = dram_access(dram, false, j.weights + static_cast<std::uint64_t>(weight_offset), f.weight_bytes, c);
    weight_offset += f.weight_bytes;
    if (j.in.in_dram && (f.n0 == 0 || reread_input)) {
      const sc_time in_ready = dram_access(
          dram, false, j.in.address + static_cast<std::uint64_t>(f.k0 * g.m * g.in_bytes), f.k_len * g.m * g.in_bytes, c);
      if (in_ready > ready) ready = in_ready;
      // The input slice is written into the activation buffer as it arrives.
      ev_.add_sram({"activation_buffer", Unit::kGemmArray, cost::MemImpl::kSram, hw_.buffers.activation_kib * 1024.0,
                    64, 0, static_cast<double>(f.k_len * g.m * g.in_bytes) / 8.0});
    }
    return sc_core::sc_time_stamp() + ready;
  };

  const bool db = hw_.gemm.weight_double_buffer;
  // The requantization unit's scales follow the codes in the weight memory.
  const sc_time scales_ready = sc_core::sc_time_stamp() +
      dram_access(dram, false, j.weights + static_cast<std::uint64_t>(r.plan.weight_bytes), j.scale_bytes, c);
  sc_time ready = std::max(request(0), scales_ready);
  for (std::size_t i = 0; i < folds.size(); ++i) {
    const GemmFold& f = folds[i];
    const sc_time now = sc_core::sc_time_stamp();
    if (ready > now) {
      const auto stall = static_cast<Cycles>((ready - now) / period_ + 0.5);
      r.dram_stall += stall;
      wait(ready - now);
    }
    sc_time next_ready;
    if (db && i + 1 < folds.size()) next_ready = request(i + 1);  // prefetch into the shadow weights
    Cycles work = r.plan.stream_cycles;
    if (!db || i == 0) work += r.plan.load_cycles;
    wait(static_cast<double>(work) * period_);
    stats_.busy += work;
    c[g.weight_bits == 4 ? Counter::kMacInt4 : Counter::kMacInt8] += g.m * f.k_len * f.n_len;
    c[Counter::kRegisterBits] += 2 * cost::kPsumBits * g.m * f.n_len;  // each sum read and written once per fold
    const cost::ArrayRegisterBits regs = cost::fold_register_bits(g.m, f.k_len, f.n_len, 8, 8);
    c[Counter::kArrayWeightBits] += regs.weight_load;
    c[Counter::kArrayOperandBits] += regs.operand;
    c[Counter::kArrayPsumBits] += regs.psum;
    // The weight tile is written into the buffer as it arrives from DRAM and read into the PEs.
    ev_.add_sram({"weight_buffer", Unit::kGemmArray, cost::MemImpl::kSram, hw_.buffers.weight_kib * 1024.0, 64,
                  static_cast<double>(f.weight_bytes) / 8.0, static_cast<double>(f.weight_bytes) / 8.0});
    ev_.add_sram({"activation_buffer", Unit::kGemmArray, cost::MemImpl::kSram, hw_.buffers.activation_kib * 1024.0, 64,
                  static_cast<double>(g.m * f.k_len * g.in_bytes) / 8.0, 0});
    if (f.last_k) {
      const std::int64_t a = f.n0, b = f.n0 + f.n_len;
      for (const OutputRegion& o : j.out) {
        const std::int64_t lo = std::max(a, o.begin), hi = std::min(b, o.end);
        if (hi <= lo) continue;
        const std::int64_t off = region_bytes(o, lo - o.begin, g.m);
        (void)dram_access(dram, true, o.address + static_cast<std::uint64_t>(off),
                          region_bytes(o, hi - o.begin, g.m) - off, c);
      }
      cost::UnitCounters part = j.program.share(a, b, g.n);
      part[Counter::kMacInt8] = part[Counter::kMacInt4] = 0;  // counted per fold above
      c += part;
    }
    if (i + 1 < folds.size()) ready = db ? next_ready : request(i + 1);
  }
  r.cycles = static_cast<Cycles>((sc_core::sc_time_stamp() - t0) / period_ + 0.5);
  stats_.stall(cost::Stall::kDramBandwidth) += r.dram_stall;
  (g.weight_bits == 4 ? macs4_ : macs8_) += r.plan.macs;
  runs_.push_back(r);
  return r;
}

}  // namespace mambahw::model
