#!/usr/bin/python3
"""Can ONNX Runtime be the golden reference for 16-bit activations?

    /usr/bin/python3 tests/int8/ort-int16-check.py [--ort-dir build/ort]

sim-bits.py measured that the int8 fidelity bar on the metal set needs
16-bit activations with wide ranges (TFLite's 16x8: int16, zero point 0,
int8 weights). effad's int8 kernels are checked against ONNX Runtime
running the QDQ graph effad emits; this asks whether the same can hold
for int16. Debian's python3-onnx (1.12) stops at opset 17, and int16 in
the standard QuantizeLinear / DequantizeLinear arrived with opset 21, so
the graph uses ONNX Runtime's own com.microsoft QuantizeLinear /
DequantizeLinear (which take int16 at any opset): x -> Q/DQ int16 ->
Conv 1x1 (weights int8, per output channel, through DequantizeLinear) ->
Q/DQ int16, with inputs that clamp at both ends of the int16 range. The
graph runs in ONNX Runtime (tests/golden/ort-run.js) at graph optimisation
basic and all, and each output must equal numpy's evaluation of the same
arithmetic on the int16 grid (round half to even, clamp to [-32768,
32767]).

Measured 2026-12-02 with onnxruntime-node 1.30.0: all 128 outputs equal
at both levels, 29 of them clamped, 4 inputs clamped. (With the reference
rounding down instead, 74 differ: the check can fail.) Exits 1 on a
mismatch.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS = "com.microsoft"


def graph(w, ws, sx, sy):
    inits = [numpy_helper.from_array(np.array(sx, np.float32), "sx"),
             numpy_helper.from_array(np.array(0, np.int16), "zx"),
             numpy_helper.from_array(w, "wq"),
             numpy_helper.from_array(ws, "ws"),
             numpy_helper.from_array(np.zeros(len(ws), np.int8), "wz"),
             numpy_helper.from_array(np.array(sy, np.float32), "sy"),
             numpy_helper.from_array(np.array(0, np.int16), "zy")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"], domain=MS),
             helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"], domain=MS),
             helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"]),
             helper.make_node("QuantizeLinear", ["c", "sy", "zy"], ["cq"], domain=MS),
             helper.make_node("DequantizeLinear", ["cq", "sy", "zy"], ["y"], domain=MS)]
    o, c = w.shape[:2]
    g = helper.make_graph(nodes, "int16-qdq",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, o, 4, 4])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    m.ir_version = 8
    return m


def q16(v, s):
    return (np.clip(np.rint(v / s), -32768, 32767) * s).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ort-dir", default=os.environ.get("EFFAD_ORT_DIR", "build/ort"))
    a = ap.parse_args()
    rng = np.random.default_rng(16)
    o, c = 8, 12
    w = rng.integers(-127, 128, size=(o, c, 1, 1)).astype(np.int8)
    ws = (rng.random(o) * 0.01 + 0.001).astype(np.float32)
    sx, sy = 0.001, 0.001           # int16 ends: +-32.767 for both
    x = (rng.standard_normal((1, c, 4, 4)) * 12).astype(np.float32)
    x[0, 0, 0, :] = [50.0, -50.0, 40.0, -33.0]                      # inputs that clamp
    # numpy: the Q/DQ in float32 as the graph has them, the conv summed in
    # float64 and rounded once to float32. ORT's float32 sums may differ in
    # the last bit, which the final quantisation hides unless a sum lies
    # within that bit of a rounding boundary (none does with this seed).
    xd = q16(x, sx)
    wd = w.astype(np.float32) * ws[:, None, None, None]
    conv = np.einsum("nchw,oc->nohw", xd.astype(np.float64), wd[:, :, 0, 0].astype(np.float64))
    ref = q16(conv.astype(np.float32), sy)
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "int16-qdq.onnx")
        onnx.save(graph(w, ws, sx, sy), path)
        x.tofile(os.path.join(d, "x.f32"))
        for opt in ("basic", "all"):
            out = os.path.join(d, opt)
            subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "ort-run.js"),
                            path, os.path.join(d, "x.f32"), "1,%d,4,4" % c, out], check=True,
                           env={**os.environ, "EFFAD_ORT_OPT": opt, "EFFAD_ORT_DIR": a.ort_dir},
                           stdout=subprocess.DEVNULL)
            y = np.fromfile(os.path.join(out, "out0.f32"), np.float32).reshape(ref.shape)
            steps = np.abs(y - ref) / sy
            n_off = int((steps > 0.5).sum())
            clamped = int((np.abs(conv) >= 32767 * sy).sum())
            print("ORT int16 Q/DQ, optimisation %-5s: %d of %d outputs off the numpy reference (max %.2f steps); "
                  "%d clamped outputs, %d clamped inputs" % (opt, n_off, y.size, steps.max(), clamped,
                                                             int((np.abs(x) >= 32767 * sx).sum())))
            bad += n_off
    if bad:
        sys.exit("ort-int16-check.py: ONNX Runtime's int16 Q/DQ differs from the arithmetic it stands for")


if __name__ == "__main__":
    main()
