#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/studies/conv_out_study.hpp"
#include "mambahw/cost/gemm_mapping.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/golden/layer.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/interop/dump.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/report/report.hpp"
#include "mambahw/studies/unit_accuracy.hpp"
#include "mambahw/version.hpp"

namespace mambahw::cli {

std::filesystem::path resolve_config(const std::string& path) {
  const std::filesystem::path p(path);
  if (std::filesystem::exists(p) || p.is_absolute()) return p;
  const std::filesystem::path in_source = std::filesystem::path(MAMBAHW_SOURCE_DIR) / p;
  return std::filesystem::exists(in_source) ? in_source : p;
}

ModelRunner& model_runner() {
  static ModelRunner r;
  return r;
}

void set_model_runner(ModelRunner r) { model_runner() = std::move(r); }

namespace {
struct RunOptions {
  std::string config = "configs/default.yaml";
  std::string json_file;
  std::string csv_dir;
  std::string dump_dir;
  std::optional<int> seq_len;
  std::optional<std::uint64_t> seed;
  std::optional<int> layers;
  std::optional<int> batch;
  std::optional<int> decode;
  std::vector<int> modes;
  std::optional<std::string> schedule;
  bool no_other_schedule = false;
  std::string schedule_summary;
  bool no_layer = false;
  bool no_model = false;
  int threads = 0;
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
  run->add_option("--csv", o.csv_dir, "Also write every table of the report as CSV into DIR (one file per table)");
  run->add_option("--dump", o.dump_dir, "Write every tensor of the golden layers as .npy, with manifest.json, to DIR");
  run->add_option("--seq-len", o.seq_len, "Override run.seq_len")->check(CLI::Range(1, 1 << 20));
  run->add_option("--seed", o.seed, "Override run.seed");
  run->add_option("--layers", o.layers,
                  "Override run.layers: golden layers evaluated, and layers the SystemC model chains (whole-model "
                  "figures scaled by n_layer / layers)")
      ->check(CLI::Range(1, 1024));
  run->add_option("--batch", o.batch, "Override run.batch: sequences (the SystemC model's batch, sharing the weights)")
      ->check(CLI::Range(1, 1024));
  run->add_option("--decode", o.decode, "Override run.decode: decode steps after the prompt (SystemC model)")
      ->check(CLI::Range(0, 1 << 16));
  run->add_option("--modes", o.modes, "Override run.modes: SSM-input modes 0 int8, 1 fp32, 2 fp32 on the int8 grid, "
                                      "3 dual scale")->delimiter(',')->check(CLI::Range(0, 3));
  run->add_option("--schedule", o.schedule, "Override hardware.schedule (the other one is reported beside it)")
      ->check(CLI::IsMember(enum_names<Schedule>()));
  run->add_flag("--no-other-schedule", o.no_other_schedule,
                "Do not run the other hardware.schedule (a second SystemC run in a process of its own)");
  run->add_option("--schedule-summary", o.schedule_summary,
                  "Run only the SystemC model and write its schedule summary as JSON to FILE, printing nothing (what "
                  "run starts for the other schedule)");
  run->add_flag("--no-layer", o.no_layer, "Skip the golden layer accuracy report");
  run->add_flag("--no-model", o.no_model, "Skip the SystemC model with the RTL in the loop");
  run->add_option("--tech", o.tech, "Technology table(s) for the energy and area estimate")->capture_default_str();
  add_threads_option(*run, o.threads);
  run->callback([opts, &exit_code] { exit_code = run_command(*opts); });
}

namespace {

void print_header(const Config& c) {
  const ModelShape& m = c.model;
  fmt::print("mambahw {} (git {}): {}\n", kVersion, kGitCommit, c.file);
  fmt::print("model   {} ({}; d_model {}, d_inner {}, d_state {}, conv width {}, {} layers)\n", m.name,
             to_string(m.arch), m.d_model, m.d_inner, m.d_state, m.d_conv, m.n_layer);
  const UnitSelection& un = c.scheme.numerics.units;
  fmt::print("scheme  {} (the accelerator's scheme; numerics: {}, {}, {}, denormals {}{})\n",
             c.scheme.name, to_string(c.scheme.numerics.rounding),
             to_string(c.scheme.numerics.quantize_op), to_string(c.scheme.numerics.overflow),
             to_string(c.scheme.numerics.denormals),
             un == UnitSelection{} ? std::string()
                                   : fmt::format("; units exp {}, log1p {}, reciprocal {}", to_string(un.exp),
                                                 to_string(un.log1p), to_string(un.reciprocal)));
}

void print_study(const Config& c, const ConvOutStudy& st, const report::Node& study) {
  const ModelShape& m = c.model;
  for (const SchemeStudy& r : st.schemes) {
    if (r.source == "synthetic conv layer")
      fmt::print("inputs  {}: synthetic conv layer, seed {}: {} x {} tokens evaluated; calibration {} x {} tokens "
                 "(separate stream)\n",
                 r.scheme.name, st.inputs.seed, st.inputs.batch, st.inputs.seq_len, st.inputs.calib_batches,
                 st.inputs.calib_seq_len);
    else
      fmt::print("inputs  {}: the conv outputs of {} of the golden layer run ({} tokens, its own quantizer)\n",
                 r.scheme.name, r.source, r.elements / std::max(1, m.d_inner));
  }
  fmt::print("\n");
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
  const report::Table& t = study.at("schemes").table();
  fmt::print("{}", report::text_row(t, nullptr, 0));
  const std::size_t skipped = t.column("skipped_reason"), uncovered = t.column("uncovered_channels");
  for (const auto& row : t.rows) {
    if (const auto* why = std::get_if<std::string>(&row[skipped])) {
      fmt::print("{:<15} skipped: {}\n", std::get<std::string>(row[0]), *why);
      continue;
    }
    fmt::print("{}", report::text_row(t, &row, 0));
    if (const std::int64_t n = std::get<std::int64_t>(row[uncovered]))
      fmt::print("{:<15} warning: {} channels not covered by any scale range\n", "", n);
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


void print_layer_accuracy(const Config& c, const std::vector<LayerAccuracy>& layers,
                          const std::vector<report::Node>& reports) {
  const LayerNumerics& p = c.scheme.layer;
  fmt::print("\nGolden layer: {} under {} (weights {}{}, GEMM requant {} {}, softplus threshold {}, scan {}, y = C.h {}, {}); "
             "{} tokens, calibration {} x {}\n",
             c.model.name, c.scheme.name, to_string(weight_precision(c.scheme)),
             p.weight_group ? fmt::format(" groups of {}", p.weight_group) : std::string(" per channel"),
             to_string(p.gemm_requant), to_string(p.gemm_rounding), p.softplus_threshold ? "on" : "off",
             to_string(p.scan_order), to_string(p.state_reduction), hadamard_text(c.model, c.scheme), c.run.seq_len,
             c.run.calib_batches,
             c.run.calib_seq_len);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerAccuracy& a = layers[i];
    const report::Node& n = reports[i];
    fmt::print("layer {}  (dual-scale format for mode 3: scale1 {:.4g}, scale2 {:.4g})\n", a.layer, a.dual_scale1,
               a.dual_scale2);
    fmt::print("{}", report::to_text(n.at("modes").table(), 2));
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


// Per tensor, the DRAM bytes of one layer pass under the scheme's INT8 and
// W4A5-SE twins (the same scheme with ssm_input int8 / dual_scale), as the
// layer program moves them: where the packed SSM input saves traffic and
// where it adds some (Mamba1 keeps the INT8 codes for x_proj).
report::Node traffic_delta(const Config& c) {
  QuantScheme int8 = c.scheme, se = c.scheme;
  int8.ssm_input = SsmInputFormat::kInt8;
  se.ssm_input = SsmInputFormat::kDualScale;
  const std::int64_t L = c.run.seq_len;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by;  // tensor -> (INT8, W4A5-SE) bytes
  std::vector<std::string> order;
  auto add = [&](const std::vector<cost::TensorTraffic>& v, bool second) {
    for (const auto& t : v) {
      if (!by.count(t.tensor)) order.push_back(t.tensor);
      (second ? by[t.tensor].second : by[t.tensor].first) += t.read_bytes + t.write_bytes;
    }
  };
  add(cost::program_traffic(layer_program(c.model, int8), L), false);
  add(cost::program_traffic(layer_program(c.model, se), L), true);
  using report::Column;
  report::Table t;
  t.columns = {Column{"tensor", "tensor", "{}", -10}, Column{"int8_bytes", "INT8", "{}", 12},
               Column{"w4a5se_bytes", "W4A5-SE", "{}", 12}, Column{"delta_bytes", "delta", "{:+}", 12},
               Column{"effect", "", "{}", 0}};
  std::int64_t ta = 0, tb = 0;
  for (const std::string& name : order) {
    const auto [x, y] = by[name];
    ta += x;
    tb += y;
    if (x != y) t.add({name, x, y, y - x, std::string(y < x ? "saves" : "adds")});
  }
  t.add({std::string("total"), ta, tb, tb - ta, std::string()});
  report::Node n = report::Node::object();
  n.add("ssm_input_bits", report::Cell{std::int64_t{ssm_input_bits(se)}});
  n.add("tokens", report::Cell{L});
  n.add("tensors", std::move(t));
  n.add("delta_fraction", report::Cell{ta ? static_cast<double>(tb - ta) / static_cast<double>(ta) : 0.0});
  return n;
}

void print_traffic_delta(const report::Node& n) {
  fmt::print("\nW4A5-SE ({}-bit words) vs its INT8 twin, DRAM bytes per layer pass of {} tokens as the layer program "
             "moves them (reads + writes; delta {:+.2f}% of the layer's traffic):\n",
             std::get<std::int64_t>(n.at("ssm_input_bits").cell()), std::get<std::int64_t>(n.at("tokens").cell()),
             100 * std::get<double>(n.at("delta_fraction").cell()));
  fmt::print("{}", report::to_text(n.at("tensors").table(), 4));
}

// The roofline of the layer program: one row per op.
report::Node roofline_report(const cost::Roofline& roof) {
  using report::Column;
  report::Table t;
  t.columns = {Column{"op", "op", "{}", -22}, Column{"unit", "unit", "{}", -18},
               Column{"compute_cycles", "compute", "{:.0f}", 10}, Column{"memory_cycles", "DRAM", "{:.0f}", 10},
               Column{"bytes", "bytes", "{:.0f}", 10}};
  for (const auto& op : roof.ops)
    t.add({op.op, std::string(to_string(op.unit)), op.compute_cycles, op.memory_cycles, op.bytes});
  report::Node n = report::Node::object();
  n.add("cycles", report::Cell{roof.cycles});
  n.add("latency_ns", report::Cell{roof.latency_ns});
  n.add("ops", std::move(t));
  return n;
}

// The scheme's exp, log1p and reciprocal units' accuracy on a sample of their
// domains (`mambahw units --exhaustive` measures every input).
constexpr std::uint64_t kRunUnitStride = 9973;

report::Node unit_accuracy_report(const UnitSelection& u) {
  using report::Column;
  report::Table t;
  t.columns = {Column{"function", ""}, Column{"variant", ""}, Column{"stride", ""}, Column{"inputs", ""},
               Column{"max_ulp", ""}, Column{"correctly_rounded", ""}};
  std::string line;
  for (UnitFunction f : {UnitFunction::kExp, UnitFunction::kLog1p, UnitFunction::kReciprocal}) {
    const UnitAccuracy a = unit_accuracy(f, u, kRunUnitStride);
    const std::string v = f == UnitFunction::kExp     ? to_string(u.exp)
                          : f == UnitFunction::kLog1p ? to_string(u.log1p)
                                                      : to_string(u.reciprocal);
    line += fmt::format("{}{} {} {:.4g} ulp, {:.2f}% correctly rounded", line.empty() ? "" : "; ", to_string(f), v,
                        a.max_ulp, 100 * a.correctly_rounded);
    t.add({std::string(to_string(f)), v, static_cast<std::int64_t>(kRunUnitStride), static_cast<std::int64_t>(a.inputs),
           a.max_ulp, a.correctly_rounded});
  }
  fmt::print("Units (numerics.*_unit; max error vs libm over one FP32 input in {} of each domain, mambahw units "
             "--exhaustive for all): {}\n",
             kRunUnitStride, line);
  return report::Node(std::move(t));
}

// The other schedule's run (docs/architecture.md, "Schedules"): the same
// config and inputs as the run that started it, the SystemC model only.
int schedule_summary_run(const Config& c, const RunOptions& o) {
  if (!model_runner()) throw std::runtime_error("--schedule-summary: this build has no SystemC model");
  // A test hook: the failure of this run must reach the report as "not run".
  if (std::getenv("MAMBAHW_FAIL_SCHEDULE_RUN"))
    throw std::runtime_error("failing on purpose: MAMBAHW_FAIL_SCHEDULE_RUN is set");
  ModelRunOptions mo;
  mo.summary_file = o.schedule_summary;
  (void)model_runner()(c, o.tech, nullptr, mo);
  return 0;
}

// What the other schedule's run is given: the config and every setting the
// command line may have changed, as this run resolved them.
std::vector<std::string> other_schedule_args(const Config& c, const RunOptions& o) {
  std::vector<std::string> a{resolve_config(o.config).string(), "--seq-len", std::to_string(c.run.seq_len),
                             "--seed", std::to_string(c.run.seed), "--layers", std::to_string(c.run.layers),
                             "--batch", std::to_string(c.run.batch), "--decode", std::to_string(c.run.decode),
                             "--threads", std::to_string(o.threads)};
  for (const std::string& t : o.tech) {
    a.emplace_back("--tech");
    a.push_back(t);
  }
  return a;
}

int run_command(const RunOptions& o) {
  try {
    use_threads(o.threads);
    Config c = load_config(resolve_config(o.config));
    // Every technology table is loaded and validated before any work (with
    // --no-model too: a wrong --tech is an error, not silently unused).
    for (const std::string& t : o.tech) (void)load_tech(resolve_config(t));
    if (o.seq_len) c.run.seq_len = *o.seq_len;
    if (o.seed) c.run.seed = *o.seed;
    if (o.layers) c.run.layers = *o.layers;
    if (o.batch) c.run.batch = *o.batch;
    if (o.decode) c.run.decode = *o.decode;
    if (o.schedule) c.hardware.schedule = *parse_enum<Schedule>(*o.schedule);
    if (!o.modes.empty()) {
      c.run.modes.clear();
      for (int md : o.modes) c.run.modes.push_back(static_cast<SsmInputMode>(md));
    }
    check_memory_budget(c);  // again: the command line may have raised seq_len
    if (!o.dump_dir.empty() && o.no_layer) throw ConfigError("--dump writes the golden layers' tensors; it cannot go with --no-layer");
    const interop::RunSources sources(c);  // weights: and activations: (synthetic by default)
    if (const auto tokens = sources.input_tokens(); tokens && !o.seq_len) c.run.seq_len = *tokens;
    // Every tile must fit the buffers at the tokens the run holds (seq_len
    // per sequence, the GEMMs over batch x seq_len): a config error before
    // any layer runs.
    try {
      cost::check_capacities(layer_program(c.model, c.scheme), c.hardware, c.run.seq_len, c.run.batch);
    } catch (const cost::CapacityError& e) {
      throw ConfigError(fmt::format("{}: hardware.{}", c.file, e.what()));
    }
    if (!o.schedule_summary.empty()) return schedule_summary_run(c, o);
    print_header(c);
    std::vector<QuantScheme> schemes = c.study.empty() ? std::vector{c.scheme} : c.study;
    // The run's scheme is studied on the first layer's own conv outputs (computed once, by the layer run); the
    // other study schemes, and a run without the layer, on the synthetic conv layer.
    std::optional<SchemeStudy> layer_study;
    const auto observe_study = [&](const LayerCase& lc, int li, std::optional<SsmInputMode> md, const LayerTrace& tr) {
      if (!md || layer_study) return;  // the conv outputs are the same in every SSM-input mode
      const std::array<ConvOutputs, 1> b{ConvOutputs{tr.conv_y, tr.conv_codes}};
      layer_study = study_conv_outputs(c.scheme, c.model, lc.q.conv_out, b, fmt::format("layer {}", li));
    };
    ConvOutStudy st;
    report::Node study;
    const auto finish_study = [&] {
      std::vector<QuantScheme> synthetic;
      for (const QuantScheme& s : schemes)
        if (!layer_study || s.name != c.scheme.name) synthetic.push_back(s);
      st = run_conv_out_study(c.model, synthetic, c.run);
      if (layer_study) {
        std::vector<SchemeStudy> all;
        auto next = st.schemes.begin();
        for (const QuantScheme& s : schemes) all.push_back(s.name == c.scheme.name ? *layer_study : *next++);
        st.schemes = std::move(all);
      }
      study = study_report(st);
      print_study(c, st, study);
    };
    if (o.no_layer) finish_study();
    std::vector<LayerAccuracy> layers;
    std::vector<report::Node> layer_reports;
    report::Node unit_report;
    const bool with_model = !o.no_model && model_runner();
    LayerKeeper keep(accelerator_mode(c.scheme));  // what the co-simulation shares with the accuracy report
    if (!o.no_layer) {
      std::optional<interop::DumpWriter> dump;
      if (!o.dump_dir.empty()) dump.emplace(o.dump_dir, dump_header(c));
      layers = layer_accuracy(c.model, c.scheme, sources.layer_sources(), c.run,
                              [&](const LayerCase& lc, int li, std::optional<SsmInputMode> md, const LayerTrace& tr) {
                                observe_study(lc, li, md, tr);
                                if (dump) dump->observe(c.model, lc, li, md, tr);
                                if (with_model) keep.observe(lc.q, lc.input, li, md, tr);
                              });
      finish_study();
      for (const LayerAccuracy& a : layers) layer_reports.push_back(layer_report(a));
      print_layer_accuracy(c, layers, layer_reports);
      if (c.weights.tensors || c.activations.tensors) fmt::print("Layer data: {}\n", sources.describe(c));
      if (dump) {
        dump->finish();
        fmt::print("wrote {} tensors and manifest.json to {}\n", dump->count(), o.dump_dir);
      }
      unit_report = unit_accuracy_report(c.scheme.numerics.units);
    }
    const LayerProgram program = layer_program(c.model, c.scheme);
    const cost::Roofline roof = cost::roofline(program, c.hardware, c.run.seq_len);
    fmt::print("\nAnalytic roofline (no SystemC; max(compute, DRAM) per layer-program op): {:.0f} cycles = {:.1f} us at "
               "{} MHz\n",
               roof.cycles, roof.latency_ns / 1000, c.hardware.clock_mhz);
    const report::Node roof_report = roofline_report(roof);
    fmt::print("{}", report::to_text(roof_report.at("ops").table(), 4));
    const report::Node traffic = traffic_delta(c);
    print_traffic_delta(traffic);
    std::optional<ModelOutcome> model;
    if (with_model) {
      ModelRunOptions mo;
      mo.other_schedule = !o.no_other_schedule;
      mo.no_other_reason = "--no-other-schedule";
      if (mo.other_schedule) mo.other_args = other_schedule_args(c, o);
      model = model_runner()(c, o.tech, keep.shared(), mo);
    }
    // The whole run as one tree: the JSON file and the CSV tables are renderings of it.
    report::Node root = report::Node::object();
    for (const auto& [k, v] : std::vector<std::pair<const char*, std::string>>{
             {"tool", "mambahw"}, {"version", std::string(kVersion)}, {"git_commit", std::string(kGitCommit)}, {"config", c.file},
             {"scheme", c.scheme.name}})
      root.add(k, report::Cell{v});
    root.add("conv_out_study", study);
    const std::optional<HadamardQuantPolicy> hp = hadamard_policy(c.scheme);
    report::Node& had = root.add("out_proj_hadamard", hp ? report::Node::object() : report::Node(report::Cell{}));
    if (hp) {
      had.add("transform", report::Cell{hadamard_shape(c.model)});
      had.add("rounding", report::Cell{std::string(to_string(hp->rounding))});
      had.add("overflow", report::Cell{std::string(to_string(hp->overflow))});
    }
    report::Node& layer_list = root.add("layers", report::Node::list());
    for (const report::Node& n : layer_reports) layer_list.push(n);
    if (!o.no_layer) root.add("units", unit_report);
    root.add("roofline", roof_report);
    root.add("w4a5se_traffic", traffic);
    if (model)
      for (const auto& [k, v] : std::get<report::Object>(model->tree.value)) root.add(k, v);
    if (!o.json_file.empty()) {
      write_json_file(o.json_file, report::to_json(root));
      fmt::print("wrote {}\n", o.json_file);
    }
    if (!o.csv_dir.empty()) {
      std::filesystem::create_directories(o.csv_dir);
      const auto tables = report::csv_tables(root);
      for (const auto& [name, csv] : tables) write_text_file((std::filesystem::path(o.csv_dir) / (name + ".csv")).string(), csv);
      fmt::print("wrote {} CSV tables to {}\n", tables.size(), o.csv_dir);
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
