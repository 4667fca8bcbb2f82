// The schedules' report pieces (tools/cli/schedules.hpp) on hand-made runs:
// the pipelined accuracy band's bounds and causes derived by hand, and the
// summary's JSON (what the other schedule's process hands back).
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <string>

#include <nlohmann/json.hpp>

#include "schedules.hpp"

namespace {

using mambahw::cli::ScheduleSummary;
using ::testing::HasSubstr;
namespace cost = mambahw::cost;
namespace report = mambahw::report;

// Two ops on two units: p (gemm_array) reads a and w, writes b; q (ssm_core)
// reads b, writes c. b is held in the fusion buffer. 10 tokens.
mambahw::LayerProgram two_op_program() {
  mambahw::LayerProgram p;
  p.input = "a";
  auto act = [](const char* n, int per_token) {
    mambahw::TensorSpec t;
    t.name = n;
    t.per_token = per_token;  // INT8: per_token bytes per token
    return t;
  };
  mambahw::TensorSpec w;
  w.name = "w";
  w.fixed = 100;
  p.tensors = {act("a", 4), act("b", 2), act("c", 3), w};
  mambahw::OpSpec op_p, op_q;
  op_p.name = "p";
  op_p.unit = mambahw::Unit::kGemmArray;
  op_p.inputs = {"a"};
  op_p.outputs = {"b"};
  op_p.weights = {"w"};
  op_q.name = "q";
  op_q.kind = mambahw::OpKind::kSelectiveScan;
  op_q.unit = mambahw::Unit::kSsmCore;
  op_q.inputs = {"b"};
  op_q.outputs = {"c"};
  p.ops = {op_p, op_q};
  return p;
}

ScheduleSummary two_op_run() {
  ScheduleSummary s;
  s.schedule = "pipelined";
  s.ran = true;
  s.seq_len = 10;
  s.layer0_cycles = 1520;
  s.cycles = 1520;
  s.on_chip = {"b"};
  s.dram_read = 300;
  s.dram_write = 50;
  s.host_input_bytes = 40;
  ScheduleSummary::Op p{"p", "gemm_array", 0, 1200, 1100, {}, 500};
  p.stalls[0] = 50;  // DRAM stall
  ScheduleSummary::Op q{"q", "ssm_core", 0, 1500, 900, {}, -1};
  q.stalls[2] = 100;  // exp throughput
  s.ops = {p, q};
  return s;
}

std::string text(const report::Table& t, std::size_t row, const std::string& key) {
  return std::get<std::string>(t.rows[row][t.column(key)]);
}
double num(const report::Table& t, std::size_t row, const std::string& key) {
  const report::Cell& c = t.rows[row][t.column(key)];
  return std::holds_alternative<double>(c) ? std::get<double>(c) : static_cast<double>(std::get<std::int64_t>(c));
}

// By hand:
//   gemm_array: bound 1000 (p's compute), busy 1100 (+10%), ends at 1200 (+20%):
//     fill/drain 1100 - 1000 = 100, DRAM stall 50, dependency wait 1200 - 1100 - 50 = 50.
//   ssm_core: bound 800, busy 900 (+12.5%), ends at 1500 (+87.5%):
//     fill/drain 100, exp throughput 100, dependency wait 1500 - 900 - 100 = 500.
//   DRAM: every tensor once but b: a 40 + w 100 (p), c 30 (q) = 170 bytes = 170 cycles at
//     1 byte/cycle; the model moved 300 + 50 - 40 (the host's input) = 310: +82.4%, 140 beyond.
//   layer: bound max(1000, 800, 170) = 1000 (gemm_array); 1520 cycles (+52%); the last unit to
//     finish is ssm_core: compute 800 + dependency wait 500 + fill/drain 100 + exp 100 + 20 after it.
TEST(Schedules, PipelinedBandByHand) {
  cost::Roofline roof;
  roof.ops = {{"p", mambahw::Unit::kGemmArray, 1000, 140, 140}, {"q", mambahw::Unit::kSsmCore, 800, 50, 50}};
  const report::Node n = mambahw::cli::pipelined_band_report(two_op_program(), roof, two_op_run(), 1.0);
  const report::Table& t = n.at("units").table();
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(text(t, 0, "what"), "gemm_array");
  EXPECT_EQ(num(t, 0, "bound_cycles"), 1000);
  EXPECT_EQ(num(t, 0, "busy"), 1100);
  EXPECT_NEAR(num(t, 0, "busy_gap_pct"), 10.0, 1e-9);
  EXPECT_EQ(num(t, 0, "cycles"), 1200);
  EXPECT_EQ(num(t, 0, "dependency_wait"), 50);
  EXPECT_NEAR(num(t, 0, "gap_pct"), 20.0, 1e-9);
  EXPECT_EQ(text(t, 0, "causes"), "fill/drain 100, DRAM stall 50, dependency wait 50");
  EXPECT_EQ(text(t, 1, "what"), "ssm_core");
  EXPECT_EQ(num(t, 1, "bound_cycles"), 800);
  EXPECT_NEAR(num(t, 1, "busy_gap_pct"), 12.5, 1e-9);
  EXPECT_EQ(num(t, 1, "cycles"), 1500);
  EXPECT_EQ(num(t, 1, "dependency_wait"), 500);
  EXPECT_NEAR(num(t, 1, "gap_pct"), 87.5, 1e-9);
  EXPECT_EQ(text(t, 1, "causes"), "dependency wait 500, fill/drain 100, exp throughput 100");
  EXPECT_EQ(text(t, 2, "what"), "dram");
  EXPECT_EQ(num(t, 2, "bound_cycles"), 170);
  EXPECT_EQ(num(t, 2, "busy"), 310);
  EXPECT_NEAR(num(t, 2, "gap_pct"), 100.0 * (310.0 / 170.0 - 1.0), 1e-9);
  EXPECT_THAT(text(t, 2, "causes"), HasSubstr("traffic beyond every tensor once 140"));
  EXPECT_EQ(text(t, 3, "what"), "layer");
  EXPECT_EQ(num(t, 3, "bound_cycles"), 1000);
  EXPECT_EQ(text(t, 3, "bound"), "compute (gemm_array)");
  EXPECT_EQ(num(t, 3, "cycles"), 1520);
  EXPECT_NEAR(num(t, 3, "gap_pct"), 52.0, 1e-9);
  EXPECT_EQ(text(t, 3, "causes"),
            "the last unit to finish, ssm_core: compute 800, dependency wait 500, fill/drain 100, exp throughput 100, "
            "after the last unit 20");
  EXPECT_EQ(std::get<double>(n.at("dram_bound_bytes").cell()), 170);
}

// A unit busy for fewer cycles than its bound (the bound counts as compute
// what the unit counts as a stall): the difference is a negative cause, so
// the causes still add up: 950 - 1000 = -50, exp 100, dependency wait
// 1200 - 950 - 100 = 150; -50 + 100 + 150 = 200 = 1200 - 1000.
TEST(Schedules, PipelinedBandBusyUnderTheBound) {
  ScheduleSummary s = two_op_run();
  s.ops[0] = {"p", "gemm_array", 0, 1200, 950, {}, 500};
  s.ops[0].stalls[2] = 100;
  cost::Roofline roof;
  roof.ops = {{"p", mambahw::Unit::kGemmArray, 1000, 0, 0}, {"q", mambahw::Unit::kSsmCore, 800, 0, 0}};
  const report::Table t = mambahw::cli::pipelined_band_report(two_op_program(), roof, s, 1.0).at("units").table();
  EXPECT_EQ(text(t, 0, "causes"), "dependency wait 150, exp throughput 100, busy under the bound -50");
}

// Within 5% says so and gives no causes; a DRAM-bound layer names the DRAM.
TEST(Schedules, PipelinedBandWithinFivePercentAndDramBound) {
  ScheduleSummary s = two_op_run();
  s.ops[0] = {"p", "gemm_array", 0, 1040, 1040, {}, 500};  // 4% over its 1000
  s.ops[1] = {"q", "ssm_core", 0, 820, 820, {}, -1};       // 2.5% over its 800
  s.layer0_cycles = 1040;
  s.dram_read = 1900;
  s.dram_write = 140;  // 2000 bytes of the units' own: 2000 cycles at 1 byte/cycle
  cost::Roofline roof;
  roof.ops = {{"p", mambahw::Unit::kGemmArray, 1000, 0, 0}, {"q", mambahw::Unit::kSsmCore, 800, 0, 0}};
  const report::Table t = mambahw::cli::pipelined_band_report(two_op_program(), roof, s, 0.1).at("units").table();
  EXPECT_EQ(text(t, 0, "causes"), "within 5%");
  EXPECT_EQ(text(t, 1, "causes"), "within 5%");
  // At 0.1 byte/cycle the 170 bytes take 1700 cycles: the layer's bound, and its 1040 cycles are below it.
  EXPECT_EQ(text(t, 3, "bound"), "DRAM");
  EXPECT_EQ(num(t, 3, "bound_cycles"), 1700);
  EXPECT_EQ(text(t, 3, "causes"), "within 5%");
}

TEST(Schedules, SummaryJsonKeepsEveryFieldAndRefusesAMissingOne) {
  const ScheduleSummary s = two_op_run();
  const nlohmann::json j = s;
  const ScheduleSummary back = j.get<ScheduleSummary>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.ops.at(1).stalls[2], 100);
  EXPECT_EQ(back.on_chip, std::vector<std::string>{"b"});
  for (const char* key : {"cycles", "ops", "host_input_bytes"}) {
    nlohmann::json k = j;
    k.erase(key);
    EXPECT_THROW((void)k.get<ScheduleSummary>(), nlohmann::json::exception) << key;
  }
  nlohmann::json bad = j;
  bad["ops"][0].erase("busy");
  EXPECT_THROW((void)bad.get<ScheduleSummary>(), nlohmann::json::exception);
}

// The side-by-side table holds no numbers for a schedule that did not run.
TEST(Schedules, ANotRunScheduleHasNoRow) {
  ScheduleSummary serial = two_op_run();
  serial.schedule = "serial";
  ScheduleSummary pipe;
  pipe.schedule = "pipelined";
  pipe.error = "not run: because";
  serial.steps = 4;
  serial.decode_latency_ns = 800;  // 200 ns per step for 1 simulated layer
  serial.batch = 2;
  const report::Node n = mambahw::cli::schedules_report(24, 1000, serial, pipe);
  EXPECT_FALSE(std::get<bool>(n.at("other_ran").cell()));
  EXPECT_EQ(std::get<std::string>(n.at("other_error").cell()), "not run: because");
  const report::Table& t = n.at("totals").table();
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(text(t, 0, "schedule"), "serial");
  // The whole model's decode: 200 ns x 24 layers + 1000 ns of LM head = 5800 ns per step of 2 tokens.
  EXPECT_NEAR(num(t, 0, "tokens_per_s_model"), 2e9 / 5800, 1e-6);
  EXPECT_THROW((void)n.at("ops"), std::out_of_range);
}

}  // namespace
