// exp in double precision for the FP64 reference layer's selective scans
// (reference_layer: the calibration's model, not the accelerator's exp
// unit). libm's exp gave these values before; its result is the library's
// (glibc picks an FMA or a plain build of it by the host's CPU, which need
// not agree in the last bit), and it runs one value at a time. This one is
// ours, the same bits on every host and kernel variant (kernel_isa.hpp), and
// runs in lanes (docs/layer.md, "The FP64 reference's exp"):
//
//   x clamped to [-746, 710] (NaN passes);
//   kd = (x * 64/ln2 + 1.5 * 2^52) - 1.5 * 2^52   (k = round(x * 64/ln2), ties to even)
//   r  = (x - kd * ln2hi/64) - kd * ln2lo/64       (Cody-Waite; kd * ln2hi/64 exact)
//   p  = r + r^2 (1/2 + r/6) + r^4 (1/24 + r/120 + r^2/720)   (|r| <= ln2/128)
//   e^x = ((T[k mod 64] + T[k mod 64] * p) * 2^m1) * 2^m2,   m1 + m2 = floor(k / 64)
//
// with T[j] = 2^(j/64) rounded to nearest, each step one IEEE double
// operation (no FMA), and the power of two in two factors so that subnormal
// results round once and overflow gives infinity. Error below 1.1 ulp of the
// exact value (ReferenceExp.*: against long double expl).
#pragma once

#include <cstddef>

namespace mambahw {

double reference_exp(double x);
// y[i] = reference_exp(x[i]) for i < n, in lanes; x and y may be the same array.
void reference_exp_batch(const double* x, double* y, std::size_t n);

}  // namespace mambahw
