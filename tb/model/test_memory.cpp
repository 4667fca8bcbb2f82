// The memory layouts (model/memory.hpp) against bytes derived by hand.
#include <gtest/gtest.h>

#include "mambahw/model/memory.hpp"

namespace mambahw::model {
namespace {

// Three 5-bit dual-scale words 0b10111, 0b00001, 0b11111 at bits 0-4, 5-9,
// 10-14: byte 0 = 0x17 | (0b001 << 5) = 0x37; byte 1 = 0b00 | (0x1F << 2) = 0x7C.
TEST(MemoryLayout, PackedFiveBitWordsByHand) {
  Bytes b(2, 0);
  put_element(b, 0, 5, 0x17);
  put_element(b, 1, 5, 0x01);
  put_element(b, 2, 5, 0x1F);
  EXPECT_EQ(b, (Bytes{0x37, 0x7C}));
  EXPECT_EQ(get_element(b, 0, 5), 0x17u);
  EXPECT_EQ(get_element(b, 1, 5), 0x01u);
  EXPECT_EQ(get_element(b, 2, 5), 0x1Fu);
  // Rewriting the middle word leaves its neighbours' bits alone.
  put_element(b, 1, 5, 0x1E);
  EXPECT_EQ(get_element(b, 0, 5), 0x17u);
  EXPECT_EQ(get_element(b, 2, 5), 0x1Fu);
  EXPECT_EQ(get_element(b, 1, 5), 0x1Eu);
}

TEST(MemoryLayout, Fp16IsLittleEndianAndLayoutsIndexByHand) {
  Bytes b(4, 0);
  put_element(b, 1, 16, 0x3C00);  // 1.0 in binary16
  EXPECT_EQ(b, (Bytes{0x00, 0x00, 0x00, 0x3C}));
  TensorSpec cm{"t", ElementFormat::kInt8, 8, Layout::kChannelMajor, 3, 0, ""};
  TensorSpec tm{"t", ElementFormat::kInt8, 8, Layout::kTokenMajor, 3, 0, ""};
  EXPECT_EQ(element_index(cm, 5, 2, 4), 2 * 5 + 4);  // column 2, token 4 of L = 5
  EXPECT_EQ(element_index(tm, 5, 2, 4), 4 * 3 + 2);
}

// A 2 x 4 INT4 matrix, rows {1, -2, 3, -4} and {-1, 2, -3, 4}, scales 0.5 and
// 0.25. Row-major nibbles (low first) would be E1 C3 | 2F 4D. On a 1 x 2 array
// with 2 INT4 MACs per PE (k tiles of 2, column tiles of 2) the weight memory
// holds the folds in load order: k 0-1 of both rows {1, -2, -1, 2} = E1 2F,
// then k 2-3 {3, -4, -3, 4} = C3 4D; then the FP32 scales, little-endian.
TEST(MemoryLayout, Int4WeightsInFoldTilesByHand) {
  QuantWeights w;
  w.precision = WeightPrecision::kInt4;
  w.out = 2;
  w.in = 4;
  w.packed = {0xE1, 0xC3, 0x2F, 0x4D};
  w.scales = {0.5f, 0.25f};
  GemmArrayConfig a;
  a.rows = 1;
  a.cols = 2;
  a.int4_macs_per_pe = 2;
  const GemmPlan plan = plan_gemm({1, 4, 2, 4, 1, 1}, a);
  const Bytes img = gemm_weight_image(w, plan, 12);
  EXPECT_EQ(img, (Bytes{0xE1, 0x2F, 0xC3, 0x4D, 0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x80, 0x3E}));
  std::vector<std::int8_t> codes(4);
  unpack_int4_tile(std::span(img).first(2), 4, codes);
  EXPECT_EQ(codes, (std::vector<std::int8_t>{1, -2, -1, 2}));
  unpack_int4_tile(std::span(img).first(2), 4, codes, /*nibbles_high_first=*/true);
  EXPECT_EQ(codes, (std::vector<std::int8_t>{-2, 1, 2, -1}));
  // An image that does not fit its tensor's bytes is refused.
  EXPECT_THROW((void)gemm_weight_image(w, plan, 11), std::logic_error);
}

// Every byte value, in both nibble orders, even and odd code counts, against
// the nibbles sign-extended by arithmetic shifts (an independent derivation:
// (int8)(b << 4) >> 4 is the low nibble's code, (int8)b >> 4 the high one's).
TEST(MemoryLayout, Int4UnpackEveryByteBothOrders) {
  Bytes img(256);
  for (int v = 0; v < 256; ++v) img[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(v);
  auto low = [](int v) { return static_cast<std::int8_t>(static_cast<std::int8_t>(v << 4) >> 4); };
  auto high = [](int v) { return static_cast<std::int8_t>(static_cast<std::int8_t>(v) >> 4); };
  for (bool high_first : {false, true})
    for (std::int64_t count : {std::int64_t{512}, std::int64_t{511}, std::int64_t{1}}) {
      std::vector<std::int8_t> codes(static_cast<std::size_t>(count), 99);
      unpack_int4_tile(img, count, codes, high_first);
      for (std::int64_t i = 0; i < count; ++i) {
        const int v = static_cast<int>(i / 2);
        const bool second = i % 2 == 1;
        const std::int8_t want = second != high_first ? high(v) : low(v);
        ASSERT_EQ(codes[static_cast<std::size_t>(i)], want) << "code " << i << " count " << count << " high_first " << high_first;
      }
    }
  EXPECT_EQ(low(0x0F), -1);  // the derivation itself, by hand
  EXPECT_EQ(high(0x7F), 7);
  EXPECT_EQ(high(0x80), -8);
}

// A 1 x 2 x 2 table of 3 heads of 4 dims: head ranges 2 bits (0..3), dim
// ranges 3 bits (0..4), packed LSB-first, then the FP32 scales.
TEST(MemoryLayout, IndexSramWordsAtMinimalWidthsByHand) {
  Quamba2ScaleTable t;
  t.shape = {1, 2, 2, 3, 4, 0};
  t.head_range = {1, 3};
  t.dim_range = {2, 4, 1, 4};
  t.x_scales = {1.0f, 2.0f, 0.5f, 4.0f};
  const IndexSramLayout l = index_sram_layout(t.shape);
  EXPECT_EQ(l.head_range_bits, 2);
  EXPECT_EQ(l.dim_range_bits, 3);
  EXPECT_EQ(l.bits(), 2 * 2 + 4 * 3 + 4 * 32);
  // bits 0-3: 01 11; 4-6: 010; 7-9: 100; 10-12: 001; 13-15: 100.
  const Bytes want{0x2d, 0x86, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40,
                   0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0x40};
  const Bytes img = index_sram_image(t);
  EXPECT_EQ(img, want);
  EXPECT_EQ(index_sram_word(img, l, IndexSramArray::kDimRange, 2), 1u);
  EXPECT_EQ(index_sram_word(img, l, IndexSramArray::kScale, 3), 0x40800000u);
  t.dim_range[1] = 8;  // does not fit 3 bits
  EXPECT_THROW((void)index_sram_image(t), std::logic_error);
}

}  // namespace
}  // namespace mambahw::model
