// The golden online Hadamard against the real CUDA kernels: rows that went
// through Quamba's QHadamard INT8 kernels (fast_hadamard_transform_{12N,28N,
// 40N} and the power-of-two one) and, for the FP32 transform itself, through
// Dao-AILab/fast-hadamard-transform at the commit Quamba pins, on an H200
// (tb/data/hadamard_kernel/README.md says how they were made). Three
// producers, checked pairwise:
//   golden transform   == the FP32 kernel's transform, bit for bit
//   golden INT8 codes  == Quamba's INT8 kernel's codes
//   Quamba's codes     == roundf(FP32 kernel's transform * m), wrapped here
// The last one ties the two kernels together without the golden model.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "mambahw/golden/hadamard.hpp"
#include "mambahw/tb/reference_files.hpp"

namespace mambahw {
namespace {

const std::string kDir = std::string(MAMBAHW_SOURCE_DIR) + "/tb/data/hadamard_kernel/";

struct Reference {
  nlohmann::json manifest;
  std::vector<std::uint8_t> bin;
};

const Reference& reference() {
  static const Reference r = [] {
    Reference x;
    std::ifstream m(kDir + "manifest.json");
    x.manifest = nlohmann::json::parse(m);
    x.bin = tb::read_file_bytes(kDir + x.manifest["bin"]["file"].get<std::string>());
    return x;
  }();
  return r;
}

template <class T>
std::vector<T> section(const nlohmann::json& where) {
  const auto off = where["offset"].get<std::size_t>(), bytes = where["bytes"].get<std::size_t>();
  const std::vector<std::uint8_t>& bin = reference().bin;
  EXPECT_LE(off + bytes, bin.size());
  std::vector<T> v(bytes / sizeof(T));
  std::memcpy(v.data(), bin.data() + off, bytes);  // little-endian host, as the file is
  return v;
}

// What the kernel's store does, written independently of numerics.cpp:
// roundf, cvt.rzi.s32 (saturating, NaN -> 0), keep the low byte.
std::int8_t kernel_store(float v) {
  const float r = std::roundf(v);
  std::int64_t i = 0;
  if (std::isnan(r)) i = 0;
  else if (r >= 2147483647.0f) i = 2147483647;
  else if (r <= -2147483648.0f) i = -2147483648LL;
  else i = static_cast<std::int64_t>(r);
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(static_cast<std::uint64_t>(i) & 0xFFu));
}

TEST(HadamardKernel, ReferenceFileIsIntact) {
  const Reference& r = reference();
  EXPECT_EQ(r.bin.size(), r.manifest["bin"]["bytes"].get<std::size_t>());
  EXPECT_EQ(tb::sha256_hex(r.bin), r.manifest["bin"]["sha256"].get<std::string>());
}

TEST(HadamardKernel, CoversEveryBaseTheGoldenDefines) {
  std::vector<int> bases;
  for (const auto& c : reference().manifest["cases"]) bases.push_back(c["base"].get<int>());
  for (int b : {1, 12, 28, 40}) EXPECT_NE(std::find(bases.begin(), bases.end(), b), bases.end()) << b;
}

TEST(HadamardKernel, GoldenEqualsTheKernelsBitForBit) {
  int rows_checked = 0;
  for (const auto& c : reference().manifest["cases"]) {
    const int n = c["n"].get<int>(), rows = c["rows"].get<int>();
    const std::optional<HadamardSize> s = hadamard_size(n);
    ASSERT_TRUE(s) << n;
    ASSERT_EQ(s->base, c["base"].get<int>()) << n;
    const auto in = section<std::uint16_t>(c["input_fp16"]);
    const auto fp32 = section<std::uint32_t>(c["transform_fp32"]);
    const auto codes = section<std::int8_t>(c["codes_int8"]);
    ASSERT_EQ(in.size(), static_cast<std::size_t>(n * rows));
    for (int r = 0; r < rows; ++r) {
      const std::string cls = c["row_classes"][static_cast<std::size_t>(r)].get<std::string>();
      const auto m = std::bit_cast<float>(
          static_cast<std::uint32_t>(std::stoul(c["multipliers_hex"][static_cast<std::size_t>(r)].get<std::string>(), nullptr, 16)));
      std::vector<float> x(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = fp16_to_fp32(in[static_cast<std::size_t>(r * n + i)]);
      // The transform. NaN policy: a NaN's payload is not part of the spec
      // (x86 and the GPU produce different default NaNs); it must be NaN.
      std::vector<float> t = x;
      hadamard_fp32(t, *s, Denormals::kFlushToZero);
      for (int i = 0; i < n; ++i) {
        const std::uint32_t want = fp32[static_cast<std::size_t>(r * n + i)];
        const float w = std::bit_cast<float>(want);
        if (std::isnan(w)) {
          ASSERT_TRUE(std::isnan(t[static_cast<std::size_t>(i)])) << n << " " << cls << " element " << i;
        } else {
          ASSERT_EQ(std::bit_cast<std::uint32_t>(t[static_cast<std::size_t>(i)]), want)
              << "n " << n << " row " << cls << " element " << i;
        }
      }
      // The INT8 codes, under the kernel's policy and under the preserving
      // one (a flushed subnormal product changes no code).
      for (Denormals d : {Denormals::kFlushToZero, Denormals::kPreserve}) {
        std::vector<std::int8_t> q(static_cast<std::size_t>(n));
        hadamard_quantize(x, q, *s, m, {Rounding::kHalfAwayFromZero, Overflow::kWrap, d});
        for (int i = 0; i < n; ++i)
          ASSERT_EQ(q[static_cast<std::size_t>(i)], codes[static_cast<std::size_t>(r * n + i)])
              << "n " << n << " row " << cls << " element " << i;
      }
      // The two kernels agree with each other (no golden code involved).
      for (int i = 0; i < n; ++i) {
        const float v = std::bit_cast<float>(fp32[static_cast<std::size_t>(r * n + i)]);
        ASSERT_EQ(kernel_store(v * m), codes[static_cast<std::size_t>(r * n + i)]) << n << " " << cls << " " << i;
      }
      ++rows_checked;
    }
  }
  EXPECT_GE(rows_checked, 100);
}

}  // namespace
}  // namespace mambahw
