#include "mambahw/studies/conv_out_study.hpp"

#include <algorithm>
#include <cmath>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {

namespace {

struct SyntheticData {
  ConvLayer layer;
  std::vector<Int8Tensor> calib;  // [channels][calib_seq_len] each
  std::vector<Int8Tensor> eval;   // [channels][seq_len] each
};

// The conv layer's INT8 input (in_proj output): min-max scales per segment
// calibrated on the calibration stream, then applied to the evaluation stream.
SyntheticData make_data(const ModelShape& m, const RunSettings& in) {
  SyntheticData d;
  const std::vector<int> seg = conv_segment_ends(m);
  std::vector<FloatTensor> calib_f;
  std::vector<float> in_scales;
  for (int b = 0; b < in.calib_batches; ++b)
    calib_f.push_back(synthetic_activations(m.conv_channels(), in.calib_seq_len,
                                            stream_seed(in.seed, Stream::kCalibration, b)));
  {
    // One min-max over all calibration batches.
    FloatTensor all({static_cast<std::size_t>(m.conv_channels()),
                     static_cast<std::size_t>(in.calib_seq_len) * in.calib_batches});
    for (int b = 0; b < in.calib_batches; ++b)
      for (int c = 0; c < m.conv_channels(); ++c)
        for (int t = 0; t < in.calib_seq_len; ++t)
          all(c, static_cast<std::size_t>(b) * in.calib_seq_len + t) = calib_f[b](c, t);
    (void)quantize_rows_minmax(all, seg, in_scales);
  }
  for (const FloatTensor& f : calib_f) d.calib.push_back(quantize_rows_minmax(f, seg, in_scales));
  for (int b = 0; b < in.batch; ++b)
    d.eval.push_back(quantize_rows_minmax(
        synthetic_activations(m.conv_channels(), in.seq_len, stream_seed(in.seed, Stream::kActivations, b)),
        seg, in_scales));
  d.layer = synthetic_conv_layer(m, stream_seed(in.seed, Stream::kConvWeights), in_scales);
  return d;
}

SchemeStudy study_one(const QuantScheme& s, const ModelShape& m, const SyntheticData& d) {
  const std::string source = "synthetic conv layer";
  if (const std::string why = scheme_applicability(s, m); !why.empty()) {
    SchemeStudy r;
    r.scheme = s;
    r.source = source;
    r.skipped = why;
    return r;
  }
  const NumericsPolicy& p = s.numerics;
  std::vector<FloatTensor> y_cal;
  for (const Int8Tensor& x : d.calib) y_cal.push_back(conv1d_silu(x, d.layer, s.conv_order, p));
  const ConvOutQuantizer q = calibrate_conv_out(s, m, y_cal);
  std::vector<FloatTensor> y(d.eval.size());
  std::vector<Int8Tensor> codes(d.eval.size());
  std::vector<ConvOutputs> batches;
  for (std::size_t b = 0; b < d.eval.size(); ++b) {
    conv1d_silu_quantize(d.eval[b], d.layer, s.conv_order, p, q.int8_scales, y[b], codes[b]);
    batches.push_back({y[b], codes[b]});
  }
  return study_conv_outputs(s, m, q, batches, source);
}

}  // namespace

SchemeStudy study_conv_outputs(const QuantScheme& s, const ModelShape& m, const ConvOutQuantizer& q,
                               std::span<const ConvOutputs> batches, std::string source) {
  SchemeStudy r;
  r.scheme = s;
  r.source = std::move(source);
  r.skipped = scheme_applicability(s, m);
  if (!r.skipped.empty()) return r;
  const NumericsPolicy& p = s.numerics;
  r.quantizer = q;
  // A layer's quantizer carries a dual-scale format for its mode-3 run even
  // under an INT8 scheme; the scheme's SSM input decides which one is studied.
  if (s.ssm_input != SsmInputFormat::kDualScale) r.quantizer.dual.reset();
  r.scale_min = *std::min_element(q.int8_scales.begin(), q.int8_scales.end());
  r.scale_max = *std::max_element(q.int8_scales.begin(), q.int8_scales.end());
  for (float sc : q.int8_scales) r.uncovered_channels += sc == 0.0f;
  const std::optional<DualScaleFormat>& dual = r.quantizer.dual;
  r.ssm_input_bits = dual ? dual->word_bits() : 8;

  std::vector<float> ref, int8_deq, ssm_deq;
  for (const ConvOutputs& b : batches) {
    const FloatTensor& y = b.y;
    for (std::size_t c = 0; c < y.dim(0); ++c) {
      const float sc = q.int8_scales[c];
      const float inv = inv_scale_register(sc, p);
      for (std::size_t t = 0; t < y.dim(1); ++t) {
        r.int8_saturated += rounds_out_of_range(scaled_value(y(c, t), sc, inv, p), p.rounding, kInt8Range);
        if (c >= static_cast<std::size_t>(m.d_inner)) continue;
        ref.push_back(y(c, t));
        const float deq = dequant(b.codes(c, t), sc, p.denormals);
        int8_deq.push_back(deq);
        if (!dual) {
          ssm_deq.push_back(deq);
          continue;
        }
        const DualScaleCode dc = quantize_dual(y(c, t), *dual, p);
        ssm_deq.push_back(dequant_dual(dc, *dual, p.denormals));
        if (dc.flag) {
          ++r.flagged;
          r.outlier_saturated += rounds_out_of_range(scaled_value(y(c, t), dual->scale12, dual->inv_scale12, p),
                                                     p.rounding, dual->range);
        }
      }
    }
    r.int8_elements += static_cast<std::int64_t>(y.size());
  }
  r.elements = static_cast<std::int64_t>(ref.size());
  r.y = distribution_stats(ref);
  r.int8_error = error_stats(ref, int8_deq);
  r.ssm_input_error = error_stats(ref, ssm_deq);
  return r;
}

ConvOutQuantizer calibrate_on_synthetic(const ModelShape& m, const QuantScheme& s,
                                        const RunSettings& in) {
  const SyntheticData d = make_data(m, in);
  std::vector<FloatTensor> y_cal;
  for (const Int8Tensor& x : d.calib) y_cal.push_back(conv1d_silu(x, d.layer, s.conv_order, s.numerics));
  return calibrate_conv_out(s, m, y_cal);
}

ConvOutStudy run_conv_out_study(const ModelShape& m, const std::vector<QuantScheme>& schemes,
                                const RunSettings& in) {
  ConvOutStudy st;
  st.model = m.name;
  st.inputs = in;
  const SyntheticData d = make_data(m, in);
  for (const QuantScheme& s : schemes) st.schemes.push_back(study_one(s, m, d));
  return st;
}

}  // namespace mambahw
