// On-chip memory cost: a compiled SRAM macro (from a technology table's SRAM
// model) or a flop/latch register file, for a given capacity and access width.
// docs/cost-model.md ("Memories") gives the formulas:
//
//  linear SRAM model:  area = capacity_KiB * area_mm2_per_kib,
//                      read = width * read_pj_per_bit, write likewise, access constant.
//  table SRAM model, per quantity (read, write, area, access time), over the
//  points that state that quantity:
//   1. banking: above the largest tabulated capacity Cmax, n = ceil(C / Cmax)
//      equal banks of C/n; area = n * area(C/n), energy and time of one bank;
//   2. per width family (points of one width), power-law (log-log) interpolation
//      between the two neighbouring capacities; below the smallest capacity the
//      smallest macro's value (a compiled macro does not get smaller); above a
//      family's largest capacity, its last segment's power law; a family of one
//      macro is tiled above its capacity (area x ceil(C / capacity), energy and
//      time of one macro);
//   3. across widths: linear in width between the two neighbouring families;
//      outside them, the nearest family with read/write energy scaled by
//      width / family width (area and access time unchanged).
//  leakage: the table's per-macro leakage_mw interpolated as area is (banks
//          and tiles add up); linear: KiB * leakage_mw_per_kib; flops: their
//          area * the table's logic leakage per um2.
//  flops:  area = bits * area_um2_per_bit, read/write = width * energy_pj_per_bit,
//          access = register access_ns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mambahw/cost/tech_table.hpp"
#include "mambahw/golden/enum_names.hpp"

namespace mambahw::cost {

enum class MemImpl : std::uint8_t { kSram, kFlops };
}  // namespace mambahw::cost

template <>
struct mambahw::EnumNames<mambahw::cost::MemImpl> {
  static constexpr std::array<EnumName<cost::MemImpl>, 2> table{{
      {cost::MemImpl::kSram, "sram", "a compiled SRAM macro"},
      {cost::MemImpl::kFlops, "flops", "a flop/latch register file"},
  }};
};

namespace mambahw::cost {
using mambahw::to_string;

struct MemoryCost {
  MemImpl impl = MemImpl::kSram;
  double capacity_bytes = 0;
  int width_bits = 0;
  double area_mm2 = 0;
  double read_pj = 0;   // per access of width_bits
  double write_pj = 0;  // per access of width_bits
  double access_ns = 0;
  double leakage_mw = 0;  // standby leakage of all banks
  int banks = 1;
  std::vector<std::string> notes;  // where the model extrapolated, clamped or banked
};

// Cost of an SRAM of `capacity_bytes` accessed `width_bits` at a time.
MemoryCost sram_cost(const TechTable& t, double capacity_bytes, int width_bits);
// Cost of the same storage built from flops (a register file).
MemoryCost flop_cost(const TechTable& t, double capacity_bytes, int width_bits);
MemoryCost memory_cost(const TechTable& t, MemImpl impl, double capacity_bytes, int width_bits);

}  // namespace mambahw::cost
