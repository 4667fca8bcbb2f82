// Stand-in for PyTorch's c10/util/BFloat16.h (storage only; unused by the int8 kernels).
#pragma once
namespace c10 { struct alignas(2) BFloat16 { unsigned short x; }; }
namespace at { using c10::BFloat16; }
