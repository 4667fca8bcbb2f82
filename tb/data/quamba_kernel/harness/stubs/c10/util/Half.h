// Stand-in for PyTorch's c10/util/Half.h, enough for Quamba's kernel headers:
// a 2-byte FP16 storage type built from CUDA's __half (round to nearest even).
#pragma once
#include <cuda_fp16.h>
namespace c10 {
struct alignas(2) Half {
  unsigned short x;
  Half() = default;
  __host__ __device__ Half(__half h) : x(static_cast<__half_raw>(h).x) {}
  __host__ __device__ operator __half() const { __half_raw r; r.x = x; return __half(r); }
};
}  // namespace c10
namespace at { using c10::Half; }
