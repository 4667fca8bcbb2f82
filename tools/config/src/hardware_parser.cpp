#include "mambahw/config/hardware.hpp"

#include <cmath>
#include <utility>

#include <fmt/core.h>

namespace mambahw {


namespace {
// Physical ranges wide enough for any design point, narrow enough that every
// derived figure stays exact in the model's integer cycle counts and in
// SystemC's 1 ps time resolution: a cycle of 10 ps .. 1 ms, DRAM latency up
// to 1 ms (< 2^31 cycles at the fastest clock), bandwidth 1 MB/s .. 100 TB/s.
Check<double> bounded(double lo, double hi, const char* unit) {
  return [lo, hi, unit](const double& v) -> std::string {
    if (std::isnan(v)) return "must be a number, got NaN";
    if (!std::isfinite(v)) return "must be finite";
    if (v < lo || v > hi) return fmt::format("must be in [{:g}, {:g}] {}, got {:g}", lo, hi, unit, v);
    return {};
  };
}
}  // namespace

HardwareConfig parse_hardware(YamlMap& h) {
  HardwareConfig c;
  c.name = h.optional<std::string>("name", c.name);
  c.clock_mhz = h.optional<double>("clock_mhz", c.clock_mhz, bounded(1e-3, 1e5, "MHz"));
  c.schedule = h.enumerated("schedule", c.schedule);
  if (auto g = h.maybe_section("gemm")) {
    c.gemm.rows = g->optional<int>("rows", c.gemm.rows, in_range(1, 4096));
    c.gemm.cols = g->optional<int>("cols", c.gemm.cols, in_range(1, 4096));
    c.gemm.int4_macs_per_pe = g->optional<int>("int4_macs_per_pe", c.gemm.int4_macs_per_pe, in_range(1, 2));
    c.gemm.weight_double_buffer = g->optional<bool>("weight_double_buffer", c.gemm.weight_double_buffer);
    c.gemm.prefetch_depth = g->optional<int>("prefetch_depth", c.gemm.prefetch_depth, in_range(1, 64));
    g->finish();
  }
  if (auto v = h.maybe_section("conv")) {
    c.conv.lanes = v->optional<int>("lanes", c.conv.lanes, in_range(1, 4096));
    c.conv.pipeline_depth = v->optional<int>("pipeline_depth", c.conv.pipeline_depth, in_range(0, 1000));
    c.conv.token_tile = v->optional<int>("token_tile", c.conv.token_tile, in_range(1, 1 << 20));
    v->finish();
  }
  if (auto s = h.maybe_section("scale_index")) {
    c.scale_index.impl = s->enumerated("impl", c.scale_index.impl);
    c.scale_index.read_cycles = s->optional<int>("read_cycles", c.scale_index.read_cycles, in_range(0, 100));
    s->finish();
  }
  if (auto s = h.maybe_section("ssm")) {
    c.ssm.lanes = s->optional<int>("lanes", c.ssm.lanes, in_range(1, 65536));
    c.ssm.fma_latency = s->optional<int>("fma_latency", c.ssm.fma_latency, in_range(1, 100));
    c.ssm.exp_units = s->optional<int>("exp_units", c.ssm.exp_units, in_range(1, 65536));
    c.ssm.exp_latency = s->optional<int>("exp_latency", c.ssm.exp_latency, in_range(1, 1000));
    c.ssm.softplus_units = s->optional<int>("softplus_units", c.ssm.softplus_units, in_range(1, 65536));
    c.ssm.softplus_latency = s->optional<int>("softplus_latency", c.ssm.softplus_latency, in_range(1, 1000));
    c.ssm.dequant_lanes = s->optional<int>("dequant_lanes", c.ssm.dequant_lanes, in_range(1, 65536));
    s->finish();
  }
  if (auto s = h.maybe_section("hadamard")) {
    c.hadamard.adders = s->optional<int>("adders", c.hadamard.adders, in_range(1, 65536));
    c.hadamard.pipeline_depth = s->optional<int>("pipeline_depth", c.hadamard.pipeline_depth, in_range(0, 10000));
    c.hadamard.tokens_per_tile = s->optional<int>("tokens_per_tile", c.hadamard.tokens_per_tile, in_range(1, 65536));
    s->finish();
  }
  if (auto b = h.maybe_section("buffers")) {
    c.buffers.weight_kib = b->optional<int>("weight_kib", c.buffers.weight_kib, in_range(1, 1 << 20));  // <= 1 GiB
    c.buffers.activation_kib = b->optional<int>("activation_kib", c.buffers.activation_kib, in_range(1, 1 << 20));
    c.buffers.state_kib = b->optional<int>("state_kib", c.buffers.state_kib, in_range(0, 1 << 20));
    c.buffers.fusion_kib = b->optional<int>("fusion_kib", c.buffers.fusion_kib, in_range(0, 1 << 20));
    for (auto [key, field] : {std::pair{"conv_kib", &BufferConfig::conv_kib}, std::pair{"ssm_tile_kib", &BufferConfig::ssm_tile_kib},
                              std::pair{"norm_kib", &BufferConfig::norm_kib}, std::pair{"hadamard_kib", &BufferConfig::hadamard_kib},
                              std::pair{"accumulator_kib", &BufferConfig::accumulator_kib}})
      c.buffers.*field = b->optional<int>(key, c.buffers.*field, in_range(0, 1 << 20));
    if (b->has("banks"))
      b->fail("banks", "is not modelled (SRAM banking follows from the technology table's macros); remove it");
    b->finish();
  }
  if (auto d = h.maybe_section("dram")) {
    c.dram.bandwidth_gbs = d->optional<double>("bandwidth_gbs", c.dram.bandwidth_gbs, bounded(1e-3, 1e5, "GB/s"));
    c.dram.latency_ns = d->optional<double>("latency_ns", c.dram.latency_ns, bounded(0, 1e6, "ns"));
    d->finish();
  }
  h.finish();
  return c;
}

}  // namespace mambahw
