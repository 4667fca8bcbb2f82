// `mambahw export` and `mambahw verify-vectors`.
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "commands.hpp"
#include "mambahw/config/config.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/layer_vectors.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace mambahw::cli {

namespace {

struct ExportArgs {
  std::string block;
  std::string config = "configs/default.yaml";
  std::uint64_t seed = 1;
  std::uint64_t count = 100000;
  std::vector<std::string> corners{"all"};
  std::string out;
  bool force = false;
  std::string rounding, quantize_op, denormals;
  int layer = 0, seq_len = 0;  // --block layer
  int threads = 0;
};

// The config as the manifest records it: the path given, the SHA-256 of the
// contents of the config file and of every file it includes (so the
// vectors name the configuration, not only where it was), and the
// resolved model, scheme and run settings.
nlohmann::json config_embed(const Config& c, const std::string& path) {
  const ModelShape& m = c.model;
  const QuantScheme& s = c.scheme;
  nlohmann::json files = nlohmann::json::array();
  std::set<std::string> seen;
  for (const std::string& f : c.files) {
    const std::string rel = std::filesystem::relative(f, std::filesystem::path(c.file).parent_path()).string();
    if (seen.insert(rel).second) files.push_back({{"file", rel}, {"sha256", verif::sha256_file(f)}});
  }
  return {{"path", path},
          {"sha256", verif::sha256_file(c.file)},
          {"files", files},
          {"model", {{"name", m.name}, {"arch", to_string(m.arch)}, {"d_model", m.d_model},
                     {"d_inner", m.d_inner}, {"d_state", m.d_state}, {"d_conv", m.d_conv},
                     {"headdim", m.headdim}, {"nheads", m.nheads}, {"ngroups", m.ngroups}}},
          {"scheme", {{"name", s.name}, {"base", to_string(s.base)}, {"ssm_input", to_string(s.ssm_input)},
                      {"conv_order", to_string(s.conv_order)}}},
          {"run", {{"seed", c.run.seed}, {"calib_batches", c.run.calib_batches},
                   {"calib_seq_len", c.run.calib_seq_len}}}};
}

int run_export(const ExportArgs& a) {
  return guarded("export", [&a] {
    use_threads(a.threads);
    const std::filesystem::path cfg_path = resolve_config(a.config);
    const Config cfg = load_config(cfg_path);
    verif::NumericsOverrides ov;
    if (!a.rounding.empty()) ov.rounding = parse_enum<Rounding>(a.rounding);
    if (!a.quantize_op.empty()) ov.quantize_op = parse_enum<QuantizeOp>(a.quantize_op);
    if (!a.denormals.empty()) ov.denormals = parse_enum<Denormals>(a.denormals);
    verif::ExportOptions o;
    o.seed = a.seed;
    o.count = a.count;
    o.force = a.force;
    o.progress = true;
    o.config_embed = config_embed(cfg, a.config);
    for (const std::string& c : a.corners) {
      if (c == "all") continue;
      if (c == "none") {
        o.corners = {verif::Corner::kRandom};
        continue;
      }
      o.corners.push_back(*parse_enum<verif::Corner>(c));
    }
    if (a.block == "layer") {
      if (!a.rounding.empty() || !a.quantize_op.empty() || !a.denormals.empty())
        throw std::invalid_argument("--block layer runs the scheme's own numerics; drop --rounding/--quantize-op/--denormals");
      verif::LayerExportOptions lo;
      lo.out = a.out;
      lo.force = a.force;
      lo.layer = a.layer;
      lo.seq_len = a.seq_len;
      lo.config_embed = o.config_embed;
      const auto t0 = std::chrono::steady_clock::now();
      const verif::ExportSummary s = verif::export_layer(cfg, lo);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("layer: {} tensors, {} words, {:.1f} MB of hex in {:.2f} s -> {}\n", s.per_class.size(), s.vectors,
                 static_cast<double>(s.bytes) / 1e6, sec, a.out);
      return 0;
    }
    const bool all = a.block == "all";
    if (all) verif::prepare_set_directory(a.out, a.force);
    std::vector<std::string> exported;
    std::vector<verif::SkippedBlock> skipped;
    for (const std::string& name : all ? verif::kBlockNames : std::vector{a.block}) {
      std::unique_ptr<verif::VectorBlock> b;
      try {
        b = verif::make_block(name, cfg, ov);
      } catch (const std::invalid_argument& e) {
        if (!all) throw;
        fmt::print("{}: skipped: {}\n", name, e.what());
        skipped.push_back({name, e.what()});
        continue;
      }
      o.out = all ? std::filesystem::path(a.out) / name : std::filesystem::path(a.out);
      const auto t0 = std::chrono::steady_clock::now();
      const verif::ExportSummary s = verif::export_block(*b, o);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fmt::print("{}: {} vectors, {:.1f} MB of hex in {:.2f} s ({:.1f} MB/s, {:.3g} vectors/s) -> {}\n", name,
                 s.vectors, static_cast<double>(s.bytes) / 1e6, sec, static_cast<double>(s.bytes) / 1e6 / sec,
                 static_cast<double>(s.vectors) / sec, o.out.string());
      fmt::print("  corner classes: {}\n", s.per_class.dump());
      exported.push_back(name);
    }
    // Last: the set verifies only once every block is complete.
    if (all) verif::write_set_manifest(a.out, exported, skipped, o.config_embed);
    return 0;
  });
}

// One line per directory: OK (with what was checked) or FAILED and its
// problems; a set's block directories first, then the set itself.
void print_report(const verif::VerifyReport& r) {
  for (const verif::VerifyReport& b : r.blocks) print_report(b);
  if (!r.problems.empty()) {
    fmt::print("{}: FAILED\n", r.dir);
    for (const std::string& p : r.problems) fmt::print("  {}\n", p);
  } else if (!r.blocks.empty()) {
    fmt::print("{}: {} ({} block directories, the set's manifest lists every one; made by {})\n", r.dir,
               r.ok() ? "OK" : "FAILED", r.blocks.size(), r.producer);
  } else if (r.replayed) {
    fmt::print("{}: OK ({} vectors replayed through the golden model, all files match the manifest; made by {})\n",
               r.dir, r.vectors, r.producer);
  } else {
    fmt::print("{}: files OK (all files match the manifest; NOT replayed through the golden model; made by {})\n",
               r.dir, r.producer);
  }
  for (const std::string& w : r.warnings) fmt::print("  warning: {}\n", w);
}

int run_verify(const std::string& dir, int threads) {
  return guarded("verify-vectors", [&dir, threads] {
    use_threads(threads);
    const verif::VerifyReport r = verif::verify_directory(dir, [](const std::string& p) { return resolve_config(p); });
    print_report(r);
    return r.ok() ? 0 : 1;
  });
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* e = app.add_subcommand("export", "Export test vectors for an RTL block ($readmemh hex + manifest)");
  std::vector<std::string> blocks = verif::kBlockNames;
  blocks.push_back("all");
  blocks.push_back("layer");
  e->add_option("--block", a->block, "Block to export")->required()->check(CLI::IsMember(blocks));
  e->add_option("--config", a->config, "Run configuration (YAML)")->capture_default_str();
  e->add_option("--seed", a->seed, "Seed of the random vectors")->capture_default_str();
  e->add_option("--count", a->count, "Number of random vectors")->capture_default_str();
  std::vector<std::string> corners{"all", "none"};
  for (const std::string& c : enum_names<verif::Corner>())
    if (c != to_string(verif::Corner::kRandom)) corners.push_back(c);  // random vectors: --count
  e->add_option("--corners", a->corners, "Directed corner classes")
      ->delimiter(',')
      ->check(CLI::IsMember(corners))
      ->capture_default_str();
  e->add_option("--out", a->out, "Output directory (must be empty or absent)")->required();
  e->add_flag("--force", a->force, "Replace an earlier export in --out");
  e->add_option("--layer", a->layer, "--block layer: which layer's weights")->capture_default_str();
  e->add_option("--seq-len", a->seq_len, "--block layer: tokens (default: the config's run.seq_len)");
  e->add_option("--rounding", a->rounding, "Override the scheme's rounding")
      ->check(CLI::IsMember(enum_names<Rounding>()));
  e->add_option("--quantize-op", a->quantize_op, "Override the scheme's quantize_op")
      ->check(CLI::IsMember(enum_names<QuantizeOp>()));
  e->add_option("--denormals", a->denormals, "Override the scheme's denormal policy")
      ->check(CLI::IsMember(enum_names<Denormals>()));
  add_threads_option(*e, a->threads);
  e->callback([a, &exit_code] { exit_code = run_export(*a); });

  auto dir = std::make_shared<std::string>();
  CLI::App* v = app.add_subcommand("verify-vectors",
                                   "Check an exported vector directory against its manifest and the golden model");
  v->add_option("dir", *dir, "Vector directory")->required();
  auto threads = std::make_shared<int>(0);
  add_threads_option(*v, *threads);
  v->callback([dir, threads, &exit_code] { exit_code = run_verify(*dir, *threads); });
}

}  // namespace mambahw::cli
