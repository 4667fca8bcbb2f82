// Config loading: every kind of bad input yields the documented error text
// (docs/configs.md), naming file, line, column and field.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "mambahw/config/config.hpp"
#include "mambahw/golden/layer.hpp"

namespace mambahw {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mambahw_cfg_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
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
            "here: batch, calib_batches, calib_seq_len, layers, modes, seed, seq_len");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nhardwre: {}\n"),
              HasSubstr(":3:1: hardwre: unknown key (did you mean 'hardware'?)"));
}

TEST_F(ConfigTest, LayerNumericsAndModes) {
  write("q2l.yaml", "name: q\nbase: quamba1\nlayer:\n  weights: int4\n  weight_group: 128\n"
                     "  gemm_requant: alpha\n  softplus_threshold: false\n  scan_order: block_scan\n");
  const Config c = load_config(write("top.yaml", "model: m1.yaml\nscheme: q2l.yaml\nrun:\n  modes: [0, 2]\n"));
  EXPECT_EQ(c.scheme.layer.weights, WeightPrecision::kInt4);
  EXPECT_EQ(c.scheme.layer.weight_group, 128);
  EXPECT_EQ(c.scheme.layer.gemm_requant, RequantOrder::kAlpha);
  EXPECT_FALSE(c.scheme.layer.softplus_threshold);
  EXPECT_EQ(c.scheme.layer.scan_order, ScanOrder::kBlockScan);
  EXPECT_EQ(c.run.modes, (std::vector<SsmInputMode>{SsmInputMode::kInt8, SsmInputMode::kFp32OnGrid}));
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q1.yaml\nrun:\n  modes: [0, 4]\n"),
              HasSubstr(":4:14: run.modes[1]: must be in [0, 3]"));
  write("q2bad.yaml", "name: q\nbase: quamba1\nlayer:\n  scan_order: tree\n");
  EXPECT_THAT(error_of("model: m1.yaml\nscheme: q2bad.yaml\n"), HasSubstr("q2bad.yaml:4:15: scheme.layer.scan_order"));
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
  // Fields nothing models are refused with the reason, not silently ignored.
  write("m.yaml", std::string(kMamba1) + "vocab: 50277\n");
  EXPECT_THAT(error_of("model: m.yaml\nscheme: q1.yaml\n"),
              HasSubstr("model.vocab: is not modelled (no embedding or LM head); remove it"));
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
              HasSubstr("hardware.dram.bandwidth_gbs: must be positive"));
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
