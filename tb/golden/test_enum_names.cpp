// One vocabulary per enum (mambahw/golden/enum_names.hpp): names round-trip,
// the documentation lists exactly the names the tables hold, and the RTL
// package encodes Rounding with the C++ enum's values.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/cost/memory.hpp"
#include "mambahw/cost/tech_table.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/golden/ssm.hpp"

namespace mambahw {
namespace {

std::string read(const std::string& rel) {
  std::ifstream in(std::string(MAMBAHW_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <NamedEnum E>
void round_trips() {
  std::set<std::string> seen;
  for (const auto& e : EnumNames<E>::table) {
    EXPECT_EQ(parse_enum<E>(e.name), e.value) << e.name;
    EXPECT_EQ(to_string(e.value), e.name);
    EXPECT_TRUE(seen.insert(std::string(e.name)).second) << "duplicate name " << e.name;
    EXPECT_FALSE(e.description.empty()) << e.name;
  }
  EXPECT_FALSE(parse_enum<E>("no_such_name"));
}

TEST(EnumNames, EveryTableRoundTrips) {
  round_trips<Rounding>();
  round_trips<QuantizeOp>();
  round_trips<Overflow>();
  round_trips<Denormals>();
  round_trips<Arch>();
  round_trips<SchemeBase>();
  round_trips<ObserverKind>();
  round_trips<SsmInputFormat>();
  round_trips<ScanOrder>();
  round_trips<ConvOrder>();
  round_trips<WeightPrecision>();
  round_trips<RequantOrder>();
  round_trips<SsmInputMode>();
  round_trips<LookupImpl>();
  round_trips<cost::MemImpl>();
  round_trips<SramKind>();
  round_trips<TechOp>();
  round_trips<ExpKind>();
  round_trips<Log1pKind>();
  round_trips<RecipKind>();
  round_trips<DatapathOp>();
}

// The backticked names in the second cell of the documentation table row of
// `key` in `doc` ("| `key` | `a` \| `b` | ...").
std::set<std::string> documented(const std::string& doc, const std::string& key) {
  const std::string text = read(doc);
  const std::string head = "| `" + key + "` |";
  const auto at = text.find(head);
  if (at == std::string::npos) return {{"<no row for " + key + " in " + doc + ">"}};
  const auto end = text.find('\n', at);
  std::string cell = text.substr(at + head.size(), end - at - head.size());
  cell = cell.substr(0, std::regex_replace(cell, std::regex(R"(\\\|)"), "  ").find('|'));
  std::set<std::string> names;
  const std::regex tick("`([a-z0-9_]+)`");
  for (auto it = std::sregex_iterator(cell.begin(), cell.end(), tick); it != std::sregex_iterator(); ++it)
    names.insert((*it)[1]);
  return names;
}

template <NamedEnum E>
void documented_as_table(const std::string& doc, const std::string& key) {
  const std::vector<std::string> v = enum_names<E>();
  EXPECT_EQ(documented(doc, key), std::set<std::string>(v.begin(), v.end())) << doc << ": " << key;
}

TEST(EnumNames, DocumentationListsExactlyTheNames) {
  const std::string cfg = "docs/configs.md", ar = "docs/arithmetic.md";
  documented_as_table<Arch>(cfg, "arch");
  documented_as_table<SchemeBase>(cfg, "base");
  documented_as_table<ConvOrder>(cfg, "conv.order");
  documented_as_table<ObserverKind>(cfg, "conv_out.observer");
  documented_as_table<SsmInputFormat>(cfg, "ssm_input.format");
  documented_as_table<WeightPrecision>(cfg, "layer.weights");
  documented_as_table<RequantOrder>(cfg, "layer.gemm_requant");
  documented_as_table<Rounding>(cfg, "layer.gemm_rounding");
  documented_as_table<ScanOrder>(cfg, "layer.scan_order");
  documented_as_table<StateReduction>(cfg, "layer.state_reduction");
  documented_as_table<Rounding>(cfg, "layer.hadamard_rounding");
  documented_as_table<Overflow>(cfg, "layer.hadamard_overflow");
  documented_as_table<Denormals>(cfg, "layer.hadamard_denormals");
  documented_as_table<LookupImpl>(cfg, "scale_index.impl");
  documented_as_table<Rounding>(ar, "rounding");
  documented_as_table<QuantizeOp>(ar, "quantize_op");
  documented_as_table<Overflow>(ar, "overflow");
  documented_as_table<Denormals>(ar, "denormals");
  documented_as_table<QuantizeOp>(ar, "silu_division");
  documented_as_table<ExpKind>(ar, "exp_unit");
  documented_as_table<Log1pKind>(ar, "log1p_unit");
  documented_as_table<RecipKind>(ar, "reciprocal_unit");
}

// rtl/mambahw_pkg.sv's localparams are the quantizer's Rounding encoding
// (and tb_params.svh's ROUNDING); they must be the C++ enum's values.
TEST(EnumNames, RtlPackageEncodesRoundingAsTheEnum) {
  const std::string pkg = read("rtl/mambahw_pkg.sv");
  auto value = [&](const std::string& name) {
    std::smatch m;
    if (!std::regex_search(pkg, m, std::regex("localparam int " + name + R"(\s*=\s*(\d+)\s*;)"))) return -1;
    return std::stoi(m[1]);
  };
  EXPECT_EQ(value("RoundHalfAway"), static_cast<int>(Rounding::kHalfAwayFromZero));
  EXPECT_EQ(value("RoundHalfEven"), static_cast<int>(Rounding::kHalfToEven));
  EXPECT_EQ(value("RoundToZero"), static_cast<int>(Rounding::kTowardZero));
}

}  // namespace
}  // namespace mambahw
