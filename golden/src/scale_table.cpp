#include "mambahw/golden/scale_table.hpp"

#include <cmath>
#include <sstream>

namespace mambahw {

Quamba2ScaleTable Quamba2ScaleTable::uniform(const ScaleTableShape& s, float scale) {
  Quamba2ScaleTable t;
  t.shape = s;
  for (int g = 0; g < s.ngroups; ++g) {
    for (int hg = 0; hg < s.head_groups; ++hg) {
      const int end = hg + 1 == s.head_groups ? s.heads_per_group
                                              : (hg + 1) * (s.heads_per_group / s.head_groups);
      t.head_range.push_back(end);
      for (int dg = 0; dg < s.dim_groups; ++dg) {
        t.dim_range.push_back(dg + 1 == s.dim_groups ? s.headdim
                                                     : (dg + 1) * (s.headdim / s.dim_groups));
      }
    }
  }
  t.x_scales.assign(t.cells(), scale);
  t.b_scales.assign(s.ngroups, scale);
  t.c_scales.assign(s.ngroups, scale);
  return t;
}

namespace {
ScaleIndex decode_channel(const Quamba2ScaleTable& t, int channel) {
  const auto& s = t.shape;
  const int group_size = s.heads_per_group * s.headdim;
  ScaleIndex ix;
  ix.g = channel / group_size;
  ix.head = (channel % group_size) / s.headdim;
  ix.dim = channel % s.headdim;
  return ix;
}
}  // namespace

ScaleIndex lookup_scale_index(const Quamba2ScaleTable& t, int channel) {
  ScaleIndex ix = decode_channel(t, channel);
  int h_start = 0;
  for (int hg = 0; hg < t.shape.head_groups; ++hg) {
    const int h_end = t.head_range[t.hr_index(ix.g, hg)];
    ++ix.compares;
    if (h_start <= ix.head && ix.head < h_end) {
      ix.hg = hg;
      int ch_start = 0;
      for (int dg = 0; dg < t.shape.dim_groups; ++dg) {
        const int ch_end = t.dim_range[t.cell_index(ix.g, hg, dg)];
        ++ix.compares;
        if (ch_start <= ix.dim && ix.dim < ch_end) {
          ix.dg = dg;
          break;
        }
        ch_start = ch_end;
      }
      break;
    }
    h_start = h_end;
  }
  return ix;
}

float x_out_scale(const Quamba2ScaleTable& t, int channel) {
  const ScaleIndex ix = lookup_scale_index(t, channel);
  return ix.found() ? t.x_scales[t.cell_index(ix.g, ix.hg, ix.dg)] : 0.0f;
}

std::vector<float> quamba2_conv_out_scales(const Quamba2ScaleTable& t, const ModelShape& m) {
  std::vector<float> s(static_cast<std::size_t>(m.conv_channels()));
  const int n = m.d_state;
  for (int c = 0; c < m.d_inner; ++c) s[c] = x_out_scale(t, c);
  for (int c = 0; c < m.bc_channels(); ++c) {
    s[m.d_inner + c] = t.b_scales[c / n];
    s[m.d_inner + m.bc_channels() + c] = t.c_scales[c / n];
  }
  return s;
}

namespace {
bool good_scale(float s) { return std::isfinite(s) && s > 0.0f && std::isnormal(s); }
}  // namespace

int unsigned_bits(int max_value) {
  int b = 1;
  while ((1LL << b) <= max_value) ++b;
  return b;
}

IndexSramLayout index_sram_layout(const ScaleTableShape& s) {
  IndexSramLayout l;
  l.head_range_bits = unsigned_bits(s.heads_per_group);
  l.dim_range_bits = unsigned_bits(s.headdim);
  l.head_words = static_cast<std::int64_t>(s.ngroups) * s.head_groups;
  l.cells = l.head_words * s.dim_groups;
  return l;
}

std::string validate(const Quamba2ScaleTable& t) {
  const auto& s = t.shape;
  std::ostringstream err;
  if (s.ngroups < 1 || s.head_groups < 1 || s.dim_groups < 1)
    return "group counts must be at least 1";
  if (t.head_range.size() != static_cast<std::size_t>(s.ngroups) * s.head_groups)
    return "x_head_group_range must have shape [ngroups][head_groups]";
  if (t.dim_range.size() != t.cells() || t.x_scales.size() != t.cells())
    return "x_dim_group_range and x_out_scales must have shape [ngroups][head_groups][dim_groups]";
  if (t.b_scales.size() != static_cast<std::size_t>(s.ngroups) ||
      t.c_scales.size() != static_cast<std::size_t>(s.ngroups))
    return "B and C scales must have one entry per SSD group";
  for (int g = 0; g < s.ngroups; ++g) {
    int prev_h = 0;
    for (int hg = 0; hg < s.head_groups; ++hg) {
      const int h = t.head_range[t.hr_index(g, hg)];
      if (h <= prev_h) {
        err << "x_head_group_range[" << g << "][" << hg << "] = " << h
            << " must be greater than the previous end " << prev_h;
        return err.str();
      }
      prev_h = h;
      int prev_d = 0;
      for (int dg = 0; dg < s.dim_groups; ++dg) {
        const int d = t.dim_range[t.cell_index(g, hg, dg)];
        if (d <= prev_d) {
          err << "x_dim_group_range[" << g << "][" << hg << "][" << dg << "] = " << d
              << " must be greater than the previous end " << prev_d;
          return err.str();
        }
        prev_d = d;
        if (!good_scale(t.x_scales[t.cell_index(g, hg, dg)])) {
          err << "x_out_scales[" << g << "][" << hg << "][" << dg
              << "] must be a positive, finite, normal FP32 number";
          return err.str();
        }
      }
      if (prev_d != s.headdim) {
        err << "x_dim_group_range[" << g << "][" << hg << "] ends at " << prev_d
            << " but must end at headdim = " << s.headdim;
        return err.str();
      }
    }
    if (prev_h != s.heads_per_group) {
      err << "x_head_group_range[" << g << "] ends at " << prev_h
          << " but must end at nheads/ngroups = " << s.heads_per_group;
      return err.str();
    }
    if (!good_scale(t.b_scales[g]) || !good_scale(t.c_scales[g])) {
      err << "B/C scale of group " << g << " must be a positive, finite, normal FP32 number";
      return err.str();
    }
  }
  return {};
}

}  // namespace mambahw
