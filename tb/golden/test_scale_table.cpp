// Quamba2 scale-index lookup on hand-built tables with uneven groups.
#include <gtest/gtest.h>

#include "mambahw/golden/scale_table.hpp"
#include "mambahw/tb/test_shapes.hpp"
#include "mambahw/tb/scale_index_counting.hpp"

namespace mambahw {
namespace {

using tb::lookup_scale_index_counting;

// G = 2 SSD groups of 6 heads, headdim 8, 3 head groups, 2 dim groups.
//   g0: heads [0,1) [1,4) [4,6);  dims: hg0 [0,3)[3,8)  hg1 [0,4)[4,8)  hg2 [0,7)[7,8)
//   g1: heads [0,3) [3,5) [5,6);  dims: hg0 [0,2)[2,8)  hg1 [0,5)[5,8)  hg2 [0,1)[1,8)
// Channel c: g = c / 48, head = (c % 48) / 8, dim = c % 8.
Quamba2ScaleTable hand_table() {
  Quamba2ScaleTable t;
  t.shape = {2, 3, 2, 6, 8, 4};
  t.head_range = {1, 4, 6, 3, 5, 6};
  t.dim_range = {3, 8, 4, 8, 7, 8, 2, 8, 5, 8, 1, 8};
  for (int i = 0; i < 12; ++i) t.x_scales.push_back(0.01f * static_cast<float>(i + 1));
  t.b_scales = {0.5f, 0.25f};
  t.c_scales = {0.125f, 2.0f};
  return t;
}

struct Expect { int channel, g, hg, dg, compares; };

TEST(ScaleIndex, HandBuiltUnevenTable) {
  const Quamba2ScaleTable t = hand_table();
  ASSERT_EQ(validate(t), "");
  const Expect cases[] = {
      {0, 0, 0, 0, 2},            // head 0 < 1; dim 0 < 3
      {2, 0, 0, 0, 2},            // dim 2 < 3
      {3, 0, 0, 1, 3},            // dim 3 >= 3: second dim group
      {8, 0, 1, 0, 3},            // head 1: second head group; dim 0 < 4
      {8 * 3 + 7, 0, 1, 1, 4},    // head 3 dim 7
      {8 * 4 + 6, 0, 2, 0, 4},    // head 4 (>= 4, < 6), dim 6 < 7
      {47, 0, 2, 1, 5},           // head 5 dim 7: worst case, 3 + 2 compares
      {48, 1, 0, 0, 2},           // group 1 head 0 dim 0
      {48 + 8 * 3 + 4, 1, 1, 0, 3},  // head 3 (>= 3, < 5), dim 4 < 5
      {48 + 8 * 5 + 0, 1, 2, 0, 4},  // head 5, dim 0 < 1
      {48 + 8 * 5 + 1, 1, 2, 1, 5},  // head 5, dim 1
  };
  for (const Expect& e : cases) {
    const ScaleIndex ix = lookup_scale_index(t, e.channel);
    EXPECT_EQ(ix.g, e.g) << e.channel;
    EXPECT_EQ(ix.hg, e.hg) << e.channel;
    EXPECT_EQ(ix.dg, e.dg) << e.channel;
    EXPECT_EQ(ix.compares, e.compares) << e.channel;
    const int cell = (e.g * 3 + e.hg) * 2 + e.dg;
    EXPECT_EQ(x_out_scale(t, e.channel), 0.01f * static_cast<float>(cell + 1)) << e.channel;
  }
}

TEST(ScaleIndex, LoopAndCountingFormsAgreeOnWellFormedTables) {
  const Quamba2ScaleTable t = hand_table();
  for (int c = 0; c < 96; ++c) {
    const ScaleIndex a = lookup_scale_index(t, c), b = lookup_scale_index_counting(t, c);
    EXPECT_EQ(a.hg, b.hg) << c;
    EXPECT_EQ(a.dg, b.dg) << c;
    EXPECT_TRUE(a.found());
  }
}

TEST(ScaleIndex, UncoveredChannelsGetScaleZero) {
  Quamba2ScaleTable t = hand_table();
  t.head_range[2] = 5;       // g0 head 5 no longer covered
  t.dim_range[4] = 6;        // g0 hg2 dims [0,6) [6,8) still covered...
  t.dim_range[5] = 7;        // ...but dim 7 of g0 hg2 now is not
  for (int c = 40; c < 48; ++c) {  // g0 head 5
    const ScaleIndex ix = lookup_scale_index(t, c);
    EXPECT_FALSE(ix.found());
    EXPECT_EQ(ix.hg, -1);
    EXPECT_EQ(ix.compares, 3);  // all three head groups compared
    EXPECT_EQ(x_out_scale(t, c), 0.0f);
  }
  const ScaleIndex d7 = lookup_scale_index(t, 8 * 4 + 7);  // g0 head 4 dim 7
  EXPECT_EQ(d7.hg, 2);
  EXPECT_EQ(d7.dg, -1);
  EXPECT_EQ(d7.compares, 3 + 2);
  EXPECT_EQ(x_out_scale(t, 8 * 4 + 7), 0.0f);
  EXPECT_EQ(x_out_scale(t, 8 * 4 + 6), 0.01f * 6);  // dim 6 in [6,7): cell (0,2,1) = index 5
  EXPECT_NE(validate(t), "");
}

TEST(ScaleTable, ValidateNamesTheProblem) {
  Quamba2ScaleTable t = hand_table();
  t.head_range[1] = 1;  // g0: [1, 1, 6] not increasing
  EXPECT_EQ(validate(t), "x_head_group_range[0][1] = 1 must be greater than the previous end 1");
  t = hand_table();
  t.head_range[5] = 7;
  EXPECT_EQ(validate(t), "x_head_group_range[1] ends at 7 but must end at nheads/ngroups = 6");
  t = hand_table();
  t.dim_range[1] = 9;
  EXPECT_EQ(validate(t), "x_dim_group_range[0][0] ends at 9 but must end at headdim = 8");
  t = hand_table();
  t.x_scales[3] = -1.0f;
  EXPECT_EQ(validate(t), "x_out_scales[0][1][1] must be a positive, finite, normal FP32 number");
  t = hand_table();
  t.b_scales.pop_back();
  EXPECT_EQ(validate(t), "B and C scales must have one entry per SSD group");
}

TEST(ScaleTable, UniformSplitPutsRemainderInLastGroup) {
  const Quamba2ScaleTable t = Quamba2ScaleTable::uniform({1, 4, 4, 6, 10, 4}, 0.5f);
  EXPECT_EQ(t.head_range, (std::vector<int>{1, 2, 3, 6}));
  EXPECT_EQ(std::vector<int>(t.dim_range.begin(), t.dim_range.begin() + 4), (std::vector<int>{2, 4, 6, 10}));
  EXPECT_EQ(validate(t), "");
}

TEST(ScaleTable, ConvOutScalesOfMamba2Channels) {
  const ModelShape m = test::mamba2_shape(96, 12, 8, 2, 4);
  const Quamba2ScaleTable t = hand_table();
  const std::vector<float> s = quamba2_conv_out_scales(t, m);
  ASSERT_EQ(s.size(), 112u);
  EXPECT_EQ(s[47], 0.01f * 6);    // cell (0,2,1)
  EXPECT_EQ(s[96], 0.5f);         // B, group 0
  EXPECT_EQ(s[100], 0.25f);       // B, group 1
  EXPECT_EQ(s[104], 0.125f);      // C, group 0
  EXPECT_EQ(s[111], 2.0f);        // C, group 1
}

}  // namespace
}  // namespace mambahw
