// Accuracy of one exp, log1p or reciprocal unit variant against the exact
// function (double-precision libm, whose error is far below an FP32 ulp), over
// every FP32 input of the function's stated domain or a strided subset: the
// `mambahw units` table (docs/arithmetic.md §3.5). A study, not part of the
// specification.
#pragma once

#include <cstdint>
#include <string>

#include "mambahw/golden/unit_variants.hpp"

namespace mambahw {

enum class UnitFunction : std::uint8_t { kExp, kLog1p, kReciprocal };
template <>
struct EnumNames<UnitFunction> {
  static constexpr std::array<EnumName<UnitFunction>, 3> table{{
      {UnitFunction::kExp, "exp", "e^x"},
      {UnitFunction::kLog1p, "log1p", "ln(1 + v), the softplus unit's second half"},
      {UnitFunction::kReciprocal, "reciprocal", "1/x"},
  }};
};

// The domain a unit's accuracy is stated over: the inputs whose exact result
// is a normal FP32 number (subnormal results are flushed by the sm90 units).
//   exp:        x in [-87.33, 88.72]
//   log1p:      v in [2^-126, FLT_MAX] (softplus feeds it exp(x) > 0)
//   reciprocal: x in [2^-126, 2^126] (the negative half is its mirror image)
std::string unit_domain(UnitFunction f);

struct UnitAccuracy {
  std::uint64_t inputs = 0;      // evaluated
  std::uint64_t stride = 1;      // every stride-th bit pattern of the domain (1: all of them)
  double max_ulp = 0;            // max |unit(x) - f(x)| / ulp(f(x)), ulp of the exact value's binade
  float worst_input = 0;
  double correctly_rounded = 0;  // fraction equal to f(x) rounded to nearest
};

// Runs on `threads` threads (0: the hardware's); the result does not depend on them.
UnitAccuracy unit_accuracy(UnitFunction f, const UnitSelection& units, std::uint64_t stride, unsigned threads = 0);

}  // namespace mambahw
