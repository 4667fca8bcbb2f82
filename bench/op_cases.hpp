// The kernels' benchmark cases at issue 17's shapes, one place for bench_ops
// and the ggml side-by-side harness:
//   Mamba1 selective scan   d_inner 1536 x d_state 16, L = 2048
//   Mamba2 SSM              24 heads x headdim 64 x d_state 128 (1 group), L = 512
//   conv1d + SiLU + INT8    1536 and 3072 channels, width 4, L = 2048 (prefill order)
//   GEMM                    768 -> 3072 (mamba-130m in_proj), 1, 16 and 512 tokens
// A step is one (channel, state, token) update of a scan; an element one
// conv output.
#pragma once

#include <cstddef>
#include <vector>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/studies/synthetic.hpp"
#include "mambahw/tb/random.hpp"
#include "mambahw/tb/test_shapes.hpp"

namespace mambahw::bench {

struct Mamba1Shape {
  std::size_t d_inner = 1536, d_state = 16, len = 2048;
  double steps() const { return static_cast<double>(d_inner * d_state * len); }
};
struct Mamba2Shape {
  int nheads = 24, headdim = 64, d_state = 128;
  std::size_t len = 512;
  double steps() const { return static_cast<double>(nheads) * headdim * d_state * static_cast<double>(len); }
};
struct ConvShape {
  int channels = 1536;  // width: the model shape's d_conv (4)
  std::size_t len = 2048;
  double elements() const { return static_cast<double>(channels) * static_cast<double>(len); }
};
inline constexpr int kConvChannelCases[] = {1536, 3072};
struct GemmShape {  // mamba-130m's in_proj: d_model -> 2 d_inner
  int in = 768, out = 3072;
};

struct Mamba1Case {
  Mamba1Ssm ssm;
  FloatTensor u;
};
inline Mamba1Case mamba1_case(const Mamba1Shape& m = {}) {
  Rng rng(1);
  Mamba1Case c{tb::random_mamba1_ssm(m.d_inner, m.d_state, m.len, rng), FloatTensor({m.d_inner, m.len})};
  for (auto& v : c.u.vec()) v = static_cast<float>(rng.normal());
  return c;
}

struct Mamba2Case {
  Mamba2Ssm ssm;
  FloatTensor x;
};
inline Mamba2Case mamba2_case(const Mamba2Shape& m = {}) {
  Rng rng(1);
  Mamba2Case c{tb::random_mamba2_ssm(m.nheads, m.headdim, 1, m.d_state, m.len, -3.0, rng),
               FloatTensor({static_cast<std::size_t>(m.nheads * m.headdim), m.len})};
  for (auto& v : c.x.vec()) v = static_cast<float>(rng.normal());
  return c;
}

// The conv's INT8 input (synthetic activations quantized per segment), its
// layer, and one output scale per channel.
struct ConvCase {
  Int8Tensor x;
  ConvLayer layer;
  std::vector<float> out_scales;
};
inline ConvCase conv_case(const ConvShape& m) {
  const ModelShape shape = test::mamba1_shape(m.channels);
  std::vector<float> in_scales;
  ConvCase c;
  c.x = quantize_rows_minmax(synthetic_activations(m.channels, static_cast<int>(m.len), 1), conv_segment_ends(shape),
                             in_scales);
  c.layer = synthetic_conv_layer(shape, 2, in_scales);
  c.out_scales.assign(static_cast<std::size_t>(m.channels), 0.03f);
  return c;
}

}  // namespace mambahw::bench
