// Test-only float comparison helpers.
#pragma once

#include <bit>
#include <cstdint>

namespace mambahw::tb {

// Distance in units in the last place between two finite floats of the same
// sign convention, counted along the ordered bit line (so +0 and -0 are 0 ulp
// apart and the smallest subnormals are 1 ulp apart).
inline std::int64_t ulp_distance(float a, float b) {
  auto ordered = [](float x) -> std::int64_t {
    const std::int64_t v = std::bit_cast<std::int32_t>(x);
    return v < 0 ? -(v & 0x7FFF'FFFF) : v;
  };
  const std::int64_t d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

}  // namespace mambahw::tb
