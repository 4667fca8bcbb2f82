// Tensor files: images spelled out by hand from the NumPy and safetensors
// format documents, round trips of every dtype and format, and each kind of
// corrupt file with the error it must give. (NumPy itself reads and writes
// these files in tb/python/test_tensor_files_numpy.py.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "mambahw/tensors/diff.hpp"
#include "mambahw/tensors/tensor_file.hpp"

namespace {

using namespace mambahw::tensors;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

// A .npy image exactly as the format document describes it: magic, version
// 1.0, little-endian u16 header length, the dict, spaces, '\n' so that the
// preamble is a multiple of 64 bytes, then the data.
std::string npy_by_hand(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string le32(std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string le64(std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

std::string safetensors_by_hand(const std::string& json, const std::string& data) {
  return le64(json.size()) + json + data;
}

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("mambahw_tensors_" + std::to_string(::getpid()) + "_" +
                                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const TensorFileError& e) {
    return e.what();
  }
  return "(no error)";
}

StoredTensor int32_2x3() {
  std::string data;
  for (std::uint32_t i = 0; i < 6; ++i) data += le32(i * 1000u);
  return parse_npy(bytes_of(npy_by_hand("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", data)), "x");
}

TEST(Npy, ReadsAHandWrittenImage) {
  const StoredTensor t = int32_2x3();
  EXPECT_EQ(t.dtype, DType::kInt32);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(element_value(t, 5), 5000.0);
}

TEST(Npy, WritesNumpysOwnSpelling) {
  std::string data;
  for (std::uint32_t i = 0; i < 6; ++i) data += le32(i * 1000u);
  const std::string expected = npy_by_hand("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", data);
  const std::vector<std::byte> image = npy_image(int32_2x3());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(image.data()), image.size()), expected);
  // One dimension is spelled (3,), a scalar ().
  const StoredTensor v = stored_floats(std::vector<float>{1, 2, 3}, {3});
  const auto img = npy_image(v);
  EXPECT_THAT(std::string(reinterpret_cast<const char*>(img.data()), img.size()), HasSubstr("'shape': (3,), }"));
  const auto sc = npy_image(stored_scalar(2.5f));
  EXPECT_THAT(std::string(reinterpret_cast<const char*>(sc.data()), sc.size()), HasSubstr("'shape': (), }"));
}

TEST(Npy, FortranOrderIsReadInCOrder) {
  // [[0, 1, 2], [3, 4, 5]] stored column by column: 0 3 1 4 2 5.
  const std::string data = {0, 3, 1, 4, 2, 5};
  const StoredTensor t =
      parse_npy(bytes_of(npy_by_hand("{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3), }", data)), "f");
  EXPECT_EQ(int8_values(t, "f"), (std::vector<std::int8_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Npy, Version2HeaderAndFloat16) {
  const std::string dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }";
  std::string header = dict;
  while ((12 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  const std::string img = std::string("\x93NUMPY\x02\x00", 8) + le32(static_cast<std::uint32_t>(header.size())) + header +
                          std::string("\x00\x3c\x00\xc0", 4);  // 1.0, -2.0 in binary16
  const StoredTensor t = parse_npy(bytes_of(img), "h");
  EXPECT_EQ(float_values(t, "h"), (std::vector<float>{1.0f, -2.0f}));
}

TEST(Npy, RefusesWhatItCannotRepresent) {
  auto npy = [](const std::string& descr, const std::string& data) {
    return error_of([&] {
      parse_npy(bytes_of(npy_by_hand("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }", data)), "f.npy");
    });
  };
  EXPECT_THAT(npy("<f8", std::string(8, '\0')), HasSubstr("f.npy: unsupported dtype '<f8'"));
  EXPECT_THAT(npy(">f4", std::string(4, '\0')), HasSubstr("big-endian"));
  EXPECT_THAT(npy("|b1", std::string(1, '\0')), HasSubstr("unsupported dtype '|b1'"));
  StoredTensor bf{DType::kBf16, {1}, std::vector<std::byte>(2)};
  EXPECT_THAT(error_of([&] { npy_image(bf); }), HasSubstr("bfloat16 has no NumPy dtype"));
}

TEST(Npy, CorruptFilesGiveClearErrors) {
  const std::string good = npy_by_hand("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", std::string(24, '\1'));
  auto err = [](const std::string& img) { return error_of([&] { parse_npy(bytes_of(img), "c.npy"); }); };
  EXPECT_THAT(err(good.substr(0, good.size() - 1)), HasSubstr("needs 24 data bytes, the file has 23 (truncated)"));
  EXPECT_THAT(err(good + "x"), HasSubstr("(trailing bytes)"));
  EXPECT_THAT(err(good.substr(0, 40)), HasSubstr("truncated: the .npy header claims 118 bytes"));
  EXPECT_THAT(err("\x93NUMPZ" + good.substr(6)), HasSubstr("bad magic"));
  EXPECT_THAT(err(npy_by_hand("{'descr': '<f4', 'fortran_order': False, 'shape': (72057594037927936, 72057594037927936), }", "")),
              HasSubstr("overflows"));
  EXPECT_THAT(err(npy_by_hand("{'descr': '<f4', 'fortran_order': False, 'shape': (720575940379279360,), }", "")),
              HasSubstr("absurdly large"));
  EXPECT_THAT(err(npy_by_hand("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999), }", "")),
              HasSubstr("overflows"));
  EXPECT_THAT(err(npy_by_hand("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "")), HasSubstr("a dimension"));
  EXPECT_THAT(err(npy_by_hand("{'descr': '<f4', 'shape': (1,), }", std::string(4, '\0'))), HasSubstr("lacks one of"));
  EXPECT_THAT(err(npy_by_hand("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", std::string(4, '\0'))),
              HasSubstr("unexpected key 'x'"));
  std::string no_newline = good;
  no_newline[127] = ' ';
  EXPECT_THAT(err(no_newline), HasSubstr("not ended by a newline"));
}

// A safetensors image as the format document spells it.
TEST(Safetensors, ReadsAHandWrittenImage) {
  const std::string json =
      R"({"b":{"dtype":"I8","shape":[3],"data_offsets":[8,11]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("__metadata__":{"format":"pt"}})";
  const float f[2] = {1.5f, -0.25f};
  const std::string data = std::string(reinterpret_cast<const char*>(f), 8) + std::string("\x01\xff\x7f", 3);
  Metadata meta;
  const TensorMap t = parse_safetensors(bytes_of(safetensors_by_hand(json, data)), "s", &meta);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(float_values(t.at("a"), "a"), (std::vector<float>{1.5f, -0.25f}));
  EXPECT_EQ(int8_values(t.at("b"), "b"), (std::vector<std::int8_t>{1, -1, 127}));
  EXPECT_EQ(meta.at("format"), "pt");
}

TEST(Safetensors, CorruptFilesGiveClearErrors) {
  auto err = [](const std::string& json, const std::string& data) {
    return error_of([&] { parse_safetensors(bytes_of(safetensors_by_hand(json, data)), "c.safetensors"); });
  };
  const std::string d8(8, '\0');
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8),
              HasSubstr("overlap"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8), HasSubstr("bytes [0, 4) of the data buffer belong to no tensor"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d8), HasSubstr("4 bytes after the last tensor"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", d8), HasSubstr("run past the 8-byte data buffer (truncated?)"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8), HasSubstr("does not fill its 8 bytes"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", d8), HasSubstr("unsupported dtype F64"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d8),
              HasSubstr("tensor 'a' appears twice"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", d8), HasSubstr("does not fill"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8), HasSubstr("non-negative integer"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", d8), HasSubstr("not valid JSON"));
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", d8), HasSubstr("end before they begin"));
  // Found by fuzz_tensors (tb/fuzz/regressions/tensors/number-overflow-406): a
  // number no double holds escaped as json::out_of_range.
  EXPECT_THAT(err(R"({"a":{"dtype":"F32","shape":[1e3004],"data_offsets":[0,8]}})", d8),
              HasSubstr("the header is not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e3004'"));
  // A header length larger than the file: refused before anything is allocated.
  const std::string huge = le64(std::uint64_t{1} << 40) + "{}";
  EXPECT_THAT(error_of([&] { parse_safetensors(bytes_of(huge), "h"); }), HasSubstr("100 MB limit"));
  const std::string lying = le64(64) + "{}";
  EXPECT_THAT(error_of([&] { parse_safetensors(bytes_of(lying), "h"); }), HasSubstr("truncated: the header claims 64 bytes"));
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(1.0f + 0x1p-8f), 0x3F80);             // tie: to even (down)
  EXPECT_EQ(fp32_to_bf16(1.0f + 0x1p-7f + 0x1p-8f), 0x3F82);   // tie: to even (up)
  EXPECT_EQ(fp32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3F81);  // above the tie
  EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_bf16(3.4e38f), 0x7F80);  // overflow to +Inf
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0xFF800001u)) & 0xFFC0, 0xFFC0);  // NaN stays a NaN, quiet
  EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
}

std::vector<StoredTensor> samples(bool with_bf16) {
  std::vector<StoredTensor> v;
  v.push_back(stored_int8(std::vector<std::int8_t>{-128, 0, 127, 5, -7, 1}, {2, 3}));
  StoredTensor i32{DType::kInt32, {3}, std::vector<std::byte>(12)};
  const std::int32_t iv[3] = {INT32_MIN, 0, INT32_MAX};
  std::memcpy(i32.bytes.data(), iv, 12);
  v.push_back(i32);
  v.push_back(stored_fp16(std::vector<std::uint16_t>{0x3C00, 0x8000, 0x7E00, 0x0001}, {2, 1, 2}));
  v.push_back(stored_floats(std::vector<float>{-0.0f, 1e-45f, INFINITY, std::bit_cast<float>(0x7FC00123u)}, {1, 1, 1, 2, 2}));
  v.push_back(stored_scalar(3.25f));
  v.push_back(stored_floats(std::vector<float>{}, {0, 4}));
  if (with_bf16) v.push_back(StoredTensor{DType::kBf16, {2}, {std::byte{0x80}, std::byte{0x3F}, std::byte{0x40}, std::byte{0xC0}}});
  return v;
}

TEST(TensorFiles, EveryFormatRoundTripsEveryDtypeBitForBit) {
  const fs::path dir = temp_dir();
  for (const char* ext : {".npz", ".safetensors", ""}) {
    TensorMap m;
    int i = 0;
    for (const StoredTensor& t : samples(std::string(ext) == ".safetensors")) {
      std::string name = "t";  // (not "t" + to_string: GCC 12 -Wrestrict false positive)
      name += std::to_string(i++);
      m.emplace(name, t);
    }
    const fs::path p = dir / (std::string("all") + ext);
    write_tensors(p, m);
    EXPECT_EQ(read_tensors(p), m) << ext;
  }
  for (const StoredTensor& t : samples(false)) {
    write_npy(dir / "one.npy", t);
    EXPECT_EQ(read_npy(dir / "one.npy"), t);
  }
  fs::remove_all(dir);
}

TEST(TensorFiles, GoldenTensorsConvertBothWays) {
  mambahw::FloatTensor f({2, 3});
  for (std::size_t i = 0; i < 6; ++i) f(i) = static_cast<float>(i) - 2.5f;
  EXPECT_EQ(to_float_tensor(stored(f), "f"), f);
  const StoredTensor h = stored_fp16(std::vector<std::uint16_t>{0x3C00, 0x4000}, {2});
  EXPECT_EQ(to_float_tensor(h, "h").vec(), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_THAT(error_of([&] { to_float_tensor(stored_int8(std::vector<std::int8_t>{1}, {1}), "w"); }),
              HasSubstr("w: dtype int8, expected a float tensor"));
  StoredTensor r5 = stored_floats(std::vector<float>(32), {2, 2, 2, 2, 2});
  EXPECT_THAT(error_of([&] { to_float_tensor(r5, "r5"); }), HasSubstr("rank 5"));
}

TEST(Npz, CorruptArchivesGiveClearErrors) {
  TensorMap m{{"a", stored_floats(std::vector<float>(64, 1.0f), {8, 8})}, {"b", stored_int8(std::vector<std::int8_t>{1, 2}, {2})}};
  std::vector<std::byte> img = npz_image(m);
  EXPECT_EQ(parse_npz(img, "ok.npz"), m);
  // A data byte of member "a" flipped: the CRC catches it.
  std::vector<std::byte> bad = img;
  const std::string text(reinterpret_cast<const char*>(img.data()), img.size());
  const std::size_t at = text.find("\x93NUMPY") + 128 + 10;  // into member a's data
  bad[at] ^= std::byte{0x40};
  EXPECT_THAT(error_of([&] { parse_npz(bad, "crc.npz"); }), HasSubstr("crc.npz: member 'a.npy'"));
  // Truncated: the central directory is gone.
  EXPECT_THAT(error_of([&] { parse_npz(std::span(img).first(img.size() - 30), "t.npz"); }), HasSubstr("t.npz: not a valid .npz"));
  EXPECT_THAT(error_of([&] { parse_npz(bytes_of("not a zip at all, really"), "z.npz"); }), HasSubstr("not a valid .npz"));
}

TEST(TensorFiles, ReadsAFolderOfNpyFilesAndRefusesUnknownFiles) {
  const fs::path dir = temp_dir();
  write_npy(dir / "x.y.npy", stored_scalar(1.0f));
  write_npy(dir / "z.npy", stored_scalar(2.0f));
  std::ofstream(dir / "manifest.json") << "{}";
  const TensorMap m = read_tensors(dir);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.count("x.y") && m.count("z"));
  EXPECT_THAT(error_of([&] { read_tensors(dir / "manifest.json"); }), HasSubstr("unknown tensor file type '.json'"));
  EXPECT_THAT(error_of([&] { read_tensors(dir / "none.npy"); }), HasSubstr("no such file"));
  EXPECT_THAT(error_of([&] { write_tensors(dir / "d", {{"a/b", stored_scalar(1.0f)}}); }), HasSubstr("contains '/'"));
  fs::remove_all(dir);
}

TEST(TensorFiles, AFailedWriteLeavesNothingBehind) {
  const fs::path dir = temp_dir();
  write_npy(dir / "keep.npy", stored_scalar(1.0f));
  EXPECT_THAT(error_of([&] { write_npy(dir / "missing" / "x.npy", stored_scalar(1.0f)); }), HasSubstr("cannot create"));
  write_npy(dir / "keep.npy", stored_scalar(2.0f));  // replaced whole
  EXPECT_EQ(element_float(read_npy(dir / "keep.npy"), 0), 2.0f);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);  // no temporary file left
  fs::remove_all(dir);
}

// ---- diff --------------------------------------------------------------------------------

TEST(Diff, CountsExactMatchesUlpsAndTopPositions) {
  // a = [1, 2, 3, 4, 0, -0]; b differs by 1 ulp at [0][1], by 2^20 ulp-ish at [1][0], and in the sign of zero.
  const float a[6] = {1, 2, 3, 4, 0.0f, 0.0f};
  float b[6] = {1, std::nextafter(2.0f, 3.0f), 3, 5, 0.0f, -0.0f};
  const TensorDiff d = diff_tensor("t", stored_floats(a, {2, 3}), stored_floats(b, {2, 3}), DiffOptions{2});
  EXPECT_EQ(d.status, DiffStatus::kDiffer);
  EXPECT_EQ(d.count, 6);
  EXPECT_EQ(d.exact, 3);
  EXPECT_EQ(d.signed_zero, 1);
  EXPECT_DOUBLE_EQ(d.max_abs, 1.0);
  EXPECT_DOUBLE_EQ(d.max_rel, 0.25);
  EXPECT_DOUBLE_EQ(d.mean_abs, (1.0 + 0x1p-22) / 6.0);  // over all 6 (finite) pairs; one ulp of 2 is 2^-22
  ASSERT_EQ(d.top.size(), 2u);
  EXPECT_EQ(d.top[0].index, (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(d.top[0].ulp, 1 << 21);  // 4 -> 5: 2^23 / 4 ulps per unit at exponent 2
  EXPECT_EQ(d.top[1].index, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(d.top[1].ulp, 1);
  // Histogram: 0 ulp: 3 exact + the signed zero; 1 ulp: 1; (2^20, 2^21]: 1.
  ASSERT_EQ(d.ulp_histogram.size(), 3u);
  EXPECT_EQ(d.ulp_histogram[0].upto, 0);
  EXPECT_EQ(d.ulp_histogram[0].count, 4);
  EXPECT_EQ(d.ulp_histogram[1].upto, 1);
  EXPECT_EQ(d.ulp_histogram[2].upto, 1 << 21);
}

TEST(Diff, ToleranceShapesDtypesAndMissingTensors) {
  const float a[2] = {1.0f, 2.0f}, b[2] = {1.001f, 2.0f};
  EXPECT_EQ(diff_tensor("t", stored_floats(a, {2}), stored_floats(b, {2}), DiffOptions{5, 0.01, 0}).status,
            DiffStatus::kWithinTolerance);
  EXPECT_EQ(diff_tensor("t", stored_floats(a, {2}), stored_floats(b, {2}), DiffOptions{5, 0.0001, 0}).status, DiffStatus::kDiffer);
  EXPECT_EQ(diff_tensor("t", stored_floats(a, {2}), stored_floats(a, {1, 2})).status, DiffStatus::kShapeMismatch);
  // Same values, another dtype: compared, but not a match.
  const TensorDiff dt = diff_tensor("t", stored_floats(a, {2}), stored_fp16(std::vector<std::uint16_t>{0x3C00, 0x4000}, {2}));
  EXPECT_EQ(dt.exact, 2);
  EXPECT_EQ(dt.status, DiffStatus::kDiffer);
  const float n[2] = {NAN, 2.0f};
  const TensorDiff dn = diff_tensor("t", stored_floats(a, {2}), stored_floats(n, {2}));
  EXPECT_EQ(dn.nonfinite_mismatch, 1);
  EXPECT_EQ(dn.top[0].abs_diff, HUGE_VAL);
  const DiffReport r = diff_tensor_maps({{"x", stored_scalar(1)}, {"y", stored_scalar(1)}}, {{"y", stored_scalar(1)}, {"z", stored_scalar(1)}});
  ASSERT_EQ(r.tensors.size(), 3u);
  EXPECT_EQ(r.tensors[0].status, DiffStatus::kOnlyInA);
  EXPECT_EQ(r.tensors[1].status, DiffStatus::kIdentical);
  EXPECT_EQ(r.tensors[2].status, DiffStatus::kOnlyInB);
  EXPECT_FALSE(r.match());
  EXPECT_EQ(r.matching(), 1);
}

TEST(Diff, Float16UlpsAreCountedInFloat16) {
  const TensorDiff d = diff_tensor("h", stored_fp16(std::vector<std::uint16_t>{0x3C00, 0x8001}, {2}),
                                   stored_fp16(std::vector<std::uint16_t>{0x3C03, 0x0001}, {2}));
  ASSERT_EQ(d.top.size(), 2u);
  EXPECT_EQ(d.top[0].ulp, 3);  // 1.0 -> 1.0 + 3 * 2^-10
  EXPECT_EQ(d.top[1].ulp, 2);  // -2^-24 -> +2^-24 across both zeros
}

}  // namespace
