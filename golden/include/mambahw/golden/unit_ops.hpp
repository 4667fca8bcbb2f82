// What one evaluation of a golden unit costs in datapath operations. The
// units (exp_unit, log1p_unit, softplus, silu) tally their own operations as
// they execute: their definitions take a tally, a no-op in normal use, and
// *_ops() runs the definition once on a main-path input with a counting
// tally. So the counts the cost model prices come from the definition itself
// and cannot drift from it (docs/arithmetic.md §3, docs/cost-model.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

// The datapath operations a unit is built from.
enum class DatapathOp : std::uint8_t {
  kFp32Add,      // FP32 add or subtract
  kFp32Mul,      // FP32 multiply
  kFp32Fma,      // FP32 fused multiply-add (one rounding)
  kFp32Div,      // FP32 divide (an IEEE divider)
  kFp32Convert,  // float <-> integer conversion (round to integer, int to float)
  kIntAdd,       // integer add (exponent arithmetic)
  kCompare,      // a magnitude comparison (range checks, thresholds)
  kFp32Sqrt,     // FP32 square root (IEEE, correctly rounded)
  kIntMul,       // fixed-point multiply (up to 32 x 32 bits) or squarer
  kShift,        // barrel shift, normalisation or leading-zero count
  kTableBit,     // one bit read from a coefficient table (ROM)
};
inline constexpr std::size_t kNumDatapathOps = 11;
template <>
struct EnumNames<DatapathOp> {
  static constexpr std::array<EnumName<DatapathOp>, kNumDatapathOps> table{{
      {DatapathOp::kFp32Add, "fp32_add", "FP32 add or subtract"},
      {DatapathOp::kFp32Mul, "fp32_mul", "FP32 multiply"},
      {DatapathOp::kFp32Fma, "fp32_fma", "FP32 fused multiply-add"},
      {DatapathOp::kFp32Div, "fp32_div", "FP32 divide"},
      {DatapathOp::kFp32Convert, "fp32_convert", "float <-> integer conversion"},
      {DatapathOp::kIntAdd, "int_add", "integer add (exponent arithmetic)"},
      {DatapathOp::kCompare, "compare", "magnitude comparison"},
      {DatapathOp::kFp32Sqrt, "fp32_sqrt", "FP32 square root"},
      {DatapathOp::kIntMul, "int_mul", "fixed-point multiply or squarer (up to 32 x 32 bits)"},
      {DatapathOp::kShift, "shift", "barrel shift, normalisation or leading-zero count"},
      {DatapathOp::kTableBit, "table_bit", "one bit read from a coefficient table"},
  }};
};

// Operation counts of one evaluation.
struct OpMix {
  std::array<std::int64_t, kNumDatapathOps> count{};

  void operator()(DatapathOp op, std::int64_t n = 1) { count[static_cast<std::size_t>(op)] += n; }
  std::int64_t operator[](DatapathOp op) const { return count[static_cast<std::size_t>(op)]; }
  OpMix& operator+=(const OpMix& o) {
    for (std::size_t i = 0; i < count.size(); ++i) count[i] += o.count[i];
    return *this;
  }
  friend OpMix operator+(OpMix a, const OpMix& b) { return a += b; }
  friend OpMix operator-(OpMix a, const OpMix& b) {
    for (std::size_t i = 0; i < a.count.size(); ++i) a.count[i] -= b.count[i];
    return a;
  }
  friend OpMix operator*(OpMix a, std::int64_t k) {
    for (auto& c : a.count) c *= k;
    return a;
  }
  // A mix of one operation.
  static OpMix of(DatapathOp op, std::int64_t n = 1) {
    OpMix m;
    m(op, n);
    return m;
  }
  friend bool operator==(const OpMix&, const OpMix&) = default;
};

// The tally of normal use: compiles to nothing.
struct NoTally {
  constexpr void operator()(DatapathOp, std::int64_t = 1) const {}
};

}  // namespace mambahw
