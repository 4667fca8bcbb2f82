#include "mambahw/tb/scale_index_counting.hpp"

namespace mambahw::tb {

ScaleIndex lookup_scale_index_counting(const Quamba2ScaleTable& t, int channel) {
  // channel = (g * heads_per_group + head) * headdim + dim
  ScaleIndex ix;
  ix.dim = channel % t.shape.headdim;
  ix.head = (channel / t.shape.headdim) % t.shape.heads_per_group;
  ix.g = channel / t.shape.headdim / t.shape.heads_per_group;
  int hg = 0;
  for (int k = 0; k < t.shape.head_groups; ++k) hg += ix.head >= t.head_range[t.hr_index(ix.g, k)];
  if (hg >= t.shape.head_groups) return ix;
  int dg = 0;
  for (int k = 0; k < t.shape.dim_groups; ++k) dg += ix.dim >= t.dim_range[t.cell_index(ix.g, hg, k)];
  ix.hg = hg;
  ix.dg = dg < t.shape.dim_groups ? dg : -1;
  return ix;
}

}  // namespace mambahw::tb
