#include "mambahw/model/cosim.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/model/layer_data.hpp"
#include "mambahw/model/memory.hpp"
#include "mambahw/model/rtl_blocks.hpp"

namespace mambahw::model {

bool CosimReport::bit_exact() const { return mismatches() == 0; }

int CosimReport::checks_run() const {
  int n = 0;
  for (const TensorCheck& c : checks) n += c.compared > 0;
  return n;
}

std::int64_t CosimReport::mismatches() const {
  std::int64_t n = 0;
  for (const TensorCheck& c : checks) n += c.mismatches;
  for (const TensorCheck& c : decode_checks) n += c.mismatches;
  return n;
}

namespace {

void record(TensorCheck& c, std::int64_t channel, std::int64_t token, std::uint32_t golden, std::uint32_t model) {
  ++c.compared;
  if (golden == model) return;
  if (c.mismatches++ == 0)
    c.first_mismatch = fmt::format("channel {}, token {}: golden 0x{:x}, model 0x{:x} (op {})", channel, token, golden,
                                   model, c.op);
}

// The golden layer's copy of a program tensor, element i in the tensor's
// layout order, as the bits memory.hpp stores.
std::uint32_t golden_element(const LayerTrace& g, const TensorSpec& t, std::size_t i) {
  switch (t.format) {
    case ElementFormat::kInt8: return static_cast<std::uint8_t>(g.int8.at(t.name)(i));
    case ElementFormat::kDualScale: return g.words.at(t.name)(i);
    case ElementFormat::kFp16: return fp32_to_fp16(g.fp.at(t.name)(i));
    case ElementFormat::kFp32: return bits_of(g.fp.at(t.name)(i));
    case ElementFormat::kInt4: break;
  }
  throw std::logic_error("no golden copy of tensor '" + t.name + "'");
}

// Adds the comparison of one tensor of `len` tokens to `c`; token indices
// are reported from `token0`.
void compare_into(TensorCheck& c, const TensorSpec& t, const LayerTrace& g, const Bytes& model, std::int64_t len,
                  std::int64_t token0 = 0) {
  const std::int64_t n = t.per_token * len;
  for (std::int64_t i = 0; i < n; ++i) {
    const bool cm = t.layout == Layout::kChannelMajor;
    const std::int64_t ch = cm ? i / len : i % t.per_token, tok = cm ? i % len : i / t.per_token;
    record(c, ch, token0 + tok, golden_element(g, t, static_cast<std::size_t>(i)), get_element(model, i, t.element_bits));
  }
}

TensorCheck new_check(const TensorSpec& t, const OpSpec& op, const std::string& source) {
  // The conv op's tensors leave through the conv-output quantizer.
  const Unit unit = op.kind == OpKind::kConvSiluQuantize ? Unit::kConvOutQuantizer : op.unit;
  return TensorCheck{t.name, op.name, std::string(to_string(unit)), source, kGoldenLayer, 0, 0, {}};
}

void compare_ssm_input(TensorCheck& u, const FloatTensor& golden, const FloatTensor& model, std::int64_t token0) {
  for (std::size_t ch = 0; ch < golden.dim(0); ++ch)
    for (std::size_t k = 0; k < golden.dim(1); ++k)
      record(u, static_cast<std::int64_t>(ch), token0 + static_cast<std::int64_t>(k), bits_of(golden(ch, k)),
             bits_of(model(ch, k)));
}

}  // namespace

namespace {
CosimReport cosim(const System& c, const QuantizedLayer& q, const FloatTensor& input, const FloatTensor* decode_inputs,
                  const CosimOptions& opt);

}  // namespace

CosimReport run_cosim(const System& c, const QuantizedLayer& q, const FloatTensor& input, const CosimOptions& opt) {
  return cosim(c, q, input, nullptr, opt);
}

CosimReport run_cosim(const System& c, const QuantizedLayer& q, const FloatTensor& input,
                      const FloatTensor& decode_inputs, const CosimOptions& opt) {
  return cosim(c, q, input, &decode_inputs, opt);
}

namespace {
CosimReport cosim(const System& c, const QuantizedLayer& q, const FloatTensor& input, const FloatTensor* decode_inputs,
                  const CosimOptions& opt) {
  CosimReport rep;
  const int seq_len = static_cast<int>(input.dim(0));
  const int steps = decode_inputs ? static_cast<int>(decode_inputs->dim(0)) : 0;
  rep.mode = accelerator_mode(c.scheme);
  // The specification, run once on its own (or given by the caller, who ran
  // it); with decode steps, the continuation, which carries its states itself.
  Continuation cont;
  if (decode_inputs) cont = run_continuation(q, input, *decode_inputs, rep.mode);
  else if (!opt.golden) cont.prefill = run_layer(q, input, rep.mode);
  else if (opt.golden->out.dim(0) != input.dim(0) || !opt.golden->int8.count(q.program.input))
    throw std::invalid_argument("run_cosim: the given golden trace is not of this layer's input");
  const LayerTrace& golden = decode_inputs || !opt.golden ? cont.prefill : *opt.golden;
  const DualScaleFormat& dual = *q.conv_out.dual;
  const NumericsPolicy& np = q.conv_out.numerics;

  std::string why_q, why_d;
  auto qv = quantizer_variant(np, dual.code_bits(), dual.range.qmin == -dual.range.qmax, &why_q);
  if (!opt.force_quantizer_variant.empty()) qv = opt.force_quantizer_variant;
  const auto dv = dequant_variant(np, dual.code_bits(), &why_d);
  std::unique_ptr<ConvOutQuantizerRtl> qrtl;
  std::unique_ptr<SsmDequantRtl> drtl;
  if (opt.rtl_out_of_loop) {
    rep.rtl_note = "taken out of the loop by the caller";
  } else if (qv && dv) {
    qrtl = std::make_unique<ConvOutQuantizerRtl>("conv_out_quantizer_rtl", *qv);
    drtl = std::make_unique<SsmDequantRtl>("ssm_dequant_rtl", *dv);
    rep.rtl_in_loop = true;
    rep.quantizer_variant = *qv;
    rep.dequant_variant = *dv;
  } else {
    rep.rtl_note = !why_q.empty() ? why_q : why_d;
  }

  // Quamba2's scale-index lookup: the Verilated block of the table's shape, where one is built.
  std::unique_ptr<ScaleIndexLookupRtl> lrtl;
  const std::optional<Quamba2ScaleTable>& table = q.conv_out.table;
  if (table) {
    const auto lv = lookup_variant(table->shape, c.hardware.scale_index.impl, &rep.lookup_note);
    if (opt.rtl_out_of_loop) {
      rep.lookup_note = "taken out of the loop by the caller";
    } else if (lv) {
      lrtl = std::make_unique<ScaleIndexLookupRtl>("scale_index_lookup_rtl", *lv);
      rep.lookup_rtl_in_loop = true;
      rep.lookup_variant = *lv;
      rep.lookup_note.clear();
    }
  }

  LayerHooks hooks;
  if (lrtl)
    hooks.lookup = [&](const LookupTile& t) {
      const Cycles cyc = lrtl->run(t);
      rep.lookup_rtl_cycles += cyc;
      rep.lookup_rtl_elements += static_cast<std::int64_t>(t.channel.size());
      return RtlTile{cyc, static_cast<std::int64_t>(t.channel.size())};
    };
  if (rep.rtl_in_loop) {
    hooks.quantize = [&](const QuantizeTile& t) {
      const Cycles cyc = qrtl->run(t.x, t.inv_scale, dual.inv_scale1, dual.inv_scale12, t.code, t.word);
      rep.quantizer_rtl_cycles += cyc;
      rep.quantizer_rtl_elements += static_cast<std::int64_t>(t.x.size());
      return RtlTile{cyc, static_cast<std::int64_t>(t.x.size())};
    };
    hooks.dequant = [&](const DequantTile& t) {
      const Cycles cyc = drtl->run(t.dual, t.word, t.scale, dual.scale1, dual.scale12, t.value);
      rep.dequant_rtl_cycles += cyc;
      rep.dequant_rtl_elements += static_cast<std::int64_t>(t.word.size());
      return RtlTile{cyc, static_cast<std::int64_t>(t.word.size())};
    };
  }
  LayerData data = load_layer(q, q.program, seq_len, c.hardware.gemm, golden.int8.at(q.program.input));
  for (const LayerTrace& step : cont.decode) data.decode_inputs.push_back(layer_input_image(q.program, step.int8.at(q.program.input)));
  data.variant = opt.variant;
  if (opt.variant.index_sram_flipped_bit && data.conv.index) {  // a corrupted SRAM word (negative control)
    const std::int64_t bit = *opt.variant.index_sram_flipped_bit;
    data.conv.index->words.at(static_cast<std::size_t>(bit / 8)) ^= static_cast<std::uint8_t>(1u << (bit % 8));
  }
  rep.timing = simulate_layer(c, q.program, seq_len, q.conv_out.table, hooks, &data, steps, opt.state_layers);

  // Every tensor the accelerator wrote, against golden's, labelled by its producer.
  for (const OpSpec& op : q.program.ops) {
    const bool rtl = rep.rtl_in_loop && op.kind == OpKind::kConvSiluQuantize;
    const std::string source = rtl ? rep.quantizer_variant : kSystemcUnit;
    for (const std::string& name : op.outputs) {
      const TensorSpec& t = q.program.tensor(name);
      TensorCheck ch = new_check(t, op, source), dc = ch;
      compare_into(ch, t, golden, rep.timing.tensors.at(name), seq_len);
      rep.checks.push_back(ch);
      if (!steps) continue;
      for (int k = 0; k < steps; ++k)
        compare_into(dc, t, cont.decode[static_cast<std::size_t>(k)], rep.timing.decode->tensors[static_cast<std::size_t>(k)].at(name),
                     1, seq_len + k);
      rep.decode_checks.push_back(dc);
    }
    if (op.kind == OpKind::kConvSiluQuantize && table) {
      // The lookup's cell (hg << 4 | dg, 0xf for none) and scale per x channel, against golden's search.
      const std::string src = rep.lookup_rtl_in_loop ? rep.lookup_variant : kSystemcUnit;
      const std::string unit(to_string(Unit::kScaleIndexLookup));
      TensorCheck cell{"scale_index", op.name, unit, src, kGoldenLookup, 0, 0, {}};
      TensorCheck scale{"x_scale", op.name, unit, src, kGoldenLookup, 0, 0, {}};
      auto code = [](int hg, int dg) {
        return static_cast<std::uint32_t>((hg < 0 ? 0xf : hg) << 4 | (dg < 0 ? 0xf : dg));
      };
      for (std::size_t ch = 0; ch < rep.timing.scale_lookups.size(); ++ch) {
        const ScaleIndex gi = lookup_scale_index(*table, static_cast<int>(ch));
        const ScaleLookup& mi = rep.timing.scale_lookups[ch];
        record(cell, static_cast<std::int64_t>(ch), 0, code(gi.hg, gi.dg), code(mi.hg, mi.dg));
        record(scale, static_cast<std::int64_t>(ch), 0, bits_of(x_out_scale(*table, static_cast<int>(ch))), mi.scale);
      }
      rep.checks.push_back(cell);
      rep.checks.push_back(scale);
    }
    if (op.unit == Unit::kSsmCore) {  // the dequant stage's FP32 output, inside the SSM core
      TensorCheck u{"ssm_input", op.name, std::string(to_string(Unit::kSsmDequant)),
                    rep.rtl_in_loop ? rep.dequant_variant : kSystemcUnit, kGoldenLayer, 0, 0, {}};
      TensorCheck du = u;
      compare_ssm_input(u, golden.ssm_input, rep.timing.ssm_input, 0);
      rep.checks.push_back(u);
      if (!steps) continue;
      for (int k = 0; k < steps; ++k)
        compare_ssm_input(du, cont.decode[static_cast<std::size_t>(k)].ssm_input,
                          rep.timing.decode->ssm_input[static_cast<std::size_t>(k)], seq_len + k);
      rep.decode_checks.push_back(du);
    }
  }
  return rep;
}
}  // namespace

}  // namespace mambahw::model
