"""Small ONNX graph edits shared by the golden generator (gen.py) and the
reference pipelines (tests/reference/): choosing graph outputs, pruning
dead nodes, and the pooled-taps layout of ailia's mahalanobisad models."""
import onnx
from onnx import helper, TensorProto


def with_outputs(m, names, prune_dead=False):
    """Copy of m whose graph outputs are exactly `names` (float tensors)."""
    m2 = onnx.ModelProto()
    m2.CopyFrom(m)
    del m2.graph.output[:]
    for n in names:
        m2.graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    if prune_dead:
        prune(m2)
    return m2


def prune(m):
    """Drop nodes, initializers and value_infos no graph output depends on."""
    need = set(o.name for o in m.graph.output)
    keep = []
    for node in reversed(m.graph.node):
        if any(o in need for o in node.output):
            keep.append(node)
            need.update(i for i in node.input if i)
    keep.reverse()
    del m.graph.node[:]
    m.graph.node.extend(keep)
    inits = [i for i in m.graph.initializer if i.name in need]
    del m.graph.initializer[:]
    m.graph.initializer.extend(inits)
    vis = [v for v in m.graph.value_info if v.name in need]
    del m.graph.value_info[:]
    m.graph.value_info.extend(vis)
    return m


def taps_model(m, names, channels):
    """m + a GlobalAveragePool on each tensor of `names`; outputs exactly
    level0_gap .. level<k>_gap (1 x C x 1 x 1) in order, logits and dead
    nodes removed -- the layout of ailia's mahalanobisad EfficientNet ONNX
    files (tests/golden/*/model-taps*.onnx)."""
    t = onnx.ModelProto()
    t.CopyFrom(m)
    del t.graph.output[:]
    for i, (name, c) in enumerate(zip(names, channels)):
        out = "level%d_gap" % i
        t.graph.node.append(helper.make_node("GlobalAveragePool", [name], [out],
                                             name="tap%d_GlobalAveragePool" % i))
        t.graph.output.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, c, 1, 1]))
    prune(t)
    onnx.checker.check_model(t)
    return t
