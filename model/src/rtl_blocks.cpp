// verilated.h before any SystemC header (rtl_blocks.hpp has them): after
// one, it sees SYSTEMC_VERSION and takes its time from SystemC's
// sc_time_stamp(), which is not a plain C++ model's and does not compile here.
#include <verilated.h>

#include "Vdqfl4.h"
#include "Vdqfl8.h"
#include "Vlkf_g1h4d4_24x64_par.h"
#include "Vlkf_g1h4d4_24x64_seq.h"
#include "Vlkf_g8h4d4_16x64_par.h"
#include "Vlkf_g8h4d4_16x64_seq.h"
#include "Vqfl_away.h"
#include "Vqfl_even.h"
#include "Vqfl_se8.h"
#include "mambahw/model/rtl_blocks.hpp"

#include <array>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "mambahw/golden/fp32.hpp"
#include "mambahw/model/memory.hpp"
#include "mambahw/rtl/verilated_reset.hpp"

namespace mambahw::model {

namespace {
constexpr int kWatchdog = 64;  // cycles without progress before giving up

// A port of any width (Verilator's CData, SData, IData) from a value that fits it.
template <class Port>
void set(Port& port, std::uint32_t value) {
  port = static_cast<Port>(value);
}

// The two half-cycles of the block's clock. Inputs are assigned before
// low(): the DUT sees them while the clock is low and samples them at the
// rising edge in high(); outputs are read after low(), when they show what
// the previous rising edge registered.
template <class V>
void low(V& m) {
  m.clk_i = 0;
  m.eval();
}
template <class V>
void high(V& m) {
  m.clk_i = 1;
  m.eval();
}

// Ready for the first transaction: inputs idle, ready_i held high (the units
// take every output at once), rst_ni low across one rising edge.
template <class V>
void reset(V& m) {
  m.valid_i = 0;
  m.ready_i = 1;
  rtl::reset_for_one_edge(m);
}

// Streams n transactions through a valid/ready block, one per cycle: inputs
// change in the low phase, the DUT samples at the rising edge, outputs are
// read in the next low phase (ready_i is held high). drive(i) presents
// transaction i; sample(k) reads output k. Returns the cycles taken. The
// clock stays low between calls.
template <class V, class Drive, class Sample>
Cycles stream(V& m, std::size_t n, Drive drive, Sample sample, const char* block) {
  std::size_t in = 0, out = 0;
  Cycles cycles = 0;
  int idle = 0;
  while (out < n) {
    const bool valid = in < n;
    m.valid_i = valid;
    if (valid) drive(in);
    low(m);
    const bool accepted = valid && m.ready_o;
    bool progress = accepted;
    if (m.valid_o) {
      sample(out++);
      progress = true;
    }
    high(m);
    if (accepted) ++in;
    ++cycles;
    idle = progress ? 0 : idle + 1;
    if (idle > kWatchdog) throw std::runtime_error(std::string(block) + " RTL stopped responding");
  }
  m.valid_i = 0;
  low(m);
  return cycles;
}

// The co-simulation harnesses (rtl/harness/*_lanes.sv): Lanes instances of a
// block behind one input register stage. A tile streams through them in
// beats of Lanes elements; the harness's register adds one cycle, which is
// not the block's.
constexpr Cycles kHarnessStages = 1;
// The lanes of a harness: its 32-bit-per-lane input port's width.
template <class Port>
constexpr std::size_t lanes_of(const Port&) {
  return sizeof(Port) / 4;
}
// One instance's cycles for n elements from the harness's count for the
// beats: the elements plus the latency and bubbles the harness measured.
Cycles instance_cycles(Cycles harness, std::size_t beats, std::size_t n) {
  return static_cast<Cycles>(n) + harness - static_cast<Cycles>(beats) - kHarnessStages;
}
std::size_t beats_of(std::size_t n, std::size_t lanes) { return (n + lanes - 1) / lanes; }
// Lane l's field of `bits` bits (8, 16 or 32) in a harness port: a plain
// integer (CData ... QData) up to 64 bits, a VlWide of 32-bit words beyond.
template <class Port>
std::uint32_t get_lane(const Port& port, std::size_t lane, unsigned bits) {
  const std::uint64_t mask = (1ull << bits) - 1;
  if constexpr (std::is_integral_v<Port>) {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(port) >> (bits * lane)) & mask);
  } else {
    const std::size_t per_word = 32 / bits;
    return static_cast<std::uint32_t>((port[lane / per_word] >> (bits * (lane % per_word))) & mask);
  }
}
template <class Port>
void set_lane(Port& port, std::size_t lane, unsigned bits, std::uint32_t v) {
  const std::uint64_t mask = (1ull << bits) - 1;
  if constexpr (std::is_integral_v<Port>) {
    const unsigned sh = bits * static_cast<unsigned>(lane);
    port = static_cast<Port>((static_cast<std::uint64_t>(port) & ~(mask << sh)) | ((v & mask) << sh));
  } else {
    const std::size_t per_word = 32 / bits;
    const unsigned sh = bits * static_cast<unsigned>(lane % per_word);
    EData& w = port[lane / per_word];
    w = static_cast<EData>((w & ~(mask << sh)) | ((v & mask) << sh));
  }
}

// One Verilated model of a block, one of the variants V..., with its own
// context (Verilator 5: a context holds its models' time, error state and
// thread pool). The models are not Verilated with --threads and run on the
// caller's thread; a context of more threads (the default: one per core)
// would start an idle thread pool for each block.
struct OneThreadContext : VerilatedContext {
  OneThreadContext() { threads(1); }
};
template <class... V>
struct Models {
  OneThreadContext context;  // declared first: made before the model, destroyed after it
  std::variant<V...> model;
  bool reset_done = false;
  template <class M>
  explicit Models(std::in_place_type_t<M> m) : model(m, &context, "dut") {}
  // f(model) on the variant's model, reset before its first use.
  template <class F>
  auto apply(F f) {
    return std::visit(
        [&](auto& m) {
          if (!reset_done) reset(m);
          reset_done = true;
          return f(m);
        },
        model);
  }
};
}  // namespace

std::optional<std::string> quantizer_variant(const NumericsPolicy& p, int dual_code_bits, bool symmetric,
                                             std::string* why) {
  auto no = [&](const std::string& w) -> std::optional<std::string> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (p.quantize_op != QuantizeOp::kMultiplyReciprocal) return no("the RTL quantizer multiplies by the reciprocal");
  if (p.overflow != Overflow::kSaturate || p.denormals != Denormals::kPreserve)
    return no("no Verilated variant with wrap or flush-to-zero is built");
  if (!symmetric) return no("no Verilated variant with full-range dual codes is built");
  if (dual_code_bits == 8)
    return p.rounding == Rounding::kHalfAwayFromZero ? std::optional<std::string>("sc_q_se8")
                                                     : no("the 8-bit dual variant is built for half-away rounding only");
  if (dual_code_bits != 4) return no("dual-scale code width " + std::to_string(dual_code_bits) + " is not built");
  if (p.rounding == Rounding::kHalfAwayFromZero) return "sc_q_away";
  if (p.rounding == Rounding::kHalfToEven) return "sc_q_even";
  return no("no Verilated variant rounds toward zero");
}

std::optional<std::string> dequant_variant(const NumericsPolicy& p, int dual_code_bits, std::string* why) {
  if (p.denormals != Denormals::kPreserve) {
    if (why) *why = "no Verilated dequant variant with flush-to-zero is built";
    return std::nullopt;
  }
  if (dual_code_bits == 4) return "sc_dq4";
  if (dual_code_bits == 8) return "sc_dq8";
  if (why) *why = "dual-scale code width " + std::to_string(dual_code_bits) + " is not built";
  return std::nullopt;
}

namespace {
// The Verilated scale_index_lookup variants built (rtl/CMakeLists.txt): the
// table shapes (the RTL's parameters; d_state is not one) and their names.
struct LookupVariant {
  int ngroups, head_groups, dim_groups, heads_per_group, headdim;
  const char* sequential;
  const char* parallel;
};
constexpr std::array<LookupVariant, 2> kLookupVariants{{
    {1, 4, 4, 24, 64, "sc_lk_g1h4d4_24x64_seq", "sc_lk_g1h4d4_24x64_par"},  // mamba2-130m
    {8, 4, 4, 16, 64, "sc_lk_g8h4d4_16x64_seq", "sc_lk_g8h4d4_16x64_par"},  // mamba2-8b
}};
}  // namespace

std::optional<std::string> lookup_variant(const ScaleTableShape& s, LookupImpl impl, std::string* why) {
  for (const LookupVariant& v : kLookupVariants)
    if (s.ngroups == v.ngroups && s.head_groups == v.head_groups && s.dim_groups == v.dim_groups &&
        s.heads_per_group == v.heads_per_group && s.headdim == v.headdim)
      return std::string(impl == LookupImpl::kSequential ? v.sequential : v.parallel);
  if (why)
    *why = "no Verilated scale_index_lookup is built for " + std::to_string(s.ngroups) + " x " +
           std::to_string(s.head_groups) + " x " + std::to_string(s.dim_groups) + " cells of " +
           std::to_string(s.heads_per_group) + " heads x " + std::to_string(s.headdim);
  return std::nullopt;
}

// ---- conv-output quantizer ----------------------------------------------------------

struct ConvOutQuantizerRtl::Dut : Models<Vqfl_away, Vqfl_even, Vqfl_se8> {
  using Models::Models;
};

ConvOutQuantizerRtl::ConvOutQuantizerRtl(const std::string& variant) {
  if (variant == "sc_q_away") dut_ = std::make_unique<Dut>(std::in_place_type<Vqfl_away>);
  else if (variant == "sc_q_even") dut_ = std::make_unique<Dut>(std::in_place_type<Vqfl_even>);
  else if (variant == "sc_q_se8") dut_ = std::make_unique<Dut>(std::in_place_type<Vqfl_se8>);
  else throw std::invalid_argument("unknown quantizer RTL variant " + variant);
}
ConvOutQuantizerRtl::~ConvOutQuantizerRtl() = default;

Cycles ConvOutQuantizerRtl::run(std::span<const float> x, std::span<const float> inv_scale, float se_inv_scale1,
                                float se_inv_scale12, std::span<std::uint8_t> code, std::span<std::uint16_t> se) {
  return dut_->apply([&](auto& m) {
    const std::size_t lanes = lanes_of(m.x_i), n = x.size(), beats = beats_of(n, lanes);
    m.se_scale1_i = bits_of(se_inv_scale1);
    m.se_scale12_i = bits_of(se_inv_scale12);
    const Cycles c = stream(
        m, beats,
        [&](std::size_t b) {
          for (std::size_t l = 0; l < lanes; ++l) {
            const std::size_t i = b * lanes + l;  // lanes past the tile's end carry zeros, read by nobody
            set_lane(m.x_i, l, 32, i < n ? bits_of(x[i]) : 0u);
            set_lane(m.scale_i, l, 32, i < n ? bits_of(inv_scale[i]) : 0u);
          }
        },
        [&](std::size_t b) {
          for (std::size_t l = 0, i = b * lanes; l < lanes && i < n; ++l, ++i) {
            code[i] = static_cast<std::uint8_t>(get_lane(m.code_o, l, 8));
            se[i] = static_cast<std::uint16_t>(get_lane(m.se_o, l, 16));
          }
        },
        "conv_out_quantizer");
    return instance_cycles(c, beats, n);
  });
}

// ---- SSM dequant stage -------------------------------------------------------------

struct SsmDequantRtl::Dut : Models<Vdqfl4, Vdqfl8> {
  using Models::Models;
};

SsmDequantRtl::SsmDequantRtl(const std::string& variant) {
  if (variant == "sc_dq4") dut_ = std::make_unique<Dut>(std::in_place_type<Vdqfl4>);
  else if (variant == "sc_dq8") dut_ = std::make_unique<Dut>(std::in_place_type<Vdqfl8>);
  else throw std::invalid_argument("unknown dequant RTL variant " + variant);
}
SsmDequantRtl::~SsmDequantRtl() = default;

Cycles SsmDequantRtl::run(bool dual, std::span<const std::uint16_t> code, std::span<const float> scale, float scale1,
                          float scale12, std::span<float> value) {
  return dut_->apply([&](auto& m) {
    const std::size_t lanes = lanes_of(m.scale_i), n = code.size(), beats = beats_of(n, lanes);
    m.mode_i = dual;
    m.scale1_i = bits_of(scale1);
    m.scale12_i = bits_of(scale12);
    const Cycles c = stream(
        m, beats,
        [&](std::size_t b) {
          for (std::size_t l = 0; l < lanes; ++l) {
            const std::size_t i = b * lanes + l;
            set_lane(m.code_i, l, 16, i < n ? code[i] : 0u);
            set_lane(m.scale_i, l, 32, i < n && !dual ? bits_of(scale[i]) : 0u);
          }
        },
        [&](std::size_t b) {
          for (std::size_t l = 0, i = b * lanes; l < lanes && i < n; ++l, ++i) value[i] = float_of(get_lane(m.value_o, l, 32));
        },
        "ssm_dequant");
    return instance_cycles(c, beats, n);
  });
}

// ---- scale-index lookup ------------------------------------------------------------

struct ScaleIndexLookupRtl::Dut
    : Models<Vlkf_g1h4d4_24x64_seq, Vlkf_g1h4d4_24x64_par, Vlkf_g8h4d4_16x64_seq, Vlkf_g8h4d4_16x64_par> {
  using Models::Models;
};

ScaleIndexLookupRtl::ScaleIndexLookupRtl(const std::string& variant) {
  if (variant == "sc_lk_g1h4d4_24x64_seq") dut_ = std::make_unique<Dut>(std::in_place_type<Vlkf_g1h4d4_24x64_seq>);
  else if (variant == "sc_lk_g1h4d4_24x64_par") dut_ = std::make_unique<Dut>(std::in_place_type<Vlkf_g1h4d4_24x64_par>);
  else if (variant == "sc_lk_g8h4d4_16x64_seq") dut_ = std::make_unique<Dut>(std::in_place_type<Vlkf_g8h4d4_16x64_seq>);
  else if (variant == "sc_lk_g8h4d4_16x64_par") dut_ = std::make_unique<Dut>(std::in_place_type<Vlkf_g8h4d4_16x64_par>);
  else throw std::invalid_argument("unknown scale-index lookup RTL variant " + variant);
}
ScaleIndexLookupRtl::~ScaleIndexLookupRtl() = default;

// One word per cycle through the write port, presented in the low phase and
// written at the rising edge.
Cycles ScaleIndexLookupRtl::load(std::span<const std::uint8_t> sram, const ScaleTableShape& shape) {
  const IndexSramLayout l = index_sram_layout(shape);
  const Cycles cycles = dut_->apply([&](auto& m) {
    Cycles c = 0;
    auto write = [&](IndexSramArray a, std::uint32_t sel, std::int64_t words) {
      for (std::int64_t i = 0; i < words; ++i) {
        m.we_i = 1;
        set(m.wsel_i, sel);
        set(m.waddr_i, static_cast<std::uint32_t>(i));
        m.wdata_i = index_sram_word(sram, l, a, i);
        low(m);
        high(m);
        ++c;
      }
    };
    write(IndexSramArray::kHeadRange, 0, l.head_words);
    write(IndexSramArray::kDimRange, 1, l.cells);
    write(IndexSramArray::kScale, 2, l.cells);
    m.we_i = 0;
    low(m);
    return c;
  });
  loaded_ = sram.data();
  return cycles;
}

Cycles ScaleIndexLookupRtl::run(const LookupTile& t) {
  if (loaded_ != t.sram.data()) (void)load(t.sram, t.shape);
  return dut_->apply([&](auto& m) {
    return stream(
        m, t.channel.size(), [&](std::size_t i) { set(m.channel_i, static_cast<std::uint32_t>(t.channel[i])); },
        [&](std::size_t k) {
          ScaleLookup& r = t.result[k];
          const std::uint32_t hg = m.hg_o, dg = m.dg_o;
          r.hg = hg == 0xf ? -1 : static_cast<int>(hg);
          r.dg = dg == 0xf ? -1 : static_cast<int>(dg);
          r.scale = m.scale_o;
          if (!m.found_o && r.scale != 0) throw std::runtime_error("scale_index_lookup: a scale without a cell");
        },
        "scale_index_lookup");
  });
}

}  // namespace mambahw::model
