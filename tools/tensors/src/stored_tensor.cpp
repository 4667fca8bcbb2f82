#include "mambahw/tensors/stored_tensor.hpp"

#include <bit>
#include <cstring>
#include <limits>

#include "mambahw/golden/numerics.hpp"

namespace mambahw::tensors {

static_assert(std::endian::native == std::endian::little, "tensor files are little-endian; so must the host be");

std::string_view to_string(DType d) {
  switch (d) {
    case DType::kInt8: return "int8";
    case DType::kInt32: return "int32";
    case DType::kFp16: return "float16";
    case DType::kBf16: return "bfloat16";
    case DType::kFp32: return "float32";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view s) {
  for (DType d : {DType::kInt8, DType::kInt32, DType::kFp16, DType::kBf16, DType::kFp32})
    if (s == to_string(d)) return d;
  return std::nullopt;
}

std::size_t dtype_size(DType d) {
  switch (d) {
    case DType::kInt8: return 1;
    case DType::kInt32: return 4;
    case DType::kFp16:
    case DType::kBf16: return 2;
    case DType::kFp32: return 4;
  }
  return 1;
}

bool is_float(DType d) { return d == DType::kFp16 || d == DType::kBf16 || d == DType::kFp32; }

std::optional<std::int64_t> checked_count(std::span<const std::int64_t> shape, std::size_t elem_size) {
  std::int64_t n = static_cast<std::int64_t>(elem_size);
  for (std::int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) return std::nullopt;
    n *= d;
  }
  return n;
}

std::int64_t StoredTensor::count() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::string StoredTensor::shape_text() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

template <class T>
StoredTensor make(DType d, std::span<const T> v, std::vector<std::int64_t> shape) {
  StoredTensor t{d, std::move(shape), {}};
  if (t.count() != static_cast<std::int64_t>(v.size()))
    throw std::invalid_argument("stored tensor: " + std::to_string(v.size()) + " values for shape " + t.shape_text());
  t.bytes.resize(v.size_bytes());
  if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), v.size_bytes());
  return t;
}

template <class T>
std::vector<std::int64_t> shape_of(const Tensor<T>& t) {
  std::vector<std::int64_t> s;
  for (std::size_t i = 0; i < t.rank(); ++i) s.push_back(static_cast<std::int64_t>(t.dim(i)));
  return s;
}

template <class T>
T load(const StoredTensor& t, std::int64_t i) {
  T v;
  std::memcpy(&v, t.bytes.data() + static_cast<std::size_t>(i) * sizeof(T), sizeof(T));
  return v;
}

template <class T>
Tensor<T> golden_tensor(const StoredTensor& t, std::vector<T> values, std::string_view what) {
  const auto d = [&](std::size_t i) { return static_cast<std::size_t>(t.shape[i]); };
  Tensor<T> g;
  switch (t.shape.size()) {
    case 0: g = Tensor<T>({1}); break;
    case 1: g = Tensor<T>({d(0)}); break;
    case 2: g = Tensor<T>({d(0), d(1)}); break;
    case 3: g = Tensor<T>({d(0), d(1), d(2)}); break;
    case 4: g = Tensor<T>({d(0), d(1), d(2), d(3)}); break;
    default:
      throw TensorFileError(std::string(what) + ": rank " + std::to_string(t.shape.size()) +
                            " (shape " + t.shape_text() + "); the golden model's tensors have rank 1 to 4");
  }
  g.vec() = std::move(values);
  return g;
}

}  // namespace

StoredTensor stored(const FloatTensor& t) { return make<float>(DType::kFp32, t.vec(), shape_of(t)); }
StoredTensor stored(const Int8Tensor& t) { return make<std::int8_t>(DType::kInt8, t.vec(), shape_of(t)); }
StoredTensor stored(const Tensor<std::uint16_t>& t) {
  const std::vector<std::int32_t> wide(t.vec().begin(), t.vec().end());
  return make<std::int32_t>(DType::kInt32, wide, shape_of(t));
}
StoredTensor stored_floats(std::span<const float> v, std::vector<std::int64_t> shape) {
  return make<float>(DType::kFp32, v, std::move(shape));
}
StoredTensor stored_int8(std::span<const std::int8_t> v, std::vector<std::int64_t> shape) {
  return make<std::int8_t>(DType::kInt8, v, std::move(shape));
}
StoredTensor stored_fp16(std::span<const std::uint16_t> bits, std::vector<std::int64_t> shape) {
  return make<std::uint16_t>(DType::kFp16, bits, std::move(shape));
}
StoredTensor stored_scalar(float v) { return make<float>(DType::kFp32, std::span<const float>(&v, 1), {}); }

float bf16_to_fp32(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

std::uint16_t fp32_to_bf16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  if ((u & 0x7F80'0000u) == 0x7F80'0000u && (u & 0x007F'FFFFu) != 0)
    return static_cast<std::uint16_t>((u >> 16) | 0x0040u);  // quiet NaN, sign kept
  const std::uint32_t lsb = (u >> 16) & 1u;
  return static_cast<std::uint16_t>((u + 0x7FFFu + lsb) >> 16);  // round to nearest even; overflow gives Inf
}

float element_float(const StoredTensor& t, std::int64_t i) {
  switch (t.dtype) {
    case DType::kFp32: return load<float>(t, i);
    case DType::kFp16: return fp16_to_fp32(load<std::uint16_t>(t, i));
    case DType::kBf16: return bf16_to_fp32(load<std::uint16_t>(t, i));
    case DType::kInt8: return static_cast<float>(load<std::int8_t>(t, i));
    case DType::kInt32: return static_cast<float>(load<std::int32_t>(t, i));
  }
  return 0.0f;
}

double element_value(const StoredTensor& t, std::int64_t i) {
  if (t.dtype == DType::kInt32) return static_cast<double>(load<std::int32_t>(t, i));
  return static_cast<double>(element_float(t, i));
}

std::vector<float> float_values(const StoredTensor& t, std::string_view what) {
  if (!is_float(t.dtype))
    throw TensorFileError(std::string(what) + ": dtype " + std::string(to_string(t.dtype)) +
                          ", expected a float tensor (float32, float16 or bfloat16)");
  std::vector<float> v(static_cast<std::size_t>(t.count()));
  if (t.dtype == DType::kFp32) {
    if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  } else {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = element_float(t, static_cast<std::int64_t>(i));
  }
  return v;
}

std::vector<std::int8_t> int8_values(const StoredTensor& t, std::string_view what) {
  if (t.dtype != DType::kInt8)
    throw TensorFileError(std::string(what) + ": dtype " + std::string(to_string(t.dtype)) + ", expected int8");
  std::vector<std::int8_t> v(t.bytes.size());
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), v.size());
  return v;
}

FloatTensor to_float_tensor(const StoredTensor& t, std::string_view what) {
  return golden_tensor<float>(t, float_values(t, what), what);
}
Int8Tensor to_int8_tensor(const StoredTensor& t, std::string_view what) {
  return golden_tensor<std::int8_t>(t, int8_values(t, what), what);
}

}  // namespace mambahw::tensors
