#include "mambahw/model/rtl_blocks.hpp"

#include <array>
#include <stdexcept>

#include "Vsc_dq4.h"
#include "Vsc_dq8.h"
#include "Vsc_q_away.h"
#include "Vsc_q_even.h"
#include "Vsc_q_se8.h"
#include "Vsc_lk_g1h4d4_24x64_par.h"
#include "Vsc_lk_g1h4d4_24x64_seq.h"
#include "Vsc_lk_g8h4d4_16x64_par.h"
#include "Vsc_lk_g8h4d4_16x64_seq.h"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/model/memory.hpp"

namespace mambahw::model {

namespace {
const sc_core::sc_time kHalf(0.5, sc_core::SC_PS);  // the RTL clock domain: 1 ps period
constexpr int kWatchdog = 64;                          // cycles without progress before giving up

void reset_block(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rst_n, sc_core::sc_signal<bool>& ready_i) {
  ready_i.write(true);
  rst_n.write(false);
  sc_core::wait(kHalf);
  for (int i = 0; i < 2; ++i) {
    clk.write(true);
    sc_core::wait(kHalf);
    clk.write(false);
    sc_core::wait(kHalf);
  }
  rst_n.write(true);
  sc_core::wait(kHalf);
}

// Streams n transactions through a valid/ready block, one per cycle: inputs
// change in the low phase, the DUT samples at the rising edge, outputs are
// read in the next low phase (ready_i is held high). drive(i) presents
// transaction i; sample(k) reads output k. Returns the cycles taken.
template <class Drive, class Sample>
Cycles stream(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& valid_i, const sc_core::sc_signal<bool>& ready_o,
              const sc_core::sc_signal<bool>& valid_o, std::size_t n, Drive drive, Sample sample, const char* block) {
  std::size_t in = 0, out = 0;
  Cycles cycles = 0;
  int idle = 0;
  while (out < n) {
    const bool valid = in < n;
    valid_i.write(valid);
    if (valid) drive(in);
    sc_core::wait(kHalf);
    const bool accepted = valid && ready_o.read();
    bool progress = accepted;
    if (valid_o.read()) {
      sample(out++);
      progress = true;
    }
    clk.write(true);
    sc_core::wait(kHalf);
    clk.write(false);
    if (accepted) ++in;
    ++cycles;
    idle = progress ? 0 : idle + 1;
    if (idle > kWatchdog) throw std::runtime_error(std::string(block) + " RTL stopped responding");
  }
  valid_i.write(false);
  return cycles;
}
}  // namespace

std::optional<std::string> quantizer_variant(const NumericsPolicy& p, int dual_code_bits, bool symmetric,
                                             std::string* why) {
  auto no = [&](const std::string& w) -> std::optional<std::string> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (p.quantize_op != QuantizeOp::kMultiplyReciprocal) return no("the RTL quantizer multiplies by the reciprocal");
  if (p.overflow != Overflow::kSaturate || p.denormals != Denormals::kPreserve)
    return no("no Verilated SystemC variant with wrap or flush-to-zero is built");
  if (!symmetric) return no("no Verilated SystemC variant with full-range dual codes is built");
  if (dual_code_bits == 8)
    return p.rounding == Rounding::kHalfAwayFromZero ? std::optional<std::string>("sc_q_se8")
                                                     : no("the 8-bit dual variant is built for half-away rounding only");
  if (dual_code_bits != 4) return no("dual-scale code width " + std::to_string(dual_code_bits) + " is not built");
  if (p.rounding == Rounding::kHalfAwayFromZero) return "sc_q_away";
  if (p.rounding == Rounding::kHalfToEven) return "sc_q_even";
  return no("no Verilated SystemC variant rounds toward zero");
}

std::optional<std::string> dequant_variant(const NumericsPolicy& p, int dual_code_bits, std::string* why) {
  if (p.denormals != Denormals::kPreserve) {
    if (why) *why = "no Verilated SystemC dequant variant with flush-to-zero is built";
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
    *why = "no Verilated SystemC scale_index_lookup is built for " + std::to_string(s.ngroups) + " x " +
           std::to_string(s.head_groups) + " x " + std::to_string(s.dim_groups) + " cells of " +
           std::to_string(s.heads_per_group) + " heads x " + std::to_string(s.headdim);
  return std::nullopt;
}

// ---- conv-output quantizer ----------------------------------------------------------

namespace {
template <class V>
std::unique_ptr<sc_core::sc_module> bind_quantizer(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rst,
                                                   sc_core::sc_signal<bool>& vi, sc_core::sc_signal<bool>& ro,
                                                   sc_core::sc_signal<bool>& vo, sc_core::sc_signal<bool>& ri,
                                                   sc_core::sc_signal<std::uint32_t>& x, sc_core::sc_signal<std::uint32_t>& s,
                                                   sc_core::sc_signal<std::uint32_t>& s1, sc_core::sc_signal<std::uint32_t>& s12,
                                                   sc_core::sc_signal<std::uint32_t>& code, sc_core::sc_signal<std::uint32_t>& se) {
  auto v = std::make_unique<V>("dut");
  v->clk_i(clk);
  v->rst_ni(rst);
  v->valid_i(vi);
  v->ready_o(ro);
  v->valid_o(vo);
  v->ready_i(ri);
  v->x_i(x);
  v->scale_i(s);
  v->se_scale1_i(s1);
  v->se_scale12_i(s12);
  v->code_o(code);
  v->se_o(se);
  return v;
}
}  // namespace

ConvOutQuantizerRtl::ConvOutQuantizerRtl(sc_core::sc_module_name name, const std::string& variant) : sc_module(name) {
  if (variant == "sc_q_away")
    dut_ = bind_quantizer<Vsc_q_away>(clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_, x_, scale_, s1_, s12_, code_o_, se_o_);
  else if (variant == "sc_q_even")
    dut_ = bind_quantizer<Vsc_q_even>(clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_, x_, scale_, s1_, s12_, code_o_, se_o_);
  else if (variant == "sc_q_se8")
    dut_ = bind_quantizer<Vsc_q_se8>(clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_, x_, scale_, s1_, s12_, code_o_, se_o_);
  else
    throw std::invalid_argument("unknown quantizer RTL variant " + variant);
}
ConvOutQuantizerRtl::~ConvOutQuantizerRtl() = default;

Cycles ConvOutQuantizerRtl::run(std::span<const float> x, std::span<const float> inv_scale, float se_inv_scale1,
                                float se_inv_scale12, std::span<std::uint8_t> code, std::span<std::uint16_t> se) {
  if (!reset_done_) reset_block(clk_, rst_n_, ready_i_);
  reset_done_ = true;
  s1_.write(bits_of(se_inv_scale1));
  s12_.write(bits_of(se_inv_scale12));
  return stream(
      clk_, valid_i_, ready_o_, valid_o_, x.size(),
      [&](std::size_t i) {
        x_.write(bits_of(x[i]));
        scale_.write(bits_of(inv_scale[i]));
      },
      [&](std::size_t k) {
        code[k] = static_cast<std::uint8_t>(code_o_.read());
        se[k] = static_cast<std::uint16_t>(se_o_.read());
      },
      "conv_out_quantizer");
}

// ---- SSM dequant stage -------------------------------------------------------------

namespace {
template <class V>
std::unique_ptr<sc_core::sc_module> bind_dequant(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rst,
                                                 sc_core::sc_signal<bool>& vi, sc_core::sc_signal<bool>& ro,
                                                 sc_core::sc_signal<bool>& vo, sc_core::sc_signal<bool>& ri,
                                                 sc_core::sc_signal<bool>& mode, sc_core::sc_signal<std::uint32_t>& code,
                                                 sc_core::sc_signal<std::uint32_t>& s, sc_core::sc_signal<std::uint32_t>& s1,
                                                 sc_core::sc_signal<std::uint32_t>& s12, sc_core::sc_signal<std::uint32_t>& value) {
  auto v = std::make_unique<V>("dut");
  v->clk_i(clk);
  v->rst_ni(rst);
  v->valid_i(vi);
  v->ready_o(ro);
  v->valid_o(vo);
  v->ready_i(ri);
  v->mode_i(mode);
  v->code_i(code);
  v->scale_i(s);
  v->scale1_i(s1);
  v->scale12_i(s12);
  v->value_o(value);
  return v;
}
}  // namespace

SsmDequantRtl::SsmDequantRtl(sc_core::sc_module_name name, const std::string& variant) : sc_module(name) {
  if (variant == "sc_dq4")
    dut_ = bind_dequant<Vsc_dq4>(clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_, mode_, code_, scale_, s1_, s12_, value_o_);
  else if (variant == "sc_dq8")
    dut_ = bind_dequant<Vsc_dq8>(clk_, rst_n_, valid_i_, ready_o_, valid_o_, ready_i_, mode_, code_, scale_, s1_, s12_, value_o_);
  else
    throw std::invalid_argument("unknown dequant RTL variant " + variant);
}
SsmDequantRtl::~SsmDequantRtl() = default;

Cycles SsmDequantRtl::run(bool dual, std::span<const std::uint16_t> code, std::span<const float> scale, float scale1,
                          float scale12, std::span<float> value) {
  if (!reset_done_) reset_block(clk_, rst_n_, ready_i_);
  reset_done_ = true;
  mode_.write(dual);
  s1_.write(bits_of(scale1));
  s12_.write(bits_of(scale12));
  return stream(
      clk_, valid_i_, ready_o_, valid_o_, code.size(),
      [&](std::size_t i) {
        code_.write(code[i]);
        scale_.write(dual ? 0u : bits_of(scale[i]));
      },
      [&](std::size_t k) { value[k] = float_of(value_o_.read()); }, "ssm_dequant");
}

// ---- scale-index lookup ------------------------------------------------------------

namespace {
template <class V>
std::unique_ptr<sc_core::sc_module> bind_lookup(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rst,
                                                sc_core::sc_signal<bool>& we, sc_core::sc_signal<std::uint32_t>& wsel,
                                                sc_core::sc_signal<std::uint32_t>& waddr, sc_core::sc_signal<std::uint32_t>& wdata,
                                                sc_core::sc_signal<bool>& vi, sc_core::sc_signal<bool>& ro,
                                                sc_core::sc_signal<std::uint32_t>& ch, sc_core::sc_signal<bool>& vo,
                                                sc_core::sc_signal<bool>& ri, sc_core::sc_signal<bool>& found,
                                                sc_core::sc_signal<std::uint32_t>& g, sc_core::sc_signal<std::uint32_t>& hg,
                                                sc_core::sc_signal<std::uint32_t>& dg, sc_core::sc_signal<std::uint32_t>& scale) {
  auto v = std::make_unique<V>("dut");
  v->clk_i(clk);
  v->rst_ni(rst);
  v->we_i(we);
  v->wsel_i(wsel);
  v->waddr_i(waddr);
  v->wdata_i(wdata);
  v->valid_i(vi);
  v->ready_o(ro);
  v->channel_i(ch);
  v->valid_o(vo);
  v->ready_i(ri);
  v->found_o(found);
  v->g_o(g);
  v->hg_o(hg);
  v->dg_o(dg);
  v->scale_o(scale);
  return v;
}
}  // namespace

ScaleIndexLookupRtl::ScaleIndexLookupRtl(sc_core::sc_module_name name, const std::string& variant) : sc_module(name) {
  const auto bind = [&]<class V>() {
    dut_ = bind_lookup<V>(clk_, rst_n_, we_, wsel_, waddr_, wdata_, valid_i_, ready_o_, channel_, valid_o_, ready_i_,
                          found_o_, g_o_, hg_o_, dg_o_, scale_o_);
  };
  if (variant == "sc_lk_g1h4d4_24x64_seq") bind.operator()<Vsc_lk_g1h4d4_24x64_seq>();
  else if (variant == "sc_lk_g1h4d4_24x64_par") bind.operator()<Vsc_lk_g1h4d4_24x64_par>();
  else if (variant == "sc_lk_g8h4d4_16x64_seq") bind.operator()<Vsc_lk_g8h4d4_16x64_seq>();
  else if (variant == "sc_lk_g8h4d4_16x64_par") bind.operator()<Vsc_lk_g8h4d4_16x64_par>();
  else throw std::invalid_argument("unknown scale-index lookup RTL variant " + variant);
}
ScaleIndexLookupRtl::~ScaleIndexLookupRtl() = default;

Cycles ScaleIndexLookupRtl::load(std::span<const std::uint8_t> sram, const ScaleTableShape& shape) {
  if (!reset_done_) reset_block(clk_, rst_n_, ready_i_);
  reset_done_ = true;
  const IndexSramLayout l = index_sram_layout(shape);
  Cycles cycles = 0;
  auto write = [&](IndexSramArray a, std::uint32_t sel, std::int64_t words) {
    for (std::int64_t i = 0; i < words; ++i) {
      we_.write(true);
      wsel_.write(sel);
      waddr_.write(static_cast<std::uint32_t>(i));
      wdata_.write(index_sram_word(sram, l, a, i));
      sc_core::wait(kHalf);
      clk_.write(true);
      sc_core::wait(kHalf);
      clk_.write(false);
      ++cycles;
    }
  };
  write(IndexSramArray::kHeadRange, 0, l.head_words);
  write(IndexSramArray::kDimRange, 1, l.cells);
  write(IndexSramArray::kScale, 2, l.cells);
  we_.write(false);
  loaded_ = sram.data();
  return cycles;
}

Cycles ScaleIndexLookupRtl::run(const LookupTile& t) {
  if (loaded_ != t.sram.data()) (void)load(t.sram, t.shape);
  return stream(
      clk_, valid_i_, ready_o_, valid_o_, t.channel.size(),
      [&](std::size_t i) { channel_.write(static_cast<std::uint32_t>(t.channel[i])); },
      [&](std::size_t k) {
        ScaleLookup& r = t.result[k];
        const std::uint32_t hg = hg_o_.read(), dg = dg_o_.read();
        r.hg = hg == 0xf ? -1 : static_cast<int>(hg);
        r.dg = dg == 0xf ? -1 : static_cast<int>(dg);
        r.scale = scale_o_.read();
        if (!found_o_.read() && r.scale != 0) throw std::runtime_error("scale_index_lookup: a scale without a cell");
      },
      "scale_index_lookup");
}

}  // namespace mambahw::model
