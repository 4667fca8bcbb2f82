#include "mambahw/model/cosim.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/model/rtl_blocks.hpp"

namespace mambahw::model {

bool CosimReport::bit_exact() const { return mismatches() == 0; }

int CosimReport::independent_checks() const {
  int n = 0;
  for (const TensorCheck& c : checks) n += c.independent;
  return n;
}

std::int64_t CosimReport::mismatches() const {
  std::int64_t n = 0;
  for (const TensorCheck& c : checks) n += c.mismatches;
  return n;
}

namespace {

void record(TensorCheck& c, int channel, std::size_t token, std::uint32_t golden, std::uint32_t model) {
  ++c.compared;
  if (golden == model) return;
  if (c.mismatches++ == 0)
    c.first_mismatch = fmt::format("channel {}, token {}: golden 0x{:x}, model 0x{:x}", channel, token, golden, model);
}

// Compares two [rows][cols] FP32 tensors bit for bit; `rows_are_channels`
// picks the wording of the first mismatch.
TensorCheck compare(const std::string& name, const std::string& source, const FloatTensor& golden,
                    const FloatTensor& model, bool rows_are_channels) {
  TensorCheck c{name, source, 0, 0, {}};
  for (std::size_t i = 0; i < golden.size(); ++i) {
    const std::size_t r = i / golden.dim(1), k = i % golden.dim(1);
    record(c, static_cast<int>(rows_are_channels ? r : k), rows_are_channels ? k : r, bits_of(golden(i)),
           bits_of(model(i)));
  }
  return c;
}

}  // namespace

CosimReport run_cosim(const System& c, const QuantizedLayer& q, const FloatTensor& input, const CosimOptions& opt) {
  CosimReport rep;
  const ModelShape& m = c.model;
  const int seq_len = static_cast<int>(input.dim(0));
  rep.mode = accelerator_mode(c.scheme);
  const LayerTrace golden = run_layer(q, input, rep.mode);
  const DualScaleFormat& dual = *q.conv_out.dual;
  const NumericsPolicy& np = q.conv_out.numerics;
  const int D = m.d_inner;
  const auto L = static_cast<std::size_t>(seq_len);

  std::string why_q, why_d;
  auto qv = quantizer_variant(np, dual.code_bits(), dual.range.qmin == -dual.range.qmax, &why_q);
  if (!opt.force_quantizer_variant.empty()) qv = opt.force_quantizer_variant;
  const auto dv = dequant_variant(np, dual.code_bits(), &why_d);
  std::unique_ptr<ConvOutQuantizerRtl> qrtl;
  std::unique_ptr<SsmDequantRtl> drtl;
  if (qv && dv) {
    qrtl = std::make_unique<ConvOutQuantizerRtl>("conv_out_quantizer_rtl", *qv);
    drtl = std::make_unique<SsmDequantRtl>("ssm_dequant_rtl", *dv);
    rep.rtl_in_loop = true;
    rep.quantizer_variant = *qv;
    rep.dequant_variant = *dv;
  } else {
    rep.rtl_note = !why_q.empty() ? why_q : why_d;
  }

  Int8Tensor rtl_codes({static_cast<std::size_t>(m.conv_channels()), L});
  Tensor<std::uint16_t> rtl_words({static_cast<std::size_t>(D), L});
  FloatTensor rtl_u = golden.ssm_input;
  TensorCheck codes{"conv_out_codes", rep.quantizer_variant, 0, 0, {}};
  TensorCheck words{"conv_out_dual_words", rep.quantizer_variant, 0, 0, {}};
  TensorCheck u_check{"ssm_input", rep.dequant_variant, 0, 0, {}};

  LayerHooks hooks;
  if (rep.rtl_in_loop) {
    hooks.quantize = [&](const ChannelTile& t) {
      const std::size_t n = static_cast<std::size_t>(t.c_len) * L;
      std::vector<float> x(n), inv(n);
      std::vector<std::uint8_t> code(n);
      std::vector<std::uint16_t> se(n);
      for (int ch = 0; ch < t.c_len; ++ch) {
        const auto cc = static_cast<std::size_t>(t.c0 + ch);
        const float inv_scale = reciprocal(q.conv_out.int8_scales[cc]);  // the channel's scale register
        for (std::size_t k = 0; k < L; ++k) {
          x[static_cast<std::size_t>(ch) * L + k] = golden.conv_y(cc, k);
          inv[static_cast<std::size_t>(ch) * L + k] = inv_scale;
        }
      }
      const Cycles cyc = qrtl->run(x, inv, dual.inv_scale1, dual.inv_scale12, code, se);
      rep.quantizer_rtl_cycles += cyc;
      rep.quantizer_rtl_elements += static_cast<std::int64_t>(n);
      for (int ch = 0; ch < t.c_len; ++ch) {
        const int cc = t.c0 + ch;
        for (std::size_t k = 0; k < L; ++k) {
          const std::size_t i = static_cast<std::size_t>(ch) * L + k;
          rtl_codes(static_cast<std::size_t>(cc), k) = static_cast<std::int8_t>(code[i]);
          record(codes, cc, k, static_cast<std::uint8_t>(golden.conv_codes(static_cast<std::size_t>(cc), k)), code[i]);
          if (cc < D) {
            rtl_words(static_cast<std::size_t>(cc), k) = se[i];
            const std::uint16_t want = pack_dual(quantize_dual(x[i], dual, np), dual.code_bits());
            record(words, cc, k, want, se[i]);
          }
        }
      }
      return RtlTile{cyc, static_cast<std::int64_t>(n)};
    };
    hooks.dequant = [&](const ChannelTile& t) {
      const std::size_t n = static_cast<std::size_t>(t.c_len) * L;
      const bool dual_mode = rep.mode == SsmInputMode::kDualScale;
      std::vector<std::uint16_t> word(n);
      std::vector<float> scale(n), value(n);
      for (int ch = 0; ch < t.c_len; ++ch)
        for (std::size_t k = 0; k < L; ++k) {
          const auto cc = static_cast<std::size_t>(t.c0 + ch);
          const std::size_t i = static_cast<std::size_t>(ch) * L + k;
          word[i] = dual_mode ? rtl_words(cc, k) : static_cast<std::uint8_t>(rtl_codes(cc, k));
          scale[i] = q.conv_out.int8_scales[cc];
        }
      const Cycles cyc = drtl->run(dual_mode, word, scale, dual.scale1, dual.scale12, value);
      rep.dequant_rtl_cycles += cyc;
      rep.dequant_rtl_elements += static_cast<std::int64_t>(n);
      for (int ch = 0; ch < t.c_len; ++ch)
        for (std::size_t k = 0; k < L; ++k) {
          const auto cc = static_cast<std::size_t>(t.c0 + ch);
          const float v = value[static_cast<std::size_t>(ch) * L + k];
          rtl_u(cc, k) = v;
          record(u_check, static_cast<int>(cc), k, bits_of(golden.ssm_input(cc, k)), bits_of(v));
        }
      return RtlTile{cyc, static_cast<std::int64_t>(n)};
    };
  }
  const std::optional<Quamba2ScaleTable> table = q.conv_out.table;
  rep.timing = simulate_layer(c, q.program, seq_len, table, hooks);

  // The rest of the layer from the RTL's SSM input.
  const LayerTrace model = run_layer(q, input, rep.mode, &rtl_u);
  if (rep.rtl_in_loop) {
    rep.checks.push_back(codes);
    rep.checks.push_back(words);
    rep.checks.push_back(u_check);
  }
  for (TensorCheck c : {compare("ssm_output", kGoldenFromRtl, golden.ssm_out, model.ssm_out, true),
                        compare("layer_output", kGoldenFromRtl, golden.out, model.out, false)}) {
    c.independent = false;
    rep.checks.push_back(c);
  }
  return rep;
}

}  // namespace mambahw::model
