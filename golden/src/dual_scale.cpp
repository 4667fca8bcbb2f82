#include "mambahw/golden/dual_scale.hpp"

#include <cmath>

#include "mambahw/golden/dequant.hpp"

namespace mambahw {

DualScaleFormat DualScaleFormat::make(int code_bits, bool symmetric, float scale1, float scale2) {
  DualScaleFormat f;
  f.range = symmetric ? CodeRange::symmetric_bits(code_bits) : CodeRange::signed_bits(code_bits);
  f.scale1 = scale1;
  f.scale2 = scale2;
  f.scale12 = scale1 * scale2;
  f.inv_scale1 = reciprocal(scale1);
  f.inv_scale12 = reciprocal(f.scale12);
  return f;
}

DualScaleCode quantize_dual(float x, const DualScaleFormat& f, const NumericsPolicy& p) {
  const float v1 = scaled_value(x, f.scale1, f.inv_scale1, p);
  if (std::isnan(v1)) return {};
  const float r1 = round_to_integral(v1, p.rounding);
  if (r1 >= static_cast<float>(f.range.qmin) && r1 <= static_cast<float>(f.range.qmax))
    return {static_cast<std::int8_t>(r1), false};
  NumericsPolicy sat = p;
  sat.overflow = Overflow::kSaturate;
  const float v2 = scaled_value(x, f.scale12, f.inv_scale12, sat);
  return {static_cast<std::int8_t>(code_of_scaled(v2, sat, f.range)), true};
}

float dequant_dual(DualScaleCode c, const DualScaleFormat& f, Denormals d) {
  return dequant(c.code, c.flag ? f.scale12 : f.scale1, d);
}

std::uint16_t pack_dual(DualScaleCode c, int code_bits) {
  const std::uint16_t mask = static_cast<std::uint16_t>((1u << code_bits) - 1u);
  return static_cast<std::uint16_t>((c.flag ? 1u << code_bits : 0u) |
                                    (static_cast<std::uint16_t>(c.code) & mask));
}

DualScaleCode unpack_dual(std::uint16_t word, int code_bits) {
  const std::uint32_t mask = (1u << code_bits) - 1u;
  const std::uint32_t sign = 1u << (code_bits - 1);
  const std::uint32_t low = word & mask;
  const auto code = static_cast<std::int8_t>(static_cast<std::int32_t>((low ^ sign) - sign));
  return {code, ((word >> code_bits) & 1u) != 0};
}

}  // namespace mambahw
