// mambahw sweep: a design-space sweep over config fields (docs/sweep.md).
// The parent expands the spec, skips points whose result is cached under
// their config hash, runs the rest on worker processes (this executable with
// --worker) locally or as a Slurm job array, then merges every point's file
// into one report tree: results.json, results.csv and, with --html, a page.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/config/parse.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/golden/layer_program.hpp"
#include "mambahw/golden/threads.hpp"
#include "mambahw/interop/sources.hpp"
#include "mambahw/report/report.hpp"
#include "mambahw/studies/conv_out_study.hpp"
#include "mambahw/studies/layer_accuracy.hpp"
#include "mambahw/sweep/html.hpp"
#include "mambahw/sweep/rtl_sweep.hpp"
#include "mambahw/sweep/runner.hpp"
#include "mambahw/sweep/slurm.hpp"
#include "mambahw/sweep/spec.hpp"
#include "mambahw/version.hpp"

namespace mambahw::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using report::Cell;
using report::Column;
using report::Node;
using sweep::Mode;

struct SweepOptions {
  std::string spec;
  std::string results;
  std::string html;
  bool analytic = false;
  int jobs = 0;
  int threads = 0;  // golden threads per worker (0: the cores / jobs)
  bool force = false;
  bool list = false;
  bool merge_only = false;
  bool slurm = false;
  int shards = 0;
  std::vector<std::string> sbatch_args;
  std::string sbatch = "sbatch";
  // Internal: a worker (--worker --points) or a Slurm task (--shard K/S).
  bool worker = false;
  std::vector<int> points;
  std::string shard;
};

double frac(std::int64_t a, std::int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

double num(const Node& n, const std::string& key) {
  const Cell& c = n.at(key).cell();
  if (const auto* d = std::get_if<double>(&c)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&c)) return static_cast<double>(*i);
  return NAN;
}

// ---- one point -------------------------------------------------------------------

// Everything one point reports. The metrics are the merged table's columns;
// the breakdowns feed the per-unit and per-op plots.
json evaluate(const Config& c, const fs::path& tech_file, Mode mode) {
  const TechTable tech = load_tech(tech_file);
  json m = json::object();
  m["tech"] = tech.name;
  m["mode"] = mode == Mode::kAnalytic ? "analytic" : "full";
  // The conv-output study of the accelerator's scheme alone: SQNR of the SSM
  // input, INT8 saturation, dual-scale flags.
  const ConvOutStudy st = run_conv_out_study(c.model, {c.scheme}, c.run);
  const SchemeStudy& s = st.schemes.front();
  if (!s.skipped.empty()) throw std::runtime_error(s.skipped);
  m["ssm_input_bits"] = s.ssm_input_bits;
  m["sqnr_ssm_input_db"] = number(s.ssm_input_error.sqnr_db);
  m["sqnr_int8_db"] = number(s.int8_error.sqnr_db);
  m["saturated_fraction"] = frac(s.int8_saturated, s.int8_elements);
  m["flagged_fraction"] = s.quantizer.dual ? json(frac(s.flagged, s.elements)) : json(nullptr);
  const LayerProgram program = layer_program(c.model, c.scheme);
  const cost::Roofline roof = cost::roofline(program, c.hardware, c.run.seq_len);
  m["roofline_cycles"] = roof.cycles;
  json ops = json::array();
  Node costs;
  double dram_bytes = 0;
  if (mode == Mode::kAnalytic) {
    m["cycles"] = roof.cycles;
    m["cycles_source"] = "roofline";
    m["latency_us"] = roof.latency_ns / 1000;
    for (const auto& op : roof.ops) ops.push_back({{"op", op.op}, {"unit", to_string(op.unit)}, {"cycles", op.cycles()}});
    for (const auto& t : cost::program_traffic(program, c.run.seq_len))
      dram_bytes += static_cast<double>(t.read_bytes + t.write_bytes);
    costs = cost_report(c, program, cost::program_events(program, c.run.seq_len), roof.latency_ns, tech);
  } else {
    // Golden layer accuracy per SSM-input mode, then the SystemC model with the RTL in the loop.
    const interop::RunSources sources(c);
    LayerKeeper keep(accelerator_mode(c.scheme));  // the co-simulation shares layer 0 and its golden trace
    const std::vector<LayerAccuracy> layers =
        layer_accuracy(c.model, c.scheme, sources.layer_sources(), c.run,
                       [&](const LayerCase& lc, int li, std::optional<SsmInputMode> md, const LayerTrace& tr) {
                         keep.observe(lc.q, lc.input, li, md, tr);
                       });
    for (const ModeAccuracy& a : layers.front().modes) {
      const int k = static_cast<int>(a.mode);
      m[fmt::format("sqnr_out_db_mode{}", k)] = number(a.out_error.sqnr_db);
      m[fmt::format("saturated_fraction_mode{}", k)] = a.saturated_fraction;
      m[fmt::format("flagged_fraction_mode{}", k)] = a.flagged_fraction;
    }
    if (!model_runner()) throw std::runtime_error("this build has no SystemC model; use --analytic");
    // A point runs its own schedule only (the config says which).
    const ModelOutcome mo = model_runner()(c, {tech_file.string()}, keep.shared(), ModelRunOptions{});
    if (!mo.bit_exact) throw std::runtime_error("the SystemC model differs from the golden model: " + mo.failure);
    m["cycles"] = num(mo.tree, "cycles");
    m["cycles_source"] = "systemc";
    m["latency_us"] = num(mo.tree, "latency_ns") / 1000;
    const Node& model = mo.tree.at("model");
    dram_bytes = num(model, "dram_read_bytes") + num(model, "dram_write_bytes");
    const report::Table& t = model.at("ops").table();
    for (const auto& row : t.rows)
      ops.push_back({{"op", std::get<std::string>(row[t.column("op")])},
                     {"unit", std::get<std::string>(row[t.column("unit")])},
                     {"cycles", std::get<std::int64_t>(row[t.column("cycles")])}});
    costs = std::get<report::List>(mo.tree.at("cost").value).front();
  }
  m["dram_mb"] = dram_bytes / 1e6;
  m["energy_uj_per_layer"] = num(costs, "energy_pj_per_layer") / 1e6;
  m["energy_nj_per_token"] = num(costs, "energy_pj_per_token") / 1e3;
  m["energy_nj_per_token_model"] = num(costs, "energy_pj_per_token") / 1e3 * c.model.n_layer;
  m["area_mm2"] = num(costs, "area_mm2");
  // The accuracy a Pareto front trades: the golden layer's output SQNR in
  // the scheme's own SSM-input mode (full), else the SSM input's (analytic).
  const int own_mode = c.scheme.ssm_input == SsmInputFormat::kDualScale ? 3 : 0;
  const std::string own = fmt::format("sqnr_out_db_mode{}", own_mode);
  m["sqnr_db"] = m.contains(own) ? m[own] : m["sqnr_ssm_input_db"];
  m["sqnr_source"] = m.contains(own) ? fmt::format("layer output, mode {}", own_mode) : "SSM input (conv-output study)";
  // The scale index as this scheme organises it (mambahw compare's study).
  const cost::IndexScheme is = cost::index_scheme_of(c.scheme, c.hardware);
  const cost::IndexStudyRow ir = cost::index_study(c.model, is, tech, c.hardware.clock_mhz, c.run.seq_len);
  m["index_scheme"] = is.name;
  m["index_bits_per_layer"] = ir.bits_per_layer_minimal;
  m["index_area_mm2"] = ir.area_mm2;
  m["index_pj_per_lookup"] = ir.energy_pj_per_lookup;
  m["index_nj_per_token"] = ir.energy_pj_per_token / 1e3;
  json energy = json::object();
  for (const auto& [k, v] : std::get<report::Object>(costs.at("energy_pj_by_category").value))
    energy[k] = std::get<double>(v.cell());
  json area = json::array();
  for (const auto& row : costs.at("area_items").table().rows)
    area.push_back({{"unit", std::get<std::string>(row[0])}, {"mm2", std::get<double>(row[1])}});
  return {{"metrics", m}, {"energy_pj_by_category", energy}, {"area_mm2_by_unit", area}, {"op_cycles", ops}};
}

json point_header(const sweep::SweepPoint& p, const std::string& hash) {
  json values = json::object();
  for (const auto& [path, v] : p.values) values[path] = sweep::value_text(v.value);
  return {{"format", sweep::kPointFormat}, {"hash", hash}, {"index", p.index}, {"values", values},
          {"tool", "mambahw"}, {"version", kVersion}, {"git_commit", kGitCommit}};
}

struct Prepared {
  sweep::SweepSpec spec;
  std::vector<sweep::SweepPoint> points;
  std::vector<std::string> hash;       // "" where the config did not load
  std::vector<std::string> load_error;
  Mode mode = Mode::kFull;
  fs::path results;
};

// `only`: the points a worker evaluates (the others are not loaded).
Prepared prepare(const SweepOptions& o, const std::vector<int>* only = nullptr) {
  Prepared p;
  p.spec = sweep::load_spec(resolve_config(o.spec));
  p.points = sweep::expand(p.spec);
  p.mode = o.analytic ? Mode::kAnalytic : p.spec.mode;
  p.results = o.results.empty() ? fs::path(p.spec.name + ".sweep") : fs::path(o.results);
  for (const sweep::SweepPoint& pt : p.points) {
    if (only && std::find(only->begin(), only->end(), pt.index) == only->end()) {
      p.hash.emplace_back();
      p.load_error.emplace_back();
      continue;
    }
    try {
      const Config c = sweep::load_point(p.spec, pt);
      p.hash.push_back(sweep::point_hash(p.spec, pt, c, p.mode));
      p.load_error.emplace_back();
    } catch (const std::exception& e) {  // a combination of valid values that does not go together
      p.hash.emplace_back();
      p.load_error.emplace_back(e.what());
    }
  }
  return p;
}


// ---- the merged report -------------------------------------------------------------

struct Metric {
  const char* key;
  const char* heading;
  const char* format;
  int width;
};
// The merged table's result columns, in order; "" heading: JSON and CSV only.
constexpr Metric kMetrics[] = {
    {"tech", "tech", "{}", -14},
    {"cycles", "cycles", "{:.0f}", 10},
    {"cycles_source", "", "{}", 0},
    {"roofline_cycles", "", "{:.0f}", 0},
    {"latency_us", "latency us", "{:.1f}", 10},
    {"energy_nj_per_token", "nJ/tok/layer", "{:.4g}", 12},
    {"energy_uj_per_layer", "", "{}", 0},
    {"energy_nj_per_token_model", "", "{}", 0},
    {"area_mm2", "mm2", "{:.4g}", 8},
    {"index_scheme", "", "{}", 0},
    {"index_bits_per_layer", "idx bits", "{:.0f}", 8},
    {"index_area_mm2", "idx mm2", "{:.3g}", 8},
    {"index_pj_per_lookup", "pJ/lookup", "{:.3g}", 9},
    {"index_nj_per_token", "", "{}", 0},
    {"dram_mb", "DRAM MB", "{:.3f}", 8},
    {"ssm_input_bits", "", "{}", 0},
    {"sqnr_ssm_input_db", "SQNR SSM-in", "{:.2f}", 11},
    {"sqnr_int8_db", "", "{}", 0},
    {"saturated_fraction", "saturated", "{:.5f}", 9},
    {"flagged_fraction", "flagged", "{:.5f}", 8},
    {"sqnr_out_db_mode0", "", "{}", 0},
    {"sqnr_out_db_mode1", "", "{}", 0},
    {"sqnr_out_db_mode2", "", "{}", 0},
    {"sqnr_out_db_mode3", "", "{}", 0},
    {"saturated_fraction_mode0", "", "{}", 0},
    {"flagged_fraction_mode3", "", "{}", 0},
    {"sqnr_db", "SQNR dB", "{:.2f}", 8},
    {"sqnr_source", "", "{}", 0},
};

Cell to_cell(const json& v, bool as_double) {
  if (v.is_null()) return Cell{};
  if (v.is_boolean()) return Cell{v.get<bool>()};
  if (v.is_number_integer()) return as_double ? Cell{v.get<double>()} : Cell{v.get<std::int64_t>()};
  if (v.is_number()) return Cell{v.get<double>()};
  if (v.is_string()) return Cell{v.get<std::string>()};
  return Cell{v.dump()};
}

bool float_format(const char* f) { return std::string(f).find('f') != std::string::npos || std::string(f).find('g') != std::string::npos; }

// An axis value as a cell: the number or text the spec gave.
Cell value_cell(const YAML::Node& v) {
  if (!v.IsScalar()) return Cell{sweep::value_text(v)};
  const std::string t = v.Scalar();
  std::int64_t i = 0;
  double d = 0;
  const char* b = t.data();
  const char* e = t.data() + t.size();
  if (auto [q, ec] = std::from_chars(b, e, i); ec == std::errc() && q == e) return Cell{i};
  if (auto [q, ec] = std::from_chars(b, e, d); ec == std::errc() && q == e) return Cell{d};
  if (t == "true" || t == "false") return Cell{t == "true"};
  return Cell{t};
}

// Marks the points no other ok point priced by the same technology table
// dominates in (area, energy per token: lower is better; SQNR: higher is
// better). Points of different tables are not compared: a table's process
// node moves every point's area and energy at once, so one front across
// tables would hold only the cheaper table's points.
void mark_pareto(report::Table& t, const std::string& tech_column) {
  const std::size_t st = t.column("status"), a = t.column("area_mm2"), e = t.column("energy_nj_per_token"),
                    q = t.column("sqnr_db"), pf = t.column("pareto"), tc = t.column(tech_column);
  auto val = [](const Cell& c) {
    if (const auto* d = std::get_if<double>(&c)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&c)) return static_cast<double>(*i);
    return std::numeric_limits<double>::quiet_NaN();
  };
  for (auto& r : t.rows) {
    if (std::get<std::string>(r[st]) != "ok") continue;
    const double ra = val(r[a]), re = val(r[e]), rq = std::isnan(val(r[q])) ? INFINITY : val(r[q]);
    bool dominated = false;
    for (const auto& o : t.rows) {
      if (&o == &r || std::get<std::string>(o[st]) != "ok" || o[tc] != r[tc]) continue;
      const double oa = val(o[a]), oe = val(o[e]), oq = std::isnan(val(o[q])) ? INFINITY : val(o[q]);
      if (oa <= ra && oe <= re && oq >= rq && (oa < ra || oe < re || oq > rq)) dominated = true;
    }
    r[pf] = Cell{!dominated};
  }
}

Node merge(const Prepared& p) {
  report::Table t;
  t.columns.push_back(Column{"point", "point", "{}", 5});
  for (const sweep::GridAxis& a : p.spec.grid) t.columns.push_back(Column{a.path, a.path, "{}", -std::max(8, static_cast<int>(a.path.size()))});
  for (const sweep::RandomAxis& a : p.spec.random) t.columns.push_back(Column{a.path, a.path, "{}", -std::max(8, static_cast<int>(a.path.size()))});
  // The tech axis is a column of its own already when it is one.
  const bool tech_axis = std::any_of(p.spec.grid.begin(), p.spec.grid.end(), [](const auto& a) { return a.path == sweep::kTechAxis; });
  t.columns.push_back(Column{"status", "status", "{}", -6});
  for (const Metric& m : kMetrics) {
    const bool is_tech = std::string(m.key) == "tech";
    t.columns.push_back(Column{is_tech && tech_axis ? "tech_name" : m.key, is_tech && tech_axis ? "" : m.heading, m.format, m.width});
  }
  t.columns.push_back(Column{"pareto", "pareto", "{}", 6});
  t.columns.push_back(Column{"hash", ""});
  t.columns.push_back(Column{"error", "error", "{}", 0});
  report::Table energy, area, ops;
  energy.columns = {Column{"point", ""}, Column{"category", ""}, Column{"pj_per_layer", ""}};
  area.columns = {Column{"point", ""}, Column{"unit", ""}, Column{"mm2", ""}};
  ops.columns = {Column{"point", ""}, Column{"op", ""}, Column{"unit", ""}, Column{"cycles", ""}};
  for (std::size_t i = 0; i < p.points.size(); ++i) {
    const sweep::SweepPoint& pt = p.points[i];
    std::vector<Cell> row{std::int64_t{pt.index}};
    for (const auto& [path, v] : pt.values) row.push_back(path == sweep::kTechAxis ? Cell{fs::path(v.value.Scalar()).stem().string()} : value_cell(v.value));
    std::string status = "error", error = p.load_error[i];
    json r;
    if (error.empty()) {
      std::ifstream in(sweep::point_file(p.results, p.hash[i]));
      r = in ? json::parse(in, nullptr, false) : json();
      if (r.is_discarded() || !r.is_object() || r.value("hash", "") != p.hash[i]) error = "no result: the point did not run or left no readable file";
      else if (r.value("status", "") != "ok") error = r.value("error", "unknown error");
      else status = "ok";
    }
    row.push_back(Cell{status});
    for (const Metric& m : kMetrics) {
      const json& metrics = status == "ok" ? r["metrics"] : json::object();
      row.push_back(metrics.contains(m.key) ? to_cell(metrics[m.key], float_format(m.format)) : Cell{});
    }
    row.push_back(Cell{});  // pareto, marked below
    row.push_back(p.hash[i].empty() ? Cell{} : Cell{p.hash[i]});
    row.push_back(error.empty() ? Cell{} : Cell{error});
    t.add(std::move(row));
    if (status != "ok") continue;
    const std::int64_t idx = pt.index;
    for (const auto& [k, v] : r["energy_pj_by_category"].items()) energy.add({idx, k, v.get<double>()});
    for (const json& a : r["area_mm2_by_unit"]) area.add({idx, a["unit"].get<std::string>(), a["mm2"].get<double>()});
    for (const json& o : r["op_cycles"]) ops.add({idx, o["op"].get<std::string>(), o["unit"].get<std::string>(), o["cycles"].get<double>()});
  }
  mark_pareto(t, tech_axis ? "tech_name" : "tech");
  // The index-SRAM study of every scheme organisation under each table the
  // sweep prices with, for the base config's model (mambahw compare's rows).
  report::Table index;
  index.columns = {Column{"tech", ""}, Column{"scheme", ""}, Column{"groups", ""}, Column{"bits_per_layer", ""},
                   Column{"area_mm2", ""}, Column{"energy_pj_per_lookup", ""}, Column{"nj_per_token", ""},
                   Column{"lookup_latency_cycles", ""}};
  std::set<std::string> techs;
  for (const sweep::SweepPoint& pt : p.points) techs.insert(pt.tech.string());
  const Config base = load_config(p.spec.config);
  for (const std::string& tf : techs) {
    const TechTable tt = load_tech(tf);
    for (const cost::IndexScheme& s : cost::default_index_schemes()) {
      const cost::IndexStudyRow r = cost::index_study(base.model, s, tt, base.hardware.clock_mhz, base.run.seq_len);
      index.add({tt.name, r.scheme, fmt::format("{}x{}x{}", r.ssm_groups, r.head_groups, r.dim_groups),
                 r.bits_per_layer_minimal, r.area_mm2, r.energy_pj_per_lookup, r.energy_pj_per_token / 1e3,
                 std::int64_t{r.lookup_latency_cycles}});
    }
  }
  Node root = Node::object();
  for (const auto& [k, v] : std::vector<std::pair<const char*, std::string>>{
           {"tool", "mambahw"}, {"version", kVersion}, {"git_commit", kGitCommit}, {"sweep", p.spec.name},
           {"description", p.spec.description}, {"spec", p.spec.file}, {"config", p.spec.config.string()},
           {"model", base.model.name}, {"mode", p.mode == Mode::kAnalytic ? "analytic" : "full"}})
    root.add(k, Cell{v});
  report::TextList axes;
  for (const sweep::GridAxis& a : p.spec.grid) axes.push_back(a.path);
  for (const sweep::RandomAxis& a : p.spec.random) axes.push_back(a.path);
  root.add("axes", Cell{axes});
  root.add("points", std::move(t));
  root.add("energy_by_category", std::move(energy));
  root.add("area_by_unit", std::move(area));
  root.add("op_cycles", std::move(ops));
  root.add("index_sram", std::move(index));
  return root;
}

// ---- running -------------------------------------------------------------------------

// A worker: evaluates its points one after another, writing each point's
// file and reporting it on fd 3 ("ok I" / "error I").
int run_worker(const SweepOptions& o) {
  const Prepared p = prepare(o, &o.points);
  FILE* report = ::fdopen(3, "w");
  for (const int i : o.points) {
    if (i < 0 || i >= static_cast<int>(p.points.size())) throw std::invalid_argument(fmt::format("no point {}", i));
    const sweep::SweepPoint& pt = p.points[static_cast<std::size_t>(i)];
    json j = point_header(pt, p.hash[static_cast<std::size_t>(i)]);
    const auto t0 = std::chrono::steady_clock::now();
    bool ok = false;
    try {
      if (!p.load_error[static_cast<std::size_t>(i)].empty()) throw ConfigError(p.load_error[static_cast<std::size_t>(i)]);
      const Config c = sweep::load_point(p.spec, pt);
      fmt::print("point {}: {}\n", i, j["values"].dump());
      j.update(evaluate(c, pt.tech, p.mode));
      j["status"] = "ok";
      ok = true;
    } catch (const std::exception& e) {
      j["status"] = "error";
      j["error"] = e.what();
      fmt::print(stderr, "point {}: error: {}\n", i, e.what());
    }
    j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!p.hash[static_cast<std::size_t>(i)].empty()) sweep::write_point(sweep::point_file(p.results, p.hash[static_cast<std::size_t>(i)]), j);
    std::fflush(stdout);
    if (report) {
      std::fprintf(report, "%s %d\n", ok ? "ok" : "error", i);
      std::fflush(report);
    }
  }
  return 0;
}

int default_jobs();

std::vector<std::string> worker_base(const SweepOptions& o, const Prepared& p) {
  std::vector<std::string> a{sweep::self_exe(), "sweep", fs::absolute(resolve_config(o.spec)).string(), "--results",
                             fs::absolute(p.results).string()};
  if (p.mode == Mode::kAnalytic) a.push_back("--analytic");
  // Each worker's golden kernels get their share of the cores (the points'
  // results do not depend on it).
  const int jobs = o.jobs > 0 ? o.jobs : default_jobs();
  const int threads = o.threads > 0 ? o.threads : std::max(1, hardware_threads() / jobs);
  a.insert(a.end(), {"--threads", std::to_string(threads)});
  return a;
}

// The points to run: all (or this shard's), less those cached.
std::vector<int> todo_points(const SweepOptions& o, const Prepared& p, int shard, int shards, int* cached) {
  std::vector<int> todo;
  *cached = 0;
  for (std::size_t i = 0; i < p.points.size(); ++i) {
    if (shards && static_cast<int>(i) % shards != shard) continue;
    if (!p.load_error[i].empty()) continue;  // reported by the merge
    std::string warning;
    if (!o.force && sweep::cached_point(sweep::point_file(p.results, p.hash[i]), p.hash[i], &warning)) {
      ++*cached;
      continue;
    }
    if (!warning.empty()) fmt::print(stderr, "mambahw sweep: warning: {}\n", warning);
    todo.push_back(static_cast<int>(i));
  }
  return todo;
}

int default_jobs() {
  if (const char* s = std::getenv("SLURM_CPUS_PER_TASK")) return std::max(1, std::atoi(s));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Runs `todo` (indices of the sweep's work items: design points, or the
// exhaustive sweep's shards) on local workers or as a Slurm job array: the
// one scheduler both kinds use. A worker is `base` + --worker --points I,J;
// a Slurm task is `base` + --jobs 1 --shard K/S, the local scheduler on its
// share. `done_files` counts finished result files (the Slurm progress).
sweep::RunStats execute(const SweepOptions& o, const std::string& name, const fs::path& results, const std::vector<int>& todo,
                        int cached, int chunk, const std::vector<std::string>& base, const sweep::RecordFailure& record,
                        const std::function<int()>& done_files, const std::string& unit) {
  sweep::RunStats st;
  if (todo.empty()) return st;
  sweep::Progress bar(static_cast<int>(todo.size()) + cached, cached, stderr, unit);
  if (o.slurm) {
    sweep::SlurmJob job;
    job.name = "mambahw-" + name;
    job.dir = fs::absolute(results / "slurm");
    job.shards = std::min<int>(o.shards > 0 ? o.shards : 16, static_cast<int>(todo.size()));
    job.command = base;
    job.sbatch = o.sbatch;
    job.sbatch_args = o.sbatch_args;
    st = sweep::run_slurm(job, [&] { bar.update(done_files(), 0); });
  } else {
    const int jobs = o.jobs > 0 ? o.jobs : default_jobs();
    st = sweep::run_local(
        todo, jobs, chunk,
        [&](const std::vector<int>& pts) {
          std::vector<std::string> a = base;
          a.push_back("--worker");
          std::string list;
          for (int i : pts) list += (list.empty() ? "" : ",") + std::to_string(i);
          a.insert(a.end(), {"--points", list});
          return a;
        },
        // A Slurm task's workers log apart from the other tasks' (logs/task-K-of-S/).
        o.shard.empty() ? results / "logs" : results / "logs" / ("task-" + o.shard.substr(0, o.shard.find('/')) + "-of-" + o.shard.substr(o.shard.find('/') + 1)),
        record, bar);
  }
  bar.finish();
  return st;
}

// --shard K/S (0 <= K < S); shards = 0 without one.
void parse_shard(const std::string& text, int* shard, int* shards) {
  *shard = 0;
  *shards = 0;
  if (text.empty()) return;
  const auto slash = text.find('/');
  *shards = slash == std::string::npos ? 0 : std::atoi(text.c_str() + slash + 1);
  *shard = std::atoi(text.c_str());
  if (*shards <= 0 || *shard < 0 || *shard >= *shards) throw std::invalid_argument("--shard must be K/S with 0 <= K < S");
}

void print_results(const Prepared& p, const Node& root) {
  const report::Table& t = root.at("points").table();
  fmt::print("Sweep {}: {} points over {} ({}; {})\n", p.spec.name, t.rows.size(), p.spec.config.string(),
             p.mode == Mode::kAnalytic ? "analytic: roofline cycles, layer-program events, conv-output SQNR"
                                       : "full: golden layer SQNR per mode, SystemC cycles and events",
             p.spec.description.empty() ? "no description" : p.spec.description);
  const std::size_t err = t.column("error");
  std::vector<Column> shown;
  for (const Column& c : t.columns) if (c.key != "error") shown.push_back(c);
  report::Table view{shown, {}};
  for (const auto& r : t.rows) {
    std::vector<Cell> v;
    for (std::size_t k = 0; k < t.columns.size(); ++k) if (k != err) v.push_back(r[k]);
    view.rows.push_back(std::move(v));
  }
  fmt::print("{}", report::to_text(view, 2));
  for (const auto& r : t.rows)
    if (const auto* e = std::get_if<std::string>(&r[err]))
      fmt::print("  point {} failed: {}\n", std::get<std::int64_t>(r[0]), *e);
}

// ---- the exhaustive RTL sweep (kind: rtl_exhaustive) ------------------------------------

struct RtlPlan {
  sweep::RtlSweepSpec spec;
  std::vector<sweep::RtlCheck> checks;
  std::vector<sweep::RtlShard> shards;
  fs::path results;
  fs::path file(const sweep::RtlShard& s) const { return sweep::rtl_shard_file(results, checks[static_cast<std::size_t>(s.check)], s); }
};

RtlPlan rtl_plan(const SweepOptions& o) {
  RtlPlan p;
  p.spec = sweep::load_rtl_spec(resolve_config(o.spec));
  p.checks = sweep::rtl_checks(p.spec);
  p.shards = sweep::rtl_shards(p.spec, p.checks);
  p.results = o.results.empty() ? fs::path(p.spec.name + ".sweep") : fs::path(o.results);
  return p;
}

void print_rtl_merge(const RtlPlan& p, const sweep::RtlMerge& m) {
  const json& r = m.report;
  fmt::print("Exhaustive RTL sweep {}: {} against the golden model, inputs first {} stride {} count {}, {} scales x {} "
             "rounding modes, {} shards of {} inputs{}\n",
             p.spec.name, p.spec.unit, r["inputs"]["first"].get<std::string>(), p.spec.inputs.stride, p.spec.inputs.count,
             p.spec.scales.size(), p.spec.roundings.size(), p.shards.size(), p.spec.shard_inputs,
             p.spec.fault.swap_rounding || p.spec.fault.corrupt_input ? " (NEGATIVE CONTROL: a deliberately wrong DUT)" : "");
  fmt::print("  {:<14} {:<10} {:<20} {:>12} {:>7} {:<10} {:>10} {:>9}  first mismatch\n", "scale", "reg", "rounding", "vectors",
             "files", "coverage", "mismatches", "CPU s");
  for (const json& c : r["checks"]) {
    std::string first = "-";
    if (!c["first_mismatch"].is_null()) {
      const json& f = c["first_mismatch"];
      first = fmt::format("x={} golden code {} se {}, rtl code {} se {}", f["x"].get<std::string>(), f["golden_code"].get<std::string>(),
                          f["golden_se"].get<std::string>(), f["rtl_code"].get<std::string>(), f["rtl_se"].get<std::string>());
    }
    fmt::print("  {:<14.8g} {:<10} {:<20} {:>12} {:>7} {:<10} {:>10} {:>9.1f}  {}\n", c["scale"].get<double>(),
               c["scale_reg"].get<std::string>(), c["rounding"].get<std::string>(), c["vectors"].get<std::uint64_t>(),
               c["shard_files"].get<std::uint64_t>(), c["coverage"].get<std::string>(), c["mismatches"].get<std::uint64_t>(),
               c["cpu_seconds"].get<double>(), first);
    if (!c["first_mismatch"].is_null()) fmt::print("      waveform: {}\n", c["first_mismatch"]["replay"].get<std::string>());
  }
  for (const std::string& e : m.problems) fmt::print("  error: {}\n", e);
  const double cpu = r["cpu_seconds"].get<double>();
  fmt::print("{} vectors in {} shard files ({} from other runs ignored), {:.1f} CPU s ({:.3g} M vectors per CPU s); "
             "coverage {}; {} mismatches: {}\n",
             r["vectors"].get<std::uint64_t>(), r["shard_files"].get<int>(), r["stale_files"].get<int>(), cpu,
             cpu > 0 ? static_cast<double>(r["vectors"].get<std::uint64_t>()) / cpu / 1e6 : 0.0,
             m.complete ? "exact (every input of every check once)" : "INCOMPLETE", m.mismatches,
             m.complete && m.mismatches == 0 ? "PASS" : "FAIL");
}

int rtl_sweep_command(const SweepOptions& o) {
  if (!o.html.empty() || o.analytic) throw std::invalid_argument("--html and --analytic apply to design sweeps, not to kind rtl_exhaustive");
  const RtlPlan p = rtl_plan(o);
  if (o.worker) {
    FILE* report = ::fdopen(3, "w");
    for (const int i : o.points) {
      if (i < 0 || i >= static_cast<int>(p.shards.size())) throw std::invalid_argument(fmt::format("no shard {}", i));
      const sweep::RtlShard& s = p.shards[static_cast<std::size_t>(i)];
      const sweep::RtlCheck& c = p.checks[static_cast<std::size_t>(s.check)];
      json j;
      try {
        j = sweep::run_rtl_shard(p.spec, c, s);
      } catch (const std::exception& e) {
        j = sweep::rtl_shard_header(p.spec, c, s);
        j["status"] = "error";
        j["error"] = e.what();
      }
      fmt::print("shard {}: scale {} {} inputs [{}, {}): {} {} mismatches\n", i, c.scale, to_string(c.rounding), s.begin, s.end,
                 j.value("status", ""), j.value("mismatches", std::uint64_t{0}));
      sweep::write_point(p.file(s), j);
      std::fflush(stdout);
      if (report) {
        std::fprintf(report, "%s %d\n", j["status"] == "ok" ? "ok" : "error", i);
        std::fflush(report);
      }
    }
    return 0;
  }
  int shard = 0, shards = 0;
  parse_shard(o.shard, &shard, &shards);
  std::vector<int> todo;
  int cached = 0;
  for (const sweep::RtlShard& s : p.shards) {
    if (shards && s.index % shards != shard) continue;
    if (!o.force && sweep::rtl_shard_done(p.file(s), p.checks[static_cast<std::size_t>(s.check)], s)) ++cached;
    else todo.push_back(s.index);
  }
  if (o.list) {
    fmt::print("Exhaustive RTL sweep {}: {} shards ({} checks), {} finished in {}\n", p.spec.name, p.shards.size(), p.checks.size(),
               cached, p.results.string());
    for (const sweep::RtlShard& s : p.shards) {
      const sweep::RtlCheck& c = p.checks[static_cast<std::size_t>(s.check)];
      fmt::print("  {:>5} {:<8} scale {} {} inputs [{}, {})\n", s.index,
                 std::find(todo.begin(), todo.end(), s.index) == todo.end() ? "done" : "to run", c.scale, to_string(c.rounding), s.begin, s.end);
    }
    return 0;
  }
  if (o.merge_only) todo.clear();
  fs::create_directories(p.results / "shards");
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<std::string> base{sweep::self_exe(), "sweep", fs::absolute(resolve_config(o.spec)).string(), "--results",
                                      fs::absolute(p.results).string()};
  const sweep::RunStats st = execute(
      o, p.spec.name, p.results, todo, cached, 1, base,
      [&](int i, const std::string& error) {
        const sweep::RtlShard& s = p.shards[static_cast<std::size_t>(i)];
        json j = sweep::rtl_shard_header(p.spec, p.checks[static_cast<std::size_t>(s.check)], s);
        j["status"] = "error";
        j["error"] = error;
        sweep::write_point(p.file(s), j);
      },
      [&] {
        int done = 0;
        for (int i : todo) done += fs::exists(p.file(p.shards[static_cast<std::size_t>(i)]));
        return done;
      },
      "shards");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (shards) {  // a Slurm task: the submitter merges
    fmt::print("shard {}/{}: {} shards run ({} failed), {} finished before, {:.1f} s\n", shard, shards, todo.size(), st.failed, cached, secs);
    return 0;
  }
  const sweep::RtlMerge m = sweep::merge_rtl(p.spec, p.checks, p.results);
  print_rtl_merge(p, m);
  write_json_file((p.results / "results.json").string(), m.report);
  fmt::print("{} shards run in {:.1f} s{}, {} finished before; wrote {}/results.json\n", todo.size(), secs,
             st.failed ? " (some failed: see the errors above)" : "", cached, p.results.string());
  return m.complete && m.mismatches == 0 ? 0 : 1;
}

int sweep_command(const SweepOptions& o) {
  if (sweep::spec_kind(resolve_config(o.spec)) == sweep::kRtlExhaustiveKind) return rtl_sweep_command(o);
  if (o.worker) {
    use_threads(o.threads);
    return run_worker(o);
  }
  const Prepared p = prepare(o);
  int shard = 0, shards = 0;
  parse_shard(o.shard, &shard, &shards);
  int cached = 0;
  std::vector<int> todo = todo_points(o, p, shard, shards, &cached);
  if (o.list) {
    fmt::print("Sweep {}: {} points over {} ({} mode), {} cached in {}\n", p.spec.name, p.points.size(),
               p.spec.config.string(), p.mode == Mode::kAnalytic ? "analytic" : "full", cached, p.results.string());
    for (std::size_t i = 0; i < p.points.size(); ++i) {
      std::string v;
      for (const auto& [path, val] : p.points[i].values) v += fmt::format(" {}={}", path, sweep::value_text(val.value));
      const bool run = std::find(todo.begin(), todo.end(), static_cast<int>(i)) != todo.end();
      fmt::print("  {:>4} {:<8}{}{}\n", i, !p.load_error[i].empty() ? "invalid" : run ? "to run" : "cached", v,
                 p.load_error[i].empty() ? "" : "\n       " + p.load_error[i]);
    }
    return 0;
  }
  if (o.merge_only) todo.clear();
  fs::create_directories(p.results / "points");
  const auto t0 = std::chrono::steady_clock::now();
  // The SystemC model elaborates once per process: a full point gets a
  // process of its own; analytic points go in chunks.
  const int jobs = o.jobs > 0 ? o.jobs : default_jobs();
  const int chunk = p.mode == Mode::kFull ? 1 : std::max(1, static_cast<int>(todo.size()) / (4 * jobs));
  const sweep::RunStats st = execute(
      o, p.spec.name, p.results, todo, cached, chunk, worker_base(o, p),
      [&](int i, const std::string& error) {
        json j = point_header(p.points[static_cast<std::size_t>(i)], p.hash[static_cast<std::size_t>(i)]);
        j["status"] = "error";
        j["error"] = error;
        sweep::write_point(sweep::point_file(p.results, p.hash[static_cast<std::size_t>(i)]), j);
      },
      [&] {
        int done = 0;
        for (int i : todo) done += fs::exists(sweep::point_file(p.results, p.hash[static_cast<std::size_t>(i)]));
        return done;
      },
      "points");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (shards) {  // a Slurm task: the submitter merges
    fmt::print("shard {}/{}: {} points run ({} failed), {} cached, {:.1f} s\n", shard, shards, todo.size(), st.failed, cached, secs);
    return 0;
  }
  const Node root = merge(p);
  print_results(p, root);
  const json j = report::to_json(root);
  write_json_file((p.results / "results.json").string(), j);
  write_text_file((p.results / "results.csv").string(), report::to_csv(root.at("points").table()));
  fs::create_directories(p.results / "csv");
  for (const auto& [name, csv] : report::csv_tables(root)) write_text_file((p.results / "csv" / (name + ".csv")).string(), csv);
  int failed = 0;
  for (const auto& r : root.at("points").table().rows) failed += std::get<std::string>(r[root.at("points").table().column("status")]) != "ok";
  fmt::print("{} points: {} run in {:.2f} s ({:.3g} points/s), {} cached, {} failed; wrote {}/results.json, results.csv, csv/\n",
             p.points.size(), todo.size(), secs, todo.empty() || secs <= 0 ? 0.0 : static_cast<double>(todo.size()) / secs, cached,
             failed, p.results.string());
  if (!o.html.empty()) {
    write_text_file(o.html, sweep::render_html(j, sweep::plot_assets()));
    fmt::print("wrote {}\n", o.html);
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<SweepOptions>();
  SweepOptions& o = *opts;
  CLI::App* cmd = app.add_subcommand("sweep", "Design-space sweep over config fields: grid or random points, run locally "
                                              "on worker processes or as a Slurm job array, cached by config hash; "
                                              "or (kind: rtl_exhaustive) the exhaustive RTL check, sharded the same way");
  cmd->add_option("spec", o.spec, "Sweep spec (YAML, docs/sweep.md)")->required();
  cmd->add_option("--results", o.results, "Results directory (default: NAME.sweep in the working directory)");
  cmd->add_option("--html", o.html, "Also write a self-contained HTML report with the plots to FILE");
  cmd->add_flag("--analytic", o.analytic, "Analytic model only: roofline cycles and layer-program events; no golden "
                                          "layer, no SystemC co-simulation");
  cmd->add_option("-j,--jobs", o.jobs, "Worker processes (default: the CPUs, or SLURM_CPUS_PER_TASK)")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", o.threads, "Golden-model threads of each worker (default 0: the cores divided by --jobs, "
                                          "at least 1); the results do not depend on them")
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("--force", o.force, "Recompute points that are cached");
  cmd->add_flag("--list", o.list, "Print the points (and which are cached) without running any");
  cmd->add_flag("--merge", o.merge_only, "Run nothing: merge the result files in the results directory as they are");
  cmd->add_flag("--slurm", o.slurm, "Submit the points as a Slurm job array (sbatch --array), wait, then merge");
  cmd->add_option("--shards", o.shards, "Slurm array tasks (default: min(points, 16))")->check(CLI::Range(1, 100000));
  cmd->add_option("--sbatch-arg", o.sbatch_args, "Extra sbatch option, e.g. --sbatch-arg=--partition=debug (repeatable)");
  cmd->add_option("--sbatch", o.sbatch, "The sbatch program")->capture_default_str();
  cmd->add_option("--shard", o.shard, "Run shard K of S (K/S) and do not merge: what a Slurm array task runs");
  cmd->add_flag("--worker", o.worker, "Internal: evaluate --points, report on fd 3")->group("");
  cmd->add_option("--points", o.points, "Internal: point indices for --worker")->delimiter(',')->group("");
  cmd->callback([opts, &exit_code] { exit_code = guarded("sweep", [opts] { return sweep_command(*opts); }); });
}

}  // namespace mambahw::cli
