// A tensor as a file stores it: an element type, a shape of any rank and the
// raw little-endian bytes in C (row-major) order. The tensor files
// (tensor_file.hpp) read and write this; the conversions below move between
// it and the golden model's Tensor<T> without changing a bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mambahw/golden/tensor.hpp"

namespace mambahw::tensors {

// The element types the project uses. Everything else is refused by name.
enum class DType : std::uint8_t { kInt8, kInt32, kFp16, kBf16, kFp32 };

std::string_view to_string(DType);            // "int8", "int32", "float16", "bfloat16", "float32"
std::optional<DType> parse_dtype(std::string_view);  // the same names
std::size_t dtype_size(DType);
bool is_float(DType);

// Any failure to read, write or convert a tensor file: "<file>: <what>".
class TensorFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoredTensor {
  DType dtype = DType::kFp32;
  std::vector<std::int64_t> shape;  // empty: a scalar (one element)
  std::vector<std::byte> bytes;     // count() * dtype_size(dtype), little-endian, C order

  std::int64_t count() const;
  std::string shape_text() const;   // "[3, 4]"
  friend bool operator==(const StoredTensor&, const StoredTensor&) = default;
};

// Name -> tensor, sorted by name (the order of manifests and listings).
using TensorMap = std::map<std::string, StoredTensor>;

// count(shape) * elem_size (so with elem_size 1 the element count, else the
// bytes), or nullopt when a dimension is negative or the product overflows 2^63.
std::optional<std::int64_t> checked_count(std::span<const std::int64_t> shape, std::size_t elem_size = 1);

// ---- to and from the golden model's tensors ------------------------------------

StoredTensor stored(const FloatTensor& t);   // float32
StoredTensor stored(const Int8Tensor& t);    // int8
StoredTensor stored(const Tensor<std::uint16_t>& t);  // int32: dual-scale words (up to 9 bits)
StoredTensor stored_floats(std::span<const float> v, std::vector<std::int64_t> shape);
StoredTensor stored_int8(std::span<const std::int8_t> v, std::vector<std::int64_t> shape);
StoredTensor stored_fp16(std::span<const std::uint16_t> bits, std::vector<std::int64_t> shape);
StoredTensor stored_scalar(float v);         // float32, shape []

// Element i as a double: exact for every dtype (fp16/bf16 widen exactly).
double element_value(const StoredTensor& t, std::int64_t i);
// Element i of a float tensor widened exactly to float32.
float element_float(const StoredTensor& t, std::int64_t i);

// The values of a float tensor (float16/bfloat16 widened exactly); `what`
// names it in the error for an integer tensor.
std::vector<float> float_values(const StoredTensor& t, std::string_view what);
std::vector<std::int8_t> int8_values(const StoredTensor& t, std::string_view what);

// A golden tensor (rank 1..4) of a float tensor's values, or of an int8 tensor.
FloatTensor to_float_tensor(const StoredTensor& t, std::string_view what);
Int8Tensor to_int8_tensor(const StoredTensor& t, std::string_view what);

// bfloat16 <-> float32: widening is exact; narrowing rounds to nearest even
// (NaN stays a quiet NaN of the same sign).
float bf16_to_fp32(std::uint16_t b);
std::uint16_t fp32_to_bf16(float x);

}  // namespace mambahw::tensors
