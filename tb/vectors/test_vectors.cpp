// Vector export and verify-vectors: determinism, and every kind of damage to
// an exported directory is detected and named.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "mambahw/config/config.hpp"
#include "mambahw/verif/hex_file.hpp"
#include "mambahw/verif/vector_dir.hpp"

namespace mambahw::verif {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class VectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("mambahw_vec_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static const Config& config(const std::string& name = "configs/default.yaml") {
    static std::map<std::string, Config> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, load_config(fs::path(MAMBAHW_SOURCE_DIR) / name)).first;
    return it->second;
  }
  fs::path export_to(const std::string& sub, const std::string& block = "conv_out_quantizer",
                     std::uint64_t count = 2000, const std::string& cfg = "configs/default.yaml") {
    ExportOptions o;
    o.block = block;
    o.count = count;
    o.seed = 7;
    o.out = root_ / sub;
    export_block(*make_block(block, config(cfg), {}), o);
    return o.out;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  static std::string problems(const fs::path& d) {
    std::string all;
    for (const auto& p : verify_directory(d).problems) all += p + "\n";
    return all;
  }
  fs::path root_;
};

TEST_F(VectorsTest, FreshExportVerifies) {
  for (const std::string block : {"conv_out_quantizer", "ssm_dequant"}) {
    const fs::path d = export_to(block, block);
    const VerifyReport r = verify_directory(d);
    EXPECT_TRUE(r.problems.empty()) << problems(d);
    EXPECT_GT(r.vectors, 2000u);
  }
  const fs::path d = export_to("lookup", "scale_index_lookup", 100, "configs/mamba2-130m.yaml");
  EXPECT_EQ(problems(d), "");
}

// The manifest names the binary that made the vectors; one built from
// uncommitted source verifies, with a warning that the commit does not
// reproduce it.
TEST_F(VectorsTest, VerifyNamesTheProducerAndWarnsOnDirtyBuilds) {
  const fs::path d = export_to("producer");
  nlohmann::json m = nlohmann::json::parse(std::ifstream(d / "manifest.json"));
  const std::string built = m["git_commit"];
  // As if another binary had exported: the manifest and the README it
  // derives name that commit (verify-vectors regenerates README.md).
  auto made_by = [&](const std::string& commit) {
    std::string readme = read(d / "README.md");
    const std::string from = "(git " + built + ")", to = "(git " + commit + ")";
    readme.replace(readme.find(from), from.size(), to);
    write(d / "README.md", readme);
    m["git_commit"] = commit;
    for (auto& f : m["files"])
      if (f["name"] == "README.md") f["sha256"] = sha256_bytes(readme), f["bytes"] = readme.size();
    std::ofstream(d / "manifest.json") << m.dump(2);
  };
  made_by("0123456789ab");
  VerifyReport r = verify_directory(d);
  EXPECT_TRUE(r.problems.empty()) << problems(d);
  EXPECT_EQ(r.producer, "mambahw " + m["version"].get<std::string>() + " (git 0123456789ab)");
  EXPECT_TRUE(r.warnings.empty());
  export_to("producer2");  // (a fresh copy to edit again)
  fs::remove_all(d);
  fs::rename(root_ / "producer2", d);
  m = nlohmann::json::parse(std::ifstream(d / "manifest.json"));
  made_by("0123456789ab-dirty");
  r = verify_directory(d);
  EXPECT_TRUE(r.problems.empty()) << problems(d);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], ::testing::HasSubstr("uncommitted source (git 0123456789ab-dirty)"));
  // The commit edited in the manifest alone: README.md no longer matches.
  m["git_commit"] = "fedcba987654";
  std::ofstream(d / "manifest.json") << m.dump(2);
  EXPECT_THAT(problems(d), ::testing::HasSubstr("README.md: does not match the manifest (line 3: "));
}

TEST_F(VectorsTest, ExportIsByteIdenticalAcrossRuns) {
  const fs::path a = export_to("a"), b = export_to("b");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(a)) names.push_back(e.path().filename());
  EXPECT_EQ(names.size(), 9u);  // 4 ports + se_scales + README + tb_params.svh + classes.txt + manifest
  for (const auto& n : names) EXPECT_EQ(read(a / n), read(b / n)) << n;
}

TEST_F(VectorsTest, FilesMatchTheirManifestEntries) {
  const fs::path d = export_to("m");
  const auto m = nlohmann::json::parse(read(d / "manifest.json"));
  EXPECT_EQ(m["format"], "mambahw-vectors");
  EXPECT_EQ(m["block"], "conv_out_quantizer");
  EXPECT_EQ(m["seed"], 7);
  EXPECT_EQ(m["corner_classes"]["random"], 2000);
  EXPECT_EQ(m["parameters"]["numerics"]["rounding"], "half_away_from_zero");
  std::uint64_t total = 0;
  for (const auto& [k, v] : m["corner_classes"].items()) total += v.get<std::uint64_t>();
  EXPECT_EQ(m["vectors"], total);
  for (const auto& f : m["files"]) {
    const std::string text = read(d / f["name"].get<std::string>());
    EXPECT_EQ(text.size(), f["bytes"]);
    EXPECT_EQ(sha256_bytes(text), f["sha256"]);
    if (f["width_bits"] == 0) continue;
    const auto lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
    EXPECT_EQ(lines, f["words"]);
    const auto digits = static_cast<std::size_t>((f["width_bits"].get<int>() + 3) / 4);
    EXPECT_EQ(text.size(), lines * (digits + 1));  // fixed-width lines
  }
}

TEST_F(VectorsTest, EachCorruptionIsDetected) {
  const fs::path base = export_to("base");
  auto copy = [&](const std::string& name) {
    const fs::path d = root_ / name;
    fs::copy(base, d);
    return d;
  };
  fs::path d = copy("truncated");
  std::string x = read(d / "x.hex");
  write(d / "x.hex", x.substr(0, x.size() - 5));
  EXPECT_THAT(problems(d), HasSubstr("x.hex: " + std::to_string(x.size() - 5) + " bytes, the manifest says " +
                                     std::to_string(x.size()) + " (truncated)"));
  EXPECT_THAT(problems(d), HasSubstr("x.hex: line"));  // the last line is incomplete

  d = copy("flipped");
  x = read(d / "x.hex");
  x[9] = x[9] == '0' ? '1' : '0';  // one hex digit of the second word
  write(d / "x.hex", x);
  EXPECT_THAT(problems(d), HasSubstr("x.hex: SHA-256"));
  EXPECT_THAT(problems(d), HasSubstr("(corrupted)"));

  d = copy("missing");
  fs::remove(d / "code.hex");
  EXPECT_THAT(problems(d), HasSubstr("code.hex: missing"));

  d = copy("extra");
  write(d / "notes.txt", "hello\n");
  EXPECT_THAT(problems(d), HasSubstr("notes.txt: not listed in the manifest (extra file)"));

  d = copy("tmp");
  write(d / "x.hex.tmp", "00\n");
  EXPECT_THAT(problems(d), HasSubstr("x.hex.tmp: leftover temporary file"));

  d = copy("no_manifest");
  fs::remove(d / "manifest.json");
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: missing"));

  d = copy("bad_manifest");
  write(d / "manifest.json", "{ not json");
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: "));

  d = copy("readme");
  write(d / "README.md", read(d / "README.md") + "edited\n");
  EXPECT_THAT(problems(d), HasSubstr("README.md: "));
}

// A malformed line and a wrong word whose hash is also fixed up in the
// manifest: the file checks catch the first, the golden replay the second.
TEST_F(VectorsTest, MalformedAndWrongWordsAreDetectedEvenWithMatchingHashes) {
  auto rehash = [&](const fs::path& d, const std::string& name) {
    auto m = nlohmann::json::parse(read(d / "manifest.json"));
    for (auto& f : m["files"])
      if (f["name"] == name) {
        const std::string t = read(d / name);
        f["sha256"] = sha256_bytes(t);
        f["bytes"] = t.size();
      }
    write(d / "manifest.json", m.dump(2));
  };
  const fs::path bad_hex = export_to("bad_hex");
  std::string code = read(bad_hex / "code.hex");
  code[3] = 'g';  // line 2: "xg"
  write(bad_hex / "code.hex", code);
  rehash(bad_hex, "code.hex");
  EXPECT_THAT(problems(bad_hex), HasSubstr("code.hex: line 2: not a hex digit: 'g'"));

  const fs::path wide = export_to("wide");
  std::string se = read(wide / "se.hex");
  se[0] = 'f';  // 5-bit word: 0xf? exceeds 5 bits
  write(wide / "se.hex", se);
  rehash(wide, "se.hex");
  EXPECT_THAT(problems(wide), HasSubstr("se.hex: line 1: value wider than 5 bits"));

  const fs::path wrong = export_to("wrong");
  code = read(wrong / "code.hex");
  code[6] = code[6] == '0' ? '1' : '0';  // third word, high digit: another valid 8-bit code
  write(wrong / "code.hex", code);
  rehash(wrong, "code.hex");
  const VerifyReport r = verify_directory(wrong);
  EXPECT_EQ(r.mismatches, 1u);
  EXPECT_THAT(problems(wrong), HasSubstr("vector 2 (line 3): code.hex holds 0x"));
  EXPECT_THAT(problems(wrong), HasSubstr("the golden model gives 0x"));
}

TEST_F(VectorsTest, RefusesNonEmptyDirectoryUnlessForced) {
  const fs::path d = export_to("d");
  ExportOptions o;
  o.count = 10;
  o.out = d;
  const auto b = make_block("ssm_dequant", config(), {});
  EXPECT_THROW(export_block(*b, o), std::runtime_error);
  o.force = true;
  export_block(*b, o);
  EXPECT_EQ(problems(d), "");  // the old conv_out_quantizer files were removed
  write(d / "precious.txt", "keep me");
  try {
    export_block(*b, o);
    FAIL() << "--force must refuse a directory with foreign files";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("also holds 'precious.txt'"));
  }
  EXPECT_TRUE(fs::exists(d / "precious.txt"));
}

// An export killed part-way leaves a directory that does not verify.
TEST_F(VectorsTest, InterruptedExportNeverVerifies) {
  const fs::path d = root_ / "killed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(MAMBAHW_BIN, MAMBAHW_BIN, "export", "--block", "conv_out_quantizer", "--count", "200000000",
            "--out", d.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until data is being written, then kill without warning.
  // (calibration through the whole layer comes first: allow a loaded machine a minute)
  for (int i = 0; i < 2400 && !fs::exists(d / "x.hex.tmp"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "export finished before it could be interrupted";
  EXPECT_FALSE(fs::exists(d / "manifest.json"));
  EXPECT_THAT(problems(d), HasSubstr("manifest.json: missing"));
}

TEST(HexReader, RejectsWhatReadmemhWouldMisread) {
  const fs::path p = fs::temp_directory_path() / ("mambahw_hex_" + std::to_string(::getpid()));
  auto words = [&](const std::string& text, int width) {
    std::ofstream(p, std::ios::binary) << text;
    HexFileReader r(p, width);
    std::uint64_t w, n = 0;
    while (r.next(w)) ++n;
    return r.error().empty() ? std::to_string(n) : r.error();
  };
  EXPECT_EQ(words("0a\nff\n", 8), "2");
  EXPECT_EQ(words("0a\nff", 8), "line 2: expected 2 hex digits and a newline (file truncated?)");
  EXPECT_EQ(words("0a\n0ff\n", 8), "line 2: expected 2 hex digits and a newline");
  EXPECT_EQ(words("0a\r\n", 8), "line 1: not a hex digit: '\r'");
  EXPECT_EQ(words("1f\n", 4 + 1), "1");
  EXPECT_EQ(words("20\n", 5), "line 1: value wider than 5 bits");
  EXPECT_EQ(words("", 8), "0");
  fs::remove(p);
}

}  // namespace
}  // namespace mambahw::verif
