// The vector blocks of the datapath units (gemm_requant, conv_unit, exp_unit,
// softplus, ssm_step, hadamard): every block exports and replays through the
// golden model, a changed expected word is found by the replay, and each
// block's responses equal values derived by hand from docs/arithmetic.md and
// docs/layer.md.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace mambahw::verif {
namespace {

namespace fs = std::filesystem;

const Config& default_config() {
  static const Config c = load_config(fs::path(MAMBAHW_SOURCE_DIR) / "configs/default.yaml");
  return c;
}

std::vector<std::uint64_t> respond(const VectorBlock& b, std::vector<std::uint64_t> stim) {
  std::vector<std::uint64_t> r(b.response_ports() * b.frame());
  b.respond(stim, r);
  return r;
}
std::uint64_t f(float v) { return bits_of(v); }

class UnitBlocks : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mambahw_units_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(UnitBlocks, EveryUnitExportsAndReplaysThroughTheGoldenModel) {
  for (const std::string name : {"gemm_requant", "conv_unit", "exp_unit", "softplus", "ssm_step", "hadamard"}) {
    SCOPED_TRACE(name);
    const auto b = make_block(name, default_config(), {});
    ExportOptions o;
    o.block = name;
    o.count = 3000;
    o.seed = 3;
    o.out = root_ / name;
    const ExportSummary s = export_block(*b, o);
    EXPECT_EQ(s.vectors % b->frame(), 0u);
    const VerifyReport r = verify_directory(o.out);
    EXPECT_TRUE(r.problems.empty()) << (r.problems.empty() ? "" : r.problems[0]);
    EXPECT_EQ(r.vectors, s.vectors);
    // The class ranges tile the file in order, and classes.txt says the same.
    const auto m = nlohmann::json::parse(std::ifstream(o.out / "manifest.json"));
    std::uint64_t next = 0;
    std::string txt;
    for (const auto& c : m["class_ranges"]) {
      EXPECT_EQ(c["first"], next);
      EXPECT_GT(c["count"].get<std::uint64_t>(), 0u);
      next += c["count"].get<std::uint64_t>();
      txt += std::to_string(c["first"].get<std::uint64_t>()) + " " + std::to_string(c["count"].get<std::uint64_t>()) +
             " " + c["class"].get<std::string>() + "\n";
    }
    EXPECT_EQ(next, s.vectors);
    std::ifstream in(o.out / "classes.txt");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), txt);
  }
}

// An expected word changed consistently with the manifest (so only the
// replay can tell) is reported with its vector, line, port and stimulus.
TEST_F(UnitBlocks, ReplayFindsAWrongExpectedWord) {
  const auto b = make_block("ssm_step", default_config(), {});
  ExportOptions o;
  o.block = "ssm_step";
  o.count = 100;
  o.out = root_ / "ssm";
  export_block(*b, o);
  const fs::path y = o.out / "y_out.hex";
  std::string text;
  {
    std::ifstream in(y);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(9 * 4, 8, "3f800001");  // line 5
  std::ofstream(y, std::ios::binary) << text;
  nlohmann::json m = nlohmann::json::parse(std::ifstream(o.out / "manifest.json"));
  for (auto& file : m["files"])
    if (file["name"] == "y_out.hex") file["sha256"] = sha256_file(y);
  std::ofstream(o.out / "manifest.json") << m.dump(2);
  const VerifyReport r = verify_directory(o.out);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_THAT(r.problems[0], ::testing::StartsWith("vector 4 (line 5): y_out.hex holds 0x3f800001, the golden model gives"));
  EXPECT_THAT(r.problems[0], ::testing::HasSubstr(" h=0x"));
}

// layer.md §GEMM: v per order, cvt.rn.f32.s32, the INT8 rounding and FP16.
TEST(UnitBlockValues, GemmRequant) {
  const auto even = gemm_requant_block({RequantOrder::kActThenWeight, Rounding::kHalfToEven, Denormals::kPreserve});
  const auto away = gemm_requant_block({RequantOrder::kActThenWeight, Rounding::kHalfAwayFromZero, Denormals::kPreserve});
  // 0.5 * (1 * 5) = 2.5: half to even 2, half away 3; fp16(2.5) = 0x4100.
  EXPECT_EQ(respond(*even, {0, 5, f(0.5f), f(1.0f)}), (std::vector<std::uint64_t>{0x40200000, 2, 0x4100}));
  EXPECT_EQ(respond(*away, {0, 5, f(0.5f), f(1.0f)}), (std::vector<std::uint64_t>{0x40200000, 3, 0x4100}));
  // weight_then_act: (5 * 0.5) * 1; alpha: 0.5 * -7 = -3.5 -> -4 (even), fp16 0xc300.
  EXPECT_EQ(respond(*even, {1, 5, f(0.5f), f(1.0f)}), (std::vector<std::uint64_t>{0x40200000, 2, 0x4100}));
  EXPECT_EQ(respond(*even, {2, static_cast<std::uint32_t>(-7), f(0.5f), 0}),
            (std::vector<std::uint64_t>{0xc0600000, 0xfc, 0xc300}));
  // float(2^24 + 1) = 2^24 (ties to even): INT8 saturates, FP16 overflows.
  EXPECT_EQ(respond(*even, {2, (1u << 24) + 1, f(1.0f), 0}), (std::vector<std::uint64_t>{0x4b800000, 127, 0x7c00}));
}

// arithmetic.md §11: w = [1,2,3,4], x = [5,-6,7,8], scale_in 0.125, bias 1.5:
// y = 7.25 in both orders; code 72 with scale 0.1 (register 10), 127 with 0.05.
TEST(UnitBlockValues, ConvUnitWorkedExample) {
  const std::uint64_t w = 0x04030201, x = 0x0807fa05;  // byte k = tap k: 5, -6, 7, 8
  for (ConvOrder order : {ConvOrder::kPrefill, ConvOrder::kDecode}) {
    const auto b = conv_unit_block(4, order, NumericsPolicy{});
    const auto r = respond(*b, {x, w, f(0.125f), f(1.5f), f(10.0f)});
    EXPECT_EQ(r[0], 0x40e80000u);
    EXPECT_EQ(r[2], 72u);
    EXPECT_EQ(respond(*b, {x, w, f(0.125f), f(1.5f), f(20.0f)})[2], 127u);
  }
}

// arithmetic.md §3.1 specials; layer.md log1p and softplus specials.
TEST(UnitBlockValues, ExpAndSoftplusSpecials) {
  const auto e = exp_unit_block(Denormals::kPreserve);
  EXPECT_EQ(respond(*e, {f(0.0f)})[0], 0x3f800000u);
  EXPECT_EQ(respond(*e, {0xffc00001})[0], 0x7fc00000u);
  EXPECT_EQ(respond(*e, {f(90.0f)})[0], 0x7f800000u);
  EXPECT_EQ(respond(*e, {f(-105.0f)})[0], 0u);
  const auto s = softplus_block(true, Denormals::kPreserve);
  EXPECT_EQ(respond(*s, {f(0.0f)})[0], 0u);                      // log1p(0) = 0
  EXPECT_EQ(respond(*s, {f(-1.0f)})[0], 0xff800000u);            // log1p(-1) = -Inf
  EXPECT_EQ(respond(*s, {f(-2.0f)})[0], 0x7fc00000u);            // log1p(-2) = NaN
  EXPECT_EQ(respond(*s, {f(30.0f)})[1], f(30.0f));               // the threshold passes 30
  EXPECT_EQ(respond(*s, {f(0x1p-30f)})[0], f(0x1p-30f));         // |v| < 2^-24 returns v
}

// dl = 0: a = exp(-0) = 1; h' = fma(1, 2, 3 * 0.5) = 3.5; y' = fma(3.5, 2, 1) = 8.
TEST(UnitBlockValues, SsmStepByHand) {
  const auto b = ssm_step_block(Denormals::kPreserve);
  EXPECT_EQ(respond(*b, {f(2.0f), f(0.0f), f(4.0f), f(3.0f), f(0.5f), f(2.0f), f(1.0f)}),
            (std::vector<std::uint64_t>{f(1.0f), f(3.5f), f(8.0f)}));
}

// arithmetic.md §13: a one-hot token e_0 transforms to column 0 of H12 x H128:
// +1 on the 128 lanes of block c = 0 (row 0 of had_12_paley starts with +),
// -1 on block 1 (row 1 starts with -); with multiplier 2.5 the codes are
// round(+-2.5) = +-3 (half away).
TEST(UnitBlockValues, HadamardOneHotGivesTheFirstColumn) {
  const auto b = hadamard_block(*hadamard_size(1536), 2.5f, HadamardQuantPolicy{});
  std::vector<std::uint64_t> stim(1536, 0);
  stim[0] = f(1.0f);
  const auto r = respond(*b, stim);
  for (int i = 0; i < 256; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r[2 * i], f(i < 128 ? 1.0f : -1.0f));
    EXPECT_EQ(r[2 * i + 1], i < 128 ? 3u : 0xfdu);
  }
}

}  // namespace
}  // namespace mambahw::verif
