#include "mambahw/tensors/diff.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

namespace mambahw::tensors {

std::string_view to_string(DiffStatus s) {
  switch (s) {
    case DiffStatus::kIdentical: return "identical";
    case DiffStatus::kWithinTolerance: return "within_tolerance";
    case DiffStatus::kDiffer: return "differ";
    case DiffStatus::kShapeMismatch: return "shape_mismatch";
    case DiffStatus::kOnlyInA: return "only_in_a";
    case DiffStatus::kOnlyInB: return "only_in_b";
  }
  return "?";
}

bool DiffReport::match() const {
  return std::all_of(tensors.begin(), tensors.end(), [](const TensorDiff& t) { return t.match(); });
}
std::int64_t DiffReport::matching() const {
  return std::count_if(tensors.begin(), tensors.end(), [](const TensorDiff& t) { return t.match(); });
}

namespace {

int value_bits(DType d) { return d == DType::kFp32 ? 32 : 16; }

std::uint32_t raw_bits(const StoredTensor& t, std::int64_t i) {
  const std::size_t es = dtype_size(t.dtype);
  std::uint32_t v = 0;
  std::memcpy(&v, t.bytes.data() + static_cast<std::size_t>(i) * es, es);
  return v;
}

std::vector<std::int64_t> multi_index(std::int64_t flat, const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> idx(shape.size());
  for (std::size_t i = shape.size(); i-- > 0;) {
    idx[i] = shape[i] ? flat % shape[i] : 0;
    flat = shape[i] ? flat / shape[i] : 0;
  }
  return idx;
}

}  // namespace

std::int64_t ulp_distance_bits(std::uint32_t a, std::uint32_t b, DType d) {
  const int w = value_bits(d);
  const std::int64_t sign = std::int64_t{1} << (w - 1);
  auto ordered = [&](std::uint32_t x) -> std::int64_t {
    const std::int64_t v = static_cast<std::int64_t>(x);
    return (v & sign) ? -(v & (sign - 1)) : v;
  };
  const std::int64_t diff = ordered(a) - ordered(b);
  return diff < 0 ? -diff : diff;
}

TensorDiff diff_tensor(const std::string& name, const StoredTensor& a, const StoredTensor& b, const DiffOptions& o) {
  TensorDiff r;
  r.name = name;
  r.dtype_a = to_string(a.dtype);
  r.dtype_b = to_string(b.dtype);
  r.shape_a = a.shape;
  r.shape_b = b.shape;
  if (a.shape != b.shape) {
    r.status = DiffStatus::kShapeMismatch;
    return r;
  }
  const bool same_type = a.dtype == b.dtype;
  const bool ulps = same_type && is_float(a.dtype);
  r.count = a.count();
  std::vector<std::int64_t> hist(27, 0);  // [0]: 0 ulp; [k]: (2^(k-2), 2^(k-1)]; [26]: above 2^24
  using Item = std::pair<double, std::int64_t>;  // min-heap of the k largest differences
  std::priority_queue<Item, std::vector<Item>, std::greater<>> top;
  double sum_abs = 0, sum_rel = 0;
  std::int64_t finite_pairs = 0;
  for (std::int64_t i = 0; i < r.count; ++i) {
    const double va = element_value(a, i), vb = element_value(b, i);
    const bool exact = same_type ? raw_bits(a, i) == raw_bits(b, i) : (va == vb && std::signbit(va) == std::signbit(vb));
    if (exact) {
      ++r.exact;
      ++r.within;
      if (ulps) ++hist[0];
      if (std::isfinite(va)) ++finite_pairs, r.rel_count += va != 0.0;
      continue;
    }
    double d;
    if (!std::isfinite(va) || !std::isfinite(vb)) {
      ++r.nonfinite_mismatch;
      d = HUGE_VAL;
    } else {
      d = std::fabs(va - vb);
      ++finite_pairs;
      sum_abs += d;
      r.max_abs = std::max(r.max_abs, d);
      if (va != 0.0) {
        const double rel = d / std::fabs(va);
        sum_rel += rel;
        r.max_rel = std::max(r.max_rel, rel);
        ++r.rel_count;
      }
      if (d == 0.0) ++r.signed_zero;
      if (o.tolerant() && d <= o.atol + o.rtol * std::fabs(va)) ++r.within;
      if (ulps) {
        const std::int64_t u = ulp_distance_bits(raw_bits(a, i), raw_bits(b, i), a.dtype);
        int k = 0;
        if (u > 0) {
          k = 1;
          while (k < 26 && (std::int64_t{1} << (k - 1)) < u) ++k;
        }
        ++hist[static_cast<std::size_t>(k)];
      }
    }
    if (o.top_k > 0) {
      if (static_cast<int>(top.size()) < o.top_k) {
        top.emplace(d, i);
      } else if (d > top.top().first) {
        top.pop();
        top.emplace(d, i);
      }
    }
  }
  r.mean_abs = finite_pairs ? sum_abs / static_cast<double>(finite_pairs) : 0.0;
  r.mean_rel = r.rel_count ? sum_rel / static_cast<double>(r.rel_count) : 0.0;
  if (ulps)
    for (std::size_t k = 0; k < hist.size(); ++k)
      if (hist[k]) r.ulp_histogram.push_back({k == 0 ? 0 : k == 26 ? -1 : std::int64_t{1} << (k - 1), hist[k]});
  for (; !top.empty(); top.pop()) {
    const auto [d, i] = top.top();
    DiffPosition p{multi_index(i, a.shape), element_value(a, i), element_value(b, i), d, -1};
    if (ulps && std::isfinite(p.a) && std::isfinite(p.b)) p.ulp = ulp_distance_bits(raw_bits(a, i), raw_bits(b, i), a.dtype);
    r.top.push_back(std::move(p));
  }
  std::reverse(r.top.begin(), r.top.end());
  if (r.exact == r.count && same_type) r.status = DiffStatus::kIdentical;
  else if (r.within == r.count && same_type && o.tolerant()) r.status = DiffStatus::kWithinTolerance;
  else r.status = DiffStatus::kDiffer;
  return r;
}

namespace {
TensorDiff one_sided(const std::string& name, const StoredTensor& t, bool in_a) {
  TensorDiff d;
  d.name = name;
  d.status = in_a ? DiffStatus::kOnlyInA : DiffStatus::kOnlyInB;
  (in_a ? d.dtype_a : d.dtype_b) = to_string(t.dtype);
  (in_a ? d.shape_a : d.shape_b) = t.shape;
  return d;
}
}  // namespace

DiffReport diff_tensor_maps(const TensorMap& a, const TensorMap& b, const DiffOptions& o) {
  DiffReport rep;
  for (const auto& [name, ta] : a) {
    const auto it = b.find(name);
    rep.tensors.push_back(it == b.end() ? one_sided(name, ta, true) : diff_tensor(name, ta, it->second, o));
  }
  for (const auto& [name, tb] : b)
    if (!a.count(name)) rep.tensors.push_back(one_sided(name, tb, false));
  return rep;
}

}  // namespace mambahw::tensors
