// The `mambahw` Python module: the golden units and kernels on NumPy arrays,
// the config loader, the golden layer, and the tensor files. Every function
// calls the C++ golden model; nothing here computes. Policies are named with
// the configs' own spellings (the enum tables). README "From Python".
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>

#include "mambahw/config/config.hpp"
#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/dequant.hpp"
#include "mambahw/golden/gemm.hpp"
#include "mambahw/golden/hadamard.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/interop/checkpoint.hpp"
#include "mambahw/interop/dump.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace py = pybind11;
using namespace mambahw;
using tensors::DType;
using tensors::StoredTensor;

namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <class T>
T parse_or_throw(std::optional<T> v, const std::string& what, const std::string& got, const char* options) {
  if (!v) throw py::value_error(what + ": unknown '" + got + "' (one of " + options + ")");
  return *v;
}
Rounding rounding(const std::string& s) {
  return parse_or_throw(parse_enum<Rounding>(s), "rounding", s, "half_away_from_zero, half_to_even, toward_zero");
}
Denormals denormals(const std::string& s) { return parse_or_throw(parse_enum<Denormals>(s), "denormals", s, "preserve, flush_to_zero"); }
QuantizeOp quantize_op(const std::string& s) {
  return parse_or_throw(parse_enum<QuantizeOp>(s), "quantize_op", s, "multiply_reciprocal, divide");
}
Overflow overflow(const std::string& s) { return parse_or_throw(parse_enum<Overflow>(s), "overflow", s, "saturate, wrap"); }

NumericsPolicy numerics(const std::string& r, const std::string& op, const std::string& ov, const std::string& dn,
                        const std::string& silu_division = "divide") {
  return {rounding(r), quantize_op(op), overflow(ov), denormals(dn), quantize_op(silu_division)};
}

// ---- arrays <-> tensors ------------------------------------------------------------

template <class T>
std::vector<std::size_t> dims_of(const Array<T>& a) {
  std::vector<std::size_t> d;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) d.push_back(static_cast<std::size_t>(a.shape(i)));
  return d;
}

template <class T>
Tensor<T> tensor2(const Array<T>& a, const char* what) {
  if (a.ndim() != 2) throw py::value_error(std::string(what) + ": expected a 2-D array, got " + std::to_string(a.ndim()) + "-D");
  Tensor<T> t({static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1))});
  std::memcpy(t.data(), a.data(), t.size() * sizeof(T));
  return t;
}
template <class T>
std::vector<T> vec(const Array<T>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

template <class T>
py::array_t<T> to_array(const Tensor<T>& t) {
  std::vector<py::ssize_t> shape;
  for (std::size_t i = 0; i < t.rank(); ++i) shape.push_back(static_cast<py::ssize_t>(t.dim(i)));
  py::array_t<T> a(shape);
  if (t.size()) std::memcpy(a.mutable_data(), t.data(), t.size() * sizeof(T));
  return a;
}

StoredTensor stored_of(const py::array& in, const std::string& name) {
  const py::array a = py::array::ensure(in, py::array::c_style);
  if (!a) throw py::value_error(name + ": not an array");
  const py::dtype dt = a.dtype();
  DType d;
  if (dt.is(py::dtype::of<std::int8_t>())) d = DType::kInt8;
  else if (dt.is(py::dtype::of<std::int32_t>())) d = DType::kInt32;
  else if (dt.is(py::dtype::of<float>())) d = DType::kFp32;
  else if (dt.is(py::dtype("float16"))) d = DType::kFp16;
  else
    throw py::value_error(name + ": dtype " + py::repr(dt).cast<std::string>() +
                          " is not one the tensor files carry (int8, int32, float16, float32); convert it, e.g. .astype(np.float32)");
  StoredTensor t{d, {}, {}};
  for (py::ssize_t i = 0; i < a.ndim(); ++i) t.shape.push_back(a.shape(i));
  t.bytes.resize(static_cast<std::size_t>(a.nbytes()));
  if (!t.bytes.empty()) std::memcpy(t.bytes.data(), a.data(), t.bytes.size());
  return t;
}

// bfloat16 has no NumPy dtype: it comes back widened (exactly) to float32.
py::array array_of(const StoredTensor& t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  switch (t.dtype) {
    case DType::kInt8: {
      py::array_t<std::int8_t> a(shape);
      std::memcpy(a.mutable_data(), t.bytes.data(), t.bytes.size());
      return a;
    }
    case DType::kInt32: {
      py::array_t<std::int32_t> a(shape);
      std::memcpy(a.mutable_data(), t.bytes.data(), t.bytes.size());
      return a;
    }
    case DType::kFp16: {
      py::array a(py::dtype("float16"), shape);
      std::memcpy(a.mutable_data(), t.bytes.data(), t.bytes.size());
      return a;
    }
    case DType::kFp32:
    case DType::kBf16: {
      py::array_t<float> a(shape);
      const std::vector<float> v = tensors::float_values(t, "tensor");
      if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(float));
      return a;
    }
  }
  return py::none();
}

tensors::TensorMap map_of(const py::dict& d) {
  tensors::TensorMap m;
  for (const auto& [k, v] : d) {
    const std::string name = py::str(k);
    m.emplace(name, stored_of(py::reinterpret_borrow<py::array>(py::array::ensure(v)), name));
  }
  return m;
}

py::dict dict_of(const tensors::TensorMap& m) {
  py::dict d;
  for (const auto& [k, t] : m) d[py::str(k)] = array_of(t);
  return d;
}

py::dict dict_of(const std::vector<interop::NamedTensor>& v) {
  py::dict d;
  for (const auto& t : v) d[py::str(t.name)] = array_of(t.tensor);
  return d;
}

std::vector<FloatTensor> calibration_batches(const py::object& calib) {
  std::vector<FloatTensor> out;
  if (py::isinstance<py::list>(calib) || py::isinstance<py::tuple>(calib)) {
    for (const auto& b : calib) out.push_back(tensor2(b.cast<Array<float>>(), "calibration batch"));
    return out;
  }
  const Array<float> a = calib.cast<Array<float>>();
  if (a.ndim() == 2) return {tensor2(a, "calibration")};
  if (a.ndim() != 3) throw py::value_error("calibration: expected [batches, L, d_model] or [L, d_model]");
  const std::size_t L = static_cast<std::size_t>(a.shape(1)), d = static_cast<std::size_t>(a.shape(2));
  for (py::ssize_t b = 0; b < a.shape(0); ++b) {
    FloatTensor x({L, d});
    std::memcpy(x.data(), a.data() + static_cast<std::size_t>(b) * L * d, L * d * sizeof(float));
    out.push_back(std::move(x));
  }
  return out;
}

SsmInputMode mode_of(int m) {
  if (m < 0 || m > 3) throw py::value_error("mode must be 0 (int8), 1 (fp32), 2 (fp32 on the int8 grid) or 3 (dual scale)");
  return static_cast<SsmInputMode>(m);
}

QTensor qtensor(const Array<std::int8_t>& codes, float scale, std::size_t rows, std::size_t cols, const char* what) {
  if (static_cast<std::size_t>(codes.size()) != rows * cols)
    throw py::value_error(std::string(what) + ": expected " + std::to_string(rows * cols) + " codes");
  QTensor q{Int8Tensor({rows, cols}), scale};
  std::memcpy(q.q.data(), codes.data(), rows * cols);
  return q;
}

}  // namespace

PYBIND11_MODULE(mambahw, mod) {
  mod.doc() = "mambahw: the bit-accurate golden model of a quantized-Mamba accelerator, on NumPy arrays";
  py::register_exception<tensors::TensorFileError>(mod, "TensorFileError", PyExc_ValueError);
  py::register_exception<ConfigError>(mod, "ConfigError", PyExc_ValueError);

  // ---- quantizer, dequant --------------------------------------------------------
  mod.def(
      "quantize",
      [](const Array<float>& x, float scale, const std::string& r, const std::string& op, const std::string& ov,
         const std::string& dn, int bits) {
        const NumericsPolicy p = numerics(r, op, ov, dn);
        const CodeRange range = CodeRange::signed_bits(bits);
        py::array_t<std::int8_t> q(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
        const float inv = reciprocal(scale);
        for (py::ssize_t i = 0; i < x.size(); ++i)
          q.mutable_data()[i] = static_cast<std::int8_t>(mambahw::quantize(x.data()[i], scale, inv, p, range));
        return q;
      },
      py::arg("x"), py::arg("scale"), py::arg("rounding") = "half_away_from_zero", py::arg("quantize_op") = "multiply_reciprocal",
      py::arg("overflow") = "saturate", py::arg("denormals") = "preserve", py::arg("bits") = 8,
      "INT codes of x under a named policy (the conv-output quantizer's arithmetic)");
  mod.def(
      "dequant",
      [](const Array<std::int8_t>& q, float scale, const std::string& dn) {
        py::array_t<float> y(std::vector<py::ssize_t>(q.shape(), q.shape() + q.ndim()));
        const Denormals d = denormals(dn);
        for (py::ssize_t i = 0; i < q.size(); ++i) y.mutable_data()[i] = mambahw::dequant(q.data()[i], scale, d);
        return y;
      },
      py::arg("codes"), py::arg("scale"), py::arg("denormals") = "preserve", "fp32(code * scale): the SSM dequant stage");

  // ---- conv ---------------------------------------------------------------------
  mod.def(
      "conv1d_silu_quantize",
      [](const Array<std::int8_t>& x, const Array<std::int8_t>& w, std::optional<Array<std::int8_t>> bias, float scale_w,
         float scale_x, float scale_b, const Array<float>& out_scale, const std::string& order, const std::string& r,
         const std::string& op, const std::string& ov, const std::string& dn, const std::string& silu_division) {
        const Int8Tensor xi = tensor2(x, "x");
        const Int8Tensor wi = tensor2(w, "w");
        if (wi.dim(0) != xi.dim(0)) throw py::value_error("w: one row of taps per channel of x");
        ConvLayer c;
        c.channels = static_cast<int>(xi.dim(0));
        c.width = static_cast<int>(wi.dim(1));
        c.w = wi.vec();
        if (bias) c.bias = vec(*bias);
        c.segment_end = {c.channels};
        c.segment_scales = {{scale_w, scale_x, scale_b}};
        const NumericsPolicy p = numerics(r, op, ov, dn, silu_division);
        const auto ord = parse_or_throw(parse_enum<ConvOrder>(order), "order", order, "prefill, decode");
        const FloatTensor y = conv1d_silu(xi, c, ord, p);
        std::vector<float> s = vec(out_scale);
        if (s.size() == 1) s.assign(xi.dim(0), s[0]);
        const Int8Tensor q = quantize_per_channel(y, s, p);
        return py::make_tuple(to_array(y), to_array(q));
      },
      py::arg("x"), py::arg("w"), py::arg("bias"), py::arg("scale_w"), py::arg("scale_x"), py::arg("scale_b"),
      py::arg("out_scale"), py::arg("order") = "prefill", py::arg("rounding") = "half_away_from_zero",
      py::arg("quantize_op") = "multiply_reciprocal", py::arg("overflow") = "saturate", py::arg("denormals") = "preserve",
      py::arg("silu_division") = "divide",
      "Causal depthwise conv + SiLU on INT8 x [C, L] with INT8 taps w [C, W]; returns (y fp32 [C, L], codes int8 [C, L])");

  // ---- SSMs -----------------------------------------------------------------------
  mod.def(
      "selective_scan",
      [](const Array<float>& u, const Array<std::int8_t>& delta, float delta_scale, const Array<std::int8_t>& delta_bias,
         float delta_bias_scale, const Array<std::int8_t>& a_log, float a_scale, const Array<std::int8_t>& b, float b_scale,
         const Array<std::int8_t>& c, float c_scale, const Array<std::int8_t>& d, float d_scale, const Array<std::int8_t>& z,
         float z_scale, bool softplus_threshold, const std::string& scan_order, const std::string& dn,
         const std::string& gate_division) {
        const FloatTensor uf = tensor2(u, "u");
        const std::size_t D = uf.dim(0), L = uf.dim(1);
        if (a_log.ndim() != 2) throw py::value_error("a_log: expected [d_inner, d_state]");
        const std::size_t N = static_cast<std::size_t>(a_log.shape(1));
        Mamba1Ssm s;
        s.delta = qtensor(delta, delta_scale, D, L, "delta");
        s.delta_bias = qtensor(delta_bias, delta_bias_scale, D, 1, "delta_bias");
        s.a_log = qtensor(a_log, a_scale, D, N, "a_log");
        s.b = qtensor(b, b_scale, N, L, "b");
        s.c = qtensor(c, c_scale, N, L, "c");
        s.d_skip = qtensor(d, d_scale, D, 1, "d");
        s.z = qtensor(z, z_scale, D, L, "z");
        const SsmPolicy p{softplus_threshold, parse_or_throw(parse_enum<ScanOrder>(scan_order), "scan_order", scan_order, "sequential, block_scan"),
                          denormals(dn), quantize_op(gate_division)};
        return to_array(mamba1_selective_scan(uf, s, p));
      },
      py::arg("u"), py::arg("delta"), py::arg("delta_scale"), py::arg("delta_bias"), py::arg("delta_bias_scale"),
      py::arg("a_log"), py::arg("a_scale"), py::arg("b"), py::arg("b_scale"), py::arg("c"), py::arg("c_scale"), py::arg("d"),
      py::arg("d_scale"), py::arg("z"), py::arg("z_scale"), py::arg("softplus_threshold") = true,
      py::arg("scan_order") = "sequential", py::arg("denormals") = "preserve", py::arg("gate_division") = "divide",
      "Mamba1 (Quamba1) selective scan: u fp32 [D, L], INT8 delta/z [D, L], B/C [N, L], A_log [D, N], bias/D [D]; "
      "returns the gated y [D, L] (FP16 values as float32)");
  mod.def(
      "mamba2_ssm",
      [](const Array<float>& x, int nheads, int headdim, int ngroups, const Array<std::int8_t>& dt, float dt_scale,
         const Array<float>& dt_bias, const Array<std::int8_t>& a_log, float a_scale, const Array<std::int8_t>& b,
         const Array<float>& b_scale, const Array<std::int8_t>& c, const Array<float>& c_scale, const Array<std::int8_t>& d,
         float d_scale, const std::string& dn) {
        const FloatTensor xf = tensor2(x, "x");
        const std::size_t L = xf.dim(1), H = static_cast<std::size_t>(nheads);
        Mamba2Ssm s;
        s.nheads = nheads;
        s.headdim = headdim;
        s.ngroups = ngroups;
        const Int8Tensor bi = tensor2(b, "b");
        s.d_state = static_cast<int>(bi.dim(0)) / ngroups;
        s.dt = qtensor(dt, dt_scale, H, L, "dt");
        s.dt_bias = vec(dt_bias);
        s.a_log = qtensor(a_log, a_scale, H, 1, "a_log");
        s.b = bi;
        s.c = tensor2(c, "c");
        s.b_scale = vec(b_scale);
        s.c_scale = vec(c_scale);
        s.d_skip = qtensor(d, d_scale, H, 1, "d");
        const SsmPolicy p{false, ScanOrder::kSequential, denormals(dn)};
        return to_array(mamba2_ssm(xf, s, p));
      },
      py::arg("x"), py::arg("nheads"), py::arg("headdim"), py::arg("ngroups"), py::arg("dt"), py::arg("dt_scale"),
      py::arg("dt_bias"), py::arg("a_log"), py::arg("a_scale"), py::arg("b"), py::arg("b_scale"), py::arg("c"),
      py::arg("c_scale"), py::arg("d"), py::arg("d_scale"), py::arg("denormals") = "preserve",
      "Mamba2 (Quamba2) SSM per head: x fp32 [d_inner, L], INT8 dt [nheads, L], B/C [ngroups*N, L] with per-group scales");

  // ---- GEMM array -------------------------------------------------------------------
  py::class_<QuantWeights>(mod, "QuantWeights", "A quantized weight matrix [out, in] as the weight memory holds it")
      .def_readonly("out", &QuantWeights::out)
      .def_readonly("in_", &QuantWeights::in)
      .def_readonly("group", &QuantWeights::group)
      .def_property_readonly("precision", [](const QuantWeights& w) { return std::string(to_string(w.precision)); })
      .def_property_readonly("scales", [](const QuantWeights& w) { return py::array_t<float>(static_cast<py::ssize_t>(w.scales.size()), w.scales.data()); })
      .def_property_readonly("codes", [](const QuantWeights& w) {
        py::array_t<std::int8_t> a({w.out, w.in});
        for (int n = 0; n < w.out; ++n)
          for (int k = 0; k < w.in; ++k) a.mutable_at(n, k) = w.at(n, k);
        return a;
      });
  mod.def(
      "quantize_weights",
      [](const Array<float>& w, const std::string& precision, int group) {
        if (precision != "int8" && precision != "int4") throw py::value_error("precision: int8 or int4");
        return quantize_weights(tensor2(w, "w"), precision == "int4" ? WeightPrecision::kInt4 : WeightPrecision::kInt8, group);
      },
      py::arg("w"), py::arg("precision") = "int8", py::arg("group") = 0,
      "Symmetric weight quantization: absmax/qmax per output channel (group 0) or per input group, half to even");
  auto requant = [](const std::string& order, const std::string& r, const std::string& dn) {
    return RequantPolicy{parse_or_throw(parse_enum<RequantOrder>(order), "order", order, "act_then_weight, weight_then_act, alpha"),
                         rounding(r), denormals(dn)};
  };
  mod.def(
      "gemm_int8",
      [requant](const Array<std::int8_t>& x, const QuantWeights& w, float act_scale, const Array<float>& out_scales,
                const std::string& order, const std::string& r, const std::string& dn) {
        std::int64_t saturated = 0;
        const Int8Tensor y = gemm_int8_out(tensor2(x, "x"), w, GemmScales{act_scale, vec(out_scales)}, requant(order, r, dn), &saturated);
        return py::make_tuple(to_array(y), saturated);
      },
      py::arg("x"), py::arg("w"), py::arg("act_scale"), py::arg("out_scales"), py::arg("order") = "act_then_weight",
      py::arg("rounding") = "half_to_even", py::arg("denormals") = "preserve",
      "INT8 x [M, in] times w with requantization to INT8; returns (codes [M, out], saturated count)");
  mod.def(
      "gemm_fp16",
      [requant](const Array<std::int8_t>& x, const QuantWeights& w, float act_scale, const std::string& order,
                const std::string& dn) {
        return to_array(gemm_fp16_out(tensor2(x, "x"), w, act_scale, requant(order, "half_to_even", dn)));
      },
      py::arg("x"), py::arg("w"), py::arg("act_scale"), py::arg("order") = "act_then_weight", py::arg("denormals") = "preserve",
      "INT8 x [M, in] times w with an FP16 output (values as float32)");

  // ---- Hadamard ---------------------------------------------------------------------
  mod.def(
      "hadamard_quantize",
      [](const Array<float>& x, float out_scale, const std::string& r, const std::string& ov, const std::string& dn) {
        const FloatTensor xf = tensor2(x, "x");
        const int n = static_cast<int>(xf.dim(1));
        const HadamardSize s = require_hadamard_size(n);
        const float mult = hadamard_quant_multiplier(n, out_scale);
        Int8Tensor q({xf.dim(0), xf.dim(1)});
        std::int64_t over = 0;
        const HadamardQuantPolicy p{rounding(r), overflow(ov), denormals(dn)};
        for (std::size_t t = 0; t < xf.dim(0); ++t)
          over += hadamard_quantize(std::span<const float>(xf.data() + t * xf.dim(1), xf.dim(1)),
                                    std::span<std::int8_t>(q.data() + t * xf.dim(1), xf.dim(1)), s, mult, p);
        return py::make_tuple(to_array(q), over);
      },
      py::arg("x"), py::arg("out_scale"), py::arg("rounding") = "half_away_from_zero", py::arg("overflow") = "wrap",
      py::arg("denormals") = "preserve",
      "The online Hadamard of out_proj's input, row by row: FP16 rounding, transform, one multiply, INT8; returns (codes, overflows)");
  mod.def(
      "hadamard_fp32",
      [](const Array<float>& v, const std::string& dn) {
        std::vector<float> x = vec(v);
        hadamard_fp32(x, require_hadamard_size(static_cast<int>(x.size())), denormals(dn));
        return py::array_t<float>(static_cast<py::ssize_t>(x.size()), x.data());
      },
      py::arg("v"), py::arg("denormals") = "preserve", "The unscaled +-1 transform in FP32, in the kernel's order");

  // ---- configs and the layer ----------------------------------------------------------
  py::class_<Config>(mod, "Config", "A loaded run configuration (configs/*.yaml)")
      .def_readonly("file", &Config::file)
      .def_property_readonly("model", [](const Config& c) {
        const ModelShape& m = c.model;
        py::dict d;
        d["name"] = m.name;
        d["arch"] = std::string(to_string(m.arch));
        for (auto [k, v] : {std::pair{"d_model", m.d_model}, {"d_inner", m.d_inner}, {"d_state", m.d_state}, {"d_conv", m.d_conv},
                            {"n_layer", m.n_layer}, {"dt_rank", m.dt_rank}, {"headdim", m.headdim}, {"nheads", m.nheads},
                            {"ngroups", m.ngroups}})
          d[k] = v;
        return d;
      })
      .def_property_readonly("scheme", [](const Config& c) { return c.scheme.name; })
      .def_property_readonly("seq_len", [](const Config& c) { return c.run.seq_len; })
      .def_property_readonly("seed", [](const Config& c) { return c.run.seed; })
      .def_property_readonly("modes", [](const Config& c) {
        std::vector<int> m;
        for (SsmInputMode x : c.run.modes) m.push_back(static_cast<int>(x));
        return m;
      });
  mod.def("load_config", [](const std::filesystem::path& p) { return load_config(p); }, py::arg("path"),
          "Loads and validates a YAML config (errors name file:line:column and field)");

  py::class_<QuantizedLayer>(mod, "QuantizedLayer", "Every code and static scale of one layer")
      .def("tensors", [](const QuantizedLayer& q) { return dict_of(interop::quantized_layer_tensors(q)); },
           "The codes and scales, named as a --dump names them (layer{i}.q.<name>)");
  auto weights_of = [](const Config& c, const py::dict& w) { return interop::TensorWeights(map_of(w), "weights"); };
  mod.def(
      "quantize_layer",
      [weights_of](const Config& c, const py::dict& weights, const py::object& calibration, bool static_scales) {
        const interop::TensorWeights tw = weights_of(c, weights);
        QuantizedLayer q = quantize_layer(c.model, c.scheme, tw.layer(c.model, 0), calibration_batches(calibration));
        if (static_scales) tw.apply_static_scales(c.model, c.scheme, 0, q);
        return q;
      },
      py::arg("config"), py::arg("weights"), py::arg("calibration"), py::arg("static_scales") = true,
      "Calibrates the config's scheme on `calibration` ([batches, L, d_model]) for one layer whose weights are a dict "
      "named as the checkpoints name them (docs/layer.md); a Quamba W8A8 checkpoint's own static scales win");
  mod.def(
      "run_layer",
      [](const QuantizedLayer& q, const Array<float>& input, int mode) {
        return dict_of(interop::trace_tensors(run_layer(q, tensor2(input, "input"), mode_of(mode))));
      },
      py::arg("q"), py::arg("input"), py::arg("mode") = 0,
      "The quantized golden layer on input [L, d_model] in SSM-input mode 0-3; returns its trace (as a --dump names it)");
  mod.def(
      "reference_layer",
      [weights_of](const Config& c, const py::dict& weights, const Array<float>& input) {
        return dict_of(interop::trace_tensors(reference_layer(c.model, weights_of(c, weights).layer(c.model, 0), tensor2(input, "input"))));
      },
      py::arg("config"), py::arg("weights"), py::arg("input"), "The FP32 reference layer's trace");
  mod.def(
      "synthetic_weights",
      [](const Config& c, int layer) {
        return dict_of(interop::checkpoint_tensors(c.model, SyntheticWeights(c.run.seed).layer(c.model, layer)));
      },
      py::arg("config"), py::arg("layer") = 0, "The run's synthetic weights of one layer, named as a checkpoint names them");
  mod.def(
      "synthetic_input",
      [](const Config& c, int layer) { return to_array(SyntheticActivations().input(c.model, c.run, layer)); },
      py::arg("config"), py::arg("layer") = 0, "The run's synthetic layer input [seq_len, d_model]");

  // ---- tensor files -----------------------------------------------------------------
  mod.def("read_tensors", [](const std::filesystem::path& p) { return dict_of(tensors::read_tensors(p)); }, py::arg("path"),
          ".npy, .npz, .safetensors or a folder of .npy -> {name: array} (bfloat16 widened to float32)");
  mod.def("write_tensors", [](const std::filesystem::path& p, const py::dict& d) { tensors::write_tensors(p, map_of(d)); },
          py::arg("path"), py::arg("tensors"), "{name: array} -> .npz, .safetensors or a folder of .npy (by extension), atomically");
}
