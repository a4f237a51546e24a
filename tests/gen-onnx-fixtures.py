#!/usr/bin/python3
"""Writes the ONNX fixtures of tests/unit/test-onnx-read.c into tests/data/onnx/.

Run with Debian's /usr/bin/python3 and its onnx 1.12 (python3-onnx):

    /usr/bin/python3 tests/gen-onnx-fixtures.py

The output is deterministic, so re-running it on an unchanged script leaves
git clean. Most of the model is built with onnx.helper; the encodings
onnx's own serialiser never emits (unpacked float_data, packed attribute
ints, attributes without a type as IR version 1 wrote them, a repeated
field split over several packed runs) are spliced in by the small wire
encoder below. The file is then parsed back with onnx, and the expected
values (all-fields.expect) are written from that parsed object, with
numpy_helper.to_array as the reference decoder, so nothing expected is
typed by hand.
"""
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "onnx")

# ---------------------------------------------------------------- wire


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num, wire):
    return varint(num << 3 | wire)


def f_varint(num, v):
    return key(num, 0) + varint(v)


def f_len(num, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(num, 2) + varint(len(payload)) + payload


def f_i32(num, bits):
    return key(num, 5) + struct.pack("<I", bits)


def f_i64(num, bits):
    return key(num, 1) + struct.pack("<Q", bits)


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# ---------------------------------------------------------- the model


def initializers():
    """TensorProtos made by onnx itself: raw_data and packed typed data."""
    ts = []
    f32 = np.array([[0.5, -0.0, np.inf], [1e-45, 3.25, -7.0e30]], dtype=np.float32)
    ts.append(numpy_helper.from_array(f32, "f32_raw"))
    ts.append(helper.make_tensor("f32_packed", TensorProto.FLOAT, [4], [1.5, -2.25, 1e-3, 65504.0]))
    ts.append(helper.make_tensor("f32_scalar", TensorProto.FLOAT, [], [42.0]))
    ts.append(helper.make_tensor("f32_empty", TensorProto.FLOAT, [0, 3], []))
    i64 = [0, -1, 2**62, -(2**63), 2**63 - 1, 300]
    ts.append(helper.make_tensor("i64_typed", TensorProto.INT64, [2, 3], i64))
    ts.append(numpy_helper.from_array(np.array(i64, dtype=np.int64).reshape(3, 2), "i64_raw"))
    i32 = [-2147483648, 2147483647, -1, 0, 7]
    ts.append(helper.make_tensor("i32_typed", TensorProto.INT32, [5], i32))
    ts.append(numpy_helper.from_array(np.array(i32, dtype=np.int32), "i32_raw"))
    ts.append(helper.make_tensor("i8_typed", TensorProto.INT8, [4], [-128, 127, -1, 0]))
    ts.append(numpy_helper.from_array(np.array([[-128, 5], [127, -3]], dtype=np.int8), "i8_raw"))
    ts.append(helper.make_tensor("u8_typed", TensorProto.UINT8, [3], [0, 200, 255]))
    ts.append(numpy_helper.from_array(np.arange(0, 256, 17, dtype=np.uint8), "u8_raw"))
    ts.append(helper.make_tensor("i16_typed", TensorProto.INT16, [3], [-32768, 32767, -2]))
    ts.append(helper.make_tensor("u16_typed", TensorProto.UINT16, [2], [0, 65535]))
    ts.append(helper.make_tensor("u32_typed", TensorProto.UINT32, [2], [0, 4294967295]))
    ts.append(helper.make_tensor("u64_typed", TensorProto.UINT64, [3], [0, 2**63 + 5, 2**64 - 1]))
    ts.append(helper.make_tensor("f64_typed", TensorProto.DOUBLE, [3], [1.0 / 3.0, -0.0, 1e300]))
    ts.append(numpy_helper.from_array(np.array([np.pi, -np.e], dtype=np.float64), "f64_raw"))
    ts.append(helper.make_tensor("bool_typed", TensorProto.BOOL, [4], [True, False, False, True]))
    ts.append(numpy_helper.from_array(np.array([[True], [False], [True]]), "bool_raw"))
    ts.append(helper.make_tensor("f16_typed", TensorProto.FLOAT16, [3], np.array([1.0, -2.5, 65504.0], dtype=np.float16)))
    ts.append(numpy_helper.from_array(np.array([0.25, -0.0], dtype=np.float16), "f16_raw"))
    ts.append(helper.make_tensor("bf16_typed", TensorProto.BFLOAT16, [2], [1.0, -3.0]))
    ts.append(helper.make_tensor("c64_typed", TensorProto.COMPLEX64, [2], [1 + 2j, -3.5 + 0.5j]))
    ts.append(helper.make_tensor("str_typed", TensorProto.STRING, [2], [b"hello", b""]))
    return ts


def hand_initializers():
    """Encodings of TensorProto that onnx's serialiser does not produce."""
    out = []
    # Unpacked float_data, dims written before data_type, name last.
    vals = [0.1, -1.0, 2.0e-38, 1234.5]
    b = f_varint(1, 2) + f_varint(1, 2) + f_varint(2, TensorProto.FLOAT)
    b += b"".join(f_i32(4, f32_bits(v)) for v in vals) + f_len(8, "f32_unpacked")
    out.append(b)
    # Unpacked int64_data, plus an unknown field (99, varint) to skip.
    b = f_len(8, "i64_unpacked") + f_varint(1, 3) + f_varint(2, TensorProto.INT64) + f_varint(99, 12345)
    b += b"".join(f_varint(7, v) for v in [-5, 0, 2**40])
    out.append(b)
    # Unpacked double_data, and a doc_string (12) to skip.
    b = f_varint(1, 2) + f_varint(2, TensorProto.DOUBLE) + f_len(12, "doc") + f_len(8, "f64_unpacked")
    b += f_i64(10, f64_bits(-1.5)) + f_i64(10, f64_bits(6.02e23))
    out.append(b)
    # int32_data split over two packed runs and a lone unpacked element.
    b = f_varint(1, 5) + f_varint(2, TensorProto.INT32) + f_len(8, "i32_split")
    b += f_len(5, varint(1) + varint(-2)) + f_varint(5, 3) + f_len(5, varint(-4) + varint(5))
    out.append(b)
    # dims packed (onnx writes them packed in proto3 builds, unpacked here).
    b = f_len(1, varint(2) + varint(1) + varint(2)) + f_varint(2, TensorProto.UINT8) + f_len(8, "u8_packed_dims")
    b += f_len(9, bytes([1, 2, 3, 4]))
    out.append(b)
    return out


def everything_node():
    """A node carrying every attribute type, made by onnx.helper."""
    then = helper.make_graph([helper.make_node("Identity", ["a"], ["b"])], "then",
                             [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                             [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
    sparse = helper.make_sparse_tensor(helper.make_tensor("sv", TensorProto.FLOAT, [2], [1.0, 2.0]),
                                       helper.make_tensor("si", TensorProto.INT64, [2], [0, 3]), [4])
    node = helper.make_node(
        "Everything", ["x", "", "w"], ["y", "y2"], name="every_attr", domain="com.effad",
        f=0.15625, i=-7, s=b"same upper; 100%~", t=helper.make_tensor("tv", TensorProto.INT64, [2], [3, -4]),
        g=then, floats=[1.0, -0.5, 3.0e-3], ints=[-1, 0, 2**40], strings=[b"a", b"bc"],
        tensors=[helper.make_tensor("t0", TensorProto.FLOAT, [1], [1.0])], graphs=[then, then],
        sparse=sparse)
    node.attribute.append(onnx.AttributeProto(name="empty_ints", type=onnx.AttributeProto.INTS))
    return node


def hand_attributes():
    """AttributeProto encodings of old or unusual writers."""
    out = []
    # IR version 1: no type field; the value field alone says INT.
    out.append(f_len(1, "old_i") + f_varint(3, 5))
    out.append(f_len(1, "old_f") + f_i32(2, f32_bits(-2.5)))
    out.append(f_len(1, "old_s") + f_len(4, "pad"))
    out.append(f_len(1, "old_ints") + f_varint(8, 1) + f_varint(8, 2) + f_varint(8, -3))
    # Packed ints and floats (onnx writes these unpacked), type before name.
    out.append(f_varint(20, 7) + f_len(1, "packed_ints") + f_len(8, varint(3) + varint(-1) + varint(2**35)))
    out.append(f_varint(20, 6) + f_len(1, "packed_floats") + f_len(7, struct.pack("<3f", 0.5, -1.25, 8.0)))
    # Both encodings of one list in one attribute, as a merge would leave.
    out.append(f_len(1, "mixed_ints") + f_varint(20, 7) + f_varint(8, 9) + f_len(8, varint(10) + varint(11)))
    return out


def build_model():
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv0", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[2, 2], group=1, auto_pad="NOTSET", dilations=[1, 1]),
        helper.make_node("Clip", ["c", "", "hi"], ["d"]),   # no name, omitted optional input
        everything_node(),
        helper.make_node("LeakyRelu", ["d"], ["e"], name="lrelu", alpha=0.01),
    ]
    old = helper.make_node("OldStyle", ["e"], ["z"], name="old_node")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, None, 224]),
              helper.make_tensor_value_info("w", TensorProto.FLOAT, [8, 3, 3, 3]),
              helper.make_tensor_value_info("hi", TensorProto.FLOAT, [])]
    outputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, None),
               helper.make_tensor_sequence_value_info("seq", TensorProto.FLOAT, None)]
    value_info = [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["N", 8, "H_out", 112]),
                  helper.make_tensor_value_info("e", TensorProto.INT64, [1, 2, 3, 4, 5, 6, 7, 8])]
    graph = helper.make_graph(nodes, "all_fields", inputs, outputs, initializers(), value_info=value_info)
    graph_bytes = graph.SerializeToString()
    graph_bytes += f_len(1, old.SerializeToString() + b"".join(f_len(5, a) for a in hand_attributes()))
    graph_bytes += b"".join(f_len(5, t) for t in hand_initializers())

    model = helper.make_model(graph, producer_name="effad-fixtures", producer_version="1.0",
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1),
                                             helper.make_opsetid("ai.onnx.ml", 3),
                                             helper.make_opsetid("com.effad", 2)])
    model.ir_version = 8
    model.doc_string = "fields effad skips"
    model.ClearField("graph")
    # Graph first, so that prefixes cut among the later fields still decode.
    return f_len(7, graph_bytes) + model.SerializeToString()


# ------------------------------------------------------- expected values


def esc(s):
    if isinstance(s, str):
        s = s.encode()
    if not s:
        return "~"
    ok = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/+-"
    return "".join(chr(c) if c in ok else "%%%02X" % c for c in s)


DTYPE_INT_VIEW = {TensorProto.FLOAT: np.uint32, TensorProto.DOUBLE: np.uint64, TensorProto.FLOAT16: np.uint16}


def tensor_record(t):
    dims = list(t.dims)
    count = int(np.prod(dims)) if dims else 1
    words = [esc(t.name), str(t.data_type), str(len(dims))] + [str(d) for d in dims] + [str(count)]
    if t.data_type in (TensorProto.STRING, TensorProto.COMPLEX64, TensorProto.COMPLEX128):
        return words + ["0"]
    a = numpy_helper.to_array(t).reshape(-1)
    if t.data_type == TensorProto.BFLOAT16:
        vals = [int(v) >> 16 for v in a.astype(np.float32).view(np.uint32)]
    elif t.data_type in DTYPE_INT_VIEW:
        vals = [int(v) for v in a.view(DTYPE_INT_VIEW[t.data_type])]
    else:
        vals = [int(v) & ((1 << 64) - 1) for v in a]   # two's complement, as C reads it back
    return words + [str(len(vals))] + [str(v) for v in vals]


def attr_type(a):
    if a.type:
        return a.type
    # Before AttributeProto.type existed, the field that is set says it.
    for field, t in (("f", 1), ("i", 2), ("s", 3), ("t", 4), ("g", 5)):
        if a.HasField(field):
            return t
    for field, t in (("floats", 6), ("ints", 7), ("strings", 8), ("tensors", 9), ("graphs", 10)):
        if len(getattr(a, field)):
            return t
    return 0


def attr_record(a):
    t = attr_type(a)
    words = [esc(a.name), str(t)]
    if t == 1:
        words.append(str(f32_bits(a.f)))
    elif t == 2:
        words.append(str(a.i & ((1 << 64) - 1)))
    elif t == 3:
        words += [esc(a.s), str(len(a.s))]
    elif t == 4:
        words += tensor_record(a.t)
    elif t == 6:
        words += [str(len(a.floats))] + [str(f32_bits(v)) for v in a.floats]
    elif t == 7:
        words += [str(len(a.ints))] + [str(v & ((1 << 64) - 1)) for v in a.ints]
    return words


def value_record(v):
    tt = v.type.tensor_type if v.type.HasField("tensor_type") else None
    if tt is None:
        return [esc(v.name), "0", "-1"]
    words = [esc(v.name), str(tt.elem_type)]
    if not tt.HasField("shape"):
        return words + ["-1"]
    words.append(str(len(tt.shape.dim)))
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            words.append(str(d.dim_value))
        elif d.HasField("dim_param"):
            words.append("@" + esc(d.dim_param))
        else:
            words.append("?")
    return words


def expected(m):
    g = m.graph
    lines = [["ir_version", str(m.ir_version)], ["producer", esc(m.producer_name), esc(m.producer_version)],
             ["graph", esc(g.name)], ["opsets", str(len(m.opset_import))]]
    lines += [["opset", esc(o.domain), str(o.version)] for o in m.opset_import]
    lines.append(["nodes", str(len(g.node))])
    for n in g.node:
        lines.append(["node", esc(n.name), esc(n.op_type), esc(n.domain), str(len(n.input))] +
                     [esc(s) for s in n.input] + [str(len(n.output))] + [esc(s) for s in n.output] +
                     [str(len(n.attribute))])
        lines += [["attr"] + attr_record(a) for a in n.attribute]
    lines.append(["inits", str(len(g.initializer))])
    lines += [["init"] + tensor_record(t) for t in g.initializer]
    for what, vs in (("inputs", g.input), ("outputs", g.output), ("value_infos", g.value_info)):
        lines.append([what, str(len(vs))])
        lines += [["value"] + value_record(v) for v in vs]
    return "".join(" ".join(w) + "\n" for w in lines)


# ------------------------------------------------- fixtures for refusals


def refusal_models():
    x = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])]
    y = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])]
    nodes = [helper.make_node("Add", ["x", "k"], ["y"], name="add")]
    out = {}

    ext = helper.make_tensor("k", TensorProto.FLOAT, [2, 3], [0.0] * 6)
    ext.ClearField("float_data")
    ext.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "24")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    out["external.onnx"] = helper.make_graph(nodes, "ext", x, y, [ext])

    sp = helper.make_graph(nodes, "sparse", x, y)
    sp.sparse_initializer.append(helper.make_sparse_tensor(
        helper.make_tensor("k", TensorProto.FLOAT, [1], [1.0]),
        helper.make_tensor("k_idx", TensorProto.INT64, [1], [4]), [2, 3]))
    out["sparse.onnx"] = sp

    bad = helper.make_tensor("k", TensorProto.FLOAT, [2, 3], [1.0] * 6)
    del bad.float_data[5]
    out["mismatch.onnx"] = helper.make_graph(nodes, "mismatch", x, y, [bad])

    badraw = numpy_helper.from_array(np.zeros((2, 3), dtype=np.float32), "k")
    badraw.raw_data = badraw.raw_data[:20]
    out["mismatch-raw.onnx"] = helper.make_graph(nodes, "mismatch_raw", x, y, [badraw])
    return {name: helper.make_model(g, producer_name="effad-fixtures", opset_imports=[helper.make_opsetid("", 13)])
            for name, g in out.items()}


def main():
    if onnx.__version__.split(".")[:2] != ["1", "12"]:
        sys.stderr.write("note: written for onnx 1.12, running %s\n" % onnx.__version__)
    os.makedirs(OUT, exist_ok=True)
    blob = build_model()
    parsed = onnx.ModelProto.FromString(blob)
    files = {"all-fields.onnx": blob, "all-fields.expect": expected(parsed).encode()}
    for name, m in refusal_models().items():
        files[name] = m.SerializeToString()
    t = numpy_helper.from_array(np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4), "tensor_in")
    files["tensor.pb"] = t.SerializeToString()
    files["tensor.expect"] = (" ".join(tensor_record(t)) + "\n").encode()
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)
        print("%-22s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
