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

namespace mambahw::verif::detail {

using nlohmann::json;

inline std::string hex32(float f) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", bits_of(f));
  return b;
}
inline float float_of_hex(const json& j) { return float_of(static_cast<std::uint32_t>(std::stoul(j.get<std::string>(), nullptr, 16))); }

inline json numerics_json(const NumericsPolicy& p) {
  return {{"rounding", to_string(p.rounding)},
          {"quantize_op", to_string(p.quantize_op)},
          {"overflow", to_string(p.overflow)},
          {"denormals", to_string(p.denormals)}};
}
inline NumericsPolicy numerics_from(const json& j) {
  NumericsPolicy p;
  auto need = [](auto opt, const std::string& what) {
    if (!opt) throw std::invalid_argument("manifest parameter " + what + " is not a known name");
    return *opt;
  };
  p.rounding = need(parse_enum<Rounding>(j.at("rounding").get<std::string>()), "rounding");
  p.quantize_op = need(parse_enum<QuantizeOp>(j.at("quantize_op").get<std::string>()), "quantize_op");
  p.overflow = need(parse_enum<Overflow>(j.at("overflow").get<std::string>()), "overflow");
  p.denormals = need(parse_enum<Denormals>(j.at("denormals").get<std::string>()), "denormals");
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

inline const MemoryImage& image(const std::vector<MemoryImage>& m, const std::string& name) {
  for (const auto& i : m)
    if (i.name == name) return i;
  throw std::invalid_argument("memory image " + name + ".hex missing");
}

}  // namespace mambahw::verif::detail
