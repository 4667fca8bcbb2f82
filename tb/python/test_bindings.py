"""The `mambahw` Python module against independent derivations: hand-worked
quantizer ties, NumPy's own IEEE float32 arithmetic in the documented GEMM
order, NumPy's np.save/np.load/np.savez, a safetensors reader and writer
written here from the format description, and the quantized golden layer run
through the bindings checked bit for bit against the C++ CLI's --dump."""
import json
import os
import struct
import subprocess
import tempfile
import unittest

import numpy as np

import mambahw

SRC = os.environ["MAMBAHW_SOURCE_DIR"]
BIN = os.environ["MAMBAHW_BIN"]


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 2: np.uint16, 1: np.uint8}[a.dtype.itemsize])


class Units(unittest.TestCase):
    def test_quantizer_ties_and_overflow(self):
        x = np.array([0.5, 1.5, 2.5, -2.5, -0.5, 300.0, 200.0], np.float32)
        self.assertEqual(mambahw.quantize(x, 1.0).tolist(), [1, 2, 3, -3, -1, 127, 127])
        self.assertEqual(mambahw.quantize(x, 1.0, rounding="half_to_even").tolist(), [0, 2, 2, -2, 0, 127, 127])
        self.assertEqual(mambahw.quantize(x, 1.0, rounding="toward_zero").tolist(), [0, 1, 2, -2, 0, 127, 127])
        self.assertEqual(mambahw.quantize(x, 1.0, overflow="wrap")[5:].tolist(), [44, -56])  # 300 - 256, 200 - 256
        self.assertEqual(mambahw.quantize(np.array([3.0], np.float32), 0.5, bits=4).tolist(), [6])
        with self.assertRaisesRegex(ValueError, "rounding: unknown 'nearest'"):
            mambahw.quantize(x, 1.0, rounding="nearest")

    def test_dequant_is_one_ieee_multiply(self):
        codes = np.arange(-128, 128, dtype=np.int8)
        s = np.float32(0.0123)
        np.testing.assert_array_equal(bits(mambahw.dequant(codes, s)), bits(codes.astype(np.float32) * s))

    def test_gemm_requant_matches_numpy_float32_in_the_documented_order(self):
        rng = np.random.default_rng(1)
        x = rng.integers(-128, 128, size=(17, 40), dtype=np.int8)
        w = rng.normal(size=(9, 40)).astype(np.float32)
        qw = mambahw.quantize_weights(w)
        scale = (np.abs(w).max(axis=1).astype(np.float64) / 127).astype(np.float32)
        codes = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)  # torch.round: half to even
        np.testing.assert_array_equal(qw.codes, codes)
        np.testing.assert_array_equal(bits(qw.scales), bits(scale))
        sx, sout = np.float32(0.05), np.float32(0.7)
        acc = x.astype(np.int64) @ codes.T.astype(np.int64)
        a = np.float32(np.float64(sx) / np.float64(sout))
        v = a * (scale[None, :] * acc.astype(np.float32))  # act_then_weight: fp32(a * fp32(s_w * acc))
        expect = np.clip(np.rint(v), -128, 127).astype(np.int8)
        got, saturated = mambahw.gemm_int8(x, qw, sx, np.array([sout], np.float32))
        np.testing.assert_array_equal(got, expect)
        self.assertEqual(saturated, int(((np.rint(v) > 127) | (np.rint(v) < -128)).sum()))

    def test_conv_silu_quantize_against_float64(self):
        rng = np.random.default_rng(2)
        x = rng.integers(-128, 128, size=(6, 50), dtype=np.int8)
        w = rng.integers(-127, 128, size=(6, 4), dtype=np.int8)
        b = rng.integers(-127, 128, size=6, dtype=np.int8)
        sw, sx, sb, so = 0.002, 0.03, 0.001, 0.02
        y, q = mambahw.conv1d_silu_quantize(x, w, b, sw, sx, sb, np.array([so], np.float32))
        xp = np.concatenate([np.zeros((6, 3)), x.astype(np.float64)], axis=1)
        acc = sum(w[:, k:k + 1].astype(np.float64) * xp[:, k:k + 50] for k in range(4))
        pre = np.float64(np.float32(sw) * np.float32(sx)) * acc + b[:, None] * np.float64(np.float32(sb))
        ref = pre / (1 + np.exp(-pre))
        np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-7)
        qref = np.clip(np.sign(ref) * np.floor(np.abs(ref) / so + 0.5), -128, 127)
        self.assertLessEqual(np.abs(q - qref).max(), 1)
        self.assertGreater((q == qref).mean(), 0.99)

    def test_selective_scan_against_float64(self):
        rng = np.random.default_rng(3)
        D, N, L = 4, 3, 20
        i8 = lambda *s: rng.integers(-100, 100, size=s, dtype=np.int8)
        u = rng.normal(size=(D, L)).astype(np.float32)
        delta, db, a_log, B, C, d, z = i8(D, L), i8(D), np.abs(i8(D, N)), i8(N, L), i8(N, L), i8(D), i8(D, L)
        s = dict(delta_scale=0.01, delta_bias_scale=0.02, a_scale=0.01, b_scale=0.02, c_scale=0.03, d_scale=0.01, z_scale=0.02)
        y = mambahw.selective_scan(u, delta, s["delta_scale"], db, s["delta_bias_scale"], a_log, s["a_scale"], B, s["b_scale"],
                                   C, s["c_scale"], d, s["d_scale"], z, s["z_scale"])
        f = lambda q, k: q.astype(np.float64) * np.float64(np.float32(s[k]))
        dl = np.log1p(np.exp(f(delta, "delta_scale") + f(db, "delta_bias_scale")[:, None]))
        A = -np.exp(f(a_log, "a_scale"))
        h = np.zeros((D, N))
        out = np.zeros((D, L))
        for t in range(L):
            h = np.exp(dl[:, t:t + 1] * A) * h + dl[:, t:t + 1] * f(B, "b_scale")[None, :, t] * u[:, t:t + 1]
            out[:, t] = h @ f(C, "c_scale")[:, t] + f(d, "d_scale") * u[:, t]
        zf = f(z, "z_scale")
        ref = out * zf / (1 + np.exp(-zf))
        np.testing.assert_allclose(y, ref, rtol=2e-3, atol=1e-4)  # y is rounded to FP16

    def test_hadamard_against_sylvester_matrix(self):
        H = np.array([[1.0]])
        for _ in range(6):
            H = np.block([[H, H], [H, -H]])
        v = np.random.default_rng(4).normal(size=64).astype(np.float32)
        np.testing.assert_allclose(mambahw.hadamard_fp32(v), H @ v.astype(np.float64), rtol=1e-5, atol=1e-5)


class TensorFiles(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mambahw_py_")
        rng = np.random.default_rng(5)
        self.arrays = {"f32": rng.normal(size=(3, 4)).astype(np.float32), "f16": rng.normal(size=(5,)).astype(np.float16),
                       "i8": rng.integers(-128, 128, size=(2, 3, 2), dtype=np.int8),
                       "i32": rng.integers(-2**31, 2**31, size=(7,), dtype=np.int32), "scalar": np.array(2.5, np.float32)}

    def test_npy_both_ways_byte_for_byte(self):
        for name, a in self.arrays.items():
            np.save(os.path.join(self.dir, f"np_{name}.npy"), a)
            got = mambahw.read_tensors(os.path.join(self.dir, f"np_{name}.npy"))[f"np_{name}"]
            self.assertEqual(got.dtype, a.dtype)
            np.testing.assert_array_equal(bits(got), bits(a))
        mambahw.write_tensors(os.path.join(self.dir, "mine"), self.arrays)
        for name, a in self.arrays.items():
            path = os.path.join(self.dir, "mine", f"{name}.npy")
            np.testing.assert_array_equal(bits(np.load(path)), bits(a))
            with open(path, "rb") as f1, open(os.path.join(self.dir, f"np_{name}.npy"), "rb") as f2:
                self.assertEqual(f1.read(), f2.read(), name)  # the same file NumPy writes

    def test_fortran_order_and_npz(self):
        a = np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
        np.save(os.path.join(self.dir, "f.npy"), a)
        np.testing.assert_array_equal(mambahw.read_tensors(os.path.join(self.dir, "f.npy"))["f"], a)
        np.savez(os.path.join(self.dir, "a.npz"), **self.arrays)
        np.savez_compressed(os.path.join(self.dir, "c.npz"), **self.arrays)
        for f in ("a.npz", "c.npz"):
            got = mambahw.read_tensors(os.path.join(self.dir, f))
            self.assertEqual(sorted(got), sorted(self.arrays))
            for k, v in self.arrays.items():
                np.testing.assert_array_equal(bits(got[k]), bits(v))
        mambahw.write_tensors(os.path.join(self.dir, "m.npz"), self.arrays)
        with np.load(os.path.join(self.dir, "m.npz")) as z:
            for k, v in self.arrays.items():
                np.testing.assert_array_equal(bits(z[k]), bits(v))
        with self.assertRaisesRegex(ValueError, "float64"):
            mambahw.write_tensors(os.path.join(self.dir, "x.npz"), {"d": np.zeros(2)})

    def test_safetensors_against_a_reader_and_writer_written_here(self):
        path = os.path.join(self.dir, "t.safetensors")
        mambahw.write_tensors(path, self.arrays)
        raw = open(path, "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        codes = {"F32": np.float32, "F16": np.float16, "I8": np.int8, "I32": np.int32}
        for k, v in self.arrays.items():
            e = header[k]
            b, end = e["data_offsets"]
            got = np.frombuffer(raw[8 + n + b:8 + n + end], codes[e["dtype"]]).reshape(e["shape"])
            np.testing.assert_array_equal(bits(got), bits(v))
        # And one written here: bfloat16 (0x3FC0 = 1.5, 0xC000 = -2) comes back widened to float32.
        hdr = json.dumps({"b": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(hdr)) + hdr + struct.pack("<HH", 0x3FC0, 0xC000))
        self.assertEqual(mambahw.read_tensors(path)["b"].tolist(), [1.5, -2.0])
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(hdr)) + hdr + b"\x00")
        with self.assertRaisesRegex(ValueError, "run past the 1-byte data buffer"):
            mambahw.read_tensors(path)


class LayerAgainstTheCli(unittest.TestCase):
    """The quantized golden layer through the bindings, on the tensors the CLI
    dumped (read here with NumPy), against the CLI's own dump, bit for bit."""

    def check(self, config, modes):
        d = tempfile.mkdtemp(prefix="mambahw_dump_")
        subprocess.run([BIN, "run", os.path.join(SRC, config), "--seq-len", "40", "--modes", ",".join(map(str, modes)),
                        "--no-model", "--dump", d], check=True, stdout=subprocess.DEVNULL)
        manifest = json.load(open(os.path.join(d, "manifest.json")))
        load = lambda name: np.load(os.path.join(d, name + ".npy"))
        weights = {e["name"][len("layer0.weights."):]: load(e["name"]) for e in manifest["tensors"]
                   if e["name"].startswith("layer0.weights.")}
        cfg = mambahw.load_config(os.path.join(SRC, config))
        q = mambahw.quantize_layer(cfg, weights, load("layer0.calibration"))
        compared = 0
        for name, t in q.tensors().items():
            np.testing.assert_array_equal(bits(t), bits(load("layer0.q." + name)), name)
            compared += 1
        x = load("layer0.input")
        for mode in modes:
            trace = mambahw.run_layer(q, x, mode)
            self.assertIn("out", trace)
            for name, t in trace.items():
                np.testing.assert_array_equal(bits(t), bits(load(f"layer0.mode{mode}.{name}")), f"mode {mode} {name}")
                compared += 1
        # The check can fail: mode 1 is not mode 0.
        self.assertFalse(np.array_equal(bits(load("layer0.mode0.out")), bits(load("layer0.mode1.out"))))
        return compared

    def test_mamba1_quamba1(self):
        self.assertGreater(self.check("configs/default.yaml", [0, 1, 2, 3]), 20)

    def test_mamba2_quamba2(self):
        self.assertGreater(self.check("configs/mamba2-130m.yaml", [0, 1, 3]), 20)


if __name__ == "__main__":
    unittest.main()
