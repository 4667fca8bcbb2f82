// Host harness for Quamba's unmodified Quamba1 prefill kernels (issue 19): reads a
// case file (tb/data/quamba_kernel/README.md gives the layout), runs
// quant_causal_conv1d_fwd (channel-first, SiLU on) and then quant_sscan_fwd on
// the conv's INT8 output, exactly as Quamba's PyTorch wrappers set their
// parameters (csrc/causal_conv1d/quant_causal_conv1d.cpp set_conv_params_fwd,
// csrc/selective_scan/quant_sscan.cpp set_quant_ssm_params_fwd), and writes the
// conv codes, the FP16 y [D][L] and the INT8 chunk states [D][n_chunks][N].
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "causal_conv1d.h"
#include "quant_sscan.h"

template <typename input_t, typename weight_t>
void quant_causal_conv1d_fwd_cuda(QuantConvParamsBase& params, cudaStream_t stream);
template <typename input_t, typename weight_t>
void quant_sscan_fwd_cuda(QuantSSMParams& params, cudaStream_t stream);

#define CK(x)                                                                                           \
  do {                                                                                                  \
    cudaError_t e_ = (x);                                                                               \
    if (e_ != cudaSuccess) {                                                                            \
      std::fprintf(stderr, "CUDA %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(e_));   \
      std::exit(2);                                                                                     \
    }                                                                                                   \
  } while (0)

struct CaseHeader {
  char magic[8];  // "mhwqk01\0"
  int32_t D, L, N, W;
  float scale_x, scale_w, scale_b, scale_u;  // conv input, conv weight, conv bias, conv output (= SSM u)
  float scale_delta, scale_A, scale_B, scale_C, scale_D, scale_z, scale_delta_bias, scale_ssm_state;
  int32_t delta_softplus;
};

template <class T>
T* to_device(const std::vector<T>& v) {
  T* d;
  CK(cudaMalloc(&d, v.size() * sizeof(T) + 16));
  CK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}
float* scalar_device(float v) { return to_device(std::vector<float>{v}); }

int main(int argc, char** argv) {
  if (argc != 3) { std::fprintf(stderr, "usage: quamba_harness CASE.bin OUT.bin\n"); return 1; }
  FILE* f = std::fopen(argv[1], "rb");
  if (!f) { std::perror(argv[1]); return 1; }
  CaseHeader h;
  if (std::fread(&h, sizeof h, 1, f) != 1 || std::memcmp(h.magic, "mhwqk01", 8) != 0) { std::fprintf(stderr, "bad case\n"); return 1; }
  const size_t D = h.D, L = h.L, N = h.N, W = h.W;
  auto rd = [&](size_t n) {
    std::vector<int8_t> v(n);
    if (std::fread(v.data(), 1, n, f) != n) { std::fprintf(stderr, "short case file\n"); std::exit(1); }
    return v;
  };
  const auto x = rd(D * L), w = rd(D * W), bias = rd(D), delta = rd(D * L), A = rd(D * N), B = rd(N * L),
             C = rd(N * L), Dq = rd(D), z = rd(D * L), delta_bias = rd(D);
  std::fclose(f);

  // ---- conv (quant_causal_conv1d_fwd, channel-first x [1, D, L]) ----
  int8_t *dx = to_device(x), *dw = to_device(w), *db = to_device(bias), *du;
  CK(cudaMalloc(&du, D * L + 16));
  QuantConvParamsBase cp;
  std::memset(&cp, 0, sizeof cp);
  cp.batch = 1;
  cp.dim = (int)D;
  cp.seqlen = (int)L;
  cp.width = (int)W;
  cp.silu_activation = true;
  cp.x_ptr = dx;
  cp.scale_x = h.scale_x;
  cp.weight_ptr = dw;
  cp.scale_w = h.scale_w;
  cp.bias_ptr = db;
  cp.scale_b = h.scale_b;
  cp.out_ptr = du;
  cp.scale_out = h.scale_u;
  cp.x_batch_stride = (uint32_t)(D * L);
  cp.x_c_stride = (uint32_t)L;
  cp.x_l_stride = 1;
  cp.weight_c_stride = (uint32_t)W;
  cp.weight_width_stride = 1;
  cp.out_batch_stride = (uint32_t)(D * L);
  cp.out_c_stride = (uint32_t)L;
  cp.out_l_stride = 1;
  quant_causal_conv1d_fwd_cuda<int8_t, int8_t>(cp, 0);
  CK(cudaDeviceSynchronize());

  // ---- selective scan (quant_sscan_fwd; B, C variable [1, 1, N, L]; z and D and delta_bias present) ----
  const int n_chunks = (int)((L + 2048 - 1) / 2048);
  int8_t *ddelta = to_device(delta), *dA = to_device(A), *dB = to_device(B), *dC = to_device(C), *dD = to_device(Dq),
         *dz = to_device(z), *ddb = to_device(delta_bias), *dstate;
  CK(cudaMalloc(&dstate, D * n_chunks * N + 16));
  uint16_t* dy;
  CK(cudaMalloc(&dy, D * L * 2 + 32));
  QuantSSMParams sp;
  std::memset(&sp, 0, sizeof sp);
  sp.batch = 1;
  sp.dim = (int)D;
  sp.seqlen = (int)L;
  sp.dstate = (int)N;
  sp.n_groups = 1;
  sp.n_chunks = n_chunks;
  sp.dim_ngroups_ratio = (int)D;
  sp.delta_softplus = h.delta_softplus != 0;
  sp.is_variable_B = true;
  sp.is_variable_C = true;
  sp.u_ptr = du;
  sp.scale_u_ptr = scalar_device(h.scale_u);
  sp.delta_ptr = ddelta;
  sp.scale_delta_ptr = scalar_device(h.scale_delta);
  sp.A_ptr = dA;
  sp.scale_A_ptr = scalar_device(h.scale_A);
  sp.B_ptr = dB;
  sp.scale_B_ptr = scalar_device(h.scale_B);
  sp.C_ptr = dC;
  sp.scale_C_ptr = scalar_device(h.scale_C);
  sp.scale_ssm_state_ptr = scalar_device(h.scale_ssm_state);
  sp.D_ptr = dD;
  sp.scale_D_ptr = scalar_device(h.scale_D);
  sp.delta_bias_ptr = ddb;
  sp.scale_delta_bias_ptr = scalar_device(h.scale_delta_bias);
  sp.out_ptr = dy;
  sp.x_ptr = dstate;
  sp.z_ptr = dz;
  sp.scale_z_ptr = scalar_device(h.scale_z);
  sp.A_d_stride = (uint32_t)N;  // A [D, N] contiguous
  sp.A_dstate_stride = 1;
  sp.B_batch_stride = (uint32_t)(N * L);  // B [1, 1, N, L] contiguous
  sp.B_group_stride = (uint32_t)(N * L);
  sp.B_dstate_stride = (uint32_t)L;
  sp.C_batch_stride = (uint32_t)(N * L);
  sp.C_group_stride = (uint32_t)(N * L);
  sp.C_dstate_stride = (uint32_t)L;
  sp.u_batch_stride = (uint32_t)(D * L);
  sp.u_d_stride = (uint32_t)L;
  sp.delta_batch_stride = (uint32_t)(D * L);
  sp.delta_d_stride = (uint32_t)L;
  sp.z_batch_stride = (uint32_t)(D * L);
  sp.z_d_stride = (uint32_t)L;
  sp.out_batch_stride = (uint32_t)(D * L);
  sp.out_d_stride = (uint32_t)L;
  quant_sscan_fwd_cuda<int8_t, int8_t>(sp, 0);
  CK(cudaDeviceSynchronize());

  std::vector<int8_t> codes(D * L), states(D * n_chunks * N);
  std::vector<uint16_t> y(D * L);
  CK(cudaMemcpy(codes.data(), du, codes.size(), cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(y.data(), dy, y.size() * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(states.data(), dstate, states.size(), cudaMemcpyDeviceToHost));
  FILE* o = std::fopen(argv[2], "wb");
  if (!o) { std::perror(argv[2]); return 1; }
  const char magic[8] = "mhwqo01";
  const int32_t nc = n_chunks;
  bool ok = std::fwrite(magic, 8, 1, o) == 1 && std::fwrite(&nc, 4, 1, o) == 1 &&
            std::fwrite(codes.data(), 1, codes.size(), o) == codes.size() &&
            std::fwrite(y.data(), 2, y.size(), o) == y.size() &&
            std::fwrite(states.data(), 1, states.size(), o) == states.size();
  ok = (std::fclose(o) == 0) && ok;
  if (!ok) { std::fprintf(stderr, "write failed\n"); return 1; }
  std::printf("%s: D %zu L %zu N %zu, %d chunks\n", argv[1], D, L, N, n_chunks);
  return 0;
}
