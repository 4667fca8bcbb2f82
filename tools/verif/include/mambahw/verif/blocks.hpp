// Test-vector definitions of the datapath blocks: the three RTL blocks and
// the units the golden model defines (GEMM requantization, conv unit, exp,
// softplus/log1p, one SSM recurrence step, the Hadamard transform): their
// ports (one hex file each), the memory images they need, the golden
// response to each stimulus, and the directed-corner and random stimulus
// generators. Word layouts: docs/vectors.md; port contracts: docs/contracts.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/verif/manifest.hpp"

namespace mambahw::verif {

enum class Corner { kTies, kSaturation, kSpecials, kSpecialScales, kSubnormals, kEveryCode, kRangeBoundaries, kRandom };
}  // namespace mambahw::verif

template <>
struct mambahw::EnumNames<mambahw::verif::Corner> {
  using Corner = mambahw::verif::Corner;
  static constexpr std::array<EnumName<Corner>, 8> table{{
      {Corner::kTies, "ties", "values on a rounding tie"},
      {Corner::kSaturation, "saturation", "values at and past the code range"},
      {Corner::kSpecials, "specials", "NaN, Inf, signed zeros"},
      {Corner::kSpecialScales, "special_scales", "zero, subnormal, negative, huge, infinite and NaN scale registers"},
      {Corner::kSubnormals, "subnormals", "subnormal inputs and results"},
      {Corner::kEveryCode, "every_code", "every code of the format"},
      {Corner::kRangeBoundaries, "range_boundaries", "channels at scale-range boundaries"},
      {Corner::kRandom, "random", "seeded random vectors"},
  }};
};

namespace mambahw::verif {

struct Port {
  std::string name;  // file is name + ".hex"
  int width_bits;
  bool stimulus;     // false: expected response
  std::string description;
};

struct MemoryImage {
  std::string name;  // file is name + ".hex"
  int width_bits;
  std::vector<std::uint64_t> words;
  std::string description;
};

using Emit = std::function<void(std::span<const std::uint64_t>)>;

class VectorBlock {
 public:
  virtual ~VectorBlock() = default;
  virtual std::string name() const = 0;
  virtual const std::vector<Port>& ports() const = 0;  // stimulus ports first
  virtual std::vector<MemoryImage> memories() const = 0;
  virtual nlohmann::json parameters() const = 0;
  virtual std::vector<Corner> corners() const = 0;
  // Directed classes emit their fixed set; kRandom emits `count` vectors from `seed`.
  virtual void generate(Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) const = 0;
  // RTL parameters of a matching configuration, as SystemVerilog localparams
  // (written to tb_params.svh for the self-checking testbenches).
  virtual std::string sv_params() const = 0;
  // The golden model's response to one frame of stimulus tuples: frame()
  // tuples of stimulus_ports() words in, as many of response_ports() out,
  // tuple-major. Most blocks answer each tuple alone (frame 1); the
  // Hadamard transform answers a whole token.
  virtual void respond(std::span<const std::uint64_t> stim, std::span<std::uint64_t> resp) const = 0;
  virtual std::size_t frame() const { return 1; }

  std::size_t stimulus_ports() const;
  std::size_t response_ports() const { return ports().size() - stimulus_ports(); }
};

inline const std::vector<std::string> kBlockNames = {
    "conv_out_quantizer", "ssm_dequant", "scale_index_lookup",                   // the RTL blocks
    "gemm_requant", "conv_unit", "exp_unit", "softplus", "ssm_step", "hadamard"  // the other units
};

// Overrides of the scheme's numerics for an export (e.g. another rounding mode).
struct NumericsOverrides {
  std::optional<Rounding> rounding;
  std::optional<QuantizeOp> quantize_op;
  std::optional<Denormals> denormals;
};

// A block parameterised from a run configuration (calibrated on its synthetic
// data). Throws std::invalid_argument if the block does not apply (the
// lookup needs a Quamba2 scheme).
std::unique_ptr<VectorBlock> make_block(const std::string& name, const Config& c,
                                        const NumericsOverrides& o);

// Blocks from explicit parameters (testbenches). `scales` are INT8 scale
// values (not registers) used by the generators; the dual format carries the
// registers. Under multiply_reciprocal the quantizer's registers are reciprocals.
std::unique_ptr<VectorBlock> conv_out_quantizer_block(const NumericsPolicy& p, const DualScaleFormat& f,
                                                      std::vector<float> scales);
std::unique_ptr<VectorBlock> ssm_dequant_block(Denormals d, const DualScaleFormat& f, std::vector<float> scales);
std::unique_ptr<VectorBlock> scale_index_lookup_block(const Quamba2ScaleTable& t);

// The units outside the RTL blocks (unit_blocks.cpp), from explicit
// parameters; make_block() and block_from_manifest() build them too.
std::unique_ptr<VectorBlock> exp_unit_block(Denormals d);
std::unique_ptr<VectorBlock> softplus_block(bool threshold, Denormals d);
std::unique_ptr<VectorBlock> gemm_requant_block(const RequantPolicy& p);
std::unique_ptr<VectorBlock> conv_unit_block(int width, ConvOrder order, const NumericsPolicy& p);
std::unique_ptr<VectorBlock> ssm_step_block(Denormals d);
std::unique_ptr<VectorBlock> hadamard_block(HadamardSize s, float multiplier, const HadamardQuantPolicy& p);

// make_block / block_from_manifest for the units (nullptr: not a unit name).
std::unique_ptr<VectorBlock> make_unit_block(const std::string& name, const Config& c, const NumericsOverrides& o);
// `params` is the manifest's "parameters" (ManifestError names a bad field).
std::unique_ptr<VectorBlock> unit_block_from_manifest(const std::string& name, const Field& params,
                                                      const std::vector<MemoryImage>& memories);

// The same block reconstructed from an exported manifest's parameters and
// memory images (what verify-vectors replays through). Every parameter is
// range-checked, and the registers in the memory images must be the ones
// the parameters give: a ManifestError names the field or file otherwise.
std::unique_ptr<VectorBlock> block_from_manifest(const std::string& name, const nlohmann::json& params,
                                                 const std::vector<MemoryImage>& memories);

}  // namespace mambahw::verif
