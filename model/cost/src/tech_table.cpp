#include "mambahw/cost/tech_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mambahw {

const DramVariant* TechTable::dram_variant(std::string_view n) const {
  const auto it = std::find_if(dram_variants.begin(), dram_variants.end(), [&](const DramVariant& v) { return v.name == n; });
  return it == dram_variants.end() ? nullptr : &*it;
}

std::optional<SourcedRange> TechTable::dram_range() const {
  if (dram.range) return dram.range;
  if (dram_variants.empty()) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(dram_variants.begin(), dram_variants.end(),
                                            [](const DramVariant& a, const DramVariant& b) {
                                              return a.energy_pj_per_bit < b.energy_pj_per_bit;
                                            });
  SourcedRange r{std::min(lo->energy_pj_per_bit, dram.energy_pj_per_bit),
                 std::max(hi->energy_pj_per_bit, dram.energy_pj_per_bit), ""};
  r.source = fmt::format("the span of the table's dram_variants: {} {:g} .. {} {:g} pJ/bit (each cited in dram_variants)",
                         lo->name, lo->energy_pj_per_bit, hi->name, hi->energy_pj_per_bit);
  return r;
}

double TechTable::dram_phy_mm2() const {
  const DramVariant* v = dram.variant.empty() ? nullptr : dram_variant(dram.variant);
  return die.dram_phy_mm2 * (v ? v->phy_factor : 1.0);
}

void TechTable::scale_logic(double energy, double area, bool mark) {
  for (OpCost& o : ops)
    if (mark || o.scaled) {
      o.energy_pj *= energy;
      o.area_um2 *= area;
      o.scaled = true;
    }
  if (mark || reg.scaled) {
    reg.energy_pj_per_bit *= energy;
    reg.area_um2_per_bit *= area;
    reg.scaled = true;
  }
}

}  // namespace mambahw
