// verify-vectors against damaged or crafted directories (issue 21): every
// manifest field and derived file cross-checked with the files it
// describes, the registers in the memory images, equal word counts on the
// ports, file names confined to the directory, non-plain files named, no
// raw exception text, vector sets (export --block all) complete, and no
// half-written file when a write fails at any file of an export.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "mambahw/golden/scale_table.hpp"
#include "mambahw/tb/shell.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace mambahw::verif {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;
namespace fs = std::filesystem;

class VectorChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("mambahw_vchk_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    simulate_disk_full_after(std::nullopt);
    fs::remove_all(root_);
  }

  // Blocks from explicit parameters: no config, no calibration.
  static std::unique_ptr<VectorBlock> quantizer() {
    return conv_out_quantizer_block(NumericsPolicy{}, DualScaleFormat::make(4, true, 0.05f, 7.0f), {0.01f, 0.125f});
  }
  fs::path export_block_to(const std::string& sub, const VectorBlock& b, std::uint64_t count = 300) {
    ExportOptions o;
    o.block = b.name();
    o.count = count;
    o.seed = 7;
    o.out = root_ / sub;
    export_block(b, o);
    return o.out;
  }
  fs::path exported(const std::string& sub) { return export_block_to(sub, *quantizer()); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  static json manifest(const fs::path& d) { return json::parse(read(d / "manifest.json")); }
  static void set_manifest(const fs::path& d, const json& m) { write(d / "manifest.json", m.dump(2)); }
  // Edits the manifest, then re-records size, words and hash of every file
  // (as someone who "fixes" a directory by hand would).
  static void edit(const fs::path& d, const std::function<void(json&)>& f = {}) {
    json m = manifest(d);
    if (f) f(m);
    for (auto& e : m["files"]) {
      const fs::path p = d / e["name"].get<std::string>();
      if (!fs::is_regular_file(p)) continue;
      const std::string t = read(p);
      e["bytes"] = t.size();
      e["sha256"] = sha256_bytes(t);
      if (e["width_bits"] != 0) e["words"] = std::count(t.begin(), t.end(), '\n');
    }
    set_manifest(d, m);
  }
  static std::string problems(const fs::path& d) {
    std::string all;
    const VerifyReport r = verify_directory(d);
    for (const auto& p : r.problems) all += p + "\n";
    for (const auto& b : r.blocks)
      for (const auto& p : b.problems) all += b.dir + ": " + p + "\n";
    return all;
  }
  static std::string replace(std::string s, const std::string& from, const std::string& to) {
    const std::size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  }
  fs::path root_;
};

TEST_F(VectorChecks, FreshExportsOfEveryBlockVerify) {
  for (const auto& b : {quantizer(), ssm_dequant_block(Denormals::kPreserve, DualScaleFormat::make(4, true, 0.05f, 7.0f),
                                                       {0.01f}),
                        exp_unit_block(Denormals::kFlushToZero), gemm_requant_block(RequantPolicy{}),
                        hadamard_block(*hadamard_size(16), 0.25f, HadamardQuantPolicy{})}) {
    const fs::path d = export_block_to(b->name(), *b, b->name() == "hadamard" ? 64 : 300);
    const VerifyReport r = verify_directory(d);
    EXPECT_TRUE(r.problems.empty()) << b->name() << ":\n" << problems(d);
    for (const std::string& w : r.warnings) EXPECT_THAT(w, Not(HasSubstr("not regenerated"))) << b->name();
    EXPECT_TRUE(r.replayed) << b->name();
  }
}

// tb_params.svh edited (ROUNDING=1, CODE_BITS, SYMMETRIC, HEAD_GROUPS) and
// the manifest re-hashed: verify-vectors used to say OK while the RTL
// testbench reported 844 mismatches.
TEST_F(VectorChecks, TbParamsMustMatchTheManifestParameters) {
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"ROUNDING = 0;", "ROUNDING = 1;"}, {"CODE_BITS = 4;", "CODE_BITS = 5;"}, {"SYMMETRIC = 1'b1", "SYMMETRIC = 1'b0"}};
  for (std::size_t i = 0; i < edits.size(); ++i) {
    const auto& [from, to] = edits[i];
    const fs::path d = root_ / "params" / std::to_string(i);
    fs::create_directories(d.parent_path());
    export_block_to(fs::relative(d, root_).string(), *quantizer());
    write(d / "tb_params.svh", replace(read(d / "tb_params.svh"), from, to));
    edit(d);
    EXPECT_THAT(problems(d), HasSubstr("tb_params.svh: does not match the manifest's parameters (line "));
    EXPECT_THAT(problems(d), HasSubstr("the manifest's parameters gives 'localparam"));
  }
  ScaleTableShape s;
  s.ngroups = 1;
  s.head_groups = 2;
  s.dim_groups = 2;
  s.heads_per_group = 4;
  s.headdim = 8;
  const fs::path d = export_block_to("lookup", *scale_index_lookup_block(Quamba2ScaleTable::uniform(s, 0.5f)), 50);
  write(d / "tb_params.svh", replace(read(d / "tb_params.svh"), "HEAD_GROUPS = 2;", "HEAD_GROUPS = 3;"));
  edit(d);
  EXPECT_THAT(problems(d), HasSubstr("tb_params.svh: does not match the manifest's parameters (line 3: the file has "
                                     "'localparam int HEAD_GROUPS = 3;', the manifest's parameters gives "
                                     "'localparam int HEAD_GROUPS = 2;')"));
}

// x.hex with one extra word (manifest updated) verified OK and the
// testbench said PASS.
TEST_F(VectorChecks, PortFilesOfOneBlockHoldOneWordPerVector) {
  const fs::path d = exported("extra_word");
  const std::uint64_t vectors = manifest(d)["vectors"];
  write(d / "x.hex", read(d / "x.hex") + "3f800000\n");
  edit(d);
  EXPECT_EQ(problems(d), "x.hex: " + std::to_string(vectors + 1) + " words, but the block has " +
                             std::to_string(vectors) + " vectors (every port file of a block holds one word per vector)\n");
  const fs::path e = exported("short_port");
  const std::string code = read(e / "code.hex");
  write(e / "code.hex", code.substr(0, code.size() - 3));  // one 8-bit word (2 digits + LF) fewer
  edit(e);
  EXPECT_THAT(problems(e), HasSubstr("code.hex: " + std::to_string(vectors - 1) + " words, but the block has"));
}

// Manifest fields (scale1, scale2, qmax, int8_scales, seed, random_count,
// corner_classes) were not cross-checked with the files they describe.
TEST_F(VectorChecks, ManifestFieldsAreCrossCheckedWithTheFiles) {
  struct Case {
    std::string name;
    std::function<void(json&)> change;
    std::string expect;
  };
  const std::vector<Case> cases = {
      // scale1 = 0.05 - 1 ulp: fp32(scale1 * 7) and fp32(1/scale1) by hand (double, then rounded to FP32).
      {"scale1", [](json& m) { m["parameters"]["scale1"] = "0x3d4ccccc"; },
       "manifest.json: parameters.scale12: is 0x3eb33333, but fp32(scale1 * scale2) = 0x3eb33332"},
      {"scale1_and_scale12", [](json& m) {
         m["parameters"]["scale1"] = "0x3d4ccccc";
         m["parameters"]["scale12"] = "0x3eb33332";
       },
       "se_scales.hex: word 0 (line 1) is 0x41a00000, but the manifest's parameters give fp32(1/scale1) = 0x41a00001"},
      {"scale2", [](json& m) { m["parameters"]["scale2"] = "0x40c00000"; },  // 6 instead of 7
       "manifest.json: parameters.scale12: is 0x3eb33333, but fp32(scale1 * scale2) = 0x3e99999a"},
      {"qmax", [](json& m) { m["parameters"]["qmax"] = 8; },
       "manifest.json: parameters.qmax: is 8, but 4-bit symmetric codes give 7"},
      {"int8_scales", [](json& m) { m["parameters"]["int8_scales"][1] = "0x3e000001"; },
       "scale.hex: line "},
      {"seed", [](json& m) { m["seed"] = 8; }, "(its parameters, seed 8 and class counts) is 0x"},
      {"random_count", [](json& m) { m["random_count"] = 299; },
       "manifest.json: class_ranges: class random holds 300 vectors, but the block's generator gives 299 for these "
       "parameters and random_count 299"},
      {"corner_classes", [](json& m) { m["corner_classes"]["ties"] = m["corner_classes"]["ties"].get<int>() - 1; },
       "manifest.json: class_ranges[0].count: is "},
      {"vectors", [](json& m) { m["vectors"] = m["vectors"].get<int>() + 1; },
       "manifest.json: corner_classes add up to "},
  };
  for (const Case& c : cases) {
    const fs::path d = exported(c.name);
    edit(d, c.change);
    EXPECT_THAT(problems(d), HasSubstr(c.expect)) << c.name;
  }
  // A register file that disagrees with the parameters is named too.
  const fs::path d = exported("register_file");
  write(d / "se_scales.hex", "41a00001\n" + read(d / "se_scales.hex").substr(9));
  edit(d);
  EXPECT_THAT(problems(d), HasSubstr("se_scales.hex: word 0 (line 1) is 0x41a00001"));
}

// A port file replaced by a directory, a FIFO or a /dev/null link was
// blamed on the manifest ("manifest.json: filesystem error ...") and
// stopped the other checks.
TEST_F(VectorChecks, NonPlainFilesAreNamedAndTheOtherChecksGoOn) {
  const fs::path d = exported("special_files");
  fs::remove(d / "x.hex");
  fs::create_directory(d / "x.hex");
  fs::remove(d / "code.hex");
  ASSERT_EQ(::mkfifo((d / "code.hex").c_str(), 0644), 0);
  fs::remove(d / "se.hex");
  fs::create_symlink("/dev/null", d / "se.hex");
  write(d / "README.md", read(d / "README.md") + "edited\n");
  const std::string p = problems(d);  // returns: a FIFO is never opened
  EXPECT_THAT(p, HasSubstr("x.hex: is a directory, not a plain file (refused: a vector directory holds only plain files)"));
  EXPECT_THAT(p, HasSubstr("code.hex: is a FIFO, not a plain file"));
  EXPECT_THAT(p, HasSubstr("se.hex: is a symbolic link, not a plain file"));
  EXPECT_THAT(p, HasSubstr("README.md: "));  // still checked
  EXPECT_THAT(p, Not(HasSubstr("filesystem error")));
  EXPECT_THAT(p, Not(HasSubstr("manifest.json")));
}

// files[].name of /etc/hostname or ../../etc/passwd was read and its SHA-256
// printed; memories[].file was read without being listed; /dev/stdin blocked.
TEST_F(VectorChecks, ManifestsNameOnlyPlainFilesInsideTheirDirectory) {
  for (const std::string name : {"/etc/hostname", "../../../../etc/passwd", "/dev/stdin", "sub/x.hex", ".hidden", ""}) {
    const fs::path d = exported("names");
    json m = manifest(d);
    m["files"][0]["name"] = name;
    set_manifest(d, m);
    const std::string p = problems(d);
    EXPECT_THAT(p, HasSubstr("manifest.json: files[0].name: '" + name + "' is ")) << name;
    EXPECT_THAT(p, Not(HasSubstr("SHA-256"))) << name;
    fs::remove_all(d);
  }
  const fs::path d = exported("memory_file");
  json m = manifest(d);
  m["memories"][0]["file"] = "x.hex";  // listed, but not this memory's file
  set_manifest(d, m);
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: memories[0].file: is 'x.hex', but memory se_scales is in se_scales.hex"));
  m["memories"][0]["file"] = "../se_scales.hex";
  set_manifest(d, m);
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: memories[0].file: '../se_scales.hex' is not among the files the manifest "
                                     "lists (only listed, hashed files are read)"));
  m["memories"][0]["file"] = "se_scales.hex";
  m["files"].erase(0);  // se_scales.hex, no longer listed (so not hashed): not read either
  set_manifest(d, m);
  EXPECT_THAT(problems(d), HasSubstr("se_scales.hex: not listed in the manifest (extra file)"));
}

// Crafted values: a negative width_bits shifted by a negative (and verified
// OK in Release), 2147483647 overflowed, code_bits 0/32/40/-3 shifted out of
// range, 1e300 overflowed inside the JSON conversion.
TEST_F(VectorChecks, CraftedManifestValuesAreRefusedByName) {
  struct Case {
    std::function<void(json&)> change;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {[](json& m) { m["files"][0]["width_bits"] = -1; },
       "manifest.json: files[0].width_bits: must be an integer in [0, 64], got -1 (an integer)"},
      {[](json& m) { m["files"][0]["width_bits"] = 2147483647; }, "files[0].width_bits: must be an integer in [0, 64]"},
      {[](json& m) { m["parameters"]["code_bits"] = 0; }, "parameters.code_bits: must be an integer in [2, 8], got 0"},
      {[](json& m) { m["parameters"]["code_bits"] = 32; }, "parameters.code_bits: must be an integer in [2, 8], got 32"},
      {[](json& m) { m["parameters"]["code_bits"] = 40; }, "parameters.code_bits: must be an integer in [2, 8]"},
      {[](json& m) { m["parameters"]["code_bits"] = -3; }, "parameters.code_bits: must be an integer in [2, 8], got -3"},
      {[](json& m) { m["vectors"] = 1e300; },
       "manifest.json: vectors: must be an integer in [0, 9007199254740992], got 1e+300 (a number with a fraction or exponent)"},
      {[](json& m) { m["files"][1]["bytes"] = -5; }, "files[1].bytes: must be an integer in [0, "},
      {[](json& m) { m["parameters"]["scale1"] = 1e300; }, "parameters.scale1: must be a string, got 1e+300"},
      {[](json& m) { m["parameters"]["scale1"] = "0x3d4ccccd "; }, "parameters.scale1: must be an FP32 register"},
      {[](json& m) { m["parameters"]["numerics"]["rounding"] = "up"; },
       "parameters.numerics.rounding: 'up' is not one of half_away_from_zero, half_to_even, toward_zero"},
      {[](json& m) { m["format_version"] = 2; }, "manifest.json: format_version: is 2, this mambahw reads version 1"},
      {[](json& m) { m.erase("ports"); }, "manifest.json: ports: missing"},
      {[](json& m) { m["block"] = "gpu"; }, "block: 'gpu' is not a block this mambahw knows"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const fs::path d = exported("crafted" + std::to_string(i));
    json m = manifest(d);
    cases[i].change(m);
    set_manifest(d, m);
    const std::string p = problems(d);
    EXPECT_THAT(p, HasSubstr(cases[i].expect)) << i;
    EXPECT_THAT(p, Not(HasSubstr("json.exception"))) << i;
  }
}

// A truncated manifest printed a raw [json.exception.parse_error.101].
TEST_F(VectorChecks, TruncatedManifestIsNamedNotARawParserError) {
  const fs::path d = exported("truncated");
  const std::string m = read(d / "manifest.json");
  write(d / "manifest.json", m.substr(0, m.size() / 2));
  const std::string p = problems(d);
  EXPECT_THAT(p, HasSubstr("manifest.json: not valid JSON (parse error at line "));
  EXPECT_THAT(p, HasSubstr("; the file ends early (truncated?)"));
  EXPECT_THAT(p, Not(HasSubstr("json.exception")));
  fs::remove(d / "manifest.json");
  fs::create_directory(d / "manifest.json");
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: is a directory, not a plain file"));
}

// Found by fuzz_manifest (tb/fuzz/regressions/manifest/number-overflow-406):
// a number no double holds escaped as json::out_of_range from load_block.
TEST_F(VectorChecks, NumbersNoDoubleHoldsAreInvalidJson) {
  const fs::path d = exported("huge_number");
  write(d / "manifest.json", replace(read(d / "manifest.json"), "\"seed\": 7", "\"seed\": 6e561972201"));
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: not valid JSON (number overflow parsing '6e561972201')"));
  try {
    (void)load_block(d);
    ADD_FAILURE() << "load_block accepted the manifest";
  } catch (const ManifestError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not valid JSON (number overflow parsing '6e561972201')"));
  }
}

TEST_F(VectorChecks, UnreadablePathsAreReportedNotThrown) {
  const std::string long_name(300, 'a');
  EXPECT_THAT(problems(root_ / long_name), HasSubstr(": cannot be read (File name too long)"));
  EXPECT_THAT(problems(root_ / "absent"), HasSubstr("absent: no such directory"));
  write(root_ / "plain", "x");
  EXPECT_THAT(problems(root_ / "plain"), HasSubstr("plain: not a directory"));
}

// The registers the configs never produce, as a class of their own: zero,
// subnormal, negative, huge, infinite and NaN scale registers. The golden
// model's response to them is what the RTL must give (test_rtl and the kit
// replay this class through the RTL).
TEST_F(VectorChecks, SpecialScaleRegistersAreAClass) {
  const fs::path d = exported("specials");
  const json m = manifest(d);
  EXPECT_EQ(m["corner_classes"]["special_scales"], 18 * 16);  // registers x inputs (block_util.hpp)
  const std::string scales = read(d / "scale.hex");
  std::uint64_t first = 0;
  for (const auto& r : m["class_ranges"])
    if (r["class"] == "special_scales") first = r["first"];
  auto reg = [&](std::uint64_t v) { return scales.substr(v * 9, 8); };
  EXPECT_EQ(reg(first), "00000000");                 // +0
  EXPECT_EQ(reg(first + 16), "80000000");            // -0
  EXPECT_EQ(reg(first + 2 * 16), "00000001");        // the smallest subnormal
  EXPECT_EQ(reg(first + 7 * 16), "bf800000");        // -1
  EXPECT_EQ(reg(first + 12 * 16), "7f800000");       // +Inf
  EXPECT_EQ(reg(first + 14 * 16), "7fc00000");       // quiet NaN
  const std::string code = read(d / "code.hex");
  // x = 1.0 (input 2) times a register of +0: 0; times -1: -1 (0xff); times +Inf: saturates at +127.
  EXPECT_EQ(code.substr((first + 2) * 3, 2), "00");
  EXPECT_EQ(code.substr((first + 7 * 16 + 2) * 3, 2), "ff");
  EXPECT_EQ(code.substr((first + 12 * 16 + 2) * 3, 2), "7f");
  EXPECT_TRUE(verify_directory(d).problems.empty()) << problems(d);
}

// --block all wrote no top-level manifest: a deleted block directory, or an
// export killed between blocks, verified OK.
TEST_F(VectorChecks, VectorSetsAreCompleteOrFail) {
  const fs::path d = root_ / "all";
  const auto r = tb::run_shell(std::string(MAMBAHW_BIN) + " export --block all --count 100 --out " + d.string() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json set = manifest(d);
  EXPECT_EQ(set["format"], "mambahw-vector-set");
  EXPECT_EQ(set["skipped"][0]["block"], "scale_index_lookup");  // Quamba1: no lookup
  EXPECT_EQ(set["blocks"].size(), kBlockNames.size() - 1);
  for (const auto& b : set["blocks"])
    EXPECT_EQ(b["manifest_sha256"], sha256_file(d / b["directory"].get<std::string>() / "manifest.json"));
  VerifyReport rep = verify_directory(d);
  EXPECT_TRUE(rep.ok()) << problems(d);
  EXPECT_EQ(rep.blocks.size(), kBlockNames.size() - 1);
  const auto v = tb::run_shell(std::string(MAMBAHW_BIN) + " verify-vectors " + d.string() + " 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr(d.string() + ": OK (8 block directories, the set's manifest lists every one; made by"));

  fs::rename(d / "exp_unit", root_ / "exp_unit_moved");  // a whole block directory gone
  EXPECT_THAT(problems(d), HasSubstr("exp_unit/: missing (the set's manifest lists block exp_unit)"));
  const auto f = tb::run_shell(std::string(MAMBAHW_BIN) + " verify-vectors " + d.string() + " 2>&1");
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_THAT(f.output, HasSubstr("FAILED"));
  fs::rename(root_ / "exp_unit_moved", d / "exp_unit");
  EXPECT_EQ(problems(d), "");

  fs::create_directory(d / "stray");
  EXPECT_THAT(problems(d), HasSubstr("stray: not listed in the set's manifest (extra)"));
  fs::remove(d / "stray");

  // A block re-exported after the set: its manifest no longer has the recorded hash.
  ExportOptions o;
  o.count = 5;
  o.out = d / "ssm_dequant";
  o.force = true;
  export_block(*ssm_dequant_block(Denormals::kPreserve, DualScaleFormat::make(4, true, 0.05f, 7.0f), {0.01f}), o);
  EXPECT_THAT(problems(d), HasSubstr("ssm_dequant: manifest.json: SHA-256 "));

  // Killed between blocks: the set's manifest is written last.
  fs::remove(d / "manifest.json");
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: missing, though block directories are here"));
}

// Every file of an export fails to write in turn (a disk that fills up just
// there): the error names the path and the reason, no temporary file is
// left, and the directory never verifies (no manifest).
TEST_F(VectorChecks, AWriteFailureAtAnyFileLeavesNoHalfWrittenFile) {
  const auto b = quantizer();
  const fs::path good = export_block_to("good", *b, 100);
  // The files in the order export writes them, with their sizes.
  std::vector<std::pair<std::string, std::uint64_t>> order = {{"se_scales.hex", 0}, {"x.hex", 0}, {"scale.hex", 0},
                                                              {"code.hex", 0}, {"se.hex", 0}, {"README.md", 0},
                                                              {"classes.txt", 0}, {"tb_params.svh", 0},
                                                              {"manifest.json", 0}};
  for (auto& [name, size] : order) size = fs::file_size(good / name);
  // Port files are written interleaved: fail each at its first and at its
  // last byte; the others half-way.
  std::uint64_t before = 0;
  std::vector<std::uint64_t> budgets;
  for (const auto& [name, size] : order) {
    budgets.push_back(before + size / 2);
    if (name == "README.md") budgets.push_back(before);  // nothing of it fits
    if (name != "manifest.json" && name.ends_with(".hex")) continue;  // interleaved: offsets overlap
    before += size;
  }
  budgets.push_back(0);
  std::uint64_t total = 0;
  for (const auto& [name, size] : order) total += size;
  budgets.push_back(total - 1);  // only the last byte of manifest.json is missing
  int i = 0;
  for (std::uint64_t budget : budgets) {
    const fs::path d = root_ / ("full" + std::to_string(i++));
    simulate_disk_full_after(budget);
    ExportOptions o;
    o.block = b->name();
    o.count = 100;
    o.seed = 7;
    o.out = d;
    try {
      export_block(*b, o);
      ADD_FAILURE() << "export did not fail with " << budget << " bytes left";
    } catch (const std::runtime_error& e) {
      EXPECT_THAT(e.what(), ::testing::MatchesRegex("cannot write " + d.string() + "/[a-z_]+\\.(hex|md|txt|svh|json)\\.tmp: "
                                                    "No space left on device"))
          << budget;
    }
    simulate_disk_full_after(std::nullopt);
    for (const auto& e : fs::directory_iterator(d)) {
      EXPECT_NE(e.path().extension(), ".tmp") << budget << ": " << e.path();
      EXPECT_NE(e.path().filename(), "manifest.json") << budget;
      EXPECT_GT(fs::file_size(e.path()), 0u) << budget << ": " << e.path();
    }
    EXPECT_THAT(problems(d), HasSubstr("manifest.json: missing")) << budget;
  }
}

// The same with a real file system that fills up: a small tmpfs (needs the
// right to mount one, as root or in a user namespace; skipped otherwise).
// tmpfs counts whole 4 KiB pages, so its size is set to the pages of the
// files written before the one that must fail.
TEST_F(VectorChecks, AFullTmpfsLeavesNoHalfWrittenFile) {
  const fs::path mnt = root_ / "mnt";
  fs::create_directories(mnt);
  const auto probe = tb::run_shell("unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs " + mnt.string() + "' 2>&1");
  if (probe.exit_code != 0) GTEST_SKIP() << "cannot mount a tmpfs here: " << probe.output;
  const std::string args = " export --block conv_out_quantizer --count 2000 --out ";
  const auto ref = tb::run_shell(std::string(MAMBAHW_BIN) + args + (root_ / "ref").string() + " 2>&1");
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  auto pages = [&](const std::string& f) { return (fs::file_size(root_ / "ref" / f) + 4095) / 4096; };
  std::uint64_t data = pages("se_scales.hex");
  for (const char* f : {"x.hex", "scale.hex", "code.hex", "se.hex"}) data += pages(f);
  const std::uint64_t readme = pages("README.md"), classes = pages("classes.txt"), params = pages("tb_params.svh");
  // Pages that stop the export half-way through the port files, and at the
  // first byte of each later file.
  const std::vector<std::pair<std::string, std::uint64_t>> cases = {
      {"x.hex", data / 2}, {"README.md", data}, {"classes.txt", data + readme},
      {"tb_params.svh", data + readme + classes}, {"manifest.json", data + readme + classes + params}};
  for (const auto& [file, n] : cases) {
    const auto r = tb::run_shell("unshare -rm sh -c 'mount -t tmpfs -o size=" + std::to_string(n * 4) + "k tmpfs " +
                                 mnt.string() + " && " + MAMBAHW_BIN + args + mnt.string() + "/v; echo \"exit=$?\"; " +
                                 "ls " + mnt.string() + "/v' 2>&1");
    EXPECT_THAT(r.output, HasSubstr("exit=1")) << file << "\n" << r.output;
    if (file != "x.hex")
      EXPECT_THAT(r.output, HasSubstr("cannot write " + mnt.string() + "/v/" + file + ".tmp: No space left on device"))
          << r.output;
    else
      EXPECT_THAT(r.output, HasSubstr(".hex.tmp: No space left on device")) << r.output;
    EXPECT_THAT(r.output, Not(HasSubstr(".tmp\n"))) << file << ": a temporary file was left\n" << r.output;
    EXPECT_THAT(r.output, Not(HasSubstr("manifest.json\n"))) << file << "\n" << r.output;
  }
}

}  // namespace
}  // namespace mambahw::verif
