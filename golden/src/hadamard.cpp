#include "mambahw/hadamard.hpp"

#include <bit>
#include <cassert>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mambahw {

namespace {

bool is_pow2(int n) { return n > 0 && (n & (n - 1)) == 0; }

// Legendre symbol of a mod p (p an odd prime): +1 for a nonzero square, -1 otherwise, 0 for 0.
int legendre(int a, int p) {
  a = ((a % p) + p) % p;
  if (a == 0) return 0;
  for (int x = 1; x < p; ++x)
    if (x * x % p == a) return 1;
  return -1;
}

// Paley construction I for a prime p ≡ 3 (mod 4), normalised so that the
// first column is all +1 and the first row is +1 then -1.
std::vector<std::int8_t> paley(int p) {
  const int n = p + 1;
  std::vector<std::int8_t> h(static_cast<std::size_t>(n * n));
  auto at = [&](int r, int c) -> std::int8_t& { return h[static_cast<std::size_t>(r * n + c)]; };
  at(0, 0) = 1;
  for (int c = 1; c < n; ++c) at(0, c) = -1;
  for (int i = 0; i < p; ++i) {
    at(i + 1, 0) = 1;
    for (int j = 0; j < p; ++j) at(i + 1, j + 1) = static_cast<std::int8_t>(i == j ? 1 : -legendre(j - i, p));
  }
  return h;
}

std::vector<std::int8_t> kron_h2(const std::vector<std::int8_t>& a, int m) {
  const int n = 2 * m;
  std::vector<std::int8_t> h(static_cast<std::size_t>(n * n));
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const int sign = (r >= m && c >= m) ? -1 : 1;
      h[static_cast<std::size_t>(r * n + c)] =
          static_cast<std::int8_t>(sign * a[static_cast<std::size_t>((r % m) * m + c % m)]);
    }
  return h;
}

}  // namespace

std::optional<HadamardSize> hadamard_size(int n) {
  if (n <= 0) return std::nullopt;
  for (int base : {12, 40}) {
    if (n % base != 0) continue;
    if (!is_pow2(n / base)) return std::nullopt;
    return HadamardSize{base, n / base};
  }
  if (is_pow2(n)) return HadamardSize{1, n};
  return std::nullopt;
}

std::string hadamard_size_problem(int n) {
  if (hadamard_size(n)) return {};
  return std::to_string(n) + " is not 12*2^k, 40*2^k or 2^k (the online Hadamard's sizes)";
}

HadamardSize require_hadamard_size(int d_inner) {
  if (const std::optional<HadamardSize> s = hadamard_size(d_inner)) return *s;
  throw std::invalid_argument("out_proj Hadamard: d_inner = " + hadamard_size_problem(d_inner));
}

const std::vector<std::int8_t>& hadamard_base(int base) {
  static const std::vector<std::int8_t> h1{1};
  static const std::vector<std::int8_t> h12 = paley(11);
  static const std::vector<std::int8_t> h40 = kron_h2(paley(19), 20);
  switch (base) {
    case 1: return h1;
    case 12: return h12;
    case 40: return h40;
    default: throw std::invalid_argument("hadamard_base: base must be 1, 12 or 40");
  }
}

int hadamard_entry(HadamardSize s, int row, int col) {
  const int c = row / s.pow2, j = row % s.pow2, c2 = col / s.pow2, j2 = col % s.pow2;
  const int sylvester = (std::popcount(static_cast<unsigned>(j & j2)) & 1) ? -1 : 1;
  return hadamard_base(s.base)[static_cast<std::size_t>(c * s.base + c2)] * sylvester;
}

std::int64_t hadamard_adds(HadamardSize s) {
  const int k = std::countr_zero(static_cast<unsigned>(s.pow2));
  return static_cast<std::int64_t>(s.n()) * (k + s.base - 1);
}

namespace {

// Shared by the FP32 and double forms: the same operations on every element
// in the same order (§13), so the double form is the exact-arithmetic
// counterpart of the FP32 one. Loops run over contiguous j so they vectorise;
// each element still sees its own sequence of additions.
template <class T, class Add, class Sub>
void transform(std::span<T> v, HadamardSize s, Add add, Sub sub) {
  assert(v.size() == static_cast<std::size_t>(s.n()));
  const std::size_t m = static_cast<std::size_t>(s.pow2);
  for (std::size_t block = 0; block < static_cast<std::size_t>(s.base); ++block) {
    T* x = v.data() + block * m;
    for (std::size_t half = 1; half < m; half <<= 1)
      for (std::size_t b0 = 0; b0 < m; b0 += 2 * half)
        for (std::size_t j = b0; j < b0 + half; ++j) {
          const T a = x[j], b = x[j + half];
          x[j] = add(a, b);
          x[j + half] = sub(a, b);
        }
  }
  if (s.base == 1) return;
  const std::vector<std::int8_t>& h = hadamard_base(s.base);
  const std::size_t k = static_cast<std::size_t>(s.base);
  std::vector<T> in(v.begin(), v.end());
  for (std::size_t c = 0; c < k; ++c) {
    const std::int8_t* row = h.data() + c * k;
    T* out = v.data() + c * m;
    const T* x0 = in.data();
    for (std::size_t j = 0; j < m; ++j) out[j] = row[0] > 0 ? x0[j] : -x0[j];  // negation is exact
    for (std::size_t c2 = 1; c2 < k; ++c2) {
      const T* x = in.data() + c2 * m;
      if (row[c2] > 0) {
        for (std::size_t j = 0; j < m; ++j) out[j] = add(out[j], x[j]);
      } else {
        for (std::size_t j = 0; j < m; ++j) out[j] = sub(out[j], x[j]);
      }
    }
  }
}

}  // namespace

void hadamard_fp32(std::span<float> v, HadamardSize s, Denormals d) {
  if (d == Denormals::kFlushToZero) {
    transform(v, s, [d](float a, float b) { return fadd(a, b, d); }, [d](float a, float b) { return fadd(a, -b, d); });
  } else {  // plain IEEE add and subtract: the same values, without the flush checks
    transform(v, s, [](float a, float b) { return a + b; }, [](float a, float b) { return a - b; });
  }
}

void hadamard_orthonormal(std::span<double> v, HadamardSize s) {
  transform(v, s, [](double a, double b) { return a + b; }, [](double a, double b) { return a - b; });
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.n()));
  for (double& x : v) x *= scale;
}

float hadamard_quant_multiplier(int n, float out_scale) {
  const double had_scale = 1.0 / std::sqrt(static_cast<double>(n));
  return static_cast<float>(had_scale / static_cast<double>(out_scale));
}

std::int64_t hadamard_quantize(std::span<const float> x, std::span<std::int8_t> q, HadamardSize s, float multiplier,
                               const HadamardQuantPolicy& p) {
  assert(x.size() == q.size() && x.size() == static_cast<std::size_t>(s.n()));
  std::vector<float> v(x.size());
  fp16_round_batch(x.data(), v.data(), v.size());
  hadamard_fp32(v, s, p.denormals);
  const NumericsPolicy np{p.rounding, QuantizeOp::kMultiplyReciprocal, p.overflow, p.denormals};
  std::int64_t overflow = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float scaled = fmul(v[i], multiplier, p.denormals);
    overflow += rounds_out_of_range(scaled, p.rounding);
    q[i] = static_cast<std::int8_t>(code_of_scaled(scaled, np, kInt8Range));
  }
  return overflow;
}

}  // namespace mambahw
