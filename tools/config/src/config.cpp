#include "mambahw/config/parse.hpp"

#include "mambahw/config/hardware.hpp"

#include <cmath>
#include <cstdint>

#include <fmt/core.h>

namespace mambahw {

namespace {
Check<int> at_least(int lo) {
  return [lo](const int& v) {
    return v >= lo ? std::string{} : "must be at least " + std::to_string(lo) + ", got " + std::to_string(v);
  };
}
Check<double> open_unit_interval() {
  return [](const double& v) -> std::string {
    if (std::isnan(v)) return "must be a number, got NaN";
    return (v > 0.0 && v <= 1.0) ? std::string{} : "must be in (0, 1]";
  };
}
}  // namespace

// Dimension limits: far above every published Mamba (d_model 8192, d_state
// 128), and low enough that every width ModelShape derives in `int`
// (in_proj's 2*d_inner + 2*ngroups*d_state + nheads, x_proj's
// dt_rank + 2*d_state, 2*d_state) fits with room to spare. Tensor sizes are
// bounded separately by the memory budget (check_memory_budget).
constexpr int kMaxWidth = 1 << 24;    // d_model, d_inner, dt_rank, headdim, nheads, vocab
constexpr int kMaxState = 1 << 16;    // d_state
constexpr int kMaxLayers = 1 << 16;   // n_layer
constexpr std::int64_t kMaxGroupState = 1 << 24;  // ngroups * d_state (the B and C segments)

ModelShape parse_model(YamlMap& m) {
  ModelShape s;
  s.name = m.required<std::string>("name");
  s.arch = m.required_enum<Arch>("arch");
  s.d_model = m.required<int>("d_model", in_range(1, kMaxWidth));
  s.d_inner = m.required<int>("d_inner", in_range(1, kMaxWidth));
  s.d_state = m.required<int>("d_state", in_range(1, kMaxState));
  s.d_conv = m.optional<int>("d_conv", 4, in_range(2, 4));
  s.n_layer = m.required<int>("n_layer", in_range(1, kMaxLayers));
  s.vocab = m.optional<int>("vocab", 0, in_range(1, kMaxWidth));
  // Parsed once by earlier versions and used by nothing: refused, with the reason.
  if (m.has("chunk_size"))
    m.fail("chunk_size", "is not modelled (the Mamba2 SSM is the per-head recurrence, docs/layer.md); remove it");
  if (s.is_mamba2()) {
    s.headdim = m.required<int>("headdim", in_range(1, kMaxWidth));
    s.nheads = m.required<int>("nheads", in_range(1, kMaxWidth));
    s.ngroups = m.optional<int>("ngroups", 1, in_range(1, kMaxWidth));
    const std::int64_t heads_x_dim = std::int64_t{s.headdim} * s.nheads;  // no int overflow past the check
    if (heads_x_dim != s.d_inner)
      m.fail("nheads", "nheads * headdim = " + std::to_string(heads_x_dim) +
                           " must equal d_inner = " + std::to_string(s.d_inner));
    if (s.nheads % s.ngroups != 0)
      m.fail("ngroups", "must divide nheads = " + std::to_string(s.nheads));
    if (const std::int64_t gn = std::int64_t{s.ngroups} * s.d_state; gn > kMaxGroupState)
      m.fail("d_state", "ngroups * d_state = " + std::to_string(gn) + " exceeds " + std::to_string(kMaxGroupState) +
                            " (the B and C channels)");
    if (m.has("dt_rank")) m.fail("dt_rank", "only valid for arch: mamba1 (Mamba2 has no x_proj)");
  } else {
    s.dt_rank = m.optional<int>("dt_rank", (s.d_model + 15) / 16, in_range(1, kMaxWidth));  // d_model <= 2^24: no overflow
    for (const char* k : {"headdim", "nheads", "ngroups"})
      if (m.has(k)) m.fail(k, "only valid for arch: mamba2");
  }
  m.finish();
  return s;
}

namespace {

// A unit variant key ("pwl16", "tquad6", "sm90", ...; unit_variants.hpp).
template <class Kind>
UnitVariant<Kind> unit_variant(YamlMap& n, const std::string& key, UnitVariant<Kind> fallback) {
  const auto text = n.maybe<std::string>(key, [](const std::string& v) {
    std::string why;
    return parse_unit_variant<Kind>(v, &why) ? std::string{} : why;
  });
  return text ? *parse_unit_variant<Kind>(*text) : fallback;
}

NumericsPolicy parse_numerics(YamlMap& n) {
  NumericsPolicy p;
  p.rounding = n.enumerated("rounding", p.rounding);
  p.quantize_op = n.enumerated("quantize_op", p.quantize_op);
  p.overflow = n.enumerated("overflow", p.overflow);
  p.denormals = n.enumerated("denormals", p.denormals);
  p.silu_division = n.enumerated("silu_division", p.silu_division);
  p.units.exp = unit_variant(n, "exp_unit", p.units.exp);
  p.units.log1p = unit_variant(n, "log1p_unit", p.units.log1p);
  p.units.reciprocal = unit_variant(n, "reciprocal_unit", p.units.reciprocal);
  n.finish();
  return p;
}

ObserverConfig parse_observer(YamlMap& c) {
  ObserverConfig o;
  o.kind = c.enumerated("observer", o.kind);
  o.percentile = c.optional<double>("percentile", o.percentile, open_unit_interval());
  o.ema_weight = c.optional<double>("ema_weight", o.ema_weight, open_unit_interval());
  return o;
}

// Explicit Quamba2 tables: ranges [G][nHG], [G][nHG][nDG], scales likewise.
Quamba2ScaleTable parse_scale_table(YamlMap& c, const ModelShape& model) {
  const YAML::Node hr_node = c.node()["x_head_group_range"];
  const auto hr = c.list<std::vector<int>>("x_head_group_range");
  const auto dr = c.list<std::vector<std::vector<int>>>("x_dim_group_range");
  const auto xs = c.list<std::vector<std::vector<double>>>("x_out_scales");
  const auto bs = c.list<double>("b_scales", finite_positive_fp32());
  const auto cs = c.list<double>("c_scales", finite_positive_fp32());
  if (static_cast<int>(hr.size()) != model.ngroups)
    c.fail("x_head_group_range", "must have one row per SSD group (ngroups = " +
                                     std::to_string(model.ngroups) + "), got " + std::to_string(hr.size()));
  const int nhg = static_cast<int>(hr[0].size());
  const int ndg = dr.empty() || dr[0].empty() ? 0 : static_cast<int>(dr[0][0].size());
  Quamba2ScaleTable t;
  t.shape = ScaleTableShape::of(model, nhg, ndg);
  auto shape_error = [&](const char* key) {
    c.fail(key, "must have shape [ngroups=" + std::to_string(model.ngroups) + "][" +
                    std::to_string(nhg) + " head groups]" +
                    (std::string(key) == "x_head_group_range" ? "" : "[" + std::to_string(ndg) + " dim groups]"));
  };
  for (const auto& row : hr) {
    if (static_cast<int>(row.size()) != nhg) shape_error("x_head_group_range");
    t.head_range.insert(t.head_range.end(), row.begin(), row.end());
  }
  auto flatten3 = [&](const auto& v, auto& out, const char* key) {
    if (static_cast<int>(v.size()) != model.ngroups) shape_error(key);
    for (const auto& g : v) {
      if (static_cast<int>(g.size()) != nhg) shape_error(key);
      for (const auto& h : g) {
        if (static_cast<int>(h.size()) != ndg) shape_error(key);
        for (auto x : h) out.push_back(static_cast<typename std::decay_t<decltype(out)>::value_type>(x));
      }
    }
  };
  flatten3(dr, t.dim_range, "x_dim_group_range");
  flatten3(xs, t.x_scales, "x_out_scales");
  for (double v : bs) t.b_scales.push_back(static_cast<float>(v));
  for (double v : cs) t.c_scales.push_back(static_cast<float>(v));
  if (const std::string why = validate(t); !why.empty()) {
    for (const char* key : {"x_head_group_range", "x_dim_group_range", "x_out_scales"})
      if (why.rfind(key, 0) == 0) c.fail(key, why);
    c.fail_at(hr_node, c.field("x_out_scales"), why);
  }
  return t;
}

DualScaleSpec parse_dual(YamlMap& s) {
  DualScaleSpec d;
  d.code_bits = s.optional<int>("code_bits", d.code_bits, in_range(2, 8));
  d.symmetric = s.optional<bool>("symmetric", d.symmetric);
  d.threshold_percentile = s.optional<double>("threshold_percentile", d.threshold_percentile,
                                              open_unit_interval());
  if (auto v = s.maybe<double>("scale1", finite_positive_fp32())) d.scale1 = static_cast<float>(*v);
  const YAML::Node k = s.node()["scale2"];
  // The outlier grid's scale, fp32(scale1 * scale2), is a register too: it
  // must be a finite FP32 (calibration caps scale2 at 2*qmax + 1).
  const double qmax = CodeRange::symmetric_bits(d.code_bits).qmax;
  if (k && k.IsScalar() && k.Scalar() == "calibrate") {
    (void)s.raw("scale2");
    if (d.scale1 && !std::isfinite(static_cast<float>(static_cast<double>(*d.scale1) * (2 * qmax + 1))))
      s.fail("scale1", "scale1 times the largest calibrated scale2 (2*qmax+1 = " + std::to_string(2 * qmax + 1) +
                           ") overflows FP32");
  } else if (auto v = s.maybe<double>("scale2", finite_positive_fp32())) {
    if (*v < 1.0) s.fail("scale2", "the outlier multiplier must be at least 1");
    d.scale2 = static_cast<float>(*v);
    const double s1 = d.scale1 ? static_cast<double>(*d.scale1) : 0.0;
    if (d.scale1 && !std::isfinite(static_cast<float>(s1 * static_cast<double>(*d.scale2))))
      s.fail("scale2", "scale1 * scale2 = " + fmt::format("{:g}", s1 * static_cast<double>(*d.scale2)) +
                           " overflows FP32 (the outlier grid's scale register)");
  }
  d.scale2_pow2 = s.optional<bool>("scale2_pow2", d.scale2_pow2);
  return d;
}

}  // namespace

std::string hadamard_unsupported(const ModelShape& model) {
  const std::string problem = hadamard_size_problem(model.d_inner);
  return problem.empty() ? problem : "d_inner = " + problem + "; set layer.out_proj_hadamard: false";
}

LayerNumerics parse_layer_numerics(YamlMap& l, LayerNumerics d, const ModelShape& model) {
  d.weights = l.enumerated("weights", d.weights);
  d.weight_group = l.optional<int>("weight_group", d.weight_group, in_range(0, 1 << 20));
  d.gemm_requant = l.enumerated("gemm_requant", d.gemm_requant);
  d.gemm_rounding = l.enumerated("gemm_rounding", d.gemm_rounding);
  d.softplus_threshold = l.optional<bool>("softplus_threshold", d.softplus_threshold);
  d.scan_order = l.enumerated("scan_order", d.scan_order);
  d.state_reduction = l.enumerated("state_reduction", d.state_reduction);
  d.state_tree_width = l.optional<int>("state_tree_width", d.state_tree_width, in_range(1, 1 << 16));
  d.out_proj_hadamard = l.optional<bool>("out_proj_hadamard", d.out_proj_hadamard);
  if (d.out_proj_hadamard)
    if (const std::string why = hadamard_unsupported(model); !why.empty()) l.fail("out_proj_hadamard", why);
  d.hadamard.rounding = l.enumerated("hadamard_rounding", d.hadamard.rounding);
  d.hadamard.overflow = l.enumerated("hadamard_overflow", d.hadamard.overflow);
  d.hadamard.denormals = l.enumerated("hadamard_denormals", d.hadamard.denormals);
  l.finish();
  return d;
}

QuantScheme parse_scheme(YamlMap& s, const ModelShape& model) {
  QuantScheme q;
  q.name = s.required<std::string>("name");
  q.base = s.required_enum<SchemeBase>("base");
  if (auto n = s.maybe_section("numerics")) q.numerics = parse_numerics(*n);
  q.layer.hadamard.denormals = q.numerics.denormals;  // unless layer.hadamard_denormals says otherwise
  if (auto conv = s.maybe_section("conv")) {
    q.conv_order = conv->enumerated("order", q.conv_order);
    conv->finish();
  }
  if (auto c = s.maybe_section("conv_out")) {
    q.conv_out_observer = parse_observer(*c);
    if (q.base == SchemeBase::kQuamba1) {
      if (auto v = c->maybe<double>("scale", finite_positive_fp32())) q.conv_out_scale = static_cast<float>(*v);
    } else {
      q.head_groups = c->optional<int>("head_groups", q.head_groups, at_least(1));
      q.dim_groups = c->optional<int>("dim_groups", q.dim_groups, at_least(1));
      if (model.is_mamba2()) {
        if (q.head_groups > model.heads_per_group())
          c->fail("head_groups", "cannot exceed the heads per SSD group (" +
                                     std::to_string(model.heads_per_group()) + ")");
        if (q.dim_groups > model.headdim)
          c->fail("dim_groups", "cannot exceed headdim (" + std::to_string(model.headdim) + ")");
        if (c->has("x_head_group_range")) q.scale_table = parse_scale_table(*c, model);
      } else {
        // Not applicable to a Mamba1 model (reported by scheme_applicability);
        // accept the table keys so that the error is that, not "unknown key".
        for (const char* k : {"x_head_group_range", "x_dim_group_range", "x_out_scales", "b_scales", "c_scales"})
          (void)c->raw(k);
      }
    }
    c->finish();
  }
  {
    const Denormals hadamard_denormals = q.layer.hadamard.denormals;  // numerics.denormals, set above
    q.layer = default_layer_numerics(q.base);
    q.layer.hadamard.denormals = hadamard_denormals;
  }
  if (auto l = s.maybe_section("layer")) {
    q.layer = parse_layer_numerics(*l, q.layer, model);
  } else if (q.layer.out_proj_hadamard) {
    if (const std::string why = hadamard_unsupported(model); !why.empty())
      s.fail("layer", "out_proj_hadamard is on by default, but " + why);
  }
  if (auto in = s.maybe_section("ssm_input")) {
    q.ssm_input = in->enumerated("format", q.ssm_input);
    if (q.ssm_input == SsmInputFormat::kDualScale) q.dual = parse_dual(*in);
    in->finish();
  }
  s.finish();
  return q;
}

RunSettings parse_run(YamlMap& r) {
  RunSettings s;
  s.seq_len = r.optional<int>("seq_len", s.seq_len, in_range(1, 1 << 20));
  s.batch = r.optional<int>("batch", s.batch, in_range(1, 1024));
  s.seed = r.optional<std::uint64_t>("seed", s.seed);
  s.calib_batches = r.optional<int>("calib_batches", s.calib_batches, in_range(1, 4096));
  s.calib_seq_len = r.optional<int>("calib_seq_len", s.calib_seq_len, in_range(1, 1 << 20));
  s.layers = r.optional<int>("layers", s.layers, in_range(1, 1024));
  s.decode = r.optional<int>("decode", s.decode, in_range(0, 1 << 16));
  if (r.has("modes")) {
    s.modes.clear();
    for (int m : r.list<int>("modes", in_range(0, 3)))  // 0 int8, 1 fp32, 2 fp32 on the int8 grid, 3 dual scale
      s.modes.push_back(static_cast<SsmInputMode>(m));
    if (s.modes.empty()) r.fail("modes", "must list at least one SSM-input mode");
  } else {
    (void)r.raw("modes");  // known key, default modes
  }
  s.memory_budget_mib = r.optional<std::int64_t>("memory_budget_mib", s.memory_budget_mib,
                                                  in_range<std::int64_t>(16, std::int64_t{1} << 30));
  r.finish();
  return s;
}

namespace {

// `path:` of a tensor source: relative to the file that names it; must exist.
std::string tensor_path(YamlMap& m) {
  const YAML::Node at = m.node()["path"];
  const std::filesystem::path rel = m.required<std::string>("path");
  const std::filesystem::path p = rel.is_absolute() ? rel : std::filesystem::path(m.file()).parent_path() / rel;
  if (!std::filesystem::exists(p)) m.fail_at(at, m.field("path"), "no such tensor file or folder '" + p.string() + "'");
  return p.string();
}

bool tensor_source(YamlMap& m) {
  return m.optional<std::string>("source", "synthetic", one_of({"synthetic", "tensors"})) == "tensors";
}

WeightsConfig parse_weights(YamlMap& w) {
  WeightsConfig c;
  c.tensors = tensor_source(w);
  if (c.tensors) {
    c.path = tensor_path(w);
    c.layer_prefix = w.optional<std::string>("layer_prefix", "");
    c.static_scales = w.optional<std::string>("scales", "checkpoint", one_of({"checkpoint", "calibrate"})) == "checkpoint";
  } else {
    for (const char* k : {"path", "layer_prefix", "scales"})
      if (w.has(k)) w.fail(k, "only valid with source: tensors");
  }
  w.finish();
  return c;
}

ActivationsConfig parse_activations(YamlMap& a) {
  ActivationsConfig c;
  c.tensors = tensor_source(a);
  if (c.tensors) {
    c.path = tensor_path(a);
    c.input = a.optional<std::string>("input", c.input);
    c.calibration = a.optional<std::string>("calibration", c.calibration);
  } else {
    for (const char* k : {"path", "input", "calibration"})
      if (a.has(k)) a.fail(k, "only valid with source: tensors");
  }
  a.finish();
  return c;
}

}  // namespace

namespace {
Config load_document(YamlMap& top, const std::filesystem::path& file) {
  Config c;
  c.file = file.string();
  {
    YamlMap m = top.section("model");
    c.model = parse_model(m);
  }
  auto checked_scheme = [&](YamlMap& sm, bool must_apply) {
    QuantScheme q = parse_scheme(sm, c.model);
    if (must_apply) {
      if (const std::string why = scheme_applicability(q, c.model); !why.empty())
        sm.fail_at(sm.node(), sm.path(), why);
    }
    return q;
  };
  {
    YamlMap s = top.section("scheme");
    c.scheme = checked_scheme(s, true);
  }
  for (YamlMap& s : top.section_list("study")) c.study.push_back(checked_scheme(s, false));
  if (auto r = top.maybe_section("run")) c.run = parse_run(*r);
  if (auto h = top.maybe_section("hardware")) c.hardware = parse_hardware(*h);
  if (auto w = top.maybe_section("weights")) c.weights = parse_weights(*w);
  if (auto a = top.maybe_section("activations")) c.activations = parse_activations(*a);
  top.finish();
  c.files = top.files();
  check_memory_budget(c);
  // The SSM core reduces y = C . h with adder trees of its lanes: a scheme
  // whose trees are another width would differ from the accelerator in the
  // last bits of y. Refused here rather than reported as a y mismatch (the
  // negative control of that is ModelVariant::tree_width, tb/model/test_cosim.cpp).
  if (c.scheme.layer.state_reduction == StateReduction::kTree && c.scheme.layer.state_tree_width != c.hardware.ssm.lanes)
    throw ConfigError(fmt::format(
        "{}: scheme.layer.state_tree_width: {} (scheme '{}', layer.state_reduction: tree) differs from "
        "hardware.ssm.lanes: {}; the SSM core's adder trees are its lanes wide, so set the two equal",
        c.file, c.scheme.layer.state_tree_width, c.scheme.name, c.hardware.ssm.lanes));
  return c;
}
}  // namespace

Config load_config(const std::filesystem::path& file) {
  YamlMap top = YamlMap::load_file(file);
  return load_document(top, file);
}

Config load_config(const std::filesystem::path& file, const ConfigOverrides& overrides) {
  auto shared = std::make_shared<ConfigOverrides>(overrides);
  YamlMap top = YamlMap::load_file(file, shared);
  Config c = load_document(top, file);
  // Read by no parser although every mapping on its way was: a list entry
  // that does not exist, or a field below a plain value.
  for (const auto& [path, o] : *shared)
    if (!o.used)
      throw ConfigError(o.where + ": " + path + ": is not a field of " + file.string() +
                        " (a list index past its end, or a key below a plain value)");
  return c;
}

}  // namespace mambahw
