// Seeded synthetic weights and activations with realistic statistics. Uses
// only integer arithmetic and correctly rounded IEEE operations (+ - * / sqrt),
// never libm transcendentals or std:: distributions (whose algorithms are
// implementation-defined), so the same seed gives the same bits on every
// machine and compiler.
#pragma once

#include <cstdint>
#include <span>

#include "mambahw/conv.hpp"
#include "mambahw/model_shape.hpp"
#include "mambahw/ssm.hpp"
#include "mambahw/tensor.hpp"

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

// Quamba's parameter quantization (conv weights and bias, A_log, D, dt_bias):
// scale = fp32(max(absmax, 1e-5) / 127), q = torch.round(w / scale) (half to
// even, true division), saturated. Returns the scale.
float quantize_absmax_int8(std::span<const float> w, std::span<std::int8_t> q);

// A [rows][cols] INT8 tensor of uniform codes in [lo, hi] with the given
// scale (SSM-core stimulus for tests and benchmarks).
QTensor random_qtensor(std::size_t rows, std::size_t cols, float scale, Rng& rng, int lo = -128, int hi = 127);

// A Mamba2 SSM's quantized operands for tests and benchmarks, drawn in this
// order: Δ codes (scale 0.02), dt_bias as FP16 values uniform in
// [dt_bias_low, dt_bias_low + 1), A_log codes in [0, 127] (scale 2.77/127),
// B and C codes (group scales 0.01, 0.02, ... and 0.015, 0.01, ...), D codes
// (scale 1/127). The SSM input x is the caller's.
Mamba2Ssm random_mamba2_ssm(int nheads, int headdim, int ngroups, int d_state, std::size_t len, double dt_bias_low,
                            Rng& rng);

// INT8 quantization of an FP32 tensor per segment of rows (the in_proj output
// quantizer), half to even, saturating. If `scales` holds one scale per
// segment they are used; otherwise min-max scales are computed and stored.
Int8Tensor quantize_rows_minmax(const FloatTensor& x, std::span<const int> segment_end,
                                std::vector<float>& scales);

}  // namespace mambahw
