// Technology tables for the cost model (configs/tech/*.yaml): energy and area
// per operation, register (flop) storage, SRAM macros, DRAM energy per bit and
// the lookup logic's delays. Every entry carries a `source:` saying where the
// number comes from (a publication, a tool run, or how it was derived).
//
// A table may name a `base:` table (a path relative to itself); then every
// section and every operation is optional and replaces the base's entry as a
// whole (all its fields, including its source). That is how a user drops in
// their own memory-compiler numbers:
//
//   name: my-28nm-compiler
//   base: cacti-28nm.yaml
//   sram: {kind: table, source: "...", points: [...]}
//
// Format and semantics: docs/cost-model.md. Plain data: mambahw/config/tech.hpp
// loads it with the same strict rules as run configurations.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mambahw/golden/enum_names.hpp"

namespace mambahw {

// Operations with a per-evaluation energy and a per-unit area.
enum class TechOp : std::uint8_t {
  kMacInt8,   // INT8 x INT8 multiply-accumulate (32-bit accumulator)
  kMacInt4,   // INT4 x INT8 multiply-accumulate
  kAddInt32,  // 32-bit integer add
  kFp32Add,
  kFp32Mul,
  kFp32Fma,
  kFp32Div,      // FP32 division (an IEEE divider)
  kFp32Convert,  // float <-> integer conversion
  kFp32Sqrt,     // FP32 square root
  kCompare,      // one 32-bit magnitude comparison
  kGate,         // one NAND2-equivalent gate evaluation (MUX, pack/unpack logic)
};
// No exp or softplus entry: those units are priced from the operations of
// the golden unit a scheme selects (unit_ops.hpp; docs/cost-model.md).
inline constexpr int kNumTechOps = 11;
// The YAML keys of the operations (ops.<key>).
template <>
struct EnumNames<TechOp> {
  static constexpr std::array<EnumName<TechOp>, 11> table{{
      {TechOp::kMacInt8, "mac_int8", "INT8 x INT8 MAC"},
      {TechOp::kMacInt4, "mac_int4", "INT4 x INT8 MAC"},
      {TechOp::kAddInt32, "add_int32", "32-bit integer add"},
      {TechOp::kFp32Add, "fp32_add", "FP32 add"},
      {TechOp::kFp32Mul, "fp32_mul", "FP32 multiply"},
      {TechOp::kFp32Fma, "fp32_fma", "FP32 fused multiply-add"},
      {TechOp::kFp32Div, "fp32_div", "FP32 division"},
      {TechOp::kFp32Convert, "fp32_convert", "float <-> integer conversion"},
      {TechOp::kFp32Sqrt, "fp32_sqrt", "FP32 square root"},
      {TechOp::kCompare, "compare", "32-bit magnitude comparison"},
      {TechOp::kGate, "gate", "NAND2-equivalent gate evaluation"},
  }};
};

struct OpCost {
  double energy_pj = 0;  // per evaluation
  double area_um2 = 0;   // per unit (one evaluation per cycle)
  std::string source;
  bool scaled = false;   // multiplied by the table's logic_scaling (another node's figure)
};

// A flop / latch register file: cost per bit.
struct RegisterCost {
  double energy_pj_per_bit = 0;  // per bit read or written
  double area_um2_per_bit = 0;
  double access_ns = 0;          // clock-to-output plus read mux of a small table
  std::string source;
  bool scaled = false;           // as OpCost::scaled
};

// A sourced low..high range of a quantity, or of a factor on it.
struct SourcedRange {
  double low = 0, high = 0;
  std::string source;
};

// One tabulated SRAM macro: capacity x width, with its read energy per access
// and area; write energy and access time may be missing at some points (the
// interpolation of that quantity then uses the points that have it).
struct SramPoint {
  double capacity_bytes = 0;
  int width_bits = 0;
  double read_pj = 0;                 // per access of width_bits
  std::optional<double> write_pj;     // per access of width_bits
  double area_mm2 = 0;
  std::optional<double> access_ns;
  std::optional<double> leakage_mw;   // standby leakage of the macro
  std::string source;                 // the point's own, else the model's
};

enum class SramKind : std::uint8_t {
  kLinear,  // area and energy proportional to bits (the research notes' model)
  kTable,   // interpolation over tabulated macros (CACTI, a memory compiler)
};
template <>
struct EnumNames<SramKind> {
  static constexpr std::array<EnumName<SramKind>, 2> table{{
      {SramKind::kLinear, "linear", "area and energy proportional to bits"},
      {SramKind::kTable, "table", "interpolation over tabulated macros"},
  }};
};

struct SramModel {
  SramKind kind = SramKind::kTable;
  std::string source;
  // kLinear
  double area_mm2_per_kib = 0;  // per 1024 bytes
  double read_pj_per_bit = 0;
  double write_pj_per_bit = 0;
  double access_ns = 0;
  std::optional<double> leakage_mw_per_kib;
  // kTable
  std::vector<SramPoint> points;
  // How far the macro figures may be off (sensitivity, docs/cost-model.md):
  // energy and area are multiplied by low and high.
  std::optional<SourcedRange> range;
  std::optional<SourcedRange> leakage_range;  // a factor on every macro's leakage
};

// One DRAM technology's energy per bit (device + I/O), with its citation:
// the table's `dram_variants:` list, which `dram: {variant: name}` selects
// from and the report prices the layer under (docs/cost-model.md, "DRAM").
// phy_factor: this technology's DRAM interface (PHY + controller) area as a
// multiple of the table's die.dram_phy_mm2, which is the reference LPDDR4 x32
// interface at the table's node (docs/cost-model.md, "Die area").
struct DramVariant {
  std::string name;
  double energy_pj_per_bit = 0;
  std::string source;
  double phy_factor = 1;
  std::string phy_source;  // empty when phy_factor is the default 1
};

struct DramCost {
  double energy_pj_per_bit = 0;
  std::string source;
  std::string variant;                // the dram_variants entry this is, if any
  std::optional<SourcedRange> range;  // pJ/bit; without one, the span of the table's dram_variants
};

// Static power of standard-cell logic and flops, per um2 of cell area (the
// SRAM macros' leakage is per macro, SramPoint::leakage_mw).
struct LeakageCost {
  double logic_nw_per_um2 = 0;
  std::string source;
  std::optional<SourcedRange> range;  // nW/um2
};

// Logic entries (ops, register) characterised at another node: the loader
// multiplies their energies by `energy` and areas by `area` (the nominal
// factors); range_* are the factors' sourced low..high for the sensitivity.
struct LogicScaling {
  int from_nm = 0;
  double energy = 1, area = 1;
  SourcedRange energy_range, area_range;
  std::string source;
};

// What turns the units' areas into a die estimate (docs/cost-model.md, "Die area").
struct DieModel {
  double utilization = 1;           // standard-cell placement density: logic area / its placed area
  double control_fraction = 0;      // control, sequencers, DMA and the on-chip network, as a share of the datapath logic
  double dram_phy_mm2 = 0;          // the reference DRAM interface (LPDDR4 x32 PHY + controller); see DramVariant::phy_factor
  std::string source;
  // Sourced low..high of each, for the sensitivity report.
  std::optional<SourcedRange> utilization_range, control_fraction_range, dram_phy_mm2_range;
};

// Delays of the scale-index lookup logic.
struct LookupTiming {
  double compare_ns = 0;  // one range comparison (magnitude comparator)
  double select_ns = 0;   // parallel lookup: priority select of the matching cell
  // Time to read one range word; when absent, the access time of the memory
  // holding the ranges (SRAM macro or flops) is used.
  std::optional<double> range_read_ns;
  std::string source;
};

struct SourcedValue {
  double value = 0;
  std::string source;
};

struct TechTable {
  std::string name;
  std::string description;
  std::string file;       // where it was loaded from
  std::string base;       // name of the base table, if any
  int node_nm = 0;        // 0 if not stated
  std::array<OpCost, kNumTechOps> ops{};
  RegisterCost reg;
  SramModel sram;
  DramCost dram;
  std::vector<DramVariant> dram_variants;  // cited DRAM technologies (dram: {variant: name} selects one)
  LookupTiming lookup;
  LeakageCost leakage;
  std::optional<LogicScaling> logic_scaling;  // applied by the loader
  DieModel die;
  std::optional<SourcedValue> clock_mhz;     // the clock this assumption set implies
  std::optional<SourcedValue> die_area_mm2;  // a reference die area for percentages

  const OpCost& op(TechOp o) const { return ops[static_cast<std::size_t>(o)]; }
  // Multiplies the energies and areas of the entries marked `scaled` (or,
  // with mark, of every ops/register entry, marking them) by the factors.
  void scale_logic(double energy, double area, bool mark);
  // The entry of dram_variants called `name`, or nullptr.
  const DramVariant* dram_variant(std::string_view name) const;
  // The DRAM range of the sensitivity report: dram.range, else the span
  // (lowest..highest pJ/bit) of dram_variants and the nominal figure; none
  // when the table has neither.
  std::optional<SourcedRange> dram_range() const;
  // The DRAM interface's area: die.dram_phy_mm2 x the selected variant's
  // phy_factor (1 without a variant).
  double dram_phy_mm2() const;
  // "name" or "name (base: base)".
  std::string label() const { return base.empty() ? name : name + " (base " + base + ")"; }
};


}  // namespace mambahw
