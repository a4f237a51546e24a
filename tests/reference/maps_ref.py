#!/usr/bin/python3
"""Reference: anomaly maps, PaDiM's method on the EfficientNet levels, as
`effad fit --maps` / `score` / `eval` compute them, written with the
Python tools (ONNX Runtime, PyTorch's resampling, numpy / scikit-learn
covariances, scipy's blur and labelling).

    /usr/bin/python3 tests/reference/maps_ref.py --onnx MODEL.onnx --data DIR
        --preset ailia|paper --out OUT.jsonl --maps-dir DIR
        [--levels 0,1,2,3] [--grid H,W] [--dims D] [--seed S] [--cov eps|lw]
        [--eps 0.01] [--sigma 4] [--holdout 0.2] [--min-area 25]
        [--roi X,Y,W,H] [--ignore MASK]

Fits on DIR/train/good minus the held-out images, chooses the pixel
threshold on the held-out ones, and writes, per test image of DIR/test/*/,
its map (float32, little-endian, row-major: MAPS_DIR/<sub>_<name>.map.f32)
and a JSON line with its regions; pixel AUROC and PRO over the test set
(sklearn roc_auc_score, tests/reference/pro_ref.py) go into the header.

The method, step by step (effad's C code is checked against this):

 1. Images: the preset's own preprocessing (tests/reference/presets.py: ailia =
    PIL LANCZOS short side, centre crop with origin (h - H) // 2; paper =
    OpenCV bilinear straight to the input size), each with its 16-bit rule.
 2. Levels: the full maps of the chosen levels (refcommon.find_levels:
    ailia = stage-start taps, paper = stage-end), from ORT.
 3. The grid (default ceil(input / 8)): per axis, torch adaptive_avg_pool2d
    when the level is larger, F.interpolate(mode='nearest') when smaller;
    channels concatenated in level order; with --dims, the channels a
    seeded partial Fisher-Yates shuffle of splitmix64 draws picks, sorted
    (the same draws as engine/rng.h, ported below).
 4. Held-out images: round(F * n) of the training images, picked by the
    same partial shuffle from the stream seeded with seed ^ "holdout".
 5. Per location: mean and np.cov(X, rowvar=False) + eps I (PaDiM), or
    sklearn LedoitWolf().covariance_; distance
    sqrt((x - mu)^T inv(cov) (x - mu)) with np.linalg.inv.
 6. The map: torch F.interpolate(bilinear, align_corners=False) to the
    network input; scipy.ndimage.gaussian_filter(sigma, mode='reflect',
    truncate=4.0); back onto the original image: paper = F.interpolate
    (bilinear, align_corners=False) to the image size; ailia = each pixel
    centre (x + 0.5) * rw / w - 0.5 - left in the crop window, sampled
    bilinearly (PyTorch's clamping), 0 where the centre falls outside the
    window.
 7. Pixel threshold: per held-out image the smallest t with no 8-connected
    region (scipy.ndimage.label, 3x3 ones) of {map > t} holding min_area
    pixels -- found by bisection over the image's distinct values --, and
    the largest of those over the images.
 8. Regions of every test map above the threshold (scipy.ndimage.label,
    find_objects); defects are those of min_area pixels or more.
 9. Don't-care pixels (--ignore MASK: PIL's convert('RGB'), above 127 in
    any channel, cut to the region of interest like the images): the map
    is 0 there (before steps 7 and 8), and pixel AUROC and PRO leave them
    out -- the ground truth is each mask without them
    (tests/reference/pro_ref.py, keep_maps).

Output: header {"kind": "fit", "preset", "n_train", "threshold" (the
pixel threshold), "map": {...}, "pixel_auroc": {...}, "pro": {...}},
then per test image {"file": "test/<sub>/<name>", "score": map maximum,
"label", "map": {"max", "n_regions", "defects", "regions": [{"area",
"bbox": [x0, y0, x1, y1], "peak"}], "f32": path}}.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from scipy import ndimage
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import presets  # noqa: E402
import pro_ref  # noqa: E402
import refcommon as rc  # noqa: E402
from PIL import Image  # noqa: E402

EIGHT = np.ones((3, 3), int)
MASK64 = (1 << 64) - 1


# ------------------------------------------------------------ splitmix64

def mix(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK64
    return z ^ (z >> 31)


class Rng:
    """engine/rng.h: state = mix(seed); next = mix(state += golden)."""

    def __init__(self, seed):
        self.s = mix(seed & MASK64)

    def next(self):
        self.s = (self.s + 0x9e3779b97f4a7c15) & MASK64
        return mix(self.s)


def partial_shuffle(n, k, seed):
    idx = list(range(n))
    g = Rng(seed)
    for i in range(k):
        j = i + g.next() % (n - i)
        idx[i], idx[j] = idx[j], idx[i]
    return idx[:k]


HOLDOUT_STREAM = int.from_bytes(b"holdout", "big")


# ------------------------------------------------------------------ maps

def to_grid(level, gh, gw):
    """level: 1 x C x H x W -> 1 x C x gh x gw, one axis at a time."""
    t = torch.from_numpy(np.ascontiguousarray(level, np.float32))
    h, w = t.shape[2], t.shape[3]
    t = F.adaptive_avg_pool2d(t, (gh, w)) if h >= gh else F.interpolate(t, size=(gh, w), mode="nearest")
    t = F.adaptive_avg_pool2d(t, (gh, gw)) if w >= gw else F.interpolate(t, size=(gh, gw), mode="nearest")
    return t[0].numpy()


def geometry(preset, img_w, img_h, hw):
    """(rw, rh, left, top): the resize and the crop window's origin."""
    if preset == "paper":
        return hw[1], hw[0], 0, 0
    rs = presets.resize_short_default(*hw)
    # torchvision Resize(int): shorter side -> rs, longer int(rs * long / short)
    if img_w <= img_h:
        rw, rh = rs, int(rs * img_h / img_w)
    else:
        rw, rh = int(rs * img_w / img_h), rs
    return rw, rh, (rw - hw[1]) // 2, (rh - hw[0]) // 2   # the ailia sample's crop origin (presets.ailia)


def back_to_image(net, preset, img_w, img_h, hw):
    if preset == "paper":
        return F.interpolate(torch.from_numpy(net)[None, None], size=(img_h, img_w), mode="bilinear",
                             align_corners=False)[0, 0].numpy().astype(np.float64)
    rw, rh, left, top = geometry(preset, img_w, img_h, hw)
    nh, nw = net.shape

    def axis(n_img, n_res, origin, n_net):
        c = (np.arange(n_img) + 0.5) * n_res / n_img
        inside = (c >= origin) & (c < origin + n_net)
        src = np.maximum(c - 0.5 - origin, 0.0)
        i0 = np.minimum(np.floor(src).astype(int), n_net - 1)
        i1 = np.minimum(i0 + 1, n_net - 1)
        lam = np.minimum(src - i0, 1.0)
        return inside, i0, i1, lam

    inx, x0, x1, lx = axis(img_w, rw, left, nw)
    iny, y0, y1, ly = axis(img_h, rh, top, nh)
    n = net.astype(np.float64)
    top_row = n[y0][:, x0] * (1 - lx) + n[y0][:, x1] * lx
    bot_row = n[y1][:, x0] * (1 - lx) + n[y1][:, x1] * lx
    out = top_row * (1 - ly)[:, None] + bot_row * ly[:, None]
    out[~(iny[:, None] & inx[None, :])] = 0
    return out


def largest_region(mask):
    lab, n = ndimage.label(mask, structure=EIGHT)
    return 0 if n == 0 else int(np.bincount(lab.ravel())[1:].max())


def min_threshold(m, min_area):
    """Smallest t with no region of {m > t} holding min_area pixels: the
    highest distinct value v at which {m >= v} already holds such a region
    (bisection: that predicate only turns true as v falls)."""
    vals = np.unique(m)[::-1]
    if m.size < min_area or largest_region(m >= vals[-1]) < min_area:
        return -np.inf
    lo, hi = 0, len(vals) - 1            # predicate false above lo? find the first true index
    if largest_region(m >= vals[0]) >= min_area:
        return float(vals[0])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if largest_region(m >= vals[mid]) >= min_area:
            hi = mid
        else:
            lo = mid
    return float(vals[hi])


def regions(m, t):
    lab, n = ndimage.label(m > t, structure=EIGHT)
    out = []
    for k, sl in enumerate(ndimage.find_objects(lab)):
        sel = lab == k + 1
        out.append(dict(area=int(sel.sum()), bbox=[sl[1].start, sl[0].start, sl[1].stop - 1, sl[0].stop - 1],
                        peak=float(m[sel].max())))
    return out


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--preset", choices=("ailia", "paper"), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--maps-dir", required=True)
    ap.add_argument("--levels", default="", help="level indices (default: every level at stride 8 or finer)")
    ap.add_argument("--grid", default="")
    ap.add_argument("--dims", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cov", choices=("eps", "lw"), default="eps")
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--sigma", type=float, default=4.0)
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--min-area", type=int, default=25)
    ap.add_argument("--roi", type=lambda v: tuple(int(t) for t in v.split(",")), default=None,
                    help="X,Y,W,H: each image (and ground-truth mask) cut to this region right after it is "
                         "read; the map covers the region, region boxes are reported in the image's pixels")
    ap.add_argument("--ignore", default=None, help="MASK: don't-care pixels where it is bright (step 9)")
    args = ap.parse_args()

    m = onnx.load(args.onnx)
    hw = rc.input_hw(m)
    names, _, info = rc.find_levels(m, "start" if args.preset == "ailia" else "end")
    gh, gw = (-(-hw[0] // 8), -(-hw[1] // 8)) if not args.grid else tuple(int(v) for v in args.grid.split(","))
    train, test = rc.dataset(args.data)
    files = train + test
    # each preset's own reader and 16-bit rule (tests/reference/presets.py)
    rs = presets.resize_short_default(*hw)
    prep = presets.PRESETS[args.preset]
    x = np.stack([prep(os.path.join(args.data, f), hw, rs, roi=args.roi) for f, _ in files])
    ox, oy = (args.roi[0], args.roi[1]) if args.roi else (0, 0)
    outs = rc.run_ort_batch(rc.with_outputs(m, names), x)        # per level K x 1 x C x H x W
    if args.levels:
        pick = [int(v) for v in args.levels.split(",")]
    else:
        pick = [i for i, o in enumerate(outs) if o.shape[3] >= gh and o.shape[4] >= gw]
    rc.log("maps: levels %s of %s (%s), grid %dx%d" % (pick, [tuple(o.shape[2:]) for o in outs], info, gh, gw))

    K = len(files)
    feats = np.concatenate([np.stack([to_grid(outs[l][k], gh, gw) for k in range(K)]) for l in pick], axis=1)
    total_c = feats.shape[1]
    if args.dims:
        chans = sorted(partial_shuffle(total_c, args.dims, args.seed))
        feats = feats[:, chans]
    vec = feats.transpose(0, 2, 3, 1).reshape(K, gh * gw, -1).astype(np.float64)   # K x L x d

    n_train = len(train)
    k_held = max(1, int(np.floor(args.holdout * n_train + 0.5)))
    held = set(partial_shuffle(n_train, k_held, args.seed ^ HOLDOUT_STREAM))
    fit_rows = [i for i in range(n_train) if i not in held]
    L, d = vec.shape[1], vec.shape[2]
    mean = np.empty((L, d))
    prec = np.empty((L, d, d))
    for loc in range(L):
        X = vec[fit_rows, loc, :]
        mean[loc] = X.mean(axis=0)
        cov = np.cov(X, rowvar=False) + args.eps * np.identity(d) if args.cov == "eps" else LedoitWolf().fit(X).covariance_
        prec[loc] = np.linalg.inv(cov)

    sizes = {}
    ignore = None
    if args.ignore:
        ignore = (np.asarray(Image.open(args.ignore).convert("RGB")) > 127).any(axis=2)
        if args.roi:
            ignore = ignore[presets.roi_box(args.roi)]

    def image_map(k):
        diff = vec[k] - mean                                       # L x d
        dist = np.sqrt(np.einsum("li,lij,lj->l", diff, prec, diff)).reshape(gh, gw).astype(np.float32)
        net = F.interpolate(torch.from_numpy(dist)[None, None], size=hw, mode="bilinear",
                            align_corners=False)[0, 0].numpy()
        net = ndimage.gaussian_filter(net, args.sigma, mode="reflect", truncate=4.0)
        f = files[k][0]
        if f not in sizes:   # as the preset's reader delivers it (turned by a stated orientation)
            sizes[f] = presets.image_size(args.preset, os.path.join(args.data, f))
        w, h = sizes[f] if not args.roi else args.roi[2:]
        out = back_to_image(net, args.preset, w, h, hw)
        if ignore is not None:
            if ignore.shape != out.shape:
                sys.exit("maps_ref.py: the don't-care mask is %dx%d, the map of %s %dx%d"
                         % (ignore.shape[1], ignore.shape[0], f, out.shape[1], out.shape[0]))
            out[ignore] = 0
        return out

    threshold = max(min_threshold(image_map(i), args.min_area) for i in sorted(held))
    os.makedirs(args.maps_dir, exist_ok=True)
    rows, all_maps, all_masks, types = [], [], [], []
    for k in range(n_train, K):
        f, label = files[k]
        mp = image_map(k)
        sub, name = f.split("/")[1], os.path.splitext(os.path.basename(f))[0]
        path = os.path.join(args.maps_dir, "%s_%s.map.f32" % (sub, name))
        mp.astype("<f4").tofile(path)
        regs = regions(mp, threshold)
        for r in regs:
            r["bbox"] = [r["bbox"][0] + ox, r["bbox"][1] + oy, r["bbox"][2] + ox, r["bbox"][3] + oy]
        big = [r for r in regs if r["area"] >= args.min_area]
        rows.append(dict(file=f, score=float(mp.max()), label=label,
                         map=dict(max=float(mp.max()), n_regions=len(regs), defects=len(big), regions=big, f32=path,
                                  w=mp.shape[1], h=mp.shape[0])))
        all_maps.append(mp)
        if label:
            mk = np.asarray(Image.open(os.path.join(args.data, "ground_truth", sub, name + "_mask.png")).convert("RGB"))
            if args.roi:
                mk = mk[presets.roi_box(args.roi)]
            all_masks.append((mk > 127).any(axis=2))
        else:
            all_masks.append(np.zeros(mp.shape, bool))
        types.append(sub)
    pix_auroc, pro = {}, {}
    keep = [np.ones(mp.shape, bool) if ignore is None else ~ignore for mp in all_maps]
    for t in ["all"] + sorted(set(types) - {"good"}):
        idx = [i for i, s in enumerate(types) if s == "good" or t == "all" or s == t]
        y = np.concatenate([all_masks[i][keep[i]] for i in idx])
        s = np.concatenate([all_maps[i][keep[i]] for i in idx]).astype(np.float32)
        pix_auroc[t] = float(roc_auc_score(y, s))
        pro[t] = float(pro_ref.au_pro([all_maps[i].astype(np.float32) for i in idx], [all_masks[i] for i in idx], 0.3,
                                      [keep[i] for i in idx]))
    header = dict(kind="fit", preset=args.preset, n_train=len(fit_rows), threshold=threshold,
                  map=dict(grid=[gh, gw], dim=d, levels=pick, cov=args.cov, eps=args.eps, sigma=args.sigma,
                           min_area=args.min_area, held_out=sorted(files[i][0] for i in held)),
                  pixel_auroc=pix_auroc, pro=pro, level_tensors=[names[i] for i in pick])
    if ignore is not None:
        header["pixels_left_out"] = int(ignore.sum()) * len(all_maps)
    rc.write_jsonl(args.out, header, rows)
    rc.log("maps_ref: %d fitted, %d held out, pixel threshold %.6g, pixel AUROC %.4f, PRO %.4f -> %s"
           % (len(fit_rows), len(held), threshold, pix_auroc["all"], pro["all"], args.out))


if __name__ == "__main__":
    main()
