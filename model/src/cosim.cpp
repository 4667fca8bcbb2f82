#include "mambahw/model/cosim.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/scale_table.hpp"
#include "mambahw/golden/stack.hpp"
#include "mambahw/golden/numerics.hpp"
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

// Adds the comparison of one tensor of `len` tokens to `c` (the golden
// layer's copy, element i in the tensor's layout order, as the bits
// memory.hpp stores); token indices are reported from `token0`.
void compare_into(TensorCheck& c, const TensorSpec& t, const LayerTrace& g, const Bytes& model, std::int64_t len,
                  std::int64_t token0 = 0) {
  const std::int64_t n = t.per_token * len;
  auto each = [&](auto golden_bits) {
    const bool cm = t.layout == Layout::kChannelMajor;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint32_t gb = golden_bits(static_cast<std::size_t>(i)), mb = get_element(model, i, t.element_bits);
      if (gb == mb) {  // the common case, without the position's arithmetic
        ++c.compared;
        continue;
      }
      const std::int64_t ch = cm ? i / len : i % t.per_token, tok = cm ? i % len : i / t.per_token;
      record(c, ch, token0 + tok, gb, mb);
    }
  };
  switch (t.format) {
    case ElementFormat::kInt8: {
      const Int8Tensor& v = g.int8.at(t.name);
      return each([&](std::size_t i) -> std::uint32_t { return static_cast<std::uint8_t>(v(i)); });
    }
    case ElementFormat::kDualScale: {
      const auto& v = g.words.at(t.name);
      return each([&](std::size_t i) -> std::uint32_t { return v(i); });
    }
    case ElementFormat::kFp16: {
      const FloatTensor& v = g.fp.at(t.name);
      return each([&](std::size_t i) -> std::uint32_t { return fp32_to_fp16(v(i)); });
    }
    case ElementFormat::kFp32: {
      const FloatTensor& v = g.fp.at(t.name);
      return each([&](std::size_t i) -> std::uint32_t { return bits_of(v(i)); });
    }
    case ElementFormat::kInt4: break;
  }
  throw std::logic_error("no golden copy of tensor '" + t.name + "'");
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
// The Verilated blocks in the loop where a variant implements the scheme's
// policy (or why not), and the hooks the units call. `dual` points at the
// dual-scale registers of the layer the units work on.
struct RtlLoop {
  std::unique_ptr<ConvOutQuantizerRtl> quantizer;
  std::unique_ptr<SsmDequantRtl> dequant;
  std::unique_ptr<ScaleIndexLookupRtl> lookup;
  const DualScaleFormat* dual = nullptr;
  LayerHooks hooks;
};

void setup_rtl(const System& c, const QuantizedLayer& q, const CosimOptions& opt, CosimReport& rep, RtlLoop& rtl) {
  rtl.dual = &*q.conv_out.dual;
  const DualScaleFormat& format = *q.conv_out.dual;  // the scheme's word format (every layer's)
  const NumericsPolicy& np = q.conv_out.numerics;

  std::string why_q, why_d;
  auto qv = quantizer_variant(np, format.code_bits(), format.range.qmin == -format.range.qmax, &why_q);
  if (!opt.force_quantizer_variant.empty()) qv = opt.force_quantizer_variant;
  const auto dv = dequant_variant(np, format.code_bits(), &why_d);
  if (opt.rtl_out_of_loop) {
    rep.rtl_note = "taken out of the loop by the caller";
  } else if (qv && dv) {
    rtl.quantizer = std::make_unique<ConvOutQuantizerRtl>(*qv);
    rtl.dequant = std::make_unique<SsmDequantRtl>(*dv);
    rep.rtl_in_loop = true;
    rep.quantizer_variant = *qv;
    rep.dequant_variant = *dv;
  } else {
    rep.rtl_note = !why_q.empty() ? why_q : why_d;
  }

  // Quamba2's scale-index lookup: the Verilated block of the table's shape, where one is built.
  const std::optional<Quamba2ScaleTable>& table = q.conv_out.table;
  if (table) {
    const auto lv = lookup_variant(table->shape, c.hardware.scale_index.impl, &rep.lookup_note);
    if (opt.rtl_out_of_loop) {
      rep.lookup_note = "taken out of the loop by the caller";
    } else if (lv) {
      rtl.lookup = std::make_unique<ScaleIndexLookupRtl>(*lv);
      rep.lookup_rtl_in_loop = true;
      rep.lookup_variant = *lv;
      rep.lookup_note.clear();
    }
  }

  if (rtl.lookup)
    rtl.hooks.lookup = [&rep, &rtl](const LookupTile& t) {
      const Cycles cyc = rtl.lookup->run(t);
      rep.lookup_rtl_cycles += cyc;
      rep.lookup_rtl_elements += static_cast<std::int64_t>(t.channel.size());
      return RtlTile{cyc, static_cast<std::int64_t>(t.channel.size())};
    };
  if (rep.rtl_in_loop) {
    rtl.hooks.quantize = [&rep, &rtl](const QuantizeTile& t) {
      const DualScaleFormat& dual = *rtl.dual;
      const Cycles cyc = rtl.quantizer->run(t.x, t.inv_scale, dual.inv_scale1, dual.inv_scale12, t.code, t.word);
      rep.quantizer_rtl_cycles += cyc;
      rep.quantizer_rtl_elements += static_cast<std::int64_t>(t.x.size());
      return RtlTile{cyc, static_cast<std::int64_t>(t.x.size())};
    };
    rtl.hooks.dequant = [&rep, &rtl](const DequantTile& t) {
      const DualScaleFormat& dual = *rtl.dual;
      const Cycles cyc = rtl.dequant->run(t.dual, t.word, t.scale, dual.scale1, dual.scale12, t.value);
      rep.dequant_rtl_cycles += cyc;
      rep.dequant_rtl_elements += static_cast<std::int64_t>(t.word.size());
      return RtlTile{cyc, static_cast<std::int64_t>(t.word.size())};
    };
  }
}

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
  RtlLoop rtl;
  setup_rtl(c, q, opt, rep, rtl);
  const LayerHooks& hooks = rtl.hooks;
  const std::optional<Quamba2ScaleTable>& table = q.conv_out.table;
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
    const bool by_rtl = rep.rtl_in_loop && op.kind == OpKind::kConvSiluQuantize;
    const std::string source = by_rtl ? rep.quantizer_variant : kSystemcUnit;
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

namespace {

// The host's input quantizer (golden's, as run_layer quantizes the layer input).
Int8Tensor host_input_codes(const QuantizedLayer& q, const FloatTensor& x) {
  const float inv = reciprocal(q.in_scale);
  Int8Tensor codes({x.dim(0), x.dim(1)});
  for (std::size_t i = 0; i < x.size(); ++i) codes(i) = quantize_activation(x(i), q.in_scale, inv, q.scheme.numerics.rounding);
  return codes;
}

FloatTensor token_row(const FloatTensor& x, std::size_t t) {
  FloatTensor y({1, x.dim(1)});
  std::copy_n(&x(t, 0), x.dim(1), y.data());
  return y;
}

// One layer pass of one sequence against golden's trace: every op output and
// the dequant stage's output, added to `checks` (made in program order on
// the first pass); a check's first mismatch names the layer and sequence.
void check_pass(std::vector<TensorCheck>& checks, const QuantizedLayer& q, const CosimReport& rep, const LayerTrace& g,
                const std::map<std::string, Bytes>& model, const FloatTensor& tap, std::int64_t len, std::int64_t token0,
                const std::string& where) {
  const bool first = checks.empty();
  std::size_t i = 0;
  auto next = [&](TensorCheck fresh) -> TensorCheck& {
    if (first) checks.push_back(std::move(fresh));
    return checks.at(i++);
  };
  auto label = [&](TensorCheck& c, std::int64_t before) {
    if (before == 0 && c.mismatches > 0) c.first_mismatch = where + ": " + c.first_mismatch;
  };
  for (const OpSpec& op : q.program.ops) {
    const bool by_rtl = rep.rtl_in_loop && op.kind == OpKind::kConvSiluQuantize;
    for (const std::string& name : op.outputs) {
      const TensorSpec& t = q.program.tensor(name);
      TensorCheck& c = next(new_check(t, op, by_rtl ? rep.quantizer_variant : kSystemcUnit));
      const std::int64_t before = c.mismatches;
      compare_into(c, t, g, model.at(name), len, token0);
      label(c, before);
    }
    if (op.unit == Unit::kSsmCore) {
      TensorCheck& c = next(TensorCheck{"ssm_input", op.name, std::string(to_string(Unit::kSsmDequant)),
                                        rep.rtl_in_loop ? rep.dequant_variant : kSystemcUnit, kGoldenLayer, 0, 0, {}});
      const std::int64_t before = c.mismatches;
      compare_ssm_input(c, g.ssm_input, tap, token0);
      label(c, before);
    }
  }
}

}  // namespace

CosimReport run_cosim_stack(const System& c, const StackInputs& in, const CosimOptions& opt) {
  if (in.layers.empty() || in.prompts.empty()) throw std::invalid_argument("run_cosim_stack: no layers or no sequences");
  const auto K = static_cast<int>(in.layers.size()), B = static_cast<int>(in.prompts.size());
  const auto L = static_cast<int>(in.prompts[0].dim(0));
  const int N = in.decode_inputs.empty() ? 0 : static_cast<int>(in.decode_inputs[0].dim(0));
  for (const FloatTensor& p : in.prompts)
    if (static_cast<int>(p.dim(0)) != L) throw std::invalid_argument("run_cosim_stack: the prompts differ in length");
  if (N && static_cast<int>(in.decode_inputs.size()) != B) throw std::invalid_argument("run_cosim_stack: decode inputs per sequence");
  for (const FloatTensor& d : in.decode_inputs)
    if (static_cast<int>(d.dim(0)) != N) throw std::invalid_argument("run_cosim_stack: the decode inputs differ in length");
  const QuantizedLayer& q0 = *in.layers[0];
  const LayerProgram& program = q0.program;
  CosimReport rep;
  rep.mode = accelerator_mode(c.scheme);
  RtlLoop rtl;
  setup_rtl(c, q0, opt, rep, rtl);

  // The host's loads: each layer's registers and images; layer 0's inputs.
  std::vector<LayerData> data;
  const Int8Tensor no_input({static_cast<std::size_t>(L), static_cast<std::size_t>(c.model.d_model)});
  for (int l = 0; l < K; ++l) {
    const QuantizedLayer& q = *in.layers[static_cast<std::size_t>(l)];
    data.push_back(load_layer(q, program, L, c.hardware.gemm, no_input));
    data.back().variant = opt.variant;
  }
  if (opt.variant.index_sram_flipped_bit && data[0].conv.index) {
    const std::int64_t bit = *opt.variant.index_sram_flipped_bit;
    data[0].conv.index->words.at(static_cast<std::size_t>(bit / 8)) ^= static_cast<std::uint8_t>(1u << (bit % 8));
  }
  StackRun run;
  run.layers = K;
  run.batch = B;
  for (const LayerData& d : data) run.data.push_back(&d);
  for (const QuantizedLayer* q : in.layers) run.tables.push_back(q->conv_out.table);
  run.decode_inputs.resize(static_cast<std::size_t>(N ? B : 0));
  for (int b = 0; b < B; ++b) {
    run.inputs.push_back(layer_input_image(program, host_input_codes(q0, in.prompts[static_cast<std::size_t>(b)])));
    for (int k = 0; k < N; ++k)
      run.decode_inputs[static_cast<std::size_t>(b)].push_back(layer_input_image(
          program, host_input_codes(q0, token_row(in.decode_inputs[static_cast<std::size_t>(b)], static_cast<std::size_t>(k)))));
  }
  // The host between layers: the model's own output through the residual add
  // and the RMSNorm (golden's residual_rmsnorm), quantized by the next layer.
  std::vector<FloatTensor> residual(static_cast<std::size_t>(B));
  run.next_input = [&](int layer, int seq, int step, const Bytes& out) {
    const auto sb = static_cast<std::size_t>(seq);
    if (layer == 0)
      residual[sb] = step < 0 ? in.prompts[sb] : token_row(in.decode_inputs[sb], static_cast<std::size_t>(step));
    const TensorSpec& t = program.tensor(program.ops.back().outputs.at(0));
    FloatTensor y({residual[sb].dim(0), residual[sb].dim(1)});
    for (std::size_t i = 0; i < y.size(); ++i)
      y(i) = fp16_to_fp32(static_cast<std::uint16_t>(get_element(out, static_cast<std::int64_t>(i), t.element_bits)));
    if (opt.host_residual_dropped) residual[sb] = FloatTensor({y.dim(0), y.dim(1)});  // zeros: out alone
    const FloatTensor x = residual_rmsnorm(residual[sb], y);
    return layer_input_image(program, host_input_codes(*in.layers.at(static_cast<std::size_t>(layer) + 1), x));
  };
  // The RTL blocks' dual-scale registers: the layer's the units work on.
  run.on_layer = [&](int layer) { rtl.dual = &*in.layers.at(static_cast<std::size_t>(layer))->conv_out.dual; };
  // Golden: each sequence through its own stack, checked as the model's layers arrive.
  std::vector<StackCursor> golden;
  for (int b = 0; b < B; ++b) golden.emplace_back(in.layers, rep.mode);
  run.observe = [&](int layer, int seq, int step, std::map<std::string, Bytes>&& tensors, FloatTensor&& tap) {
    StackCursor& g = golden[static_cast<std::size_t>(seq)];
    const auto sb = static_cast<std::size_t>(seq);
    if (layer == 0) g.start(step < 0 ? in.prompts[sb] : token_row(in.decode_inputs[sb], static_cast<std::size_t>(step)));
    if (g.layer() != layer) throw std::logic_error("run_cosim_stack: layers observed out of order");
    const LayerTrace tr = g.next();
    check_pass(step < 0 ? rep.checks : rep.decode_checks, *in.layers[static_cast<std::size_t>(layer)], rep, tr, tensors,
               tap, step < 0 ? L : 1, step < 0 ? 0 : L + step, fmt::format("layer {}, sequence {}", layer, seq));
  };
  rep.timing = simulate_layer(c, program, L, q0.conv_out.table, rtl.hooks, nullptr, N, opt.state_layers, &run);
  if (const auto& table = q0.conv_out.table) {  // layer 0's lookups of its first sequence
    const std::string src = rep.lookup_rtl_in_loop ? rep.lookup_variant : kSystemcUnit;
    const std::string unit(to_string(Unit::kScaleIndexLookup));
    TensorCheck cell{"scale_index", "conv", unit, src, kGoldenLookup, 0, 0, {}};
    TensorCheck scale{"x_scale", "conv", unit, src, kGoldenLookup, 0, 0, {}};
    for (std::size_t ch = 0; ch < rep.timing.scale_lookups.size(); ++ch) {
      const ScaleIndex gi = lookup_scale_index(*table, static_cast<int>(ch));
      const ScaleLookup& mi = rep.timing.scale_lookups[ch];
      auto code = [](int hg, int dg) { return static_cast<std::uint32_t>((hg < 0 ? 0xf : hg) << 4 | (dg < 0 ? 0xf : dg)); };
      record(cell, static_cast<std::int64_t>(ch), 0, code(gi.hg, gi.dg), code(mi.hg, mi.dg));
      record(scale, static_cast<std::int64_t>(ch), 0, bits_of(x_out_scale(*table, static_cast<int>(ch))), mi.scale);
    }
    rep.checks.push_back(cell);
    rep.checks.push_back(scale);
  }
  return rep;
}

}  // namespace mambahw::model
