// Small model shapes for tests, built in one place.
#pragma once

#include "mambahw/golden/model_shape.hpp"

namespace mambahw::test {

inline ModelShape mamba2_shape(int d_inner, int nheads, int headdim, int ngroups, int d_state) {
  ModelShape m;
  m.name = "test-mamba2";
  m.arch = Arch::kMamba2;
  m.d_inner = d_inner;
  m.nheads = nheads;
  m.headdim = headdim;
  m.ngroups = ngroups;
  m.d_state = d_state;
  m.d_conv = 4;
  return m;
}

inline ModelShape mamba1_shape(int d_inner, int d_state = 16) {
  ModelShape m;
  m.name = "test-mamba1";
  m.arch = Arch::kMamba1;
  m.d_inner = d_inner;
  m.d_state = d_state;
  m.d_conv = 4;
  return m;
}

// The small layers of the layer and interop tests (dt_rank 4; Mamba2: 8 heads
// of 16 in 2 groups, d_state 16).
inline ModelShape small_mamba1(int d_inner = 128, int d_model = 64) {
  ModelShape m = mamba1_shape(d_inner);
  m.d_model = d_model;
  m.dt_rank = 4;
  return m;
}

inline ModelShape small_mamba2() {
  ModelShape m = mamba2_shape(128, 8, 16, 2, 16);
  m.d_model = 64;
  return m;
}

}  // namespace mambahw::test
