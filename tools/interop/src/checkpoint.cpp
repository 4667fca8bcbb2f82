#include "mambahw/interop/checkpoint.hpp"

#include <cmath>
#include <optional>

#include "mambahw/golden/calibration.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace mambahw::interop {

using tensors::DType;
using tensors::StoredTensor;
using tensors::TensorFileError;
using tensors::TensorMap;

namespace {

using std::size_t;
size_t sz(std::int64_t v) { return static_cast<size_t>(v); }

std::string replace_layer(std::string pattern, int index) {
  const std::string key = "{layer}";
  for (size_t p; (p = pattern.find(key)) != std::string::npos;) pattern.replace(p, key.size(), std::to_string(index));
  return pattern;
}

std::string dims_text(std::initializer_list<std::int64_t> d) {
  std::string s = "[";
  for (auto it = d.begin(); it != d.end(); ++it) s += (it == d.begin() ? "" : ", ") + std::to_string(*it);
  return s + "]";
}

// (rows, cols) -> Tᵀ applied to each row, T = H/sqrt(n) with H = H_base ⊗ S
// (S Sylvester, symmetric): (H_baseᵀ ⊗ S) v / sqrt(n). Undoes the offline
// rotation W·Tᵀ of out_proj: (W·Tᵀ)·T = W.
FloatTensor unrotate_rows(const FloatTensor& w, HadamardSize s) {
  const auto& hb = hadamard_base(s.base);
  const size_t n = w.dim(1), p2 = static_cast<size_t>(s.pow2), base = static_cast<size_t>(s.base);
  FloatTensor out({w.dim(0), n});
  std::vector<double> v(n), r(n);
  for (size_t row = 0; row < w.dim(0); ++row) {
    for (size_t c = 0; c < n; ++c) v[c] = w(row, c);
    for (size_t c = 0; c < base; ++c) hadamard_orthonormal(std::span(v).subspan(c * p2, p2), HadamardSize{1, s.pow2});
    const double norm = 1.0 / std::sqrt(static_cast<double>(base));
    for (size_t c = 0; c < base; ++c)
      for (size_t j = 0; j < p2; ++j) {
        double acc = 0.0;
        for (size_t c2 = 0; c2 < base; ++c2) acc += hb[c2 * base + c] * v[c2 * p2 + j];  // H_base transposed
        r[c * p2 + j] = acc * norm;
      }
    for (size_t c = 0; c < n; ++c) out(row, c) = static_cast<float>(r[c]);
  }
  return out;
}

}  // namespace

TensorWeights::TensorWeights(TensorMap t, std::string source, std::string prefix)
    : t_(std::move(t)), source_(std::move(source)), prefix_(std::move(prefix)) {}

TensorWeights TensorWeights::load(const std::filesystem::path& path, std::string prefix) {
  return TensorWeights(tensors::read_tensors(path), path.string(), std::move(prefix));
}

std::string TensorWeights::prefix_of(int index) const {
  if (!prefix_.empty()) {
    const std::string p = replace_layer(prefix_, index);
    if (!t_.count(p + "in_proj.weight"))
      throw TensorFileError(source_ + ": no tensor '" + p + "in_proj.weight' (weights.layer_prefix '" + prefix_ + "', layer " +
                            std::to_string(index) + ")");
    return p;
  }
  for (const char* pattern : {"backbone.layers.{layer}.mixer.", "layers.{layer}.mixer.", "model.layers.{layer}.mixer.",
                              "layer{layer}.weights."}) {  // the last: a --dump folder
    const std::string p = replace_layer(pattern, index);
    if (t_.count(p + "in_proj.weight")) return p;
  }
  if (t_.count("in_proj.weight")) {
    if (index != 0)
      throw TensorFileError(source_ + ": holds one layer's tensors (no layer prefix), so it has no layer " +
                            std::to_string(index) + " (set run.layers: 1)");
    return "";
  }
  throw TensorFileError(source_ + ": no in_proj.weight for layer " + std::to_string(index) +
                        " (looked for backbone.layers." + std::to_string(index) + ".mixer.in_proj.weight, layers." +
                        std::to_string(index) + ".mixer.in_proj.weight and in_proj.weight; set weights.layer_prefix)");
}

const StoredTensor* TensorWeights::find(const std::string& prefix, const std::string& name) const {
  const auto it = t_.find(prefix + name);
  return it == t_.end() ? nullptr : &it->second;
}

const StoredTensor& TensorWeights::get(const std::string& prefix, const std::string& name) const {
  if (const StoredTensor* t = find(prefix, name)) return *t;
  throw TensorFileError(source_ + ": missing tensor '" + prefix + name + "'");
}

bool TensorWeights::quantized(int index) const {
  const std::string p = prefix_of(index);
  return get(p, "in_proj.weight").dtype == DType::kInt8;
}

namespace {

// Shape checks and typed reads with errors that name the tensor.
struct Reader {
  const std::string& source;
  const std::string& prefix;
  [[noreturn]] void bad(const std::string& name, const StoredTensor& t, const std::string& expected) const {
    throw TensorFileError(source + ": tensor '" + prefix + name + "' has shape " + t.shape_text() + " (" +
                          std::string(to_string(t.dtype)) + "), expected " + expected);
  }
  std::string what(const std::string& name) const { return source + ": tensor '" + prefix + name + "'"; }

  FloatTensor matrix(const std::string& name, const StoredTensor& t, std::int64_t rows, std::int64_t cols) const {
    if (t.shape != std::vector<std::int64_t>{rows, cols}) bad(name, t, dims_text({rows, cols}));
    return tensors::to_float_tensor(t, what(name));
  }
  std::vector<float> vec(const std::string& name, const StoredTensor& t, std::int64_t n) const {
    if (t.count() != n || t.shape.size() > 2 || (t.shape.size() == 2 && t.shape[1] != 1 && t.shape[0] != 1))
      bad(name, t, dims_text({n}));
    return tensors::float_values(t, what(name));
  }
  float scalar(const std::string& name, const StoredTensor& t) const {
    if (t.count() != 1) bad(name, t, "a scalar ([], [1] or [1, 1])");
    return tensors::float_values(t, what(name))[0];
  }
  std::vector<std::int8_t> codes(const std::string& name, const StoredTensor& t, std::int64_t n) const {
    if (t.count() != n) bad(name, t, std::to_string(n) + " int8 codes");
    return tensors::int8_values(t, what(name));
  }
};

// Float conv weights [C, 1, W] or [C, W] and bias [C] to the conv unit's INT8
// codes: absmax/127 per segment, half to even (Quamba's QCausalConv1D and
// Quamb2Conv1D); input scales are set by calibration.
ConvLayer conv_from_float(const ModelShape& m, const Reader& r, const StoredTensor& wt, const StoredTensor* bt) {
  const std::int64_t C = m.conv_channels(), W = m.d_conv;
  if (!(wt.shape == std::vector<std::int64_t>{C, 1, W} || wt.shape == std::vector<std::int64_t>{C, W}))
    r.bad("conv1d.weight", wt, dims_text({C, 1, W}));
  const std::vector<float> w = tensors::float_values(wt, r.what("conv1d.weight"));
  std::vector<float> b = bt ? r.vec("conv1d.bias", *bt, C) : std::vector<float>{};
  ConvLayer c;
  c.channels = m.conv_channels();
  c.width = m.d_conv;
  c.segment_end = conv_segment_ends(m);
  c.w.resize(w.size());
  c.bias.resize(b.size());
  int begin = 0;
  for (int end : c.segment_end) {
    ConvSegmentScales s;
    const size_t wb = sz(begin) * sz(W), we = sz(end) * sz(W);
    s.w = quantize_absmax_int8(std::span(w).subspan(wb, we - wb), std::span(c.w).subspan(wb, we - wb));
    if (!b.empty())
      s.b = quantize_absmax_int8(std::span(b).subspan(sz(begin), sz(end - begin)),
                                 std::span(c.bias).subspan(sz(begin), sz(end - begin)));
    c.segment_scales.push_back(s);
    begin = end;
  }
  return c;
}

// Quamba's INT8 linear weight: stored [in, out (+ padding to 16)] (the
// column-major buffer W8A8B8O8Linear keeps), or [out, in]; one scale.
QuantWeights int8_linear(const Reader& r, const std::string& name, const StoredTensor& t, int out, int in, float scale) {
  if (t.dtype != DType::kInt8) r.bad(name, t, "int8 codes");
  const bool stored_in_out = t.shape.size() == 2 && t.shape[0] == in && t.shape[1] >= out && t.shape[1] < out + 16;
  const bool out_in = t.shape.size() == 2 && t.shape[0] == out && t.shape[1] == in;
  if (!stored_in_out && !out_in) r.bad(name, t, dims_text({in, out}) + " (Quamba's [in, out + padding]) or " + dims_text({out, in}));
  const std::vector<std::int8_t> c = tensors::int8_values(t, r.what(name));
  QuantWeights q;
  q.precision = WeightPrecision::kInt8;
  q.out = out;
  q.in = in;
  q.packed.resize(sz(out) * sz(in));
  const size_t cols = sz(t.shape[1]);
  for (int n = 0; n < out; ++n)
    for (int k = 0; k < in; ++k)
      q.packed[sz(n) * sz(in) + sz(k)] = static_cast<std::uint8_t>(stored_in_out ? c[sz(k) * cols + sz(n)] : c[sz(n) * sz(in) + sz(k)]);
  q.scales.assign(sz(out), scale);
  return q;
}

QTensor qtensor(const Reader& r, const std::string& name, const StoredTensor& t, std::int64_t rows, std::int64_t cols,
                float scale) {
  QTensor q{Int8Tensor({sz(rows), sz(cols)}), scale};
  q.q.vec() = r.codes(name, t, rows * cols);
  return q;
}

bool same_bits(float a, float b) { return bits_of(a) == bits_of(b); }

// Everything the W8A8 checkpoint holds for one Mamba1 layer.
struct QuambaLayer {
  float in_scale = 0;
  QuantWeights in_proj, x_proj, dt_proj, out_proj;
  float in_proj_out = 0, z_scale = 0, u_scale = 0, xo_scale = 0, dt_scale = 0;
  ConvLayer conv;
  QTensor dt_bias, a_log, d_skip;
  std::optional<float> x_h_scale;  // with the online Hadamard
  float out_in_scale = 0;
};

QuambaLayer read_quamba(const ModelShape& m, const Reader& r, const TensorWeights& tw, const TensorMap& t,
                        const std::string& p) {
  if (m.is_mamba2())
    throw TensorFileError(r.source + ": INT8 in_proj.weight for a Mamba2 model: Quamba2 checkpoints "
                          "(Marlin-packed W4A8, qchunk_scan.*) are not read; export the float weights instead");
  auto get = [&](const std::string& name) -> const StoredTensor& {
    const auto it = t.find(p + name);
    if (it == t.end()) throw TensorFileError(r.source + ": missing tensor '" + p + name + "' (Quamba W8A8 checkpoint)");
    return it->second;
  };
  auto scalar = [&](const std::string& name) { return r.scalar(name, get(name)); };
  auto has = [&](const std::string& name) { return t.count(p + name) > 0; };
  (void)tw;
  const int D = m.d_inner, N = m.d_state, R = m.dt_rank;
  QuambaLayer q;
  q.in_proj_out = scalar("conv1d.input_scale");
  q.z_scale = scalar("selective_scan.z_scale");
  q.u_scale = scalar("selective_scan.u_scale");
  q.xo_scale = scalar("selective_scan.B_scale");
  q.dt_scale = scalar("selective_scan.dt_scale");
  auto agree = [&](const char* a, float va, const char* b, float vb) {
    if (!same_bits(va, vb))
      throw TensorFileError(r.source + ": inconsistent checkpoint: '" + p + a + "' = " + std::to_string(va) + " but '" + p +
                            b + "' = " + std::to_string(vb) + " (Quamba sets both from one calibrated scale)");
  };
  agree("conv1d.input_scale", q.in_proj_out, "selective_scan.z_scale", q.z_scale);
  agree("conv1d.output_scale", scalar("conv1d.output_scale"), "selective_scan.u_scale", q.u_scale);
  agree("selective_scan.B_scale", q.xo_scale, "selective_scan.C_scale", scalar("selective_scan.C_scale"));
  // The layer input's scale is the block RMSNorm's output scale; without it,
  // any s_x with fp32(s_x / s_out) == in_proj.a reproduces the GEMM's constant.
  const float a_in = scalar("in_proj.a");
  auto ratio = [](float x, float y) { return static_cast<float>(static_cast<double>(x) / y); };
  const std::string block = p.size() >= 6 && p.compare(p.size() - 6, 6, "mixer.") == 0 ? p.substr(0, p.size() - 6) : "";
  if (const auto it = t.find(block + "norm.output_scale"); !block.empty() && it != t.end()) {
    q.in_scale = Reader{r.source, block}.scalar("norm.output_scale", it->second);
  } else {
    const float guess = static_cast<float>(static_cast<double>(a_in) * q.in_proj_out);
    q.in_scale = guess;
    for (int k = 0; k <= 8 && !same_bits(ratio(q.in_scale, q.in_proj_out), a_in); ++k)
      for (float toward : {1e30f, 0.0f}) {
        float v = guess;
        for (int i = 0; i < k; ++i) v = std::nextafter(v, toward);
        if (same_bits(ratio(v, q.in_proj_out), a_in)) {
          q.in_scale = v;
          break;
        }
      }
  }
  agree("in_proj.a", a_in, "(layer input scale / conv1d.input_scale)", ratio(q.in_scale, q.in_proj_out));
  agree("x_proj.a", scalar("x_proj.a"), "(u_scale / B_scale)", ratio(q.u_scale, q.xo_scale));
  agree("dt_proj.a", scalar("dt_proj.a"), "(B_scale / dt_scale)", ratio(q.xo_scale, q.dt_scale));

  q.in_proj = int8_linear(r, "in_proj.weight", get("in_proj.weight"), 2 * D, m.d_model, scalar("in_proj.b"));
  q.x_proj = int8_linear(r, "x_proj.weight", get("x_proj.weight"), R + 2 * N, D, scalar("x_proj.b"));
  q.dt_proj = int8_linear(r, "dt_proj.weight", get("dt_proj.weight"), D, R, scalar("dt_proj.b"));
  q.out_proj = int8_linear(r, "out_proj.weight", get("out_proj.weight"), m.d_model, D, scalar("out_proj.b"));

  q.conv.channels = D;
  q.conv.width = m.d_conv;
  q.conv.segment_end = {D};
  q.conv.w = r.codes("conv1d.weight", get("conv1d.weight"), std::int64_t{D} * m.d_conv);
  ConvSegmentScales cs{scalar("conv1d.weight_scale"), q.in_proj_out, 1.0f};
  if (has("conv1d.bias")) {
    q.conv.bias = r.codes("conv1d.bias", get("conv1d.bias"), D);
    cs.b = scalar("conv1d.bias_scale");
  }
  q.conv.segment_scales = {cs};

  q.dt_bias = qtensor(r, "selective_scan.dt_bias", get("selective_scan.dt_bias"), D, 1, scalar("selective_scan.dt_bias_scale"));
  q.a_log = qtensor(r, "selective_scan.A_log", get("selective_scan.A_log"), D, N, scalar("selective_scan.A_scale"));
  q.d_skip = qtensor(r, "selective_scan.D", get("selective_scan.D"), D, 1, scalar("selective_scan.D_scale"));
  if (has("had.x_H_scale")) {
    q.x_h_scale = scalar("had.x_H_scale");
    q.out_in_scale = *q.x_h_scale;
  } else {
    q.out_in_scale = scalar("had.scale");  // QAct: no online Hadamard
  }
  agree("out_proj.a", scalar("out_proj.a"), "the out_proj input scale", q.out_in_scale);
  return q;
}

std::vector<float> dequant_codes(const QTensor& t) {
  std::vector<float> v(t.q.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(t.q(i)) * t.scale;
  return v;
}

}  // namespace

LayerWeights TensorWeights::layer(const ModelShape& m, int index) const {
  const std::string p = prefix_of(index);
  const Reader r{source_, p};
  const int D = m.d_inner, N = m.d_state;
  LayerWeights w;
  if (get(p, "in_proj.weight").dtype == DType::kInt8) {
    const QuambaLayer q = read_quamba(m, r, *this, t_, p);
    w.in_proj = dequantize_weights(q.in_proj);
    w.x_proj = dequantize_weights(q.x_proj);
    w.dt_proj = dequantize_weights(q.dt_proj);
    w.out_proj = dequantize_weights(q.out_proj);
    if (q.x_h_scale) w.out_proj = unrotate_rows(w.out_proj, require_hadamard_size(D));
    w.conv = q.conv;
    w.dt_bias = dequant_codes(q.dt_bias);
    w.a_log = FloatTensor({static_cast<size_t>(D), static_cast<size_t>(N)});
    w.a_log.vec() = dequant_codes(q.a_log);
    w.d_skip = dequant_codes(q.d_skip);
    return w;
  }
  w.in_proj = r.matrix("in_proj.weight", get(p, "in_proj.weight"), m.in_proj_out(), m.d_model);
  w.conv = conv_from_float(m, r, get(p, "conv1d.weight"), find(p, "conv1d.bias"));
  w.out_proj = r.matrix("out_proj.weight", get(p, "out_proj.weight"), m.d_model, D);
  w.d_skip = r.vec("D", get(p, "D"), m.is_mamba2() ? m.nheads : D);
  if (!m.is_mamba2()) {
    w.x_proj = r.matrix("x_proj.weight", get(p, "x_proj.weight"), m.x_proj_out(), D);
    w.dt_proj = r.matrix("dt_proj.weight", get(p, "dt_proj.weight"), D, m.dt_rank);
    const StoredTensor* bias = find(p, "dt_proj.bias");
    w.dt_bias = r.vec(bias ? "dt_proj.bias" : "dt_proj_bias", bias ? *bias : get(p, "dt_proj_bias"), D);
    w.a_log = r.matrix("A_log", get(p, "A_log"), D, N);
  } else {
    const int H = m.nheads;
    // Quamba2 keeps dt_bias in FP16; the golden layer reads it so.
    for (float v : r.vec("dt_bias", get(p, "dt_bias"), H)) w.dt_bias.push_back(fp16_to_fp32(fp32_to_fp16(v)));
    w.a_log = FloatTensor({static_cast<size_t>(H), 1});
    w.a_log.vec() = r.vec("A_log", get(p, "A_log"), H);
    w.norm_w = r.vec("norm.weight", get(p, "norm.weight"), D);
  }
  return w;
}

void TensorWeights::apply_static_scales(const ModelShape& m, const QuantScheme& s, int index, QuantizedLayer& q) const {
  const std::string p = prefix_of(index);
  if (get(p, "in_proj.weight").dtype != DType::kInt8) return;  // a float checkpoint: calibrated
  const Reader r{source_, p};
  const QuambaLayer c = read_quamba(m, r, *this, t_, p);
  if (s.layer.weights != WeightPrecision::kInt8 || s.layer.weight_group != 0)
    throw TensorFileError(source_ + ": a Quamba W8A8 checkpoint has INT8 per-tensor weights; scheme '" + s.name +
                          "' asks for " + std::string(to_string(s.layer.weights)) +
                          (s.layer.weight_group ? " in groups" : "") + " (use a quamba1 scheme or weights.scales: calibrate)");
  if (s.layer.out_proj_hadamard != c.x_h_scale.has_value())
    throw TensorFileError(source_ + ": the checkpoint was quantized " + (c.x_h_scale ? "with" : "without") +
                          " the online Hadamard (" + p + (c.x_h_scale ? "had.x_H_scale" : "had.scale") + "); set scheme layer.out_proj_hadamard: " +
                          (c.x_h_scale ? "true" : "false"));
  q.in_scale = c.in_scale;
  q.in_proj = c.in_proj;
  q.in_proj_out_scales = {c.in_proj_out, c.z_scale};  // x and z segments share Quamba's one in_proj output scale
  q.conv = c.conv;
  q.conv_out.int8_scales.assign(static_cast<size_t>(m.d_inner), c.u_scale);
  q.conv_out.table.reset();
  q.x_proj = c.x_proj;
  q.x_proj_out_scale = c.xo_scale;
  q.dt_proj = c.dt_proj;
  q.dt_proj_out_scale = c.dt_scale;
  q.delta_bias = c.dt_bias;
  q.a_log = c.a_log;
  q.d_skip = c.d_skip;
  q.out_proj = c.out_proj;
  q.out_proj_in_scale = c.out_in_scale;
  q.hadamard_multiplier = c.x_h_scale ? hadamard_quant_multiplier(m.d_inner, *c.x_h_scale) : 0.0f;
}

TensorMap checkpoint_tensors(const ModelShape& m, const LayerWeights& w, const std::string& prefix) {
  TensorMap t;
  auto put = [&](const std::string& name, StoredTensor s) { t.emplace(prefix + name, std::move(s)); };
  auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  put("in_proj.weight", tensors::stored(w.in_proj));
  put("out_proj.weight", tensors::stored(w.out_proj));
  const ConvLayer& c = w.conv;
  std::vector<float> cw(c.w.size()), cb(c.bias.size());
  for (int ch = 0; ch < c.channels; ++ch) {
    const ConvSegmentScales& s = c.segment_scales[static_cast<size_t>(c.segment_of(ch))];
    for (int k = 0; k < c.width; ++k) cw[sz(ch) * sz(c.width) + sz(k)] = static_cast<float>(c.w[sz(ch) * sz(c.width) + sz(k)]) * s.w;
    if (!cb.empty()) cb[sz(ch)] = static_cast<float>(c.bias[sz(ch)]) * s.b;
  }
  put("conv1d.weight", tensors::stored_floats(cw, {c.channels, 1, c.width}));
  if (!cb.empty()) put("conv1d.bias", tensors::stored_floats(cb, {c.channels}));
  put("D", tensors::stored_floats(w.d_skip, {i64(w.d_skip.size())}));
  if (!m.is_mamba2()) {
    put("x_proj.weight", tensors::stored(w.x_proj));
    put("dt_proj.weight", tensors::stored(w.dt_proj));
    put("dt_proj.bias", tensors::stored_floats(w.dt_bias, {i64(w.dt_bias.size())}));
    put("A_log", tensors::stored(w.a_log));
  } else {
    put("dt_bias", tensors::stored_floats(w.dt_bias, {i64(w.dt_bias.size())}));
    put("A_log", tensors::stored_floats(w.a_log.vec(), {i64(w.a_log.size())}));
    put("norm.weight", tensors::stored_floats(w.norm_w, {i64(w.norm_w.size())}));
  }
  return t;
}

}  // namespace mambahw::interop
