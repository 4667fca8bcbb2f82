#!/usr/bin/env python3
"""Reference rows for the golden online Hadamard, produced by the real kernels.

Run on a CUDA machine where two PyTorch extensions are importable (README.md
in this folder says how they are built from the public sources):
  quant_hadamard            Quamba's csrc/hadamard (QHadamard's INT8 kernels)
  fast_hadamard_transform_cuda  Dao-AILab/fast-hadamard-transform's csrc (the
                            same transform with an FP32 output), at the commit
                            Quamba pins as its submodule.
Writes OUT/hadamard_ref.bin and OUT/manifest.json (layout in README.md).
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch

import fast_hadamard_transform_cuda as dao
import quant_hadamard as quamba

OUT = sys.argv[1] if len(sys.argv) > 1 else "."

# (n, base, kernel suffix): sizes each kernel really launches (12N/20N/28N/40N
# launch 2^2 and 2^4..2^10; 2^3 is never dispatched; the power-of-two kernel
# launches 2^3..2^15).
SIZES = [(48, 12), (192, 12), (1536, 12), (160, 40), (640, 40), (5120, 40),
         (112, 28), (3584, 28), (8, 1), (64, 1), (1024, 1), (8192, 1)]
KERNEL = {1: "", 12: "_12N", 28: "_28N", 40: "_40N"}

F16_INF, F16_NINF, F16_NAN, F16_NZERO = 0x7C00, 0xFC00, 0x7E00, 0x8000


def f16(values):
    return np.asarray(values, dtype=np.float32).astype(np.float16)


def rows_for(n, rng):
    """(class, fp16 row, FP32 multiplier) triples."""
    rows = []
    g = rng.standard_normal(n).astype(np.float32)
    g[rng.choice(n, size=max(1, n // 64), replace=False)] *= 30.0  # outlier channels
    x = f16(g)
    amax = float(np.max(np.abs(x.astype(np.float64)))) * math.sqrt(n)
    s_h = np.float32(amax / math.sqrt(n) / 127.0 / 4.0)  # a calibrated-like x_H_scale
    m = np.float32((1.0 / math.sqrt(n)) / float(s_h))  # formed in double, rounded once
    rows.append(("gaussian_outliers", x, m))
    rows.append(("gaussian_wraps", x, np.float32(m * 16)))  # many codes leave INT8 and wrap
    rows.append(("gaussian_saturates_int32", f16(np.clip(g * 2000, -60000, 60000)), np.float32(1e6)))
    one = np.zeros(n, dtype=np.float16)
    one[n // 3] = 5.0
    rows.append(("tie_2p5", one, np.float32(0.5)))  # every output +-2.5: roundf -> +-3
    two = np.zeros(n, dtype=np.float16)
    two[0], two[n - 1] = 1.0, 255.0
    rows.append(("tie_127p5_wrap", two, np.float32(0.5)))  # +-127.5 and +-128: 128 wraps to -128
    wrap = np.zeros(n, dtype=np.float16)
    wrap[1] = 200.0
    rows.append(("wrap_200", wrap, np.float32(1.0)))  # +-200 -> -56 / 56
    rows.append(("zeros", np.zeros(n, dtype=np.float16), m))
    rows.append(("negative_zeros", np.full(n, F16_NZERO, dtype=np.uint16).view(np.float16), m))
    mixed = np.zeros(n, dtype=np.uint16)
    mixed[::2] = F16_NZERO
    rows.append(("mixed_signed_zeros", mixed.view(np.float16), m))
    sub = (rng.integers(1, 1024, size=n, dtype=np.uint16) | (rng.integers(0, 2, size=n, dtype=np.uint16) << 15))
    rows.append(("fp16_subnormal_inputs", sub.view(np.float16), np.float32(2.0 ** 23)))  # ties at 2^-24 * 2^23
    rows.append(("subnormal_products", x, np.float32(2.0 ** -125)))  # |v * m| often below 2^-126
    inf = np.zeros(n, dtype=np.uint16)
    inf[n // 2] = F16_INF
    rows.append(("plus_inf", inf.view(np.float16), m))
    ninf = f16(g).view(np.uint16).copy()
    ninf[0] = F16_NINF
    rows.append(("minus_inf_in_gaussian", ninf.view(np.float16), m))
    nan = f16(g).view(np.uint16).copy()
    nan[n - 1] = F16_NAN
    rows.append(("nan_in_gaussian", nan.view(np.float16), m))
    big = rows[0][1] if n > 2048 else None
    if big is not None:  # large rows: keep the file small
        rows = [r for r in rows if r[0] in ("gaussian_outliers", "gaussian_wraps", "tie_127p5_wrap",
                                           "negative_zeros", "nan_in_gaussian")]
    return rows


def main():
    assert torch.cuda.is_available()
    rng = np.random.default_rng(20261201)
    blob = bytearray()
    cases = []
    for n, base in SIZES:
        rows = rows_for(n, rng)
        xin = torch.from_numpy(np.stack([r[1] for r in rows])).cuda()
        mult = [float(r[2]) for r in rows]
        codes = []
        fp32 = []
        for i, mu in enumerate(mult):
            q = getattr(quamba, "fast_hadamard_transform" + KERNEL[base])(xin[i:i + 1].contiguous(), mu)
            codes.append(q.cpu().numpy().astype(np.int8).reshape(n))
            t = getattr(dao, "fast_hadamard_transform" + KERNEL[base])(xin[i:i + 1].float().contiguous(), 1.0)
            fp32.append(t.cpu().numpy().astype(np.float32).reshape(n))
        torch.cuda.synchronize()
        f16_bytes = np.stack([r[1] for r in rows]).view(np.uint16).astype("<u2").tobytes()
        f32_bytes = np.stack(fp32).view(np.uint32).astype("<u4").tobytes()
        i8_bytes = np.stack(codes).astype(np.int8).tobytes()
        case = {"n": n, "base": base, "rows": len(rows),
                "quamba_kernel": "quant_hadamard.fast_hadamard_transform" + KERNEL[base],
                "fp32_kernel": "fast_hadamard_transform_cuda.fast_hadamard_transform" + KERNEL[base] + " (float32 in/out, scale 1)",
                "row_classes": [r[0] for r in rows],
                "multipliers_hex": ["0x%08x" % np.float32(mu).view(np.uint32) for mu in mult],
                "input_fp16": {"offset": len(blob), "bytes": len(f16_bytes)}}
        blob += f16_bytes
        case["transform_fp32"] = {"offset": len(blob), "bytes": len(f32_bytes)}
        blob += f32_bytes
        case["codes_int8"] = {"offset": len(blob), "bytes": len(i8_bytes)}
        blob += i8_bytes
        cases.append(case)
        print(f"n={n} base={base}: {len(rows)} rows", flush=True)
    with open(os.path.join(OUT, "hadamard_ref.bin"), "wb") as f:
        f.write(blob)
    manifest = {
        "what": "online Hadamard rows through Quamba's QHadamard INT8 kernels and the FP32 fast-hadamard-transform",
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__, "cuda": torch.version.cuda,
        "quamba_commit": os.environ.get("QUAMBA_COMMIT", "?"),
        "fht_commit": os.environ.get("FHT_COMMIT", "?"),
        "nvcc_flags": os.environ.get("NVCC_FLAGS", "?"),
        "bin": {"file": "hadamard_ref.bin", "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()},
        "cases": cases,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
