#!/usr/bin/python3
"""Reference: the paper's pipeline (Rippel et al. 2020, gaussian-ad-mvtec).

    /usr/bin/python3 tests/reference/paper_ref.py --onnx MODEL.onnx --data DIR \\
        --out OUT.jsonl [--train-scores] [--levels-from FILE] [--p 0.9973]
        [--dtype float64|float32] [--roi X,Y,W,H]

Fits on DIR/train/good, scores every image under DIR/test/*/ (label 0 in
test/good, 1 elsewhere).  Test-only; ONNX Runtime through
tests/golden/ort-run.js (EFFAD_ORT_DIR, default build/ort).

Model.  MODEL is a plain classifier export (e.g.
tests/golden/tiny-tv-bn/model.onnx).  The 9 levels are the stage-END maps --
stem output, output of the LAST block of each of the 7 stages (after the
residual add), head conv output -- found by ONNX node names
(refcommon.find_levels; checked against levels.txt when the model sits in
a tests/golden/<case>/ directory) or listed in --levels-from (e.g.
tests/golden/<case>/levels.txt: tensor name last on each line).  They are
made graph outputs and run in ORT.  A model whose graph already has exactly
9 four-dimensional outputs is used as is.

Preprocessing (per image): presets.paper, written from gaussian-ad-mvtec --
  1. cv2.imread(path, cv2.IMREAD_COLOR) -> 8-bit BGR (grey replicated;
     alpha dropped; palette expanded; 16-bit: high byte, value >> 8 -- effad
     --opencv-16bit), then cv2.cvtColor(BGR2RGB)
  2. albumentations Resize: cv2.resize(img, (W, H), INTER_LINEAR) straight
     to the model's input size (no aspect keeping, no crop)
  3. albumentations Normalize: (p - float32(mean) * 255) *
     reciprocal(float32(std) * 255), all float32, ImageNet mean/std

Score.  Level vector = mean over H x W of the float32 ORT map, accumulated
in float64.  Per level l: mean_l = train mean; P_l = sklearn
LedoitWolf().fit(train).precision_ (assume_centered=False);
d_l(x) = sqrt((x - mean_l)^T P_l (x - mean_l)); score = MEAN over the 9
levels of d_l.  Thresholds: t_l = sqrt(scipy.stats.chi2.ppf(p, dim_l)),
p = 0.9973 (3 sigma); combined threshold = mean over levels of t_l.
--dtype float32: fit and score in float32, as the original effectively does
(torch float32 features; sklearn keeps float32) -- to measure that gap.

Output (JSON lines): header
  {"kind": "fit", "preset": "paper", "n_train", "levels": [{"dim",
   "shrinkage", "threshold"}], "threshold", "p", ...extra keys}
then one line per test image
  {"file": "test/<defect>/<name>.png", "score", "levels": [d_0..d_8],
   "label": 0|1}
and with --train-scores first one line per training image ("label": 0,
"split": "train").
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
from scipy.stats import chi2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refcommon as rc  # noqa: E402
import presets  # noqa: E402


def get_level_model(args, m):
    shapes = rc.output_shapes(m)
    if len(shapes) == 9 and all(len(s) == 4 for s in shapes):
        rc.log("model has 9 four-dimensional outputs: used as is")
        return m, [o.name for o in m.graph.output], "model outputs (as given)"
    if args.levels_from:
        names = rc.read_levels_file(args.levels_from)
        info = "from %s" % args.levels_from
    else:
        names, _, info = rc.find_levels(m, "end")
        rc.check_against_golden(args.onnx, names, "levels.txt")
    if len(names) != 9:
        raise SystemExit("expected 9 level tensors, got %d" % len(names))
    rc.log("stage-end levels (%s)" % info)
    for i, n in enumerate(names):
        rc.log("  level %d: %s" % (i, n))
    return rc.with_outputs(m, names), names, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-scores", action="store_true",
                    help="also write one line per training image")
    ap.add_argument("--levels-from", help="file naming the 9 stage-end tensors (levels.txt)")
    ap.add_argument("--p", type=float, default=0.9973, help="chi2 quantile for thresholds")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--roi", type=lambda v: tuple(int(t) for t in v.split(",")), default=None,
                    help="X,Y,W,H: each image cropped to this region right after it is read "
                         "(img[Y:Y+H, X:X+W]; PIL: crop), as effad fit --roi")
    args = ap.parse_args()
    t0 = time.time()

    m = onnx.load(args.onnx)
    hw = rc.input_hw(m)
    rc.log("paper preprocessing: cv2.imread(IMREAD_COLOR); BGR2RGB; cv2.resize to %dx%d "
           "INTER_LINEAR; albumentations Normalize (p - 255 mean) * (1 / (255 std))" % (hw[1], hw[0]))
    lm, names, info = get_level_model(args, m)

    train, test = rc.dataset(args.data)
    files = train + test
    x = np.stack([presets.paper(os.path.join(args.data, f), hw, roi=args.roi) for f, _ in files])
    t1 = time.time()
    maps = rc.run_ort_batch(lm, x)
    t2 = time.time()
    # K x 1 x C x H x W float32 -> K x C, mean over H x W in float64
    feats = [mp.reshape(mp.shape[0], mp.shape[2], -1).astype(np.float64).mean(axis=2)
             for mp in maps]
    ntr = len(train)
    fits = [rc.fit_level(f[:ntr], args.dtype) for f in feats]
    lthr = [float(np.sqrt(chi2.ppf(args.p, g["dim"]))) for g in fits]
    threshold = float(np.mean(lthr))

    def dists(rows):
        per = []
        for f, g in zip(feats, fits):
            d = f[rows].astype(args.dtype) - g["mean"]
            per.append(np.sqrt(np.einsum("im,mn,in->i", d, g["precision"], d)))
        per = np.array(per, dtype=np.float64).T        # images x levels
        return per, per.mean(axis=1)

    tr_per, tr_score = dists(slice(0, ntr))
    te_per, te_score = dists(slice(ntr, None))
    t3 = time.time()

    header = dict(kind="fit", preset="paper", n_train=ntr, n_test=len(test),
                  levels=[dict(dim=g["dim"], shrinkage=g["shrinkage"], threshold=t)
                          for g, t in zip(fits, lthr)],
                  threshold=threshold, p=args.p,
                  score="mean over levels of sqrt(d^T LW.precision_ d)",
                  threshold_rule="mean over levels of sqrt(chi2.ppf(p, dim))",
                  train_score_mean=float(np.mean(tr_score)),
                  input_hw=list(hw), dtype=args.dtype, model=os.path.basename(args.onnx),
                  level_tensors=names, levels_found=info,
                  versions=dict(opencv=presets.cv2.__version__, onnxruntime=rc.ort_version(),
                                sklearn=__import__("sklearn").__version__,
                                scipy=__import__("scipy").__version__,
                                numpy=np.__version__))
    rows = []
    if args.train_scores:
        for (f, _), s, p in zip(train, tr_score, tr_per):
            rows.append(dict(file=f, score=float(s), levels=[float(v) for v in p], label=0,
                             split="train"))
    for (f, lab), s, p in zip(test, te_score, te_per):
        rows.append(dict(file=f, score=float(s), levels=[float(v) for v in p], label=lab))
    rc.write_jsonl(args.out, header, rows)
    labels = np.array([lab for _, lab in test])
    pred = te_score > threshold
    rc.log("paper: %d train, %d test; threshold %.6g (levels %s); flagged %d/%d defective, "
           "%d/%d good; %s" % (ntr, len(test), threshold, " ".join("%.3f" % t for t in lthr),
                               int(pred[labels == 1].sum()), int((labels == 1).sum()),
                               int(pred[labels == 0].sum()), int((labels == 0).sum()), args.out))
    rc.log("time: preprocess %.1f s, ORT %.1f s, fit+score %.1f s, total %.1f s"
           % (t1 - t0, t2 - t1, t3 - t2, time.time() - t0))


if __name__ == "__main__":
    main()
