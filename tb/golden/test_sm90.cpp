// The sm_90 fast-math units (mambahw/golden/sm90.hpp) against the H200 itself:
// tb/data/sm90_units holds ex2.approx.ftz, rcp.approx.ftz, log1pf and expf
// (--use_fast_math) and div.approx.ftz as an H200 computed them, on sampled
// inputs plus every sign x exponent class with boundary significands and the
// named boundaries of each function (README.md there says how it was made).
// Two producers: the GPU's instructions and the CPU emulation. The emulation's
// ex2 and rcp read tables the same GPU produced on the fraction grids only;
// every input here off those grids tests the reconstruction rule (scaling,
// truncation, flushing, specials) rather than a stored value.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mambahw/golden/fp32.hpp"
#include "mambahw/golden/sm90.hpp"
#include "mambahw/golden/units.hpp"
#include "mambahw/tb/reference_files.hpp"

namespace mambahw {
namespace {

const std::string kDir = std::string(MAMBAHW_SOURCE_DIR) + "/tb/data/sm90_units/";

struct RefFile {
  std::uint32_t op = 0, arity = 0;
  std::vector<std::uint32_t> rec;  // count * (arity + 1)
};

// One reference file, checked against the manifest's size and SHA-256 and
// against its own header, so a damaged file fails loudly instead of passing.
RefFile load(const std::string& name) {
  std::ifstream m(kDir + "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(m);
  const std::vector<std::uint8_t> b = tb::read_file_bytes(kDir + name);
  RefFile r;
  bool listed = false;
  for (const auto& f : manifest["files"])
    if (f["file"] == name) {
      listed = true;
      EXPECT_EQ(b.size(), f["bytes"].get<std::size_t>()) << name;
      EXPECT_EQ(tb::sha256_hex(b), f["sha256"].get<std::string>()) << name;
    }
  EXPECT_TRUE(listed) << name << " is not in the manifest";
  if (b.size() < 24 || std::memcmp(b.data(), "mhwsm90\1", 8) != 0) {
    ADD_FAILURE() << name << ": not a reference file";
    return r;
  }
  std::uint64_t n = 0;
  std::memcpy(&r.op, b.data() + 8, 4);
  std::memcpy(&r.arity, b.data() + 12, 4);
  std::memcpy(&n, b.data() + 16, 8);
  if (b.size() != 24 + n * (r.arity + 1) * 4) {
    ADD_FAILURE() << name << ": size does not match its record count";
    return r;
  }
  r.rec.resize(n * (r.arity + 1));
  std::memcpy(r.rec.data(), b.data() + 24, r.rec.size() * 4);
  return r;
}

template <class F>
void expect_unary(const std::string& name, F f, std::size_t min_records) {
  const RefFile r = load(name);
  const std::size_t n = r.rec.size() / 2;
  EXPECT_GE(n, min_records) << name;
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t got = bits_of(f(float_of(r.rec[2 * i])));
    if (got != r.rec[2 * i + 1] && ++mismatches <= 5)
      ADD_FAILURE() << name << ": x = 0x" << std::hex << r.rec[2 * i] << " GPU 0x" << r.rec[2 * i + 1] << " emulation 0x"
                    << got;
  }
  EXPECT_EQ(mismatches, 0u) << name << " (" << n << " inputs)";
}

TEST(Sm90Units, Ex2EqualsTheH200) { expect_unary("ex2.ref", sm90_ex2, 70000); }
TEST(Sm90Units, RcpEqualsTheH200) { expect_unary("rcp.ref", sm90_rcp, 70000); }
TEST(Sm90Units, Log1pfEqualsTheH200) { expect_unary("log1pf.ref", sm90_log1pf, 70000); }
TEST(Sm90Units, ExpfEqualsTheH200) { expect_unary("expf.ref", sm90_expf, 70000); }

TEST(Sm90Units, DivisionEqualsTheH200) {
  const RefFile r = load("div.ref");
  const std::size_t n = r.rec.size() / 3;
  EXPECT_GE(n, 100000u);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = float_of(r.rec[3 * i]), b = float_of(r.rec[3 * i + 1]);
    mismatches += bits_of(sm90_div(a, b)) != r.rec[3 * i + 2];
    // and through the unit family: a multiply by the sm90 reciprocal unit
    mismatches += bits_of(divide_as(a, b, QuantizeOp::kMultiplyReciprocal, RecipUnit{RecipKind::kSm90, 0},
                                    Denormals::kFlushToZero)) != r.rec[3 * i + 2];
  }
  EXPECT_EQ(mismatches, 0u);
}

// Hand-derived facts, independent of the GPU data.
TEST(Sm90Units, HandDerivedCases) {
  for (int k = -126; k <= 127; ++k) EXPECT_EQ(sm90_ex2(static_cast<float>(k)), std::ldexp(1.0f, k)) << k;
  EXPECT_EQ(bits_of(sm90_ex2(-127.0f)), 0u);  // 2^-127 is subnormal: flushed
  EXPECT_EQ(sm90_ex2(128.0f), INFINITY);
  EXPECT_EQ(sm90_ex2(-INFINITY), 0.0f);
  EXPECT_EQ(sm90_ex2(0x1p-140f), 1.0f);  // a subnormal input reads as 0: 1
  EXPECT_EQ(bits_of(sm90_ex2(NAN)), kSm90Nan);
  for (int k = -126; k <= 126; ++k) EXPECT_EQ(sm90_rcp(std::ldexp(1.0f, k)), std::ldexp(1.0f, -k)) << k;
  EXPECT_EQ(bits_of(sm90_rcp(0x1p127f)), 0u);                 // 2^-127 flushed
  EXPECT_EQ(bits_of(sm90_rcp(-0x1p-149f)), 0xFF80'0000u);     // subnormal read as -0: -Inf
  EXPECT_EQ(bits_of(sm90_rcp(-INFINITY)), 0x8000'0000u);
  EXPECT_EQ(bits_of(sm90_log1pf(-0.0f)), 0x8000'0000u);
  EXPECT_EQ(sm90_log1pf(-1.0f), -INFINITY);
  EXPECT_EQ(bits_of(sm90_log1pf(-2.0f)), kSm90Nan);
  EXPECT_EQ(sm90_log1pf(INFINITY), INFINITY);
  // add.rz: 1 + 2^-30 rounds toward zero to 1, 1 - 2^-30 to 1 - 2^-24.
  EXPECT_EQ(sm90_add_rz(1.0f, 0x1p-30f), 1.0f);
  EXPECT_EQ(sm90_add_rz(1.0f, -0x1p-30f), 1.0f - 0x1p-24f);
  EXPECT_EQ(sm90_add_rz(-1.0f, -0x1p-30f), -1.0f);
}

// The array forms are the scalar forms, element by element (a strided sweep
// here; every input in the exhaustive label).
TEST(Sm90Units, BatchEqualsScalarStrided) {
  std::vector<float> x, y(1);
  for (std::uint64_t b = 0; b < (1ull << 32); b += 65537) x.push_back(float_of(static_cast<std::uint32_t>(b)));
  y.resize(x.size());
  auto check = [&](auto batch, auto scalar, const char* what) {
    batch(x.data(), y.data(), x.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i) bad += bits_of(y[i]) != bits_of(scalar(x[i]));
    EXPECT_EQ(bad, 0u) << what;
  };
  check(sm90_ex2_batch, sm90_ex2, "ex2");
  check(sm90_rcp_batch, sm90_rcp, "rcp");
  check(sm90_expf_batch, sm90_expf, "expf");
  check(sm90_log1pf_batch, sm90_log1pf, "log1pf");
}

}  // namespace
}  // namespace mambahw
