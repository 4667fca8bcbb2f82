#include "mambahw/cost/dataflow.hpp"

namespace mambahw::cost {

ArrayRegisterBits fold_register_bits(std::int64_t m, std::int64_t k, std::int64_t n, int activation_bits,
                                     int weight_bits) {
  ArrayRegisterBits b;
  b.weight_load = k * n * weight_bits;
  b.operand = m * k * n * activation_bits + m * (k * (k - 1) / 2) * activation_bits;
  b.psum = m * k * n * kPsumBits + m * (n * (n - 1) / 2) * kPsumBits;
  return b;
}

std::int64_t array_register_bits(int rows, int cols, int weight_bits, int activation_bits, bool double_buffer) {
  const std::int64_t R = rows, C = cols;
  const std::int64_t per_pe = weight_bits * (double_buffer ? 2 : 1) + activation_bits + kPsumBits;
  return R * C * per_pe + R * (R - 1) / 2 * activation_bits + C * (C - 1) / 2 * kPsumBits;
}

}  // namespace mambahw::cost
