// Stand-in for PyTorch's c10/util/complex.h: the members Quamba's scan headers name.
#pragma once
namespace c10 {
template <typename T>
struct complex {
  T real_, imag_;
  __host__ __device__ constexpr complex(T r = T(), T i = T()) : real_(r), imag_(i) {}
  friend __host__ __device__ complex operator*(const complex& a, const complex& b) {
    return complex(a.real_ * b.real_ - a.imag_ * b.imag_, a.real_ * b.imag_ + a.imag_ * b.real_);
  }
  friend __host__ __device__ complex operator+(const complex& a, const complex& b) {
    return complex(a.real_ + b.real_, a.imag_ + b.imag_);
  }
};
}  // namespace c10
