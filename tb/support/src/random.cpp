#include "mambahw/tb/random.hpp"

#include "mambahw/golden/numerics.hpp"

namespace mambahw::tb {

QTensor random_qtensor(std::size_t rows, std::size_t cols, float scale, Rng& rng, int lo, int hi) {
  QTensor t{Int8Tensor({rows, cols}), scale};
  for (auto& v : t.q.vec())
    v = static_cast<std::int8_t>(lo + static_cast<int>(rng.below(static_cast<std::uint64_t>(hi - lo + 1))));
  return t;
}

Mamba1Ssm random_mamba1_ssm(std::size_t D, std::size_t N, std::size_t L, Rng& rng) {
  Mamba1Ssm s;
  s.delta = random_qtensor(D, L, 0.02f, rng);
  s.delta_bias = random_qtensor(D, 1, 0.03f, rng);
  s.a_log = random_qtensor(D, N, 2.77f / 127, rng, 0, 127);
  s.b = random_qtensor(N, L, 0.02f, rng);
  s.c = random_qtensor(N, L, 0.02f, rng);
  s.d_skip = random_qtensor(D, 1, 1.0f / 127, rng);
  s.z = random_qtensor(D, L, 0.05f, rng);
  return s;
}

Mamba2Ssm random_mamba2_ssm(int nheads, int headdim, int ngroups, int d_state, std::size_t len, double dt_bias_low,
                            Rng& rng) {
  const auto H = static_cast<std::size_t>(nheads), G = static_cast<std::size_t>(ngroups);
  const auto N = static_cast<std::size_t>(d_state);
  Mamba2Ssm s;
  s.nheads = nheads;
  s.headdim = headdim;
  s.ngroups = ngroups;
  s.d_state = d_state;
  s.dt = random_qtensor(H, len, 0.02f, rng);
  for (std::size_t h = 0; h < H; ++h)
    s.dt_bias.push_back(fp16_to_fp32(fp32_to_fp16(static_cast<float>(dt_bias_low + rng.uniform()))));
  s.a_log = random_qtensor(H, 1, 2.77f / 127, rng, 0, 127);
  s.b = random_qtensor(G * N, len, 1, rng).q;
  s.c = random_qtensor(G * N, len, 1, rng).q;
  for (std::size_t g = 0; g < G; ++g) {
    s.b_scale.push_back(g % 2 ? 0.02f : 0.01f);
    s.c_scale.push_back(g % 2 ? 0.01f : 0.015f);
  }
  s.d_skip = random_qtensor(H, 1, 1.0f / 127, rng);
  return s;
}

}  // namespace mambahw::tb
