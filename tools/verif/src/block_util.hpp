// Helpers shared by the vector block definitions (blocks.cpp,
// unit_blocks.cpp): register formatting, the numerics policy in manifests,
// and the stimulus generators both files use.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/golden/numerics.hpp"
#include "mambahw/verif/blocks.hpp"
#include "mambahw/verif/manifest.hpp"

namespace mambahw::verif::detail {

using nlohmann::json;

inline std::string hex32(float f) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", bits_of(f));
  return b;
}

inline json numerics_json(const NumericsPolicy& p) {
  return {{"rounding", to_string(p.rounding)},
          {"quantize_op", to_string(p.quantize_op)},
          {"overflow", to_string(p.overflow)},
          {"denormals", to_string(p.denormals)}};
}
inline NumericsPolicy numerics_from(const Field& j) {
  NumericsPolicy p;
  p.rounding = j.at("rounding").enumerated<Rounding>();
  p.quantize_op = j.at("quantize_op").enumerated<QuantizeOp>();
  p.overflow = j.at("overflow").enumerated<Overflow>();
  p.denormals = j.at("denormals").enumerated<Denormals>();
  return p;
}

// x values within +-`ulps` of fp32(target / reg): inputs whose scaled value
// x*reg (or x/reg) lands on or next to `target`.
template <class F>
void around(double target, float reg, QuantizeOp op, int ulps, F&& f) {
  const double x = op == QuantizeOp::kMultiplyReciprocal ? target / reg : target * reg;
  const float x0 = static_cast<float>(x);
  if (!std::isfinite(x0)) return;
  for (int d = -ulps; d <= ulps; ++d) {
    float v = x0;
    for (int i = 0; i < std::abs(d); ++i) v = std::nextafter(v, d < 0 ? -INFINITY : INFINITY);
    f(v);
  }
}

// v moved by d ulps (toward +Inf for d > 0).
inline float step_ulps(float v, int d) {
  for (int i = 0; i < std::abs(d); ++i) v = std::nextafter(v, d < 0 ? -INFINITY : INFINITY);
  return v;
}

inline const std::vector<float>& special_values() {
  static const std::vector<float> v = {
      0.0f, -0.0f, float_of(0x0000'0001u), float_of(0x8000'0001u), float_of(0x007F'FFFFu),
      float_of(0x807F'FFFFu), float_of(0x0080'0000u), float_of(0x8080'0000u), INFINITY, -INFINITY,
      float_of(0x7FC0'0000u), float_of(0xFFC0'0000u), float_of(0x7F80'0001u), float_of(0x7FBF'FFFFu),
      float_of(0xFFD5'5555u), std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
      1.0f, -1.0f, 0.5f, -0.5f};
  return v;
}

// Scale registers the configs never produce but the RTL and the golden
// model define (and agree on): zeros, subnormals, negative values, FLT_MAX,
// infinities and NaNs (the `special_scales` class).
inline const std::vector<float>& special_registers() {
  static const std::vector<float> v = {
      0.0f, -0.0f, float_of(0x0000'0001u), float_of(0x8000'0001u), float_of(0x007F'FFFFu), 0x1p-126f, -0x1p-126f,
      -1.0f, -0.25f, -0x1p20f, std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(), INFINITY,
      -INFINITY, float_of(0x7FC0'0000u), float_of(0xFFC0'0000u), float_of(0x7F80'0001u), float_of(0x7FBF'FFFFu)};
  return v;
}
// The inputs paired with each special register: zeros, codes on and past the
// INT8 range, a subnormal, huge values, infinities, a NaN.
inline const std::vector<float>& special_register_inputs() {
  static const std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 3.0f, -3.0f, 127.0f, -128.0f,
                                       float_of(0x0000'0001u), 1e30f, -1e30f, std::numeric_limits<float>::max(),
                                       INFINITY, -INFINITY, float_of(0x7FC0'0000u)};
  return v;
}

inline const MemoryImage& image(const std::vector<MemoryImage>& m, const std::string& name) {
  for (const auto& i : m)
    if (i.name == name) return i;
  throw ManifestError("memories: no memory image '" + name + "' (the block needs " + name + ".hex)");
}

}  // namespace mambahw::verif::detail
