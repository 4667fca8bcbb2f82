// mambahw sweep end to end: the binary run as a user would, its files read
// back. Expected values are derived by hand from the layer program (the
// GEMM array's compute cycles) or come from a second producer (`mambahw run`
// on a config file carrying the point's value; a local run for the Slurm run).
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mambahw/golden/dual_scale.hpp"
#include "mambahw/golden/numerics.hpp"
#include "mambahw/sweep/rtl_check.hpp"
#include "mambahw/tb/shell.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using nlohmann::json;
using Result = mambahw::tb::ShellResult;

const fs::path kSpecs = fs::path(MAMBAHW_SOURCE_DIR) / "tb/sweep/specs";

Result sh(const std::string& cmd) { return mambahw::tb::run_shell(cmd + " 2>&1"); }
Result sweep(const std::string& args) { return sh(std::string(MAMBAHW_BIN) + " sweep " + args); }

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("mambahw_sweep_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  return d;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fmt_hex(std::uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

std::string fmt_gap(std::uint64_t begin, std::uint64_t end) {
  return "gap: inputs [" + std::to_string(begin) + ", " + std::to_string(end) + ") not covered";
}

// A single-node Slurm cluster on localhost (tb/sweep/slurm_cluster.sh) for
// one test: started by start(), stopped by stop() or the destructor.
class SlurmCluster {
 public:
  explicit SlurmCluster(const std::string& name) : dir_(scratch(name)) { fs::create_directories(dir_); }
  ~SlurmCluster() { stop(); }
  // The script's result: exit 0 when the cluster runs, 77 with the reason where it cannot start here.
  Result start() { return sh(script() + " start " + dir_.string()); }
  void stop() {
    if (stopped_) return;
    sh(script() + " stop " + dir_.string());
    stopped_ = true;
  }
  // Runs `command` with SLURM_CONF pointing at the cluster.
  Result run(const std::string& command) const { return sh("SLURM_CONF=" + conf() + " " + command); }
  std::string conf() const { return (dir_ / "slurm.conf").string(); }
  const fs::path& dir() const { return dir_; }

 private:
  static std::string script() { return std::string(MAMBAHW_SOURCE_DIR) + "/tb/sweep/slurm_cluster.sh"; }
  fs::path dir_;
  bool stopped_ = false;
};

// The row of the point whose axes have these values.
const json& row(const json& points, int rows, int lanes) {
  for (const json& p : points)
    if (p["hardware"]["gemm"]["rows"] == rows && p["hardware"]["ssm"]["lanes"] == lanes) return p;
  throw std::runtime_error("no such point");
}

double op_cycles(const json& r, int point, const std::string& op) {
  for (const json& o : r["op_cycles"])
    if (o["point"] == point && o["op"] == op) return o["cycles"].get<double>();
  return -1;
}

TEST(Sweep, UnknownFieldPathIsAnErrorNamingIt) {
  const Result r = sweep((kSpecs / "unknown_path.yaml").string() + " --results " + scratch("unknown").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // The spec's file, line and column of the value, the path, and the suggestion.
  EXPECT_THAT(r.output, HasSubstr("unknown_path.yaml:5:"));
  EXPECT_THAT(r.output, HasSubstr("hardware.gemm.rowz: unknown key (did you mean 'rows'?)"));
}

TEST(Sweep, BadValueIsAnErrorAtItsLine) {
  const Result r = sweep((kSpecs / "bad_value.yaml").string() + " --results " + scratch("bad").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad_value.yaml:4:"));
  EXPECT_THAT(r.output, HasSubstr("hardware.gemm.rows: must be in [1, 4096]"));
}

TEST(Sweep, AnalyticGridMatchesHandCountsAndRunResumesFromCache) {
  const fs::path dir = scratch("array");
  const Result r = sweep((kSpecs / "array.yaml").string() + " -j 2 --results " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("4 points: 4 run"));
  const json j = read_json(dir / "results.json");
  ASSERT_EQ(j["points"].size(), 4u);
  // in_proj on a weight-stationary R x C array: K * N * L / (R * C) cycles
  // (mamba-130m: K = d_model 768, N = 2 d_inner = 3072, L = 64 tokens, C = 32);
  // compute-bound, so the roofline's op cycles.
  for (int rows : {16, 32}) {
    const json& p = row(j["points"], rows, 8);
    EXPECT_EQ(p["status"], "ok");
    EXPECT_DOUBLE_EQ(op_cycles(j, p["point"].get<int>(), "in_proj"), 768.0 * 3072 * 64 / (rows * 32));
  }
  // More SSM lanes: fewer cycles and more area, the GEMM array unchanged.
  EXPECT_LT(row(j["points"], 32, 16)["cycles"].get<double>(), row(j["points"], 32, 8)["cycles"].get<double>());
  EXPECT_GT(row(j["points"], 32, 16)["area_mm2"].get<double>(), row(j["points"], 32, 8)["area_mm2"].get<double>());
  // The CSV is the same table: a header and one line per point.
  const std::string csv = read_text(dir / "results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_THAT(csv.substr(0, csv.find('\n')), HasSubstr("point,hardware.gemm.rows,hardware.ssm.lanes,run.seq_len,status"));

  // A second run finds every point cached and writes the same results.
  const Result again = sweep((kSpecs / "array.yaml").string() + " --results " + dir.string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("4 points: 0 run"));
  EXPECT_THAT(again.output, HasSubstr("4 cached"));
  EXPECT_EQ(read_json(dir / "results.json")["points"], j["points"]);
  // Interrupted: one point's file gone, another's corrupt. Only those two run again.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "points")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 4u);
  fs::remove(files[0]);
  std::ofstream(files[1]) << "{\"format\": \"mambahw-sweep-point 1\", \"hash\": ";
  const Result resumed = sweep((kSpecs / "array.yaml").string() + " --results " + dir.string());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("4 points: 2 run"));
  EXPECT_THAT(resumed.output, HasSubstr("not a point result"));
  EXPECT_EQ(read_json(dir / "results.json")["points"], j["points"]);
  fs::remove_all(dir);
}

// A sweep point and `mambahw run` on a config file that states the same
// value: the override reaches the field the file sets.
TEST(Sweep, PointEqualsRunOfTheSameConfig) {
  const fs::path dir = scratch("same");
  ASSERT_EQ(sweep((kSpecs / "array.yaml").string() + " --results " + dir.string()).exit_code, 0);
  const json j = read_json(dir / "results.json");
  const fs::path cfg = dir / "rows16.yaml";
  std::ofstream(cfg) << "model: " << MAMBAHW_SOURCE_DIR << "/configs/models/mamba-130m.yaml\n"
                     << "scheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n"
                     << "hardware:\n  gemm:\n    rows: 16\n  ssm:\n    lanes: 8\n"
                     << "run:\n  seq_len: 64\n  batch: 1\n  seed: 1\n  calib_batches: 4\n  calib_seq_len: 512\n";
  const Result run = sh(std::string(MAMBAHW_BIN) + " run " + cfg.string() + " --no-layer --no-model --json " +
                        (dir / "run.json").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const json rj = read_json(dir / "run.json");
  const json& p = row(j["points"], 16, 8);
  EXPECT_EQ(p["cycles"].get<double>(), rj["roofline"]["cycles"].get<double>());
  EXPECT_EQ(p["sqnr_ssm_input_db"].get<double>(), rj["conv_out_study"]["schemes"][0]["ssm_input_error"]["sqnr_db"].get<double>());
  fs::remove_all(dir);
}

TEST(Sweep, FailingPointIsRecordedAndTheSweepContinues) {
  const fs::path dir = scratch("combination");
  const Result r = sweep((kSpecs / "combination.yaml").string() + " -j 2 --results " + dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;  // a point failed
  const json j = read_json(dir / "results.json");
  ASSERT_EQ(j["points"].size(), 4u);
  int ok = 0;
  for (const json& p : j["points"]) {
    if (p["status"] == "ok") {
      ++ok;
      continue;
    }
    EXPECT_THAT(p["model"].get<std::string>(), HasSubstr("mamba-130m"));
    EXPECT_THAT(p["scheme"].get<std::string>(), HasSubstr("quamba2"));
    EXPECT_THAT(p["error"].get<std::string>(), HasSubstr("combination.yaml:8:51: scheme:"));  // the quamba2 value in the spec
    EXPECT_THAT(p["error"].get<std::string>(), HasSubstr("Mamba1"));
  }
  EXPECT_EQ(ok, 3);
  fs::remove_all(dir);
}

TEST(Sweep, RandomSamplesAreReproducibleAndInRange) {
  const fs::path a = scratch("random_a"), b = scratch("random_b");
  ASSERT_EQ(sweep((kSpecs / "random.yaml").string() + " --results " + a.string()).exit_code, 0);
  ASSERT_EQ(sweep((kSpecs / "random.yaml").string() + " -j 1 --results " + b.string()).exit_code, 0);
  const json ja = read_json(a / "results.json");
  EXPECT_EQ(ja["points"], read_json(b / "results.json")["points"]);
  ASSERT_EQ(ja["points"].size(), 5u);
  std::set<int> cols;
  for (const json& p : ja["points"]) {
    const double bw = p["hardware"]["dram"]["bandwidth_gbs"].get<double>();
    EXPECT_GE(bw, 12.8);
    EXPECT_LE(bw, 102.4);
    const int c = p["hardware"]["gemm"]["cols"].get<int>();
    EXPECT_GE(c, 8);
    EXPECT_LE(c, 64);
    cols.insert(c);
  }
  EXPECT_GT(cols.size(), 1u);  // drawn, not one value
  fs::remove_all(a);
  fs::remove_all(b);
}

// A worker killed while it evaluates (here by a CPU-time limit, as a batch
// system enforces one): its point is recorded with the signal and the log,
// the sweep finishes and merges. The point (specs/full.yaml) needs about ten
// times the limit, so that a faster machine or build still hits it (at L =
// 512 and a 2 s limit it once finished in 1.4 s and the test failed).
TEST(Sweep, DeadWorkerFailsItsPoint) {
  const fs::path dir = scratch("dead");
  const Result r = sh("ulimit -S -t 1 && " + std::string(MAMBAHW_BIN) + " sweep " + (kSpecs / "full.yaml").string() +
                      " --results " + dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const json j = read_json(dir / "results.json");
  ASSERT_EQ(j["points"].size(), 1u);
  EXPECT_EQ(j["points"][0]["status"], "error");
  EXPECT_THAT(j["points"][0]["error"].get<std::string>(), HasSubstr("the worker was killed by signal 24 (CPU time limit exceeded)"));
  EXPECT_THAT(j["points"][0]["error"].get<std::string>(), HasSubstr("worker-0.log"));
  fs::remove_all(dir);
}

// Every shipped spec (configs/sweeps) loads and expands.
TEST(Sweep, ShippedSpecsLoad) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(MAMBAHW_SOURCE_DIR) / "configs/sweeps")) {
    const Result r = sweep(e.path().string() + " --list --results " + scratch("list").string());
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.output;
    EXPECT_THAT(r.output, ::testing::ContainsRegex("(Sweep|Exhaustive RTL sweep) [a-z0-9-]+: [0-9]+ (points|shards)")) << e.path();
    ++n;
  }
  EXPECT_GE(n, 4);
  EXPECT_FALSE(fs::exists(scratch("list")));  // --list writes nothing
}

// With the technology table as an axis, each table has its own Pareto front:
// the flags equal a dominance check (in the test) among the points of the
// same table, and the more expensive table's points are not all dominated
// by the cheaper table's.
TEST(Sweep, ParetoFrontIsPerTechnologyTable) {
  const fs::path dir = scratch("tech_axis");
  const Result r = sweep((kSpecs / "tech_axis.yaml").string() + " --results " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json pts = read_json(dir / "results.json")["points"];
  ASSERT_EQ(pts.size(), 4u);
  std::set<std::string> with_front;
  for (const json& p : pts) {
    bool dominated = false;
    for (const json& o : pts) {
      if (&o == &p || o["tech"] != p["tech"]) continue;
      const double oa = o["area_mm2"], pa = p["area_mm2"], oe = o["energy_nj_per_token"], pe = p["energy_nj_per_token"];
      const double oq = o["sqnr_db"], pq = p["sqnr_db"];
      if (oa <= pa && oe <= pe && oq >= pq && (oa < pa || oe < pe || oq > pq)) dominated = true;
    }
    EXPECT_EQ(p["pareto"].get<bool>(), !dominated) << p;
    if (!dominated) with_front.insert(p["tech"].get<std::string>());
  }
  EXPECT_EQ(with_front, (std::set<std::string>{"notes-7nm", "cacti-28nm"}));
  fs::remove_all(dir);
}

// A single-node Slurm cluster on localhost (munged, slurmctld, slurmd),
// started and stopped here: the sweep submitted as a job array and merged
// equals the local run.
TEST(Sweep, SlurmJobArrayMergesToTheLocalResult) {
  SlurmCluster cluster("slurm_cluster");
  const Result start = cluster.start();
  if (start.exit_code == 77) GTEST_SKIP() << start.output;
  ASSERT_EQ(start.exit_code, 0) << start.output;
  const fs::path local = scratch("slurm_local"), viaslurm = scratch("slurm_remote");
  const Result l = sweep((kSpecs / "array.yaml").string() + " --results " + local.string());
  // Bounded, so a job that never runs cannot keep the daemons alive past the test.
  const Result s = cluster.run(std::string("timeout 240 ") + MAMBAHW_BIN + " sweep " + (kSpecs / "array.yaml").string() +
                               " --slurm --shards 2 --results " + viaslurm.string());
  const Result q = cluster.run("sacct -X -n -o JobID,State 2>/dev/null; SLURM_CONF=" + cluster.conf() +
                               " scontrol show job 2>&1 | grep -E 'JobId|JobState' | head -8");
  cluster.stop();
  ASSERT_EQ(l.exit_code, 0) << l.output;
  ASSERT_EQ(s.exit_code, 0) << s.output << "\n" << q.output << read_text(cluster.dir() / "slurmctld.log");
  // Two array tasks ran, each its shard of the points.
  EXPECT_THAT(read_text(viaslurm / "slurm/sweep.sbatch"), HasSubstr("#SBATCH --array=0-1"));
  EXPECT_THAT(read_text(viaslurm / "slurm/task-0.log"), HasSubstr("shard 0/2: 2 points run"));
  EXPECT_THAT(read_text(viaslurm / "slurm/task-1.log"), HasSubstr("shard 1/2: 2 points run"));
  const json jl = read_json(local / "results.json"), js = read_json(viaslurm / "results.json");
  EXPECT_EQ(js["points"], jl["points"]);
  EXPECT_EQ(js["op_cycles"], jl["op_cycles"]);
  EXPECT_EQ(js["energy_by_category"], jl["energy_by_category"]);
  fs::remove_all(local);
  fs::remove_all(viaslurm);
  fs::remove_all(cluster.dir());
}

// The HTML report in headless Chromium (tb/sweep/check_html.py): every plot
// rendered with the marks its data implies, no console error; the page and
// its screenshot stay in build/tb/sweep/output/.
TEST(Sweep, HtmlReportRendersInChromium) {
  const fs::path out(SWEEP_OUTPUT_DIR);
  fs::create_directories(out);
  const fs::path dir = scratch("html");
  const Result r = sweep((kSpecs / "array.yaml").string() + " --results " + dir.string() + " --html " +
                         (out / "sweep-report.html").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Result c = sh("python3 " + std::string(MAMBAHW_SOURCE_DIR) + "/tb/sweep/check_html.py " +
                      (out / "sweep-report.html").string() + " " + (dir / "results.json").string() + " " +
                      (out / "sweep-report.png").string());
  if (c.exit_code == 77) GTEST_SKIP() << c.output;
  EXPECT_EQ(c.exit_code, 0) << c.output;
  std::printf("%s", c.output.c_str());
  EXPECT_TRUE(fs::exists(out / "sweep-report.png"));
  fs::remove_all(dir);
}


// ---- the exhaustive RTL sweep (kind: rtl_exhaustive) ---------------------------------

// The merged per-check rows without their times (which differ run to run).
json checks_without_times(const fs::path& results) {
  json c = read_json(results / "results.json")["checks"];
  for (json& r : c) {
    r.erase("cpu_seconds");
    r.erase("wall_seconds");
  }
  return c;
}

std::vector<fs::path> shard_files(const fs::path& results) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(results / "shards")) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// The second producer for the negative control: the golden model under the
// two rounding modes on the spec's inputs (every 65536th bit pattern); the
// RTL built for the other mode must mismatch exactly where they differ.
struct Differences {
  std::uint64_t count = 0;
  std::uint32_t first = 0;
};
Differences rounding_differences(float scale) {
  using namespace mambahw;
  const DualScaleFormat se = sweep::rtl_check_se_format();
  NumericsPolicy away, even;
  away.rounding = Rounding::kHalfAwayFromZero;
  even.rounding = Rounding::kHalfToEven;
  const float reg = reciprocal(scale);
  Differences d;
  for (std::uint64_t i = 0; i < 65536; ++i) {
    const auto bits = static_cast<std::uint32_t>(i << 16);
    const float x = float_of(bits);
    const bool differ = quantize(x, reg, reg, away) != quantize(x, reg, reg, even) ||
                        pack_dual(quantize_dual(x, se, away), 4) != pack_dual(quantize_dual(x, se, even), 4);
    if (differ && d.count++ == 0) d.first = bits;
  }
  return d;
}

// 2^16 inputs x 2 scales x 2 roundings in 16 shards on two local workers:
// every check covered exactly once without a mismatch; an interrupted run
// resumes with only the missing shard; a missing shard and an overlapping
// one are errors of the merge.
TEST(Sweep, RtlExhaustiveShardsCoverTheInputsOnceAndResume) {
  const fs::path dir = scratch("rtl_local");
  const std::string spec = (kSpecs / "rtl_small.yaml").string() + " --results " + dir.string();
  const Result r = sweep(spec + " -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("coverage exact"));
  const json j = read_json(dir / "results.json");
  ASSERT_EQ(j["checks"].size(), 4u);
  for (const json& c : j["checks"]) {
    EXPECT_EQ(c["vectors"], 65536) << c;
    EXPECT_EQ(c["shard_files"], 4) << c;
    EXPECT_EQ(c["coverage"], "exact") << c;
    EXPECT_EQ(c["mismatches"], 0) << c;
  }
  EXPECT_EQ(j["checks"][2]["scale_reg"], "0x41200000");  // fp32(1/0.1) = 10
  const std::vector<fs::path> files = shard_files(dir);
  ASSERT_EQ(files.size(), 16u);
  // Each file holds its range: 2^14 inputs, the first one at index begin.
  std::uint64_t vectors = 0;
  for (const fs::path& f : files) {
    const json s = read_json(f);
    EXPECT_EQ(s["end"].get<std::uint64_t>() - s["begin"].get<std::uint64_t>(), 16384u) << f;
    EXPECT_EQ(s["first_input"], fmt_hex(static_cast<std::uint32_t>(s["begin"].get<std::uint64_t>() << 16))) << f;
    vectors += s["vectors"].get<std::uint64_t>();
  }
  EXPECT_EQ(vectors, 4u * 65536u);
  const json full = checks_without_times(dir);

  // Interrupted: one shard's file is missing. A rerun runs only that shard.
  fs::remove(files[5]);
  const Result again = sweep(spec + " -j 2");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("1 shards run in"));
  EXPECT_THAT(again.output, HasSubstr("15 finished before"));
  EXPECT_EQ(checks_without_times(dir), full);

  // A missing shard is a gap at the merge (--merge runs nothing).
  const json gone = read_json(files[1]);
  fs::remove(files[1]);
  const Result gap = sweep(spec + " --merge");
  EXPECT_EQ(gap.exit_code, 1) << gap.output;
  EXPECT_THAT(gap.output, HasSubstr(fmt_gap(gone["begin"].get<std::uint64_t>(), gone["end"].get<std::uint64_t>())));
  EXPECT_THAT(gap.output, HasSubstr("coverage INCOMPLETE"));
  EXPECT_EQ(read_json(dir / "results.json")["coverage"], "incomplete");

  // Two files covering the same inputs are an overlap.
  ASSERT_EQ(sweep(spec).exit_code, 0);
  fs::copy_file(files[0], dir / "shards" / "copy-of-a-shard.json");
  const Result overlap = sweep(spec + " --merge");
  EXPECT_EQ(overlap.exit_code, 1) << overlap.output;
  EXPECT_THAT(overlap.output, HasSubstr("overlap: inputs [0, 16384) covered by"));
  fs::remove_all(dir);
}

// An exhaustive spec is read as strictly as a design spec: the error names
// the file, line and column, and nothing runs.
TEST(Sweep, RtlExhaustiveSpecErrorsNameTheirLine) {
  const fs::path dir = scratch("rtl_bad");
  fs::create_directories(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kind: rtl_exhaustive\nscales: [0.1]\nroundings: [toward_zero]\n",
       ":3:13: roundings[0]: must be one of: half_away_from_zero, half_to_even (got 'toward_zero')"},
      {"kind: rtl_exhaustive\nscales: [0.1]\nroundings: [half_to_even]\nshard_input: 5\n",
       ":4:1: shard_input: unknown key (did you mean 'shard_inputs'?)"},
      {"kind: rtl_exhaustive\nscales: [0.1]\nroundings: [half_to_even]\ninputs: {stride: 2, count: 4294967296}\n",
       ":4:28: inputs.count: count x stride exceeds 2^32: the inputs would repeat"},
      {"kind: rtl_exhaustive\nscales: [0.0]\nroundings: [half_to_even]\n", ":2:10: scales[0]:"},
      {"kind: rtl_exhaustiv\nscales: [0.1]\n", ":1:7: kind: must be one of: design, rtl_exhaustive"}};
  int k = 0;
  for (const auto& [text, error] : cases) {
    const fs::path f = dir / ("bad" + std::to_string(k++) + ".yaml");
    std::ofstream(f) << text;
    const Result r = sweep(f.string() + " --results " + (dir / "out").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(f.string() + error)) << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

// Negative controls: the RTL built for the other rounding mode mismatches on
// exactly the inputs where the golden model's two modes differ (first: the
// ties 0.5 at scale 1 and 0.25 x 10 = 2.5 at scale 0.1; at scale 1 the 64
// half-integers n + 1/2 with n even in [0, 126], of each sign); an injected
// mismatch is reported with its input.
TEST(Sweep, RtlExhaustiveNegativeControlsAreReportedWithTheirInputs) {
  const fs::path dir = scratch("rtl_swapped");
  const Result r = sweep((kSpecs / "rtl_small_swapped.yaml").string() + " -j 2 --results " + dir.string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("NEGATIVE CONTROL"));
  const json checks = read_json(dir / "results.json")["checks"];
  ASSERT_EQ(checks.size(), 4u);
  for (const json& c : checks) {
    const Differences d = rounding_differences(c["scale"].get<float>());
    EXPECT_EQ(c["mismatches"].get<std::uint64_t>(), d.count) << c;
    EXPECT_EQ(c["first_mismatch"]["x"], fmt_hex(d.first)) << c;
    EXPECT_EQ(c["coverage"], "exact");
  }
  EXPECT_EQ(checks[0]["mismatches"], 128);
  EXPECT_EQ(checks[0]["first_mismatch"]["x"], "0x3f000000");
  EXPECT_EQ(checks[0]["first_mismatch"]["golden_code"], "0x01");  // half away: 0.5 -> 1
  EXPECT_EQ(checks[0]["first_mismatch"]["rtl_code"], "0x00");     // half even:  0.5 -> 0
  EXPECT_EQ(checks[2]["first_mismatch"]["x"], "0x3e800000");
  EXPECT_THAT(r.output, HasSubstr("rtl_replay --rounding half_away_from_zero --x 0x3f000000 --scale-reg 0x3f800000"));
  fs::remove_all(dir);

  const fs::path dir2 = scratch("rtl_corrupt");
  const Result c = sweep((kSpecs / "rtl_small_corrupt.yaml").string() + " -j 2 --results " + dir2.string());
  EXPECT_EQ(c.exit_code, 1) << c.output;
  const json cc = read_json(dir2 / "results.json")["checks"];
  ASSERT_EQ(cc.size(), 4u);
  for (const json& k : cc) {
    EXPECT_EQ(k["mismatches"], 1) << k;
    EXPECT_EQ(k["first_mismatch"]["x"], "0x40490000") << k;
  }
  // 3.140625 -> 3 at scale 1 and 31.40625 -> 31 at scale 0.1; the RTL's low bit flipped.
  EXPECT_EQ(cc[0]["first_mismatch"]["golden_code"], "0x03");
  EXPECT_EQ(cc[0]["first_mismatch"]["rtl_code"], "0x02");
  EXPECT_EQ(cc[2]["first_mismatch"]["golden_code"], "0x1f");
  EXPECT_EQ(cc[2]["first_mismatch"]["rtl_code"], "0x1e");
  fs::remove_all(dir2);
}

// The same reduced sweep as a Slurm job array on the single-node cluster:
// four array tasks, each the local scheduler on its share of the shards;
// the merged checks equal the local run's.
TEST(Sweep, RtlExhaustiveThroughSlurmEqualsTheLocalRun) {
  SlurmCluster cluster("rtl_slurm_cluster");
  const Result start = cluster.start();
  if (start.exit_code == 77) GTEST_SKIP() << start.output;
  ASSERT_EQ(start.exit_code, 0) << start.output;
  const fs::path local = scratch("rtl_slurm_local"), viaslurm = scratch("rtl_slurm_remote");
  const Result l = sweep((kSpecs / "rtl_small.yaml").string() + " -j 2 --results " + local.string());
  const Result s = cluster.run(std::string("timeout 240 ") + MAMBAHW_BIN + " sweep " + (kSpecs / "rtl_small.yaml").string() +
                               " --slurm --shards 4 --results " + viaslurm.string());
  cluster.stop();
  ASSERT_EQ(l.exit_code, 0) << l.output;
  ASSERT_EQ(s.exit_code, 0) << s.output << read_text(cluster.dir() / "slurmctld.log");
  EXPECT_THAT(read_text(viaslurm / "slurm/sweep.sbatch"), HasSubstr("#SBATCH --array=0-3"));
  for (int k = 0; k < 4; ++k)
    EXPECT_THAT(read_text(viaslurm / ("slurm/task-" + std::to_string(k) + ".log")), HasSubstr("shard " + std::to_string(k) + "/4: 4 shards run"));
  EXPECT_THAT(s.output, HasSubstr("coverage exact"));
  EXPECT_EQ(checks_without_times(viaslurm), checks_without_times(local));
  EXPECT_EQ(shard_files(viaslurm).size(), 16u);
  fs::remove_all(local);
  fs::remove_all(viaslurm);
  fs::remove_all(cluster.dir());
}

}  // namespace
