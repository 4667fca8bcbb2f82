#include "mambahw/studies/layer_accuracy.hpp"

#include <algorithm>
#include <cmath>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw {

namespace {
using std::size_t;
size_t sz(int v) { return static_cast<size_t>(v); }

FloatTensor normal_matrix(int r, int c, double stddev, Rng& rng) {
  FloatTensor w({sz(r), sz(c)});
  for (auto& v : w.vec()) v = static_cast<float>(stddev * rng.normal());
  return w;
}
}  // namespace

// ---- synthetic weights and inputs ----------------------------------------------

FloatTensor synthetic_layer_input(const ModelShape& m, int len, std::uint64_t seed) {
  return transposed(synthetic_activations(m.d_model, len, seed));
}

LayerWeights SyntheticWeights::layer(const ModelShape& m, int index) const {
  Rng rng(stream_seed(seed_, Stream::kConvWeights, 1000 + static_cast<std::uint64_t>(index)));
  LayerWeights w;
  const int D = m.d_inner, N = m.d_state;
  w.in_proj = normal_matrix(m.in_proj_out(), m.d_model, 1.0 / std::sqrt(static_cast<double>(m.d_model)), rng);
  const std::vector<float> unit(conv_segment_ends(m).size(), 1.0f);
  w.conv = synthetic_conv_layer(m, stream_seed(seed_, Stream::kConvWeights, static_cast<std::uint64_t>(index)), unit);
  w.out_proj = normal_matrix(m.d_model, D, 1.0 / std::sqrt(static_cast<double>(D)), rng);
  // dt = softplus(dt_bias + ...) ~ 0.001 .. 0.1: dt_bias ~ log(dt) in [-6.9, -2.3].
  auto dt_bias = [&] { return static_cast<float>(-6.9 + 4.6 * rng.uniform()); };
  if (!m.is_mamba2()) {
    w.x_proj = normal_matrix(m.dt_rank + 2 * N, D, 1.0 / std::sqrt(static_cast<double>(D)), rng);
    w.dt_proj = normal_matrix(D, m.dt_rank, 0.5 / std::sqrt(static_cast<double>(m.dt_rank)), rng);
    w.a_log = FloatTensor({sz(D), sz(N)});
    for (int d = 0; d < D; ++d)
      for (int n = 0; n < N; ++n) w.a_log(sz(d), sz(n)) = log1p_unit(static_cast<float>(n));  // S4D-real: A = -(n+1)
    for (int d = 0; d < D; ++d) {
      w.dt_bias.push_back(dt_bias());
      w.d_skip.push_back(static_cast<float>(1.0 + 0.1 * rng.normal()));
    }
  } else {
    w.a_log = FloatTensor({sz(m.nheads), 1});
    for (int h = 0; h < m.nheads; ++h) {
      w.a_log(sz(h), 0) = log1p_unit(static_cast<float>(15.0 * rng.uniform()));  // A = -(1 .. 16)
      w.dt_bias.push_back(fp16_to_fp32(fp32_to_fp16(dt_bias())));
      w.d_skip.push_back(static_cast<float>(1.0 + 0.1 * rng.normal()));
    }
    for (int d = 0; d < D; ++d) w.norm_w.push_back(static_cast<float>(1.0 + 0.1 * rng.normal()));
  }
  return w;
}

// ---- accuracy -------------------------------------------------------------------------

ModeComparison compare_outputs(SsmInputMode a, const FloatTensor& xa, SsmInputMode b, const FloatTensor& xb, int top) {
  ModeComparison c{a, b, 0, static_cast<std::int64_t>(xa.size()), {}};
  std::vector<DifferingPosition> diffs;
  for (size_t i = 0; i < xa.size(); ++i) {
    if (bits_of(xa(i)) == bits_of(xb(i))) {
      ++c.exact;
      continue;
    }
    diffs.push_back({static_cast<int>(i / xa.dim(1)), static_cast<int>(i % xa.dim(1)), xa(i), xb(i)});
  }
  const auto n = std::min(diffs.size(), sz(top));
  std::partial_sort(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(n), diffs.end(), [](const auto& l, const auto& r) {
    return std::fabs(static_cast<double>(l.a) - l.b) > std::fabs(static_cast<double>(r.a) - r.b);
  });
  c.top.assign(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(n));
  return c;
}

std::vector<FloatTensor> SyntheticActivations::calibration(const ModelShape& m, const RunSettings& in, int li) const {
  std::vector<FloatTensor> calib;
  for (int b = 0; b < in.calib_batches; ++b)
    calib.push_back(synthetic_layer_input(
        m, in.calib_seq_len, stream_seed(in.seed, Stream::kCalibration, static_cast<std::uint64_t>(li * 1000 + b))));
  return calib;
}

FloatTensor SyntheticActivations::input(const ModelShape& m, const RunSettings& in, int li) const {
  return synthetic_layer_input(m, in.seq_len, stream_seed(in.seed, Stream::kActivations, static_cast<std::uint64_t>(li)));
}

FloatTensor SyntheticActivations::sequence(const ModelShape& m, const RunSettings& in, int li, int b) const {
  RunSettings sb = in;
  sb.seed = in.seed + static_cast<std::uint64_t>(b);
  return input(m, sb, li);
}

LayerCase make_layer_case(const ModelShape& m, const QuantScheme& s, const LayerSources& src, const RunSettings& in,
                          int li) {
  LayerCase lc;
  lc.weights = src.weights.layer(m, li);
  lc.calibration = src.activations.calibration(m, in, li);
  lc.q = quantize_layer(m, s, lc.weights, lc.calibration);
  if (src.static_scales) src.static_scales(m, s, li, lc.q);
  lc.input = src.activations.input(m, in, li);
  return lc;
}

LayerCase make_layer_case(const ModelShape& m, const QuantScheme& s, const WeightSource& ws, const RunSettings& in,
                          int li) {
  const SyntheticActivations acts;
  return make_layer_case(m, s, LayerSources{ws, acts, {}}, in, li);
}

std::vector<LayerAccuracy> layer_accuracy(const ModelShape& m, const QuantScheme& s, const WeightSource& ws,
                                          const RunSettings& in) {
  const SyntheticActivations acts;
  return layer_accuracy(m, s, LayerSources{ws, acts, {}}, in);
}

std::vector<LayerAccuracy> layer_accuracy(const ModelShape& m, const QuantScheme& s, const LayerSources& src,
                                          const RunSettings& in, const TraceObserver& observe) {
  std::vector<LayerAccuracy> result;
  for (int li = 0; li < in.layers; ++li) {
    const LayerCase lc = make_layer_case(m, s, src, in, li);
    const QuantizedLayer& q = lc.q;
    const FloatTensor& x = lc.input;
    LayerTrace ref = reference_layer(m, lc.weights, x);
    if (observe) observe(lc, li, std::nullopt, ref);
    // Only the output and the SSM input are compared with below.
    LayerTrace kept;
    kept.ssm_input = std::move(ref.ssm_input);
    kept.out = std::move(ref.out);
    ref = std::move(kept);
    LayerAccuracy acc;
    acc.layer = li;
    if (q.conv_out.dual) {
      acc.dual_scale1 = q.conv_out.dual->scale1;
      acc.dual_scale2 = q.conv_out.dual->scale2;
    }
    std::vector<std::pair<SsmInputMode, FloatTensor>> outs;
    // The modes share in_proj, the conv and (Mamba1) x_proj/dt_proj.
    run_layer_modes(q, x, in.modes, [&](SsmInputMode mode, LayerTrace&& tr) {
      if (observe) observe(lc, li, mode, tr);
      ModeAccuracy ma;
      ma.mode = mode;
      ma.out_error = error_stats(ref.out.vec(), tr.out.vec());
      ma.ssm_input_error = error_stats(ref.ssm_input.vec(), tr.ssm_input.vec());
      ma.saturated_fraction = tr.conv_elements ? static_cast<double>(tr.conv_saturated) / static_cast<double>(tr.conv_elements) : 0;
      ma.flagged_fraction = tr.ssm_elements ? static_cast<double>(tr.flagged) / static_cast<double>(tr.ssm_elements) : 0;
      ma.out_proj_in_overflow_fraction =
          static_cast<double>(tr.out_proj_in_overflow) / static_cast<double>(std::max<size_t>(tr.ssm_out.size(), 1));
      acc.modes.push_back(ma);
      outs.emplace_back(mode, std::move(tr.out));
    });
    auto find = [&](SsmInputMode md) -> const FloatTensor* {
      for (const auto& [k, v] : outs)
        if (k == md) return &v;
      return nullptr;
    };
    const FloatTensor* m0 = find(SsmInputMode::kInt8);
    for (SsmInputMode other : {SsmInputMode::kFp32OnGrid, SsmInputMode::kFp32, SsmInputMode::kDualScale}) {
      const FloatTensor* mo = find(other);
      if (!m0 || !mo) continue;
      acc.comparisons.push_back(compare_outputs(SsmInputMode::kInt8, *m0, other, *mo));
      if (other == SsmInputMode::kFp32OnGrid) acc.mode2_bit_identical_to_mode0 = acc.comparisons.back().exact == acc.comparisons.back().count;
    }
    result.push_back(std::move(acc));
  }
  return result;
}

}  // namespace mambahw
