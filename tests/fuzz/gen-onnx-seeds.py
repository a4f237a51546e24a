#!/usr/bin/python3
"""Writes tiny EfficientNet-shaped ONNX graphs into tests/fuzz/seeds/onnx/:
seeds for tests/fuzz/fuzz-onnx.c that are a few kilobytes (the golden
models are 150 KB; libFuzzer mutates and re-parses a whole input per run)
and still go all the way through the converter.

Run with Debian's /usr/bin/python3 and its python3-onnx:

    /usr/bin/python3 tests/fuzz/gen-onnx-seeds.py

Output is deterministic (seeded weights). The graphs, each 16x16 input,
channels 4-8, stem -> 3 MBConv blocks (expand ratio 1 with SE, stride-2
expand + SE, a residual one) -> head:

  tv-bn-op11.onnx   torchvision style: Conv + BatchNormalization + x*sigmoid(x),
                    GlobalAveragePool -> Flatten -> Gemm classifier
  tv-op14.onnx      the same at opset 14, BN folded, HardSwish/HardSigmoid/
                    Clip activations in place of swish in some layers
  lm-dynpad.onnx    lukemelas style: TF "same" padding computed from Shape()
                    through Gather/Add/Sub/Mul/Div/Max/Cast/Unsqueeze/Concat
                    into Pad, plus a side chain of every other foldable op
                    (Range, Slice, Where, Expand, ConstantOfShape, Reshape,
                    Transpose, Squeeze, Flatten, Equal/Less/Greater, Not,
                    Neg/Abs/Floor/Ceil/Sqrt, Min, Size, Identity)
  taps.onnx         ailia mahalanobisad layout: the pooled stem, block and
                    head maps are the graph's outputs, no classifier
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "onnx")


class G:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base):
        self.n += 1
        return "%s_%d" % (base, self.n)

    def const(self, arr, base="c"):
        nm = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        return nm

    def node(self, op, ins, n_out=1, **attrs):
        outs = [self.name(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=outs[0] + "_node", **attrs))
        return outs[0] if n_out == 1 else outs

    def weights(self, *shape):
        return self.const((self.rng.standard_normal(shape) * 0.3).astype(np.float32), "w")

    def conv(self, x, cin, cout, k, stride=1, group=1, pad=None, bias=False):
        w = self.weights(cout, cin // group, k, k)
        ins = [x, w] + ([self.const(np.zeros(cout, np.float32), "b")] if bias else [])
        p = (k - 1) // 2 if pad is None else pad
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], group=group,
                         pads=[p, p, p, p], dilations=[1, 1])

    def bn(self, x, c):
        r = self.rng
        return self.node("BatchNormalization", [
            x, self.const((1 + 0.1 * r.standard_normal(c)).astype(np.float32), "scale"),
            self.const((0.1 * r.standard_normal(c)).astype(np.float32), "bias"),
            self.const((0.1 * r.standard_normal(c)).astype(np.float32), "mean"),
            self.const((1 + 0.1 * r.random(c)).astype(np.float32), "var")], epsilon=1e-3)

    def act(self, x, kind):
        if kind == "swish":
            return self.node("Mul", [x, self.node("Sigmoid", [x])])
        if kind == "hardswish":
            return self.node("HardSwish", [x])
        if kind == "relu6":
            return self.node("Clip", [x, self.const(np.float32(0), "lo"), self.const(np.float32(6), "hi")])
        raise ValueError(kind)

    def conv_bn_act(self, x, cin, cout, k, stride=1, group=1, act="swish", bn=True, pad=None):
        y = self.conv(x, cin, cout, k, stride, group, pad=pad, bias=not bn)
        if bn:
            y = self.bn(y, cout)
        return self.act(y, act) if act else y

    def se(self, x, c, rc, gate="sigmoid"):
        s = self.node("GlobalAveragePool", [x])
        s = self.act(self.conv(s, c, rc, 1, bias=True), "swish")
        s = self.conv(s, rc, c, 1, bias=True)
        s = self.node("Sigmoid", [s]) if gate == "sigmoid" else self.node("HardSigmoid", [s], alpha=1 / 6, beta=0.5)
        return self.node("Mul", [x, s])


def block(g, x, cin, cout, expand, k, stride, se_c, act="swish", bn=True, pad_fn=None, gate="sigmoid"):
    mid = cin * expand
    y = x
    if expand != 1:
        y = g.conv_bn_act(y, cin, mid, 1, act=act, bn=bn)
    if pad_fn:
        y = pad_fn(y, k, stride)
        y = g.conv_bn_act(y, mid, mid, k, stride, group=mid, act=act, bn=bn, pad=0)
    else:
        y = g.conv_bn_act(y, mid, mid, k, stride, group=mid, act=act, bn=bn)
    if se_c:
        y = g.se(y, mid, se_c, gate)
    y = g.conv_bn_act(y, mid, cout, 1, act=None, bn=bn)
    if stride == 1 and cin == cout:
        y = g.node("Add", [y, x])
    return y


def dynamic_same_pad(g, opset):
    """lukemelas' Conv2dDynamicSamePadding, as PyTorch exports it."""
    def unsq(v):
        if opset >= 13:
            return g.node("Unsqueeze", [v, g.const(np.array([0], np.int64), "axes")])
        return g.node("Unsqueeze", [v], axes=[0])

    def pad_amounts(x, axis, k, s):
        size = g.node("Gather", [g.node("Shape", [x]), g.const(np.int64(axis), "axis")], axis=0)
        st = g.const(np.int64(s), "stride")
        out = g.node("Div", [g.node("Add", [size, g.node("Sub", [st, g.const(np.int64(1), "one")])]), st])
        need = g.node("Sub", [g.node("Add", [g.node("Mul", [g.node("Sub", [out, g.const(np.int64(1), "one")]), st]),
                                             g.const(np.int64(k), "k")]), size])
        need = g.node("Max", [need, g.const(np.int64(0), "zero")])
        lo = g.node("Cast", [g.node("Div", [need, g.const(np.int64(2), "two")])], to=TensorProto.INT64)
        return lo, g.node("Sub", [need, lo])

    def pad(x, k, s):
        top, bottom = pad_amounts(x, 2, k, s)
        left, right = pad_amounts(x, 3, k, s)
        z = g.const(np.array([0], np.int64), "z")
        pads = g.node("Concat", [z, z, unsq(top), unsq(left), z, z, unsq(bottom), unsq(right)], axis=0)
        if opset >= 11:
            return g.node("Pad", [x, pads, g.const(np.float32(0), "fill")], mode="constant")
        raise ValueError(opset)
    return pad


def side_chain(g, x, opset):
    """Every other op the constant evaluator folds, on the way to nothing."""
    shape = g.node("Shape", [x])
    r = g.node("Range", [g.const(np.int64(0), "start"), g.const(np.int64(6), "limit"), g.const(np.int64(1), "delta")])
    if opset >= 10:
        sl = g.node("Slice", [r, g.const(np.array([1], np.int64), "st"), g.const(np.array([-1], np.int64), "en"),
                              g.const(np.array([0], np.int64), "ax"), g.const(np.array([2], np.int64), "sp")])
    else:
        sl = g.node("Slice", [r], starts=[1], ends=[-1])
    cond = g.node("Less", [sl, g.const(np.int64(3), "three")])
    w = g.node("Where", [g.node("Not", [cond]), sl, g.node("Neg", [sl])])
    filled = g.node("ConstantOfShape", [g.const(np.array([2, 3], np.int64), "shape")],
                    value=numpy_helper.from_array(np.array([1.5], np.float32)))
    ex = g.node("Expand", [filled, g.const(np.array([2, 2, 3], np.int64), "to")])
    t = g.node("Transpose", [ex], perm=[2, 0, 1])
    rs = g.node("Reshape", [t, g.const(np.array([3, -1], np.int64), "rshape")])
    fl = g.node("Flatten", [g.node("Floor", [g.node("Sqrt", [g.node("Abs", [rs])])])], axis=1)
    sq = g.node("Squeeze", [g.node("Unsqueeze", [g.node("Ceil", [fl])],
                                   axes=[0]) if opset < 13 else
                            g.node("Unsqueeze", [g.node("Ceil", [fl]), g.const(np.array([0], np.int64), "uax")])],
                **({"axes": [0]} if opset < 13 else {}))
    eq = g.node("Equal", [g.node("Cast", [w], to=TensorProto.FLOAT), g.const(np.float32(2), "two_f")])
    gt = g.node("Greater", [g.node("Size", [shape]), g.const(np.int64(3), "three")])
    g.node("Identity", [g.node("Min", [sq, g.const(np.float32(9), "nine")])])
    g.node("Identity", [eq])
    g.node("Identity", [gt])


def build(kind, seed):
    g = G(seed)
    opset = {"tv-bn-op11": 11, "tv-op14": 14, "lm-dynpad": 11, "taps": 11}[kind]
    bn = kind in ("tv-bn-op11", "taps")
    act = "swish"
    pad_fn = dynamic_same_pad(g, opset) if kind == "lm-dynpad" else None
    x = "image"
    taps = []
    if pad_fn:
        side_chain(g, x, opset)
        y = g.conv_bn_act(pad_fn(x, 3, 2), 3, 8, 3, 2, act=act, bn=bn, pad=0)
    else:
        y = g.conv_bn_act(x, 3, 8, 3, 2, act=act, bn=bn)
    taps.append(y)
    y = block(g, y, 8, 4, 1, 3, 1, 2, act=act, bn=bn, pad_fn=pad_fn)
    taps.append(y)
    y = block(g, y, 4, 8, 2, 5, 2, 1, act="hardswish" if kind == "tv-op14" else act, bn=bn, pad_fn=pad_fn,
              gate="hardsigmoid" if kind == "tv-op14" else "sigmoid")
    taps.append(y)
    y = block(g, y, 8, 8, 2, 3, 1, 2, act="relu6" if kind == "tv-op14" else act, bn=bn, pad_fn=pad_fn)
    taps.append(y)
    y = g.conv_bn_act(y, 8, 16, 1, act=act, bn=bn)
    taps.append(y)
    if kind == "taps":
        outs = [g.node("GlobalAveragePool", [t]) for t in taps]
        outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, c, 1, 1])
                   for o, c in zip(outs, (8, 4, 8, 8, 16))]
    else:
        p = g.node("Flatten", [g.node("GlobalAveragePool", [y])], axis=1)
        logits = g.node("Gemm", [p, g.weights(5, 16), g.const(np.zeros(5, np.float32), "fc_b")], transB=1)
        outputs = [helper.make_tensor_value_info(logits, TensorProto.FLOAT, [1, 5])]
    graph = helper.make_graph(g.nodes, kind, [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 16, 16])],
                              outputs, g.inits)
    m = helper.make_model(graph, producer_name="effad-fuzz-seeds", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, kind in enumerate(("tv-bn-op11", "tv-op14", "lm-dynpad", "taps")):
        path = os.path.join(OUT, kind + ".onnx")
        data = build(kind, 100 + i).SerializeToString()
        with open(path, "wb") as f:
            f.write(data)
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
