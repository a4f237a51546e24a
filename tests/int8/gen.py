#!/usr/bin/python3
"""effad int8 golden generator: effad's int8 forward pass against ONNX
Runtime running the QDQ graph `effad convert --emit-qdq` writes.

    /usr/bin/python3 tests/int8/gen.py                 # tiny cases -> tests/int8/<case>/
    /usr/bin/python3 tests/int8/gen.py --full          # + b0, b4 -> build/golden-int8/<case>/
    /usr/bin/python3 tests/int8/gen.py --only b0 --out DIR

Per case (tests/int8/README.md has the layout):
  1. a synthetic inspection set (`effad demo`, fixed seed) to calibrate on,
     and the network input: one of its test images (a hole), resized with
     PIL bilinear and ImageNet-normalised (a real image, so activations lie
     where calibration put the ranges);
  2. `effad convert --int8 ... --taps every-block --emit-qdq`: the int8
     .efm whose levels are every block's output (and the head's), and the
     same quantisation as a QDQ ONNX graph;
  3. `effad features --maps`: effad's level maps;
  4. ONNX Runtime (node, onnxruntime-node, graph optimisation 'basic':
     see tests/golden/ort-run.js) on
       - the whole QDQ graph ("chained"), and
       - each block alone ("forced"): the subgraph from the tensor the
         previous level reads to this level, fed effad's own map of the
         previous level. Two int8 implementations that differ only in
         float rounding (a sum in another order, another sigmoid) agree
         per layer, but a value that lands on the other side of a rounding
         boundary is one step off, and downstream layers turn such flips
         into more flips: over a deep network the chained outputs drift
         apart, more so in a network with random weights, which amplifies
         small perturbations. Forcing each block's input separates the
         question "does each layer compute the same thing?" (asserted by
         tests/unit/test-golden-int8.c) from that drift (reported).
B4 has 32 blocks: its every-block levels have no room for the head (32
levels at most), so a second conversion with --taps stage-end gives the
head, forced from the last block's output.

Everything is seeded, and the conversions make fixed choices
(--calib-method minmax --headroom 1.5 --float-budget 0, one block kept
float32 so that the float/int8 boundaries are covered): the goldens check
the arithmetic, not the calibration (tests/unit/test-quant-select.c does),
and the two B4 conversions are the same quantisation. Re-running
reproduces the files on the same machine.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(ROOT, "tests", "golden", "ort-run.js")
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)

FIXED = ["--calib-method", "minmax", "--headroom", "1.5", "--float-budget", "0", "--weight-only-budget", "0",
         "--act16-budget", "0"]
# the 16x8 cases (int16 activations): the headroom --act-bits 16 defaults to
FIXED16 = ["--act-bits", "16", "--calib-method", "minmax", "--headroom", "64", "--float-budget", "0",
           "--weight-only-budget", "0"]
CASES = [
    dict(name="tiny-tv-fold", tiny=True, onnx="tests/golden/tiny-tv-fold/model.onnx", hw=64,
         convert=["--calib-n", "16", "--measure", "4", "--keep-float", "0"] + FIXED, stage=False),
    dict(name="tiny-lm-static", tiny=True, onnx="tests/golden/tiny-lm-static/model.onnx", hw=64,
         convert=["--calib-n", "16", "--measure", "4", "--keep-float", "3"] + FIXED, stage=False),
    dict(name="tiny-tv-fold-a16", tiny=True, onnx="tests/golden/tiny-tv-fold/model.onnx", hw=64,
         convert=["--calib-n", "16", "--measure", "4", "--keep-float", "0"] + FIXED16, stage=False),
    # weight-only blocks (int8 weights, float32 activations) between int8
    # ones: ORT runs their DequantizeLinear'd weights in float
    dict(name="tiny-tv-fold-w8", tiny=True, onnx="tests/golden/tiny-tv-fold/model.onnx", hw=64,
         convert=["--calib-n", "16", "--measure", "4", "--keep-float", "0", "--weight-only", "2,5,head"] + FIXED,
         stage=False),
    # uint8 and 16x8 blocks in one model (--act16), with a float32 one:
    # every boundary the engine converts -- float32 -> int16, int16 ->
    # uint8 and uint8 -> int16 (through float), a skip inside a 16x8 block
    dict(name="tiny-tv-fold-mx", tiny=True, onnx="tests/golden/tiny-tv-fold/model.onnx", hw=64,
         convert=["--calib-n", "16", "--measure", "4", "--keep-float", "0", "--act16", "1,2,5,6"] + FIXED,
         stage=False),
    dict(name="b0", tiny=False, onnx="build/golden-full/b0-tv/model.onnx", hw=224,
         convert=["--calib-n", "8", "--measure", "2", "--keep-float", "3"] + FIXED, stage=False),
    dict(name="b4", tiny=False, onnx="build/golden-full/b4-tv/model.onnx", hw=380,
         convert=["--calib-n", "8", "--measure", "2", "--keep-float", "5"] + FIXED, stage=True),
    dict(name="b0-w8", tiny=False, onnx="build/golden-full/b0-tv/model.onnx", hw=224,
         convert=["--calib-n", "8", "--measure", "2", "--keep-float", "3", "--weight-only", "6,7,12"] + FIXED,
         stage=False),
    # the early blocks 16x8, the rest uint8: the mix that keeps the ranking
    # of the generated metal set's B0 without float32 blocks (models/int8.md)
    dict(name="b0-mx", tiny=False, onnx="build/golden-full/b0-tv/model.onnx", hw=224,
         convert=["--calib-n", "8", "--measure", "2", "--act16", "0,1,2,3,4,5,6,7,8"] + FIXED, stage=False),
    dict(name="b0-a16", tiny=False, onnx="build/golden-full/b0-tv/model.onnx", hw=224,
         convert=["--calib-n", "8", "--measure", "2", "--keep-float", "3"] + FIXED16, stage=False),
    dict(name="b4-a16", tiny=False, onnx="build/golden-full/b4-tv/model.onnx", hw=380,
         convert=["--calib-n", "8", "--measure", "2", "--keep-float", "5"] + FIXED16, stage=True),
]


def log(*a):
    print(*a, flush=True)


def run(cmd, env=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       env=dict(os.environ, **(env or {})))
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit("failed: %s" % " ".join(cmd))
    return r.stdout


def ort(model, x, outdir, names=None):
    """ORT at optimisation level 'basic' on one float32 NCHW input."""
    os.makedirs(outdir, exist_ok=True)
    inp = os.path.join(outdir, "in.f32")
    x.astype("<f4").tofile(inp)
    out = run(["node", ORT_RUN, model, inp, ",".join(map(str, x.shape)), outdir] + list(names or []),
              env=dict(EFFAD_ORT_DIR=ort_dir(), EFFAD_ORT_OPT="basic"))
    summ = json.loads(out.strip().splitlines()[-1])
    return [np.fromfile(o["file"], "<f4").reshape(o["dims"]) for o in summ["outputs"]], summ["ort_version"]


def ort_dir():
    return os.path.abspath(os.environ.get("EFFAD_ORT_DIR", os.path.join(ROOT, "build", "ort")))


def image_input(path, hw):
    im = Image.open(path).convert("RGB").resize((hw, hw), Image.BILINEAR)
    return ((np.asarray(im, np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)[None].astype("<f4")


def checksum(a):
    """sum over the float32 bit patterns w_i of w_i * (2i + 1), mod 2^64: the
    fingerprint test-golden-int8.c compares with its own map's before it
    holds effad to ORT's output for that input."""
    w = np.ascontiguousarray(a, dtype="<f4").reshape(-1).view("<u4").astype(np.uint64)
    k = np.arange(w.size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return int(np.sum(w * k, dtype=np.uint64))


def level_inputs(m):
    """Per graph output 'level<t>', the tensor its Identity reads."""
    prod = {o: n for n in m.graph.node for o in n.output}
    return [prod[o.name].input[0] for o in m.graph.output]


def effad_maps(effad, efm, inp, shapes, tmp):
    out = os.path.join(tmp, "maps.f32")
    run([effad, "features", efm, "--tensor", inp, "-o", out, "--maps"])
    flat = np.fromfile(out, "<f4")
    maps, off = [], 0
    for s in shapes:
        n = int(np.prod(s))
        maps.append(flat[off:off + n].reshape(s))
        off += n
    assert off == flat.size
    return maps


def forced_and_chained(effad, tag, efm, qdq, inp_path, x, outdir, tmp, only=None):
    """ORT runs for one (efm, QDQ graph) pair; returns manifest lines."""
    m = onnx.load(qdq)
    shapes = [[d.dim_value for d in o.type.tensor_type.shape.dim] for o in m.graph.output]
    names = [o.name for o in m.graph.output]
    srcs = level_inputs(m)
    maps = effad_maps(effad, efm, inp_path, shapes, tmp)
    lines = []
    chained, version = ort(qdq, x, os.path.join(tmp, "chained"))
    np.concatenate([a.reshape(-1) for a in chained]).astype("<f4").tofile(
        os.path.join(outdir, "ort-%schained.f32" % tag))
    lines.append("chained %s all ort-%schained.f32" % (os.path.basename(efm), tag))
    for t in range(len(names)):
        if only is not None and t not in only:
            continue
        if t == 0:
            sub, feed, tin = m, x, -1
            sub = onnx.utils.Extractor(m).extract_model(["input"], [names[0]])
        else:
            sub = onnx.utils.Extractor(m).extract_model([srcs[t - 1]], [names[t]])
            feed, tin = maps[t - 1], t - 1
        p = os.path.join(tmp, "sub.onnx")
        onnx.save(sub, p)
        (a,), version = ort(p, feed, os.path.join(tmp, "forced"))
        f = "ort-%sforced-%d.f32" % (tag, t)
        a.astype("<f4").tofile(os.path.join(outdir, f))
        lines.append("forced %s %d %d %s %s" % (os.path.basename(efm), tin, t, f,
                                                "-" if tin < 0 else "%016x" % checksum(feed)))
    return lines, version


def gen_case(case, effad, outbase):
    out = os.path.join(outbase, case["name"])
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    log("== %s" % case["name"])
    onnx_path = os.path.join(ROOT, case["onnx"])
    if not os.path.exists(onnx_path):
        raise SystemExit("%s: missing (make golden-full makes the full-size models)" % onnx_path)
    with tempfile.TemporaryDirectory(prefix="effad-int8-") as tmp:
        data = os.path.join(tmp, "demo")
        run([effad, "demo", "--out", data, "--seed", "5"])
        calib = os.path.join(data, "data", "train", "good")
        x = image_input(os.path.join(data, "data", "test", "hole", "000.png"), case["hw"])
        inp = os.path.join(out, "input.f32")
        x.tofile(inp)
        efm, qdq = os.path.join(out, "model.efm"), os.path.join(out, "qdq.onnx")
        rep = run([effad, "convert", onnx_path, "-o", efm, "--int8", "--calib", calib, "--taps", "every-block",
                   "--emit-qdq", qdq, "--quiet"] + case["convert"])
        log("  " + "\n  ".join(l for l in rep.splitlines() if l.startswith(("int8", "  ", "/", "tests", "build"))
                               and "block " not in l[:14]))
        lines, version = forced_and_chained(effad, "", efm, qdq, inp, x, out, tmp)
        if case["stage"]:
            efm2, qdq2 = os.path.join(out, "model-stage.efm"), os.path.join(out, "qdq-stage.onnx")
            run([effad, "convert", onnx_path, "-o", efm2, "--int8", "--calib", calib, "--taps", "stage-end",
                 "--emit-qdq", qdq2, "--quiet"] + case["convert"])
            n = len(onnx.load(qdq2).graph.output)
            more, _ = forced_and_chained(effad, "stage-", efm2, qdq2, inp, x, out, tmp, only={n - 1})
            lines += more
    with open(os.path.join(out, "golden.txt"), "w") as f:
        f.write("# %s: effad int8 vs ONNX Runtime %s on the emitted QDQ graph (tests/int8/gen.py)\n"
                % (case["name"], version))
        f.write("# forced EFM TAP_IN TAP_OUT FILE SUM: level TAP_OUT of ORT's subgraph fed effad's level TAP_IN\n"
                "#   (-1: the input), C x H x W float32; SUM: the fed map's checksum (gen.py checksum())\n"
                "# chained EFM all FILE: every level of the whole graph, in level order\n")
        f.write("\n".join(lines) + "\n")
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    log("  wrote %s (%.0f KB, %d ORT runs)" % (os.path.relpath(out, ROOT), size / 1024, len(lines)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="also the full-size cases (b0, b4)")
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--out", default=None, help="output base directory")
    ap.add_argument("--effad", default=os.path.join(ROOT, "build", "effad"))
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(ort_dir(), "node_modules", "onnxruntime-node")):
        raise SystemExit("gen.py: onnxruntime-node not found under %s (make ort)" % ort_dir())
    only = set(filter(None, a.only.split(",")))
    for case in CASES:
        if only and case["name"] not in only:
            continue
        if not only and not case["tiny"] and not a.full:
            continue
        base = a.out or (HERE if case["tiny"] else os.path.join(ROOT, "build", "golden-int8"))
        gen_case(case, a.effad, base)


if __name__ == "__main__":
    main()
