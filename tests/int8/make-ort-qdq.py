#!/usr/bin/python3
"""QDQ-quantised ONNX files in the format ONNX Runtime's static quantiser
writes (onnxruntime.quantization.quantize_static, QuantFormat.QDQ,
per_channel=True, CalibrationMethod.MinMax), made without it: Python's
onnxruntime is not in Debian. Written from ORT's documentation of the
format ("Quantize ONNX models": QDQ format; quantization/quant_utils.py's
rules), so that `effad convert` can be tested on what users bring.

    /usr/bin/python3 tests/int8/make-ort-qdq.py    # -> tests/int8/ort-qdq/

What ORT writes, and so this script:
  * weights of Conv: int8, symmetric, one scale per output channel (axis
    0), |q| <= 127: scale = max|w| / 127; zero points 0 (int8); weights of
    Gemm: one scale;
  * biases: int32 = round(b / (s_in * s_w[c])), zero 0, DequantizeLinear
    with that scale (axis 0);
  * activations: min/max over the calibration inputs, widened to include
    0, scale = (max - min) / (qmax - qmin), zero = round(qmin - min /
    scale) clamped: uint8 [0, 255] (activation_type=QUInt8) or int8
    [-128, 127] (QInt8);
  * a QuantizeLinear -> DequantizeLinear pair on the graph input and on
    the output of every Conv, Sigmoid, Mul, Add, GlobalAveragePool,
    Flatten and Gemm, one DequantizeLinear shared by all readers; a graph
    output keeps its name on the DequantizeLinear's output.
Calibration: 8 inputs, the committed golden input plus 7 seeded noisy
copies; activation ranges from ONNX Runtime (node) running the float model
with every tensor as an output. Each file gets NAME.txt beside it: one line
per quantised activation, "tensor scale zero_point" as written.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(ROOT, "tests", "golden", "ort-run.js")
QUANTISED = ("Conv", "Sigmoid", "Mul", "Add", "GlobalAveragePool", "Flatten", "Gemm")
CASES = [("tiny-tv-fold", "u8"), ("tiny-tv-op17", "s8")]


def ort_dir():
    return os.path.abspath(os.environ.get("EFFAD_ORT_DIR", os.path.join(ROOT, "build", "ort")))


def ranges(m, inputs, tmp):
    names = [o for n in m.graph.node if n.op_type in QUANTISED for o in n.output]
    names = [m.graph.input[0].name] + names
    probe = onnx.ModelProto()
    probe.CopyFrom(m)
    del probe.graph.output[:]
    for nm in names:
        probe.graph.output.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, None))
    path = os.path.join(tmp, "probe.onnx")
    onnx.save(probe, path)
    inp = os.path.join(tmp, "in.f32")
    inputs.astype("<f4").tofile(inp)
    r = subprocess.run(["node", ORT_RUN, "--batch", path, inp, ",".join(map(str, (1,) + inputs.shape[1:])),
                        os.path.join(tmp, "out")] + names,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       env=dict(os.environ, EFFAD_ORT_DIR=ort_dir()))
    if r.returncode:
        sys.stderr.write(r.stderr)
        raise SystemExit("ort-run.js failed")
    s = json.loads(r.stdout.strip().splitlines()[-1])
    out = {}
    for nm, o in zip(names, s["outputs"]):
        a = np.fromfile(o["file"], "<f4")
        out[nm] = (float(a.min()), float(a.max()))
    return out


def qparams(lo, hi, signed):
    qmin, qmax = (-128, 127) if signed else (0, 255)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / (qmax - qmin)) if hi > lo else np.float32(1.0)
    zero = int(np.clip(np.round(qmin - lo / float(scale)), qmin, qmax))
    return scale, zero


def quantise(m, rng, signed):
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    zdt = TensorProto.INT8 if signed else TensorProto.UINT8
    znp = np.int8 if signed else np.uint8
    new_inits, table = [], []
    act_scale = {}
    nodes = []
    # activations: rename producers of graph outputs so the DQ keeps the name
    outputs = {o.name for o in g.output}
    rename = {}
    for n in g.node:
        for k, o in enumerate(n.output):
            if o in outputs and n.op_type in QUANTISED:
                rename[o] = o + "_float"
                n.output[k] = o + "_float"
    qdq_of = {}

    def add_pair(x, orig):
        s, z = qparams(*rng[orig], signed)
        act_scale[x] = float(s)
        table.append("%s %.9g %d" % (x, s, z))
        new_inits.append(numpy_helper.from_array(np.array(s, np.float32), x + "_scale"))
        new_inits.append(numpy_helper.from_array(np.array(z, znp), x + "_zero_point"))
        qn, dqn = x + "_QuantizeLinear_Output", (orig if orig in outputs else x + "_DequantizeLinear_Output")
        pair = [helper.make_node("QuantizeLinear", [x, x + "_scale", x + "_zero_point"], [qn], name=x + "_QuantizeLinear"),
                helper.make_node("DequantizeLinear", [qn, x + "_scale", x + "_zero_point"], [dqn], name=x + "_DequantizeLinear")]
        qdq_of[x] = dqn
        return pair

    inp = g.input[0].name
    nodes += add_pair(inp, inp)
    for n in g.node:
        # weights and biases of Conv / Gemm
        if n.op_type in ("Conv", "Gemm") and n.input[1] in inits:
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
            per_channel = n.op_type == "Conv"
            ws = (np.abs(w.reshape(w.shape[0], -1)).max(axis=1) / 127.0).astype(np.float32) if per_channel \
                else np.array(np.abs(w).max() / 127.0, np.float32)
            ws = np.where(ws > 0, ws, np.float32(1.0)).astype(np.float32)
            shape = (-1,) + (1,) * (w.ndim - 1)
            q = np.clip(np.round(w / (ws.reshape(shape) if per_channel else ws)), -127, 127).astype(np.int8)
            wn = n.input[1]
            new_inits += [numpy_helper.from_array(q, wn + "_quantized"),
                          numpy_helper.from_array(ws, wn + "_scale"),
                          numpy_helper.from_array(np.zeros(ws.shape, np.int8), wn + "_zero_point")]
            attrs = {"axis": 0} if per_channel else {}
            nodes.append(helper.make_node("DequantizeLinear", [wn + "_quantized", wn + "_scale", wn + "_zero_point"],
                                          [wn + "_DequantizeLinear_Output"], name=wn + "_DequantizeLinear", **attrs))
            n.input[1] = wn + "_DequantizeLinear_Output"
            if len(n.input) > 2 and n.input[2] in inits:
                b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32)
                src = n.input[0]
                s_in = act_scale[[k for k, v in qdq_of.items() if v == src][0]] if src in qdq_of.values() else 1.0
                bs = (np.float32(s_in) * ws).astype(np.float32)
                bs = np.broadcast_to(bs, b.shape).astype(np.float32) if bs.ndim else np.full(b.shape, bs, np.float32)
                bq = np.round(b / bs).astype(np.int32)
                bn = n.input[2]
                new_inits += [numpy_helper.from_array(bq, bn + "_quantized"), numpy_helper.from_array(bs, bn + "_scale"),
                              numpy_helper.from_array(np.zeros(bs.shape, np.int32), bn + "_zero_point")]
                nodes.append(helper.make_node("DequantizeLinear", [bn + "_quantized", bn + "_scale", bn + "_zero_point"],
                                              [bn + "_DequantizeLinear_Output"], name=bn + "_DequantizeLinear", axis=0))
                n.input[2] = bn + "_DequantizeLinear_Output"
        nodes.append(n)
        if n.op_type in QUANTISED:
            x = n.output[0]
            orig = [k for k, v in rename.items() if v == x]
            nodes += add_pair(x, orig[0] if orig else x)
        # later readers of a quantised tensor read its DequantizeLinear
    produced_by_pair = {}
    for p in nodes:
        if p.op_type == "DequantizeLinear" and p.name.endswith("_DequantizeLinear") and p.input[0].endswith("_QuantizeLinear_Output"):
            produced_by_pair[p.input[0][:-len("_QuantizeLinear_Output")]] = p.output[0]
    for p in nodes:
        if p.op_type in ("QuantizeLinear", "DequantizeLinear"):
            continue
        for k, i in enumerate(p.input):
            if i in produced_by_pair:
                p.input[k] = produced_by_pair[i]
    used = {i for p in nodes for i in p.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    return table


def main():
    out = os.path.join(HERE, "ort-qdq")
    os.makedirs(out, exist_ok=True)
    for case, kind in CASES:
        src = os.path.join(ROOT, "tests", "golden", case)
        m = onnx.load(os.path.join(src, "model.onnx"))
        x = np.fromfile(os.path.join(src, "input.f32"), "<f4").reshape(1, 3, 64, 64)
        r = np.random.RandomState(5)
        inputs = np.concatenate([x] + [x * 0.8 + 0.3 * r.standard_normal(x.shape).astype(np.float32)
                                       for _ in range(7)]).astype(np.float32)
        with tempfile.TemporaryDirectory(prefix="effad-ortqdq-") as tmp:
            rng = ranges(m, inputs, tmp)
        table = quantise(m, rng, kind == "s8")
        for op in m.opset_import:   # per-channel DequantizeLinear needs opset 13, as ORT's quantiser sets
            if op.domain in ("", "ai.onnx") and op.version < 13:
                op.version = 13
        onnx.checker.check_model(m)
        name = "%s-%s" % (case, kind)
        onnx.save(m, os.path.join(out, name + ".onnx"))
        with open(os.path.join(out, name + ".txt"), "w") as f:
            f.write("# %s: activation scales and zero points as written (tests/int8/make-ort-qdq.py)\n" % name)
            f.write("\n".join(table) + "\n")
        print("wrote %s.onnx (%d bytes, %d Q/DQ pairs)" % (name, os.path.getsize(os.path.join(out, name + ".onnx")),
                                                          len(table)))


if __name__ == "__main__":
    main()
