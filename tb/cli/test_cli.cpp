// The mambahw binary, run as a user would: exit codes, messages, JSON.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mambahw/tb/shell.hpp"

namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

using Result = mambahw::tb::ShellResult;  // exit code, stdout and stderr

Result run(const std::string& args) { return mambahw::tb::run_shell(std::string(MAMBAHW_BIN) + " " + args + " 2>&1"); }

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("mambahw_cli_" + std::to_string(::getpid()) + "_" + name);
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);  // throws on invalid JSON
}

TEST(Cli, VersionAndHelp) {
  const Result v = run("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.output, HasSubstr("mambahw 0."));
  const Result h = run("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_THAT(h.output, HasSubstr("run"));
  EXPECT_NE(run("").exit_code, 0);  // a subcommand is required
}

// --version (and so every manifest and JSON report) names the commit the
// binary was built from: the source tree's HEAD, asked of git directly.
TEST(Cli, VersionNamesTheCommitBuiltFrom) {
  const std::string cmd = std::string("git -C ") + MAMBAHW_SOURCE_DIR + " rev-parse --short=12 HEAD 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 64> buf{};
  const bool got = std::fgets(buf.data(), buf.size(), pipe) != nullptr;
  pclose(pipe);
  if (!got) GTEST_SKIP() << "not a git checkout";
  const std::string head(buf.data(), 12);
  EXPECT_THAT(run("--version").output, ::testing::MatchesRegex("mambahw 0\\.1\\.0 \\(git " + head + "(-dirty)?\\)\n"));
}

TEST(Cli, RunDefaultConfigWritesValidJson) {
  const fs::path json = temp_file("default.json");
  const fs::path csv = temp_file("default_csv");
  const Result r = run("run --seq-len 128 --no-other-schedule --json " + json.string() + " --csv " + csv.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The CSV tables are the same tree as the JSON: the roofline's rows, one per program op.
  std::ifstream roof_csv(csv / "roofline.ops.csv");
  std::string header, line;
  ASSERT_TRUE(std::getline(roof_csv, header));
  EXPECT_EQ(header, "op,unit,compute_cycles,memory_cycles,bytes");
  int roof_rows = 0;
  while (std::getline(roof_csv, line)) ++roof_rows;
  EXPECT_EQ(roof_rows, 7);  // in_proj, conv, x_proj, dt_proj, scan, Hadamard, out_proj
  EXPECT_TRUE(fs::exists(csv / "model.units.csv"));
  fs::remove_all(csv);
  EXPECT_THAT(r.output, HasSubstr("mamba-130m"));
  const nlohmann::json j = read_json(json);
  fs::remove(json);
  EXPECT_EQ(j["tool"], "mambahw");
  EXPECT_EQ(j["scheme"], "quamba1");
  const auto& study = j["conv_out_study"];
  EXPECT_EQ(study["model"], "mamba-130m");
  EXPECT_EQ(study["seq_len"], 128);
  ASSERT_EQ(study["schemes"].size(), 4u);
  // The run's scheme is studied on the layer run's own conv outputs: the study's
  // recount of clipped INT8 codes equals the layer's own counter (golden
  // count_saturated) on the same tensor; the other schemes on the synthetic layer.
  for (const auto& s : study["schemes"])
    EXPECT_EQ(s["source"], s["scheme"] == "quamba1" ? "layer 0" : "synthetic conv layer") << s["scheme"];
  ASSERT_EQ(study["schemes"][0]["scheme"], "quamba1");
  EXPECT_GT(study["schemes"][0]["int8_saturated"].get<std::int64_t>(), 0);
  EXPECT_EQ(study["schemes"][0]["int8_saturated_fraction"].get<double>(),
            j["layers"][0]["modes"][0]["saturated_fraction"].get<double>());
  for (const auto& s : study["schemes"]) {
    if (s["scheme"] == "quamba2") {
      EXPECT_FALSE(s["applicable"]);  // Mamba1 has no heads
      EXPECT_THAT(s["skipped_reason"].get<std::string>(), HasSubstr("Mamba1"));
      continue;
    }
    EXPECT_TRUE(s["applicable"]);
    EXPECT_GT(s["int8_error"]["sqnr_db"].get<double>(), 5.0);
    EXPECT_EQ(s["int8_elements"], 1536 * 128);
    EXPECT_EQ(s["ssm_input_elements"], 1536 * 128);
    if (s["scheme"] == "w4a5-se") {
      EXPECT_EQ(s["ssm_input_bits"], 5);
      // Threshold at the calibration p99 of |y|, flag at 7.5 * T/7 > T: under ~1%.
      const double f = s["dual_scale"]["flagged_fraction"];
      EXPECT_GT(f, 0.0);
      EXPECT_LT(f, 0.011);
      EXPECT_EQ(s["dual_scale"]["qmax"], 7);
    }
    if (s["scheme"] == "scale-enhanced") {
      EXPECT_EQ(s["ssm_input_bits"], 9);
      EXPECT_EQ(s["dual_scale"]["scale2"], 3.0);
    }
  }
  // The SystemC model's report tree: mamba-130m's four GEMMs, 128 tokens:
  // in_proj 768 x 3072, x_proj 1536 x (48 + 2 x 16), dt_proj 48 x 1536, out_proj 1536 x 768.
  EXPECT_EQ(j["events"]["gemm_array"]["mac_int8"], 128LL * (768 * 3072 + 1536 * 80 + 48 * 1536 + 1536 * 768));
  EXPECT_EQ(j["events"]["scale_index_lookup"]["lookup"], 1536);  // one per SSM-input channel per pass
  // Every tensor the accelerator wrote (9 of the program's, and the SSM input inside the SSM core), each
  // computed by its unit and compared with golden's.
  ASSERT_EQ(j["model"]["checks"].size(), 10u);
  for (const auto& ch : j["model"]["checks"]) {
    EXPECT_EQ(ch["mismatches"], 0) << ch["tensor"];
    EXPECT_EQ(ch["reference"], "golden run_layer") << ch["tensor"];
    EXPECT_FALSE(ch["source"].get<std::string>().empty()) << ch["tensor"];
  }
  EXPECT_EQ(j["model"]["checks"][0]["tensor"], "x");
  EXPECT_EQ(j["model"]["checks"][0]["unit"], "gemm_array");
  EXPECT_EQ(j["checks_run"], 10);
  double roof = 0;
  for (const auto& op : j["roofline"]["ops"])
    roof += std::max(op["compute_cycles"].get<double>(), op["memory_cycles"].get<double>());
  EXPECT_DOUBLE_EQ(j["roofline"]["cycles"].get<double>(), roof);
  const auto& idx = j["cost"][0]["index_bases"];
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx[0]["index"], "quamba1");
  EXPECT_TRUE(idx[0]["selected"]);
  EXPECT_EQ(idx[1]["index"], "quamba2-seq");
  EXPECT_EQ(idx[1]["lookups_per_layer_pass"], 1536);
  // The die estimate: its parts add up, each names the table entries it uses.
  const auto& cost = j["cost"][0];
  double die = 0, leak_mw = 0;
  for (const auto& i : cost["area_items"]) {
    die += i["mm2"].get<double>();
    leak_mw += i["leakage_mw"].get<double>();
    EXPECT_FALSE(i["source"].get<std::string>().empty()) << i["unit"];
  }
  EXPECT_NEAR(cost["area_mm2"].get<double>(), die, 1e-9);
  // Energy: the categories add up; leakage is the parts' power over the model's time (mW x ns = pJ).
  double energy = 0;
  for (const auto& [k, v] : cost["energy_pj_by_category"].items()) energy += v.get<double>();
  EXPECT_NEAR(cost["energy_pj_per_layer"].get<double>(), energy, 1e-6 * energy);
  EXPECT_NEAR(cost["energy_pj_by_category"]["leakage"].get<double>(), leak_mw * j["latency_ns"].get<double>(),
              1e-9 * energy);
  EXPECT_NEAR(cost["leakage_time_ns"].get<double>(), j["latency_ns"].get<double>(), 1e-9);
  // The sensitivity rows bracket the nominal energy per token.
  const double nominal_nj = cost["energy_pj_per_token"].get<double>() / 1e3;
  ASSERT_FALSE(cost["sensitivity"].empty());
  EXPECT_EQ(cost["sensitivity"][0]["knob"], "dram_pj_per_bit");
  for (const auto& row : cost["sensitivity"]) {
    EXPECT_LE(row["nj_per_token_low"].get<double>(), nominal_nj * (1 + 1e-9)) << row["knob"];
    EXPECT_GE(row["nj_per_token_high"].get<double>(), nominal_nj * (1 - 1e-9)) << row["knob"];
  }
  EXPECT_THAT(r.output, HasSubstr("die area"));
  EXPECT_THAT(r.output, HasSubstr("energy per token and die area at the ends of each sourced range"));
  // The W4A5-SE traffic table: Mamba1 keeps the INT8 codes for x_proj, so the packed words add traffic.
  EXPECT_GT(j["w4a5se_traffic"]["delta_fraction"].get<double>(), 0.0);
}

TEST(Cli, RunMamba2UsesGroupedScales) {
  const fs::path json = temp_file("m2.json");
  const Result r = run(std::string("run ") + MAMBAHW_SOURCE_DIR + "/configs/mamba2-130m.yaml --seq-len 64 --no-other-schedule --json " +
                       json.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json(json);
  fs::remove(json);
  bool seen = false;
  for (const auto& s : j["conv_out_study"]["schemes"]) {
    if (s["scheme"] != "quamba2") continue;
    seen = true;
    EXPECT_TRUE(s["applicable"]);
    EXPECT_EQ(s["uncovered_channels"], 0);
    EXPECT_LT(s["int8_scale_min"].get<double>(), s["int8_scale_max"].get<double>());
    EXPECT_EQ(s["int8_elements"], 1792 * 64);
  }
  EXPECT_TRUE(seen);
}

TEST(Cli, ConfigErrorsExitTwoWithLocation) {
  const fs::path cfg = temp_file("bad.yaml");
  std::ofstream(cfg) << "model: " << MAMBAHW_SOURCE_DIR << "/configs/models/mamba-130m.yaml\n"
                     << "scheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n"
                     << "run:\n  seed: 1\n  sequence_length: 64\n";
  const Result r = run("run " + cfg.string());
  fs::remove(cfg);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("config error: " + cfg.string() + ":5:3: run.sequence_length: unknown key"));
  const Result missing = run("run /no/such/config.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.output, HasSubstr("/no/such/config.yaml: cannot open the file"));
}

// A buffer too small for a GEMM's smallest tile is a config error naming the
// buffer, the GEMM, the tile and the bytes, before any work (exit 2).
TEST(Cli, ABufferTooSmallForAGemmTileIsAConfigError) {
  const fs::path cfg = temp_file("tiny.yaml");
  std::ofstream(cfg) << "model: " << MAMBAHW_SOURCE_DIR << "/configs/models/mamba-130m.yaml\n"
                     << "scheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n"
                     << "hardware:\n  buffers:\n    activation_kib: 1\n"
                     << "run:\n  seq_len: 16\n";
  const Result r = run("run " + cfg.string());
  fs::remove(cfg);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // x_proj, the first GEMM with K = d_inner = 1536 (INT8 conv codes): one row does not fit 1024 bytes.
  EXPECT_THAT(r.output, HasSubstr("hardware.buffers.activation_kib: GEMM 'x_proj' needs one token's input row (K 1536 x "
                                  "1 byte(s) = 1536 bytes) on chip; the activation buffer holds 1024 bytes"));
}

// The accumulator's check at load, over the run's batch: mamba2-130m under
// Quamba2 (12 weight groups in out_proj's K = 1536) needs 32 x 12 x 4 = 1536
// bytes for one token's sums; 1 KiB is a config error (exit 2) before any
// work, with the message of the buffer layout's check.
TEST(Cli, AnAccumulatorThatCannotHoldOneTokenIsAConfigErrorAtLoad) {
  const fs::path cfg = temp_file("acc.yaml");
  std::ofstream(cfg) << "model: " << MAMBAHW_SOURCE_DIR << "/configs/models/mamba2-130m.yaml\n"
                     << "scheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba2.yaml\n"
                     << "hardware:\n  buffers:\n    accumulator_kib: 1\n"
                     << "run:\n  seq_len: 16\n  batch: 2\n";
  const Result r = run("run " + cfg.string());
  fs::remove(cfg);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("config error: " + cfg.string() + ": hardware.buffers.accumulator_kib: the gemm_array "
                                  "needs for 'out_proj' its INT32 sums (1 token x 32 columns x 12 weight group(s) "
                                  "INT32 = 1536 bytes), 1536 bytes in all, on chip; the accumulator holds 1024 bytes"));
}

// CLI usage errors exited 105/106/109 (CLI11's codes), which the README did
// not document: every usage error is exit 2, like a bad config.
TEST(Cli, UsageErrorsExitTwo) {
  for (const std::string args : {"run --no-such-option", "run --seq-len 2147483648", "run --seq-len 0",
                                 "run --seq-len abc", "export --block gpu --out /tmp/x", "export --out /tmp/x",
                                 "frobnicate", "run --modes 7"}) {
    const Result r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_FALSE(r.output.empty()) << args;
  }
  EXPECT_EQ(run("run --help").exit_code, 0);
}

// --tech missing.yaml was ignored with --no-model, and reported only after
// 30 s of work otherwise: every table is loaded before any work.
TEST(Cli, TechTablesAreLoadedBeforeAnyWork) {
  for (const std::string extra : {" --no-model", ""}) {
    const Result r = run("run --tech /no/such/tech.yaml --no-layer" + extra);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("config error: /no/such/tech.yaml: cannot open the file (No such file or directory)"));
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("Conv-output quantization study")));  // nothing ran
  }
  const fs::path bad = temp_file("tech.yaml");
  std::ofstream(bad) << "name: t\nbase: " << MAMBAHW_SOURCE_DIR << "/configs/tech/horowitz-45nm.yaml\n"
                     << "lookup: {compare_ns: 1e300, select_ns: 0.01, source: x}\n";
  const Result r = run("run --no-layer --no-model --tech " + bad.string());
  fs::remove(bad);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("lookup.compare_ns: must be at most 10000, got 1e+300"));
}

// --seq-len raises the memory estimate after the config was loaded: checked again.
TEST(Cli, MemoryBudgetAppliesAfterCommandLineOverrides) {
  const fs::path cfg = temp_file("budget.yaml");
  std::ofstream(cfg) << "model: " << MAMBAHW_SOURCE_DIR << "/configs/models/mamba-130m.yaml\n"
                     << "scheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n"
                     << "run: {memory_budget_mib: 200}\n";
  const Result r = run("run " + cfg.string() + " --seq-len 1048576 --no-model");
  fs::remove(cfg);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("run.memory_budget_mib: the run would need about "));
  EXPECT_THAT(r.output, HasSubstr("more than the budget of 200 MiB"));
}

// Bad configs are refused in bounded memory: the child's peak RSS, as the
// kernel counts it, stays under 100 MB for each (an alias bomb, a 100 MB
// file, a huge dimension, a deep include chain).
TEST(Cli, BadConfigsAreRefusedInBoundedMemory) {
  const fs::path dir = temp_file("bounded");
  fs::create_directories(dir);
  std::string bomb = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 12; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb.append("a").append(std::to_string(i)).append(": &a").append(std::to_string(i)).append(" [");
    bomb.append(prev).append(", ").append(prev).append(", ").append(prev).append(", ").append(prev).append("]\n");
  }
  std::ofstream(dir / "bomb.yaml") << bomb;
  std::ofstream(dir / "big.yaml") << "model: m.yaml\n";
  fs::resize_file(dir / "big.yaml", 100u << 20);
  std::ofstream(dir / "wide.yaml") << "model: {name: w, arch: mamba1, d_model: 768, d_inner: 1099511627776, d_state: 16, "
                                      "n_layer: 1}\nscheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n";
  std::ofstream(dir / "long.yaml") << "model: {name: w, arch: mamba1, d_model: 768, d_inner: 16777216, d_state: 16, "
                                      "n_layer: 1}\nscheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n"
                                   << "run: {seq_len: 1048576}\n";
  for (const std::string f : {"bomb.yaml", "big.yaml", "wide.yaml", "long.yaml"}) {
    const std::string file = (dir / f).string();
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(MAMBAHW_BIN, MAMBAHW_BIN, "run", file.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    struct rusage use {};
    ASSERT_EQ(::wait4(pid, &status, 0, &use), pid);
    ASSERT_TRUE(WIFEXITED(status)) << f;
    EXPECT_EQ(WEXITSTATUS(status), 2) << f;
    EXPECT_LT(use.ru_maxrss, 100 * 1024) << f << ": peak RSS " << use.ru_maxrss << " KiB";  // ru_maxrss is in KiB
  }
  fs::remove_all(dir);
}

// A small run for the schedules' tests (under a CPU-second each): one mamba-130m layer of 16 tokens,
// one calibration batch, one SSM-input mode, no study of other schemes.
fs::path small_config(const std::string& name) {
  const fs::path cfg = temp_file(name);
  std::ofstream(cfg) << "model: " << MAMBAHW_SOURCE_DIR << "/configs/models/mamba-130m.yaml\n"
                     << "scheme: " << MAMBAHW_SOURCE_DIR << "/configs/schemes/quamba1.yaml\n"
                     << "hardware: " << MAMBAHW_SOURCE_DIR << "/configs/hw/default.yaml\n"
                     << "run: {seq_len: 16, calib_batches: 1, calib_seq_len: 32, modes: [0]}\n";
  return cfg;
}

const nlohmann::json& row_of(const nlohmann::json& rows, const std::string& schedule) {
  for (const auto& r : rows)
    if (r["schedule"] == schedule) return r;
  static const nlohmann::json none;
  ADD_FAILURE() << "no row for " << schedule;
  return none;
}

// The whole model's energy per token carries the LM head's pass: the
// prefill's tokens share it, each decode step pays it once more. The layers'
// share is the cost report's (prefill) and decode report's per-token energy
// x n_layer / layers; what is added must be the head's pass, which cannot be
// less than its DRAM bytes at the table's selected pJ/bit (an independent
// floor: the bytes come from the mapping, the pJ/bit from the table).
TEST(Cli, WholeModelEnergyIncludesTheLmHead) {
  const fs::path cfg = small_config("head.yaml");
  const fs::path js = temp_file("head.json");
  const Result r = run("run " + cfg.string() + " --decode 2 --json " + js.string());
  fs::remove(cfg);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("LM head nJ/pass"));
  const nlohmann::json J = read_json(js);
  fs::remove(js);
  const auto& w = J["whole_model"];
  const double scale = w["scale"].get<double>(), tokens = w["batch"].get<double>() * w["seq_len"].get<double>();
  ASSERT_EQ(w["energy"].size(), J["cost"].size());
  const auto& row = w["energy"][0];
  const double head = row["lm_head_nj_per_pass"].get<double>();
  const double layers_prefill = J["cost"][0]["energy_pj_per_token"].get<double>() * scale / 1e3;
  const double layers_decode = J["decode_cost"][0]["energy_pj_per_token"].get<double>() * scale / 1e3;
  EXPECT_DOUBLE_EQ(row["prefill_nj_per_token"].get<double>(), layers_prefill + head / tokens);
  EXPECT_DOUBLE_EQ(row["decode_nj_per_token"].get<double>(), layers_decode + head / w["batch"].get<double>());
  double pj_per_bit = 0;
  for (const auto& v : J["cost"][0]["dram_variants"])
    if (v["selected"].get<bool>()) pj_per_bit = v["pj_per_bit"].get<double>();
  ASSERT_GT(pj_per_bit, 0);
  EXPECT_GE(head, w["lm_head"]["dram_bytes"].get<double>() * 8 * pj_per_bit / 1e3);
}

// Both schedules side by side from one run; the other schedule's figures come
// from a process of its own. Two runs, each configured with one schedule,
// are the independent producers: A (serial) reports pipelined figures that
// must equal B's own (pipelined) run, and B reports serial figures that must
// equal A's own.
TEST(Cli, RunReportsBothSchedulesSideBySide) {
  const fs::path cfg = small_config("sched.yaml");
  const fs::path ja = temp_file("sched_a.json"), jb = temp_file("sched_b.json");
  const Result a = run("run " + cfg.string() + " --schedule serial --json " + ja.string());
  const Result b = run("run " + cfg.string() + " --schedule pipelined --json " + jb.string());
  fs::remove(cfg);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const nlohmann::json A = read_json(ja), B = read_json(jb);
  fs::remove(ja);
  fs::remove(jb);
  for (const auto* r : {&a, &b}) {
    EXPECT_THAT(r->output, HasSubstr("serial start"));
    EXPECT_THAT(r->output, HasSubstr("pipelined start"));
    EXPECT_THAT(r->output, HasSubstr("accuracy band, serial"));
    EXPECT_THAT(r->output, HasSubstr("accuracy band, pipelined"));
    EXPECT_THAT(r->output, ::testing::Not(HasSubstr("not run")));
  }
  EXPECT_EQ(A["schedules"]["configured"], "serial");
  EXPECT_EQ(B["schedules"]["configured"], "pipelined");
  for (const nlohmann::json* j : {&A, &B}) {
    EXPECT_TRUE((*j)["schedules"]["other_ran"]);
    ASSERT_EQ((*j)["schedules"]["totals"].size(), 2u);
    for (const auto& r : (*j)["schedules"]["totals"]) EXPECT_TRUE(r["bit_exact"]) << r["schedule"];
    ASSERT_EQ((*j)["schedules"]["ops"].size(), 7u);
  }
  // Each process's own cycles against the other's report of them.
  EXPECT_EQ(row_of(A["schedules"]["totals"], "serial")["cycles"], A["cycles"]);
  EXPECT_EQ(row_of(B["schedules"]["totals"], "serial")["cycles"], A["cycles"]);
  EXPECT_EQ(row_of(A["schedules"]["totals"], "pipelined")["cycles"], B["cycles"]);
  EXPECT_EQ(row_of(B["schedules"]["totals"], "pipelined")["cycles"], B["cycles"]);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(A["schedules"]["ops"][i]["pipelined_cycles"], B["model"]["ops"][i]["cycles"]) << i;
    EXPECT_EQ(B["schedules"]["ops"][i]["serial_cycles"], A["model"]["ops"][i]["cycles"]) << i;
    EXPECT_EQ(A["schedules"]["ops"][i]["pipelined_start"], B["model"]["ops"][i]["start"]) << i;
  }
  EXPECT_LT(B["cycles"].get<std::int64_t>(), A["cycles"].get<std::int64_t>());  // the units overlap
  // The pipelined band: a row per unit with ops, the DRAM and the layer, whose cycles are B's.
  for (const nlohmann::json* j : {&A, &B}) {
    const auto& units = (*j)["accuracy_band"]["pipelined"]["units"];
    ASSERT_EQ(units.size(), 6u);
    EXPECT_EQ(units[0]["what"], "gemm_array");
    EXPECT_EQ(units[4]["what"], "dram");
    EXPECT_EQ(units[5]["what"], "layer");
    EXPECT_EQ(units[5]["cycles"], B["cycles"]);
    ASSERT_EQ((*j)["accuracy_band"]["serial"]["ops"].size(), 7u);
    // A unit's time cannot be under its busy cycles, nor a unit's waits for
    // another's tiles beyond the cycles the DRAM scoreboard made reads wait.
    std::int64_t waited = 0;
    for (std::size_t u = 0; u < 4; ++u) {
      EXPECT_GE(units[u]["cycles"].get<double>(), units[u]["busy"].get<double>()) << units[u]["what"];
      EXPECT_GE(units[u]["dependency_wait"].get<std::int64_t>(), 0) << units[u]["what"];
      waited += units[u]["dependency_wait"].get<std::int64_t>();
    }
    EXPECT_LE(waited, row_of((*j)["schedules"]["totals"], "pipelined")["producer_wait"].get<std::int64_t>());
  }
}

// The other schedule not run is said so, with why, and gives no figures (no
// "yes" under bit-exact for it): asked not to, a temporary directory that
// cannot be made, and a run that fails (the test hook MAMBAHW_FAIL_SCHEDULE_RUN).
TEST(Cli, TheOtherScheduleNotRunIsSaidSoWithWhy) {
  const fs::path cfg = small_config("sched_fail.yaml");
  const fs::path json = temp_file("sched_fail.json");
  struct Case {
    std::string env, args, why;
  };
  for (const Case& k : {Case{"", " --no-other-schedule", "pipelined: not run: --no-other-schedule"},
                        Case{"TMPDIR=/nonexistent/mambahw-tmp ", "",
                             "pipelined: not run: cannot create a temporary directory in /nonexistent/mambahw-tmp: No "
                             "such file or directory"},
                        Case{"MAMBAHW_FAIL_SCHEDULE_RUN=1 ", "",
                             "pipelined: not run: the pipelined run (a process of its own) exited with status 1: "
                             "mambahw: error: failing on purpose: MAMBAHW_FAIL_SCHEDULE_RUN is set"}}) {
    const Result r = mambahw::tb::run_shell(k.env + MAMBAHW_BIN + " run " + cfg.string() + k.args + " --json " +
                                            json.string() + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << k.env << k.args << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(k.why)) << k.env << k.args;
    // No totals row for it in the text either (a row would end "... yes <fusion buffer>").
    EXPECT_THAT(r.output, ::testing::Not(::testing::ContainsRegex("\n    pipelined +[0-9]"))) << k.env << k.args;
    EXPECT_THAT(r.output, ::testing::ContainsRegex("\n    serial +[0-9]+ ")) << k.env << k.args;
    const nlohmann::json j = read_json(json);
    EXPECT_FALSE(j["schedules"]["other_ran"]);
    EXPECT_THAT(j["schedules"]["other_error"].get<std::string>(), HasSubstr(k.why.substr(11)));
    ASSERT_EQ(j["schedules"]["totals"].size(), 1u);
    EXPECT_EQ(j["schedules"]["totals"][0]["schedule"], "serial");
    EXPECT_FALSE(j["schedules"].contains("ops"));
    EXPECT_FALSE(j["accuracy_band"].contains("pipelined"));
    EXPECT_TRUE(j["accuracy_band"].contains("serial"));
  }
  fs::remove(cfg);
  fs::remove(json);
}

// verify-vectors on a path it cannot read: a message, exit 1, never
// SystemC's "E549 uncaught exception".
TEST(Cli, VerifyVectorsReportsUnreadablePaths) {
  const Result r = run("verify-vectors /tmp/" + std::string(300, 'a'));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAILED"));
  EXPECT_THAT(r.output, HasSubstr("cannot be read (File name too long)"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("E549")));
}

// compare: the group shape and the hybrid split are parameters, checked by
// hand: a 1 x 2 x 2 table per layer holds G*H head ranges, G*H*D dim ranges
// and G*H*D scales, 32 bits each as the GPU stores them (2 + 4 + 4) x 32 = 320
// bits; a hybrid with a quarter of its layers grouped averages 0.25 x 320 +
// 0.75 x 32 (one scale register) = 104 bits per layer.
TEST(Cli, CompareGroupShapeHybridSplitAndSchemeNames) {
  const fs::path csv = temp_file("cmp.csv");
  const Result r = run("compare --groups 1x2x2 --schemes quamba2-seq,hybrid --hybrid-split 0.25 --tech "
                       "configs/tech/cacti-28nm.yaml --csv " + csv.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Grouped tables: 1x2x2 (SSD groups x head groups x dim groups, from --groups)"));
  std::ifstream in(csv);
  std::string header, seq, hybrid;
  std::getline(in, header);
  std::getline(in, seq);
  std::getline(in, hybrid);
  fs::remove(csv);
  EXPECT_THAT(seq, ::testing::StartsWith("quamba2-seq,cacti-28nm,1,2,2,320,"));
  EXPECT_THAT(hybrid, ::testing::StartsWith("hybrid,cacti-28nm,1,2,2,104,"));
  // A misspelt scheme is refused, not dropped; a shape the model cannot hold too.
  const Result bad = run("compare --schemes quamba2-seq,quamba3");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("quamba3 not in"));
  const Result shape = run("compare --groups 1x99x2");
  EXPECT_EQ(shape.exit_code, 2);
  EXPECT_THAT(shape.output, HasSubstr("99 head groups exceed the 80 heads per SSD group"));
}

// The research notes' claims beside the tool's figures: under the notes' own
// assumptions (notes-7nm) the tool reproduces 72 KB x 0.04 mm2/KB = 2.88 mm2,
// 2.88 / 65 = 4.43% of the die and 4 x (0.5 + 0.3) + 4 x (0.5 + 0.3) + 1 = 7.4 ns.
TEST(Cli, CompareNotesClaimsBesideTheToolsFigures) {
  const fs::path json = temp_file("claims.json");
  const Result r = run("compare --tech configs/tech/cacti-28nm.yaml --json " + json.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("The research notes' claims"));
  EXPECT_THAT(r.output, HasSubstr("why: "));
  const nlohmann::json j = read_json(json);
  fs::remove(json);
  ASSERT_EQ(j["notes_claims"].size(), 6u);
  EXPECT_NEAR(j["notes_claims"][0]["tool_notes-7nm"].get<double>(), 73728.0 / 1024 * 0.04, 1e-9);
  EXPECT_NEAR(j["notes_claims"][4]["tool_notes-7nm"].get<double>(), 100 * 2.88 / 65, 1e-9);
  EXPECT_NEAR(j["notes_claims"][5]["tool_notes-7nm"].get<double>(), 4 * (0.5 + 0.3) * 2 + 1, 1e-9);
  for (const auto& c : j["notes_claims"]) EXPECT_FALSE(c["reason"].get<std::string>().empty());
}

}  // namespace
