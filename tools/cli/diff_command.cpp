// `mambahw diff A B`: two dumps (folders), two tensor files, or two tensors,
// compared tensor by tensor (mambahw/tensors/diff.hpp). Exit status as diff(1):
// 0 everything matches, 1 something differs, 2 a file could not be read.
#include <fnmatch.h>

#include <cmath>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/format.h>

#include "commands.hpp"
#include "json_report.hpp"
#include "mambahw/tensors/diff.hpp"
#include "mambahw/tensors/tensor_file.hpp"
#include "mambahw/version.hpp"

namespace mambahw::cli {

namespace {

namespace fs = std::filesystem;
using namespace mambahw::tensors;

struct DiffArgs {
  std::string a, b;
  int top = 5;
  double atol = 0, rtol = 0;
  std::string only;  // glob on tensor names
  std::string json_file;
  bool quiet = false;  // only the differing tensors and the summary
};

std::string shape_text(const std::vector<std::int64_t>& s) { return StoredTensor{DType::kInt8, s, {}}.shape_text(); }

std::string index_text(const std::vector<std::int64_t>& i) {
  std::string s = "(";
  for (std::size_t k = 0; k < i.size(); ++k) s += (k ? ", " : "") + std::to_string(i[k]);
  return s + ")";
}

std::string ulp_bucket(const UlpBucket& b) {
  if (b.upto == 0) return "0";
  if (b.upto == -1) return ">2^24";
  if (b.upto <= 2) return std::to_string(b.upto);
  return "<=" + std::to_string(b.upto);
}

void print_tensor(const TensorDiff& d, bool quiet) {
  switch (d.status) {
    case DiffStatus::kOnlyInA:
      fmt::print("  only in A  {}  {} {}\n", d.name, d.dtype_a, shape_text(d.shape_a));
      return;
    case DiffStatus::kOnlyInB:
      fmt::print("  only in B  {}  {} {}\n", d.name, d.dtype_b, shape_text(d.shape_b));
      return;
    case DiffStatus::kShapeMismatch:
      fmt::print("  SHAPE      {}  A {} {}, B {} {}\n", d.name, d.dtype_a, shape_text(d.shape_a), d.dtype_b,
                 shape_text(d.shape_b));
      return;
    case DiffStatus::kIdentical:
      if (!quiet) fmt::print("  identical  {}  {} {}\n", d.name, d.dtype_a, shape_text(d.shape_a));
      return;
    case DiffStatus::kWithinTolerance:
    case DiffStatus::kDiffer:
      break;
  }
  const bool tol = d.status == DiffStatus::kWithinTolerance;
  fmt::print("  {}  {}  {} {}{}: {} of {} bit-identical ({:.4f}%)\n", tol ? "within tol" : "DIFFER    ", d.name, d.dtype_a,
             shape_text(d.shape_a), d.dtype_a != d.dtype_b ? fmt::format(" (B is {})", d.dtype_b) : "", d.exact,
             d.count, d.count ? 100.0 * static_cast<double>(d.exact) / static_cast<double>(d.count) : 100.0);
  fmt::print("             max|a-b| {:.6g}  mean|a-b| {:.6g}  max rel {:.6g}  mean rel {:.6g} (over {} with a != 0)", d.max_abs,
             d.mean_abs, d.max_rel, d.mean_rel, d.rel_count);
  if (d.nonfinite_mismatch) fmt::print("  non-finite mismatches {}", d.nonfinite_mismatch);
  if (d.signed_zero) fmt::print("  +0/-0 {}", d.signed_zero);
  fmt::print("\n");
  if (!d.ulp_histogram.empty()) {
    fmt::print("             ulp:");
    for (const UlpBucket& b : d.ulp_histogram) fmt::print(" {} {}", ulp_bucket(b), b.count);
    fmt::print("\n");
  }
  for (const DiffPosition& p : d.top)
    fmt::print("             at {}: A {:.9g}  B {:.9g}  |a-b| {:.6g}{}\n", index_text(p.index), p.a, p.b, p.abs_diff,
               p.ulp >= 0 ? fmt::format(" ({} ulp)", p.ulp) : "");
}

nlohmann::json to_json(const TensorDiff& d) {
  nlohmann::json top = nlohmann::json::array();
  for (const DiffPosition& p : d.top)
    top.push_back({{"index", p.index}, {"a", number(p.a)}, {"b", number(p.b)}, {"abs_diff", number(p.abs_diff)},
                   {"ulp", p.ulp >= 0 ? nlohmann::json(p.ulp) : nlohmann::json(nullptr)}});
  nlohmann::json hist = nlohmann::json::array();
  for (const UlpBucket& b : d.ulp_histogram) hist.push_back({{"upto", b.upto}, {"count", b.count}});
  return {{"name", d.name},           {"status", to_string(d.status)}, {"match", d.match()},
          {"dtype_a", d.dtype_a},     {"dtype_b", d.dtype_b},          {"shape_a", d.shape_a},
          {"shape_b", d.shape_b},     {"count", d.count},              {"exact", d.exact},
          {"within", d.within},       {"nonfinite_mismatch", d.nonfinite_mismatch},
          {"signed_zero", d.signed_zero},
          {"max_abs", number(d.max_abs)}, {"mean_abs", number(d.mean_abs)}, {"max_rel", number(d.max_rel)},
          {"mean_rel", number(d.mean_rel)}, {"rel_count", d.rel_count}, {"ulp_histogram", hist}, {"top", top}};
}

TensorMap filtered(TensorMap t, const std::string& glob) {
  if (glob.empty()) return t;
  for (auto it = t.begin(); it != t.end();) it = fnmatch(glob.c_str(), it->first.c_str(), 0) == 0 ? std::next(it) : t.erase(it);
  return t;
}

int diff_command(const DiffArgs& o) {
  try {
    TensorMap a = filtered(read_tensors(o.a), o.only), b = filtered(read_tensors(o.b), o.only);
    // Two single-tensor files are compared with each other whatever their names.
    std::error_code ec;
    if (a.size() == 1 && b.size() == 1 && !fs::is_directory(o.a, ec) && !fs::is_directory(o.b, ec) &&
        a.begin()->first != b.begin()->first) {
      const std::string name = a.begin()->first + " vs " + b.begin()->first;
      StoredTensor ta = a.begin()->second, tb = b.begin()->second;
      a = {{name, std::move(ta)}};
      b = {{name, std::move(tb)}};
    }
    const DiffOptions opts{o.top, o.atol, o.rtol};
    const DiffReport rep = diff_tensor_maps(a, b, opts);
    fmt::print("mambahw diff\n  A {}\n  B {}\n", o.a, o.b);
    for (const TensorDiff& d : rep.tensors) print_tensor(d, o.quiet);
    const std::int64_t n = static_cast<std::int64_t>(rep.tensors.size());
    fmt::print("{} of {} tensors match{}: {}\n", rep.matching(), n,
               opts.tolerant() ? fmt::format(" (bit for bit, or within |a-b| <= {} + {}|a|)", o.atol, o.rtol) : " bit for bit",
               rep.match() ? "yes" : "NO");
    if (!o.json_file.empty()) {
      nlohmann::json j = {{"tool", "mambahw diff"}, {"a", o.a}, {"b", o.b}, {"atol", o.atol}, {"rtol", o.rtol},
                          {"match", rep.match()}, {"tensors", nlohmann::json::array()}};
      for (const TensorDiff& d : rep.tensors) j["tensors"].push_back(to_json(d));
      write_json_file(o.json_file, j);
    }
    return rep.match() ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mambahw diff: error: {}\n", e.what());
    return 2;
  }
}

}  // namespace

nlohmann::json dump_header(const Config& c) {
  return {{"tool", "mambahw run --dump"}, {"version", kVersion}, {"git_commit", kGitCommit}, {"config", c.file},
          {"model", c.model.name}, {"arch", to_string(c.model.arch)}, {"scheme", c.scheme.name},
          {"seq_len", c.run.seq_len}, {"seed", c.run.seed},
          {"weights", c.weights.tensors ? c.weights.path : "synthetic"},
          {"activations", c.activations.tensors ? c.activations.path : "synthetic"}};
}

void add_diff_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiffArgs>();
  DiffArgs& o = *args;
  CLI::App* cmd = app.add_subcommand(
      "diff", "Compare two dumps, tensor files or tensors element by element (exit 0 match, 1 differ, 2 error)");
  cmd->add_option("a", o.a, "Reference: a dump folder, .npy, .npz or .safetensors file")->required();
  cmd->add_option("b", o.b, "The other side, of the same kind")->required();
  cmd->add_option("--top", o.top, "Largest differences listed per tensor")->capture_default_str()->check(CLI::Range(0, 1000));
  cmd->add_option("--atol", o.atol, "Also match when |a - b| <= atol + rtol |a| (default: bit for bit)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--rtol", o.rtol, "See --atol")->check(CLI::NonNegativeNumber);
  cmd->add_option("--only", o.only, "Compare only the tensors whose names match this glob (e.g. 'layer0.mode0.*')");
  cmd->add_option("--json", o.json_file, "Also write the comparison as JSON to FILE");
  cmd->add_flag("--quiet,-q", o.quiet, "List only the tensors that differ");
  cmd->callback([args, &exit_code] { exit_code = diff_command(*args); });
}

}  // namespace mambahw::cli
