// Quamba2 grouped output scales of the conv (x segment) and the scale-index
// lookup that selects one per channel. Layout and semantics follow Quamba's
// quamba2_conv1d_fwd_kernel (see docs/arithmetic.md, "Scale-index lookup"):
//   head_range[g][hg]      cumulative END head index, local to SSD group g
//   dim_range[g][hg][dg]   cumulative END channel index within a head
//   x_scales[g][hg][dg]    FP32 output scale of that (g, hg, dg) cell
//   b_scales[g], c_scales[g]  per-SSD-group scales of the B and C segments
// This struct is the one definition of that table; the RTL's range memory,
// the SystemC scale-index SRAM, the cost model and the vector exporter all
// read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/golden/model_shape.hpp"

namespace mambahw {

struct ScaleTableShape {
  int ngroups = 1;       // G
  int head_groups = 4;   // nHG
  int dim_groups = 4;    // nDG
  int heads_per_group = 0;  // nheads / G
  int headdim = 0;
  int d_state = 0;       // N (B/C channels per group)
  friend bool operator==(const ScaleTableShape&, const ScaleTableShape&) = default;

  static ScaleTableShape of(const ModelShape& m, int head_groups, int dim_groups) {
    return {m.ngroups, head_groups, dim_groups, m.heads_per_group(), m.headdim, m.d_state};
  }
};

struct Quamba2ScaleTable {
  ScaleTableShape shape;
  std::vector<std::int32_t> head_range;  // [G][nHG]
  std::vector<std::int32_t> dim_range;   // [G][nHG][nDG]
  std::vector<float> x_scales;           // [G][nHG][nDG]
  std::vector<float> b_scales;           // [G]
  std::vector<float> c_scales;           // [G]

  std::size_t hr_index(int g, int hg) const {
    return static_cast<std::size_t>(g) * shape.head_groups + hg;
  }
  std::size_t cell_index(int g, int hg, int dg) const {
    return (static_cast<std::size_t>(g) * shape.head_groups + hg) * shape.dim_groups + dg;
  }
  std::size_t cells() const {
    return static_cast<std::size_t>(shape.ngroups) * shape.head_groups * shape.dim_groups;
  }

  // Even split: head groups of nheads/G/nHG heads, dim groups of headdim/nDG
  // (remainders go to the last group). All scales set to `scale`.
  static Quamba2ScaleTable uniform(const ScaleTableShape& s, float scale);
};

// Which cell a channel of the x segment maps to, as the CUDA loop finds it.
struct ScaleIndex {
  int g = 0, head = 0, dim = 0;  // decoded channel: SSD group, head within group, dim within head
  int hg = -1, dg = -1;          // -1 where no range covers the channel
  int compares = 0;              // range comparisons the sequential search made
  bool found() const { return hg >= 0 && dg >= 0; }
};

// The Quamba2 conv kernel's two-level search (CUDA loop semantics: first
// range whose end exceeds the index, with early exit). `channel` < x_dim.
ScaleIndex lookup_scale_index(const Quamba2ScaleTable& t, int channel);

// Output scale of x-segment channel `channel`: x_scales of its cell, or 0.0f
// when no range covers it (the kernel's behaviour: the quantizer then divides
// by zero and saturates, or gives 0 for a zero/NaN input).
float x_out_scale(const Quamba2ScaleTable& t, int channel);

// Output scale of every conv channel of a Mamba2 layer, [x | B | C]:
// x channels from the lookup, B/C channels from their group's scale.
std::vector<float> quamba2_conv_out_scales(const Quamba2ScaleTable& t, const ModelShape& m);

// The scale-index SRAM of one layer (docs/architecture.md, "Scale-index
// SRAM"): the x segment's tables as three arrays of words at their minimal
// widths, head ranges [G][nHG] of ceil(log2(heads_per_group + 1)) bits, dim
// ranges [G][nHG][nDG] of ceil(log2(headdim + 1)) bits (a cumulative end
// reaches heads_per_group and headdim themselves), x scales [G][nHG][nDG] FP32.
// The B and C segments' per-group scales are scale registers, not SRAM words.
// This is the one count of the SRAM's bits: the model's image (model/memory.hpp)
// and the cost model's index study both take it from here.
struct IndexSramLayout {
  int head_range_bits = 0, dim_range_bits = 0, scale_bits = 32;
  std::int64_t head_words = 0, cells = 0;
  // Bit offsets of the arrays in the image (head ranges first, no gaps).
  std::int64_t dim_range_bit0() const { return head_words * head_range_bits; }
  std::int64_t scale_bit0() const { return dim_range_bit0() + cells * dim_range_bits; }
  std::int64_t bits() const { return scale_bit0() + cells * scale_bits; }
  std::int64_t bytes() const { return (bits() + 7) / 8; }
};
// Unsigned width holding 0..max_value (max_value >= 0): 1 for 0 and 1, 5 for 16..31.
int unsigned_bits(int max_value);
IndexSramLayout index_sram_layout(const ScaleTableShape& s);

// Why a table is not well formed, or empty if it is: ranges strictly
// increasing, positive, last head range = heads_per_group, last dim range =
// headdim, sizes consistent, scales positive finite normal.
std::string validate(const Quamba2ScaleTable& t);

}  // namespace mambahw
