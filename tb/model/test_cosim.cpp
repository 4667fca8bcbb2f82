// Golden + SystemC model + Verilated RTL on whole layers: every tensor bit for
// bit, and a deliberately wrong RTL variant must be caught. One test per
// process (SystemC elaborates once).
#include <gtest/gtest.h>

#include <filesystem>

#include "mambahw/config/config.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace mambahw::model {
namespace {

Config config(const char* name) { return load_config(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs" / name); }

CosimReport cosim(const Config& c, int len, const CosimOptions& opt = {}) {
  RunSettings run = c.run;
  run.seq_len = len;
  const LayerCase lc = make_layer_case(c.model, c.scheme, SyntheticWeights(run.seed), run, 0);
  return run_cosim({c.model, c.scheme, c.hardware}, lc.q, lc.input, opt);
}

const TensorCheck& check(const CosimReport& r, const std::string& tensor) {
  for (const auto& c : r.checks)
    if (c.tensor == tensor) return c;
  throw std::runtime_error("no check " + tensor);
}

TEST(Cosim, Mamba1Quamba1BitExactWithRtlInTheLoop) {
  const Config c = config("default.yaml");
  const CosimReport r = cosim(c, 32);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  EXPECT_EQ(r.quantizer_variant, "sc_q_away");
  EXPECT_TRUE(r.bit_exact());
  EXPECT_EQ(check(r, "conv_out_codes").compared, 1536 * 32);
  EXPECT_EQ(check(r, "ssm_input").compared, 1536 * 32);
  EXPECT_EQ(check(r, "layer_output").compared, 768 * 32);
  // Only the RTL's checks are independent of the golden model.
  EXPECT_EQ(r.independent_checks(), 3);
  EXPECT_FALSE(check(r, "layer_output").independent);
  EXPECT_TRUE(check(r, "conv_out_codes").independent);
  // One element per cycle plus the 2-cycle pipeline per tile.
  EXPECT_GE(r.quantizer_rtl_cycles, r.quantizer_rtl_elements + 2);
  EXPECT_LE(r.quantizer_rtl_cycles, r.quantizer_rtl_elements + 8 * 1536);
  EXPECT_GT(r.timing.cycles, 0);
  // mamba-130m: in_proj 768 x 3072, x_proj 1536 x (48 + 2 x 16), dt_proj 48 x 1536, out_proj 1536 x 768.
  EXPECT_EQ(r.timing.events.at(Unit::kGemmArray)[cost::Counter::kMacInt8],
            32LL * (768 * 3072 + 1536 * 80 + 48 * 1536 + 1536 * 768));
}

TEST(Cosim, Mamba2DualScaleWordsThroughTheMux) {
  const Config c = config("mamba2-130m-w4a5-se.yaml");
  const CosimReport r = cosim(c, 24);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  EXPECT_EQ(r.mode, SsmInputMode::kDualScale);
  EXPECT_EQ(r.dequant_variant, "sc_dq4");
  EXPECT_TRUE(r.bit_exact());
  EXPECT_EQ(check(r, "conv_out_dual_words").compared, 1536 * 24);
  EXPECT_EQ(check(r, "conv_out_codes").compared, (1536 + 2 * 128) * 24);
}

TEST(Cosim, WrongRtlVariantIsCaughtAtTheFirstDifference) {
  // The scheme stores 4-bit dual-scale codes; the forced RTL variant produces
  // 8-bit ones (scale enhancement). The INT8 codes still agree.
  const Config c = config("default.yaml");
  const CosimReport r = cosim(c, 16, {"sc_q_se8"});
  EXPECT_FALSE(r.bit_exact());
  EXPECT_EQ(check(r, "conv_out_codes").mismatches, 0);
  const TensorCheck& words = check(r, "conv_out_dual_words");
  EXPECT_GT(words.mismatches, 0);
  EXPECT_EQ(words.first_mismatch.rfind("channel ", 0), 0u) << words.first_mismatch;
}

}  // namespace
}  // namespace mambahw::model
