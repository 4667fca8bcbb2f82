#include "mambahw/golden/model_shape.hpp"

#include <stdexcept>
#include <string>

namespace mambahw {

std::vector<Segment> ModelShape::in_proj_segments() const {
  const int D = d_inner;
  if (!is_mamba2()) return {{"x", 0, D}, {"z", D, 2 * D}};
  const int gn = ngroups * d_state;
  return {{"z", 0, D}, {"x", D, 2 * D}, {"B", 2 * D, 2 * D + gn}, {"C", 2 * D + gn, 2 * D + 2 * gn},
          {"dt", 2 * D + 2 * gn, 2 * D + 2 * gn + nheads}};
}

std::vector<Segment> ModelShape::x_proj_segments() const {
  if (is_mamba2()) return {};
  return {{"dt", 0, dt_rank}, {"B", dt_rank, dt_rank + d_state}, {"C", dt_rank + d_state, dt_rank + 2 * d_state}};
}

std::vector<Segment> ModelShape::conv_segments() const {
  if (!is_mamba2()) return {{"x", 0, d_inner}};
  const int gn = ngroups * d_state;
  return {{"x", 0, d_inner}, {"B", d_inner, d_inner + gn}, {"C", d_inner + gn, d_inner + 2 * gn}};
}

const Segment& segment(const std::vector<Segment>& segments, std::string_view name) {
  for (const Segment& s : segments)
    if (s.name == name) return s;
  throw std::out_of_range("no segment '" + std::string(name) + "'");
}

}  // namespace mambahw
