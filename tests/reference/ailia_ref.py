#!/usr/bin/python3
"""Reference: the ailia `mahalanobisad` sample / MahalanobisAD-pytorch pipeline.

    /usr/bin/python3 tests/reference/ailia_ref.py --onnx MODEL.onnx --data DIR \\
        --out OUT.jsonl [--preset ailia|mahalanobisad] [--train-scores]
        [--levels-from FILE] [--taps-out T.onnx] [--resize-short N]
        [--dtype float64|float32] [--roi X,Y,W,H]

The two differ only in how an image becomes the network's input (effad's
presets of the same names; tests/reference/presets.py has both, written from
the samples' code): ailia reads with OpenCV and crops at (h - H) // 2,
MahalanobisAD-pytorch reads with PIL and crops with torchvision's
CenterCrop.  The levels and the score are the same.

Fits on DIR/train/good, scores every image under DIR/test/*/ (label 0 in
test/good, 1 elsewhere).  Test-only; ONNX Runtime through
tests/golden/ort-run.js (EFFAD_ORT_DIR, default build/ort).

Model.  MODEL is either
  * a taps graph like ailia's efficientnet-bN.onnx for mahalanobisad (or
    tests/golden/tiny-tv-bn/model-taps-start.onnx): exactly 9 outputs, each
    N x C x 1 x 1 (GlobalAveragePool inside the graph) -- used as is; or
  * a plain classifier export: then a taps graph is built from it with a
    GlobalAveragePool on each of the 9 MahalanobisAD levels -- stem output,
    output of the FIRST block of each of the 7 stages, head conv output --
    found by ONNX node names (refcommon.find_levels: torchvision
    '/features/features.S/features.S.0/', lukemelas '/_blocks.K/' with
    MahalanobisAD's channel-change rule) or listed in --levels-from (a
    levels.txt-style file, tensor name last on each line).  It is saved to
    --taps-out (default OUT's directory / <model>-taps-start.onnx).

Preprocessing (per image): presets.ailia or presets.mahalanobisad, with
  S = round(min(H, W) * 256 / 224) = (8 * min(H, W) + 3) // 7 unless
  --resize-short: 224 -> 256 (the original numbers), 64 -> 73 (tiny
  golden models), 380 -> 434, 300 -> 343.  16-bit images: mahalanobisad
  clips 16-bit grey as PIL does (effad --pil-16bit); the ailia sample cannot
  read them at all, so its reference scales them, round(v / 257), as
  effad's default does.

Score.  Per level l (features f_l, float32 ORT outputs widened to float64):
  mean_l = mean of the train features; cov_l = sklearn
  LedoitWolf().fit(train).covariance_ (assume_centered=False);
  d_l(x) = scipy.spatial.distance.mahalanobis(x, mean_l, np.linalg.inv(cov_l));
  score = sum over the 9 levels of d_l.
  threshold = 2 * mean over the training images of their own score.
--dtype float32 runs the fit/score in float32 (what the original scripts do
in effect: their features are float32 arrays and sklearn/numpy keep that
dtype) -- to measure how far float32 originals are from the float64 numbers.

Output (JSON lines): header
  {"kind": "fit", "preset": "ailia", "n_train", "levels": [{"dim",
   "shrinkage"}], "threshold", ...extra keys}
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
from PIL import Image
from scipy.spatial.distance import mahalanobis
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refcommon as rc  # noqa: E402
import presets  # noqa: E402


def get_taps_model(args, m):
    shapes = rc.output_shapes(m)
    if len(shapes) == 9 and all(len(s) == 4 and s[2] == 1 and s[3] == 1 for s in shapes):
        rc.log("model has 9 pooled outputs: used as is")
        return m, [o.name for o in m.graph.output], "model outputs (as given)"
    if args.levels_from:
        names = rc.read_levels_file(args.levels_from)
        chans = None
        info = "from %s" % args.levels_from
    else:
        names, chans, info = rc.find_levels(m, "start")
        rc.check_against_golden(args.onnx, names, "levels-start.txt")
    if len(names) != 9:
        raise SystemExit("expected 9 level tensors, got %d" % len(names))
    if chans is None:
        hw = rc.input_hw(m)
        outs = rc.run_ort_batch(rc.with_outputs(m, names), np.zeros((1, 3) + hw, np.float32))
        chans = [int(o.shape[2]) for o in outs]
    tp = rc.taps_model(m, names, chans)
    out = args.taps_out or os.path.join(
        os.path.dirname(os.path.abspath(args.out)),
        os.path.splitext(os.path.basename(args.onnx))[0] + "-taps-start.onnx")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    onnx.save(tp, out)
    rc.log("stage-start taps model (%s) -> %s" % (info, out))
    for i, n in enumerate(names):
        rc.log("  level %d: %s" % (i, n))
    return tp, names, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-scores", action="store_true",
                    help="also write one line per training image")
    ap.add_argument("--levels-from", help="file naming the 9 stage-start tensors")
    ap.add_argument("--taps-out", help="where to save a built taps model")
    ap.add_argument("--resize-short", type=int, default=0,
                    help="shorter side before the crop (default round(crop*256/224))")
    ap.add_argument("--preset", choices=("ailia", "mahalanobisad"), default="ailia",
                    help="ailia: the ailia sample's reading and (h - H) // 2 crop; mahalanobisad: "
                         "MahalanobisAD-pytorch's PIL + torchvision transforms")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--roi", type=lambda v: tuple(int(t) for t in v.split(",")), default=None,
                    help="X,Y,W,H: each image cropped to this region right after it is read "
                         "(img[Y:Y+H, X:X+W]; PIL: crop), as effad fit --roi")
    args = ap.parse_args()
    t0 = time.time()

    m = onnx.load(args.onnx)
    hw = rc.input_hw(m)
    rs = args.resize_short or presets.resize_short_default(*hw)
    rc.log("%s preprocessing (tests/reference/presets.py): shorter side -> %d with PIL LANCZOS, "
           "longer int(%d*long/short); crop %dx%d at %s; ImageNet normalisation"
           % (args.preset, rs, rs, hw[0], hw[1],
              "(h - H) // 2" if args.preset == "ailia" else "int(round((h - H) / 2.0))"))
    tm, tap_names, tap_info = get_taps_model(args, m)

    train, test = rc.dataset(args.data)
    files = train + test
    prep = presets.PRESETS[args.preset]
    x = np.stack([prep(os.path.join(args.data, f), hw, rs, roi=args.roi) for f, _ in files])
    t1 = time.time()
    outs = rc.run_ort_batch(tm, x)
    t2 = time.time()
    feats = [o.reshape(o.shape[0], -1).astype(np.float64) for o in outs]
    ntr = len(train)

    fits = [rc.fit_level(f[:ntr], args.dtype) for f in feats]

    def dists(rows):
        per = []
        for f, g in zip(feats, fits):
            vi = np.linalg.inv(g["cov"])
            xs = f[rows].astype(args.dtype)
            per.append([float(mahalanobis(v, g["mean"], vi)) for v in xs])
        per = np.array(per).T            # images x levels
        return per, per.sum(axis=1)

    tr_per, tr_score = dists(slice(0, ntr))
    te_per, te_score = dists(slice(ntr, None))
    threshold = 2.0 * float(np.mean(tr_score))
    t3 = time.time()

    header = dict(kind="fit", preset=args.preset, n_train=ntr, n_test=len(test),
                  levels=[dict(dim=g["dim"], shrinkage=g["shrinkage"]) for g in fits],
                  threshold=threshold,
                  score="sum over levels of scipy mahalanobis(x, mean, inv(LW covariance))",
                  threshold_rule="2 * mean training score",
                  train_score_mean=float(np.mean(tr_score)),
                  input_hw=list(hw), resize_short=rs,
                  dtype=args.dtype, model=os.path.basename(args.onnx), level_tensors=tap_names,
                  levels_found=tap_info,
                  versions=dict(torchvision=torchvision.__version__, pil=Image.__version__,
                                onnxruntime=rc.ort_version(),
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
    rc.log("%s: %d train, %d test; threshold %.6g; flagged %d/%d defective, %d/%d good; "
           "%s" % (args.preset, ntr, len(test), threshold, int(pred[labels == 1].sum()), int((labels == 1).sum()),
                   int(pred[labels == 0].sum()), int((labels == 0).sum()), args.out))
    rc.log("time: preprocess %.1f s, ORT %.1f s, fit+score %.1f s, total %.1f s"
           % (t1 - t0, t2 - t1, t3 - t2, time.time() - t0))


if __name__ == "__main__":
    main()
