// Seeded synthetic weights and activations with realistic statistics. Uses
// only integer arithmetic and correctly rounded IEEE operations (+ - * / sqrt),
// never libm transcendentals or std:: distributions (whose algorithms are
// implementation-defined), so the same seed gives the same bits on every
// machine and compiler.
#pragma once

#include <cstdint>
#include <span>

#include "mambahw/golden/conv.hpp"
#include "mambahw/golden/model_shape.hpp"
#include "mambahw/golden/ssm.hpp"
#include "mambahw/golden/tensor.hpp"

namespace mambahw {

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  double uniform();              // [0, 1), 53 random bits
  double normal();               // Irwin-Hall(12) - 6: mean 0, variance 1, |x| <= 6
  std::uint64_t below(std::uint64_t n);  // [0, n), unbiased
 private:
  std::uint64_t s_[4];
};

// Stream identifiers, so that changing one generator never shifts another's draws.
enum class Stream : std::uint64_t { kConvWeights = 1, kActivations = 2, kCalibration = 3 };
std::uint64_t stream_seed(std::uint64_t seed, Stream s, std::uint64_t index = 0);

// Heavy-tailed activations [channels][L] in FP32: a Gaussian body, a few
// outlier channels with a 2-6x larger spread (about 2% of channels), and rare
// spikes (0.05% of elements, 2-6x). This is the shape of Mamba's
// in_proj outputs that made Quamba keep percentile scales.
FloatTensor synthetic_activations(int channels, int len, std::uint64_t seed);

// A conv layer for model m with int8 weights/bias: per-segment absmax/127
// weight and bias scales (torch.round, half to even), and the given input
// activation scale per segment.
ConvLayer synthetic_conv_layer(const ModelShape& m, std::uint64_t seed,
                               std::span<const float> input_scale_per_segment);

// INT8 quantization of an FP32 tensor per segment of rows (the in_proj output
// quantizer), half to even, saturating. If `scales` holds one scale per
// segment they are used; otherwise min-max scales are computed and stored.
Int8Tensor quantize_rows_minmax(const FloatTensor& x, std::span<const int> segment_end,
                                std::vector<float>& scales);

}  // namespace mambahw
