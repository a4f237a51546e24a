#!/usr/bin/python3
"""Golden numbers for the anomaly-map pieces, from scipy / PyTorch / numpy /
scikit-learn: what tests/unit/test-maps-*.c and test-pixel-eval.c compare
effad's own code against.

Run with Debian's python3 (torch 1.13, scipy 1.10, sklearn 1.2), from the
repository root:

    /usr/bin/python3 tests/gen-maps-goldens.py

Writes tests/data/maps/*.bin in the named-array format of
tests/gen-gauss-goldens.py (read by tests/unit/gauss-golden.h); fixed
seeds, so a re-run reproduces the files.

  blur.bin       scipy.ndimage.gaussian_filter(sigma, mode='reflect',
                 truncate=4.0) on float32 maps, including maps narrower
                 than the kernel radius (several reflections)
  bilinear.bin   torch F.interpolate(mode='bilinear', align_corners=False)
  backmap.bin    the network-input map onto the original image: 'paper'
                 geometry (resize only) = F.interpolate to the image size;
                 'ailia' geometry (resize + centre crop) = F.interpolate of
                 the map pasted into a zero canvas of the resized size,
                 compared where the bilinear taps lie inside the crop
  resample.bin   a level map to the grid: torch adaptive_avg_pool2d when
                 shrinking, F.interpolate(mode='nearest') when growing
  regions.bin    scipy.ndimage.label(map > t, structure=ones((3, 3))) areas,
                 find_objects boxes and peaks; the smallest threshold with
                 no region of min_area pixels, by a scan over the distinct
                 values with scipy's labelling (a different algorithm from
                 effad's union-find)
  cov.bin        per-location Gaussians: np.cov(X, rowvar=False) + eps I
                 (PaDiM), sklearn LedoitWolf, Mahalanobis distances with
                 scipy.spatial.distance.mahalanobis
  draws.bin      the seeded draws (channel subset, held-out images) from
                 tests/reference/maps_ref.py's Python port of engine/rng.h
  pixel.bin      pixel AUROC (sklearn roc_auc_score), the MVTec AD PRO
                 (tests/reference/pro_ref.py) and the best-F1 threshold
                 (sklearn precision_recall_curve) of a few maps and masks
"""
import importlib.util
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from scipy.spatial.distance import mahalanobis
from sklearn.covariance import LedoitWolf
from sklearn.metrics import precision_recall_curve, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gauss_goldens", os.path.join(HERE, "gen-gauss-goldens.py"))
gg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gg)
gg.OUT = os.path.join(HERE, "data", "maps")
Blob = gg.Blob
sys.path.insert(0, os.path.join(HERE, "reference"))
import pro_ref  # noqa: E402
import maps_ref  # noqa: E402


def smooth_field(rng, h, w, blur):
    return ndimage.gaussian_filter(rng.rand(h, w), blur).astype(np.float32)


def blur_cases():
    rng = np.random.RandomState(16)
    b = Blob()
    cases = [(40, 33, 4.0), (64, 64, 4.0), (17, 9, 4.0), (5, 3, 4.0), (31, 50, 1.5), (12, 12, 0.7)]
    b.add("n", [len(cases)])
    for i, (h, w, sigma) in enumerate(cases):
        x = (rng.rand(h, w) * 10).astype(np.float32)
        y = ndimage.gaussian_filter(x, sigma, mode="reflect", truncate=4.0)
        b.add("shape%d" % i, [h, w, sigma])
        b.add("in%d" % i, x, "f")
        b.add("out%d" % i, y, "f")
    b.write("blur.bin")


def bilinear_cases():
    rng = np.random.RandomState(17)
    b = Blob()
    cases = [(8, 8, 64, 64), (7, 5, 56, 40), (28, 28, 112, 112), (30, 20, 7, 9), (3, 4, 5, 11)]
    b.add("n", [len(cases)])
    for i, (sh, sw, dh, dw) in enumerate(cases):
        x = rng.rand(sh, sw).astype(np.float32) * 5
        y = F.interpolate(torch.from_numpy(x)[None, None], size=(dh, dw), mode="bilinear",
                          align_corners=False)[0, 0].numpy()
        b.add("shape%d" % i, [sh, sw, dh, dw])
        b.add("in%d" % i, x, "f")
        b.add("out%d" % i, y, "f")
    b.write("bilinear.bin")


def backmap_cases():
    """(img_w, img_h, rw, rh, left, top, in_w, in_h): the first two 'paper'
    (resize only), the rest 'ailia'-like crops of a short-side resize."""
    rng = np.random.RandomState(18)
    b = Blob()
    cases = [(75, 49, 64, 64, 0, 0, 64, 64), (120, 50, 64, 64, 0, 0, 64, 64),
             (80, 60, 97, 73, 16, 4, 64, 64), (60, 100, 73, 121, 4, 28, 64, 64),
             (96, 96, 73, 73, 4, 4, 64, 64), (41, 37, 73, 80, 5, 8, 64, 64)]
    b.add("n", [len(cases)])
    for i, (iw, ih, rw, rh, left, top, nw, nh) in enumerate(cases):
        net = smooth_field(rng, nh, nw, 3) * 10 + 1
        canvas = np.zeros((rh, rw), np.float32)
        canvas[top:top + nh, left:left + nw] = net
        y = F.interpolate(torch.from_numpy(canvas)[None, None], size=(ih, iw), mode="bilinear",
                          align_corners=False)[0, 0].numpy()
        # which pixels the comparison may use: centre inside the window and
        # both bilinear taps inside it (else torch blends in the zero canvas)
        cx = (np.arange(iw) + 0.5) * rw / iw
        cy = (np.arange(ih) + 0.5) * rh / ih
        inx = (cx >= left) & (cx < left + nw)
        iny = (cy >= top) & (cy < top + nh)
        fx, fy = cx - 0.5 - left, cy - 0.5 - top
        okx = inx & (fx >= 0) & (fx <= nw - 1)
        oky = iny & (fy >= 0) & (fy <= nh - 1)
        b.add("geom%d" % i, [iw, ih, rw, rh, left, top, nw, nh])
        b.add("net%d" % i, net, "f")
        b.add("out%d" % i, y, "f")
        b.add("inside%d" % i, (iny[:, None] & inx[None, :]).astype(np.float32), "f")
        b.add("exact%d" % i, (oky[:, None] & okx[None, :]).astype(np.float32), "f")
    b.write("backmap.bin")


def resample_cases():
    rng = np.random.RandomState(19)
    b = Blob()
    # (h, w, c, gh, gw): pool, repeat, non-integer both ways, mixed axes
    cases = [(56, 56, 3, 28, 28), (7, 7, 2, 28, 28), (95, 95, 2, 48, 48), (12, 12, 2, 48, 48),
             (5, 6, 2, 24, 24), (28, 14, 2, 28, 28), (30, 30, 1, 28, 28), (14, 40, 2, 28, 28)]
    b.add("n", [len(cases)])
    for i, (h, w, c, gh, gw) in enumerate(cases):
        x = rng.rand(1, c, h, w).astype(np.float32)
        t = torch.from_numpy(x)
        # per axis: pool when shrinking, nearest when growing
        if h >= gh:
            t = F.adaptive_avg_pool2d(t, (gh, t.shape[3]))
        else:
            t = F.interpolate(t, size=(gh, t.shape[3]), mode="nearest")
        if w >= gw:
            t = F.adaptive_avg_pool2d(t, (gh, gw))
        else:
            t = F.interpolate(t, size=(gh, gw), mode="nearest")
        b.add("shape%d" % i, [h, w, c, gh, gw])
        b.add("in%d" % i, x[0].transpose(1, 2, 0), "f")              # HWC
        b.add("out%d" % i, t[0].numpy().transpose(1, 2, 0), "f")     # gh x gw x c
    b.write("resample.bin")


EIGHT = np.ones((3, 3), int)


def largest_region(mask):
    lab, n = ndimage.label(mask, structure=EIGHT)
    return 0 if n == 0 else int(np.bincount(lab.ravel())[1:].max())


def min_threshold(m, min_area):
    """Smallest t with no region of {m > t} of min_area pixels: scan the
    distinct values from the top; t* is the first value v at which the
    pixels >= v already hold such a region."""
    if m.size < min_area:
        return -np.inf
    for v in np.unique(m)[::-1]:
        if largest_region(m >= v) >= min_area:
            return float(v)
    return -np.inf


def regions_cases():
    rng = np.random.RandomState(20)
    b = Blob()
    # (h, w, threshold, min_area, blur); blur 0: raw noise, whose regions
    # wind and merge late (U shapes, diagonal links): the hard case for a
    # labeller that joins runs row by row (src/regions.c)
    cases = [(48, 64, 0.55, 12, 2.0), (33, 21, 0.5, 1, 2.0), (40, 40, 0.6, 30, 2.0), (16, 70, 0.45, 5, 2.0),
             (37, 53, 0.5, 9, 0), (29, 31, 0.42, 4, 0), (1, 40, 0.5, 2, 0), (45, 1, 0.5, 2, 0)]
    b.add("n", [len(cases)])
    for i, (h, w, t, area, blur) in enumerate(cases):
        m = smooth_field(rng, h, w, blur) if blur else rng.rand(h, w).astype(np.float32)
        m = (m - m.min()) / (m.max() - m.min())
        m = np.round(m * 200).astype(np.float32) / 200      # ties on purpose
        lab, n = ndimage.label(m > t, structure=EIGHT)
        areas, boxes, peaks = [], [], []
        for k, sl in enumerate(ndimage.find_objects(lab)):
            sel = lab == k + 1
            areas.append(int(sel.sum()))
            boxes += [sl[1].start, sl[0].start, sl[1].stop - 1, sl[0].stop - 1]
            peaks.append(float(m[sel].max()))
        b.add("shape%d" % i, [h, w, t, area])
        b.add("map%d" % i, m, "f")
        b.add("areas%d" % i, areas)
        b.add("boxes%d" % i, boxes)
        b.add("peaks%d" % i, peaks)
        b.add("tmin%d" % i, [min_threshold(m, area)])
        b.add("tmin_one%d" % i, [min_threshold(m, 1)])
    b.write("regions.bin")


def cov_cases():
    """Per-location fits of location-major vectors (n images x L x d)."""
    rng = np.random.RandomState(21)
    b = Blob()
    n, L, d = 23, 6, 5
    X = (rng.randn(n, L, d) @ rng.randn(d, d) * 0.3 + rng.randn(L, d) * 4).astype(np.float32)
    held = (rng.randn(4, L, d) * 0.5 + X.mean(axis=0)).astype(np.float32)
    b.add("dims", [n, L, d])
    b.add("X", X, "f")
    b.add("held", held, "f")
    for kind in ("eps", "lw"):
        means, dists = [], []
        for l in range(L):
            Xl = X[:, l, :].astype(np.float64)
            if kind == "eps":
                cov = np.cov(Xl, rowvar=False) + 0.01 * np.identity(d)
            else:
                cov = LedoitWolf().fit(Xl).covariance_
            vi = np.linalg.inv(cov)
            mu = Xl.mean(axis=0)
            means.append(mu)
            dists.append([mahalanobis(held[k, l].astype(np.float64), mu, vi) for k in range(len(held))])
        b.add(kind + "_mean", np.array(means))
        b.add(kind + "_dist", np.array(dists).T)       # held x L
    b.write("cov.bin")


def pixel_cases():
    """Maps and masks of a small 'test set': 3 good images, 4 defective of
    two types. Scores are quantised so ties occur."""
    rng = np.random.RandomState(22)
    b = Blob()
    h, w = 24, 30
    types = [0, 0, 0, 1, 1, 2, 2]
    maps, masks = [], []
    for k, t in enumerate(types):
        m = smooth_field(rng, h, w, 1.5)
        mask = np.zeros((h, w), np.uint8)
        if t:
            for _ in range(1 + k % 2):           # one or two regions
                y, x = rng.randint(2, h - 8), rng.randint(2, w - 8)
                mask[y:y + rng.randint(2, 6), x:x + rng.randint(2, 7)] = 1
            m = m + mask * rng.uniform(0.02, 0.2)
        m = np.round(m * 400).astype(np.float32) / 400
        maps.append(m)
        masks.append(mask)
    b.add("dims", [len(types), h, w])
    b.add("types", types)
    b.add("maps", np.array(maps), "f")
    b.add("masks", np.array(masks), "f")
    # don't-care pixels (fit --ignore): a column that cuts two defect
    # regions in two and a block that covers one whole; the "ign_" keys
    # leave them out
    ignore = np.zeros((h, w), np.uint8)
    ignore[:, 10] = 1
    ignore[4:8, 17:22] = 1
    b.add("ignore", ignore, "f")
    keep = ignore == 0
    for pre, kept in (("", np.ones((h, w), bool)), ("ign_", keep)):
        for sel_name, sel in (("all", [0, 1, 2]), ("t1", [0, 1]), ("t2", [0, 2])):
            idx = [k for k, t in enumerate(types) if t in sel]
            s = np.concatenate([maps[k][kept] for k in idx]).astype(np.float64)
            y = np.concatenate([masks[k][kept] for k in idx])
            b.add(pre + "auroc_" + sel_name, [roc_auc_score(y, s)])
            b.add(pre + "pro_" + sel_name, [pro_ref.au_pro([maps[k] for k in idx], [masks[k] for k in idx], 0.3,
                                                           [kept] * len(idx))])
            p, r, thr = precision_recall_curve(y, s)
            f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-300), 0)[:-1]
            best = int(np.argmax(f1[::-1]))                  # ties: highest threshold
            best = len(f1) - 1 - best
            b.add(pre + "f1_" + sel_name, [f1[best], thr[best]])
    b.write("pixel.bin")


def draws_cases():
    b = Blob()
    cases = [(112, 40, 3), (56, 20, 3), (40, 16, 5), (7, 7, 1)]
    b.add("n", [len(cases)])
    for i, (n, k, seed) in enumerate(cases):
        b.add("subset%d" % i, [n, k, seed] + sorted(maps_ref.partial_shuffle(n, k, seed)))
    holdouts = [(75, 15, 0), (36, 7, 0), (36, 7, 9)]
    b.add("n_holdout", [len(holdouts)])
    for i, (n, k, seed) in enumerate(holdouts):
        b.add("holdout%d" % i, [n, k, seed] + sorted(maps_ref.partial_shuffle(n, k, seed ^ maps_ref.HOLDOUT_STREAM)))
    b.write("draws.bin")


def main():
    os.makedirs(gg.OUT, exist_ok=True)
    draws_cases()
    blur_cases()
    bilinear_cases()
    backmap_cases()
    resample_cases()
    regions_cases()
    cov_cases()
    pixel_cases()
    print("wrote", gg.OUT)


if __name__ == "__main__":
    main()
