// Internal to golden/src: the exp unit's constants (the one place they are
// written; docs/arithmetic.md gives them in hex) and the range its vector
// main path covers, shared by exp_unit.cpp and the lane kernels.
#pragma once

namespace mambahw::exp_core {

inline constexpr float kLog2e = 0x1.715476p+0f;
inline constexpr float kLn2Hi = 0x1.62e400p-1f;   // 15 significant bits
inline constexpr float kLn2Lo = 0x1.7f7d1cp-20f;  // ln2 - kLn2Hi, rounded to FP32
// Taylor coefficients 1/n!, n = 7..0, each correctly rounded to FP32.
inline constexpr float kPoly[] = {float(1.0 / 5040), float(1.0 / 720), float(1.0 / 120), float(1.0 / 24),
                                  float(1.0 / 6),    0.5f,              1.0f,              1.0f};

// The main path covers x in [-87, 88] (NaN excluded): there k is in
// [-126, 127], so 2^k is a normal float and exp_unit's scaling is the one
// multiply p * 2^k; every other input takes the scalar exp_unit.
inline bool in_main_range(float x) { return x >= -87.0f && x <= 88.0f; }

}  // namespace mambahw::exp_core
