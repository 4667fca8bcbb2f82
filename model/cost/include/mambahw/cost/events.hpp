// Typed statistics: what the cost model multiplies by per-event energies.
// Each counter and each stall cause is registered once, with its name, the
// measure it counts in and a description (EnumNames tables, the way gem5's
// ADD_STAT or Ramulator 2's register_stat declare statistics); reports, JSON
// keys and docs/architecture.md take the names from here.
//
// Two producers fill the same EventCounts:
//  - program_events(): analytically, from the layer program's work per unit;
//  - the SystemC model: each unit adds its share of the same work tile by
//    tile (UnitCounters::share), plus what only a simulation knows (DRAM
//    bytes as moved, buffer accesses, accumulator traffic).
// tb/model checks that the compute counters of the two agree exactly.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mambahw/cost/memory.hpp"
#include "mambahw/golden/enum_names.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/unit_ops.hpp"

namespace mambahw::cost {

// Event kinds. The datapath operations come in DatapathOp's order (one
// vocabulary: counter_of maps them).
enum class Counter : std::uint8_t {
  kMacInt8,        // INT8 x INT8 MACs (GEMM and conv taps)
  kMacInt4,        // INT4 weight x INT8 activation MACs
  kFp32Add,
  kFp32Mul,
  kFp32Fma,
  kFp32Div,
  kFp32Convert,
  kIntAdd,
  kCompare,
  kFp32Sqrt,
  kIntMul,
  kShift,
  kTableBit,
  kExp,            // exp unit evaluations (priced by the scheme's exp unit's operations)
  kSoftplus,       // softplus unit evaluations
  kLookup,         // scale fetches of the conv-output quantizer (register or index SRAM)
  kMuxSelect,      // dual-scale selections: the quantizer's flag/pack, the dequant's scale MUX
  kSsmStep,        // SSM recurrence steps (channel x state x token); their operations are counted above
  kRegisterBits,   // accumulator / register bits read or written
  kArrayWeightBits,   // GEMM array: weight registers written (dataflow.hpp)
  kArrayOperandBits,  // GEMM array: activation forwarding and input skew registers
  kArrayPsumBits,     // GEMM array: partial-sum chain and output deskew registers
  kDramReadBytes,
  kDramWriteBytes,
};
inline constexpr std::size_t kNumCounters = 24;
}  // namespace mambahw::cost
namespace mambahw {
template <>
struct EnumNames<cost::Counter> {
  using Counter = cost::Counter;
  static constexpr std::array<EnumName<Counter>, cost::kNumCounters> table{{
      {Counter::kMacInt8, "mac_int8", "INT8 x INT8 multiply-accumulates"},
      {Counter::kMacInt4, "mac_int4", "INT4 x INT8 multiply-accumulates"},
      {Counter::kFp32Add, "fp32_add", "FP32 adds and subtracts"},
      {Counter::kFp32Mul, "fp32_mul", "FP32 multiplies"},
      {Counter::kFp32Fma, "fp32_fma", "FP32 fused multiply-adds"},
      {Counter::kFp32Div, "fp32_div", "FP32 divides"},
      {Counter::kFp32Convert, "fp32_convert", "float <-> integer conversions"},
      {Counter::kIntAdd, "int_add", "integer adds (exponent arithmetic)"},
      {Counter::kCompare, "compare", "magnitude comparisons"},
      {Counter::kFp32Sqrt, "fp32_sqrt", "FP32 square roots"},
      {Counter::kIntMul, "int_mul", "fixed-point multiplies"},
      {Counter::kShift, "shift", "shifts and normalisations"},
      {Counter::kTableBit, "table_bit", "coefficient-table bits read"},
      {Counter::kExp, "exp", "exp unit evaluations"},
      {Counter::kSoftplus, "softplus", "softplus unit evaluations"},
      {Counter::kLookup, "lookup", "scale fetches (register or index SRAM)"},
      {Counter::kMuxSelect, "mux_select", "dual-scale flag packs and scale selections"},
      {Counter::kSsmStep, "ssm_step", "SSM recurrence steps"},
      {Counter::kRegisterBits, "register_bits", "accumulator bits read or written"},
      {Counter::kArrayWeightBits, "array_weight_bits", "PE weight register bits written"},
      {Counter::kArrayOperandBits, "array_operand_bits", "activation forwarding and skew register bits written"},
      {Counter::kArrayPsumBits, "array_psum_bits", "partial-sum chain and deskew register bits written"},
      {Counter::kDramReadBytes, "dram_read_bytes", "bytes read from DRAM"},
      {Counter::kDramWriteBytes, "dram_write_bytes", "bytes written to DRAM"},
  }};
};
}  // namespace mambahw
namespace mambahw::cost {
// The measure a counter counts in ("MAC", "op", "evaluation", "byte", ...).
std::string_view measure_of(Counter c);
Counter counter_of(DatapathOp op);

// Why a unit waited.
enum class Stall : std::uint8_t {
  kDramBandwidth,       // operands not yet in from DRAM
  kLookupLatency,       // the scale-index lookup of the next tile not done
  kExpThroughput,       // the exp units, not the lanes, set the rate
  kSoftplusThroughput,  // the softplus units set the rate
};
inline constexpr std::size_t kNumStalls = 4;
}  // namespace mambahw::cost
namespace mambahw {
template <>
struct EnumNames<cost::Stall> {
  using Stall = cost::Stall;
  static constexpr std::array<EnumName<Stall>, cost::kNumStalls> table{{
      {Stall::kDramBandwidth, "dram_bandwidth", "cycles waiting for DRAM data"},
      {Stall::kLookupLatency, "lookup_latency", "cycles waiting for scale-index lookups"},
      {Stall::kExpThroughput, "exp_throughput", "cycles the exp units added over the lanes' rate"},
      {Stall::kSoftplusThroughput, "softplus_throughput", "cycles the softplus units added over the lanes' rate"},
  }};
};
}  // namespace mambahw
namespace mambahw::cost {

// The counters of one unit.
struct UnitCounters {
  std::array<std::int64_t, kNumCounters> n{};

  std::int64_t& operator[](Counter c) { return n[static_cast<std::size_t>(c)]; }
  std::int64_t operator[](Counter c) const { return n[static_cast<std::size_t>(c)]; }
  UnitCounters& operator+=(const UnitCounters& o);
  UnitCounters scaled(std::int64_t k) const;
  // The part [begin, end) of `total` equal parts (channels, tokens, output
  // columns): floor(n*end/total) - floor(n*begin/total) per counter, so the
  // parts of a partition add up to the whole exactly.
  UnitCounters share(std::int64_t begin, std::int64_t end, std::int64_t total) const;
  static std::int64_t share_of(std::int64_t n, std::int64_t begin, std::int64_t end, std::int64_t total);
  friend bool operator==(const UnitCounters&, const UnitCounters&) = default;
};
// A program Work as counters.
UnitCounters counters_of(const Work& w);

// Categories of the energy breakdown: one per unit, then exp/softplus, SRAM
// and DRAM, which are reported apart whichever unit caused them.
enum class Category : std::uint8_t {
  kGemmArray, kConvUnit, kScaleIndexLookup, kConvOutQuantizer, kSsmDequant, kSsmCore, kHadamardUnit,
  kExpSoftplus, kSram, kDram, kLeakage,
};
inline constexpr std::size_t kNumCategories = 11;
}  // namespace mambahw::cost
namespace mambahw {
template <>
struct EnumNames<cost::Category> {
  using Category = cost::Category;
  static constexpr std::array<EnumName<Category>, cost::kNumCategories> table{{
      {Category::kGemmArray, "gemm_array", "MACs, requantization, PE registers, accumulator"},
      {Category::kConvUnit, "conv_unit", "conv taps, bias, SiLU (without its exp)"},
      {Category::kScaleIndexLookup, "scale_index_lookup", "scale registers or the index SRAM and comparators"},
      {Category::kConvOutQuantizer, "conv_out_quantizer", "INT8 and dual-scale quantization"},
      {Category::kSsmDequant, "ssm_dequant", "SSM-input dequant and the dual-scale MUX"},
      {Category::kSsmCore, "ssm_core", "recurrence, gating, norm (without exp/softplus)"},
      {Category::kHadamardUnit, "hadamard_unit", "online Hadamard and INT8 conversion"},
      {Category::kExpSoftplus, "exp_softplus", "every exp and softplus evaluation"},
      {Category::kSram, "sram", "on-chip buffer and state memory accesses (weights, activations, SSM state, conv state, Hadamard tile)"},
      {Category::kDram, "dram", "DRAM traffic"},
      {Category::kLeakage, "leakage", "static power of every unit and memory over the simulated time"},
  }};
};
}  // namespace mambahw
namespace mambahw::cost {
Category category_of(Unit u);

// Accesses of one on-chip memory.
struct SramTraffic {
  std::string memory;            // e.g. "weight_buffer"
  Unit unit = Unit::kGemmArray;  // the unit that owns it
  MemImpl impl = MemImpl::kSram;
  double capacity_bytes = 0;
  int width_bits = 64;           // bits per access
  double reads = 0;              // accesses
  double writes = 0;
};

struct EventCounts {
  std::array<UnitCounters, kNumUnits> units{};
  std::vector<SramTraffic> sram;
  std::int64_t tokens = 0;       // tokens these counts cover
  int layers = 1;                // layers these counts cover

  UnitCounters& at(Unit u) { return units[static_cast<std::size_t>(u)]; }
  const UnitCounters& at(Unit u) const { return units[static_cast<std::size_t>(u)]; }
  UnitCounters total() const;
  // Adds traffic to the memory of that name (created on first use).
  void add_sram(const SramTraffic& t);
  EventCounts& operator+=(const EventCounts& o);
  EventCounts scaled(std::int64_t k) const;  // e.g. one layer -> all layers
};

// The analytic counts of one layer pass of `tokens` tokens: every unit's
// program work, and the DRAM bytes of a schedule that moves each tensor once
// per op that reads or writes it (the roofline's traffic). No SRAM traffic.
EventCounts program_events(const LayerProgram& p, std::int64_t tokens);

}  // namespace mambahw::cost
