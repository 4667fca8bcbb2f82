#!/usr/bin/env python3
"""Writes the Quamba1 kernel cases (issue 19): seeded synthetic INT8 inputs for
Quamba's prefill conv + selective scan, in the layout of
tb/data/quamba_kernel/README.md. Pure Python (struct, random): no numpy."""
import math
import random
import struct
import sys


def clamp8(v):
    return max(-128, min(127, v))


def gauss_codes(rng, n, sigma):
    return [clamp8(int(round(rng.gauss(0.0, sigma)))) for _ in range(n)]


def write_case(path, seed, D, L, N, W=4):
    rng = random.Random(seed)
    x = gauss_codes(rng, D * L, 30)
    w = [rng.randint(-127, 127) for _ in range(D * W)]
    bias = [rng.randint(-127, 127) for _ in range(D)]
    delta = gauss_codes(rng, D * L, 40)
    # A_log = log(n + 1) (S4D-real), quantized absmax / 127 with half to even
    a_log = [math.log(n + 1) for n in range(N)]
    scale_A = max(a_log) / 127
    A = [clamp8(round(a_log[n] / scale_A)) for _ in range(D) for n in range(N)]
    B = gauss_codes(rng, N * L, 40)
    C = gauss_codes(rng, N * L, 40)
    Dq = [rng.randint(-127, 127) for _ in range(D)]
    z = gauss_codes(rng, D * L, 40)
    # delta_bias spread over [-25, 25]: channels in every softplus regime, including > 20
    delta_bias = [rng.randint(-127, 127) for _ in range(D)]
    scales = dict(scale_x=0.05, scale_w=0.004, scale_b=0.002, scale_u=0.02, scale_delta=0.02,
                  scale_A=scale_A, scale_B=0.01, scale_C=0.01, scale_D=0.01, scale_z=0.05,
                  scale_delta_bias=0.2, scale_ssm_state=0.01)
    with open(path, "wb") as f:
        f.write(b"mhwqk01\0")
        f.write(struct.pack("<4i", D, L, N, W))
        f.write(struct.pack("<12f", *[scales[k] for k in (
            "scale_x", "scale_w", "scale_b", "scale_u", "scale_delta", "scale_A", "scale_B", "scale_C",
            "scale_D", "scale_z", "scale_delta_bias", "scale_ssm_state")]))
        f.write(struct.pack("<i", 1))
        for arr in (x, w, bias, delta, A, B, C, Dq, z, delta_bias):
            f.write(struct.pack("<%db" % len(arr), *arr))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    # 3 chunks of the 128 x 16 block (2048 + 2048 + 404, uneven) and one 32 x 8 block
    write_case(out + "/long.bin", 19001, D=40, L=4500, N=16)
    write_case(out + "/short.bin", 19002, D=24, L=200, N=16)
