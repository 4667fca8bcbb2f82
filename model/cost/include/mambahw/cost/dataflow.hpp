// Register traffic inside the weight-stationary GEMM array, per fold
// (docs/cost-model.md, "GEMM array dataflow"). The one place these counts
// are defined: the SystemC GEMM array adds them fold by fold, the tests
// check them by hand.
//
// A fold puts a k x n weight tile (k <= R rows along the reduction, n <= C
// columns along the outputs) into the PEs and streams m activation rows
// through it:
//  - weight load: every PE of the tile writes its weight register once
//    (k n weight_bits; with double buffering into the shadow register,
//    whose swap is a select, not another write);
//  - operand forwarding: each activation enters its row and is registered
//    once per PE it passes, n PEs (m k n activation_bits);
//  - input skew: row r's activations wait r cycles in a skew FIFO so that
//    the wavefront meets the partial sums (m k(k-1)/2 activation_bits);
//  - partial-sum chain: every PE registers its 32-bit partial sum for the
//    PE below (m k n 32);
//  - output deskew: column c's sums wait n-1-c cycles to leave aligned
//    (m n(n-1)/2 32);
//  - accumulation across folds is the accumulator memory's, counted apart
//    (Counter::kRegisterBits: each output read and written once per fold).
#pragma once

#include <cstdint>

namespace mambahw::cost {

inline constexpr int kPsumBits = 32;  // INT32 partial sums and accumulators

struct ArrayRegisterBits {
  std::int64_t weight_load = 0;  // weight registers written
  std::int64_t operand = 0;      // activation forwarding + input skew FIFO
  std::int64_t psum = 0;         // partial-sum chain + output deskew FIFO
  std::int64_t total() const { return weight_load + operand + psum; }
};

// Register bits written in one fold of m rows over a k x n tile.
ArrayRegisterBits fold_register_bits(std::int64_t m, std::int64_t k, std::int64_t n, int activation_bits,
                                     int weight_bits);

// Registers the array holds (for its area and leakage): per PE a weight,
// its shadow when double-buffered, an activation and a partial sum; the
// skew FIFO R(R-1)/2 activations and the deskew FIFO C(C-1)/2 sums.
std::int64_t array_register_bits(int rows, int cols, int weight_bits, int activation_bits, bool double_buffer);

}  // namespace mambahw::cost
