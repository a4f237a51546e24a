#!/usr/bin/python3
"""Stage-start ("MahalanobisAD-style") taps golden for a tiny golden case.

    /usr/bin/python3 tests/reference/make-taps-start.py [--case tiny-tv-bn] [--out DIR]

Reads tests/golden/<case>/model.onnx and input.f32 and writes (default into
tests/golden/<case>/):

    model-taps-start.onnx  model.onnx + a GlobalAveragePool on each of the 9
                           MahalanobisAD levels (stem, FIRST block of each
                           of the 7 stages, head); outputs level0_gap ..
                           level8_gap (1 x C x 1 x 1), logits removed
    levels-start.f32       its ORT outputs on input.f32, float32 LE,
                           concatenated in level order (C0 + ... + C8)
    levels-start.txt       index channels 1 1 levels_offset -1 onnx_tensor
                           (levels.txt layout)

The level tensors come from refcommon.find_levels(model, 'start') (ONNX node
names).  They are checked independently against PyTorch: the case's torch
model is rebuilt with tests/golden/gen.py (same seeds) and run block by
block; the ORT outputs must equal torch's pooled stage-start maps.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refcommon as rc  # noqa: E402
sys.path.insert(0, os.path.join(rc.ROOT, "tests", "golden"))
import gen  # noqa: E402


def torch_start_levels(case, x):
    model = gen.CASES_BY_NAME[case]["build"]()
    model.eval()
    out = []
    with torch.no_grad():
        if case.startswith("tiny-tv"):
            f = model.features
            h = f[0](x)
            out.append(h)
            for s in range(1, len(f) - 1):
                for j, blk in enumerate(f[s]):
                    h = blk(h)
                    if j == 0:
                        out.append(h)
            out.append(f[-1](h))
        else:   # lukemelas: MahalanobisAD-pytorch's rule
            h = model._swish(model._bn0(model._conv_stem(x)))
            out.append(h)
            prev = h
            for blk in model._blocks:
                h = blk(h)
                if prev.shape[1] != h.shape[1]:
                    out.append(h)
                prev = h
            out.append(model._swish(model._bn1(model._conv_head(h))))
    return [o.double().mean(dim=(2, 3))[0].numpy() for o in out]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", default="tiny-tv-bn")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    src = os.path.join(rc.ROOT, "tests", "golden", args.case)
    out = args.out or src
    os.makedirs(out, exist_ok=True)
    m = onnx.load(os.path.join(src, "model.onnx"))
    h, w = rc.input_hw(m)
    names, chans, info = rc.find_levels(m, "start")
    rc.log(info)
    tp = rc.taps_model(m, names, chans)
    tpath = os.path.join(out, "model-taps-start.onnx")
    onnx.save(tp, tpath)
    x = np.fromfile(os.path.join(src, "input.f32"), dtype="<f4").reshape(1, 3, h, w)
    outs = rc.run_ort_batch(tpath, x)
    vecs = [o.reshape(-1) for o in outs]
    np.concatenate(vecs).astype("<f4").tofile(os.path.join(out, "levels-start.f32"))

    ref = torch_start_levels(args.case, torch.from_numpy(x.copy()))
    worst = 0.0
    for i, (v, r) in enumerate(zip(vecs, ref)):
        d = float(np.max(np.abs(v.astype(np.float64) - r)) / max(np.max(np.abs(r)), 1e-30))
        worst = max(worst, d)
        rc.log("  level %d: %-90s C=%-3d ORT vs torch max rel %.1e" % (i, names[i], v.size, d))
    if worst > 1e-4 or len(ref) != 9:
        raise SystemExit("stage-start taps disagree with torch (%.2e)" % worst)
    # the stage-end golden shares stem/head and the single-block stages
    end = np.fromfile(os.path.join(src, "levels.f32"), dtype="<f4")
    end_names = rc.read_levels_file(os.path.join(src, "levels.txt"))
    off_end, same = 0, []
    ends = {}
    for n, c in zip(end_names, chans):
        ends[n] = end[off_end:off_end + c]
        off_end += c
    for i, n in enumerate(names):
        if n in ends:
            same.append("%d:%.1e" % (i, float(np.max(np.abs(ends[n] - vecs[i])))))
    rc.log("  levels shared with levels.f32 (max abs diff): " + " ".join(same))

    with open(os.path.join(out, "levels-start.txt"), "w") as f:
        f.write("# %s: %dx%d input, 9 levels (stage-start, MahalanobisAD), pooled outputs of "
                "model-taps-start.onnx\n" % (args.case, h, w))
        f.write("# index channels height width levels_offset maps_offset onnx_tensor\n")
        off = 0
        for i, (n, c) in enumerate(zip(names, chans)):
            f.write("%d %d 1 1 %d -1 %s\n" % (i, c, off, n))
            off += c
    rc.log("wrote %s, levels-start.f32 (%d floats), levels-start.txt; ORT vs torch max rel %.1e"
           % (tpath, sum(chans), worst))


if __name__ == "__main__":
    main()
