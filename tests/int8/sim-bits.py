#!/usr/bin/python3
"""How many bits the fidelity of issue 20 needs: simulated quantisation of
tests/int8/bn-calibrated.py's B0 (torch, float64 arithmetic on values
rounded to the quantisation grid), scored as fidelity.sh scores effad's
int8 model -- the same question asked of weights and activations apart.

    /usr/bin/python3 tests/int8/sim-bits.py --work build/int8-fidelity \
        [--sets metal,grid] [--modes w8,a8,a16,w8a8,w8a16]

Needs the directories fidelity.sh made under WORK (bnset/, metal/, grid/).
The network is rebuilt as bn-calibrated.py builds it (same seed, same
BatchNorm images) and runs in float64; as a check, its scores are ranked
against `effad score` with WORK/b0.efm and WORK/b0-SET.gauss (float32):
that Spearman is the floor of what any quantisation can be asked for.

Modes, each a combination of (--float-act-from B: blocks from B on, and
the head, keep float activations with int8 weights; --stream16 H: the
residual stream -- block outputs, the stem's -- in int16 at headroom H):
  w8   every convolution's weights rounded to int8, symmetric, one scale
       per output channel (BatchNorm scales each output channel, so this
       equals quantising the folded weights effad quantises); w7, w6: to
       7 or 6 bits; w8g, w7g, w6g: the same grids, rounded by GPTQ (each
       row column by column, every rounding error compensated in the
       columns still to round through the inverse Gram matrix of the
       layer's float inputs on --gptq-n training images; convert/gptq.c
       is the C form);
  a8   every activation effad stores in int8 -- each conv's output after
       its activation, the squeeze-excite output, each block's output after
       the residual add -- rounded to uint8 on [lo, hi], the min/max over
       the calibration images (train/good) widened by --headroom about
       their centre;
  a16  the same on int16, symmetric about zero, scale max(|lo|, |hi|) /
       32767 (TFLite's 16x8: zero point 0).
The squeeze-excite gate's own activations and the input image stay float
(as in effad's int8 path). Prints, per set and mode, Spearman of the
anomaly scores against float32 and both image AUROCs, and per level the
err/spread quantcheck prints (mean |q - f|^2 / mean |f - mean f|^2).
--clip prints instead, per set, how far the test images' activations go
beyond the calibration range (|x - centre| over the range's half-width,
the worst points), good and defective images apart.

Measured 2026-12-02 (Zen 5, ~1 min per mode and set), the stem and blocks
0-5 float (--float-blocks 6, what convert's float budget kept). The check
against effad's float32 scores: metal 1.00000; grid 0.99567 -- on the grid
float64 and float32 arithmetic alone already move the ranking by half the
bar's margin.
  metal  w8 (weights alone)             Spearman 0.9994
         a8  headroom 1.25 / 2 / 4       0.975 / 0.974 / 0.988
         a16 headroom 1.25 / 4           0.975 / 0.990
         a16, w8a16 headroom 256         0.9992, 0.9993
  grid   w8 (weights alone)              0.776
         a16 headroom 4 / 256            0.957 / 0.924
         w8a16 headroom 256              0.802
  metal  w8a8, activations float from block 13 / 11 on (--float-act-from)
                                         0.973 / 0.972
Measured 2026-12-05 (Zen 5; every block int8, weights alone, activations
float; --gptq-n 64):
  metal  w8 / w8g                        0.9979 / 0.9993
         w6 / w6g                        0.9904 / 0.9976
  grid   w8 / w8g                        0.589 / 0.750
         w6 / w6g                        0.082 / 0.441
-- six bits rounded by GPTQ lose about what eight rounded to nearest do.
(effad's int8 itself: metal 0.971, grid 0.83; --headroom 4 and 6: metal
0.988 and 0.990-, grid 0.82 and 0.79.) --clip: the defective test images
drive blocks 13-15 and the head to 100-150 times the calibration range's
half-width (good test images: at most 1.09). So on metal the int8 loss is
the clipping of those outliers, not the resolution -- 16 bits at the same
ranges lose as much as 8 -- and 16-bit activations with ranges wide enough
for them (256x) keep float's ranking; 8 bits cannot span that and keep
the good images' resolution. Wide ranges for the last blocks alone do not
do (float activations from block 11 on: 0.972): level 4, block 7's
output, is already as far off (err/spread 0.71), so the clipping starts
in the first int8 blocks after the float ones. Nor does int16 for the
residual stream alone (--stream16 64: each block's output and the stem's
in int16 at 64x, every other point uint8 -- the mix whose kernels would
cost least, the wide expand and depthwise maps staying one byte):
measured 2026-12-04 (Zen 5), metal w8a8 at --headroom 1.25 / 2 / 4
0.982 / 0.980 / 0.985, level err/spread still ~1 from level 6 on; the
expand and depthwise outputs clip too, so 16x8 stays whole-network
(convert --act-bits 16). On grid, where float32
itself ranks the images weakly (AUROC 0.70), the int8 weights alone move
the ranking (0.78) and even float weights with 16-bit activations do not
reach 0.99: no activation format meets the bar there.
"""
import argparse
import copy
import importlib
import json
import os
import re
import subprocess
import sys

import numpy as np
import torch
import torchvision
from scipy.stats import spearmanr
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import presets  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
bn = importlib.import_module("bn-calibrated")


def pngs(d):
    return bn.png_paths([d])


def defective(paths):
    return np.array([0 if "/test/good/" in p else 1 for p in paths])


def build(work, seed=7):
    """bn-calibrated.py's network (same seed, same BatchNorm images and
    order), in float64."""
    torch.set_num_threads(1)     # as bn-calibrated.py: the same statistics
    x = torch.from_numpy(bn.images([os.path.join(work, "bnset", "data", "train", "good")], 224))
    model = bn.calibrated("efficientnet_b0", 224, seed, x)
    torch.set_num_threads(2)
    return model.double()


class Quant:
    """Rounds the stored activations (hooks) and the weights (in place)."""

    def __init__(self, model, float_blocks=0, float_act_from=None):
        self.model = model
        self.points = []          # modules whose output effad stores in int8
        self.float_convs = set()  # convolutions of the blocks kept float
        nb = 0
        for blk in model.features[1:8]:
            for mb in blk:
                nb += 1
                if nb <= float_blocks:
                    self.float_convs |= {id(c) for c in mb.modules() if isinstance(c, torch.nn.Conv2d)}
                    continue
                if float_act_from is not None and nb - 1 >= float_act_from:
                    continue    # weights int8, activations float from here on
                layers = list(mb.block)
                res = mb.use_res_connect
                for i, m in enumerate(layers):
                    last = i == len(layers) - 1
                    if not (last and res):
                        self.points.append(m)
                if res:
                    self.points.append(mb)
        if not float_blocks:
            self.points.append(model.features[0])
        else:
            self.float_convs |= {id(c) for c in model.features[0].modules() if isinstance(c, torch.nn.Conv2d)}
        if float_act_from is None:
            self.points.append(model.features[8])
        # the residual stream: each block's output (the residual add, or the
        # projection when the block has none) and the stem's
        self.stream = {id(model.features[0])}
        for blk in model.features[1:8]:
            for mb in blk:
                self.stream.add(id(mb) if mb.use_res_connect else id(list(mb.block)[-1]))
        self.ranges = {}
        self.mode = None          # None: record ranges; else 8 or 16
        self.headroom = 1.0
        self.stream16 = None      # a headroom: the stream in int16 at it, the rest as mode
        for m in self.points:
            m.register_forward_hook(self.hook)

    def hook(self, m, inp, out):
        if self.mode is None:
            lo, hi = float(out.min()), float(out.max())
            a, b = self.ranges.get(m, (lo, hi))
            self.ranges[m] = (min(a, lo), max(b, hi))
            return out
        if self.mode == 0:
            return out
        lo, hi = self.ranges[m]
        wide = self.stream16 is not None and id(m) in self.stream
        c, h = (lo + hi) / 2, (hi - lo) / 2 * (self.stream16 if wide else self.headroom)
        lo, hi = c - h, c + h
        if self.mode == 8 and not wide:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
            s = (hi - lo) / 255.0
            z = round(-lo / s)
            q = torch.clamp(torch.round(out / s) + z, 0, 255)
            return (q - z) * s
        s = max(abs(lo), abs(hi)) / 32767.0
        return torch.clamp(torch.round(out / s), -32767, 32767) * s

    def quantise_weights(self, bits=8, gptq_x=None):
        """Round every int8 convolution's weights per output channel to
        `bits` (symmetric, max |w| -> 2^(bits-1) - 1). With gptq_x (a batch
        of calibration images) each row is rounded column by column and
        the rounding error of a column is compensated in the columns not
        yet rounded, through the inverse of the layer's input Gram matrix
        (GPTQ, Frantar et al. 2022; OBQ's update for a fixed grid)."""
        qmax = float((1 << (bits - 1)) - 1)
        convs = [m for m in self.model.modules()
                 if isinstance(m, torch.nn.Conv2d) and id(m) not in self.float_convs]
        grams = gram_matrices(self.model, convs, gptq_x) if gptq_x is not None else {}
        for m in convs:
            w = m.weight.data
            s = w.abs().amax(dim=(1, 2, 3), keepdim=True) / qmax
            s[s == 0] = 1
            if id(m) not in grams:
                m.weight.data = torch.round(w / s) * s
                continue
            rows = w.reshape(w.shape[0], -1).clone()
            m.weight.data = gptq_rows(rows, s.reshape(-1, 1), qmax, grams[id(m)]).reshape(w.shape)


def unfolded(m, x):
    """The inputs each output of conv m reads: [groups, rows, k] float64."""
    k = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
    u = torch.nn.functional.unfold(x, m.kernel_size, m.dilation, m.padding, m.stride)   # B, C*kh*kw, L
    g = m.groups
    u = u.reshape(x.shape[0], g, k, -1).permute(1, 0, 3, 2).reshape(g, -1, k)
    return u


def gram_matrices(model, convs, x, batch=8):
    grams = {}
    hooks = []
    for m in convs:
        def pre(mod, inp):
            u = unfolded(mod, inp[0].double())
            h = torch.einsum("gri,grj->gij", u, u)
            grams[id(mod)] = grams.get(id(mod), 0) + h
        hooks.append(m.register_forward_pre_hook(pre))
    with torch.no_grad():
        for i in range(0, len(x), batch):
            model(x[i:i + batch])
    for h in hooks:
        h.remove()
    return grams


def gptq_rows(w, s, qmax, h, damp=0.01):
    """w [n, k] rows with scales s [n, 1]; h [g, k, k]: one Gram matrix for
    every row (g = 1) or one per row (depthwise, g = n)."""
    h = h.clone()
    n, k = w.shape
    d = torch.diagonal(h, dim1=1, dim2=2)
    dead = d == 0
    d += damp * d.mean(dim=1, keepdim=True) + 1e-12
    d[dead] = 1.0
    u = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)   # g, k, k
    if u.shape[0] == 1:
        u = u.expand(n, k, k)
    w = w.clone()
    q = torch.zeros_like(w)
    for i in range(k):
        qi = torch.clamp(torch.round(w[:, i:i + 1] / s), -qmax, qmax) * s
        q[:, i:i + 1] = qi
        err = (w[:, i:i + 1] - qi) / u[:, i, i:i + 1]
        w[:, i + 1:] -= err * u[:, i, i + 1:]
    return q


def levels(model, x):
    with torch.no_grad():
        return [v.numpy() for v in bn.levels(model, x)]


def run(model, paths, batch=16):
    lv = None
    for i in range(0, len(paths), batch):
        x = torch.from_numpy(np.stack([presets.ailia(p, (224, 224), 256) for p in paths[i:i + batch]])).double()
        l = levels(model, x)
        lv = l if lv is None else [np.concatenate([a, b]) for a, b in zip(lv, l)]
    return lv


def scores(train, test):
    total = np.zeros(len(test[0]))
    for tr, te in zip(train, test):
        mu = tr.mean(axis=0)
        prec = np.linalg.inv(LedoitWolf().fit(tr).covariance_)
        d = te - mu
        total += np.sqrt(np.einsum("ij,jk,ik->i", d, prec, d))
    return total


def clip_report(base, work, st):
    d = os.path.join(work, st, "data")
    test = pngs(os.path.join(d, "test"))
    model = copy.deepcopy(base)
    q = Quant(model)
    q.mode = None
    run(model, pngs(os.path.join(d, "train", "good")))
    calib = dict(q.ranges)
    names = {m: n for n, m in model.named_modules()}
    for kind in ("good", "defective"):
        q.ranges = {}
        run(model, [p for p, y in zip(test, defective(test)) if y == (kind == "defective")])
        worst = []
        for m, (lo, hi) in q.ranges.items():
            a, b = calib[m]
            c, h = (a + b) / 2, (b - a) / 2
            worst.append((max(hi - c, c - lo) / h, names[m]))
        worst.sort(reverse=True)
        print("%s %s: |x - centre| / half-range, worst points: %s"
              % (st, kind, ", ".join("%s %.2f" % (n, f) for f, n in worst[:6])))


def against_effad(a, st, test, sf):
    """Spearman of these float64 scores against effad's float32 ones."""
    gauss = os.path.join(a.work, "b0-%s.gauss" % st)
    if not os.path.exists(gauss):
        return " (no %s: no effad check)" % gauss
    out = subprocess.run([a.effad, "score", gauss, os.path.join(a.work, "b0.efm"),
                          os.path.join(a.work, st, "data", "test"), "--json"],
                         check=True, capture_output=True, text=True).stdout
    by = {os.path.abspath(j["file"]): j["score"] for j in map(json.loads, out.splitlines()) if "file" in j}
    e = np.array([by[os.path.abspath(p)] for p in test])
    return "; effad float32 AUROC %.4f, Spearman against it %.5f" % (
        roc_auc_score(defective(test), e), spearmanr(sf, e)[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="build/int8-fidelity")
    ap.add_argument("--effad", default=os.environ.get("EFFAD", "build/effad"))
    ap.add_argument("--sets", default="metal,grid")
    ap.add_argument("--modes", default="w8,a8,a16,w8a8,w8a16")
    ap.add_argument("--headroom", type=float, default=1.25)
    ap.add_argument("--stream16", type=float, default=None,
                    help="the residual stream (block outputs, the stem's) in int16 at this headroom")
    ap.add_argument("--clip", action="store_true", help="how far test activations leave the calibration ranges")
    ap.add_argument("--float-act-from", type=int, default=None,
                    help="blocks from this index on (and the head) keep float activations, int8 weights")
    ap.add_argument("--gptq-n", type=int, default=64, help="calibration images for the w<bits>g modes")
    ap.add_argument("--float-blocks", type=int, default=0,
                    help="the stem and the first N blocks stay float (effad's --float-budget kept blocks 0-5)")
    a = ap.parse_args()
    base = build(a.work)     # calibrated once; every model below is a copy
    if a.clip:
        for st in a.sets.split(","):
            clip_report(base, a.work, st)
        return
    for st in a.sets.split(","):
        d = os.path.join(a.work, st, "data")
        train = pngs(os.path.join(d, "train", "good"))
        test = pngs(os.path.join(d, "test"))
        labels = defective(test)
        model = copy.deepcopy(base)
        q = Quant(model)
        q.mode = None
        ftrain = run(model, train)          # float; also records the ranges
        q.mode = 0
        ftest = run(model, test)
        sf = scores(ftrain, ftest)
        print("== %s: %d train, %d test; float64 AUROC %.4f%s"
              % (st, len(train), len(test), roc_auc_score(labels, sf), against_effad(a, st, test, sf)))
        spread = [((f - f.mean(axis=0)) ** 2).sum(axis=1).mean() for f in ftest]
        for mode in a.modes.split(","):
            m2 = copy.deepcopy(base)
            q2 = Quant(m2, a.float_blocks, a.float_act_from)
            idx = {id(m): i for i, m in enumerate(q.model.modules())}
            r1 = {idx[id(m)]: v for m, v in q.ranges.items()}
            q2.ranges = {m: r1[i] for i, m in enumerate(m2.modules()) if i in r1}
            q2.headroom = a.headroom
            q2.stream16 = a.stream16
            q2.mode = 16 if "a16" in mode else 8 if "a8" in mode else 0
            wm = re.search(r"w(\d)(g?)", mode)
            if wm:
                gx = None
                if wm.group(2):
                    gx = torch.from_numpy(np.stack([presets.ailia(p, (224, 224), 256)
                                                    for p in train[:a.gptq_n]])).double()
                q2.quantise_weights(int(wm.group(1)), gx)
            qt = run(m2, test)
            sq = scores(ftrain, qt)
            es = " ".join("%.3g" % (((x - f) ** 2).sum(axis=1).mean() / s) for x, f, s in zip(qt, ftest, spread))
            print("  %-6s Spearman %.5f  AUROC %.4f (%+.2f points)  err/spread per level: %s"
                  % (mode, spearmanr(sf, sq)[0], roc_auc_score(labels, sq),
                     100 * (roc_auc_score(labels, sq) - roc_auc_score(labels, sf)), es))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
