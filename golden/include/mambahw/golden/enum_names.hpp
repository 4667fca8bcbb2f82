// One vocabulary per enum. Every enum a config, a report, a CLI option or a
// vector manifest spells has one table, declared beside the enum:
//
//   template <> struct EnumNames<Rounding> {
//     static constexpr std::array<EnumName<Rounding>, 3> table{{
//         {Rounding::kHalfAwayFromZero, "half_away_from_zero", "CUDA roundf: 2.5 -> 3"}, ...}};
//   };
//
// and everything else derives from it: to_string() (reports, JSON, YAML),
// parse_enum() (configs, CLI options, manifests), enum_names() (the choices a
// config error or a CLI --help lists) and the docs/configs.md tables, which a
// test checks against the tables (tb/golden/test_enum_names.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mambahw {

template <class E>
struct EnumName {
  E value;
  std::string_view name;         // the spelling in YAML, JSON, CLI options and reports
  std::string_view description;  // one line, for docs and --help
};

// Specialised for each named enum with `static constexpr std::array<EnumName<E>, N> table`.
template <class E>
struct EnumNames;

template <class E>
concept NamedEnum = requires { EnumNames<E>::table; };

template <NamedEnum E>
constexpr std::string_view to_string(E v) {
  for (const auto& e : EnumNames<E>::table)
    if (e.value == v) return e.name;
  return "?";
}

template <NamedEnum E>
constexpr std::optional<E> parse_enum(std::string_view s) {
  for (const auto& e : EnumNames<E>::table)
    if (e.name == s) return e.value;
  return std::nullopt;
}

template <NamedEnum E>
std::vector<std::string> enum_names() {
  std::vector<std::string> v;
  for (const auto& e : EnumNames<E>::table) v.emplace_back(e.name);
  return v;
}

// "`a` \| `b` \| `c`": the choices as docs/configs.md writes them in a table cell.
template <NamedEnum E>
std::string enum_choices_markdown() {
  std::string s;
  for (const auto& e : EnumNames<E>::table) {
    if (!s.empty()) s += " \\| ";
    s += "`" + std::string(e.name) + "`";
  }
  return s;
}

}  // namespace mambahw
