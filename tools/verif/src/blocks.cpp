#include "mambahw/verif/blocks.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/core.h>

#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "block_util.hpp"

namespace mambahw::verif {

using nlohmann::json;
using namespace detail;

namespace {


// ---- conv_out_quantizer ---------------------------------------------------------

class ConvOutQuantizerBlock final : public VectorBlock {
 public:
  ConvOutQuantizerBlock(NumericsPolicy p, DualScaleFormat dual, std::vector<float> scales)
      : p_(p), dual_(dual), scales_(std::move(scales)) {
    ports_ = {{"x", 32, true, "FP32 input (conv+SiLU result), IEEE-754 bits"},
              {"scale", 32, true, "INT8 scale register: fp32(1/scale) for multiply_reciprocal, scale for divide"},
              {"code", 8, false, "expected INT8 code, two's complement"},
              {"se", dual_.word_bits(), false, "expected dual-scale word: [code_bits] flag, [code_bits-1:0] code"}};
  }
  std::string name() const override { return "conv_out_quantizer"; }
  const std::vector<Port>& ports() const override { return ports_; }
  std::vector<MemoryImage> memories() const override {
    return {{"se_scales", 32, {bits_of(reg1()), bits_of(reg12())},
             "dual-scale registers: [0] scale1 register, [1] scale12 register (reciprocals under multiply_reciprocal)"}};
  }
  json parameters() const override {
    json s = json::array();
    for (float v : scales_) s.push_back(hex32(v));
    return {{"numerics", numerics_json(p_)},
            {"code_bits", dual_.code_bits()},
            {"symmetric", dual_.range.qmin == -dual_.range.qmax},
            {"qmin", dual_.range.qmin},
            {"qmax", dual_.range.qmax},
            {"scale1", hex32(dual_.scale1)},
            {"scale2", hex32(dual_.scale2)},
            {"scale12", hex32(dual_.scale12)},
            {"int8_scales", s}};
  }
  std::vector<Corner> corners() const override {
    return {Corner::kTies, Corner::kSaturation, Corner::kSpecials, Corner::kSpecialScales, Corner::kEveryCode,
            Corner::kRandom};
  }
  std::string sv_params() const override {
    return fmt::format(
        "localparam int ROUNDING = {};  // 0 half-away, 1 half-even, 2 toward zero\n"
        "localparam bit FTZ = 1'b{};\nlocalparam bit WRAP = 1'b{};\nlocalparam int CODE_BITS = {};\n"
        "localparam bit SYMMETRIC = 1'b{};\nlocalparam bit QUANTIZE_DIVIDE = 1'b{};  // the RTL implements multiply only\n",
        static_cast<int>(p_.rounding), p_.denormals == Denormals::kFlushToZero ? 1 : 0,
        p_.overflow == Overflow::kWrap ? 1 : 0, dual_.code_bits(), dual_.range.qmin == -dual_.range.qmax ? 1 : 0,
        p_.quantize_op == QuantizeOp::kDivide ? 1 : 0);
  }

  void respond(std::span<const std::uint64_t> stim, std::span<std::uint64_t> resp) const override {
    const float x = float_of(static_cast<std::uint32_t>(stim[0]));
    const float reg = float_of(static_cast<std::uint32_t>(stim[1]));
    resp[0] = static_cast<std::uint8_t>(quantize(x, reg, reg, p_));
    resp[1] = pack_dual(quantize_dual(x, dual_, p_), dual_.code_bits());
  }

  void generate(Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) const override {
    const QuantizeOp op = p_.quantize_op;
    auto put = [&](float x, float reg) {
      const std::uint64_t w[2] = {bits_of(x), bits_of(reg)};
      emit(w);
    };
    const float se_reg = register_of(dual_.scale1);  // INT8 port value paired with SE corners
    switch (c) {
      case Corner::kTies:
        for (float s : scales_) {
          const float r = register_of(s);
          for (int k = -130; k <= 130; ++k) around(k + 0.5, r, op, 2, [&](float x) { put(x, r); });
        }
        for (float s : {dual_.scale1, dual_.scale12})
          for (int k = -16; k <= 16; ++k)
            around(k + 0.5, register_of(s), op, 2, [&](float x) { put(x, se_reg); });
        break;
      case Corner::kSaturation:
        for (float s : scales_) {
          const float r = register_of(s);
          for (double t : {127.0, 127.5, 128.0, 128.5, 129.0, 255.5, 256.0, 1e6})
            for (double sg : {1.0, -1.0}) around(sg * t, r, op, 2, [&](float x) { put(x, r); });
          for (float x : {1e30f, -1e30f, 1e10f, -1e10f}) put(x, r);
        }
        for (float s : {dual_.scale1, dual_.scale12}) {
          const double q = dual_.range.qmax;
          for (double t : {q, q + 0.5, q + 1.0, -q, -q - 0.5, -q - 1.0, -q - 1.5})
            around(t, register_of(s), op, 2, [&](float x) { put(x, se_reg); });
        }
        break;
      case Corner::kSpecials:
        for (float s : scales_)
          for (float x : special_values()) put(x, register_of(s));
        break;
      case Corner::kSpecialScales:  // the register itself special: zero, subnormal, negative, huge, Inf, NaN
        for (float r : special_registers())
          for (float x : special_register_inputs()) put(x, r);
        break;
      case Corner::kEveryCode:
        for (float s : scales_) {
          const float r = register_of(s);
          for (int k = -128; k <= 127; ++k) around(k, r, op, 0, [&](float x) { put(x, r); });
        }
        for (int k = dual_.range.qmin; k <= dual_.range.qmax; ++k) {
          put(static_cast<float>(k * static_cast<double>(dual_.scale1)), se_reg);
          put(static_cast<float>(k * static_cast<double>(dual_.scale12)), se_reg);
        }
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        for (std::uint64_t i = 0; i < count; ++i) {
          const float r = register_of(scales_[rng.below(scales_.size())]);
          const std::uint64_t kind = rng.below(8);
          float x;
          if (kind < 2) {
            x = float_of(static_cast<std::uint32_t>(rng.next()));
          } else if (kind < 7) {
            const double t = (rng.uniform() * 2.0 - 1.0) * 140.0;
            x = static_cast<float>(op == QuantizeOp::kMultiplyReciprocal ? t / r : t * r);
          } else {
            x = static_cast<float>((rng.uniform() * 2.0 - 1.0) * 9.0 * dual_.scale12);
          }
          put(x, r);
        }
        break;
      }
      case Corner::kSubnormals:  // part of specials (subnormal inputs) for this block
      case Corner::kRangeBoundaries:
        break;
    }
  }

 private:
  float register_of(float scale) const {
    return p_.quantize_op == QuantizeOp::kMultiplyReciprocal ? inv_scale_register(scale, p_) : scale;
  }
  float reg1() const { return p_.quantize_op == QuantizeOp::kMultiplyReciprocal ? dual_.inv_scale1 : dual_.scale1; }
  float reg12() const { return p_.quantize_op == QuantizeOp::kMultiplyReciprocal ? dual_.inv_scale12 : dual_.scale12; }

  NumericsPolicy p_;
  DualScaleFormat dual_;
  std::vector<float> scales_;
  std::vector<Port> ports_;
};

// ---- ssm_dequant --------------------------------------------------------------------

class SsmDequantBlock final : public VectorBlock {
 public:
  SsmDequantBlock(Denormals d, DualScaleFormat dual, std::vector<float> scales)
      : d_(d), dual_(dual), scales_(std::move(scales)) {
    ports_ = {{"mode", 1, true, "0: INT8 code with the scale port; 1: dual-scale word with the se_scales registers"},
              {"code", std::max(8, dual_.word_bits()), true, "INT8 code (mode 0) or dual-scale word (mode 1)"},
              {"scale", 32, true, "FP32 scale for mode 0 (0 in mode 1)"},
              {"value", 32, false, "expected FP32 value, IEEE-754 bits (NaN canonical 0x7fc00000)"}};
  }
  std::string name() const override { return "ssm_dequant"; }
  const std::vector<Port>& ports() const override { return ports_; }
  std::vector<MemoryImage> memories() const override {
    return {{"se_scales", 32, {bits_of(dual_.scale1), bits_of(dual_.scale12)},
             "dual-scale MUX inputs: [0] scale1, [1] scale12 = fp32(scale1*scale2)"}};
  }
  json parameters() const override {
    json s = json::array();
    for (float v : scales_) s.push_back(hex32(v));
    return {{"denormals", to_string(d_)},
            {"code_bits", dual_.code_bits()},
            {"symmetric", dual_.range.qmin == -dual_.range.qmax},
            {"scale1", hex32(dual_.scale1)},
            {"scale12", hex32(dual_.scale12)},
            {"int8_scales", s}};
  }
  std::vector<Corner> corners() const override {
    return {Corner::kSaturation, Corner::kSpecials, Corner::kSpecialScales, Corner::kEveryCode, Corner::kRandom};
  }
  std::string sv_params() const override {
    return fmt::format("localparam bit FTZ = 1'b{};\nlocalparam int CODE_BITS = {};\n",
                       d_ == Denormals::kFlushToZero ? 1 : 0, dual_.code_bits());
  }
  void respond(std::span<const std::uint64_t> stim, std::span<std::uint64_t> resp) const override {
    float v;
    if (stim[0] == 0) {
      v = dequant(static_cast<std::int8_t>(stim[1] & 0xFF), float_of(static_cast<std::uint32_t>(stim[2])), d_);
    } else {
      v = dequant_dual(unpack_dual(static_cast<std::uint16_t>(stim[1]), dual_.code_bits()), dual_, d_);
    }
    resp[0] = bits_of(v);
  }
  void generate(Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) const override {
    auto int8 = [&](int code, float scale) {
      const std::uint64_t w[3] = {0, static_cast<std::uint8_t>(code), bits_of(scale)};
      emit(w);
    };
    auto dual = [&](std::uint32_t word) {
      const std::uint64_t w[3] = {1, word, 0};
      emit(w);
    };
    const std::uint32_t words = 1u << dual_.word_bits();
    switch (c) {
      case Corner::kEveryCode:
        for (float s : scales_)
          for (int k = -128; k <= 127; ++k) int8(k, s);
        for (std::uint32_t w = 0; w < words; ++w) dual(w);
        break;
      case Corner::kSpecials:  // subnormal and huge scales, NaN/Inf registers
        for (float s : {float_of(1u), float_of(0x007F'FFFFu), 0x1p-126f, 0x1p-130f, 0x1.8p-127f,
                        std::numeric_limits<float>::max(), 0x1p127f, INFINITY, float_of(0x7FC0'0000u), 0.0f})
          for (int k : {-128, -2, -1, 0, 1, 2, 127}) int8(k, s);
        break;
      case Corner::kSpecialScales:  // every special register, negative ones too, on the INT8 path
        for (float s : special_registers())
          for (int k : {-128, -1, 0, 1, 127}) int8(k, s);
        break;
      case Corner::kSaturation:  // products that overflow to +-Inf
        for (float s : {0x1p121f, 0x1.fffffep121f, 0x1p125f, 0x1.5p126f})
          for (int k : {-128, -127, -64, 63, 64, 127}) int8(k, s);
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        for (std::uint64_t i = 0; i < count; ++i) {
          if (rng.below(4) == 0) {
            dual(static_cast<std::uint32_t>(rng.below(words)));
          } else {
            // Positive normal scales spanning 2^-60 .. 2^60.
            const auto exp = static_cast<std::uint32_t>(67 + rng.below(121));
            const float s = float_of((exp << 23) | static_cast<std::uint32_t>(rng.next() & 0x7F'FFFF));
            int8(static_cast<int>(rng.below(256)) - 128, s);
          }
        }
        break;
      }
      case Corner::kTies:
      case Corner::kSubnormals:  // subnormal scales are in specials
      case Corner::kRangeBoundaries:
        break;
    }
  }

 private:
  Denormals d_;
  DualScaleFormat dual_;
  std::vector<float> scales_;
  std::vector<Port> ports_;
};

// ---- scale_index_lookup -------------------------------------------------------------

// index word: [15] found, [14:8] g, [7:4] hg (0xf: none), [3:0] dg (0xf: none)
std::uint64_t pack_index(const ScaleIndex& ix) {
  const std::uint64_t hg = ix.hg < 0 ? 0xF : static_cast<std::uint64_t>(ix.hg);
  const std::uint64_t dg = ix.dg < 0 ? 0xF : static_cast<std::uint64_t>(ix.dg);
  return (ix.found() ? 1ull << 15 : 0) | (static_cast<std::uint64_t>(ix.g) << 8) | (hg << 4) | dg;
}

class ScaleIndexLookupBlock final : public VectorBlock {
 public:
  explicit ScaleIndexLookupBlock(Quamba2ScaleTable t) : t_(std::move(t)) {
    const auto& s = t_.shape;
    const std::int64_t x = std::int64_t{s.ngroups} * s.heads_per_group * s.headdim;  // before x_dim(): no overflow
    if (s.ngroups < 1 || s.ngroups > 127 || s.head_groups < 1 || s.head_groups > 15 || s.dim_groups < 1 ||
        s.dim_groups > 15 || s.heads_per_group < 1 || s.headdim < 1 || x > 65535)
      throw std::invalid_argument(fmt::format("scale table ({} groups x {} head groups x {} dim groups, {} x-channels) "
                                              "does not fit the vector word layout (at most 127 x 15 x 15, 65535)",
                                              s.ngroups, s.head_groups, s.dim_groups, x));
    ports_ = {{"channel", 16, true, "x-segment channel index"},
              {"index", 16, false, "expected [15] found, [14:8] g, [7:4] hg (0xf none), [3:0] dg (0xf none)"},
              {"scale", 32, false, "expected FP32 scale (0 when not found)"}};
  }
  std::string name() const override { return "scale_index_lookup"; }
  const std::vector<Port>& ports() const override { return ports_; }
  std::vector<MemoryImage> memories() const override {
    MemoryImage hr{"head_range", 16, {}, "x_head_group_range, [g][hg] row-major, cumulative end head"};
    MemoryImage dr{"dim_range", 16, {}, "x_dim_group_range, [g][hg][dg] row-major, cumulative end dim"};
    MemoryImage xs{"x_scales", 32, {}, "x_out_scales, [g][hg][dg] row-major, FP32"};
    for (int v : t_.head_range) hr.words.push_back(static_cast<std::uint64_t>(v));
    for (int v : t_.dim_range) dr.words.push_back(static_cast<std::uint64_t>(v));
    for (float v : t_.x_scales) xs.words.push_back(bits_of(v));
    return {hr, dr, xs};
  }
  json parameters() const override {
    const auto& s = t_.shape;
    return {{"ngroups", s.ngroups},       {"head_groups", s.head_groups}, {"dim_groups", s.dim_groups},
            {"heads_per_group", s.heads_per_group}, {"headdim", s.headdim}, {"x_dim", x_dim()}};
  }
  std::vector<Corner> corners() const override {
    return {Corner::kRangeBoundaries, Corner::kEveryCode, Corner::kRandom};
  }
  std::string sv_params() const override {
    const auto& s = t_.shape;
    return fmt::format(
        "localparam int GROUPS = {};\nlocalparam int HEAD_GROUPS = {};\n"
        "localparam int DIM_GROUPS = {};\nlocalparam int HEADS_PER_GROUP = {};\n"
        "localparam int HEAD_DIM = {};\n",
        s.ngroups, s.head_groups, s.dim_groups, s.heads_per_group, s.headdim);
  }
  void respond(std::span<const std::uint64_t> stim, std::span<std::uint64_t> resp) const override {
    const int c = static_cast<int>(stim[0]);
    if (c >= x_dim()) {  // outside the x segment: nothing matches
      resp[0] = 0;
      resp[1] = 0;
      return;
    }
    const ScaleIndex ix = lookup_scale_index(t_, c);
    resp[0] = pack_index(ix);
    resp[1] = bits_of(ix.found() ? t_.x_scales[t_.cell_index(ix.g, ix.hg, ix.dg)] : 0.0f);
  }
  void generate(Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) const override {
    auto put = [&](int ch) {
      const std::uint64_t w[1] = {static_cast<std::uint64_t>(ch)};
      emit(w);
    };
    const auto& s = t_.shape;
    switch (c) {
      case Corner::kRangeBoundaries:
        for (int g = 0; g < s.ngroups; ++g) {
          int h0 = 0;
          for (int hg = 0; hg < s.head_groups; ++hg) {
            const int h1 = t_.head_range[t_.hr_index(g, hg)];
            int d0 = 0;
            for (int dg = 0; dg < s.dim_groups; ++dg) {
              const int d1 = t_.dim_range[t_.cell_index(g, hg, dg)];
              for (int h : {h0, h1 - 1})
                for (int d : {d0, d1 - 1}) put((g * s.heads_per_group + h) * s.headdim + d);
              d0 = d1;
            }
            h0 = h1;
          }
        }
        break;
      case Corner::kEveryCode:
        for (int ch = 0; ch < x_dim(); ++ch) put(ch);
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        for (std::uint64_t i = 0; i < count; ++i) put(static_cast<int>(rng.below(static_cast<std::uint64_t>(x_dim()))));
        break;
      }
      default:
        break;
    }
  }

 private:
  int x_dim() const { return t_.shape.ngroups * t_.shape.heads_per_group * t_.shape.headdim; }
  Quamba2ScaleTable t_;
  std::vector<Port> ports_;
};


// The conv-output quantizer of the config's layer 0, calibrated through the
// whole layer as `mambahw run` and the SystemC co-simulation calibrate it
// (make_layer_case), so exported vectors carry the scales the layer run uses.
ConvOutQuantizer layer_conv_out(const Config& c, const QuantScheme& s) {
  return make_layer_case(c.model, s, SyntheticWeights(c.run.seed), c.run, 0).q.conv_out;
}

// The same; if the scheme has no dual format, a W4A5-SE format calibrated
// with the default rule on the same data.
ConvOutQuantizer calibrated(const Config& c, QuantScheme s) {
  if (s.ssm_input != SsmInputFormat::kDualScale) {
    s.ssm_input = SsmInputFormat::kDualScale;
    s.dual = DualScaleSpec{};
  }
  return layer_conv_out(c, s);
}

std::vector<float> scale_set(const ConvOutQuantizer& q) {
  std::vector<float> s;
  for (float v : q.int8_scales)
    if (v > 0 && std::find(s.begin(), s.end(), v) == s.end()) s.push_back(v);
  for (float v : {0x1p-126f, 0x1p-20f, 1.0f / 3.0f, 1.0f, 0x1p20f, 0x1p126f}) s.push_back(v);
  return s;
}



}  // namespace

std::size_t VectorBlock::stimulus_ports() const {
  std::size_t n = 0;
  for (const Port& p : ports()) n += p.stimulus;
  return n;
}

std::unique_ptr<VectorBlock> conv_out_quantizer_block(const NumericsPolicy& p, const DualScaleFormat& f,
                                                      std::vector<float> scales) {
  return std::make_unique<ConvOutQuantizerBlock>(p, f, std::move(scales));
}
std::unique_ptr<VectorBlock> ssm_dequant_block(Denormals d, const DualScaleFormat& f, std::vector<float> scales) {
  return std::make_unique<SsmDequantBlock>(d, f, std::move(scales));
}
std::unique_ptr<VectorBlock> scale_index_lookup_block(const Quamba2ScaleTable& t) {
  return std::make_unique<ScaleIndexLookupBlock>(t);
}

std::unique_ptr<VectorBlock> make_block(const std::string& name, const Config& c,
                                        const NumericsOverrides& o) {
  QuantScheme s = c.scheme;
  if (o.rounding) s.numerics.rounding = *o.rounding;
  if (o.quantize_op) s.numerics.quantize_op = *o.quantize_op;
  if (o.denormals) s.numerics.denormals = *o.denormals;
  if (name == "conv_out_quantizer" || name == "ssm_dequant") {
    const ConvOutQuantizer q = calibrated(c, s);
    if (name == "conv_out_quantizer")
      return std::make_unique<ConvOutQuantizerBlock>(s.numerics, *q.dual, scale_set(q));
    return std::make_unique<SsmDequantBlock>(s.numerics.denormals, *q.dual, scale_set(q));
  }
  if (auto unit = make_unit_block(name, c, o)) return unit;
  if (name == "scale_index_lookup") {
    if (s.base != SchemeBase::kQuamba2)
      throw std::invalid_argument("block scale_index_lookup needs a Quamba2 scheme; scheme '" + s.name +
                                  "' is " + std::string(to_string(s.base)) +
                                  " (try configs/mamba2-130m.yaml)");
    const ConvOutQuantizer q = layer_conv_out(c, s);
    return std::make_unique<ScaleIndexLookupBlock>(*q.table);
  }
  throw std::invalid_argument("unknown block '" + name + "'");
}

namespace {

// The dual-scale format a manifest describes, rebuilt from its code_bits,
// symmetric, scale1 and scale2 the way calibration builds it, and checked
// against the manifest's derived fields (qmin, qmax, scale12).
DualScaleFormat dual_of(const Field& p) {
  const int bits = p.at("code_bits").small_int(2, 8);
  const bool sym = p.at("symmetric").boolean();
  const float s1 = p.at("scale1").hex_float();
  const DualScaleFormat f = p.has("scale2") ? DualScaleFormat::make(bits, sym, s1, p.at("scale2").hex_float())
                                            : DualScaleFormat::make(bits, sym, s1, 1.0f);
  const float s12 = p.at("scale12").hex_float();
  if (p.has("scale2") && bits_of(s12) != bits_of(f.scale12))
    p.at("scale12").fail(fmt::format("is {}, but fp32(scale1 * scale2) = {}", hex32(s12), hex32(f.scale12)));
  DualScaleFormat g = DualScaleFormat::make(bits, sym, s1, 1.0f);
  g.scale2 = f.scale2;
  g.scale12 = s12;
  g.inv_scale12 = reciprocal(s12);
  for (const auto& [key, want] : {std::pair{"qmin", g.range.qmin}, std::pair{"qmax", g.range.qmax}})
    if (const auto q = p.maybe(key); q && q->integer(-128, 127) != want)
      q->fail(fmt::format("is {}, but {}-bit {} codes give {}", q->integer(-128, 127), bits,
                          sym ? "symmetric" : "two's-complement", want));
  return g;
}

// The memory image word `i` must hold `want` (the register the manifest's
// parameters give).
void require_register(const MemoryImage& m, std::size_t i, float want, const std::string& what) {
  if (m.words.size() <= i) throw ManifestError(fmt::format("{}.hex: holds {} words, the block needs {}", m.name, m.words.size(), i + 1));
  if (m.words[i] != bits_of(want))
    throw ManifestError(fmt::format("{}.hex: word {} (line {}) is 0x{:08x}, but the manifest's parameters give {} = {}",
                                    m.name, i, i + 1, m.words[i], what, hex32(want)));
}

std::vector<float> int8_scales_of(const Field& p) {
  std::vector<float> s;
  if (const auto list = p.maybe("int8_scales"))
    for (std::size_t i = 0, n = list->size(1 << 16); i < n; ++i) s.push_back(list->at(i).hex_float());
  return s;
}

}  // namespace

std::unique_ptr<VectorBlock> block_from_manifest(const std::string& name, const json& params,
                                                 const std::vector<MemoryImage>& m) {
  const Field p(params, "parameters");
  p.require_object();
  if (name == "conv_out_quantizer") {
    const NumericsPolicy np = numerics_from(p.at("numerics"));
    const DualScaleFormat f = dual_of(p);
    const MemoryImage& regs = image(m, "se_scales");
    if (regs.words.size() != 2) throw ManifestError("se_scales.hex: must hold 2 words, holds " + std::to_string(regs.words.size()));
    const bool recip = np.quantize_op == QuantizeOp::kMultiplyReciprocal;
    require_register(regs, 0, recip ? f.inv_scale1 : f.scale1, recip ? "fp32(1/scale1)" : "scale1");
    require_register(regs, 1, recip ? f.inv_scale12 : f.scale12, recip ? "fp32(1/scale12)" : "scale12");
    return std::make_unique<ConvOutQuantizerBlock>(np, f, int8_scales_of(p));
  }
  if (name == "ssm_dequant") {
    const auto d = p.at("denormals").enumerated<Denormals>();
    const DualScaleFormat f = dual_of(p);
    const MemoryImage& regs = image(m, "se_scales");
    if (regs.words.size() != 2) throw ManifestError("se_scales.hex: must hold 2 words, holds " + std::to_string(regs.words.size()));
    require_register(regs, 0, f.scale1, "scale1");
    require_register(regs, 1, f.scale12, "scale12");
    return std::make_unique<SsmDequantBlock>(d, f, int8_scales_of(p));
  }
  if (name == "scale_index_lookup") {
    Quamba2ScaleTable t;
    t.shape.ngroups = p.at("ngroups").small_int(1, 127);
    t.shape.head_groups = p.at("head_groups").small_int(1, 15);
    t.shape.dim_groups = p.at("dim_groups").small_int(1, 15);
    t.shape.heads_per_group = p.at("heads_per_group").small_int(1, 65535);
    t.shape.headdim = p.at("headdim").small_int(1, 65535);
    const std::int64_t x_dim = std::int64_t{t.shape.ngroups} * t.shape.heads_per_group * t.shape.headdim;
    if (const auto x = p.maybe("x_dim"); x && x->integer(0, 65535) != x_dim)
      x->fail(fmt::format("is {}, but ngroups x heads_per_group x headdim = {}", x->integer(0, 65535), x_dim));
    for (auto w : image(m, "head_range").words) t.head_range.push_back(static_cast<std::int32_t>(w));
    for (auto w : image(m, "dim_range").words) t.dim_range.push_back(static_cast<std::int32_t>(w));
    for (auto w : image(m, "x_scales").words) t.x_scales.push_back(float_of(static_cast<std::uint32_t>(w)));
    if (t.head_range.size() != static_cast<std::size_t>(t.shape.ngroups) * t.shape.head_groups ||
        t.dim_range.size() != t.cells() || t.x_scales.size() != t.cells())
      throw ManifestError(fmt::format("head_range.hex, dim_range.hex, x_scales.hex: {}, {} and {} words, but the table "
                                      "shape in the manifest needs {}, {} and {}", t.head_range.size(),
                                      t.dim_range.size(), t.x_scales.size(),
                                      std::size_t{1} * t.shape.ngroups * t.shape.head_groups, t.cells(), t.cells()));
    return std::make_unique<ScaleIndexLookupBlock>(std::move(t));
  }
  if (auto unit = unit_block_from_manifest(name, p, m)) return unit;
  throw ManifestError("block: '" + name + "' is not a block this mambahw knows");
}

}  // namespace mambahw::verif
