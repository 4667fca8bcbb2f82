// Which exp, log1p and reciprocal unit a scheme builds its SiLU, softplus,
// gate and quantizer scale registers from (the `numerics:` keys exp_unit,
// log1p_unit, reciprocal_unit; docs/arithmetic.md §3). A variant is a kind
// and, for the table-based kinds, one number:
//   pwl<S>    piecewise-linear interpolation between S + 1 table points, S a power of two in [2, 4096]
//   tquad<B>  a 2^B-entry table of quadratic-interpolation coefficients, B in [2, 12]
// spelled as in YAML: "poly", "pwl16", "tquad6", "sm90", "ieee". The
// evaluation functions are units.hpp's.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

enum class ExpKind : std::uint8_t {
  kPoly,       // the accelerator's polynomial exp (1 multiply, Cody-Waite reduction, 7 Horner FMAs)
  kPwl,        // 2^frac by a piecewise-linear table, fixed point
  kTableQuad,  // 2^frac by table + quadratic interpolation, fixed point
  kSm90,       // NVIDIA Hopper fast math: ex2.approx.ftz(mul.ftz(x, log2e))
};
template <>
struct EnumNames<ExpKind> {
  static constexpr std::array<EnumName<ExpKind>, 4> table{{
      {ExpKind::kPoly, "poly", "polynomial exp: Cody-Waite reduction and 7 Horner FMAs (FP32)"},
      {ExpKind::kPwl, "pwl", "pwl<S>: 2^frac by S-segment piecewise-linear interpolation (fixed point)"},
      {ExpKind::kTableQuad, "tquad", "tquad<B>: 2^frac by a 2^B-entry table + quadratic interpolation (fixed point)"},
      {ExpKind::kSm90, "sm90", "H100/H200 fast math: ex2.approx.ftz(x * log2e), bit for bit"},
  }};
};

enum class Log1pKind : std::uint8_t {
  kPoly,       // the accelerator's atanh-series log1p (FP32)
  kPwl,        // ln(1+f)/f by a piecewise-linear table, fixed point
  kTableQuad,  // ln(1+f)/f by table + quadratic interpolation, fixed point
  kSm90,       // libdevice log1pf as nvcc --use_fast_math compiles it
};
template <>
struct EnumNames<Log1pKind> {
  static constexpr std::array<EnumName<Log1pKind>, 4> table{{
      {Log1pKind::kPoly, "poly", "atanh-series log1p with a rounding correction (FP32)"},
      {Log1pKind::kPwl, "pwl", "pwl<S>: ln(1+f)/f by S-segment piecewise-linear interpolation (fixed point)"},
      {Log1pKind::kTableQuad, "tquad", "tquad<B>: ln(1+f)/f by a 2^B-entry table + quadratic interpolation"},
      {Log1pKind::kSm90, "sm90", "libdevice log1pf under --use_fast_math (FTZ), bit for bit"},
  }};
};

enum class RecipKind : std::uint8_t {
  kIeee,       // the correctly rounded FP32 reciprocal (an IEEE divider computing 1/x)
  kPwl,        // 1/(1+f) by a piecewise-linear table, fixed point
  kTableQuad,  // 1/(1+f) by table + quadratic interpolation, fixed point
  kSm90,       // rcp.approx.ftz.f32 (MUFU.RCP)
};
template <>
struct EnumNames<RecipKind> {
  static constexpr std::array<EnumName<RecipKind>, 4> table{{
      {RecipKind::kIeee, "ieee", "correctly rounded 1/x (IEEE divider)"},
      {RecipKind::kPwl, "pwl", "pwl<S>: 1/(1+f) by S-segment piecewise-linear interpolation (fixed point)"},
      {RecipKind::kTableQuad, "tquad", "tquad<B>: 1/(1+f) by a 2^B-entry table + quadratic interpolation"},
      {RecipKind::kSm90, "sm90", "H100/H200 rcp.approx.ftz.f32, bit for bit"},
  }};
};

// One unit variant: a kind, and its table size for pwl (segments) and tquad (index bits).
template <class Kind>
struct UnitVariant {
  Kind kind{};
  int param = 0;  // pwl: segments S; tquad: index bits B; otherwise 0
  friend constexpr bool operator==(const UnitVariant&, const UnitVariant&) = default;
};
using ExpUnit = UnitVariant<ExpKind>;
using Log1pUnit = UnitVariant<Log1pKind>;
using RecipUnit = UnitVariant<RecipKind>;

// The table-based kinds (named "pwl" and "tquad" in every family) take a number.
template <class Kind>
constexpr bool takes_param(Kind k) {
  return to_string(k) == std::string_view("pwl") || to_string(k) == std::string_view("tquad");
}

// Empty if `v` is a valid variant, else what is wrong with it.
template <class Kind>
std::string unit_variant_problem(const UnitVariant<Kind>& v) {
  if (!takes_param(v.kind)) return v.param == 0 ? std::string{} : std::string(to_string(v.kind)) + " takes no number";
  if (to_string(v.kind) == std::string_view("pwl")) {
    if (v.param < 2 || v.param > 4096 || (v.param & (v.param - 1)) != 0)
      return "pwl needs a segment count that is a power of two in [2, 4096], e.g. pwl16";
  } else if (v.param < 2 || v.param > 12) {
    return "tquad needs table index bits in [2, 12], e.g. tquad6";
  }
  return {};
}

// "pwl16", "tquad6", "poly", ...
template <class Kind>
std::string to_string(const UnitVariant<Kind>& v) {
  std::string s(to_string(v.kind));
  if (takes_param(v.kind)) s += std::to_string(v.param);
  return s;
}

// Parses "pwl16" and the like; the reason in `why` when it is not a variant.
template <class Kind>
std::optional<UnitVariant<Kind>> parse_unit_variant(std::string_view s, std::string* why = nullptr) {
  // A whole name ("sm90") first, else a name and its trailing number ("pwl16").
  std::size_t digits = s.size();
  if (!parse_enum<Kind>(s))
    while (digits > 0 && s[digits - 1] >= '0' && s[digits - 1] <= '9') --digits;
  UnitVariant<Kind> v;
  const std::optional<Kind> k = parse_enum<Kind>(s.substr(0, digits));
  auto fail = [&](std::string m) -> std::optional<UnitVariant<Kind>> {
    if (why) *why = std::move(m);
    return std::nullopt;
  };
  std::string choices;
  for (const auto& e : EnumNames<Kind>::table)
    choices += (choices.empty() ? "" : ", ") + std::string(e.name) + (takes_param(e.value) ? "<n>" : "");
  if (!k) return fail("'" + std::string(s) + "' is not one of " + choices);
  v.kind = *k;
  if (digits < s.size()) {
    const auto r = std::from_chars(s.data() + digits, s.data() + s.size(), v.param);
    if (r.ec != std::errc{} || s.size() - digits > 5) return fail("'" + std::string(s) + "': the number is out of range");
  } else if (takes_param(v.kind)) {
    return fail(std::string(to_string(v.kind)) + " needs a number, e.g. " +
                (to_string(v.kind) == std::string_view("pwl") ? "pwl16" : "tquad6"));
  }
  if (std::string p = unit_variant_problem(v); !p.empty()) return fail(p);
  return v;
}

// The units one scheme builds its nonlinear functions from. The defaults are
// the accelerator's polynomial exp and log1p and the IEEE reciprocal.
struct UnitSelection {
  ExpUnit exp{ExpKind::kPoly, 0};
  Log1pUnit log1p{Log1pKind::kPoly, 0};
  RecipUnit reciprocal{RecipKind::kIeee, 0};
  friend constexpr bool operator==(const UnitSelection&, const UnitSelection&) = default;
};

}  // namespace mambahw
