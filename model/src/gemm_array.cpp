#include "mambahw/model/gemm_array.hpp"

namespace mambahw::model {

using sc_core::sc_time;

GemmArray::GemmArray(sc_core::sc_module_name name, const HardwareConfig& hw)
    : sc_module(name), dram("dram"), hw_(hw), period_(hw.cycle_ns(), sc_core::SC_NS) {}

GemmRun GemmArray::run(const std::string& op, const GemmShape& g, std::uint64_t weights, Placement in,
                       Placement out) {
  GemmRun r{op, g, plan_gemm(g, hw_.gemm), 0, 0};
  const sc_time t0 = sc_core::sc_time_stamp();
  const auto act_buffer = static_cast<std::int64_t>(hw_.buffers.activation_kib) * 1024;
  const bool reread_input = g.m * g.k * g.in_bytes > act_buffer;  // input slices do not stay on chip
  const auto& folds = r.plan.folds;

  std::int64_t weight_offset = 0;
  // Absolute time at which fold i's weight tile (and input slice) is on chip.
  auto request = [&](std::size_t i) {
    const GemmFold& f = folds[i];
    sc_time ready = dram_access(dram, false, weights + static_cast<std::uint64_t>(weight_offset), f.weight_bytes);
    weight_offset += f.weight_bytes;
    if (in.in_dram && (f.n0 == 0 || reread_input)) {
      const sc_time in_ready = dram_access(dram, false, in.address + static_cast<std::uint64_t>(f.k0 * g.m * g.in_bytes),
                                           f.k_len * g.m * g.in_bytes);
      if (in_ready > ready) ready = in_ready;
    }
    return sc_core::sc_time_stamp() + ready;
  };

  const bool db = hw_.gemm.weight_double_buffer;
  sc_time ready = request(0);
  for (std::size_t i = 0; i < folds.size(); ++i) {
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
    if (folds[i].last_k && out.in_dram)
      (void)dram_access(dram, true, out.address + static_cast<std::uint64_t>(folds[i].n0 * g.m * g.out_bytes),
                        folds[i].n_len * g.m * g.out_bytes);
    if (i + 1 < folds.size()) ready = db ? next_ready : request(i + 1);
  }
  r.cycles = static_cast<Cycles>((sc_core::sc_time_stamp() - t0) / period_ + 0.5);
  stats_.stalls["dram_bandwidth"] += r.dram_stall;
  (g.weight_bits == 4 ? macs4_ : macs8_) += r.plan.macs;
  runs_.push_back(r);
  return r;
}

}  // namespace mambahw::model
