#include "mambahw/cost/tech_table.hpp"

namespace mambahw {

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
