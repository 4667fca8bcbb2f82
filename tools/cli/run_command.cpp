#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/studies/conv_out_study.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/interop/dump.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/version.hpp"

namespace mambahw::cli {

std::filesystem::path resolve_config(const std::string& path) {
  const std::filesystem::path p(path);
  if (std::filesystem::exists(p) || p.is_absolute()) return p;
  const std::filesystem::path in_source = std::filesystem::path(MAMBAHW_SOURCE_DIR) / p;
  return std::filesystem::exists(in_source) ? in_source : p;
}

namespace {
ModelRunner& model_runner() {
  static ModelRunner r;
  return r;
}
}  // namespace

void set_model_runner(ModelRunner r) { model_runner() = std::move(r); }

namespace {
struct RunOptions {
  std::string config = "configs/default.yaml";
  std::string json_file;
  std::string dump_dir;
  std::optional<int> seq_len;
  std::optional<std::uint64_t> seed;
  std::optional<int> layers;
  std::vector<int> modes;
  bool no_layer = false;
  bool no_model = false;
  std::vector<std::string> tech{"configs/tech/cacti-28nm.yaml"};
};
int run_command(const RunOptions& o);
}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  RunOptions& o = *opts;
  CLI::App* run = app.add_subcommand(
      "run", "Run the golden model on a config and print the report (conv-output study)");
  run->add_option("config", o.config, "Run configuration (YAML)")->capture_default_str();
  run->add_option("--json", o.json_file, "Also write the report as JSON to FILE");
  run->add_option("--dump", o.dump_dir, "Write every tensor of the golden layers as .npy, with manifest.json, to DIR");
  run->add_option("--seq-len", o.seq_len, "Override run.seq_len")->check(CLI::Range(1, 1 << 20));
  run->add_option("--seed", o.seed, "Override run.seed");
  run->add_option("--layers", o.layers, "Override run.layers (golden layers evaluated)")->check(CLI::Range(1, 1024));
  run->add_option("--modes", o.modes, "Override run.modes: SSM-input modes 0 int8, 1 fp32, 2 fp32 on the int8 grid, "
                                      "3 dual scale")->delimiter(',')->check(CLI::Range(0, 3));
  run->add_flag("--no-layer", o.no_layer, "Skip the golden layer accuracy report");
  run->add_flag("--no-model", o.no_model, "Skip the SystemC model with the RTL in the loop");
  run->add_option("--tech", o.tech, "Technology table(s) for the energy and area estimate")->capture_default_str();
  run->callback([opts, &exit_code] { exit_code = run_command(*opts); });
}

namespace {

std::string pct(std::int64_t a, std::int64_t b) {
  return b ? fmt::format("{:.3f}%", 100.0 * static_cast<double>(a) / static_cast<double>(b)) : "-";
}
std::string db(double v) { return std::isfinite(v) ? fmt::format("{:.2f} dB", v) : "exact"; }

std::string scales_text(const SchemeStudy& r) {
  if (r.quantizer.dual)
    return fmt::format("s1 {:.4g} K {:.4g}", r.quantizer.dual->scale1, r.quantizer.dual->scale2);
  if (r.scale_min == r.scale_max) return fmt::format("{:.4g}", r.scale_min);
  return fmt::format("{:.4g}..{:.4g}", r.scale_min, r.scale_max);
}

void print_study(const Config& c, const ConvOutStudy& st) {
  const ModelShape& m = c.model;
  fmt::print("mambahw {} (git {}): {}\n", kVersion, kGitCommit, c.file);
  fmt::print("model   {} ({}; d_model {}, d_inner {}, d_state {}, conv width {}, {} layers)\n", m.name,
             to_string(m.arch), m.d_model, m.d_inner, m.d_state, m.d_conv, m.n_layer);
  fmt::print("scheme  {} (the accelerator's scheme; numerics: {}, {}, {}, denormals {})\n",
             c.scheme.name, to_string(c.scheme.numerics.rounding),
             to_string(c.scheme.numerics.quantize_op), to_string(c.scheme.numerics.overflow),
             to_string(c.scheme.numerics.denormals));
  fmt::print("inputs  synthetic, seed {}: {} x {} tokens evaluated; calibration {} x {} tokens "
             "(separate stream)\n\n",
             st.inputs.seed, st.inputs.batch, st.inputs.seq_len, st.inputs.calib_batches,
             st.inputs.calib_seq_len);

  for (const SchemeStudy& r : st.schemes) {
    if (!r.skipped.empty()) continue;
    const DistributionStats& y = r.y;
    fmt::print("conv+SiLU output (FP32, {} SSM-input elements): min {:.4g} max {:.4g} mean {:.4g} "
               "std {:.4g}\n  |y| p99 {:.4g}  p99.9 {:.4g}  p99.95 {:.4g}  p99.99 {:.4g}  "
               "max/p99.99 {:.2f}  6-sigma outliers {:.3f}%\n\n",
               r.elements, y.min, y.max, y.mean, y.std, y.p99, y.p999, y.p9995, y.p9999,
               y.max_over_p9999, 100.0 * y.outlier_fraction);
    break;
  }

  fmt::print("Conv-output quantization study ({})\n", m.name);
  fmt::print("{:<15} {:<8} {:<10} {:>4}  {:<22} {:>16} {:>9} {:>10} {:>12}\n", "scheme", "base",
             "SSM input", "bits", "scales", "INT8 saturated", "flagged", "SQNR INT8",
             "SQNR SSM-in");
  for (const SchemeStudy& r : st.schemes) {
    if (!r.skipped.empty()) {
      fmt::print("{:<15} skipped: {}\n", r.scheme.name, r.skipped);
      continue;
    }
    fmt::print("{:<15} {:<8} {:<10} {:>4}  {:<22} {:>16} {:>9} {:>10} {:>12}\n", r.scheme.name,
               to_string(r.scheme.base), to_string(r.scheme.ssm_input), r.ssm_input_bits,
               scales_text(r), fmt::format("{} ({})", r.int8_saturated, pct(r.int8_saturated, r.int8_elements)),
               r.quantizer.dual ? pct(r.flagged, r.elements) : "-", db(r.int8_error.sqnr_db),
               db(r.ssm_input_error.sqnr_db));
    if (r.uncovered_channels)
      fmt::print("{:<15} warning: {} channels not covered by any scale range\n", "", r.uncovered_channels);
  }
  fmt::print("\nSQNR: 10 log10(sum y^2 / sum (y - dequant(q))^2) over the SSM-input channels, "
             "y = the golden FP32 conv+SiLU output.\n");
}

std::string hadamard_shape(const ModelShape& m) {
  const std::optional<HadamardSize> s = hadamard_size(m.d_inner);
  if (!s) return "unsupported";
  return s->base == 1 ? fmt::format("H{}", s->pow2) : fmt::format("H{} x H{}", s->base, s->pow2);
}

std::string hadamard_text(const ModelShape& m, const QuantScheme& s) {
  const std::optional<HadamardQuantPolicy> h = hadamard_policy(s);
  if (!h) return "out_proj Hadamard off";
  return fmt::format("out_proj Hadamard {} {} {}", hadamard_shape(m), to_string(h->rounding), to_string(h->overflow));
}

std::string mode_label(SsmInputMode m) { return fmt::format("{} {}", static_cast<int>(m), to_string(m)); }

void print_layer_accuracy(const Config& c, const std::vector<LayerAccuracy>& layers) {
  const LayerNumerics& p = c.scheme.layer;
  fmt::print("\nGolden layer: {} under {} (weights {}{}, GEMM requant {} {}, softplus threshold {}, scan {}, {}); "
             "{} tokens, calibration {} x {}\n",
             c.model.name, c.scheme.name, to_string(weight_precision(c.scheme)),
             p.weight_group ? fmt::format(" groups of {}", p.weight_group) : std::string(" per channel"),
             to_string(p.gemm_requant), to_string(p.gemm_rounding), p.softplus_threshold ? "on" : "off",
             to_string(p.scan_order), hadamard_text(c.model, c.scheme), c.run.seq_len, c.run.calib_batches,
             c.run.calib_seq_len);
  for (const LayerAccuracy& a : layers) {
    fmt::print("layer {}  (dual-scale format for mode 3: scale1 {:.4g}, scale2 {:.4g})\n", a.layer, a.dual_scale1,
               a.dual_scale2);
    fmt::print("  {:<22} {:>10} {:>11} {:>11} {:>12} {:>10} {:>9} {:>13}\n", "SSM input (mode)", "SQNR out",
               "max|err|", "mean|err|", "SQNR SSM-in", "saturated", "flagged", "out_proj ovf");
    for (const ModeAccuracy& m : a.modes)
      fmt::print("  {:<22} {:>10} {:>11.4g} {:>11.4g} {:>12} {:>9.3f}% {:>8.3f}% {:>12.4f}%\n", mode_label(m.mode),
                 db(m.out_error.sqnr_db), m.out_error.max_abs_err, m.out_error.mean_abs_err,
                 db(m.ssm_input_error.sqnr_db), 100 * m.saturated_fraction, 100 * m.flagged_fraction,
                 100 * m.out_proj_in_overflow_fraction);
    for (const ModeComparison& cmp : a.comparisons) {
      fmt::print("  mode {} vs mode {}: {} of {} output elements bit-identical", static_cast<int>(cmp.b),
                 static_cast<int>(cmp.a), cmp.exact, cmp.count);
      if (!cmp.top.empty()) {
        fmt::print("; largest differences (token, channel: mode {} / mode {}):", static_cast<int>(cmp.a),
                   static_cast<int>(cmp.b));
        for (const DifferingPosition& d : cmp.top) fmt::print(" ({}, {}: {:.5g} / {:.5g})", d.token, d.channel, d.a, d.b);
      }
      fmt::print("\n");
    }
    if (a.mode2_bit_identical_to_mode0)
      fmt::print("  mode 2 == mode 0 bit for bit: {}\n", *a.mode2_bit_identical_to_mode0 ? "yes" : "NO");
  }
  fmt::print("SQNR out: layer output vs the unquantized FP32 layer (FP32 master weights and activations). "
             "out_proj ovf: out_proj input codes that rounded outside INT8 (wrapped or saturated).\n");
}


int run_command(const RunOptions& o) {
  try {
    Config c = load_config(resolve_config(o.config));
    // Every technology table is loaded and validated before any work (with
    // --no-model too: a wrong --tech is an error, not silently unused).
    for (const std::string& t : o.tech) (void)load_tech(resolve_config(t));
    if (o.seq_len) c.run.seq_len = *o.seq_len;
    if (o.seed) c.run.seed = *o.seed;
    if (o.layers) c.run.layers = *o.layers;
    if (!o.modes.empty()) {
      c.run.modes.clear();
      for (int md : o.modes) c.run.modes.push_back(static_cast<SsmInputMode>(md));
    }
    check_memory_budget(c);  // again: the command line may have raised seq_len
    if (!o.dump_dir.empty() && o.no_layer) throw ConfigError("--dump writes the golden layers' tensors; it cannot go with --no-layer");
    const interop::RunSources sources(c);  // weights: and activations: (synthetic by default)
    if (const auto tokens = sources.input_tokens(); tokens && !o.seq_len) c.run.seq_len = *tokens;
    std::vector<QuantScheme> schemes = c.study.empty() ? std::vector{c.scheme} : c.study;
    const ConvOutStudy st = run_conv_out_study(c.model, schemes, c.run);
    print_study(c, st);
    std::vector<LayerAccuracy> layers;
    if (!o.no_layer) {
      std::optional<interop::DumpWriter> dump;
      if (!o.dump_dir.empty()) dump.emplace(o.dump_dir, dump_header(c));
      layers = layer_accuracy(c.model, c.scheme, sources.layer_sources(), c.run,
                              dump ? TraceObserver([&](const LayerCase& lc, int li, std::optional<SsmInputMode> md,
                                                       const LayerTrace& tr) { dump->observe(c.model, lc, li, md, tr); })
                                   : TraceObserver{});
      print_layer_accuracy(c, layers);
      if (c.weights.tensors || c.activations.tensors) fmt::print("Layer data: {}\n", sources.describe(c));
      if (dump) {
        dump->finish();
        fmt::print("wrote {} tensors and manifest.json to {}\n", dump->count(), o.dump_dir);
      }
    }
    const bool int4 = c.scheme.layer.weights == WeightPrecision::kInt4;
    const int u_bits = c.scheme.ssm_input == SsmInputFormat::kDualScale ? c.scheme.dual.code_bits + 1 : 8;
    const cost::Roofline roof = cost::roofline(c.model, c.hardware, c.run.seq_len, int4, u_bits,
                                                    c.scheme.layer.out_proj_hadamard);
    fmt::print("\nAnalytic roofline (no SystemC; max(compute, DRAM) per op): {:.0f} cycles = {:.1f} us at {} MHz\n",
               roof.cycles, roof.latency_ns / 1000, c.hardware.clock_mhz);
    nlohmann::json roof_json = {{"cycles", roof.cycles}, {"latency_ns", roof.latency_ns}, {"ops", nlohmann::json::array()}};
    for (const auto& op : roof.ops) {
      fmt::print("    {:<22} {:<13} compute {:>10.0f} DRAM {:>10.0f}\n", op.op, op.unit, op.compute_cycles, op.memory_cycles);
      roof_json["ops"].push_back({{"op", op.op}, {"unit", op.unit}, {"compute_cycles", op.compute_cycles},
                                  {"memory_cycles", op.memory_cycles}});
    }
    std::optional<ModelOutcome> model;
    if (!o.no_model && model_runner()) model = model_runner()(c, o.tech);
    if (!o.json_file.empty()) {
      nlohmann::json j = {{"tool", "mambahw"},
                          {"version", kVersion},
                          {"git_commit", kGitCommit},
                          {"config", c.file},
                          {"scheme", c.scheme.name},
                          {"conv_out_study", to_json(st)}};
      const std::optional<HadamardQuantPolicy> hp = hadamard_policy(c.scheme);
      j["out_proj_hadamard"] = hp ? nlohmann::json{{"transform", hadamard_shape(c.model)},
                                                   {"rounding", to_string(hp->rounding)},
                                                   {"overflow", to_string(hp->overflow)}}
                                  : nlohmann::json(nullptr);
      j["layers"] = nlohmann::json::array();
      for (const LayerAccuracy& a : layers) j["layers"].push_back(to_json(a));
      j["roofline"] = roof_json;
      if (model) j.update(model->json);
      write_json_file(o.json_file, j);
      fmt::print("wrote {}\n", o.json_file);
    }
    if (model && !model->bit_exact) {
      fmt::print(stderr, "mambahw run: {}\n", model->failure);
      return 1;
    }
    return 0;
  } catch (const ConfigError& e) {
    fmt::print(stderr, "mambahw: config error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mambahw: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace

}  // namespace mambahw::cli
