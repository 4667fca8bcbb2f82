// Config loading: every kind of bad input yields the documented error text
// (docs/configs.md), naming file, line, column and field.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "mambahw/config/config.hpp"
#include "mambahw/config/parse.hpp"
#include "mambahw/golden/layer.hpp"

namespace mambahw {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

#define EXPECT_THROW_WITH(expr, text)                                   \
  try {                                                                 \
    (void)(expr);                                                       \
    ADD_FAILURE() << #expr " did not throw";                            \
  } catch (const ConfigError& e) {                                      \
    EXPECT_THAT(std::string(e.what()), HasSubstr(text));                \
  }

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Unique per process: other checkouts run the same tests at the same time.
    dir_ = fs::temp_directory_path() /
           ("mambahw_cfg_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write("m1.yaml", kMamba1);
    write("m2.yaml", kMamba2);
    write("q1.yaml", "name: q1\nbase: quamba1\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  // The error text of loading `top` (written as top.yaml), or "" if it loads.
  std::string error_of(const std::string& top) {
    const fs::path p = write("top.yaml", top);
    try {
      load_config(p);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  static constexpr const char* kMamba1 =
      "name: m1\narch: mamba1\nd_model: 768\nd_inner: 1536\nd_state: 16\nn_layer: 24\n";
  static constexpr const char* kMamba2 =
      "name: m2\narch: mamba2\nd_model: 64\nd_inner: 128\nd_state: 16\nn_layer: 2\n"
      "headdim: 16\nnheads: 8\nngroups: 2\n";
  fs::path dir_;
};

TEST_F(ConfigTest, MinimalConfigLoadsWithDefaults) {
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\n"), "");
  const Config c = load_config(dir_ / "top.yaml");
  EXPECT_EQ(c.model.dt_rank, 48);  // ceil(768/16)
  EXPECT_EQ(c.model.d_conv, 4);
  EXPECT_EQ(c.run.seq_len, 512);
  EXPECT_EQ(c.scheme.numerics, NumericsPolicy{});
}

TEST_F(ConfigTest, UnknownKeyIsRejectedWithSuggestionAndPosition) {
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  seq_lne: 5\n"),
            file("top.yaml") + ":4:3: run.seq_lne: unknown key (did you mean 'seq_len'?); known keys "
            "here: batch, calib_batches, calib_seq_len, decode, layers, memory_budget_mib, modes, seed, seq_len");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nhardwre: {}\n"),
              HasSubstr(":3:1: hardwre: unknown key (did you mean 'hardware'?)"));
}

TEST_F(ConfigTest, LayerNumericsAndModes) {
  write("q2l.yaml", "name: q\nbase: quamba1\nlayer:\n  weights: int4\n  weight_group: 128\n"
                     "  gemm_requant: alpha\n  softplus_threshold: false\n  scan_order: block_scan\n"
                     "  state_reduction: tree\n");
  const Config c = load_config(write("top.yaml", "model: m1.yaml\nscheme: q2l.yaml\nrun:\n  modes: [0, 2]\n"));
  EXPECT_EQ(c.scheme.layer.weights, WeightPrecision::kInt4);
  EXPECT_EQ(c.scheme.layer.weight_group, 128);
  EXPECT_EQ(c.scheme.layer.gemm_requant, RequantOrder::kAlpha);
  EXPECT_FALSE(c.scheme.layer.softplus_threshold);
  EXPECT_EQ(c.scheme.layer.scan_order, ScanOrder::kBlockScan);
  EXPECT_EQ(c.scheme.layer.state_reduction, StateReduction::kTree);
  EXPECT_EQ(ssm_policy(c.scheme).reduction, StateReduction::kTree);
  EXPECT_EQ(c.run.modes, (std::vector<SsmInputMode>{SsmInputMode::kInt8, SsmInputMode::kFp32OnGrid}));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  modes: [0, 4]\n"),
              HasSubstr(":4:14: run.modes[1]: must be in [0, 3]"));
  write("q2bad.yaml", "name: q\nbase: quamba1\nlayer:\n  scan_order: tree\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q2bad.yaml\n"), HasSubstr("q2bad.yaml:4:15: scheme.layer.scan_order"));
}

// A tree reduction of another width than the SSM core's lanes would differ
// in y's last bits: refused at load, naming the file, both fields and values.
TEST_F(ConfigTest, TreeWidthOtherThanTheSsmLanesIsAConfigError) {
  write("qt.yaml", "name: qt\nbase: quamba1\nlayer:\n  state_reduction: tree\n  state_tree_width: 8\n");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: qt.yaml\n"),
            file("top.yaml") + ": scheme.layer.state_tree_width: 8 (scheme 'qt', layer.state_reduction: tree) differs "
            "from hardware.ssm.lanes: 16; the SSM core's adder trees are its lanes wide, so set the two equal");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: qt.yaml\nhardware:\n  ssm:\n    lanes: 8\n"), "");
  // A sequential reduction has no trees: the width is not used.
  write("qs.yaml", "name: qs\nbase: quamba1\nlayer:\n  state_tree_width: 8\n");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: qs.yaml\n"), "");
}

TEST_F(ConfigTest, OutProjHadamardSettingsAndSizes) {
  // Default: on, roundf, wrap (Quamba's QHadamard).
  const Config d = load_config(write("top_h.yaml", "model: m1.yaml\nscheme: q1.yaml\n"));
  EXPECT_TRUE(d.scheme.layer.out_proj_hadamard);
  EXPECT_EQ(d.scheme.layer.hadamard.rounding, Rounding::kHalfAwayFromZero);
  EXPECT_EQ(d.scheme.layer.hadamard.overflow, Overflow::kWrap);
  write("qh.yaml", "name: q\nbase: quamba1\nlayer:\n  out_proj_hadamard: true\n  hadamard_rounding: half_to_even\n"
                   "  hadamard_overflow: saturate\n");
  const Config c = load_config(write("top_h2.yaml", "model: m1.yaml\nscheme: qh.yaml\n"));
  EXPECT_EQ(c.scheme.layer.hadamard.rounding, Rounding::kHalfToEven);
  EXPECT_EQ(c.scheme.layer.hadamard.overflow, Overflow::kSaturate);
  // The scale multiply's denormals follow numerics.denormals unless set.
  EXPECT_EQ(c.scheme.layer.hadamard.denormals, Denormals::kPreserve);
  write("qh_ftz.yaml", "name: q\nbase: quamba1\nnumerics:\n  denormals: flush_to_zero\n");
  EXPECT_EQ(load_config(write("top_h4.yaml", "model: m1.yaml\nscheme: qh_ftz.yaml\n")).scheme.layer.hadamard.denormals,
            Denormals::kFlushToZero);
  write("qh_ftz2.yaml", "name: q\nbase: quamba1\nlayer:\n  hadamard_denormals: flush_to_zero\n");
  const Config f = load_config(write("top_h5.yaml", "model: m1.yaml\nscheme: qh_ftz2.yaml\n"));
  EXPECT_EQ(f.scheme.layer.hadamard.denormals, Denormals::kFlushToZero);
  EXPECT_EQ(f.scheme.numerics.denormals, Denormals::kPreserve);
  EXPECT_EQ(hadamard_policy(f.scheme)->denormals, Denormals::kFlushToZero);
  write("qh_bad.yaml", "name: q\nbase: quamba1\nlayer:\n  hadamard_overflow: clamp\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: qh_bad.yaml\n"),
              HasSubstr("qh_bad.yaml:4:22: scheme.layer.hadamard_overflow"));
  // d_inner = 1000 has no Hadamard of Quamba's sizes: refused where it is
  // turned on, or at the layer section's absence when on by default.
  write("m_odd.yaml", "name: odd\narch: mamba1\nd_model: 500\nd_inner: 1000\nd_state: 16\nn_layer: 1\n");
  write("qh_on.yaml", "name: q\nbase: quamba1\nlayer:\n  out_proj_hadamard: true\n");
  EXPECT_THAT(error_of("model: m_odd.yaml\nscheme: qh_on.yaml\n"),
              HasSubstr("qh_on.yaml:4:22: scheme.layer.out_proj_hadamard: d_inner = 1000 is not 12*2^k, 40*2^k, 28*2^k "
                        "or 2^k (the online Hadamard's sizes); set layer.out_proj_hadamard: false"));
  EXPECT_THAT(error_of("model: m_odd.yaml\nscheme: q1.yaml\n"),
              HasSubstr("scheme.layer: out_proj_hadamard is on by default, but d_inner = 1000"));
  write("qh_off.yaml", "name: q\nbase: quamba1\nlayer:\n  out_proj_hadamard: false\n");
  EXPECT_FALSE(load_config(write("top_h3.yaml", "model: m_odd.yaml\nscheme: qh_off.yaml\n")).scheme.layer.out_proj_hadamard);
}

TEST_F(ConfigTest, ErrorsInIncludedFilesNameThatFile) {
  write("bad_model.yaml", "name: x\narch: mamba1\nd_inner: 10\nd_state: 16\nn_layer: 1\n");
  EXPECT_EQ(error_of("model: bad_model.yaml\nscheme: q1.yaml\n"),
            file("bad_model.yaml") + ":1:1: model.d_model: is required but missing");
  write("q_neg.yaml", "name: q\nbase: quamba1\nconv_out:\n  scale: -0.5\n");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q_neg.yaml\n"),
            file("q_neg.yaml") + ":4:10: scheme.conv_out.scale: must be positive");
}

TEST_F(ConfigTest, BadScalesAreRefused) {
  auto scheme_with = [&](const std::string& scale) {
    write("q.yaml", "name: q\nbase: quamba1\nconv_out:\n  scale: " + scale + "\n");
    return error_of("model: m1.yaml\nscheme: q.yaml\n");
  };
  EXPECT_THAT(scheme_with("0"), HasSubstr("scheme.conv_out.scale: must be positive"));
  EXPECT_THAT(scheme_with(".nan"), HasSubstr("scheme.conv_out.scale: must be a number, got NaN"));
  EXPECT_THAT(scheme_with(".inf"), HasSubstr("scheme.conv_out.scale: must be finite"));
  EXPECT_THAT(scheme_with("1e-40"), HasSubstr("underflows FP32"));
  EXPECT_THAT(scheme_with("1e39"), HasSubstr("overflows FP32"));
  EXPECT_THAT(scheme_with("abc"), HasSubstr("must be a number, got 'abc'"));
  EXPECT_EQ(scheme_with("0.125"), "");
}

TEST_F(ConfigTest, WrongTypesAndEnums) {
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  seq_len: 1.5\n"),
              HasSubstr(":4:12: run.seq_len: must be an integer, got '1.5'"));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  seq_len: 0\n"),
              HasSubstr("run.seq_len: must be in [1, 1048576]"));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: [1, 2]\n"),
              HasSubstr("run: must be a mapping or the name of a YAML file"));
  write("q.yaml", "name: q\nbase: quamba1\nnumerics:\n  rounding: half_up\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q.yaml\n"),
              HasSubstr("scheme.numerics.rounding: must be one of: half_away_from_zero, half_to_even, "
                        "toward_zero (got 'half_up')"));
  write("q.yaml", "name: q\nbase: quamba1\nssm_input:\n  format: dual_scale\n  symmetric: maybe\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q.yaml\n"),
              HasSubstr("scheme.ssm_input.symmetric: must be true or false, got 'maybe'"));
}

TEST_F(ConfigTest, ModelConsistency) {
  write("m.yaml", std::string(kMamba2) + "dt_rank: 4\n");
  EXPECT_THAT(error_of("model: m.yaml\nscheme: q1.yaml\n"),
              HasSubstr("model.dt_rank: only valid for arch: mamba1"));
  write("m.yaml", "name: m\narch: mamba2\nd_model: 64\nd_inner: 128\nd_state: 16\nn_layer: 2\n"
                  "headdim: 16\nnheads: 7\n");
  EXPECT_THAT(error_of("model: m.yaml\nscheme: q1.yaml\n"),
              HasSubstr("model.nheads: nheads * headdim = 112 must equal d_inner = 128"));
  write("m.yaml", std::string(kMamba1) + "nheads: 4\n");
  EXPECT_THAT(error_of("model: m.yaml\nscheme: q1.yaml\n"), HasSubstr("model.nheads: only valid for arch: mamba2"));
  // vocab (the LM head's rows, in the whole-model totals) is checked like the widths.
  write("m.yaml", std::string(kMamba1) + "vocab: 0\n");
  EXPECT_THAT(error_of("model: m.yaml\nscheme: q1.yaml\n"), HasSubstr("model.vocab:"));
  // Fields nothing models are refused with the reason, not silently ignored.
  write("m.yaml", std::string(kMamba2) + "chunk_size: 256\n");
  EXPECT_THAT(error_of("model: m.yaml\nscheme: q1.yaml\n"), HasSubstr("model.chunk_size: is not modelled"));
}

// m2: 2 SSD groups of 4 heads, headdim 16.
std::string q2_with_tables(const std::string& head_ranges, const std::string& dim_ranges) {
  return "name: q2\nbase: quamba2\nconv_out:\n  observer: minmax\n  x_head_group_range: " + head_ranges +
         "\n  x_dim_group_range: " + dim_ranges +
         "\n  x_out_scales: [[[0.1, 0.1], [0.1, 0.1]], [[0.1, 0.1], [0.1, 0.1]]]\n"
         "  b_scales: [0.1, 0.1]\n  c_scales: [0.1, 0.1]\n";
}

TEST_F(ConfigTest, Quamba2RangeTables) {
  const std::string good_dims = "[[[8, 16], [4, 16]], [[8, 16], [8, 16]]]";
  write("q2.yaml", q2_with_tables("[[2, 4], [1, 4]]", good_dims));
  EXPECT_EQ(error_of("model: m2.yaml\nscheme: q2.yaml\n"), "");
  const Config c = load_config(dir_ / "top.yaml");
  ASSERT_TRUE(c.scheme.scale_table);
  EXPECT_EQ(c.scheme.scale_table->head_range, (std::vector<int>{2, 4, 1, 4}));

  write("q2.yaml", q2_with_tables("[[2, 2], [1, 4]]", good_dims));
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"),
              HasSubstr("scheme.conv_out.x_head_group_range: x_head_group_range[0][1] = 2 must be "
                        "greater than the previous end 2"));
  write("q2.yaml", q2_with_tables("[[2, 3], [1, 4]]", good_dims));
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"),
              HasSubstr("x_head_group_range[0] ends at 3 but must end at nheads/ngroups = 4"));
  write("q2.yaml", q2_with_tables("[[2, 4], [1, 4]]", "[[[8, 16], [4, 15]], [[8, 16], [8, 16]]]"));
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"),
              HasSubstr("x_dim_group_range[0][1] ends at 15 but must end at headdim = 16"));
  write("q2.yaml", q2_with_tables("[[2, 4]]", good_dims));
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"),
              HasSubstr("x_head_group_range: must have one row per SSD group (ngroups = 2), got 1"));
  write("q2.yaml", q2_with_tables("[[2, 4], [1, 4]]", "[[[8, 16], [4, 16]], [[8, 16], [16]]]"));
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"),
              HasSubstr("x_dim_group_range: must have shape [ngroups=2][2 head groups][2 dim groups]"));
}

TEST_F(ConfigTest, Quamba2OnMamba1IsRefusedAsTheRunScheme) {
  write("q2.yaml", "name: q2\nbase: quamba2\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q2.yaml\n"),
              HasSubstr("scheme: scheme 'q2' (base quamba2) groups scales by SSD head; model 'm1' is "
                        "Mamba1 and has no heads"));
  // ...but in the study list it is reported as skipped, not an error.
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nstudy: [q2.yaml]\n"), "");
}

TEST_F(ConfigTest, HardwareSection) {
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nhardware:\n  clock_mhz: 500\n  gemm: {rows: 8}\n"), "");
  const Config c = load_config(dir_ / "top.yaml");
  EXPECT_EQ(c.hardware.clock_mhz, 500.0);
  EXPECT_EQ(c.hardware.gemm.rows, 8);
  EXPECT_EQ(c.hardware.gemm.cols, 32);  // default
  EXPECT_DOUBLE_EQ(c.hardware.cycle_ns(), 2.0);
  EXPECT_DOUBLE_EQ(c.hardware.dram_bytes_per_cycle(), 51.2);  // 25.6 GB/s * 2 ns
  EXPECT_EQ(c.hardware.dram_latency_cycles(), 50);            // 100 ns / 2 ns
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nhardware:\n  buffers: {banks: 8}\n"),
              HasSubstr("hardware.buffers.banks: is not modelled"));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nhardware:\n  gemm: {rows: 0}\n"),
              HasSubstr(":4:16: hardware.gemm.rows: must be in [1, 4096]"));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nhardware:\n  ssm: {exp_unit: 2}\n"),
              HasSubstr("hardware.ssm.exp_unit: unknown key (did you mean 'exp_units'?)"));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nhardware:\n  dram: {bandwidth_gbs: -1}\n"),
              HasSubstr("hardware.dram.bandwidth_gbs: must be in [0.001, 100000] GB/s, got -1"));
}

// Values that made cycle counts overflow (a float->int conversion out of
// range: "cycles -9223372036854775808", or "cycles 1 = inf us") are refused
// with the field and its range.
TEST_F(ConfigTest, HardwareValuesThatOverflowCycleCountsAreRefused) {
  auto hw = [&](const std::string& section) {
    return error_of("model: m1.yaml\nscheme: q1.yaml\nhardware: " + section + "\n");
  };
  EXPECT_THAT(hw("{clock_mhz: 1e300}"), HasSubstr(":3:23: hardware.clock_mhz: must be in [0.001, 100000] MHz, got 1e+300"));
  EXPECT_THAT(hw("{clock_mhz: 1e-300}"), HasSubstr("hardware.clock_mhz: must be in [0.001, 100000] MHz, got 1e-300"));
  EXPECT_THAT(hw("{clock_mhz: .nan}"), HasSubstr("hardware.clock_mhz: must be a number, got NaN"));
  EXPECT_THAT(hw("{dram: {latency_ns: 1e300}}"), HasSubstr("hardware.dram.latency_ns: must be in [0, 1e+06] ns"));
  EXPECT_THAT(hw("{dram: {bandwidth_gbs: 5e-324}}"), HasSubstr("hardware.dram.bandwidth_gbs: must be in [0.001, 100000]"));
  EXPECT_THAT(hw("{buffers: {weight_kib: 2147483647}}"), HasSubstr("hardware.buffers.weight_kib: must be in [1, 1048576]"));
  // The extremes of the ranges give exact, in-range cycle counts.
  EXPECT_EQ(hw("{clock_mhz: 100000, dram: {latency_ns: 1e6, bandwidth_gbs: 0.001}}"), "");
  const Config c = load_config(dir_ / "top.yaml");
  EXPECT_EQ(c.hardware.dram_latency_cycles(), 100000000);  // 1 ms at 100 GHz
  EXPECT_DOUBLE_EQ(c.hardware.dram_bytes_per_cycle(), 1e-5);
}

// Integer overflow inside validation let invalid shapes through (a wrapped
// nheads * headdim equal to d_inner; (d_model + 15) / 16 of INT_MAX; 2 * d_state).
TEST_F(ConfigTest, ShapeArithmeticCannotOverflow) {
  auto model = [&](const std::string& text) {
    write("m.yaml", text);
    return error_of("model: m.yaml\nscheme: q1.yaml\n");
  };
  const std::string head = "name: m\narch: mamba2\nd_model: 768\nd_inner: 1536\nd_state: 16\nn_layer: 1\n";
  EXPECT_THAT(model(head + "headdim: 512\nnheads: 8388611\n"),  // 512 * 8388611 = 2^32 + 1536
              HasSubstr("model.nheads: nheads * headdim = 4294968832 must equal d_inner = 1536"));
  EXPECT_THAT(model(head + "headdim: 65536\nnheads: 65536\n"),
              HasSubstr("model.nheads: nheads * headdim = 4294967296 must equal d_inner = 1536"));
  EXPECT_THAT(model("name: m\narch: mamba1\nd_model: 2147483647\nd_inner: 1536\nd_state: 16\nn_layer: 1\n"),
              HasSubstr(":3:10: model.d_model: must be in [1, 16777216]"));
  EXPECT_THAT(model("name: m\narch: mamba1\nd_model: 768\nd_inner: 1536\nd_state: 1073741824\nn_layer: 1\n"),
              HasSubstr("model.d_state: must be in [1, 65536]"));
  EXPECT_THAT(model("name: m\narch: mamba1\nd_model: 768\nd_inner: 1099511627776\nd_state: 16\nn_layer: 1\n"),
              HasSubstr("model.d_inner: integer '1099511627776' is out of range"));
  EXPECT_THAT(model("name: m\narch: mamba1\nd_model: 768\nd_inner: -5\nd_state: 16\nn_layer: 1\n"),
              HasSubstr("model.d_inner: must be in [1, 16777216]"));
  EXPECT_THAT(model("name: m\narch: mamba2\nd_model: 768\nd_inner: 16777216\nd_state: 65536\nn_layer: 1\n"
                    "headdim: 1\nnheads: 16777216\nngroups: 16777216\n"),
              HasSubstr("model.d_state: ngroups * d_state = 1099511627776 exceeds 16777216"));
}

// fp32(scale1 * scale2) is the outlier grid's register: +Inf gave SQNR 0 dB
// with exit 0.
TEST_F(ConfigTest, DualScaleProductMustBeFinite) {
  write("q.yaml", "name: q\nbase: quamba1\nssm_input:\n  format: dual_scale\n  scale1: 1e38\n  scale2: 1e10\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q.yaml\n"),
              HasSubstr("q.yaml:6:11: scheme.ssm_input.scale2: scale1 * scale2 = 1e+48 overflows FP32"));
  // code_bits 4: qmax 7, calibration caps scale2 at 15; 3e37 * 15 = 4.5e38 > FLT_MAX = 3.4e38.
  write("q.yaml", "name: q\nbase: quamba1\nssm_input:\n  format: dual_scale\n  scale1: 3e37\n  scale2: calibrate\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q.yaml\n"),
              HasSubstr("scheme.ssm_input.scale1: scale1 times the largest calibrated scale2"));
  write("q.yaml", "name: q\nbase: quamba1\nssm_input:\n  format: dual_scale\n  scale1: 1e30\n  scale2: 1e8\n");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q.yaml\n"), "");  // 1e38 < FLT_MAX
}

// What yaml-cpp or the file system used to report raw ("bad conversion",
// "filesystem error: ... File name too long") or accept silently (a second
// document, non-UTF-8 bytes) is a config error naming file, line and column.
TEST_F(ConfigTest, MalformedFilesAreConfigErrors) {
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  ? [a]\n  : 1\n"),
            file("top.yaml") + ":4:5: run: a key must be a plain name, not a list, mapping or null");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\n---\nrun: {seq_len: 0}\n"),
              HasSubstr(":3:1: a second YAML document ('---'); a config file holds exactly one"));
  const std::string long_name(300, 'a');
  EXPECT_THAT(error_of("model: " + long_name + ".yaml\nscheme: q1.yaml\n"),
              HasSubstr(":1:8: model: included file '" + file(long_name + ".yaml") + "' cannot be read (File name too long)"));
  write("m_bad.yaml", std::string("name: \"m\xff\"\n") + (kMamba1 + 9));
  EXPECT_EQ(error_of("model: m_bad.yaml\nscheme: q1.yaml\n"),
            file("m_bad.yaml") + ":1:9: byte 0xff is not valid UTF-8 (config files are UTF-8 text)");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  seed: \"\x01\"\n"),
              HasSubstr(":4:10: control character 0x01"));
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n\tseq_len: 4\n"),
            file("top.yaml") + ":4:1: a tab in the indentation (YAML indents with spaces only)");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {seq_len:\t4}  # a tab that separates\n"), "");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {seed: 1, seed: 2}\n"),
              HasSubstr("run.seed: duplicate key (first given at line 3)"));
  EXPECT_THAT(error_of("\n\n# only a comment\n"), HasSubstr("the file is empty"));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: \"q1.yaml\\0x\"\n"),
              HasSubstr("scheme: an included file's name may not contain control characters"));
}

// Found by fuzz_config (tb/fuzz/regressions/config/stray-comma-oom): yaml-cpp
// 0.7 never advances past a ',' after a top-level flow collection, and
// YAML::LoadAll returned empty documents until memory ran out (24 GB from an
// 895-byte scheme file). Documents are counted first, building nothing.
TEST_F(ConfigTest, AStrayCommaAfterTheDocumentIsAnErrorNotAnEndlessLoop) {
  EXPECT_EQ(error_of("[],\n"), file("top.yaml") + ":1:3: unexpected ',' after the end of the YAML document");
  EXPECT_EQ(error_of("{a: 1}, b\n"), file("top.yaml") + ":1:7: unexpected ',' after the end of the YAML document");
  write("q.yaml", "name: q\n  base: quamba1\n [x],\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q.yaml\n"), HasSubstr("q.yaml:"));
}

// A scheme file that names itself as a section: reported as a cycle, not as
// an unknown key in a file read twice.
TEST_F(ConfigTest, IncludeCyclesAndDepth) {
  write("q_cyc.yaml", "name: q\nbase: quamba1\nnumerics: q_cyc.yaml\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q_cyc.yaml\n"),
              HasSubstr("q_cyc.yaml:3:11: scheme.numerics: included file '" + file("q_cyc.yaml") +
                        "' is already being read (include cycle: top.yaml -> q_cyc.yaml -> q_cyc.yaml)"));
  EXPECT_THAT(error_of("model: top.yaml\nscheme: q1.yaml\n"), HasSubstr("include cycle: top.yaml -> top.yaml"));
  fs::create_symlink(dir_ / "top.yaml", dir_ / "alias.yaml");  // the same file by another name
  EXPECT_THAT(error_of("model: alias.yaml\nscheme: q1.yaml\n"), HasSubstr("include cycle"));
}

// Inputs that exhausted memory (an alias bomb grew past 1.27 GB; a 100 MB
// list past 5.2 GB) are refused before anything is expanded.
TEST_F(ConfigTest, AliasBombsAndHugeFilesAreRefused) {
  // Each level lists the previous one four times: 10 * 4^11 = 4 * 10^7 nodes from 12 lines.
  std::string bomb = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 12; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb.append("a").append(std::to_string(i)).append(": &a").append(std::to_string(i)).append(" [");
    bomb.append(prev).append(", ").append(prev).append(", ").append(prev).append(", ").append(prev).append("]\n");
  }
  EXPECT_THAT(error_of(bomb), HasSubstr("nodes once its aliases are expanded (an alias bomb?)"));
  // The same inside the one field the issue found it in.
  std::string nested = "&b0 [1, 2, 3, 4, 5, 6, 7, 8]";
  for (int i = 1; i < 10; ++i) {
    const std::string prev = "*b" + std::to_string(i - 1);
    std::string level = "&b" + std::to_string(i);
    level.append(" [").append(nested).append(", ").append(prev).append(", ").append(prev).append(", ");
    nested = level.append(prev).append("]");
  }
  write("q2.yaml", "name: q2\nbase: quamba2\nconv_out:\n  x_dim_group_range: " + nested + "\n");
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"), HasSubstr("q2.yaml:"));
  EXPECT_THAT(error_of("model: m2.yaml\nscheme: q2.yaml\n"), HasSubstr("an alias bomb?"));
  // 100 MB: refused by its size, without reading it.
  const fs::path big = write("big.yaml", "model: m1.yaml\n");
  fs::resize_file(big, 100u << 20);
  EXPECT_THROW_WITH(load_config(big), "big.yaml: is larger than 4194304 bytes (4 MiB), the limit for a config file");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: " + std::string(5000, '[') + "\n"),
              HasSubstr("YAML syntax error"));
}

// seq_len 1048576 (in range) with a large model ended in std::bad_alloc
// naming no field; now the run is refused up front with the estimate.
TEST_F(ConfigTest, MemoryBudgetRefusesRunsThatWouldNotFit) {
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {seq_len: 1048576, calib_seq_len: 1048576}\n"),
              HasSubstr("top.yaml: run.memory_budget_mib: the run would need about "));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {seq_len: 1048576, calib_seq_len: 1048576}\n"),
              HasSubstr("GiB (estimated from the shapes; set by run.seq_len, run.calib_seq_len, model shape), more "
                        "than the budget of 8192 MiB; reduce those or raise run.memory_budget_mib"));
  write("m_wide.yaml", "name: w\narch: mamba1\nd_model: 4096\nd_inner: 16777216\nd_state: 16\nn_layer: 1\n");
  write("q_noh.yaml", "name: q\nbase: quamba1\nlayer: {out_proj_hadamard: false}\n");
  EXPECT_THAT(error_of("model: m_wide.yaml\nscheme: q_noh.yaml\n"), HasSubstr("more than the budget of 8192 MiB"));
  // The default run fits; a budget below its estimate refuses it.
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\n"), "");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {memory_budget_mib: 16}\n"),
              HasSubstr("more than the budget of 16 MiB"));
  // Hand check where the conv-output study dominates (docs/configs.md's
  // coefficients): 18 B per channel and token x 1536 conv channels x
  // (4 x 512 calibration + 1000 x 512 evaluated tokens) + 16 MiB
  // = 14,212,399,104 + 16,777,216 = 14,229,176,320 B = 13.25 GiB.
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {batch: 1000}\n"),
            file("top.yaml") + ": run.memory_budget_mib: the run would need about 13.3 GiB (estimated from the "
            "shapes; set by run.seq_len, run.batch, run.calib_batches, run.calib_seq_len, model.d_inner), more than "
            "the budget of 8192 MiB; reduce those or raise run.memory_budget_mib");
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {batch: 1000, memory_budget_mib: 13570}\n"), "");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun: {batch: 1000, memory_budget_mib: 13569}\n"),
              HasSubstr("13.3 GiB"));  // 14,229,176,320 B = exactly 13570 MiB
  write("top.yaml", "model: m1.yaml\nscheme: q1.yaml\nrun: {batch: 1000, memory_budget_mib: 16384}\n");
  EXPECT_DOUBLE_EQ(estimate_run_memory(load_config(dir_ / "top.yaml")).bytes, 14229176320.0);
}

// The estimate against measured peaks (GNU time's maximum RSS of `mambahw
// run`, after issue 17's streamed GEMMs, on the 2-core development machine):
// it must stay within the documented band of the measurement
// (docs/configs.md), above the peak where the estimate guards large runs.
TEST_F(ConfigTest, MemoryEstimateTracksMeasuredPeaks) {
  struct Case {
    const char* config;
    int seq_len;
    double peak_bytes;  // measured
  };
  for (const Case& k : {Case{"configs/default.yaml", 2048, 307108.0 * 1024},  // mamba-130m, with the SystemC model
                        Case{"configs/mamba2-8b.yaml", 2048, 1440720.0 * 1024}}) {  // --no-model
    Config c = load_config(fs::path(MAMBAHW_SOURCE_DIR) / k.config);
    c.run.seq_len = k.seq_len;
    const double ratio = estimate_run_memory(c).bytes / k.peak_bytes;
    EXPECT_GE(ratio, 0.79) << k.config;
    EXPECT_LE(ratio, 1.6) << k.config;
  }
}

// The unit variants of the numerics section: parsed with their number, and a
// bad spelling named with its position and what a valid one looks like.
TEST_F(ConfigTest, UnitVariants) {
  const std::string head = "model: m1.yaml\nscheme:\n  name: u\n  base: quamba1\n  numerics:\n";
  EXPECT_EQ(error_of(head + "    exp_unit: pwl64\n    log1p_unit: tquad7\n    reciprocal_unit: sm90\n"), "");
  const Config c = load_config(dir_ / "top.yaml");
  EXPECT_EQ(c.scheme.numerics.units.exp, (ExpUnit{ExpKind::kPwl, 64}));
  EXPECT_EQ(c.scheme.numerics.units.log1p, (Log1pUnit{Log1pKind::kTableQuad, 7}));
  EXPECT_EQ(c.scheme.numerics.units.reciprocal, (RecipUnit{RecipKind::kSm90, 0}));
  EXPECT_THAT(error_of(head + "    exp_unit: pwl12\n"),
              HasSubstr(":6:15: scheme.numerics.exp_unit: pwl needs a segment count that is a power of two in [2, 4096]"));
  EXPECT_THAT(error_of(head + "    log1p_unit: tquad\n"),
              HasSubstr("scheme.numerics.log1p_unit: tquad needs a number, e.g. tquad6"));
  EXPECT_THAT(error_of(head + "    exp_unit: ieee\n"),
              HasSubstr("scheme.numerics.exp_unit: 'ieee' is not one of poly, pwl<n>, tquad<n>, sm90"));
  EXPECT_THAT(error_of(head + "    reciprocal_unit: sm90x\n"), HasSubstr("is not one of ieee, pwl<n>, tquad<n>, sm90"));
}

TEST_F(ConfigTest, SyntaxDuplicatesAndFiles) {
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: [q1.yaml\n"), HasSubstr("YAML syntax error"));
  EXPECT_EQ(error_of("model: m1.yaml\nscheme: q1.yaml\nmodel: m2.yaml\n"),
            file("top.yaml") + ":3:1: model: duplicate key (first given at line 1)");
  EXPECT_THAT(error_of("model: nothere.yaml\nscheme: q1.yaml\n"),
              HasSubstr(":1:8: model: included file '" + file("nothere.yaml") + "' does not exist"));
  EXPECT_THAT(error_of("scheme: q1.yaml\n"), HasSubstr("model: is required but missing"));
  EXPECT_THAT(error_of(""), HasSubstr("the file is empty"));
  EXPECT_THROW(load_config(dir_ / "no_such_file.yaml"), ConfigError);
  fs::create_directories(dir_ / "adir.yaml");
  EXPECT_THAT(error_of("model: adir.yaml\nscheme: q1.yaml\n"),
              HasSubstr(":1:8: model: included file '" + file("adir.yaml") + "' is a directory"));
  try {
    load_config(dir_ / "adir.yaml");
    ADD_FAILURE() << "a directory loaded as a config";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), file("adir.yaml") + ": is a directory, not a YAML file");
  }
}

// Overrides by dotted path (what a sweep point changes): read where the
// parser reads the field, through includes and into sections the file
// leaves out; an error about one names where the override came from.
ConfigOverrides overrides(std::initializer_list<std::pair<std::string, std::string>> kv) {
  ConfigOverrides o;
  int line = 1;
  for (const auto& [path, value] : kv) o[path] = ConfigOverride{YAML::Load(value), "spec.yaml:" + std::to_string(line++) + ":9"};
  return o;
}

TEST_F(ConfigTest, OverridesReplaceFieldsThroughIncludesAndMissingSections) {
  const fs::path top = write("top.yaml", "model: m2.yaml\nscheme: q1.yaml\nrun:\n  seq_len: 128\n");
  const Config c = load_config(top, overrides({{"run.seq_len", "64"}, {"model.n_layer", "3"},
                                               {"hardware.gemm.rows", "16"}, {"scheme.conv_out.observer", "percentile"}}));
  EXPECT_EQ(c.run.seq_len, 64);          // in the file
  EXPECT_EQ(c.model.n_layer, 3);         // in an included file
  EXPECT_EQ(c.hardware.gemm.rows, 16);   // the file has no hardware section
  EXPECT_EQ(c.hardware.gemm.cols, 32);   // the rest of it: the defaults
  EXPECT_EQ(c.scheme.conv_out_observer.kind, ObserverKind::kPercentile);
  const Config plain = load_config(top);
  EXPECT_EQ(plain.run.seq_len, 128);
  EXPECT_EQ(plain.hardware.gemm.rows, 32);
  // A field its parser inspects in the node itself before reading it
  // (ssm_input.scale2: 'calibrate' or a number): the override is what it sees.
  write("se.yaml", "name: se\nbase: quamba1\nssm_input:\n  format: dual_scale\n  scale2: calibrate\n");
  const fs::path se = write("top_se.yaml", "model: m1.yaml\nscheme: se.yaml\n");
  EXPECT_FALSE(load_config(se).scheme.dual.scale2.has_value());
  EXPECT_EQ(load_config(se, overrides({{"scheme.ssm_input.scale2", "10"}})).scheme.dual.scale2, 10.0f);
}

TEST_F(ConfigTest, OverrideErrorsNameTheOverride) {
  const fs::path top = write("top.yaml", "model: m2.yaml\nscheme: q1.yaml\n");
  EXPECT_THROW_WITH(load_config(top, overrides({{"hardware.gemm.rowz", "16"}})),
                    "spec.yaml:1:9: hardware.gemm.rowz: unknown key (did you mean 'rows'?)");
  EXPECT_THROW_WITH(load_config(top, overrides({{"hardwar.gemm.rows", "16"}})),
                    "spec.yaml:1:9: hardwar: unknown key (did you mean 'hardware'?)");
  EXPECT_THROW_WITH(load_config(top, overrides({{"run.seq_len", "0"}})), "spec.yaml:1:9: run.seq_len: must be");
  EXPECT_THROW_WITH(load_config(top, overrides({{"model.d_state.x", "1"}})), "spec.yaml:1:9: model.d_state.x: is not a field");
  EXPECT_THROW_WITH(load_config(top, overrides({{"study[3].name", "x"}})), "spec.yaml:1:9: study[3].name: is not a field");
}

// Every shipped config loads; shapes match quamba-arithmetic.md §9.
TEST(ShippedConfigs, LoadAndMatchPublishedShapes) {
  const fs::path root = MAMBAHW_SOURCE_DIR;
  const Config d = load_config(root / "configs/default.yaml");
  EXPECT_EQ(d.model.name, "mamba-130m");
  EXPECT_EQ(d.model.dt_rank, 48);
  EXPECT_EQ(d.model.x_proj_out(), 48 + 32);
  EXPECT_EQ(d.scheme.name, "quamba1");
  EXPECT_EQ(d.study.size(), 4u);
  const Config m2 = load_config(root / "configs/mamba2-130m.yaml");
  EXPECT_EQ(m2.model.conv_channels(), 1792);
  EXPECT_EQ(m2.model.in_proj_out(), 3352);
  const Config big = load_config(root / "configs/mamba2-8b.yaml");
  EXPECT_EQ(big.model.ngroups, 8);
  EXPECT_EQ(big.model.heads_per_group(), 16);
  EXPECT_EQ(big.model.n_layer, 56);
  const Config b27 = load_config(root / "configs/mamba2-2.7b.yaml");
  EXPECT_EQ(b27.model.nheads, 80);
  EXPECT_EQ(b27.model.n_layer, 64);
  // The LM head's rows: GPT-NeoX's 50277 tokens padded to a multiple of 8
  // (Mamba1) or 16 (the mamba2 checkpoints); mamba2-8b's 256000.
  EXPECT_EQ(d.model.vocab, 50280);
  EXPECT_EQ(m2.model.vocab, 50288);
  EXPECT_EQ(b27.model.vocab, 50288);
  EXPECT_EQ(big.model.vocab, 256000);
  // The CUDA-faithful scheme flushes the Hadamard's subnormal products and
  // scans in the kernel's association.
  const fs::path top = fs::temp_directory_path() / ("mambahw_qcuda_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(top) << "model: " << (root / "configs/models/mamba-130m.yaml").string()
                     << "\nscheme: " << (root / "configs/schemes/quamba1-cuda.yaml").string() << "\n";
  const Config cuda = load_config(top);
  fs::remove(top);
  EXPECT_EQ(cuda.scheme.layer.hadamard.denormals, Denormals::kFlushToZero);
  EXPECT_EQ(cuda.scheme.layer.scan_order, ScanOrder::kBlockScan);
  EXPECT_EQ(cuda.scheme.numerics.denormals, Denormals::kFlushToZero);
  EXPECT_EQ(cuda.scheme.numerics.silu_division, QuantizeOp::kMultiplyReciprocal);
  EXPECT_EQ(cuda.scheme.numerics.units.exp, (ExpUnit{ExpKind::kSm90, 0}));
  EXPECT_EQ(cuda.scheme.numerics.units.log1p, (Log1pUnit{Log1pKind::kSm90, 0}));
  EXPECT_EQ(cuda.scheme.numerics.units.reciprocal, (RecipUnit{RecipKind::kSm90, 0}));
  for (const auto& entry : fs::directory_iterator(root / "configs"))
    if (entry.path().extension() == ".yaml") {
      EXPECT_NO_THROW(load_config(entry.path())) << entry.path();
    }
}

}  // namespace
}  // namespace mambahw
