"""Shared code of the reference pipelines (tests/reference/*.py).

ONNX Runtime through tests/golden/ort-run.js --batch, dataset listing,
level-tensor discovery in torchvision / lukemelas EfficientNet exports,
Ledoit-Wolf fitting and the JSON-lines writer.  Test-only; Debian's
/usr/bin/python3.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, TensorProto

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import onnx_edit  # noqa: E402
from onnx_edit import prune, taps_model  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(ROOT, "tests", "golden", "ort-run.js")
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# dataset
# --------------------------------------------------------------------------

def list_images(d):
    return sorted(f for f in os.listdir(d) if f.lower().endswith(IMAGE_EXT)
                  and os.path.isfile(os.path.join(d, f)))


def dataset(root):
    """(train, test): lists of (relative path, label).  Train = DIR/train/good;
    test = every sub-directory of DIR/test in sorted order, label 0 for
    'good', 1 otherwise; files sorted by name (as both pipelines do)."""
    tdir = os.path.join(root, "train", "good")
    train = [(os.path.join("train", "good", f), 0) for f in list_images(tdir)]
    test = []
    troot = os.path.join(root, "test")
    for sub in sorted(os.listdir(troot)):
        if not os.path.isdir(os.path.join(troot, sub)):
            continue
        for f in list_images(os.path.join(troot, sub)):
            test.append((os.path.join("test", sub, f), 0 if sub == "good" else 1))
    if not train or not test:
        raise SystemExit("%s: need images in train/good and test/*" % root)
    return train, test


# --------------------------------------------------------------------------
# ONNX helpers
# --------------------------------------------------------------------------

def input_hw(m):
    t = m.graph.input[0].type.tensor_type
    d = [x.dim_value for x in t.shape.dim]
    if len(d) != 4 or d[2] <= 0 or d[3] <= 0:
        raise SystemExit("model input %s has no static N x 3 x H x W shape (%s)"
                         % (m.graph.input[0].name, d))
    return d[2], d[3]


def tensor_shapes(m):
    """name -> shape list after shape inference (None for an unknown dim;
    the whole entry None when even the rank is unknown)."""
    inf = onnx.shape_inference.infer_shapes(m)
    out = {}
    for vi in list(inf.graph.value_info) + list(inf.graph.output) + list(inf.graph.input):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            out[vi.name] = [d.dim_value if d.HasField("dim_value") else None
                            for d in t.shape.dim]
        else:
            out.setdefault(vi.name, None)
    return out


def output_shapes(m):
    res = []
    for o in m.graph.output:
        t = o.type.tensor_type
        res.append([d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim])
    return res


def with_outputs(m, names):
    """Copy of m whose graph outputs are exactly `names`; unused nodes pruned."""
    return onnx_edit.with_outputs(m, names, prune_dead=True)


# --------------------------------------------------------------------------
# level discovery
# --------------------------------------------------------------------------

TV_BLOCK = re.compile(r"^/features/features\.(\d+)/features\.\1\.(\d+)/")
LM_BLOCK = re.compile(r"^/_blocks\.(\d+)/")


def _prefix_io(nodes, prefix, inits):
    """(external inputs, external outputs) of the node group whose names
    start with prefix, in graph order."""
    inside = [n for n in nodes if n.name.startswith(prefix)]
    produced = set(o for n in inside for o in n.output)
    ins = []
    for n in inside:
        for i in n.input:
            if i and i not in produced and i not in inits and i not in ins:
                ins.append(i)
    outs = []
    for n in nodes:
        if n.name.startswith(prefix):
            continue
        for i in n.input:
            if i in produced and i not in outs:
                outs.append(i)
    return ins, outs


def find_levels(m, which):
    """The 9 level tensors of a plain EfficientNet classifier export.

    which = 'end'   (paper): stem, LAST block of each of the 7 stages, head.
    which = 'start' (MahalanobisAD / ailia): stem, FIRST block of each
                    stage, head.

    Blocks are recognised by ONNX node names: torchvision
    '/features/features.S/features.S.J/...' (stage S = 1..7, block J; S = 0
    is the stem, the last S the head) or lukemelas '/_blocks.K/...'.  A
    block's output is the one tensor produced inside its name prefix and
    consumed outside it.  Stem = the external input of the first block;
    head = the input of the last GlobalAveragePool outside any block (the
    classifier's pool).  Stages: torchvision from S; lukemelas by
    MahalanobisAD-pytorch's own rule -- a block starts a stage when its
    output channel count differs from its input's (x_prev.shape[1] !=
    x.shape[1]).  For torchvision the channel rule is checked to agree.

    Returns (names, channels, info) with info a short description."""
    nodes = list(m.graph.node)
    inits = set(i.name for i in m.graph.initializer)
    shapes = tensor_shapes(m)
    consts = set(o for n in nodes if n.op_type in ("Constant", "ConstantOfShape", "Shape")
                 for o in n.output)

    def maybe4d(t):
        return t not in consts and (shapes.get(t) is None or len(shapes[t]) == 4)

    blocks = []          # (key, prefix)
    seen = set()
    style = None
    for n in nodes:
        t = TV_BLOCK.match(n.name)
        if t:
            style = "torchvision"
            key = (int(t.group(1)), int(t.group(2)))
            pre = t.group(0)
        else:
            t = LM_BLOCK.match(n.name)
            if not t:
                continue
            style = "lukemelas"
            key = (None, int(t.group(1)))
            pre = t.group(0)
        if key not in seen:
            seen.add(key)
            blocks.append((key, pre))
    if style is None:
        raise SystemExit("no torchvision (/features/features.S/features.S.J/) or lukemelas "
                         "(/_blocks.K/) node names: pass --levels-from")
    if style == "torchvision":
        stages = sorted(set(k[0] for k, _ in blocks))
        first, last = stages[0], stages[-1]
        blocks = [(k, p) for k, p in blocks if first < k[0] < last]

    bio = []
    for key, pre in blocks:
        ins, outs = _prefix_io(nodes, pre, inits)
        ins = [i for i in ins if maybe4d(i)]
        outs = [o for o in outs if maybe4d(o)]
        if len(outs) != 1 or len(ins) != 1:
            raise SystemExit("block %s: expected one 4-D input and output, got %s -> %s"
                             % (pre, ins, outs))
        bio.append(dict(key=key, prefix=pre, inp=ins[0], out=outs[0],
                        cin=(shapes.get(ins[0]) or [None, None])[1],
                        cout=(shapes.get(outs[0]) or [None, None])[1]))
    if any(b["cin"] is None or b["cout"] is None for b in bio):
        probe_channels(m, bio)
    stem = bio[0]["inp"]
    gaps = [n for n in nodes if n.op_type == "GlobalAveragePool"
            and not any(n.name.startswith(b["prefix"]) for b in bio)]
    if not gaps:
        raise SystemExit("no classifier GlobalAveragePool found: pass --levels-from")
    head = gaps[-1].input[0]

    starts_ch = [i for i, b in enumerate(bio) if b["cout"] != b["cin"]]
    if style == "torchvision":
        starts = [i for i, b in enumerate(bio) if i == 0 or b["key"][0] != bio[i - 1]["key"][0]]
        if starts != starts_ch:
            log("note: stage starts by name %s differ from the channel rule %s"
                % ([bio[i]["prefix"] for i in starts], [bio[i]["prefix"] for i in starts_ch]))
    else:
        starts = starts_ch
    ends = [s - 1 for s in starts[1:]] + [len(bio) - 1]
    pick = starts if which == "start" else ends
    if len(pick) != 7:
        log("warning: %d stages found (expected 7)" % len(pick))
    names = [stem] + [bio[i]["out"] for i in pick] + [head]
    known = dict((b["inp"], b["cin"]) for b in bio)
    known.update((b["out"], b["cout"]) for b in bio)
    chans = [known.get(n) or (shapes.get(n) or [None, None])[1] for n in names]
    if any(c is None for c in chans):
        h, w = input_hw(m)
        outs = run_ort_batch(with_outputs(m, [n for n in names]),
                             np.zeros((1, 3, h, w), np.float32))
        chans = [int(o.shape[2]) for o in outs]
    info = "%s style; %s blocks: %s" % (style, "first" if which == "start" else "last",
                                        " ".join(bio[i]["prefix"] for i in pick))
    return names, chans, info


def probe_channels(m, bio):
    """Fill unknown block channel counts (shape inference gives up after the
    lukemelas Pad subgraphs) from one ORT run on a zero image."""
    names = []
    for b in bio:
        for t in (b["inp"], b["out"]):
            if t not in names:
                names.append(t)
    h, w = input_hw(m)
    outs = run_ort_batch(with_outputs(m, names), np.zeros((1, 3, h, w), np.float32))
    ch = dict((n, int(o.shape[2])) for n, o in zip(names, outs))
    for b in bio:
        b["cin"], b["cout"] = ch[b["inp"]], ch[b["out"]]


def read_levels_file(path):
    """Level tensor names from a tests/golden/<case>/levels.txt (7-column
    lines, name last) or from a plain one-name-per-line file."""
    names = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            names.append(line.split()[-1])
    return names


def check_against_golden(model_path, names, fname):
    """If the model sits in a tests/golden/<case>/ directory with the given
    levels file, report whether the discovered names agree with it."""
    p = os.path.join(os.path.dirname(os.path.abspath(model_path)), fname)
    if os.path.exists(p):
        ref = read_levels_file(p)
        ok = ref == list(names)
        log("level tensors %s %s" % ("match" if ok else "DIFFER FROM", p))
        if not ok:
            for a, b in zip(names, ref):
                log("  %s  vs  %s" % (a, b))
        return ok
    return None


# --------------------------------------------------------------------------
# ORT
# --------------------------------------------------------------------------

def ort_dir():
    return os.path.abspath(os.environ.get("EFFAD_ORT_DIR", os.path.join(ROOT, "build", "ort")))


def check_ort():
    d = ort_dir()
    if not os.path.isdir(os.path.join(d, "node_modules", "onnxruntime-node")):
        raise SystemExit("onnxruntime-node not found under %s/node_modules; set EFFAD_ORT_DIR "
                         "(see tests/golden/README.md)" % d)


def ort_version():
    return getattr(ort_version, "v", "unknown")


def run_ort_batch(model, inputs, names=None):
    """Run `model` (an onnx.ModelProto or a path) once per row of
    inputs (K x C x H x W float32) in one ORT session.  Returns the list of
    requested outputs (default: all), each K x (one run's dims)."""
    check_ort()
    inputs = np.ascontiguousarray(inputs, dtype="<f4")
    with tempfile.TemporaryDirectory(prefix="effad-ref-") as tmp:
        if isinstance(model, onnx.ModelProto):
            path = os.path.join(tmp, "model.onnx")
            onnx.save(model, path)
        else:
            path = model
        inp = os.path.join(tmp, "inputs.f32")
        inputs.tofile(inp)
        shape = [1] + list(inputs.shape[1:])
        cmd = ["node", ORT_RUN, "--batch", path, inp, ",".join(map(str, shape)),
               os.path.join(tmp, "out")] + list(names or [])
        r = subprocess.run(cmd, env=dict(os.environ, EFFAD_ORT_DIR=ort_dir()),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            raise SystemExit("ort-run.js failed on %s" % path)
        summ = json.loads(r.stdout.strip().splitlines()[-1])
        ort_version.v = summ.get("ort_version", "unknown")
        return [np.fromfile(o["file"], dtype="<f4").reshape(o["dims"]) for o in summ["outputs"]]


# --------------------------------------------------------------------------
# Gaussian
# --------------------------------------------------------------------------

def fit_level(X, dtype):
    """X: n x d features.  sklearn LedoitWolf (assume_centered=False) in
    `dtype`: float64 (default; what effad computes) or float32 (what the
    original scripts effectively run: their features are float32 arrays and
    sklearn keeps that dtype)."""
    from sklearn.covariance import LedoitWolf
    X = np.asarray(X, dtype=dtype)
    lw = LedoitWolf().fit(X)
    return dict(mean=X.mean(axis=0), cov=lw.covariance_, precision=lw.precision_,
                shrinkage=float(lw.shrinkage_), dim=int(X.shape[1]), dtype=dtype)


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------

def fnum(x):
    return float(x)


def write_jsonl(path, header, rows):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        f.write(json.dumps(header) + "\n")
        for r in rows:
            f.write(json.dumps(r) + "\n")
