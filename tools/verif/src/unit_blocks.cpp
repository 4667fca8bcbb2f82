// Vector blocks of the datapath units outside the three RTL blocks: the GEMM
// requantization unit, the conv unit, the exp unit, the softplus/log1p unit,
// one Mamba1 SSM recurrence step and the online Hadamard transform. Every
// expected word comes from the golden function that defines the unit;
// these definitions only choose stimulus and lay out words
// (docs/vectors.md, docs/contracts.md).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include <fmt/core.h>

#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/verif/blocks.hpp"
#include "block_util.hpp"

namespace mambahw::verif {

using nlohmann::json;
using namespace detail;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();

std::uint32_t w32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }
float f32(std::uint64_t v) { return float_of(w32(v)); }

using Respond = std::function<void(std::span<const std::uint64_t>, std::span<std::uint64_t>)>;
using Generate = std::function<void(Corner, std::uint64_t, std::uint64_t, const Emit&)>;

// A block given by its parts: ports, parameters, corners and two functions.
struct BlockSpec {
  std::string name;
  std::vector<Port> ports;
  std::vector<MemoryImage> memories;
  json parameters;
  std::vector<Corner> corners;
  std::string sv_params;
  std::size_t frame = 1;
  Respond respond;
  Generate generate;
};

class SpecBlock final : public VectorBlock {
 public:
  explicit SpecBlock(BlockSpec s) : s_(std::move(s)) {}
  std::string name() const override { return s_.name; }
  const std::vector<Port>& ports() const override { return s_.ports; }
  std::vector<MemoryImage> memories() const override { return s_.memories; }
  json parameters() const override { return s_.parameters; }
  std::vector<Corner> corners() const override { return s_.corners; }
  std::string sv_params() const override { return s_.sv_params; }
  std::size_t frame() const override { return s_.frame; }
  void respond(std::span<const std::uint64_t> stim, std::span<std::uint64_t> resp) const override {
    s_.respond(stim, resp);
  }
  void generate(Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) const override {
    s_.generate(c, seed, count, emit);
  }

 private:
  BlockSpec s_;
};

// Emits one tuple of FP32 values.
void put(const Emit& emit, std::initializer_list<float> v) {
  std::vector<std::uint64_t> w;
  for (float f : v) w.push_back(bits_of(f));
  emit(w);
}

// Subnormal and tiny values of both signs.
const std::vector<float>& subnormal_values() {
  static const std::vector<float> v = {float_of(1u), float_of(0x8000'0001u), float_of(2u), float_of(0x0040'0000u),
                                       float_of(0x807F'FFFFu), float_of(0x007F'FFFFu), 0x1p-126f, -0x1p-126f,
                                       0x1.000002p-126f, 0x1p-140f, -0x1p-149f * 3.0f};
  return v;
}

std::string ftz_param(Denormals d) {
  return fmt::format("localparam bit FTZ = 1'b{};\n", d == Denormals::kFlushToZero ? 1 : 0);
}
Denormals denormals_param(const Field& p) { return p.at("denormals").enumerated<Denormals>(); }

// ---- exp unit -------------------------------------------------------------------------

// x whose reduction x*log2e lands on k + 1/2 (the round-half-even choice of k).
void exp_ties(const std::function<void(float)>& f) {
  constexpr double kLog2e = 1.4426950408889634;
  for (int k = -151; k <= 128; ++k) {
    const float x = static_cast<float>((k + 0.5) / kLog2e);
    for (int d = -2; d <= 2; ++d) f(step_ulps(x, d));
  }
}

BlockSpec exp_spec(Denormals d) {
  BlockSpec s;
  s.name = "exp_unit";
  s.ports = {{"x", 32, true, "FP32 input"},
             {"y", 32, false, "expected exp_unit(x), FP32 (NaN canonical 0x7fc00000)"}};
  s.parameters = {{"denormals", to_string(d)}};
  s.corners = {Corner::kTies, Corner::kSpecials, Corner::kSubnormals, Corner::kRangeBoundaries, Corner::kRandom};
  s.sv_params = ftz_param(d);
  s.respond = [d](auto stim, auto resp) { resp[0] = bits_of(exp_unit(f32(stim[0]), d)); };
  s.generate = [](Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) {
    auto one = [&](float x) { put(emit, {x}); };
    switch (c) {
      case Corner::kTies:
        exp_ties(one);
        break;
      case Corner::kSpecials:
        for (float x : special_values()) one(x);
        for (float x : {kMax, -kMax, 1e-10f, -1e-10f, 0x1p-24f, -0x1p-24f}) one(x);
        break;
      case Corner::kSubnormals:  // subnormal inputs, and inputs whose result is subnormal
        for (float x : subnormal_values()) one(x);
        for (double x = -103.9; x < -87.2; x += 0.37) one(static_cast<float>(x));
        break;
      case Corner::kRangeBoundaries:  // the clamps, overflow, the last normal and subnormal results
        for (float t : {89.0f, -104.0f, 88.72283935546875f, -87.33654785156250f, -103.27892303466797f,
                        -103.97207641601562f, 0.34657359f, -0.34657359f})
          for (int u = -4; u <= 4; ++u) one(step_ulps(t, u));
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        for (std::uint64_t i = 0; i < count; ++i) {
          if (rng.below(4) == 0) one(float_of(static_cast<std::uint32_t>(rng.next())));
          else one(static_cast<float>(rng.uniform() * 205.0 - 110.0));
        }
        break;
      }
      default:
        break;
    }
  };
  return s;
}

// ---- softplus / log1p unit -----------------------------------------------------------

BlockSpec softplus_spec(bool threshold, Denormals d) {
  BlockSpec s;
  s.name = "softplus";
  s.ports = {{"x", 32, true, "FP32 input"},
             {"log1p", 32, false, "expected log1p_unit(x), FP32"},
             {"softplus", 32, false, "expected softplus(x) = log1p_unit(exp_unit(x)) (x > 20 or NaN pass with the threshold)"}};
  s.parameters = {{"denormals", to_string(d)}, {"threshold", threshold}};
  s.corners = {Corner::kSpecials, Corner::kSubnormals, Corner::kRangeBoundaries, Corner::kRandom};
  s.sv_params = ftz_param(d) + fmt::format("localparam bit THRESHOLD = 1'b{};\n", threshold ? 1 : 0);
  s.respond = [threshold, d](auto stim, auto resp) {
    const float x = f32(stim[0]);
    resp[0] = bits_of(log1p_unit(x, d));
    resp[1] = bits_of(softplus(x, threshold, d));
  };
  s.generate = [](Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) {
    auto one = [&](float x) { put(emit, {x}); };
    switch (c) {
      case Corner::kSpecials:
        for (float x : special_values()) one(x);
        for (float x : {-1.0f, step_ulps(-1.0f, -1), step_ulps(-1.0f, 1), -2.0f, kMax, -kMax}) one(x);
        break;
      case Corner::kSubnormals:  // subnormals and the |v| < 2^-24 pass-through boundary
        for (float x : subnormal_values()) one(x);
        for (float t : {0x1p-24f, -0x1p-24f})
          for (int u = -2; u <= 2; ++u) one(step_ulps(t, u));
        break;
      case Corner::kRangeBoundaries:  // the threshold, the exp clamps, log1p's k = 0 interval edges
        for (float t : {20.0f, 89.0f, 88.72283935546875f, -104.0f, 0.41421356f, -0.29289322f, 1.0f, 0x1p40f})
          for (int u = -4; u <= 4; ++u) one(step_ulps(t, u));
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        for (std::uint64_t i = 0; i < count; ++i) {
          const std::uint64_t kind = rng.below(4);
          if (kind == 0) one(float_of(static_cast<std::uint32_t>(rng.next())));
          else if (kind == 1) one(static_cast<float>((rng.below(2) ? -1.0 : 1.0) * std::ldexp(1.0 + rng.uniform(), static_cast<int>(rng.below(70)) - 30)));
          else one(static_cast<float>(rng.uniform() * 60.0 - 30.0));  // softplus's working range
        }
        break;
      }
      default:
        break;
    }
  };
  return s;
}

// ---- GEMM requantization unit --------------------------------------------------------

constexpr RequantOrder kOrders[] = {RequantOrder::kActThenWeight, RequantOrder::kWeightThenAct, RequantOrder::kAlpha};

BlockSpec gemm_requant_spec(const RequantPolicy& p) {
  BlockSpec s;
  s.name = "gemm_requant";
  s.ports = {{"order", 2, true, "0 act_then_weight, 1 weight_then_act, 2 alpha (docs/layer.md)"},
             {"acc", 32, true, "INT32 accumulator, two's complement"},
             {"reg_a", 32, true, "FP32 register a: fp32(s_x/s_out), fp32(s_w/s_out) or alpha, by order"},
             {"reg_b", 32, true, "FP32 register b: s_w, s_x, or 0 (alpha), by order"},
             {"value", 32, false, "expected FP32 requantized value v (the FP32 output)"},
             {"code", 8, false, "expected INT8 output: round(v) under the rounding parameter, saturated"},
             {"fp16", 16, false, "expected FP16 output: fp16(v), round to nearest even"}};
  s.parameters = {{"rounding", to_string(p.rounding)}, {"denormals", to_string(p.denormals)},
                  {"config_order", to_string(p.order)}};
  s.corners = {Corner::kTies, Corner::kSaturation, Corner::kSpecials, Corner::kSubnormals,
               Corner::kRangeBoundaries, Corner::kRandom};
  s.sv_params = ftz_param(p.denormals) + fmt::format("localparam int ROUNDING = {};\n", static_cast<int>(p.rounding));
  s.respond = [p](auto stim, auto resp) {
    const auto order = static_cast<RequantOrder>(stim[0] & 3);
    const float v = order > RequantOrder::kAlpha
                        ? std::numeric_limits<float>::quiet_NaN()  // order 3 is not defined: never exported
                        : requant_apply(order, static_cast<std::int32_t>(w32(stim[1])), {f32(stim[2]), f32(stim[3])},
                                        p.denormals);
    resp[0] = bits_of(v);
    resp[1] = static_cast<std::uint8_t>(requant_int8(v, p));
    resp[2] = fp32_to_fp16(v);
  };
  s.generate = [](Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) {
    // One vector per order from the three scales (registers computed as the host does).
    auto scales = [&](std::int32_t acc, float s_x, float s_w, float s_out) {
      for (RequantOrder o : kOrders) {
        const RequantRegisters r = requant_registers(o, s_x, s_w, s_out);
        const std::uint64_t w[4] = {static_cast<std::uint64_t>(o), static_cast<std::uint32_t>(acc), bits_of(r.a),
                                    bits_of(r.b)};
        emit(w);
      }
    };
    // v = acc / 64 exactly (power-of-two scales), aimed at `target`, +-2 steps.
    auto aim = [&](double target) {
      const auto acc = static_cast<std::int32_t>(std::lround(target * 64.0));
      for (int u = -2; u <= 2; ++u) scales(acc + u, 1.0f, 0x1p-6f, 1.0f);
    };
    switch (c) {
      case Corner::kTies:  // v = k + 1/2 exactly: acc odd, scales 2^-1
        for (int k = -130; k <= 130; ++k) scales(2 * k + 1, 0.5f, 1.0f, 1.0f);
        for (int k = -130; k <= 130; ++k) scales(4 * k + 2, 0.25f, 1.0f, 1.0f);
        break;
      case Corner::kSaturation:  // INT8 clipping, INT32 extremes, FP16 and FP32 overflow
        for (double t : {127.0, 127.5, 128.0, -128.0, -128.5, -129.0, 1e6, -1e6, 65504.0, 65520.0}) aim(t);
        for (std::int32_t acc : {std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::min()})
          for (float sc : {1.0f, 0x1p-24f, 0x1p100f}) scales(acc, sc, sc, 1.0f);
        break;
      case Corner::kSpecials:  // cvt.rn.f32.s32 rounding, zero, infinite and NaN registers
        for (std::int32_t acc : {0, 1, -1, (1 << 24) + 1, -(1 << 24) - 1, (1 << 24) + 3, 0x7FFF'FFC0, -0x7FFF'FFC0})
          scales(acc, 0.01f, 0.003f, 0.05f);
        for (float r : {0.0f, -0.0f, kInf, float_of(0x7FC0'0000u), kMax})
          for (RequantOrder o : kOrders)
            for (std::int32_t acc : {0, 5, -5}) {
              const std::uint64_t w[4] = {static_cast<std::uint64_t>(o), static_cast<std::uint32_t>(acc), bits_of(r),
                                          bits_of(r)};
              emit(w);
            }
        break;
      case Corner::kSubnormals:  // subnormal registers and subnormal products
        for (float r : subnormal_values())
          for (std::int32_t acc : {1, -3, 1000, -65536})
            for (RequantOrder o : kOrders) {
              const std::uint64_t w[4] = {static_cast<std::uint64_t>(o), static_cast<std::uint32_t>(acc), bits_of(r),
                                          bits_of(1.0f)};
              emit(w);
            }
        break;
      case Corner::kRangeBoundaries:  // FP16: largest finite, the overflow tie, smallest normal and subnormal
        for (double t : {65504.0, 65519.0, 65520.0, 0x1p-14, 0x1p-24, 0x1p-25, -0x1p-25})
          for (int u = -2; u <= 2; ++u)
            for (RequantOrder o : kOrders) {
              const float v = step_ulps(static_cast<float>(t), u);
              // acc 1 and b = 1: every order gives v = a exactly
              const std::uint64_t w[4] = {static_cast<std::uint64_t>(o), 1u, bits_of(v), bits_of(1.0f)};
              emit(w);
            }
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        auto scale = [&](double lo, double hi) { return static_cast<float>(std::exp(std::log(lo) + rng.uniform() * std::log(hi / lo))); };
        for (std::uint64_t i = 0; i < count; i += 3) {
          const auto acc = static_cast<std::int32_t>(static_cast<std::int64_t>(rng.below(1u << 24)) - (1 << 23));
          scales(rng.below(8) == 0 ? static_cast<std::int32_t>(rng.next()) : acc, scale(1e-3, 1.0), scale(1e-4, 1e-1),
                 scale(1e-3, 10.0));
        }
        break;
      }
      default:
        break;
    }
  };
  return s;
}

// ---- conv unit (taps, bias, SiLU, quantize) ---------------------------------------

std::uint32_t pack_bytes(const std::array<std::int8_t, 4>& b) {
  std::uint32_t w = 0;
  for (int k = 0; k < 4; ++k) w |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[k])) << (8 * k);
  return w;
}
std::array<std::int8_t, 4> unpack_bytes(std::uint32_t w) {
  std::array<std::int8_t, 4> b{};
  for (int k = 0; k < 4; ++k) b[k] = static_cast<std::int8_t>((w >> (8 * k)) & 0xFF);
  return b;
}

BlockSpec conv_unit_spec(int width, ConvOrder order, const NumericsPolicy& p) {
  if (width < 1 || width > 4) throw std::invalid_argument("conv_unit vectors support conv widths 1 to 4");
  BlockSpec s;
  s.name = "conv_unit";
  s.ports = {{"x", 32, true, "INT8 window x[t-W+1..t], byte k (bits 8k+7:8k) = tap k, the oldest first; zeros before t = 0"},
             {"w", 32, true, "INT8 weights, byte k = tap k"},
             {"scale_in", 32, true, "FP32 register fp32(scale_w * scale_x) of the channel's segment"},
             {"bias", 32, true, "FP32 register fp32(float(b) * scale_b) (0 without bias)"},
             {"q_reg", 32, true, "FP32 INT8 output scale register (fp32(1/scale) under multiply_reciprocal)"},
             {"pre", 32, false, "expected pre-activation y (conv.order: prefill one fma, decode per-tap fma)"},
             {"silu", 32, false, "expected SiLU(y), the FP32 conv-output value"},
             {"code", 8, false, "expected INT8 conv-output code of SiLU(y)"}};
  json np = numerics_json(p);
  np["silu_division"] = to_string(p.silu_division);
  s.parameters = {{"width", width}, {"order", to_string(order)}, {"numerics", np}};
  s.corners = {Corner::kTies, Corner::kSaturation, Corner::kSpecials, Corner::kSubnormals, Corner::kEveryCode,
               Corner::kRandom};
  s.sv_params = fmt::format("localparam int WIDTH = {};\nlocalparam bit DECODE_ORDER = 1'b{};\n"
                            "localparam int ROUNDING = {};\nlocalparam bit SILU_DIVIDE = 1'b{};\n",
                            width, order == ConvOrder::kDecode ? 1 : 0, static_cast<int>(p.rounding),
                            p.silu_division == QuantizeOp::kDivide ? 1 : 0) +
                ftz_param(p.denormals);
  auto pre = [width, order, p](std::uint64_t x, std::uint64_t w, float scale_in, float bias) {
    const auto xs = unpack_bytes(w32(x)), ws = unpack_bytes(w32(w));
    return conv_pre_activation(ws.data(), xs.data(), width, {scale_in, bias}, order, p.denormals);
  };
  s.respond = [pre, p](auto stim, auto resp) {
    const float y = pre(stim[0], stim[1], f32(stim[2]), f32(stim[3]));
    const float v = silu(y, p);
    const float reg = f32(stim[4]);
    resp[0] = bits_of(y);
    resp[1] = bits_of(v);
    resp[2] = static_cast<std::uint8_t>(quantize(v, reg, reg, p));
  };
  const QuantizeOp op = p.quantize_op;
  auto reg_of = [op](float scale) { return op == QuantizeOp::kMultiplyReciprocal ? reciprocal(scale) : scale; };
  s.generate = [width, pre, p, reg_of](Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) {
    auto one = [&](std::array<std::int8_t, 4> x, std::array<std::int8_t, 4> w, float scale_in, float bias, float q) {
      for (int k = width; k < 4; ++k) x[k] = w[k] = 0;
      const std::uint64_t v[5] = {pack_bytes(x), pack_bytes(w), bits_of(scale_in), bits_of(bias), bits_of(q)};
      emit(v);
    };
    const std::array<std::int8_t, 4> ones{1, 1, 1, 1}, mixed{3, -7, 12, 5};
    switch (c) {
      case Corner::kTies: {  // SiLU(y) * reg on k + 1/2: the bias that puts it there, found by bisection
        const float q = reg_of(0.05f), scale_in = 0.01f;
        for (int k = -5; k <= 127; ++k) {
          auto v_of = [&](double b) {
            return static_cast<double>(fmul(silu(pre(pack_bytes(mixed), pack_bytes(ones), scale_in, static_cast<float>(b)), p), q, p.denormals));
          };
          double lo = -0.27, hi = 8.0;  // SiLU is increasing above -1.28: v_of is monotonic here
          if (v_of(lo) > k + 0.5 || v_of(hi) < k + 0.5) continue;
          for (int i = 0; i < 60; ++i) ((v_of(0.5 * (lo + hi)) < k + 0.5) ? lo : hi) = 0.5 * (lo + hi);
          for (int u = -2; u <= 2; ++u) one(mixed, ones, scale_in, step_ulps(static_cast<float>(hi), u), q);
        }
        break;
      }
      case Corner::kSaturation:  // extreme tap sums, large pre-activations, SiLU's exp clamps
        for (auto [x, w] : {std::pair{std::array<std::int8_t, 4>{-128, -128, -128, -128}, std::array<std::int8_t, 4>{-128, -128, -128, -128}},
                            std::pair{std::array<std::int8_t, 4>{127, 127, 127, 127}, std::array<std::int8_t, 4>{-128, -128, -128, -128}},
                            std::pair{std::array<std::int8_t, 4>{127, -128, 127, -128}, std::array<std::int8_t, 4>{127, -128, 127, -128}}})
          for (float scale_in : {1e-4f, 0.01f, 1.0f, 1e30f})
            for (float bias : {0.0f, -100.0f, 100.0f}) one(x, w, scale_in, bias, reg_of(0.05f));
        for (float bias : {88.0f, 89.0f, 90.0f, -88.0f, -89.0f, -90.0f, -104.0f, -105.0f})
          one(ones, {0, 0, 0, 0}, 1.0f, bias, reg_of(1.0f));
        break;
      case Corner::kSpecials:  // zero, infinite and NaN registers
        for (float r : {0.0f, -0.0f, kInf, -kInf, float_of(0x7FC0'0000u), kMax})
          for (auto x : {mixed, std::array<std::int8_t, 4>{0, 0, 0, 0}}) {
            one(x, ones, r, 0.5f, reg_of(0.05f));
            one(x, ones, 0.01f, r, reg_of(0.05f));
            one(x, ones, 0.01f, 0.5f, r);
          }
        break;
      case Corner::kSubnormals:
        for (float r : subnormal_values()) {
          one(mixed, ones, r, 0.0f, reg_of(0.05f));
          one(mixed, ones, 0x1p-130f, r, reg_of(1.0f));
          one({0, 0, 0, 0}, ones, 0.01f, r, 0x1p100f);
        }
        break;
      case Corner::kEveryCode:  // every INT8 activation on the newest tap, and every weight
        for (int v = -128; v <= 127; ++v) {
          one({0, 0, 0, static_cast<std::int8_t>(v)}, ones, 0.01f, 0.0f, reg_of(0.02f));
          one(mixed, {static_cast<std::int8_t>(v), 1, 1, static_cast<std::int8_t>(v)}, 0.004f, 0.1f, reg_of(0.02f));
        }
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        auto byte = [&] { return static_cast<std::int8_t>(static_cast<int>(rng.below(256)) - 128); };
        for (std::uint64_t i = 0; i < count; ++i) {
          const std::array<std::int8_t, 4> x{byte(), byte(), byte(), byte()}, w{byte(), byte(), byte(), byte()};
          const auto scale_in = static_cast<float>(std::ldexp(1.0 + rng.uniform(), -static_cast<int>(8 + rng.below(10))));
          const auto bias = static_cast<float>((rng.uniform() * 2.0 - 1.0) * 2.0);
          one(x, w, scale_in, bias, reg_of(static_cast<float>(0.005 + rng.uniform() * 0.1)));
        }
        break;
      }
      default:
        break;
    }
  };
  return s;
}

// ---- one Mamba1 SSM recurrence step ---------------------------------------------------

BlockSpec ssm_step_spec(Denormals d) {
  BlockSpec s;
  s.name = "ssm_step";
  s.ports = {{"h", 32, true, "FP32 state h[t-1] of one (channel, state) pair"},
             {"dl", 32, true, "FP32 softplus(delta) of the channel at t"},
             {"e", 32, true, "FP32 exp_unit(sA*qA[d][n]) (A = -e)"},
             {"b", 32, true, "FP32 fp32(sB*qB[n][t])"},
             {"du", 32, true, "FP32 fp32(dl*u[d][t])"},
             {"c", 32, true, "FP32 fp32(sC*qC[n][t])"},
             {"y", 32, true, "FP32 output accumulator before this state"},
             {"a", 32, false, "expected decay exp_unit(-fp32(dl*e))"},
             {"h_out", 32, false, "expected state h[t] = fma(a, h, fp32(b*du))"},
             {"y_out", 32, false, "expected accumulator fma(h[t], c, y)"}};
  s.parameters = {{"denormals", to_string(d)}};
  s.corners = {Corner::kSpecials, Corner::kSubnormals, Corner::kRangeBoundaries, Corner::kRandom};
  s.sv_params = ftz_param(d);
  s.respond = [d](auto stim, auto resp) {
    const Mamba1StepOut o = mamba1_scan_step({f32(stim[0]), f32(stim[1]), f32(stim[2]), f32(stim[3]), f32(stim[4]),
                                              f32(stim[5]), f32(stim[6])}, d);
    resp[0] = bits_of(o.a);
    resp[1] = bits_of(o.h);
    resp[2] = bits_of(o.y);
  };
  s.generate = [](Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) {
    const float base[7] = {0.75f, 0.1f, 4.0f, 0.5f, -0.25f, 1.5f, 0.125f};
    auto with = [&](int port, float v) {
      float t[7];
      std::copy(std::begin(base), std::end(base), t);
      t[port] = v;
      put(emit, {t[0], t[1], t[2], t[3], t[4], t[5], t[6]});
    };
    switch (c) {
      case Corner::kSpecials:  // each input NaN, infinite, zero, huge; no decay (dl = 0) and full decay
        for (int port = 0; port < 7; ++port)
          for (float v : {0.0f, -0.0f, kInf, -kInf, float_of(0x7FC0'0000u), kMax, -kMax}) with(port, v);
        break;
      case Corner::kSubnormals:
        for (int port = 0; port < 7; ++port)
          for (float v : subnormal_values()) with(port, v);
        put(emit, {0x1p-100f, 0.1f, 4.0f, 0x1p-70f, 0x1p-70f, 0x1p-60f, 0.0f});  // subnormal b*du and h*c
        break;
      case Corner::kRangeBoundaries:  // dl*e at the exp unit's subnormal and zero boundaries
        for (float t : {87.33654785156250f, 103.27892303466797f, 103.97207641601562f, 104.0f, 89.0f})
          for (int u = -3; u <= 3; ++u) with(1, step_ulps(t, u) / 4.0f);
        break;
      case Corner::kRandom: {  // the working ranges of a real layer
        Rng rng(seed);
        auto sym = [&](double m) { return static_cast<float>((rng.uniform() * 2.0 - 1.0) * m); };
        for (std::uint64_t i = 0; i < count; ++i) {
          const auto dl = static_cast<float>(std::exp(-9.0 + rng.uniform() * 11.0));
          put(emit, {sym(100.0), dl, static_cast<float>(1.0 + rng.uniform() * 15.0), sym(8.0), sym(8.0) * dl,
                     sym(8.0), sym(100.0)});
        }
        break;
      }
      default:
        break;
    }
  };
  return s;
}

// ---- the online Hadamard transform (one token per frame) ----------------------------

BlockSpec hadamard_spec(HadamardSize size, float multiplier, const HadamardQuantPolicy& p) {
  BlockSpec s;
  const int n = size.n();
  s.name = "hadamard";
  s.frame = static_cast<std::size_t>(n);
  s.ports = {{"x", 32, true, "FP32 out_proj input y; one token is n consecutive lines (a frame)"},
             {"t", 32, false, "expected FP32 transform of the FP16-rounded token, element by element"},
             {"q", 8, false, "expected INT8 code of fp32(t * multiplier) (rounding, overflow parameters)"}};
  s.memories = {{"multiplier", 32, {bits_of(multiplier)}, "FP32 multiplier register fp32(1/sqrt(n) / s_H)"}};
  s.parameters = {{"n", n},
                  {"base", size.base},
                  {"pow2", size.pow2},
                  {"multiplier", hex32(multiplier)},
                  {"rounding", to_string(p.rounding)},
                  {"overflow", to_string(p.overflow)},
                  {"denormals", to_string(p.denormals)}};
  s.corners = {Corner::kTies, Corner::kSaturation, Corner::kSpecials, Corner::kSubnormals, Corner::kRandom};
  s.sv_params = fmt::format("localparam int N = {};\nlocalparam int BASE = {};\nlocalparam int ROUNDING = {};\n"
                            "localparam bit WRAP = 1'b{};\n",
                            n, size.base, static_cast<int>(p.rounding), p.overflow == Overflow::kWrap ? 1 : 0) +
                ftz_param(p.denormals);
  s.respond = [size, multiplier, p, n](auto stim, auto resp) {
    std::vector<float> x(static_cast<std::size_t>(n)), t(x.size());
    std::vector<std::int8_t> q(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = f32(stim[i]);
    hadamard_transform_fp16(x, t, size, p.denormals);
    hadamard_quantize(x, q, size, multiplier, p);
    for (std::size_t i = 0; i < x.size(); ++i) {
      resp[2 * i] = bits_of(t[i]);
      resp[2 * i + 1] = static_cast<std::uint8_t>(q[i]);
    }
  };
  s.generate = [n, multiplier](Corner c, std::uint64_t seed, std::uint64_t count, const Emit& emit) {
    auto frame = [&](const std::function<float(int)>& f) {
      for (int i = 0; i < n; ++i) put(emit, {f(i)});
    };
    // One-hot tokens: every output is +-v, so v * multiplier / sqrt... lands where aimed.
    auto one_hot = [&](int at, float v) { frame([&](int i) { return i == at ? v : 0.0f; }); };
    const float unit = 1.0f / multiplier;  // the input that gives code 1 on every lane
    switch (c) {
      case Corner::kTies:  // FP16 rounding ties of the input (halfway between FP16 neighbours)
        frame([](int i) { return 1.0f + static_cast<float>(2 * (i % 8) + 1) * 0x1p-11f; });
        frame([](int i) { return -(1024.0f + static_cast<float>(2 * (i % 8) + 1) * 0.5f); });
        break;
      case Corner::kSaturation:  // outputs past INT8: the wrap (127.5 -> -128, 200 -> -56, -129 -> 127)
        for (double k : {127.0, 127.5, 128.0, 200.0, -128.0, -128.5, -129.0, 1e5})
          one_hot(0, static_cast<float>(k) * unit);
        frame([](int) { return 65504.0f; });
        break;
      case Corner::kSpecials:  // NaN, infinities and FP16 overflow in a token
        one_hot(1, float_of(0x7FC0'0000u));
        one_hot(2, kInf);
        one_hot(3, -kInf);
        one_hot(0, 65520.0f);
        frame([](int i) { return (i & 1) ? -0.0f : 0.0f; });
        break;
      case Corner::kSubnormals:  // FP16 subnormal inputs and tiny products
        frame([](int i) { return static_cast<float>(i % 5 - 2) * 0x1p-24f; });
        frame([](int i) { return static_cast<float>(i % 3) * 0x1p-25f; });
        frame([](int i) { return float_of(static_cast<std::uint32_t>(i + 1)); });
        break;
      case Corner::kRandom: {
        Rng rng(seed);
        const std::uint64_t frames = std::max<std::uint64_t>(1, count / static_cast<std::uint64_t>(n));
        // Gaussian tokens whose codes spread over about +-30 (the unscaled
        // transform multiplies the standard deviation by sqrt(n)).
        const double sigma = 30.0 * unit / std::sqrt(static_cast<double>(n));
        for (std::uint64_t f = 0; f < frames; ++f) frame([&](int) { return static_cast<float>(rng.normal() * sigma); });
        break;
      }
      default:
        break;
    }
  };
  return s;
}

std::unique_ptr<VectorBlock> make(BlockSpec s) { return std::make_unique<SpecBlock>(std::move(s)); }

// The Hadamard multiplier of the config's layer 0, calibrated as `mambahw
// run` and the SystemC model calibrate it (make_layer_case).
float calibrated_hadamard_multiplier(const Config& c, const QuantScheme& s) {
  return make_layer_case(c.model, s, SyntheticWeights(c.run.seed), c.run, 0).q.hadamard_multiplier;
}

}  // namespace

std::unique_ptr<VectorBlock> exp_unit_block(Denormals d) { return make(exp_spec(d)); }
std::unique_ptr<VectorBlock> softplus_block(bool threshold, Denormals d) { return make(softplus_spec(threshold, d)); }
std::unique_ptr<VectorBlock> gemm_requant_block(const RequantPolicy& p) { return make(gemm_requant_spec(p)); }
std::unique_ptr<VectorBlock> conv_unit_block(int width, ConvOrder order, const NumericsPolicy& p) {
  return make(conv_unit_spec(width, order, p));
}
std::unique_ptr<VectorBlock> ssm_step_block(Denormals d) { return make(ssm_step_spec(d)); }
std::unique_ptr<VectorBlock> hadamard_block(HadamardSize s, float multiplier, const HadamardQuantPolicy& p) {
  return make(hadamard_spec(s, multiplier, p));
}

std::unique_ptr<VectorBlock> make_unit_block(const std::string& name, const Config& c, const NumericsOverrides& o) {
  QuantScheme s = c.scheme;
  if (o.rounding) s.numerics.rounding = *o.rounding;
  if (o.quantize_op) s.numerics.quantize_op = *o.quantize_op;
  if (o.denormals) s.numerics.denormals = *o.denormals;
  const Denormals d = s.numerics.denormals;
  if (name == "exp_unit") return exp_unit_block(d);
  if (name == "softplus") return softplus_block(ssm_policy(s).softplus_threshold, d);
  if (name == "gemm_requant") return gemm_requant_block(requant_policy(s));
  if (name == "conv_unit") return conv_unit_block(c.model.d_conv, s.conv_order, s.numerics);
  if (name == "ssm_step") return ssm_step_block(d);
  if (name == "hadamard") {
    const std::optional<HadamardQuantPolicy> hp = hadamard_policy(s);
    if (!hp)
      throw std::invalid_argument("block hadamard needs layer.out_proj_hadamard on; scheme '" + s.name + "' has it off");
    return hadamard_block(require_hadamard_size(c.model.d_inner), calibrated_hadamard_multiplier(c, s), *hp);
  }
  return nullptr;
}

std::unique_ptr<VectorBlock> unit_block_from_manifest(const std::string& name, const Field& p,
                                                      const std::vector<MemoryImage>& m) {
  if (name == "exp_unit") return exp_unit_block(denormals_param(p));
  if (name == "softplus") return softplus_block(p.at("threshold").boolean(), denormals_param(p));
  if (name == "gemm_requant") {
    RequantPolicy rp;
    rp.rounding = p.at("rounding").enumerated<Rounding>();
    rp.denormals = denormals_param(p);
    rp.order = p.at("config_order").enumerated<RequantOrder>();
    return gemm_requant_block(rp);
  }
  if (name == "conv_unit") {
    NumericsPolicy np = numerics_from(p.at("numerics"));
    np.silu_division = p.at("numerics").at("silu_division").enumerated<QuantizeOp>();
    return conv_unit_block(p.at("width").small_int(2, 4), p.at("order").enumerated<ConvOrder>(), np);
  }
  if (name == "ssm_step") return ssm_step_block(denormals_param(p));
  if (name == "hadamard") {
    const int n = p.at("n").small_int(1, 1 << 16);  // a token of d_inner lines; 2^16 is far past every model
    const auto size = hadamard_size(n);
    if (!size) p.at("n").fail(hadamard_size_problem(n));
    const auto& regs = image(m, "multiplier").words;
    if (regs.size() != 1) throw ManifestError("multiplier.hex: must hold 1 word, holds " + std::to_string(regs.size()));
    HadamardQuantPolicy hp;
    hp.rounding = p.at("rounding").enumerated<Rounding>();
    hp.overflow = p.at("overflow").enumerated<Overflow>();
    hp.denormals = denormals_param(p);
    return hadamard_block(*size, float_of(static_cast<std::uint32_t>(regs[0])), hp);
  }
  return nullptr;
}

}  // namespace mambahw::verif
