// Marks a kernel for function multi-versioning: GCC on x86-64 builds an
// AVX2+FMA clone (x86-64-v3) next to the baseline one and picks at load time.
// The clones run the same source, so they compute the same bits; the array
// forms' bit-identity tests run on whichever clone the host selects.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MAMBAHW_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MAMBAHW_VECTOR_CLONES
#endif
