// The SystemC accelerator computing whole layers from the bytes in its
// memories, with the Verilated RTL in the loop, against the golden layer run
// separately: every tensor bit for bit, each labelled by the unit that
// produced it. The negative controls (a wrong RTL variant, swapped INT4
// nibbles, a conv state dropped at a token tile, another reduction order)
// must each be caught on the tensor they corrupt first. One test per process
// (SystemC elaborates once).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "mambahw/config/config.hpp"
#include "mambahw/model/cosim.hpp"
#include "mambahw/studies/layer_accuracy.hpp"

namespace mambahw::model {
namespace {

Config config(const char* name) { return load_config(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs" / name); }

// A short sequence with token tiles of 8, so that the conv state crosses tile boundaries.
CosimReport cosim(Config c, int len, const CosimOptions& opt = {}) {
  RunSettings run = c.run;
  run.seq_len = len;
  c.hardware.conv.token_tile = 8;
  const LayerCase lc = make_layer_case(c.model, c.scheme, SyntheticWeights(run.seed), run, 0);
  return run_cosim({c.model, c.scheme, c.hardware}, lc.q, lc.input, opt);
}

const TensorCheck& check(const CosimReport& r, const std::string& tensor) {
  for (const auto& c : r.checks)
    if (c.tensor == tensor) return c;
  throw std::runtime_error("no check " + tensor);
}

// Every check is the accelerator's own value against golden's, and every one agrees.
void expect_all_exact(const CosimReport& r) {
  EXPECT_TRUE(r.bit_exact());
  EXPECT_EQ(r.checks_run(), static_cast<int>(r.checks.size()));
  for (const auto& c : r.checks) {
    EXPECT_GT(c.compared, 0) << c.tensor;
    EXPECT_EQ(c.mismatches, 0) << c.tensor << ": " << c.first_mismatch;
  }
}

// Each unit held exactly the bytes the buffer layout (cost::unit_buffers)
// says its working set needs: the units' own region sizes against the layout
// the cost model prices and the configuration check uses.
void expect_buffers_as_laid_out(const CosimReport& r, std::size_t buffers) {
  EXPECT_EQ(r.timing.buffers.size(), buffers);
  for (const BufferReport& b : r.timing.buffers) {
    EXPECT_GT(b.need, 0) << b.name;
    EXPECT_EQ(b.peak, b.need) << b.name;
    EXPECT_EQ(b.capacity, b.need) << b.name;  // buffers.*_kib 0: sized to it
  }
}

// The bytes a unit counted into one of its buffers' memories (EventCounts::sram, 8-bit accesses).
std::pair<double, double> buffer_bytes(const CosimReport& r, const char* memory) {
  for (const cost::SramTraffic& s : r.timing.events.sram)
    if (s.memory == memory) return {s.reads * s.width_bits / 8, s.writes * s.width_bits / 8};
  return {-1, -1};
}

TEST(Cosim, Mamba1Quamba1BitExactWithRtlInTheLoop) {
  const CosimReport r = cosim(config("default.yaml"), 32);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  EXPECT_EQ(r.quantizer_variant, "sc_q_away");
  expect_all_exact(r);
  expect_buffers_as_laid_out(r, 5);  // conv, SSM states, SSM tiles, Hadamard, accumulators
  // mamba-130m: d_model 768, d_inner 1536, d_state 16, dt_rank 48; every tensor of the program but the input.
  std::vector<std::string> names;
  for (const auto& c : r.checks) names.push_back(c.tensor);
  EXPECT_EQ(names, (std::vector<std::string>{"x", "z", "u_int8", "dt_low", "bc", "delta", "y", "ssm_input", "y_h",
                                             "out"}));
  EXPECT_EQ(check(r, "x").compared, 1536 * 32);
  EXPECT_EQ(check(r, "bc").compared, 2 * 16 * 32);
  EXPECT_EQ(check(r, "u_int8").compared, 1536 * 32);
  EXPECT_EQ(check(r, "ssm_input").compared, 1536 * 32);
  EXPECT_EQ(check(r, "out").compared, 768 * 32);
  EXPECT_EQ(check(r, "x").unit, "gemm_array");
  EXPECT_EQ(check(r, "u_int8").unit, "conv_out_quantizer");
  EXPECT_EQ(check(r, "u_int8").source, "sc_q_away");
  EXPECT_EQ(check(r, "ssm_input").unit, "ssm_dequant");
  EXPECT_EQ(check(r, "y").unit, "ssm_core");
  EXPECT_EQ(check(r, "y").source, kSystemcUnit);
  EXPECT_EQ(check(r, "y_h").unit, "hadamard_unit");
  EXPECT_EQ(check(r, "out").op, "out_proj");
  // One element per cycle plus the 2-cycle pipeline per tile.
  EXPECT_GE(r.quantizer_rtl_cycles, r.quantizer_rtl_elements + 2);
  EXPECT_LE(r.quantizer_rtl_cycles, r.quantizer_rtl_elements + 8 * 1536);
  EXPECT_GT(r.timing.cycles, 0);
  // mamba-130m: in_proj 768 x 3072, x_proj 1536 x (48 + 2 x 16), dt_proj 48 x 1536, out_proj 1536 x 768.
  EXPECT_EQ(r.timing.events.at(Unit::kGemmArray)[cost::Counter::kMacInt8],
            32LL * (768 * 3072 + 1536 * 80 + 48 * 1536 + 1536 * 768));
  // The held tiles' bytes as the units counted them, by hand: the conv input
  // (1536 channels x 32 tokens) written into its tiles and read once; the SSM
  // core's u, delta and z tiles (1536 x 32 each) written and read once (delta
  // and z per channel and token), the parameters (A_log 1536 x 16 + D + delta
  // bias 2 x 1536 + 3 FP32 = 27660 B) written and read once.
  EXPECT_EQ(buffer_bytes(r, cost::kConvInputTilesMemory), (std::pair<double, double>{1536 * 32, 1536 * 32}));
  EXPECT_EQ(buffer_bytes(r, cost::kSsmTileMemory),
            (std::pair<double, double>{3 * 1536 * 32 + 27660, 3 * 1536 * 32 + 27660}));
}

TEST(Cosim, Mamba1W4A5SeBitExact) {
  const CosimReport r = cosim(config("mamba-130m-w4a5-se.yaml"), 24);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  EXPECT_EQ(r.mode, SsmInputMode::kDualScale);
  expect_all_exact(r);
  EXPECT_EQ(check(r, "u_dual").compared, 1536 * 24);
  EXPECT_EQ(check(r, "u_int8").compared, 1536 * 24);  // x_proj still reads the INT8 codes
}

TEST(Cosim, Mamba2Quamba2Int4GroupedWeightsBitExact) {
  const CosimReport r = cosim(config("mamba2-130m.yaml"), 24);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  expect_all_exact(r);
  expect_buffers_as_laid_out(r, 6);  // and the norm buffer
  // mamba2-130m: d_inner 1536, 24 heads, ngroups 1, d_state 128; B and C per group, the norm in ssd_scan+norm.
  EXPECT_EQ(check(r, "xbc").compared, (1536 + 2 * 128) * 24);
  EXPECT_EQ(check(r, "bc").compared, 2 * 128 * 24);
  EXPECT_EQ(check(r, "y").op, "ssd_scan+norm");
  // The norm buffer: every pre-norm y (4 B) and z (1 B) of 1536 channels x 24 tokens written once and read once.
  EXPECT_EQ(buffer_bytes(r, cost::kNormMemory), (std::pair<double, double>{1536 * 24 * 5, 1536 * 24 * 5}));
  // The scale-index lookup: the Verilated block over the index SRAM's words, one check per x channel.
  ASSERT_TRUE(r.lookup_rtl_in_loop) << r.lookup_note;
  EXPECT_EQ(check(r, "scale_index").source, "sc_lk_g1h4d4_24x64_seq");
  EXPECT_EQ(check(r, "scale_index").unit, "scale_index_lookup");
  EXPECT_EQ(check(r, "scale_index").compared, 1536);
  EXPECT_EQ(check(r, "x_scale").compared, 1536);
  // Every conv tile's x channels through the block: 1536 lookups, each at
  // least accept + 2 comparisons + scale read (4 cycles), at most 4 + 4 + 2.
  EXPECT_EQ(r.lookup_rtl_elements, 1536);
  EXPECT_GE(r.lookup_rtl_cycles, 1536 * 4);
  EXPECT_LE(r.lookup_rtl_cycles, 1536 * 10);
  // The schedule's lookup unit ran for the RTL's cycles, plus one register
  // read (scale_index.read_cycles) for each of the 2 x 128 B and C channels.
  EXPECT_EQ(r.timing.units.at("scale_index_lookup").busy, r.lookup_rtl_cycles + 2 * 128);
}

// Also the token tiles bounded by the accumulator (buffers.accumulator_kib
// 10 = 10,240 B) with per-group sums: mamba2-130m under Quamba2 (INT4,
// groups of 128) on the 32-column array at 16 tokens. in_proj (K 768, 6
// groups): 32 x 6 x 4 = 768 B a token, at most 13 tokens, ceil(16 / 13) = 2
// tiles of 8; out_proj (K 1536, 12 groups): 1536 B a token, at most 6
// tokens, ceil(16 / 6) = 3 tiles of 6 (6 + 6 + 4), 6 x 1536 = 9216 B, the
// accumulator's need and peak. Every tensor still bit for bit; the input the
// array read equals the mapper's figure (two producers: the mapper's
// formula, the DRAM target's transactions).
TEST(Cosim, Mamba2Quamba2LookupModelWithoutTheRtlAgrees) {
  CosimOptions o;
  o.rtl_out_of_loop = true;
  Config c = config("mamba2-130m.yaml");
  c.hardware.buffers.accumulator_kib = 10;
  const CosimReport r = cosim(c, 16, o);
  EXPECT_FALSE(r.lookup_rtl_in_loop);
  expect_all_exact(r);
  EXPECT_EQ(check(r, "scale_index").source, kSystemcUnit);
  auto mapping = [&](const std::string& op) {
    for (const GemmRun& g : r.timing.gemms)
      if (g.op == op) return g.mapping;
    throw std::runtime_error("no GEMM " + op);
  };
  EXPECT_EQ(mapping("in_proj").m_tile, 8);
  EXPECT_EQ(mapping("in_proj").token_tiles, 2);
  EXPECT_EQ(mapping("out_proj").m_tile, 6);
  EXPECT_EQ(mapping("out_proj").token_tiles, 3);
  EXPECT_NE(mapping("out_proj").order, cost::GemmOrder::kFixed);
  EXPECT_EQ(r.timing.dram.at("hidden").read_bytes, mapping("in_proj").input_bytes);
  int found = 0;
  for (const BufferReport& b : r.timing.buffers)
    if (b.name == "accumulator") {
      ++found;
      EXPECT_EQ(b.need, 9216);
      EXPECT_EQ(b.peak, 9216);
      EXPECT_EQ(b.capacity, 10240);
    }
  EXPECT_EQ(found, 1);
}

TEST(Cosim, Mamba2DualScaleWordsThroughTheMux) {
  const CosimReport r = cosim(config("mamba2-130m-w4a5-se.yaml"), 24);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  EXPECT_EQ(r.mode, SsmInputMode::kDualScale);
  EXPECT_EQ(r.dequant_variant, "sc_dq4");
  expect_all_exact(r);
  EXPECT_EQ(check(r, "u_dual").compared, 1536 * 24);
  EXPECT_EQ(check(r, "bc").compared, 2 * 128 * 24);
}

// Mamba2's pre-norm y spilled to DRAM (cost::norm_tiling, docs/architecture.md
// "On-chip buffers"): mamba2-130m (d_inner 1536, one norm group) at L = 24
// with norm_kib 64: the whole y and z, 1536 x 24 x 5 = 184320 B, exceed
// 65536 B, so the SSM core writes each channel tile's FP32 pre-norm y to
// DRAM and the norm stage reads back token tiles of floor(65536 / (1536 x 5))
// = 8 tokens (3 tiles) of y and z. By hand: the spill region is written and
// read once, 1536 x 24 x 4 = 147456 B each way (2 x d_inner x L x 4 in all);
// z (1536 x 24 = 36864 B) is still read once, by the norm stage instead of
// the SSM core's tiles; the norm buffer peaks at its layout's need, 8 x 1536
// x 5 = 61440 B, and moves each of its 184320 B in and out once.
TEST(Cosim, Mamba2PreNormYSpilledToDramBitExact) {
  Config c = config("mamba2-130m.yaml");
  c.hardware.buffers.norm_kib = 64;
  const CosimReport r = cosim(c, 24);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  expect_all_exact(r);
  const LayerReport& t = r.timing;
  EXPECT_EQ(t.dram.at("pre_norm_y").write_bytes, 147456);
  EXPECT_EQ(t.dram.at("pre_norm_y").read_bytes, 147456);
  EXPECT_EQ(t.dram.at("z").read_bytes, 36864);
  for (const BufferReport& b : t.buffers) {
    EXPECT_EQ(b.peak, b.need) << b.name;
    if (b.name == "norm_buffer") {
      EXPECT_EQ(b.need, 61440);
      EXPECT_EQ(b.capacity, 65536);
    }
  }
  bool counted = false;
  for (const cost::SramTraffic& s : t.events.sram)
    if (s.memory == cost::kNormMemory) {
      counted = true;
      EXPECT_DOUBLE_EQ(s.reads, 184320);  // bytes (8-bit accesses)
      EXPECT_DOUBLE_EQ(s.writes, 184320);
    }
  EXPECT_TRUE(counted);
}

// The same with two norm groups of 768 channels (W4A5-SE, per-tensor scales,
// so the shape may change) and norm_kib 16: token tiles of floor(16384 /
// (768 x 5)) = 4 tokens of one group, 2 groups x 6 tiles at L = 24. The
// spill traffic is the same formula, 1536 x 24 x 4 = 147456 B each way.
TEST(Cosim, Mamba2PreNormYSpilledByNormGroupBitExact) {
  Config c = config("mamba2-130m-w4a5-se.yaml");
  c.model.ngroups = 2;
  c.hardware.buffers.norm_kib = 16;
  const CosimReport r = cosim(c, 24);
  expect_all_exact(r);
  EXPECT_EQ(r.timing.dram.at("pre_norm_y").write_bytes, 147456);
  EXPECT_EQ(r.timing.dram.at("pre_norm_y").read_bytes, 147456);
  for (const BufferReport& b : r.timing.buffers)
    if (b.name == "norm_buffer") {
      EXPECT_EQ(b.peak, 4 * 768 * 5);
    }
}

TEST(Cosim, UnitModelsWithoutTheRtlAgreeToo) {
  CosimOptions o;
  o.rtl_out_of_loop = true;
  const CosimReport r = cosim(config("default.yaml"), 16, o);
  EXPECT_FALSE(r.rtl_in_loop);
  expect_all_exact(r);
  EXPECT_EQ(check(r, "u_int8").source, kSystemcUnit);
}

// ---- negative controls: each must be reported on the tensor it corrupts ----------

TEST(Cosim, WrongRtlVariantIsCaughtAtTheFirstDifference) {
  // The scheme stores 4-bit dual-scale codes; the forced RTL variant produces
  // 8-bit ones (scale enhancement). The INT8 codes of B and C still agree.
  CosimOptions o;
  o.force_quantizer_variant = "sc_q_se8";
  const CosimReport r = cosim(config("mamba2-130m-w4a5-se.yaml"), 16, o);
  EXPECT_FALSE(r.bit_exact());
  EXPECT_EQ(check(r, "bc").mismatches, 0);
  const TensorCheck& words = check(r, "u_dual");
  EXPECT_GT(words.mismatches, 0);
  EXPECT_EQ(words.first_mismatch.rfind("channel ", 0), 0u) << words.first_mismatch;
  EXPECT_NE(words.first_mismatch.find("op conv1d+silu+quantize"), std::string::npos) << words.first_mismatch;
}

TEST(Cosim, SwappedNibbleOrderIsCaughtOnInProj) {
  CosimOptions o;
  o.variant.int4_nibbles_high_first = true;
  const CosimReport r = cosim(config("mamba2-130m.yaml"), 16, o);
  // in_proj is the first op: its outputs are the first wrong tensors.
  EXPECT_GT(check(r, "z").mismatches, 0);
  EXPECT_GT(check(r, "xbc").mismatches, 0);
  EXPECT_NE(check(r, "z").first_mismatch.find("op in_proj"), std::string::npos) << check(r, "z").first_mismatch;
}

TEST(Cosim, DroppedConvStateIsCaughtOnTheConvCodes) {
  CosimOptions o;
  o.variant.conv_state_dropped = true;
  const CosimReport r = cosim(config("default.yaml"), 32, o);
  EXPECT_EQ(check(r, "x").mismatches, 0);  // in_proj is upstream of the conv unit
  const TensorCheck& u = check(r, "u_int8");
  EXPECT_GT(u.mismatches, 0);
  // Only the first width - 1 = 3 tokens of a token tile (8, 9, 10, 16, ...) read the state.
  const std::size_t at = u.first_mismatch.find("token ");
  ASSERT_NE(at, std::string::npos) << u.first_mismatch;
  const int token = std::stoi(u.first_mismatch.substr(at + 6));
  EXPECT_GE(token, 8) << u.first_mismatch;
  EXPECT_LT(token % 8, 3) << u.first_mismatch;
}

TEST(Cosim, CorruptedIndexSramWordIsCaughtOnTheScaleIndex) {
  // mamba2-130m's SRAM (1 x 4 x 4 cells, 24 heads of 64): 4 head-range words
  // of 5 bits (0..24), then the dim ranges, 7 bits (0..64). Bit 20 is bit 0
  // of dim_range[0][0][0] = 16 (the even split 16, 32, 48, 64): it becomes
  // 17, so dim 16 of heads 0..5 (head group 0: 24 / 4 heads) falls in dim
  // group 0 instead of 1: channels 16, 80, ..., 336.
  CosimOptions o;
  o.variant.index_sram_flipped_bit = 20;
  const CosimReport r = cosim(config("mamba2-130m.yaml"), 16, o);
  EXPECT_EQ(check(r, "xbc").mismatches, 0);  // upstream
  const TensorCheck& cell = check(r, "scale_index");
  EXPECT_EQ(cell.mismatches, 6);
  EXPECT_EQ(cell.first_mismatch.rfind("channel 16, token 0: golden 0x1, model 0x0", 0), 0u) << cell.first_mismatch;
  EXPECT_EQ(check(r, "x_scale").mismatches, 6);  // the cells' min-max scales differ
  EXPECT_GT(check(r, "u_int8").mismatches, 0);
}

TEST(Cosim, MissingHadamardStageIsCaughtOnTheHadamardCodes) {
  CosimOptions o;
  o.variant.hadamard_last_stage_skipped = true;
  const CosimReport r = cosim(config("default.yaml"), 16, o);
  EXPECT_EQ(check(r, "y").mismatches, 0);  // upstream
  EXPECT_GT(check(r, "y_h").mismatches, 0);
  EXPECT_NE(check(r, "y_h").first_mismatch.find("op hadamard"), std::string::npos) << check(r, "y_h").first_mismatch;
}

// The scheme's reduction order is the specification of both: a tree there is bit-exact.
Config with_tree_reduction(const char* name) {
  Config c = config(name);
  c.scheme.layer.state_reduction = StateReduction::kTree;
  return c;
}
TEST(Cosim, TreeReductionBySchemeAgreesMamba1) { expect_all_exact(cosim(with_tree_reduction("default.yaml"), 16)); }
TEST(Cosim, TreeReductionBySchemeAgreesMamba2) { expect_all_exact(cosim(with_tree_reduction("mamba2-130m.yaml"), 16)); }

// Mamba2's 128 states: the scheme's trees of 16 (eight trees, the sums added
// in order) against a core with one tree over all 128 products.
TEST(Cosim, TreeWidthOtherThanTheSchemesIsCaughtOnTheSsmOutput) {
  CosimOptions o;
  o.variant.tree_width = 128;
  const CosimReport r = cosim(with_tree_reduction("mamba2-130m.yaml"), 16, o);
  EXPECT_EQ(check(r, "ssm_input").mismatches, 0);
  EXPECT_GT(check(r, "y").mismatches, 0);
}

TEST(Cosim, TreeReductionOrderIsCaughtOnTheSsmOutput) {
  CosimOptions o;
  o.variant.reduction = StateReduction::kTree;
  const CosimReport r = cosim(config("default.yaml"), 16, o);
  EXPECT_EQ(check(r, "ssm_input").mismatches, 0);
  EXPECT_EQ(check(r, "delta").mismatches, 0);
  EXPECT_GT(check(r, "y").mismatches, 0);
  EXPECT_NE(check(r, "y").first_mismatch.find("op selective_scan"), std::string::npos);
}

// Prefill of L tokens then N decode steps on the accelerator (token tiles of
// 8, so the conv state also crosses tiles in the prompt), against golden's
// run_continuation. `state_kib` below one layer's state spills it to DRAM.
CosimReport cosim_decode(Config c, int len, int steps, int state_kib = 0, const CosimOptions& opt = {}) {
  RunSettings run = c.run;
  run.seq_len = len + steps;
  c.hardware.conv.token_tile = 8;
  c.hardware.buffers.state_kib = state_kib;
  const LayerCase lc = make_layer_case(c.model, c.scheme, SyntheticWeights(run.seed), run, 0);
  const std::size_t dm = lc.input.dim(1), L = static_cast<std::size_t>(len);
  FloatTensor prompt({L, dm}), dec({static_cast<std::size_t>(steps), dm});
  std::copy(lc.input.data(), lc.input.data() + L * dm, prompt.data());
  std::copy(lc.input.data() + L * dm, lc.input.data() + lc.input.size(), dec.data());
  return run_cosim({c.model, c.scheme, c.hardware}, lc.q, prompt, dec, opt);
}

const TensorCheck& decode_check(const CosimReport& r, const std::string& tensor) {
  for (const auto& c : r.decode_checks)
    if (c.tensor == tensor) return c;
  throw std::runtime_error("no decode check " + tensor);
}

void expect_decode_exact(const CosimReport& r, int steps, std::int64_t d_model) {
  expect_all_exact(r);
  ASSERT_TRUE(r.timing.decode.has_value());
  // Every per-token tensor, every step; the scale-index lookup's checks are
  // per channel (the lookup runs once, its cells and scales are static).
  const auto per_token = std::count_if(r.checks.begin(), r.checks.end(),
                                       [](const TensorCheck& c) { return c.reference != std::string(kGoldenLookup); });
  EXPECT_EQ(static_cast<std::ptrdiff_t>(r.decode_checks.size()), per_token);
  for (const auto& c : r.decode_checks) {
    EXPECT_GT(c.compared, 0) << c.tensor;
    EXPECT_EQ(c.mismatches, 0) << c.tensor << ": " << c.first_mismatch;
  }
  EXPECT_EQ(decode_check(r, "out").compared, steps * d_model);
}

TEST(Cosim, Mamba1PrefillThenDecodeBitExact) {
  const CosimReport r = cosim_decode(config("default.yaml"), 20, 3);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  expect_decode_exact(r, 3, 768);
  EXPECT_FALSE(r.timing.decode->state_spilled);  // 1536 x 16 x 4 = 96 KiB: one layer's state buffer
  EXPECT_EQ(decode_check(r, "ssm_input").compared, 3 * 1536);
}

TEST(Cosim, Mamba2PrefillThenDecodeBitExact) {
  const CosimReport r = cosim_decode(config("mamba2-130m.yaml"), 20, 3);
  expect_decode_exact(r, 3, 768);
}

// Also the pipelined schedule's Mamba2 case (the SSD op's y leaves after
// the norm, the conv unit writes B and C last), with the dual-scale words.
TEST(Cosim, Mamba2W4A5SeDecodeWithTheStateSpilledBitExact) {
  Config c = config("mamba2-130m-w4a5-se.yaml");
  c.hardware.schedule = Schedule::kPipelined;
  const CosimReport r = cosim_decode(c, 12, 2, 64);
  expect_decode_exact(r, 2, 768);
  EXPECT_EQ(r.timing.schedule, Schedule::kPipelined);
  EXPECT_FALSE(r.timing.on_chip.empty());
  const DecodeReport& d = *r.timing.decode;
  ASSERT_TRUE(d.state_spilled);
  // mamba2-130m: d_inner 1536, d_state 128: 768 KiB of FP32 states, read and written back each step.
  EXPECT_EQ(d.state_bytes, 1536LL * 128 * 4);
  EXPECT_EQ(d.dram.at("ssm_state").read_bytes, 2 * d.state_bytes);
  EXPECT_EQ(d.dram.at("ssm_state").write_bytes, 2 * d.state_bytes);
}

// The pipelined schedule (docs/architecture.md, "Schedules"): the units run
// their ops at once, each tile as soon as the bytes it reads are written, so
// a scoreboard bug shows as a unit reading bytes before they are written;
// every tensor of the prompt and of every decode step must still equal
// golden's bit for bit.
Config pipelined(Config c, int fusion_kib) {
  c.hardware.schedule = Schedule::kPipelined;
  c.hardware.buffers.fusion_kib = fusion_kib;
  return c;
}

// mamba-130m at L = 16 with a 64 KiB fusion buffer, by hand (INT8 unless
// said): x, z, u_int8 1536 x 16 = 24576 bytes each, dt_low 48 x 16 = 768, bc
// 32 x 16 = 512, delta 24576, y FP16 49152, y_h 24576. Live ranges over the
// ops in_proj 0, conv 1, x_proj 2, dt_proj 3, scan 4, Hadamard 5, out_proj 6:
// x [0, 1], z [0, 4], u_int8 [1, 4], dt_low [2, 3], bc [2, 4], delta [3, 4],
// y [4, 5], y_h [5, 6]. In order: x, z fit (49152); u_int8 at op 1 would
// make 73728 > 65536: spilled; dt_low, bc, delta fit (at op 3: 24576 + 768 +
// 512 + 24576 = 50432); y at op 4 would add 49152 to 49664: spilled; y_h
// fits. The spilled tensors' DRAM bytes: u_int8 written once and read by
// x_proj and the scan (the input fits the activation buffer: one read each),
// y written once and read once by the Hadamard unit. One decode token: every
// intermediate fits.
TEST(Cosim, Mamba1PipelinedPrefillThenDecodeBitExact) {
  const CosimReport r = cosim_decode(pipelined(config("default.yaml"), 64), 16, 2);
  expect_decode_exact(r, 2, 768);
  const LayerReport& t = r.timing;
  EXPECT_EQ(t.schedule, Schedule::kPipelined);
  using V = std::vector<std::string>;
  EXPECT_EQ(t.on_chip, (V{"x", "z", "dt_low", "bc", "delta", "y_h"}));
  EXPECT_EQ(t.dram.at("u_int8").write_bytes, 24576);
  EXPECT_EQ(t.dram.at("u_int8").read_bytes, 2 * 24576);
  EXPECT_EQ(t.dram.at("y").write_bytes, 49152);
  EXPECT_EQ(t.dram.at("y").read_bytes, 49152);
  for (const std::string& n : t.on_chip) {
    EXPECT_EQ(t.dram.count(n), 0u) << n;
    EXPECT_GT(t.on_chip_traffic.at(n).read_bytes, 0) << n;
  }
  EXPECT_EQ(t.on_chip_traffic.at("x").write_bytes, 24576);
  EXPECT_GT(t.producer_wait, 0);
  // The units overlap: some op starts before the one before it in the program has ended.
  bool overlap = false;
  for (std::size_t i = 1; i < t.ops.size(); ++i) overlap |= t.ops[i].start < t.ops[i - 1].start + t.ops[i - 1].cycles;
  EXPECT_TRUE(overlap);
  EXPECT_EQ(t.decode->on_chip, (V{"x", "z", "u_int8", "dt_low", "bc", "delta", "y", "y_h"}));
}

TEST(Cosim, DecodeWithoutThePromptsStateIsCaughtOnTheSsmOutput) {
  CosimOptions o;
  o.variant.decode_state_dropped = true;
  const CosimReport r = cosim_decode(config("default.yaml"), 16, 2, 0, o);
  EXPECT_EQ(r.mismatches(), decode_check(r, "y").mismatches + decode_check(r, "y_h").mismatches +
                                decode_check(r, "out").mismatches);
  EXPECT_GT(decode_check(r, "y").mismatches, 0);
  EXPECT_EQ(decode_check(r, "u_int8").mismatches, 0);  // upstream of the SSM state
}

// GEMMs mapped with token tiles (the activation buffer cannot hold every
// token's input row) compute the same bits, and the DRAM target counts the
// bytes the mapper predicted (two producers: the mapper's formula, the
// model's transactions).
CosimReport cosim_buffers(Config c, int len, int weight_kib, int activation_kib) {
  c.hardware.buffers.weight_kib = weight_kib;
  c.hardware.buffers.activation_kib = activation_kib;
  return cosim(c, len);
}

const GemmRun& gemm_run(const CosimReport& r, const std::string& op) {
  for (const GemmRun& g : r.timing.gemms)
    if (g.op == op) return g;
  throw std::runtime_error("no GEMM " + op);
}

TEST(Cosim, WeightBlocksOverTokenTilesBitExact) {
  // in_proj: 32 x 768 input rows = 24,576 B > 16 KiB: token tiles of 16. At most 672 columns'
  // weights fit 512 KiB (672 x 768 = 516,096 B), so at least ceil(3072 / 672) = 5 blocks; the
  // smallest block that gives 5 (ties on bytes and cycles go to the smaller one) is 640 columns.
  // A block stays while the tiles stream: the input is read once per block.
  const CosimReport r = cosim_buffers(config("default.yaml"), 32, 512, 16);
  expect_all_exact(r);
  const GemmRun& g = gemm_run(r, "in_proj");
  EXPECT_EQ(g.mapping.order, cost::GemmOrder::kWeightsOuter);
  EXPECT_EQ(g.mapping.m_tile, 16);
  EXPECT_EQ(g.mapping.n_block, 640);
  EXPECT_EQ(g.mapping.input_bytes, 5 * 32 * 768);  // ceil(3072 / 672) = 5 blocks
  EXPECT_EQ(r.timing.dram.at("hidden").read_bytes, g.mapping.input_bytes);
  EXPECT_EQ(r.timing.dram.at("w_in_proj").read_bytes - g.plan.weight_bytes, 3072 * 4);  // weights once, then the scales
}

TEST(Cosim, TokenTilesWithWeightsStreamedBitExact) {
  // in_proj: 48 x 768 = 36,864 B > 32 KiB: two token tiles of 24; a 4 KiB weight buffer holds no
  // block of 32 columns (24,576 B), so the weights stream once per token tile.
  const CosimReport r = cosim_buffers(config("default.yaml"), 48, 4, 32);
  expect_all_exact(r);
  const GemmRun& g = gemm_run(r, "in_proj");
  EXPECT_EQ(g.mapping.order, cost::GemmOrder::kTokensOuter);
  EXPECT_EQ(g.mapping.m_tile, 24);
  EXPECT_EQ(g.mapping.weight_bytes, 2LL * 768 * 3072);
  EXPECT_EQ(r.timing.dram.at("w_in_proj").read_bytes, g.mapping.weight_bytes + 3072 * 4);
  EXPECT_EQ(r.timing.dram.at("hidden").read_bytes, 48 * 768);
  EXPECT_LT(g.mapping.dram_bytes(), g.fixed.dram_bytes());
}

// ---- chained layers and batch (run_cosim_stack) --------------------------------------

// The first `layers` layers of the config's model (SyntheticWeights: each
// layer its own seeded weights and calibration), `batch` sequences of `len`
// tokens (sequence b from the activation stream of seed + b), then `steps`
// decode steps.
CosimReport cosim_stack(Config c, int layers, int batch, int len, int steps, std::vector<QuantizedLayer>& qs,
                        const CosimOptions& opt = {}) {
  RunSettings run = c.run;
  run.seq_len = len + steps;
  run.calib_batches = 1;
  run.calib_seq_len = 64;
  c.hardware.conv.token_tile = 8;
  StackInputs in;
  for (int l = 0; l < layers; ++l) qs.push_back(make_layer_case(c.model, c.scheme, SyntheticWeights(run.seed), run, l).q);
  for (const QuantizedLayer& q : qs) in.layers.push_back(&q);
  const SyntheticActivations acts;
  for (int b = 0; b < batch; ++b) {
    RunSettings rb = run;
    rb.seed = run.seed + static_cast<std::uint64_t>(b);
    const FloatTensor x = acts.input(c.model, rb, 0);
    FloatTensor p({static_cast<std::size_t>(len), x.dim(1)}), d({static_cast<std::size_t>(steps), x.dim(1)});
    std::copy_n(x.data(), p.size(), p.data());
    std::copy_n(x.data() + p.size(), d.size(), d.data());
    in.prompts.push_back(p);
    if (steps) in.decode_inputs.push_back(d);
  }
  return run_cosim_stack({c.model, c.scheme, c.hardware}, in, opt);
}

void expect_stack_exact(const CosimReport& r, int layers, int batch, int len, int steps, std::int64_t d_model) {
  expect_all_exact(r);
  EXPECT_EQ(r.timing.layers, layers);
  EXPECT_EQ(r.timing.batch, batch);
  // Every layer's and every sequence's elements: out is [tokens][d_model] per layer and sequence.
  EXPECT_EQ(check(r, "out").compared, static_cast<std::int64_t>(layers) * batch * len * d_model);
  if (!steps) return;
  ASSERT_TRUE(r.timing.decode.has_value());
  for (const auto& c : r.decode_checks) EXPECT_EQ(c.mismatches, 0) << c.tensor << ": " << c.first_mismatch;
  EXPECT_EQ(decode_check(r, "out").compared, static_cast<std::int64_t>(layers) * batch * steps * d_model);
}

TEST(Cosim, Mamba1ThreeLayersChainedPrefillAndDecodeBitExact) {
  std::vector<QuantizedLayer> qs;
  const CosimReport r = cosim_stack(config("default.yaml"), 3, 1, 12, 2, qs);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  expect_stack_exact(r, 3, 1, 12, 2, 768);
  EXPECT_EQ(r.timing.layer_cycles.size(), 3u);
  // Each layer its own weights (regions w_in_proj, w_in_proj#1, #2), each
  // read once in the prompt: 3 x (768 x 3072 codes + 3072 FP32 scales).
  EXPECT_EQ(r.timing.dram.at("w_in_proj").read_bytes, 3 * (768 * 3072 + 3072 * 4));
}

TEST(Cosim, Mamba2TwoLayersChainedW4A5SeBitExact) {
  std::vector<QuantizedLayer> qs;
  const CosimReport r = cosim_stack(config("mamba2-130m-w4a5-se.yaml"), 2, 1, 12, 1, qs);
  ASSERT_TRUE(r.rtl_in_loop) << r.rtl_note;
  expect_stack_exact(r, 2, 1, 12, 1, 768);
}

TEST(Cosim, ChainingWithoutTheResidualIsCaughtOnLayerOne) {
  std::vector<QuantizedLayer> qs;
  CosimOptions o;
  o.host_residual_dropped = true;
  const CosimReport r = cosim_stack(config("default.yaml"), 2, 1, 12, 0, qs, o);
  // Layer 0 is untouched; layer 1's input differs, so its first GEMM's output does.
  EXPECT_GT(check(r, "x").mismatches, 0);
  EXPECT_NE(check(r, "x").first_mismatch.find("layer 1, sequence 0"), std::string::npos) << check(r, "x").first_mismatch;
  EXPECT_LE(check(r, "x").mismatches, 1536 * 12);  // at most layer 1's elements
}

// Two sequences sharing the weights: each equals its own single-sequence
// golden run bit for bit (golden has no batch: one StackCursor per
// sequence), and each GEMM's weights cross DRAM once for both sequences:
// w_in_proj is 768 x 3072 INT8 codes + 3072 FP32 scales = 2,371,584 bytes,
// what one sequence alone reads, so the batch halves the weight bytes per
// token; each decode step (a token of each sequence) reads them once more.
TEST(Cosim, BatchOfTwoEqualsTwoSingleSequencesAndReadsTheWeightsOnce) {
  std::vector<QuantizedLayer> qs;
  const CosimReport r = cosim_stack(config("default.yaml"), 1, 2, 16, 2, qs);
  expect_stack_exact(r, 1, 2, 16, 2, 768);
  EXPECT_EQ(check(r, "x").compared, 2 * 1536 * 16);
  EXPECT_EQ(r.timing.gemms.at(0).shape.m, 32);  // in_proj over both sequences' tokens
  EXPECT_EQ(r.timing.dram.at("w_in_proj").read_bytes, 2371584);
  EXPECT_EQ(r.timing.decode->dram.at("w_in_proj").read_bytes, 2 * 2371584);
  EXPECT_EQ(r.timing.dram.at("hidden").write_bytes, 2 * 16 * 768);  // the host's input of both sequences
  // The accumulator laid out at the GEMMs' 32 tokens (the configuration
  // check's layout too): 32 tokens x 32 columns x 4 = 4096 bytes (one
  // sequence's 16 tokens would be 2048), and the array held that.
  int found = 0;
  for (const BufferReport& b : r.timing.buffers)
    if (b.name == "accumulator") {
      ++found;
      EXPECT_EQ(b.need, 4096);
      EXPECT_EQ(b.peak, 4096);
    }
  EXPECT_EQ(found, 1);
  // Two sequences' states do not fit one layer's state buffer (96 KiB):
  // the SSM and conv states live in DRAM. A conv state is 1536 channels x 3
  // = 4608 bytes: the prompt writes both sequences' (9216 bytes, nothing
  // read), each of the 2 steps reads and writes both: 18,432 each way.
  ASSERT_TRUE(r.timing.decode.has_value());
  EXPECT_TRUE(r.timing.decode->state_spilled);
  EXPECT_TRUE(r.timing.decode->conv_states_beside);
  EXPECT_EQ(r.timing.dram.at("conv_state").read_bytes, 0);
  EXPECT_EQ(r.timing.dram.at("conv_state").write_bytes, 2 * 4608);
  EXPECT_EQ(r.timing.decode->dram.at("conv_state").read_bytes, 2 * 2 * 4608);
  EXPECT_EQ(r.timing.decode->dram.at("conv_state").write_bytes, 2 * 2 * 4608);
}

}  // namespace
}  // namespace mambahw::model