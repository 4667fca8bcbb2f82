// Cost model: hand-computed storage, energy and latency of the index tables,
// SRAM interpolation between tabulated macros, the bandwidth study, and the
// research notes' own figures reproduced from their assumption table.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <unistd.h>

#include "mambahw/cost/dataflow.hpp"
#include "mambahw/cost/hardware_config.hpp"
#include "mambahw/cost/index_study.hpp"
#include "mambahw/cost/memory.hpp"
#include "mambahw/cost/model.hpp"
#include "mambahw/config/tech.hpp"
#include "mambahw/golden/exp_unit.hpp"
#include "mambahw/golden/layer_program.hpp"

namespace mambahw::cost {
namespace {

using ::testing::HasSubstr;
using ::testing::Contains;

TechTable tech(const char* name) {
  return load_tech(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs/tech" / name);
}

ModelShape mamba2(int ngroups, int nheads, int headdim, int layers) {
  ModelShape m;
  m.name = "m";
  m.arch = Arch::kMamba2;
  m.ngroups = ngroups;
  m.nheads = nheads;
  m.headdim = headdim;
  m.d_inner = nheads * headdim;
  m.d_state = 128;
  m.d_model = m.d_inner / 2;
  m.n_layer = layers;
  return m;
}

ModelShape mamba1(int d_model, int d_inner, int dt_rank, int layers) {
  ModelShape m;
  m.arch = Arch::kMamba1;
  m.d_model = d_model;
  m.d_inner = d_inner;
  m.d_state = 16;
  m.dt_rank = dt_rank;
  m.d_conv = 4;
  m.n_layer = layers;
  return m;
}

TEST(IndexStorage, OneByTwoByTwoTableByHand) {
  // G=1, H=2, D=2: head ranges 2 words, dim ranges 4, scales 4.
  // GPU: (2 + 4 + 4) * 32 = 320 bits. Minimal: heads_per_group 8 -> 4 bits,
  // headdim 64 -> 7 bits: 2*4 + 4*7 + 4*32 = 164 bits.
  const IndexScheme s{"t", IndexKind::kGrouped, 0, 2, 2, false, 1.0};
  const IndexStudyRow r = index_study(mamba2(1, 8, 64, 3), s, tech("notes-7nm.yaml"), 1000, 1);
  EXPECT_EQ(r.bits_per_layer, 320);
  EXPECT_EQ(r.bits_per_layer_minimal, 164);
  EXPECT_EQ(r.bits_all_layers, 960);
  EXPECT_EQ(r.range_bits_minimal, 7);
}

TEST(IndexStorage, PerTensorLutHybridAndDualScale) {
  const ModelShape m = mamba2(1, 8, 64, 4);  // 512 channels
  const TechTable t = tech("notes-7nm.yaml");
  EXPECT_EQ(index_study(m, {"q1", IndexKind::kPerTensor}, t, 1000, 1).bits_per_layer, 32);
  EXPECT_EQ(index_study(m, {"lut", IndexKind::kLut}, t, 1000, 1).bits_per_layer, 512 * 32);
  EXPECT_EQ(index_study(m, {"se", IndexKind::kDualScale}, t, 1000, 1).bits_per_layer, 64);
  // hybrid: half the layers 1x4x4 (4 + 16 + 16 words = 1152 bits), half 32 bits
  EXPECT_EQ(index_study(m, {"h", IndexKind::kHybrid, 0, 4, 4, false, 0.5}, t, 1000, 1).bits_all_layers,
            2 * 1152 + 2 * 32);
}

// The research notes (research-digest.md §3): 8 SSM groups x 4 x 4 per layer,
// 64 layers -> 1152 B/layer, 72 KB, 2.88 mm2 at 0.04 mm2/KB, 7.4 ns sequential
// (3.7 cycles at 500 MHz), 2 ns parallel, 1 nJ per lookup for 672 bits read at 1.5 pJ/bit.
TEST(NotesRegression, ReproducedExactlyFromTheirAssumptions) {
  const TechTable t = tech("notes-7nm.yaml");
  const ModelShape notes_shape = mamba2(8, 128, 64, 64);
  const IndexStudyRow seq = index_study(notes_shape, {"q2", IndexKind::kGrouped, 0, 4, 4, false, 1.0}, t, 1000, 1);
  EXPECT_EQ(seq.bits_per_layer / 8, 1152);
  EXPECT_EQ(seq.bytes_all_layers, 72 * 1024);
  EXPECT_DOUBLE_EQ(seq.sram_gpu_layout.area_mm2, 2.88);
  EXPECT_DOUBLE_EQ(seq.lookup_latency_ns, 7.4);
  EXPECT_DOUBLE_EQ(seq.lookup_latency_ns * seq.clock_mhz / 1000, 3.7);
  EXPECT_EQ(seq.lookup_latency_cycles, 4);
  EXPECT_EQ(seq.notes_bits_read_per_lookup, 672);
  EXPECT_DOUBLE_EQ(seq.notes_bits_read_per_lookup * t.sram.read_pj_per_bit, 1008);  // "about 1 nJ"
  const IndexStudyRow par = index_study(notes_shape, {"q2p", IndexKind::kGrouped, 0, 4, 4, true, 1.0}, t, 1000, 1);
  EXPECT_DOUBLE_EQ(par.lookup_latency_ns, 2.0);
  // Quamba1: "about 256 bytes in total" = 64 layers x one FP32 scale
  EXPECT_EQ(index_study(notes_shape, {"q1", IndexKind::kPerTensor}, t, 1000, 1).bytes_all_layers, 256);
}

TEST(IndexEnergy, LookupsTimesEnergyPerLookup) {
  const TechTable t = tech("notes-7nm.yaml");
  const ModelShape m = mamba2(1, 8, 64, 3);  // 512 channels, 3 layers
  // A pass of 64 tokens: one lookup per SSM-input channel and layer (the
  // scale is static), 512 x 3 lookups for the 64 tokens.
  const IndexStudyRow q1 = index_study(m, {"q1", IndexKind::kPerTensor}, t, 1000, 64);
  EXPECT_DOUBLE_EQ(q1.energy_pj_per_lookup, 32 * 0.009);  // a 32-bit register read (Aladdin 0.009 pJ/bit)
  EXPECT_EQ(q1.lookups_per_pass, 512 * 3);
  EXPECT_DOUBLE_EQ(q1.lookups_per_token, 512 * 3 / 64.0);
  EXPECT_DOUBLE_EQ(q1.energy_pj_per_token, 32 * 0.009 * 512 * 3 / 64.0);
  EXPECT_DOUBLE_EQ(q1.energy_pj_per_decode_token, 32 * 0.009 * 512 * 3);  // a decode step is a pass of one token
  // Sequential 1x2x2 worst case: (2 + 2) range reads of 16 bits and compares + one 32-bit scale read,
  // linear SRAM 1.5 pJ/bit, comparator 0.1 pJ.
  const IndexStudyRow g = index_study(m, {"g", IndexKind::kGrouped, 0, 2, 2, false, 1.0}, t, 1000, 1);
  EXPECT_EQ(g.area_impl, "sram");
  EXPECT_DOUBLE_EQ(g.energy_pj_per_lookup, 4 * (16 * 1.5 + 0.1) + 32 * 1.5);
}

TEST(SramModel, PowerLawBetweenTabulatedMacros) {
  const TechTable t = tech("cacti-28nm.yaml");
  // 2 KB between the 1 KB (0.571 pJ) and 4 KB (1.71 pJ) 64-bit macros: log-log midpoint = sqrt(0.571 * 1.71).
  const MemoryCost m = sram_cost(t, 2048, 64);
  EXPECT_NEAR(m.read_pj, 0.571 * std::sqrt(1.71 / 0.571), 1e-12);
  EXPECT_NEAR(m.area_mm2, 0.00139 * std::sqrt(0.00571 / 0.00139), 1e-15);
  EXPECT_NEAR(m.leakage_mw, std::sqrt(0.252 * 1.05), 1e-12);
  // Exactly on a point: that point.
  EXPECT_DOUBLE_EQ(sram_cost(t, 16384, 64).read_pj, 4.38);
  // Above the largest macro: banks of it.
  const MemoryCost big = sram_cost(t, 4 * 65536.0, 64);
  EXPECT_EQ(big.banks, 4);
  EXPECT_DOUBLE_EQ(big.area_mm2, 4 * 0.0912);
  EXPECT_DOUBLE_EQ(big.read_pj, 8.0);
  EXPECT_DOUBLE_EQ(big.leakage_mw, 4 * 15.4);
}

TEST(SramModel, LinearModelAndFlops) {
  const TechTable t = tech("notes-7nm.yaml");
  const MemoryCost m = sram_cost(t, 72 * 1024, 32);
  EXPECT_DOUBLE_EQ(m.area_mm2, 2.88);
  EXPECT_DOUBLE_EQ(m.read_pj, 48);  // 32 bits x 1.5 pJ
  const MemoryCost f = flop_cost(t, 100, 16);
  EXPECT_DOUBLE_EQ(f.area_mm2, 800 * 5.98e-6);
  EXPECT_DOUBLE_EQ(f.read_pj, 16 * 0.009);
}

TEST(Bandwidth, FiveBitCodesAgainstInt8) {
  ModelShape m = mamba2(1, 80, 64, 64);  // mamba2-2.7b: d_inner 5120
  QuantScheme se;
  se.ssm_input = SsmInputFormat::kDualScale;
  se.dual.code_bits = 4;
  const BandwidthRow b = bandwidth_study(m, se, 2048, tech("cacti-28nm.yaml"));
  EXPECT_EQ(b.int8_bytes_per_layer, 5120.0 * 2048);           // 10.49 MB, the notes' "10 MB"
  EXPECT_EQ(b.packed_bytes_per_layer, 5120.0 * 2048 * 5 / 8);  // 6.55 MB, not "5 MB"
  EXPECT_DOUBLE_EQ(b.saving_fraction, 0.375);
  EXPECT_DOUBLE_EQ(b.dram_pj_saved_per_layer, 2 * 5120.0 * 2048 * 3 / 8 * 8 * 13.5);
}

TEST(TechTables, EveryShippedTableLoadsAndNamesSources) {
  for (const char* f : {"horowitz-45nm.yaml", "cacti-28nm.yaml", "cacti-22nm.yaml", "notes-7nm.yaml"}) {
    const TechTable t = tech(f);
    EXPECT_FALSE(t.name.empty());
    EXPECT_FALSE(t.sram.source.empty()) << f;
    EXPECT_FALSE(t.dram.source.empty()) << f;
    for (int i = 0; i < kNumTechOps; ++i) EXPECT_FALSE(t.ops[static_cast<std::size_t>(i)].source.empty()) << f;
  }
}

TEST(TechTables, UserTableOverridesABaseAndErrorsNamePositions) {
  const auto dir = std::filesystem::temp_directory_path() / "mambahw_tech_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "mine.yaml") << "name: mine\nbase: " << MAMBAHW_SOURCE_DIR
                                   << "/configs/tech/cacti-28nm.yaml\nsram:\n  kind: linear\n"
                                      "  area_mm2_per_kib: 0.001\n  read_pj_per_bit: 0.01\n  write_pj_per_bit: 0.02\n"
                                      "  access_ns: 0.2\n  source: my compiler\n";
  const TechTable t = load_tech(dir / "mine.yaml");
  EXPECT_EQ(t.sram.kind, SramKind::kLinear);
  EXPECT_EQ(t.dram.energy_pj_per_bit, 13.5);  // from the base
  std::ofstream(dir / "bad.yaml") << "name: bad\nbase: mine.yaml\nsram:\n  kind: linear\n  area_mm2_per_kb: 1\n"
                                     "  read_pj_per_bit: 0.01\n  write_pj_per_bit: 0.02\n  access_ns: 0.2\n  source: x\n";
  try {
    load_tech(dir / "bad.yaml");
    FAIL() << "expected a config error";
  } catch (const ConfigError& e) {
    // The misspelt key leaves the required one missing: named with the section's position.
    EXPECT_THAT(e.what(), HasSubstr("bad.yaml:4:3: sram.area_mm2_per_kib: is required but missing"));
  }
  std::filesystem::remove_all(dir);
}

// A user table outside configs/tech names a shipped table as its base; its
// own description wins, and without one it says what it replaced.
TEST(TechTables, BaseFoundAmongShippedTablesAndDescriptionsSayWhatChanged) {
  const auto dir = std::filesystem::temp_directory_path() / ("mambahw_tech_base_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "mine.yaml") << "name: mine\nbase: cacti-28nm.yaml\nsram:\n  kind: linear\n"
                                      "  area_mm2_per_kib: 0.001\n  read_pj_per_bit: 0.01\n  write_pj_per_bit: 0.02\n"
                                      "  access_ns: 0.2\n  source: my compiler\n";
  const TechTable t = load_tech(dir / "mine.yaml");
  EXPECT_EQ(t.base, "cacti-28nm");
  EXPECT_THAT(t.description, HasSubstr("sram replaced by mine"));
  EXPECT_THAT(t.description, ::testing::StartsWith("sram replaced by mine; the rest as cacti-28nm"));
  std::ofstream(dir / "own.yaml") << "name: own\nbase: mine.yaml\ndescription: my 28 nm library\n";
  EXPECT_EQ(load_tech(dir / "own.yaml").description, "my 28 nm library");
  std::ofstream(dir / "none.yaml") << "name: none\nbase: no-such-table.yaml\n";
  try {
    load_tech(dir / "none.yaml");
    FAIL() << "expected a config error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no-such-table.yaml' does not exist, nor does"));
    EXPECT_THAT(e.what(), HasSubstr("among the shipped tables"));
  }
  std::filesystem::remove_all(dir);
}

// The new sections refuse what they cannot mean, naming the field.
TEST(TechTables, RangesAndScalingRefuseBadValues) {
  const auto dir = std::filesystem::temp_directory_path() / ("mambahw_tech_bad_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto error_of = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    try {
      load_tech(dir / name);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of("a.yaml", "name: a\nbase: cacti-28nm.yaml\ndram:\n  energy_pj_per_bit: 13.5\n  source: x\n"
                                 "  range: {low: 20, high: 40, source: y}\n"),
              HasSubstr("dram.range.low: the range 20..40 must contain the nominal value 13.5"));
  EXPECT_THAT(error_of("b.yaml", "name: b\nbase: cacti-28nm.yaml\nleakage:\n  logic_nw_per_um2: 10\n  source: x\n"
                                 "  range: {low: 12, high: 8, source: y}\n"),
              HasSubstr("leakage.range.low: must not exceed high (12 > 8)"));
  EXPECT_THAT(error_of("c.yaml", "name: c\nbase: cacti-28nm.yaml\ndie: {utilization: 1.5, control_fraction: 0.1, "
                                 "dram_phy_mm2: 2, source: x}\n"),
              HasSubstr("die.utilization: must be in (0, 1], got 1.5"));
  EXPECT_THAT(error_of("d.yaml", "name: d\nbase: cacti-28nm.yaml\ndram: {variant: hbm9}\n"),
              HasSubstr("dram.variant: 'hbm9' is not in dram_variants (known: hbm2, hbm2e, lpddr5, lpddr4"));
  EXPECT_THAT(error_of("e.yaml", "name: e\nbase: cacti-28nm.yaml\ndram: {variant: hbm2, energy_pj_per_bit: 4}\n"),
              HasSubstr("dram.energy_pj_per_bit: is the variant's; give either variant or energy_pj_per_bit and source"));
  EXPECT_THAT(error_of("f.yaml", "name: f\nbase: cacti-28nm.yaml\ndram_variants:\n  - {name: a, energy_pj_per_bit: 4, "
                                 "source: x}\n  - {name: a, energy_pj_per_bit: 5, source: y}\n"),
              HasSubstr("a variant of this name is already listed"));
  EXPECT_THAT(error_of("g.yaml", "name: g\nbase: cacti-28nm.yaml\ndie: {utilization: 0.7, control_fraction: 0.1, "
                                 "dram_phy_mm2: 2, source: x, control_fraction_range: {low: 0.2, high: 0.3, source: y}}\n"),
              HasSubstr("die.control_fraction_range.low: the range 0.2..0.3 must contain the nominal value 0.1"));
  EXPECT_THAT(error_of("h.yaml", "name: h\nbase: cacti-28nm.yaml\ndram_variants:\n  - {name: a, energy_pj_per_bit: 4, "
                                 "source: x, phy_source: y}\n"),
              HasSubstr("phy_source: only valid with phy_factor"));
  EXPECT_THAT(error_of("i.yaml", "name: i\nbase: cacti-28nm.yaml\ndram_variants:\n  - {name: a, energy_pj_per_bit: 4, "
                                 "source: x, phy_factor: 2}\n"),
              HasSubstr("phy_source"));
  std::filesystem::remove_all(dir);
}

// The DRAM variant tables change the DRAM figure and nothing else; the
// figure and its citation come from the one dram_variants list.
TEST(TechTables, DramVariantTablesTakeTheVariantsFigure) {
  const TechTable base = tech("cacti-28nm.yaml");
  EXPECT_EQ(base.dram.variant, "lpddr4");
  EXPECT_DOUBLE_EQ(base.dram.energy_pj_per_bit, 13.5);
  for (const auto& [file, variant, pj] : {std::tuple{"cacti-28nm-hbm2.yaml", "hbm2", 3.97},
                                          std::tuple{"cacti-28nm-hbm2e.yaml", "hbm2e", 4.3},
                                          std::tuple{"cacti-28nm-lpddr5.yaml", "lpddr5", 7.6}}) {
    const TechTable t = tech(file);
    EXPECT_EQ(t.dram.variant, variant) << file;
    EXPECT_DOUBLE_EQ(t.dram.energy_pj_per_bit, pj) << file;
    EXPECT_THAT(t.dram.source, HasSubstr(std::string("dram_variants ") + variant + ": ")) << file;
    EXPECT_EQ(t.sram.points.size(), base.sram.points.size()) << file;
    EXPECT_DOUBLE_EQ(t.op(TechOp::kMacInt8).energy_pj, base.op(TechOp::kMacInt8).energy_pj) << file;
    EXPECT_DOUBLE_EQ(t.die.dram_phy_mm2, base.die.dram_phy_mm2) << file;
    EXPECT_THAT(t.description, HasSubstr("DRAM: ")) << file;
  }
  // Without a dram.range the sensitivity spans the variants: HBM2 3.97 .. Horowitz's 40 pJ/bit.
  const auto r = base.dram_range();
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->low, 3.97);
  EXPECT_DOUBLE_EQ(r->high, 40);
  EXPECT_THAT(r->source, HasSubstr("hbm2 3.97 .. horowitz-high 40"));
}

// cacti-28nm scales the 45/40 nm logic it inherits (logic_scaling); a
// derived table's own ops entry is at its own node and is not scaled.
TEST(TechTables, InheritedLogicScaledOwnEntriesNot) {
  const TechTable base = tech("horowitz-45nm.yaml");
  const TechTable t = tech("cacti-28nm.yaml");
  ASSERT_TRUE(t.logic_scaling);
  // The nominal factors are Stillmaker & Baas's (docs/cost-model.md, "Node scaling").
  EXPECT_DOUBLE_EQ(t.logic_scaling->energy, 0.518);
  EXPECT_DOUBLE_EQ(t.logic_scaling->area, 0.481);
  EXPECT_DOUBLE_EQ(t.op(TechOp::kMacInt8).energy_pj, 0.3 * t.logic_scaling->energy);
  EXPECT_DOUBLE_EQ(t.op(TechOp::kMacInt8).area_um2, 675 * t.logic_scaling->area);
  EXPECT_DOUBLE_EQ(t.reg.energy_pj_per_bit, 0.009 * t.logic_scaling->energy);
  EXPECT_TRUE(t.op(TechOp::kMacInt8).scaled);
  EXPECT_FALSE(base.op(TechOp::kMacInt8).scaled);
  const auto dir = std::filesystem::temp_directory_path() / ("mambahw_tech_scale_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "lib.yaml") << "name: lib\nbase: cacti-28nm.yaml\nops:\n  mac_int8: {energy_pj: 0.11, "
                                     "area_um2: 300, source: my 28 nm library}\n";
  const TechTable l = load_tech(dir / "lib.yaml");
  EXPECT_DOUBLE_EQ(l.op(TechOp::kMacInt8).energy_pj, 0.11);
  EXPECT_FALSE(l.op(TechOp::kMacInt8).scaled);
  EXPECT_DOUBLE_EQ(l.op(TechOp::kFp32Add).energy_pj, 0.9 * t.logic_scaling->energy);  // still the inherited one
  std::filesystem::remove_all(dir);
}

// A tech table's lookup.compare_ns of 1e300 gave lookup_latency_cycles
// -2147483648 (a float->int conversion out of range): tables bound their
// times, and every cycle count is converted through checked_cycles.
TEST(TechTables, ValuesThatWouldOverflowCycleCountsAreRefused) {
  const auto dir = std::filesystem::temp_directory_path() / ("mambahw_tech_bounds_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "t.yaml") << "name: t\nbase: " << MAMBAHW_SOURCE_DIR << "/configs/tech/horowitz-45nm.yaml\n"
                                << "lookup: {compare_ns: 1e300, select_ns: 0.01, source: x}\n";
  try {
    load_tech(dir / "t.yaml");
    ADD_FAILURE() << "expected a config error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("t.yaml:3:"));
    EXPECT_THAT(e.what(), HasSubstr("lookup.compare_ns: must be at most 10000, got 1e+300"));
  }
  std::ofstream(dir / "c.yaml") << "name: c\nbase: " << MAMBAHW_SOURCE_DIR << "/configs/tech/horowitz-45nm.yaml\n"
                                << "clock_mhz: {value: 1e-300, source: x}\n";
  EXPECT_THROW(load_tech(dir / "c.yaml"), ConfigError);
  std::filesystem::remove_all(dir);
  // The conversion itself: exact in range (ceil with a 1e-9 guard), named out of it.
  EXPECT_EQ(checked_cycles(0.0, "x"), 0);
  EXPECT_EQ(checked_cycles(2.0000000001, "x"), 2);  // within the guard: 2, not 3
  EXPECT_EQ(checked_cycles(2.5, "x"), 3);
  EXPECT_EQ(checked_cycles(2147483647.0, "x"), 2147483647);
  for (double bad : {2147483648.5, 1e300, -1.0, std::nan(""), HUGE_VAL}) {
    try {
      (void)checked_cycles(bad, "lookup latency");
      ADD_FAILURE() << bad;
    } catch (const std::range_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("lookup latency = ")) << bad;
      EXPECT_THAT(e.what(), HasSubstr("cycles is out of range [0, 2^31)")) << bad;
    }
  }
}

UnitPricing pricing_of(const ModelShape& m, OpMix exp_eval, OpMix softplus_eval) {
  UnitPricing p;
  p.shape = m;
  p.nonlinear.exp_eval = exp_eval;
  p.nonlinear.softplus_eval = softplus_eval;
  p.index = {"q1", IndexKind::kPerTensor, 0, 1, 1, false, 0.0};
  p.clock_mhz = 1000;
  return p;
}

TEST(EnergyModel, CountsTimesEnergiesByCategory) {
  const TechTable t = tech("horowitz-45nm.yaml");
  // exp: 1 multiply + 2 FMAs = 3.7 + 2 x 4.6 = 12.9 pJ; softplus: 1 divide + 1 add = 22.1 + 0.9 = 23 pJ.
  const UnitPricing p = pricing_of(mamba2(1, 8, 64, 3), OpMix::of(DatapathOp::kFp32Mul) + OpMix::of(DatapathOp::kFp32Fma, 2),
                                   OpMix::of(DatapathOp::kFp32Div) + OpMix::of(DatapathOp::kFp32Add));
  EventCounts e;
  e.tokens = 4;
  e.at(Unit::kGemmArray)[Counter::kMacInt8] = 10;        // 10 x 0.3 pJ
  e.at(Unit::kSsmCore)[Counter::kExp] = 3;               // 3 x 12.9 pJ -> exp_softplus
  e.at(Unit::kSsmCore)[Counter::kSoftplus] = 1;          // 23 pJ -> exp_softplus
  e.at(Unit::kSsmCore)[Counter::kFp32Fma] = 2;           // 2 x 4.6 pJ
  e.at(Unit::kSsmCore)[Counter::kDramReadBytes] = 100;   // 800 bits x 20 pJ -> dram
  e.at(Unit::kScaleIndexLookup)[Counter::kLookup] = 5;   // 5 register reads of 32 x 0.009 pJ
  e.at(Unit::kSsmDequant)[Counter::kMuxSelect] = 1000;   // 1000 x 50 gates x 0.00045 pJ
  e.at(Unit::kConvOutQuantizer)[Counter::kMuxSelect] = 1000;  // 1000 x 20 gates x 0.00045 pJ
  e.add_sram({"buf", Unit::kGemmArray, MemImpl::kSram, 16384, 64, 5, 0});  // 5 x 9.99 pJ (CACTI 45 nm 16 KB)
  const EnergyReport r = energy_report(e, 0, t, p);  // no time: no leakage
  auto cat = [&](Category c) { return r.pj[static_cast<std::size_t>(c)]; };
  EXPECT_DOUBLE_EQ(cat(Category::kGemmArray), 3.0);
  EXPECT_NEAR(cat(Category::kExpSoftplus), 3 * 12.9 + 23, 1e-9);
  EXPECT_DOUBLE_EQ(cat(Category::kSsmCore), 9.2);
  EXPECT_DOUBLE_EQ(cat(Category::kDram), 16000.0);
  EXPECT_NEAR(cat(Category::kScaleIndexLookup), 5 * 32 * 0.009, 1e-12);
  EXPECT_NEAR(cat(Category::kSsmDequant), 1000 * 50 * 0.00045, 1e-9);
  EXPECT_NEAR(cat(Category::kConvOutQuantizer), 1000 * 20 * 0.00045, 1e-9);
  EXPECT_NEAR(cat(Category::kSram), 49.95, 1e-9);
  EXPECT_NEAR(r.total_pj, 3.0 + 3 * 12.9 + 23 + 9.2 + 16000.0 + 5 * 32 * 0.009 + 22.5 + 9 + 49.95, 1e-9);
  EXPECT_NEAR(r.pj_per_token, r.total_pj / 4, 1e-9);
}

// The exp unit is priced from the golden unit's own operations: today's
// polynomial exp is 1 multiply, 9 FMAs, 2 conversions, 1 integer add and 2
// compares (docs/arithmetic.md §3; unit_ops.hpp tallies them as it runs).
TEST(EnergyModel, ExpUnitPricedFromItsGoldenOperations) {
  const TechTable t = tech("horowitz-45nm.yaml");
  const OpMix exp = exp_unit_ops();
  double by_hand = 0;
  by_hand += static_cast<double>(exp[DatapathOp::kFp32Mul]) * 3.7 + static_cast<double>(exp[DatapathOp::kFp32Fma]) * 4.6;
  by_hand += static_cast<double>(exp[DatapathOp::kFp32Add]) * 0.9 + static_cast<double>(exp[DatapathOp::kFp32Convert]) * 0.9;
  by_hand += static_cast<double>(exp[DatapathOp::kIntAdd]) * 0.1 + static_cast<double>(exp[DatapathOp::kCompare]) * 0.1;
  by_hand += static_cast<double>(exp[DatapathOp::kFp32Div]) * 22.1 + static_cast<double>(exp[DatapathOp::kFp32Sqrt]) * 22.1;
  EXPECT_NEAR(unit_cost(exp, 0, t).energy_pj, by_hand, 1e-9);
  EXPECT_GE(exp[DatapathOp::kFp32Fma], 7);  // the Horner chain, not a 1-FMA piecewise-linear unit
}

// The exp and softplus evaluations are priced with the scheme's units: pwl16's
// exp by hand is 2 integer multiplies (priced as the FP32 multiplier, 3.7),
// 3 integer adds and a shift (32-bit adds, 0.1), a conversion (0.9), 2
// compares (0.1) and two 32-bit table points read (64 register bits, 0.009 pJ).
TEST(EnergyModel, ExpPricedByTheSchemesUnit) {
  const TechTable t = tech("horowitz-45nm.yaml");
  UnitSelection u;
  u.exp = {ExpKind::kPwl, 16};
  UnitPricing p = pricing_of(mamba2(1, 8, 64, 3), OpMix{}, OpMix{});
  p.nonlinear = nonlinear_units(u, true);
  EventCounts e;
  e.at(Unit::kSsmCore)[Counter::kExp] = 10;
  const double pwl16 = 2 * 3.7 + 4 * 0.1 + 0.9 + 2 * 0.1 + 64 * 0.009;
  EXPECT_NEAR(energy_report(e, 0, t, p).pj[static_cast<std::size_t>(Category::kExpSoftplus)], 10 * pwl16, 1e-9);
  // area: the same operators once each (2 x 3850 + 4 x 278 + 1390 + 2 x 71 um2) and the 17 x 32 table bits (5.98 um2)
  const HardwareConfig hw;
  const AreaReport a = area_report(t, p);
  int found = 0;
  for (const AreaItem& i : a.items) {
    if (i.unit != "exp_units") continue;
    ++found;
    EXPECT_NEAR(i.mm2, hw.ssm.exp_units * (2 * 3850 + 4 * 278 + 1390 + 2 * 71 + 17 * 32 * 5.98) * 1e-6, 1e-12);
  }
  EXPECT_EQ(found, 1);
}

TEST(AreaModel, SumOfUnits) {
  const TechTable t = tech("horowitz-45nm.yaml");
  HardwareConfig hw;
  hw.gemm.rows = 2;
  hw.gemm.cols = 3;
  hw.ssm.exp_units = 2;
  UnitPricing p = pricing_of(mamba2(1, 8, 64, 3), OpMix::of(DatapathOp::kFp32Mul) + OpMix::of(DatapathOp::kFp32Fma, 2),
                             OpMix::of(DatapathOp::kFp32Div));
  p.hw = hw;
  const AreaReport a = area_report(t, p);
  EXPECT_DOUBLE_EQ(a.items[0].mm2, 6 * 675e-6);  // 6 INT8 PEs x 675 um2
  auto item = [&](const AreaReport& r, const std::string& unit) {
    for (const auto& i : r.items)
      if (i.unit == unit) return i.mm2;
    ADD_FAILURE() << "no area item " << unit;
    return 0.0;
  };
  EXPECT_NEAR(item(a, "exp_units"), 2 * (3850 + 2 * 5240) * 1e-6, 1e-12);  // mul 3850 + 2 FMA 5240 um2
  EXPECT_GT(item(a, "scale_index_memory"), 0);  // 3 layers x one 32-bit register
  p.int4_weights = true;
  const AreaReport a4 = area_report(t, p);
  EXPECT_DOUBLE_EQ(a4.items[0].mm2, 6 * 2 * 476e-6);  // 2 INT4 MACs per PE
  double sum = 0;
  for (const auto& i : a.items) sum += i.mm2;
  EXPECT_DOUBLE_EQ(a.total_mm2, sum);
}

// Register bits of one fold by hand (dataflow.hpp): m = 10 rows over a
// 2 x 2 and a 4 x 4 tile, INT8.
TEST(Dataflow, FoldRegisterBitsByHand) {
  const ArrayRegisterBits a = fold_register_bits(10, 2, 2, 8, 8);
  EXPECT_EQ(a.weight_load, 2 * 2 * 8);
  EXPECT_EQ(a.operand, 10 * 4 * 8 + 10 * 1 * 8);    // forwarding + skew (row 1 waits 1 cycle)
  EXPECT_EQ(a.psum, 10 * 4 * 32 + 10 * 1 * 32);     // sum chain + deskew (column 0 waits 1 cycle)
  const ArrayRegisterBits b = fold_register_bits(10, 4, 4, 8, 8);
  EXPECT_EQ(b.operand, 10 * 16 * 8 + 10 * 6 * 8);   // skew 0 + 1 + 2 + 3 = 6 stages per row of 4
  EXPECT_EQ(b.psum, 10 * 16 * 32 + 10 * 6 * 32);
  // 2 x 2 PEs: weight x2 (double-buffered) + activation + sum = 56 bits each; FIFOs 1 x 8 + 1 x 32.
  EXPECT_EQ(array_register_bits(2, 2, 8, 8, true), 4 * 56 + 8 + 32);
  EXPECT_EQ(array_register_bits(2, 2, 8, 8, false), 4 * 48 + 8 + 32);
}

// Leakage per macro: interpolated like area (power law between macros),
// adding up over banks; flops leak as logic of their area.
TEST(SramModel, LeakagePerMacroBankedAndInterpolated) {
  TechTable t;
  t.sram.kind = SramKind::kTable;
  SramPoint a{1024, 64, 1.0, 1.0, 0.001, 0.1, 0.1, ""}, b{4096, 64, 2.0, 2.0, 0.004, 0.2, 0.4, ""};
  t.sram.points = {a, b};
  t.reg.area_um2_per_bit = 2;
  t.leakage.logic_nw_per_um2 = 10;
  EXPECT_NEAR(sram_cost(t, 2048, 64).leakage_mw, 0.2, 1e-12);   // sqrt(0.1 x 0.4)
  const MemoryCost big = sram_cost(t, 8192, 64);                // 2 banks of 4096 B
  EXPECT_EQ(big.banks, 2);
  EXPECT_NEAR(big.leakage_mw, 0.8, 1e-12);
  EXPECT_NEAR(flop_cost(t, 100, 8).leakage_mw, 800 * 2 * 10 * 1e-6, 1e-15);  // 800 bits x 2 um2 x 10 nW
  t.sram.points[0].leakage_mw.reset();
  t.sram.points[1].leakage_mw.reset();
  const MemoryCost none = sram_cost(t, 2048, 64);
  EXPECT_EQ(none.leakage_mw, 0);
  EXPECT_THAT(none.notes.back(), HasSubstr("states no leakage"));
}

// lane_ops: enough operators for one item per cycle, by hand: 264 FMAs and
// 320 multiplies over 128 steps need 3 of each (2.06 and 2.5, rounded up).
TEST(AreaModel, LaneOperatorsRoundUpTheWorkPerItem) {
  Work w;
  w.ops(DatapathOp::kFp32Fma, 264);
  w.ops(DatapathOp::kFp32Mul, 320);
  w.ops(DatapathOp::kFp32Div, 8);
  const OpMix lane = lane_ops(w, 128);
  EXPECT_EQ(lane[DatapathOp::kFp32Fma], 3);
  EXPECT_EQ(lane[DatapathOp::kFp32Mul], 3);
  EXPECT_EQ(lane[DatapathOp::kFp32Div], 1);
  EXPECT_EQ(lane[DatapathOp::kFp32Add], 0);
}

// The die estimate: placement whitespace is the cells over the utilisation,
// control a share of the datapath, every part adds up; leakage is each
// part's, integrated over the time given.
TEST(AreaModel, DieEstimatePartsAddUpAndLeakageByHand) {
  TechTable t = tech("horowitz-45nm.yaml");
  t.die = {0.5, 0.25, 2.0, "test", std::nullopt, std::nullopt, std::nullopt};  // no ranges
  t.leakage.logic_nw_per_um2 = 10;
  UnitPricing p = pricing_of(mamba2(1, 8, 64, 3), OpMix{}, OpMix{});
  p.hw.gemm.rows = 2;
  p.hw.gemm.cols = 3;
  p.tokens = 4;
  const AreaReport a = area_report(t, p);
  auto item = [&](const std::string& unit) -> const AreaItem& {
    for (const auto& i : a.items)
      if (i.unit == unit) return i;
    ADD_FAILURE() << "no area item " << unit;
    return a.items.front();
  };
  EXPECT_NEAR(item("gemm_array").leakage_mw, 6 * t.op(TechOp::kMacInt8).area_um2 * 10 * 1e-6, 1e-15);
  double datapath = 0, sum = 0, leak = 0;
  for (const auto& i : a.items) {
    sum += i.mm2;
    leak += i.leakage_mw;
    if (i.kind == AreaKind::kLogic && i.unit != "control_dma") datapath += i.mm2;
  }
  EXPECT_NEAR(item("control_dma").mm2, 0.25 * datapath, 1e-12);
  EXPECT_NEAR(item("placement").mm2, 1.25 * datapath * (1 / 0.5 - 1), 1e-12);
  EXPECT_DOUBLE_EQ(item("dram_phy").mm2, 2.0);
  EXPECT_NEAR(a.total_mm2, sum, 1e-12);
  EXPECT_NEAR(a.leakage_mw, leak, 1e-12);
  // 4 tokens x 3 columns x 4 bytes of sums; the SSM state 512 x 128 FP32 values.
  EXPECT_DOUBLE_EQ(accumulator_memory(p.hw, p.tokens, t).capacity_bytes, 48);
  EXPECT_THAT(item("ssm_state").how, HasSubstr("512 x 128 FP32 states"));
  const EnergyReport e = energy_report(EventCounts{}, 1000, t, p);  // 1 us
  EXPECT_NEAR(e.pj[static_cast<std::size_t>(Category::kLeakage)], a.leakage_mw * 1000, 1e-9);  // mW x ns = pJ
}

// Sensitivity: each sourced range at its ends, the rest nominal. DRAM
// energy scales the DRAM share alone.
TEST(Sensitivity, DramRangeMovesOnlyTheDramEnergy) {
  TechTable t = tech("horowitz-45nm.yaml");
  t.dram.range = SourcedRange{10, 40, "test"};
  const UnitPricing p = pricing_of(mamba2(1, 8, 64, 3), OpMix{}, OpMix{});
  EventCounts e;
  e.tokens = 2;
  e.at(Unit::kGemmArray)[Counter::kMacInt8] = 10;      // 3 pJ
  e.at(Unit::kGemmArray)[Counter::kDramReadBytes] = 1;  // 8 bits
  const auto rows = sensitivity(e, 0, t, p);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].knob, "dram_pj_per_bit");
  EXPECT_NEAR(rows[0].pj_per_token_low, (3 + 8 * 10) / 2.0, 1e-9);
  EXPECT_NEAR(rows[0].pj_per_token_high, (3 + 8 * 40) / 2.0, 1e-9);
}

// The state memories' access energy, by hand: a linear SRAM of 0.1 pJ/bit
// read and 0.2 pJ/bit written (SRAM smaller than flops at 1e-6 mm2/KiB), a
// Mamba1 shape of 128 channels x 16 states, conv width 4, 10 tokens in token
// tiles of 4.
// horowitz-45nm with the hand-checkable linear SRAM of the StateMemories
// tests: 0.1 pJ/bit read, 0.2 pJ/bit written, 1e-6 mm2/KiB (smaller than
// flops), 1 ns access, `leakage_mw_per_kib` when given.
TechTable linear_sram_tech(std::optional<double> leakage_mw_per_kib = std::nullopt) {
  TechTable t = tech("horowitz-45nm.yaml");
  t.sram = SramModel{};
  t.sram.kind = SramKind::kLinear;
  t.sram.area_mm2_per_kib = 1e-6;
  t.sram.read_pj_per_bit = 0.1;
  t.sram.write_pj_per_bit = 0.2;
  t.sram.leakage_mw_per_kib = leakage_mw_per_kib;
  t.sram.access_ns = 1;
  return t;
}

TEST(StateMemories, AccessEnergyByHand) {
  TechTable t = linear_sram_tech();
  const ModelShape m = mamba1(64, 128, 4, 1);
  UnitPricing p = pricing_of(m, OpMix{}, OpMix{});
  p.hw.conv.token_tile = 4;
  EventCounts e;
  e.tokens = 10;
  e.at(Unit::kSsmCore)[Counter::kSsmStep] = 128 * 16 * 10;     // 20480 steps
  e.at(Unit::kConvUnit)[Counter::kMacInt8] = 128 * 10 * 4;     // 1280 (channel, token) items
  e.at(Unit::kHadamardUnit)[Counter::kFp32Convert] = 128 * 10;  // 1280 elements
  const auto traffic = state_memory_traffic(e, t, p);
  ASSERT_EQ(traffic.size(), 4u);
  // SSM state: 20480 x 32 bits each way in 512-bit rows (16 lanes) = 1280 reads and 1280 writes.
  EXPECT_EQ(traffic[0].memory, "ssm_state");
  EXPECT_EQ(traffic[0].width_bits, 512);
  EXPECT_DOUBLE_EQ(traffic[0].reads, 1280);
  EXPECT_DOUBLE_EQ(traffic[0].writes, 1280);
  // B/C buffer (INT8, as the SSM core holds B and C): each step reads its B_n and C_n, 20480 x 16 = 327680 bits
  // in 128-bit rows (16 lanes x 8 bits) = 2560 reads; each token's B and C (2 x 16 INT8) written once: 20480 steps /
  // 128 channels = 160 (token, state) pairs x 2 x 8 = 2560 bits = 20 row writes.
  EXPECT_EQ(traffic[1].memory, "ssm_bc_buffer");
  EXPECT_EQ(traffic[1].width_bits, 128);
  EXPECT_DOUBLE_EQ(traffic[1].reads, 2560);
  EXPECT_DOUBLE_EQ(traffic[1].writes, 20);
  // Conv state: 128 channels x ceil(10/4) = 3 token tiles x 3 inputs x 8 bits = 9216 bits each way, 128-bit rows.
  EXPECT_EQ(traffic[2].memory, "conv_line_buffer");
  EXPECT_DOUBLE_EQ(traffic[2].reads, 9216.0 / 128);
  EXPECT_DOUBLE_EQ(traffic[2].writes, 9216.0 / 128);
  // Hadamard tile: 1280 FP16 values written and read, 64-bit rows.
  EXPECT_EQ(traffic[3].memory, "hadamard_tile");
  EXPECT_DOUBLE_EQ(traffic[3].reads, 1280.0 * 16 / 64);
  // Energy: state 655360 bits x (0.1 + 0.2) = 196608 pJ; B/C 327680 x 0.1 + 2560 x 0.2 = 33280;
  // conv 9216 x 0.3 = 2764.8; Hadamard 20480 x 0.3 = 6144.
  const EnergyReport r = energy_report(e, 0, t, p);
  EXPECT_NEAR(r.pj[static_cast<std::size_t>(Category::kSram)], 196608 + 33280 + 2764.8 + 6144, 1e-6);
  ASSERT_EQ(r.memory_pj.size(), 4u);
  EXPECT_EQ(r.memory_pj[0].first, "ssm_state");
  EXPECT_NEAR(r.memory_pj[0].second, 196608, 1e-6);
  EXPECT_EQ(r.memory_pj[1].first, "ssm_bc_buffer");
  EXPECT_NEAR(r.memory_pj[1].second, 33280, 1e-6);
}

// The Hadamard butterflies' intermediates: each FP32 add's 32-bit result is
// registered once. 1000 adds on horowitz-45nm: 1000 x 0.9 pJ (the adds) +
// 1000 x 32 x 0.009 pJ (the stage registers) = 900 + 288 = 1188 pJ.
TEST(EnergyModel, HadamardIntermediatesByHand) {
  const TechTable t = tech("horowitz-45nm.yaml");
  const UnitPricing p = pricing_of(mamba1(64, 128, 4, 1), OpMix{}, OpMix{});
  EventCounts e;
  e.tokens = 1;
  e.at(Unit::kHadamardUnit)[Counter::kFp32Add] = 1000;
  const EnergyReport r = energy_report(e, 0, t, p);
  EXPECT_NEAR(r.pj[static_cast<std::size_t>(category_of(Unit::kHadamardUnit))], 1188, 1e-9);
}

// Areas from synthesis gate counts (docs/synthesis.md, measured with yosys
// 0.23): NAND2-eq x the table's NAND2 area. horowitz-45nm: 0.608 um2
// (NanGate45 NAND2_X1 0.57 x 1.4 = 0.798 um2 at 45 nm, x 0.7615 to 40 nm =
// 0.6077, rounded); cacti-28nm: x 0.481 = 0.29245 um2.
TEST(AreaModel, SynthesisGateCountAreasByHand) {
  auto item = [](const AreaReport& a, const std::string& unit) -> const AreaItem* {
    for (const auto& i : a.items)
      if (i.unit == unit) return &i;
    return nullptr;
  };
  for (const auto& [file, nand2_um2] : {std::pair{"horowitz-45nm.yaml", 0.608}, std::pair{"cacti-28nm.yaml", 0.608 * 0.481}}) {
    const TechTable t = tech(file);
    EXPECT_NEAR(t.op(TechOp::kGate).area_um2, nand2_um2, 1e-12) << file;
    UnitPricing p = pricing_of(mamba1(64, 128, 4, 1), OpMix{}, OpMix{});
    p.hw.conv.lanes = 3;
    p.hw.ssm.dequant_lanes = 2;
    const AreaReport a = area_report(t, p);
    ASSERT_NE(item(a, "conv_out_quantizer"), nullptr);
    EXPECT_NEAR(item(a, "conv_out_quantizer")->mm2, 3 * 28989 * nand2_um2 * 1e-6, 1e-12) << file;
    EXPECT_THAT(item(a, "conv_out_quantizer")->how, HasSubstr("from synthesis gate count"));
    EXPECT_NEAR(item(a, "ssm_dequant")->mm2, 2 * 5076 * nand2_um2 * 1e-6, 1e-12) << file;
    EXPECT_EQ(item(a, "scale_index_logic"), nullptr);  // Quamba1: a scale register, no lookup logic
  }
  // Quamba2 on the synthesized shape (1 x 4 x 4, 24 heads per group x 64): the lookup's logic, 5620
  // NAND2-eq sequential, 5575 parallel; another shape is not counted and says so.
  const TechTable t = tech("horowitz-45nm.yaml");
  UnitPricing p = pricing_of(mamba2(1, 24, 64, 2), OpMix{}, OpMix{});
  p.index = {"q2", IndexKind::kGrouped, 0, 4, 4, false, 1.0};
  ASSERT_NE(item(area_report(t, p), "scale_index_logic"), nullptr);
  EXPECT_NEAR(item(area_report(t, p), "scale_index_logic")->mm2, 5620 * 0.608e-6, 1e-12);
  p.index.parallel = true;
  EXPECT_NEAR(item(area_report(t, p), "scale_index_logic")->mm2, 5575 * 0.608e-6, 1e-12);
  p.shape = mamba2(1, 48, 64, 2);
  const AreaReport other = area_report(t, p);
  EXPECT_EQ(item(other, "scale_index_logic"), nullptr);
  EXPECT_THAT(other.notes, Contains(HasSubstr("scale_index_logic: not counted")));
}

// The default layer's SSM state on cacti-28nm, by hand from the CACTI macros:
// 98304 B in 512-bit rows is 2 banks of 49152 B, each access 8 x a 64-bit
// access of the 49152 B macro, interpolated power-law between the 16 KB
// (4.38 pJ read, 3.54 write) and 64 KB (8.0, 7.16) macros; mamba-130m's
// 1536 x 16 states x 512 tokens are read and written 16 per access.
TEST(StateMemories, DefaultSsmStateOnCacti28ByHand) {
  const TechTable t = tech("cacti-28nm.yaml");
  const ModelShape m = mamba1(768, 1536, 48, 24);
  UnitPricing p = pricing_of(m, OpMix{}, OpMix{});
  p.tokens = 512;  // the B/C buffer holds the sequence's B and C
  EventCounts e;
  e.tokens = 512;
  e.at(Unit::kSsmCore)[Counter::kSsmStep] = 1536LL * 16 * 512;
  auto at_48k = [](double at16k, double at64k) { return at16k * std::pow(3.0, std::log(at64k / at16k) / std::log(4.0)); };
  const double per_access = 8 * (at_48k(4.38, 8.0) + at_48k(3.54, 7.16));  // 56.48 + 49.49 pJ
  const double accesses = 1536.0 * 16 * 512 / 16;                           // 786432 reads and as many writes
  const EnergyReport r = energy_report(e, 0, t, p);
  ASSERT_FALSE(r.memory_pj.empty());
  EXPECT_EQ(r.memory_pj[0].first, "ssm_state");
  EXPECT_NEAR(r.memory_pj[0].second, accesses * per_access, 1e-6 * accesses * per_access);
  EXPECT_NEAR(r.memory_pj[0].second, 83.34e6, 0.01e6);  // 83.34 uJ of the default layer's 5322
  // The B/C buffer: 2 x 16 x 512 = 16384 B of INT8 in 128-bit rows (16 lanes), the 16 KB macro (4.38 pJ
  // read, 3.54 write per 64-bit access), so 2 x its access; each step reads B_n and C_n (12582912 x 16 / 128 =
  // 1572864 reads), each token's 2 x 16 values are written once (512 x 16 x 16 / 128 = 1024 writes):
  // 1572864 x 8.76 + 1024 x 7.08 = 13778288.64 + 7249.92 pJ.
  ASSERT_GE(r.memory_pj.size(), 2u);
  EXPECT_EQ(r.memory_pj[1].first, "ssm_bc_buffer");
  EXPECT_NEAR(r.memory_pj[1].second, 1572864 * 2 * 4.38 + 1024 * 2 * 3.54, 1e-3);
  EXPECT_NEAR(r.memory_pj[1].second, 13.79e6, 0.01e6);
}

// The die parameters' ranges move the area as the die formula says; the
// DRAM variants price the layer at each variant's figure.
TEST(Sensitivity, DieRangesAndDramVariants) {
  TechTable t = tech("horowitz-45nm.yaml");
  t.die = {0.5, 0.25, 2.0, "test", std::nullopt, std::nullopt, std::nullopt};  // no ranges
  t.die.utilization_range = SourcedRange{0.25, 1.0, "u"};
  t.die.dram_phy_mm2_range = SourcedRange{1.0, 4.0, "phy"};
  t.leakage.logic_nw_per_um2 = 0;
  const UnitPricing p = pricing_of(mamba2(1, 8, 64, 3), OpMix{}, OpMix{});
  const AreaReport a = area_report(t, p);
  EventCounts e;
  e.tokens = 2;
  e.at(Unit::kGemmArray)[Counter::kDramReadBytes] = 1;  // 8 bits
  const auto rows = sensitivity(e, 0, t, p);
  auto row = [&](const std::string& k) -> const SensitivityRow& {
    for (const auto& r : rows)
      if (r.knob == k) return r;
    ADD_FAILURE() << "no row " << k;
    return rows.front();
  };
  // placement = cells x (1/u - 1): 1 at u = 0.5, 3 at u = 0.25, 0 at u = 1.
  const double cells = a.logic_cells_mm2;
  EXPECT_NEAR(row("die_utilization").area_mm2_low, a.total_mm2 + 2 * cells, 1e-9);
  EXPECT_NEAR(row("die_utilization").area_mm2_high, a.total_mm2 - cells, 1e-9);
  EXPECT_NEAR(row("die_dram_phy").area_mm2_low, a.total_mm2 - 1, 1e-12);
  EXPECT_NEAR(row("die_dram_phy").area_mm2_high, a.total_mm2 + 2, 1e-12);
  // The variants of horowitz-45nm: 8 bits over 2 tokens at each figure; the table's own (horowitz-low) marked.
  const auto v = dram_variant_energy(e, 0, t, p);
  ASSERT_EQ(v.size(), t.dram_variants.size());
  for (const auto& r : v) EXPECT_NEAR(r.pj_per_token, 8 * r.pj_per_bit / 2, 1e-9) << r.variant;
  EXPECT_EQ(v[0].variant, "hbm2");
  EXPECT_DOUBLE_EQ(v[0].pj_per_bit, 3.97);
  for (const auto& r : v) EXPECT_EQ(r.selected, r.variant == "horowitz-low") << r.variant;
}

// The DRAM interface's area by variant: die.dram_phy_mm2 (the reference LPDDR4
// x32 interface) x the variant's phy_factor; cacti-28nm-hbm2 (2 mm2 x 3) has a
// die 4 mm2 larger than cacti-28nm (2 mm2 x 1), nothing else changed.
TEST(AreaModel, DramPhyByVariant) {
  const TechTable lp = tech("cacti-28nm.yaml"), hbm = tech("cacti-28nm-hbm2.yaml");
  EXPECT_DOUBLE_EQ(lp.dram_phy_mm2(), 2.0);
  EXPECT_DOUBLE_EQ(hbm.dram_phy_mm2(), 6.0);
  const UnitPricing p = pricing_of(mamba1(64, 128, 4, 1), OpMix{}, OpMix{});
  EXPECT_NEAR(area_report(hbm, p).total_mm2 - area_report(lp, p).total_mm2, 4.0, 1e-9);
  EventCounts e;
  e.tokens = 1;
  for (const auto& r : dram_variant_energy(e, 0, lp, p)) {
    EXPECT_DOUBLE_EQ(r.phy_mm2, 2.0 * (r.variant.rfind("hbm", 0) == 0 ? 3 : 1)) << r.variant;
    EXPECT_FALSE(r.phy_source.empty()) << r.variant;
  }
}

TEST(Roofline, HandComputedMamba1Layer) {
  const ModelShape m = mamba1(64, 128, 4, 1);
  QuantScheme s;  // Quamba1, INT8 weights per channel
  s.layer.out_proj_hadamard = false;
  HardwareConfig hw;  // 32 x 32 PEs, 16 conv lanes, 16 SSM lanes and exp units, 25.6 B/cycle at 1 GHz
  const Roofline r = roofline(layer_program(m, s), hw, 100);
  ASSERT_EQ(r.ops.size(), 6u);
  // in_proj: 100 x 64 x 256 MACs / 1024 = 1600 cycles; bytes: weights 64*256 + 256 FP32 scales, input 100*64,
  // output 100*256 = 49408 -> 1930 cycles
  EXPECT_DOUBLE_EQ(r.ops[0].compute_cycles, 1600);
  EXPECT_DOUBLE_EQ(r.ops[0].memory_cycles, 49408 / 25.6);
  EXPECT_DOUBLE_EQ(r.ops[0].cycles(), 1930);
  // scan: 128 x 16 x 100 steps / 16 lanes = 12800 cycles; the exp units evaluate exp(delta*A) per step and the
  // gate's SiLU exp per channel, and E = exp(A) once per pass: ((128 x 16 + 128) x 100 + 128 x 16) / 16 = 13728
  // cycles, which set the rate.
  EXPECT_DOUBLE_EQ(r.ops[4].compute_cycles, 13728);
  double sum = 0;
  for (const auto& o : r.ops) sum += o.cycles();
  EXPECT_DOUBLE_EQ(r.cycles, sum);
  EXPECT_DOUBLE_EQ(r.latency_ns, sum);  // 1 ns cycle
}

TEST(Roofline, OnlineHadamardOpBeforeOutProj) {
  ModelShape m;
  m.arch = Arch::kMamba1;
  m.d_model = 64;
  m.d_inner = 96;  // 12 * 8: 3 radix-2 stages + 11 additions per output = 96 * 14 = 1344 per token
  m.d_state = 16;
  m.dt_rank = 4;
  m.d_conv = 4;
  m.n_layer = 1;
  QuantScheme s;
  HardwareConfig hw;  // 64 Hadamard adders, 25.6 B/cycle
  const Roofline r = roofline(layer_program(m, s), hw, 100);
  ASSERT_EQ(r.ops.size(), 7u);
  EXPECT_EQ(r.ops[5].op, "hadamard+quantize");
  EXPECT_EQ(r.ops[5].unit, Unit::kHadamardUnit);
  // 100 tokens x 1344 / 64 = 2100 cycles; FP16 y in + INT8 out = 96 x 100 x 3 bytes = 28800 / 25.6 = 1125
  EXPECT_DOUBLE_EQ(r.ops[5].compute_cycles, 2100);
  EXPECT_DOUBLE_EQ(r.ops[5].memory_cycles, 1125);
  EXPECT_EQ(r.ops[6].op, "out_proj");
  m.d_inner = 100;
  EXPECT_THROW(roofline(layer_program(m, s), hw, 100), std::invalid_argument);
}

}  // namespace
}  // namespace mambahw::cost

// ---- the GEMM mapper ------------------------------------------------------------------

#include "mambahw/cost/gemm_mapping.hpp"

namespace mambahw::cost {
namespace {

// M 64, K 32, N 64, INT8, on a 4 x 4 array with 1 KiB buffers. Input X = 64 x
// 32 = 2048 B (does not fit 1024 B), weights W = 32 x 64 = 2048 B, outputs Y
// = 64 x 64 = 4096 B. Fixed: X re-read for each of the 16 column tiles:
// 2048 + 16 x 2048 + 4096 = 38912 B. Mapper: token tiles of 1024 / 32 = 32
// tokens (2 tiles), the weights streamed once per tile: 2 x 2048 + 2048 +
// 4096 = 10240 B (a weight block of 32 columns, 1024 B, ties on bytes and
// cycles and loses on the order). Ratio 38912 / 10240 = 3.8.
TEST(GemmMapper, TokenTilesBeatTheFixedMappingByHand) {
  GemmArrayConfig a;
  a.rows = a.cols = 4;
  BufferConfig b;
  b.weight_kib = b.activation_kib = 1;
  const GemmShape g{64, 32, 64, 8, 1, 1};
  const GemmMapping fixed = fixed_mapping(g, a, b);
  EXPECT_EQ(fixed.dram_bytes(), 38912);
  const GemmMapping m = map_gemm(g, a, b, "test");
  EXPECT_EQ(m.order, GemmOrder::kTokensOuter);
  EXPECT_EQ(m.m_tile, 32);
  EXPECT_EQ(m.token_tiles, 2);
  EXPECT_EQ(m.weight_bytes, 4096);
  EXPECT_EQ(m.input_bytes, 2048);
  EXPECT_EQ(m.dram_bytes(), 10240);
  EXPECT_DOUBLE_EQ(static_cast<double>(fixed.dram_bytes()) / static_cast<double>(m.dram_bytes()), 3.8);
  EXPECT_EQ(m.min_dram_bytes, 8192);
  // 8 x 16 = 128 folds, each streaming its tile's 32 tokens + 4 + 4 - 2, + one weight load of 4:
  EXPECT_EQ(m.compute_cycles, 4 + 128 * 2 * (32 + 6));
  EXPECT_EQ(fixed.compute_cycles, 4 + 128 * (64 + 6));
  EXPECT_GT(m.candidates, 2);
}

// When the whole input fits (M 64 x K 8 = 512 B in 1 KiB) every tensor moves once: the floor.
TEST(GemmMapper, EverythingOnceWhenTheInputFits) {
  GemmArrayConfig a;
  a.rows = a.cols = 4;
  BufferConfig b;
  b.weight_kib = b.activation_kib = 1;
  const GemmMapping m = map_gemm({64, 8, 256, 8, 1, 1}, a, b, "test");
  EXPECT_EQ(m.dram_bytes(), m.min_dram_bytes);
  EXPECT_EQ(m.min_dram_bytes, 64 * 8 + 8 * 256 + 64 * 256);
}

TEST(GemmMapper, ATileThatCannotFitIsAnErrorNamingBufferTileAndBytes) {
  GemmArrayConfig a;  // 32 x 32 INT8: a 1024-byte tile, twice when double-buffered
  BufferConfig b;
  b.weight_kib = 1;
  try {
    (void)map_gemm({16, 768, 3072, 8, 1, 1}, a, b, "in_proj");
    FAIL() << "no error";
  } catch (const CapacityError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("buffers.weight_kib"), std::string::npos) << m;
    EXPECT_NE(m.find("'in_proj'"), std::string::npos) << m;
    EXPECT_NE(m.find("32 x 32 8-bit weights = 1024 bytes, twice for the double buffer"), std::string::npos) << m;
    EXPECT_NE(m.find("holds 1024 bytes"), std::string::npos) << m;
  }
  b.weight_kib = 512;
  b.activation_kib = 4;  // 4096 B < one 5120-byte token row of out_proj's input
  try {
    (void)map_gemm({16, 5120, 2560, 4, 2, 1}, a, b, "out_proj");
    FAIL() << "no error";
  } catch (const CapacityError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("buffers.activation_kib: GEMM 'out_proj' needs one token's input row (K 5120 x 1 byte(s) = 5120 "
                     "bytes) on chip; the activation buffer holds 4096 bytes"),
              std::string::npos)
        << m;
  }
}

}  // namespace
}  // namespace mambahw::cost

// ---- the units' on-chip buffers (unit_buffers.hpp) --------------------------------------

#include "mambahw/config/config.hpp"
#include "mambahw/cost/unit_buffers.hpp"

namespace mambahw::cost {
namespace {

Config shipped(const char* name) { return load_config(std::filesystem::path(MAMBAHW_SOURCE_DIR) / "configs" / name); }

// The capacity error of `buffers.<field>` set to `kib`, at 64 tokens.
std::string capacity_error(const char* config, void (*set)(BufferConfig&, int), int kib) {
  Config c = shipped(config);
  set(c.hardware.buffers, kib);
  try {
    check_capacities(layer_program(c.model, c.scheme), c.hardware, 64);
  } catch (const CapacityError& e) {
    return e.what();
  }
  return "no error";
}

// mamba-130m (d_inner 1536, d_state 16, d_conv 4) under Quamba1 at 64 tokens
// with the default units (conv and SSM tiles of 16 channels, Hadamard tiles of
// 16 tokens, a 32-column array), by hand:
//   conv:  line buffer 1536 x 3 = 4608, two input tiles 2 x 16 x 64 = 2048: 6656;
//   SSM states: 2 x 16 x 16 x 4 = 2048;
//   SSM tiles: u, delta, z 2 x 16 x 64 = 2048 each, B and C 2 x 16 x 64 = 2048,
//     parameters A_log 1536 x 16 + D 1536 + delta_bias 1536 + 3 FP32 = 27660: 35852;
//   Hadamard: 2 x 16 tokens x 1536 x 2 = 98304;
//   accumulators: 64 tokens x 32 columns x 4 = 8192 (in_proj, the first of equals).
TEST(UnitBuffers, Mamba1LayoutByHand) {
  const Config c = shipped("default.yaml");
  const std::vector<UnitBuffer> v = unit_buffers(layer_program(c.model, c.scheme), c.hardware, 64);
  auto need = [&](UnitBufferId id) { return find_buffer(v, id) ? find_buffer(v, id)->need() : -1; };
  EXPECT_EQ(need(UnitBufferId::kConv), 6656);
  EXPECT_EQ(need(UnitBufferId::kSsmState), 2048);
  EXPECT_EQ(need(UnitBufferId::kSsmTiles), 35852);
  EXPECT_EQ(need(UnitBufferId::kNorm), -1);  // Mamba1 has no norm stage
  EXPECT_EQ(need(UnitBufferId::kHadamard), 98304);
  EXPECT_EQ(need(UnitBufferId::kAccumulator), 8192);
  EXPECT_EQ(find_buffer(v, UnitBufferId::kAccumulator)->user, "in_proj");
  for (const UnitBuffer& b : v) EXPECT_EQ(b.capacity(), b.need()) << b.name;  // 0 KiB: sized to the working set
}

TEST(UnitBuffers, ConvTilesThatCannotFitAreACapacityError) {
  EXPECT_EQ(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.conv_kib = k; }, 6),
            "buffers.conv_kib: the conv_unit needs for 'conv1d+silu+quantize' its line buffer (1536 channels x 3 "
            "previous INT8 inputs = 4608 bytes) + input tiles (32 channels (two tiles of 16) x 64 tokens INT8 = 2048 "
            "bytes), 6656 bytes in all, on chip; the conv_buffer holds 6144 bytes");
  EXPECT_EQ(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.conv_kib = k; }, 7), "no error");  // 7168
}

TEST(UnitBuffers, SsmStatesThatCannotFitAreACapacityError) {
  EXPECT_THAT(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.state_kib = k; }, 1),
              HasSubstr("buffers.state_kib: the ssm_core needs for 'selective_scan' its tile states (2 x 16 channels x "
                        "16 FP32 states = 2048 bytes), 2048 bytes in all, on chip; the ssm_state_buffer holds 1024 bytes"));
  EXPECT_EQ(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.state_kib = k; }, 2), "no error");
}

TEST(UnitBuffers, SsmTilesThatCannotFitAreACapacityError) {
  const std::string m = capacity_error("default.yaml", [](BufferConfig& b, int k) { b.ssm_tile_kib = k; }, 35);
  EXPECT_THAT(m, HasSubstr("buffers.ssm_tile_kib: the ssm_core needs for 'selective_scan' its u tiles"));
  EXPECT_THAT(m, HasSubstr("B and C (32 x 64 tokens INT8 (the whole sequence) = 2048 bytes)"));
  EXPECT_THAT(m, HasSubstr("35852 bytes in all, on chip; the ssm_tile_buffer holds 35840 bytes"));
  EXPECT_EQ(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.ssm_tile_kib = k; }, 36), "no error");
}

// mamba2-130m (d_inner 1536, ngroups 1: one norm group of 1536 channels)
// at 64 tokens: the whole pre-norm y 1536 x 64 x 4 = 393216 and z 1536 x
// 64 = 98304 B, 491520 = 480 KiB. At 480 KiB the norm buffer holds them; at
// 479 KiB (490496 B) the pre-norm y spills: token tiles of
// floor(490496 / (1536 x 5)) = 63 tokens, 63 x 1536 x 4 = 387072 B of y and
// 63 x 1536 = 96768 B of z, 483840 B in all; the SSM core then loads no z
// tiles (2 x 16 x 64 = 2048 B less in its tile buffer). Only when not one
// token of the group fits (1536 x 5 = 7680 B > 7 KiB = 7168) is it an error.
TEST(UnitBuffers, Mamba2PreNormYSpillsToTokenTilesByHand) {
  Config c = shipped("mamba2-130m.yaml");
  const LayerProgram p = layer_program(c.model, c.scheme);
  auto layout = [&](int kib) {
    c.hardware.buffers.norm_kib = kib;
    return unit_buffers(p, c.hardware, 64);
  };
  const std::vector<UnitBuffer> whole = layout(480);
  EXPECT_EQ(find_buffer(whole, UnitBufferId::kNorm)->need(), 491520);
  EXPECT_FALSE(norm_tiling(c.model, c.hardware, 64).spilled);
  const std::vector<UnitBuffer> tiled = layout(479);
  const NormTiling nt = norm_tiling(c.model, c.hardware, 64);
  EXPECT_TRUE(nt.spilled);
  EXPECT_EQ(nt.tokens, 63);
  EXPECT_EQ(nt.channels, 1536);
  const UnitBuffer& n = *find_buffer(tiled, UnitBufferId::kNorm);
  ASSERT_EQ(n.tiles.size(), 2u);
  EXPECT_EQ(n.tiles[0].bytes, 387072);
  EXPECT_EQ(n.tiles[1].bytes, 96768);
  EXPECT_EQ(n.need(), 483840);
  EXPECT_EQ(find_buffer(whole, UnitBufferId::kSsmTiles)->need() - find_buffer(tiled, UnitBufferId::kSsmTiles)->need(), 2048);
  EXPECT_EQ(capacity_error("mamba2-130m.yaml", [](BufferConfig& b, int k) { b.norm_kib = k; }, 479), "no error");
  EXPECT_EQ(capacity_error("mamba2-130m.yaml", [](BufferConfig& b, int k) { b.norm_kib = k; }, 8), "no error");  // 1 token
  EXPECT_THAT(capacity_error("mamba2-130m.yaml", [](BufferConfig& b, int k) { b.norm_kib = k; }, 7),
              HasSubstr("buffers.norm_kib: the ssm_core needs for 'ssd_scan+norm' its pre-norm y tile (1 tokens x 1536 "
                        "channels (a norm group) FP32, the rest spilled to DRAM = 6144 bytes) + z tile (1 tokens x 1536 "
                        "channels INT8 = 1536 bytes), 7680 bytes in all, on chip; the norm_buffer holds 7168 bytes"));
  // Two norm groups of 768 channels: 7 KiB holds floor(7168 / (768 x 5)) = 1 token of one group.
  c.model.ngroups = 2;
  c.hardware.buffers.norm_kib = 7;
  EXPECT_EQ(norm_tiling(c.model, c.hardware, 64).tokens, 1);
  EXPECT_EQ(norm_tiling(c.model, c.hardware, 64).channels, 768);
}

// The default layer's held tiles on cacti-28nm (docs/cost-model.md, the
// worked example), by hand from the CACTI macros: the conv input tiles,
// 2 x 16 x 512 = 16384 B in 128-bit rows, the 16 KB macro at 2 x its 64-bit
// access (8.76 pJ read, 7.08 write), 1536 x 512 bytes each way = 49152
// accesses: 49152 x 15.84 pJ. The SSM tile buffer, 3 x 2 x 16 x 512 + the
// parameters' 27660 = 76812 B, 2 banks of 38406 B, a 128-bit access 2 x the
// 64-bit one interpolated power-law between 16 KB and 64 KB; 3 x 786432 +
// 27660 = 2386956 bytes each way = 149184.75 accesses.
TEST(StateMemories, DefaultHeldTilesOnCacti28ByHand) {
  const TechTable t = tech("cacti-28nm.yaml");
  const Config c = shipped("default.yaml");
  const UnitPricing p = unit_pricing(layer_program(c.model, c.scheme), c.scheme, c.hardware, 512);
  EventCounts e;
  e.tokens = 512;
  e.add_sram({kConvInputTilesMemory, Unit::kConvUnit, MemImpl::kSram, 0, 8, 786432, 786432});
  e.add_sram({kSsmTileMemory, Unit::kSsmCore, MemImpl::kSram, 0, 8, 2386956, 2386956});
  const EnergyReport r = energy_report(e, 0, t, p);
  auto pj = [&](const char* m) {
    for (const auto& [name, v] : r.memory_pj)
      if (name == m) return v;
    return -1.0;
  };
  EXPECT_NEAR(pj(kConvInputTilesMemory), 49152 * (2 * 4.38 + 2 * 3.54), 1e-6);
  auto at = [](double bytes, double at16k, double at64k) {
    return at16k * std::pow(bytes / 16384, std::log(at64k / at16k) / std::log(4.0));
  };
  const double per_access = 2 * (at(38406, 4.38, 8.0) + at(38406, 3.54, 7.16));  // 12.68 + 10.91 pJ
  EXPECT_NEAR(pj(kSsmTileMemory), 149184.75 * per_access, 1e-6 * 149184.75 * per_access);
  EXPECT_NEAR(pj(kSsmTileMemory), 3.52e6, 0.01e6);
}

// The units' held tiles are memories of the die, priced from the buffer
// layout (state_memories), by hand on a linear SRAM (0.1 pJ/bit read, 0.2
// written, 1e-6 mm2/KiB: smaller than flops; 0.5 mW/KiB leakage).
// mamba-130m under Quamba1 at 64 tokens (UnitBuffers.Mamba1LayoutByHand):
//   conv_input_tiles = the conv buffer 6656 - its line buffer 4608 = 2048 B,
//     128-bit rows (16 conv lanes x INT8);
//   ssm_tile_buffer = 35852 - B and C 2048 = 33804 B, 128-bit rows (16 SSM lanes x INT8);
//   no norm buffer (Mamba1).
// Accesses the units counted in bytes: the conv unit wrote 256 and read 256
// bytes = 2048 bits each way = 16 row writes and 16 row reads: 2048 x 0.1 +
// 2048 x 0.2 = 614.4 pJ. Leakage over 1000 ns: (2048 + 33804) / 1024 KiB x
// 0.5 mW = 17.505859375 mW x 1000 ns = 17505.859375 pJ.
TEST(StateMemories, HeldTilesPricedFromTheBufferLayoutByHand) {
  TechTable t = linear_sram_tech(0.5);
  t.leakage.logic_nw_per_um2 = 0;
  Config c = shipped("default.yaml");
  const LayerProgram prog = layer_program(c.model, c.scheme);
  const UnitPricing p = unit_pricing(prog, c.scheme, c.hardware, 64);
  auto memory = [](const std::vector<StateMemory>& v, const char* name) -> const StateMemory* {
    for (const StateMemory& s : v)
      if (s.unit == name) return &s;
    return nullptr;
  };
  const std::vector<StateMemory> held = state_memories(t, p);
  ASSERT_NE(memory(held, kConvInputTilesMemory), nullptr);
  EXPECT_DOUBLE_EQ(memory(held, kConvInputTilesMemory)->cost.capacity_bytes, 2048);
  EXPECT_EQ(memory(held, kConvInputTilesMemory)->cost.width_bits, 128);
  EXPECT_EQ(memory(held, kConvInputTilesMemory)->cost.impl, MemImpl::kSram);
  ASSERT_NE(memory(held, kSsmTileMemory), nullptr);
  EXPECT_DOUBLE_EQ(memory(held, kSsmTileMemory)->cost.capacity_bytes, 33804);
  EXPECT_EQ(memory(held, kNormMemory), nullptr);
  EventCounts e;
  e.tokens = 64;
  e.add_sram({kConvInputTilesMemory, Unit::kConvUnit, MemImpl::kSram, 0, 8, 256, 256});
  const EnergyReport r = energy_report(e, 1000, t, p);
  EXPECT_NEAR(r.pj[static_cast<std::size_t>(Category::kSram)], 614.4, 1e-9);
  ASSERT_EQ(r.memory_pj.size(), 1u);
  EXPECT_EQ(r.memory_pj[0].first, kConvInputTilesMemory);
  double leak = 0;
  for (const auto& [item, pj] : r.leakage_pj)
    if (item == kConvInputTilesMemory || item == kSsmTileMemory) leak += pj;
  EXPECT_NEAR(leak, 17505.859375, 1e-6);
  // Area: (2048 + 33804) / 1024 x 1e-6 mm2 of the die's memories.
  const AreaReport a = area_report(t, p);
  double mm2 = 0;
  for (const AreaItem& i : a.items)
    if (i.unit == kConvInputTilesMemory || i.unit == kSsmTileMemory) mm2 += i.mm2;
  EXPECT_NEAR(mm2, 35852.0 / 1024 * 1e-6, 1e-15);
  // A configured conv buffer is priced at its capacity less the line buffer: 8 KiB - 4608 = 3584 B.
  c.hardware.buffers.conv_kib = 8;
  EXPECT_DOUBLE_EQ(memory(state_memories(t, unit_pricing(prog, c.scheme, c.hardware, 64)), kConvInputTilesMemory)
                       ->cost.capacity_bytes, 3584);
  // mamba2-130m at 64 tokens, the norm buffer sized to the whole pre-norm y and z (norm_kib 0, not the
  // shipped 240 KiB): its 491520 B (UnitBuffers.Mamba2PreNormYSpillsToTokenTilesByHand) in 512-bit rows.
  Config m2 = shipped("mamba2-130m.yaml");
  m2.hardware.buffers.norm_kib = 0;
  const std::vector<StateMemory> held2 =
      state_memories(t, unit_pricing(layer_program(m2.model, m2.scheme), m2.scheme, m2.hardware, 64));
  ASSERT_NE(memory(held2, kNormMemory), nullptr);
  EXPECT_DOUBLE_EQ(memory(held2, kNormMemory)->cost.capacity_bytes, 491520);
  EXPECT_EQ(memory(held2, kNormMemory)->cost.width_bits, 512);
}

TEST(UnitBuffers, HadamardTilesThatCannotFitAreACapacityError) {
  EXPECT_THAT(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.hadamard_kib = k; }, 95),
              HasSubstr("buffers.hadamard_kib: the hadamard_unit needs for 'hadamard+quantize' its token tiles (32 "
                        "tokens (two tiles of 16) x 1536 FP16 values = 98304 bytes), 98304 bytes in all"));
  EXPECT_EQ(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.hadamard_kib = k; }, 96), "no error");
}

// A batch of B = 4 sequences of 16 tokens: the conv unit, the SSM core and
// the Hadamard unit work one sequence at a time, the GEMMs all 64 tokens at
// once. The conv buffer: line buffer 1536 x 3 = 4608 + input tiles 2 x 16
// channels x 16 tokens = 512: 5120 bytes = 5 KiB (at 64 tokens it would be
// 4608 + 2048 = 6656). The accumulator: in_proj's 64 tokens x 32 columns x 4
// = 8192 bytes (one sequence: 16 x 32 x 4 = 2048).
TEST(UnitBuffers, TheBatchSizesTheAccumulatorNotTheSequenceTiles) {
  Config c = shipped("default.yaml");
  const LayerProgram p = layer_program(c.model, c.scheme);
  const std::vector<UnitBuffer> v = unit_buffers(p, c.hardware, 16, 4);
  EXPECT_EQ(find_buffer(v, UnitBufferId::kConv)->need(), 5120);
  EXPECT_EQ(find_buffer(v, UnitBufferId::kAccumulator)->need(), 8192);
  EXPECT_EQ(find_buffer(unit_buffers(p, c.hardware, 16), UnitBufferId::kAccumulator)->need(), 2048);
  // The configuration check at the run's tokens: 5 KiB holds a sequence's conv tiles.
  c.hardware.buffers.conv_kib = 5;
  EXPECT_NO_THROW(check_capacities(p, c.hardware, 16, 4));
  c.hardware.buffers.conv_kib = 4;
  EXPECT_THROW(check_capacities(p, c.hardware, 16, 4), CapacityError);
  // With the accumulator bounded the GEMMs' tiles shrink to fit B x L: 7 KiB
  // holds 56 tokens, so 64 tokens take two tiles of 32, 4096 bytes.
  c.hardware.buffers.conv_kib = 0;
  c.hardware.buffers.accumulator_kib = 7;
  EXPECT_EQ(find_buffer(unit_buffers(p, c.hardware, 16, 4), UnitBufferId::kAccumulator)->need(), 4096);
  EXPECT_EQ(find_buffer(unit_buffers(p, c.hardware, 16, 1), UnitBufferId::kAccumulator)->need(), 2048);
}

// The accumulator bounds the mapper's token tile, so only a configuration
// in which one token's sums do not fit is an error. mamba2-130m under
// Quamba2 (INT4 weights in groups of 128) on the 32-column array: in_proj
// (K 768) has 768 / 128 = 6 groups, 1 x 32 x 6 x 4 = 768 bytes a token;
// out_proj (K 1536) 12 groups, 1 x 32 x 12 x 4 = 1536 bytes: 1 KiB holds
// in_proj's token, not out_proj's; 2 KiB holds both.
TEST(UnitBuffers, AccumulatorsThatCannotHoldOneTokenAreACapacityError) {
  EXPECT_EQ(capacity_error("mamba2-130m.yaml", [](BufferConfig& b, int k) { b.accumulator_kib = k; }, 1),
            "buffers.accumulator_kib: the gemm_array needs for 'out_proj' its INT32 sums (1 token x 32 columns x 12 "
            "weight group(s) INT32 = 1536 bytes), 1536 bytes in all, on chip; the accumulator holds 1024 bytes");
  EXPECT_EQ(capacity_error("mamba2-130m.yaml", [](BufferConfig& b, int k) { b.accumulator_kib = k; }, 2), "no error");
  // Quamba1 (per-channel scales): a token's 32 sums are 128 bytes; 7 KiB no longer
  // stops the default layer (the 64-token tile of 8192 bytes shrinks, below).
  EXPECT_EQ(capacity_error("default.yaml", [](BufferConfig& b, int k) { b.accumulator_kib = k; }, 7), "no error");
}

// At 7 KiB every GEMM of the default layer at 64 tokens takes two token
// tiles of 32 (at most 7168 / (32 x 4) = 56 tokens; ceil(64 / 56) = 2
// tiles of 32): 32 x 32 x 4 = 4096 bytes, in_proj the first of equals
// (x_proj's N = 80, dt_proj's 1536 and out_proj's 768 all cover 32 columns).
TEST(UnitBuffers, AccumulatorLayoutAtTheShrunkTokenTile) {
  Config c = shipped("default.yaml");
  c.hardware.buffers.accumulator_kib = 7;
  const std::vector<UnitBuffer> v = unit_buffers(layer_program(c.model, c.scheme), c.hardware, 64);
  const UnitBuffer* acc = find_buffer(v, UnitBufferId::kAccumulator);
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->need(), 4096);
  EXPECT_EQ(acc->capacity(), 7168);
  EXPECT_EQ(acc->user, "in_proj");
  EXPECT_EQ(acc->tiles.at(0).formula, "32 tokens x 32 columns x 1 weight group(s) INT32");
}

// The mapper shrinks the token tile to fit buffers.accumulator_kib, by hand:
// mamba-130m's in_proj at 64 tokens under Quamba1 on the default array (32 x
// 32 INT8, double-buffered weights; weight buffer 512 KiB, activation
// 1 MiB). K 768, N 3072: the input X = 64 x 768 = 49,152 B fits the
// activation buffer, the weights W = 768 x 3072 = 2,359,296 B do not fit
// the weight buffer, the outputs Y = 64 x 3072 = 196,608 B. Folds:
// ceil(768 / 32) x ceil(3072 / 32) = 24 x 96 = 2304; cycles R + folds x (M +
// tiles x (R + C - 2)) with R = C = 32.
//  - 8 KiB: the fixed mapping's 64 x 32 x 4 = 8192 B of sums fit; every
//    tensor once, W + X + Y = 2,605,056 B (tokens_outer with one tile ties
//    and loses on the order); 32 + 2304 x (64 + 62) = 290,336 cycles.
//  - 7 KiB = 7168 B: at most 7168 / 128 = 56 tokens, so the fixed mapping
//    is out and the fewest tiles are ceil(64 / 56) = 2 of 32 tokens.
//    tokens_outer reads the weights once per tile: 2W + X + Y = 4,964,352 B.
//    weights_outer keeps a block of whole column tiles: at most 672 columns
//    (672 x 768 = 516,096 B <= 524,288; 704 x 768 = 540,672 B do not fit),
//    ceil(3072 / 672) = 5 blocks, which 640 columns also give (ceil(3072 /
//    640) = 5; the smaller block wins the tie), the input read once per
//    block: W + 5X + Y = 2,359,296 + 245,760 + 196,608 = 2,801,664 B. More
//    tiles cost the same bytes and more fill/drain. Cycles 32 + 2304 x (64 +
//    2 x 62) = 433,184.
TEST(GemmMapper, AccumulatorCapacityShrinksTheTokenTileByHand) {
  Config c = shipped("default.yaml");
  const LayerProgram p = layer_program(c.model, c.scheme);
  const OpSpec& op = p.ops.at(0);
  ASSERT_EQ(op.name, "in_proj");
  const GemmShape g = gemm_shape(p, op, 64);
  ASSERT_EQ(g.k, 768);
  ASSERT_EQ(g.n, 3072);
  ASSERT_EQ(g.weight_groups, 1);
  c.hardware.buffers.accumulator_kib = 8;
  const GemmMapping whole = map_gemm(g, c.hardware.gemm, c.hardware.buffers, op.name);
  EXPECT_EQ(whole.order, GemmOrder::kFixed);
  EXPECT_EQ(whole.m_tile, 64);
  EXPECT_EQ(whole.accumulator_bytes, 8192);
  EXPECT_EQ(whole.dram_bytes(), 2605056);
  EXPECT_EQ(whole.compute_cycles, 290336);
  c.hardware.buffers.accumulator_kib = 7;
  const GemmMapping m = map_gemm(g, c.hardware.gemm, c.hardware.buffers, op.name);
  EXPECT_EQ(m.order, GemmOrder::kWeightsOuter);
  EXPECT_EQ(m.m_tile, 32);
  EXPECT_EQ(m.token_tiles, 2);
  EXPECT_EQ(m.n_block, 640);
  EXPECT_EQ(m.weight_blocks, 5);
  EXPECT_EQ(m.accumulator_bytes, 4096);
  EXPECT_EQ(m.weight_bytes, 2359296);
  EXPECT_EQ(m.input_bytes, 245760);
  EXPECT_EQ(m.output_bytes, 196608);
  EXPECT_EQ(m.dram_bytes(), 2801664);
  EXPECT_EQ(m.min_dram_bytes, 2605056);
  EXPECT_EQ(m.compute_cycles, 433184);
  // 0: no bound, sized to the chosen mapping (the 8 KiB one).
  c.hardware.buffers.accumulator_kib = 0;
  EXPECT_EQ(map_gemm(g, c.hardware.gemm, c.hardware.buffers, op.name).m_tile, 64);
}

}  // namespace
}  // namespace mambahw::cost
