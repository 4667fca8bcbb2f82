// Random stimulus for tests and benchmarks of the golden SSM core (never used
// by the golden model itself).
#pragma once

#include <cstddef>

#include "mambahw/golden/ssm.hpp"
#include "mambahw/studies/synthetic.hpp"

namespace mambahw::tb {

// A [rows][cols] INT8 tensor of uniform codes in [lo, hi] with the given
// scale (SSM-core stimulus for tests and benchmarks).
QTensor random_qtensor(std::size_t rows, std::size_t cols, float scale, Rng& rng, int lo = -128, int hi = 127);

// A Mamba1 SSM's quantized operands [d_inner][L] etc., drawn in this order: Δ
// codes (scale 0.02), Δ bias (0.03), A_log codes in [0, 127] (2.77/127), B and
// C (0.02), D (1/127), z (0.05). The SSM input u is the caller's.
Mamba1Ssm random_mamba1_ssm(std::size_t d_inner, std::size_t d_state, std::size_t len, Rng& rng);

// A Mamba2 SSM's quantized operands for tests and benchmarks, drawn in this
// order: Δ codes (scale 0.02), dt_bias as FP16 values uniform in
// [dt_bias_low, dt_bias_low + 1), A_log codes in [0, 127] (scale 2.77/127),
// B and C codes (group scales 0.01, 0.02, ... and 0.015, 0.01, ...), D codes
// (scale 1/127). The SSM input x is the caller's.
Mamba2Ssm random_mamba2_ssm(int nheads, int headdim, int ngroups, int d_state, std::size_t len, double dt_bias_low,
                            Rng& rng);

}  // namespace mambahw::tb
