#!/bin/sh
# Builds Quamba's unmodified prefill conv and selective-scan kernels (setup.py's
# nvcc flags, sm_90) with stand-in torch headers, and our host harness.
set -e
Q=${Q:-quamba/csrc}
FLAGS="-O3 -std=c++17 -U__CUDA_NO_HALF_OPERATORS__ -U__CUDA_NO_HALF_CONVERSIONS__ -U__CUDA_NO_BFLOAT16_OPERATORS__ -U__CUDA_NO_BFLOAT16_CONVERSIONS__ -U__CUDA_NO_BFLOAT162_OPERATORS__ -U__CUDA_NO_BFLOAT162_CONVERSIONS__ --expt-relaxed-constexpr --expt-extended-lambda --use_fast_math -lineinfo -gencode arch=compute_90,code=sm_90"
INC="-Istubs -I$Q -I$Q/selective_scan -I$Q/causal_conv1d"
mkdir -p obj
nvcc $FLAGS $INC -c $Q/selective_scan/quant_sscan_fwd.cu -o obj/quant_sscan_fwd.o &
nvcc $FLAGS $INC -c $Q/causal_conv1d/quant_causal_conv1d_fwd.cu -o obj/quant_causal_conv1d_fwd.o &
nvcc $FLAGS $INC -c quamba_harness.cu -o obj/quamba_harness.o &
wait
nvcc -gencode arch=compute_90,code=sm_90 obj/quamba_harness.o obj/quant_sscan_fwd.o obj/quant_causal_conv1d_fwd.o -o quamba_harness
