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
// the sweep finishes and merges.
TEST(Sweep, DeadWorkerFailsItsPoint) {
  const fs::path dir = scratch("dead");
  const Result r = sh("ulimit -S -t 2 && " + std::string(MAMBAHW_BIN) + " sweep " + (kSpecs / "full.yaml").string() +
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
    EXPECT_THAT(r.output, ::testing::ContainsRegex("Sweep [a-z0-9-]+: [0-9]+ points")) << e.path();
    ++n;
  }
  EXPECT_GE(n, 4);
  EXPECT_FALSE(fs::exists(scratch("list")));  // --list writes nothing
}

// A single-node Slurm cluster on localhost (munged, slurmctld, slurmd),
// started and stopped here: the sweep submitted as a job array and merged
// equals the local run.
TEST(Sweep, SlurmJobArrayMergesToTheLocalResult) {
  const fs::path cluster = scratch("slurm_cluster");
  fs::create_directories(cluster);
  const std::string script = std::string(MAMBAHW_SOURCE_DIR) + "/tb/sweep/slurm_cluster.sh";
  const Result start = sh(script + " start " + cluster.string());
  if (start.exit_code == 77) {
    sh(script + " stop " + cluster.string());
    GTEST_SKIP() << start.output;
  }
  ASSERT_EQ(start.exit_code, 0) << start.output;
  const fs::path local = scratch("slurm_local"), viaslurm = scratch("slurm_remote");
  const Result l = sweep((kSpecs / "array.yaml").string() + " --results " + local.string());
  // Bounded, so a job that never runs cannot keep the daemons alive past the test.
  const Result s = sh("SLURM_CONF=" + (cluster / "slurm.conf").string() + " timeout 240 " + MAMBAHW_BIN + " sweep " +
                      (kSpecs / "array.yaml").string() + " --slurm --shards 2 --results " + viaslurm.string());
  const Result q = sh("SLURM_CONF=" + (cluster / "slurm.conf").string() + " sacct -X -n -o JobID,State 2>/dev/null; SLURM_CONF=" +
                      (cluster / "slurm.conf").string() + " scontrol show job 2>&1 | grep -E 'JobId|JobState' | head -8");
  sh(script + " stop " + cluster.string());
  ASSERT_EQ(l.exit_code, 0) << l.output;
  ASSERT_EQ(s.exit_code, 0) << s.output << "\n" << q.output << read_text(cluster / "slurmctld.log");
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
  fs::remove_all(cluster);
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

}  // namespace
