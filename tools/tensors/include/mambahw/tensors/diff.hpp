// Element-by-element comparison of two tensors, or of two sets of tensors
// matched by name (two dumps): what the researchers computed by hand.
//   exact       elements with identical bit patterns (so +0 != -0, and NaNs
//               match only with the same payload)
//   abs / rel   |a - b| and |a - b| / |a| (A is the reference; rel over the
//               elements with a != 0), in double, over the finite pairs
//   ulp         distance along the ordered bit line of the tensors' own
//               float format (float16 ulps for float16), as a power-of-two
//               histogram; +0 vs -0 is 0 ulp but not exact
//   top         the k largest |a - b| (non-finite mismatches first) with
//               both values and the multi-index
// Tolerances: by default a tensor matches only bit for bit; with atol/rtol an
// element also matches when |a - b| <= atol + rtol * |a| (both finite).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mambahw/tensors/stored_tensor.hpp"

namespace mambahw::tensors {

struct DiffOptions {
  int top_k = 5;
  double atol = 0.0;
  double rtol = 0.0;
  bool tolerant() const { return atol > 0.0 || rtol > 0.0; }
};

enum class DiffStatus : std::uint8_t {
  kIdentical,        // same dtype, shape and bits
  kWithinTolerance,  // same dtype and shape, every element within atol + rtol|a|
  kDiffer,           // same shape, some element differs (dtype may differ too)
  kShapeMismatch,    // not compared element by element
  kOnlyInA,
  kOnlyInB,
};
std::string_view to_string(DiffStatus);

struct DiffPosition {
  std::vector<std::int64_t> index;
  double a = 0, b = 0;
  double abs_diff = 0;   // +Inf for a non-finite mismatch
  std::int64_t ulp = -1; // -1: integer tensors or non-finite
};

struct UlpBucket {
  std::int64_t upto = 0;  // distances in (previous upto, upto]; 0 is its own bucket; -1: above 2^24
  std::int64_t count = 0;
};

struct TensorDiff {
  std::string name;
  DiffStatus status = DiffStatus::kIdentical;
  std::string dtype_a, dtype_b;
  std::vector<std::int64_t> shape_a, shape_b;
  std::int64_t count = 0;          // elements compared
  std::int64_t exact = 0;          // identical bit patterns
  std::int64_t within = 0;         // exact or within tolerance
  std::int64_t nonfinite_mismatch = 0;  // NaN/Inf on one side, or different specials
  std::int64_t signed_zero = 0;    // +0 vs -0
  double max_abs = 0, mean_abs = 0;
  double max_rel = 0, mean_rel = 0;
  std::int64_t rel_count = 0;      // finite pairs with a != 0
  std::vector<UlpBucket> ulp_histogram;  // float tensors, non-empty buckets only
  std::vector<DiffPosition> top;
  bool match() const { return status == DiffStatus::kIdentical || status == DiffStatus::kWithinTolerance; }
};

struct DiffReport {
  std::vector<TensorDiff> tensors;
  bool match() const;
  std::int64_t matching() const;
};

TensorDiff diff_tensor(const std::string& name, const StoredTensor& a, const StoredTensor& b, const DiffOptions& o = {});
DiffReport diff_tensor_maps(const TensorMap& a, const TensorMap& b, const DiffOptions& o = {});

// Distance in ulps of the dtype's own format between two finite values'
// bit patterns (float32, float16 or bfloat16 bits in the low bits).
std::int64_t ulp_distance_bits(std::uint32_t a, std::uint32_t b, DType d);

}  // namespace mambahw::tensors
