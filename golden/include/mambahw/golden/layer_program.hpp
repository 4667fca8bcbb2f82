// The layer program: the one ordered description of a quantized layer's ops,
// built once from the model shape and the quantization scheme. For each op:
// the unit that performs it, its shapes, the tensors it reads and writes with
// their element formats, layouts and bytes, and its work per token and per
// pass. The golden layer executes it (layer.cpp), the SystemC accelerator
// times it (model/), and the roofline, the event counts, energy and area read
// it (model/cost). docs/architecture.md lists where each fact lives.
//
// A fact of the program exists once, here: weight precision
// (weight_precision), the SSM input's bits (ssm_input_bits), scale lookups
// (scale_lookups_per_pass), and the bytes of a tensor (TensorSpec::bytes).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mambahw/golden/enum_names.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/quant_scheme.hpp"
#include "mambahw/golden/unit_ops.hpp"

namespace mambahw {

// The accelerator's units, one vocabulary for reports, costs and the model.
enum class Unit : std::uint8_t {
  kGemmArray,         // in_proj / x_proj / dt_proj / out_proj, incl. the requantization unit
  kConvUnit,          // depthwise conv taps, bias, SiLU
  kScaleIndexLookup,  // Quamba2's per-channel scale selection (range tables, index SRAM)
  kConvOutQuantizer,  // INT8 codes, and dual-scale words
  kSsmDequant,        // the SSM input's dequant stage (incl. the dual-scale MUX)
  kSsmCore,           // recurrence lanes, exp and softplus units, gating, norm
  kHadamardUnit,      // the online Hadamard before out_proj
};
inline constexpr std::size_t kNumUnits = 7;
template <>
struct EnumNames<Unit> {
  static constexpr std::array<EnumName<Unit>, kNumUnits> table{{
      {Unit::kGemmArray, "gemm_array", "INT8/INT4 weight-stationary MAC array and requantization"},
      {Unit::kConvUnit, "conv_unit", "depthwise conv taps, bias, SiLU"},
      {Unit::kScaleIndexLookup, "scale_index_lookup", "Quamba2 range tables and scale SRAM"},
      {Unit::kConvOutQuantizer, "conv_out_quantizer", "INT8 codes and dual-scale words"},
      {Unit::kSsmDequant, "ssm_dequant", "SSM-input dequant and the dual-scale MUX"},
      {Unit::kSsmCore, "ssm_core", "recurrence lanes, exp and softplus units, gating, norm"},
      {Unit::kHadamardUnit, "hadamard_unit", "online Hadamard transform and INT8 conversion"},
  }};
};

enum class ElementFormat : std::uint8_t {
  kInt8,       // two's complement byte
  kInt4,       // two's complement nibbles, low nibble first (gemm.hpp's packing)
  kDualScale,  // (code, flag) words of the scheme's code bits + 1, packed (dual_scale.hpp)
  kFp16,       // IEEE binary16
  kFp32,       // IEEE binary32
};
template <>
struct EnumNames<ElementFormat> {
  static constexpr std::array<EnumName<ElementFormat>, 5> table{{
      {ElementFormat::kInt8, "int8", "two's complement byte"},
      {ElementFormat::kInt4, "int4", "two's complement nibbles, low nibble first"},
      {ElementFormat::kDualScale, "dual_scale", "packed (code, flag) words"},
      {ElementFormat::kFp16, "fp16", "IEEE binary16"},
      {ElementFormat::kFp32, "fp32", "IEEE binary32"},
  }};
};

// Order of an activation tensor in memory.
enum class Layout : std::uint8_t {
  kTokenMajor,    // [L][channels]: what the GEMM array streams
  kChannelMajor,  // [channels][L]: what the conv unit and the SSM core walk tile by tile
  kRows,          // weights and constants: rows of packed elements (docs/architecture.md)
};
template <>
struct EnumNames<Layout> {
  static constexpr std::array<EnumName<Layout>, 3> table{{
      {Layout::kTokenMajor, "token_major", "[L][channels]"},
      {Layout::kChannelMajor, "channel_major", "[channels][L]"},
      {Layout::kRows, "rows", "rows of packed elements"},
  }};
};

struct TensorSpec {
  std::string name;
  ElementFormat format = ElementFormat::kInt8;
  int element_bits = 8;
  Layout layout = Layout::kTokenMajor;
  std::int64_t per_token = 0;  // activations: elements per token
  std::int64_t fixed = 0;      // weights and constants: bytes, independent of L
  std::string description;

  bool is_activation() const { return per_token > 0; }
  // The one byte count of a tensor: ceil(elements * bits / 8) for `tokens`
  // tokens of an activation; the fixed bytes of weights and constants.
  std::int64_t bytes(std::int64_t tokens) const;
};

enum class OpKind : std::uint8_t {
  kGemm,              // in_proj, x_proj, dt_proj, out_proj
  kConvSiluQuantize,  // causal conv1d + SiLU + the conv-output quantizer
  kSelectiveScan,     // Mamba1 SSM
  kSsdScanNorm,       // Mamba2 SSM + gated RMSNorm
  kHadamardQuantize,  // the online Hadamard + INT8
};

// Which GEMM of the layer (which weights and scales it uses).
enum class GemmId : std::uint8_t { kInProj, kXProj, kDtProj, kOutProj };

struct GemmSpec {
  GemmId id = GemmId::kInProj;
  std::int64_t k = 0, n = 0;  // reduction, outputs
  WeightPrecision weights = WeightPrecision::kInt8;
  int weight_group = 0;       // 0: per output channel
  ElementFormat in = ElementFormat::kInt8;   // FP16 where the input is requantized on the way in
  ElementFormat out = ElementFormat::kInt8;
};

// The work of one unit in an op: datapath operations, MACs, unit
// evaluations and lookups, per token and per pass (a pass is one sequence
// through the layer: work on constants, independent of L).
struct Work {
  std::int64_t mac_int8 = 0, mac_int4 = 0;
  OpMix ops;                    // datapath operations outside the exp/softplus units
  std::int64_t exp = 0;         // exp unit evaluations (unit_ops: exp_unit_ops)
  std::int64_t softplus = 0;    // softplus unit evaluations (softplus_ops)
  std::int64_t lookups = 0;     // scale fetches (scale_lookups_per_pass)
  std::int64_t mux_selects = 0; // dual-scale MUX selections (dequant) and flag packs (quantizer)
  std::int64_t steps = 0;       // SSM recurrence steps (channel, state)

  Work& operator+=(const Work& o);
  Work scaled(std::int64_t k) const;
  friend bool operator==(const Work&, const Work&) = default;
};

struct UnitWork {
  Unit unit = Unit::kGemmArray;
  Work per_token, per_pass;
};

struct OpSpec {
  std::string name;  // in_proj, conv1d+silu+quantize, x_proj, dt_proj, selective_scan, ssd_scan+norm, hadamard+quantize, out_proj
  OpKind kind = OpKind::kGemm;
  Unit unit = Unit::kGemmArray;      // the unit that runs the op (its sub-units are in `work`)
  std::vector<std::string> inputs;   // activations read
  std::vector<std::string> outputs;  // activations written
  // Per output, the op's columns it holds: a GEMM's output features, the conv
  // unit's channels (ModelShape's segments; dual-scale words and INT8 codes
  // of the same channels share a range).
  std::vector<Segment> output_columns;
  std::vector<std::string> weights;  // weights and constants read
  std::optional<GemmSpec> gemm;
  std::vector<UnitWork> work;

  Work work_of(Unit u, std::int64_t tokens) const;  // per_token * tokens + per_pass
};

struct LayerProgram {
  ModelShape shape;
  std::vector<TensorSpec> tensors;
  std::vector<OpSpec> ops;
  std::string input = "hidden";  // written by the host (or the previous layer)
  // Datapath operations of one evaluation of the scheme's exp and softplus
  // units (the golden units' own tallies): what Work::exp and Work::softplus
  // cost.
  OpMix exp_eval, softplus_eval;

  const TensorSpec& tensor(std::string_view name) const;  // std::out_of_range naming it
  const OpSpec& op(std::string_view name) const;
  // All work of a unit over the layer for `tokens` tokens.
  Work unit_work(Unit u, std::int64_t tokens) const;
  // Bytes an op reads and writes (activations for `tokens`, weights once).
  std::int64_t op_bytes(const OpSpec& op, std::int64_t tokens) const;
};

// ---- the facts, one function each ---------------------------------------------

WeightPrecision weight_precision(const QuantScheme& s);
int weight_bits(WeightPrecision p);  // 8 or 4
// Bits per SSM-input element as the SSM reads it: 8, or the dual-scale word.
int ssm_input_bits(const QuantScheme& s);
// Scale fetches of the conv-output quantizer per pass: one per SSM-input
// channel (its scale is static, so a channel's fetch serves all its tokens
// in a pass; a decode step is a pass of one token). Quamba1 reads a
// register, Quamba2 looks the channel up in the index SRAM.
std::int64_t scale_lookups_per_pass(const ModelShape& m);
// Bytes of the conv unit's weight memory per channel: the INT8 taps and bias,
// and the two FP32 constants scale_in and bias_f (conv.hpp).
std::int64_t conv_weight_bytes_per_channel(int width);

LayerProgram layer_program(const ModelShape& m, const QuantScheme& s);

}  // namespace mambahw
