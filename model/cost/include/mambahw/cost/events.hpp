// Event counts: what the cost model multiplies by per-event energies.
// This is the interface between "what happened" and "what it costs":
//  - cost_model.hpp derives counts analytically from a ModelShape, a scheme
//    and a sequence length (layer_events);
//  - the SystemC model fills the same struct from its simulation (per unit,
//    at the places where it now calls Events::add; add_named() takes the same
//    stable names).
// Counts are attributed to the hardware unit that performs them; the energy
// breakdown then groups them into categories (exp/softplus, SRAM and DRAM are
// categories of their own, whichever unit caused them).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mambahw/cost/memory.hpp"
#include "mambahw/cost/unit_cost.hpp"

namespace mambahw::cost {

// Hardware units.
enum class Unit : std::uint8_t {
  kGemm,       // in_proj / x_proj / dt_proj / out_proj on the MAC array, incl. output requantization
  kConv,       // depthwise conv, bias, SiLU
  kQuantizer,  // conv-output quantizer (INT8 or dual-scale codes, packing)
  kLookup,     // scale-index lookup (comparators and the index memory)
  kDequant,    // SSM-input dequantization (incl. the dual-scale MUX)
  kSsmCore,    // scan recurrence, gating, norm
  kHadamard,   // online Hadamard before out_proj: its additions, multiply and INT8 conversion
};
inline constexpr int kNumUnits = 7;
std::string_view to_string(Unit);

// Categories of the energy breakdown.
enum class Category : std::uint8_t {
  kGemm, kConv, kQuantizer, kLookup, kDequant, kSsmCore, kHadamard,  // one per Unit, same order
  kExpSoftplus,  // every exp and softplus evaluation (SiLU in the conv, exp(dt*A), softplus(dt))
  kSram,         // weight and activation buffer accesses (the index memory counts as lookup)
  kDram,
};
inline constexpr int kNumCategories = 10;
std::string_view to_string(Category);

// Operation counts of one unit.
struct OpCounts {
  std::int64_t mac_int4 = 0;       // INT4 weight x INT8 activation MACs
  std::int64_t mac_int8 = 0;       // INT8 x INT8 MACs (GEMM and conv taps)
  std::int64_t add_int32 = 0;
  std::int64_t fp32_add = 0;
  std::int64_t fp32_mul = 0;
  std::int64_t fp32_fma = 0;
  std::int64_t fp32_div = 0;
  std::int64_t exp = 0;            // exp evaluations
  std::int64_t softplus = 0;       // softplus evaluations
  std::int64_t compare = 0;        // range comparisons, EventCounts::compare_bits wide
  std::int64_t gate = 0;           // NAND2-equivalent gate evaluations (MUX, pack/unpack)
  std::int64_t register_bits = 0;  // register bits read or written
  std::int64_t dram_read_bytes = 0;
  std::int64_t dram_write_bytes = 0;

  OpCounts& operator+=(const OpCounts& o);
  friend bool operator==(const OpCounts&, const OpCounts&) = default;
};

// The stable names of OpCounts' fields (JSON keys, add_named()).
const std::vector<std::string_view>& op_count_names();
// The field named `name` (nullptr if there is none).
std::int64_t* op_count_field(OpCounts& c, std::string_view name);
std::int64_t op_count_value(const OpCounts& c, std::string_view name);

// Accesses of one on-chip memory.
struct SramTraffic {
  std::string memory;            // e.g. "weight_buffer", "index.dim_range"
  Unit unit = Unit::kGemm;       // the unit that owns it
  MemImpl impl = MemImpl::kSram;
  double capacity_bytes = 0;
  int width_bits = 64;           // bits per access
  double reads = 0;              // accesses
  double writes = 0;
};

struct EventCounts {
  std::array<OpCounts, kNumUnits> units{};
  std::vector<SramTraffic> sram;
  int compare_bits = 32;         // width of the range comparators
  std::int64_t tokens = 0;       // tokens these counts cover
  int layers = 1;                // layers these counts cover
  // The exp and softplus units the counts' evaluations ran on (the scheme's;
  // unit_cost.hpp prices one evaluation from its definition).
  NonlinearUnits nonlinear = nonlinear_units(UnitSelection{}, true);

  OpCounts& at(Unit u) { return units[static_cast<std::size_t>(u)]; }
  const OpCounts& at(Unit u) const { return units[static_cast<std::size_t>(u)]; }
  OpCounts total() const;
  // Adds traffic to the memory of that name (created on first use).
  void add_sram(const SramTraffic& t);
  // Sums counts; memories of the same name add their accesses; tokens add;
  // compare_bits is taken from `o` if this has no comparisons yet.
  EventCounts& operator+=(const EventCounts& o);
  // Multiplies every count (e.g. one layer -> all layers).
  EventCounts scaled(std::int64_t k) const;
};

// Adds `n` to the count named `name` of unit `u` (names of op_count_names(),
// plus the SystemC model's aliases: conv_mac_int8 -> mac_int8, requant and
// dequant -> fp32_mul). False if the name is unknown.
bool add_named(EventCounts& e, Unit u, std::string_view name, std::int64_t n);

}  // namespace mambahw::cost
