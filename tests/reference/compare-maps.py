#!/usr/bin/python3
"""Compare effad's anomaly maps with tests/reference/maps_ref.py's.

    tests/reference/compare-maps.py EFFAD.jsonl REF.jsonl [--report report.json]
                                    [--rtol 1e-3] [--quiet]

EFFAD.jsonl is `effad score --json --save-maps DIR` run from the data
directory on test/ (its "file" keys then match the reference's); REF.jsonl
is maps_ref.py's output. Checked, per test image:
  * the map: max |a - b| / max |b| over the image <= rtol (both float32
    files, "f32" in the lines);
  * the 16-bit PNG effad wrote beside it, decoded by PIL, times its
    png_scale, is the float map to half a step;
  * the regions above the pixel threshold: the same count, and the same
    boxes (exactly) and areas (exactly, but for pixels within 1e-5 relative
    of the threshold, which either side may count) with peaks within rtol,
    for those of at least the minimum area; the same number of defects;
and once: the pixel threshold within rtol; with --report (effad eval's
report.json), pixel AUROC and PRO per defect type within rtol.
Exit 0 when everything holds, 1 otherwise, 2 on unreadable input.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import load  # noqa: E402  (the same JSON-lines layout)


def rel(a, b):
    a, b = float(a), float(b)
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("effad")
    ap.add_argument("ref")
    ap.add_argument("--report")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    try:
        he, re_ = load(args.effad)
        hr, rr = load(args.ref)
    except (OSError, SystemExit) as e:
        print("compare-maps: %s" % e, file=sys.stderr)
        return 2
    bad = []
    worst_map, worst_where, worst_png, n_regions = 0.0, "", 0.0, 0
    te, tr = he["map"].get("threshold"), hr["threshold"]
    if te is None or rel(te, tr) > args.rtol:
        bad.append("pixel threshold %s vs %s" % (te, tr))
    if sorted(re_) != sorted(rr):
        bad.append("different image lists: %d vs %d" % (len(re_), len(rr)))
    for k in sorted(set(re_) & set(rr)):
        e, r = re_[k]["map"], rr[k]["map"]
        a = np.fromfile(e["f32"], "<f4").astype(np.float64)
        b = np.fromfile(r["f32"], "<f4").astype(np.float64)
        if a.size != b.size or e["w"] != r["w"] or e["h"] != r["h"]:
            bad.append("%s: map %dx%d vs %dx%d" % (k, e["w"], e["h"], r["w"], r["h"]))
            continue
        err = np.abs(a - b).max() / np.abs(b).max()
        if err > worst_map:
            worst_map, worst_where = err, k
        if err > args.rtol:
            bad.append("%s: map rel err %.3g" % (k, err))
        png = np.asarray(Image.open(e["png"]), dtype=np.float64).ravel() * e["png_scale"]
        perr = np.abs(png - a).max() / e["png_scale"]
        worst_png = max(worst_png, perr)
        if perr > 0.501:   # half a step, plus the 9 digits png_scale is printed with
            bad.append("%s: 16-bit PNG is %.3g steps from the float map" % (k, perr))
        if e["n_regions"] != r["n_regions"] or e["defects"] != r["defects"]:
            bad.append("%s: %d regions / %d defects vs %d / %d" % (k, e["n_regions"], e["defects"], r["n_regions"],
                                                                   r["defects"]))
            continue
        # A pixel whose value lies within the map tolerance of the threshold
        # may fall on either side of it in two correct implementations (the
        # maps agree to ~1e-6, not to the bit): such pixels may move a
        # region's area, not its box or count.
        thr = tr if tr is not None else 0.0
        borderline = int(np.count_nonzero(np.abs(b - thr) <= 1e-5 * max(abs(thr), 1e-30)))
        for x, y in zip(e["regions"], r["regions"]):
            n_regions += 1
            if (abs(x["area"] - y["area"]) > borderline or x["bbox"] != y["bbox"] or
                    rel(x["peak"], y["peak"]) > args.rtol):
                bad.append("%s: region %s vs %s (%d pixels within 1e-5 of the threshold)" % (k, x, y, borderline))
    if args.report:
        with open(args.report) as f:
            rep = json.load(f)
        if rep.get("pixels_left_out") != hr.get("pixels_left_out"):
            bad.append("don't-care pixels left out: %s vs %s" % (rep.get("pixels_left_out"), hr.get("pixels_left_out")))
        for key in ("pixel_auroc", "pro"):
            for t, v in hr[key].items():
                got = rep.get(key, {}).get(t)
                if got is None or rel(got, v) > args.rtol:
                    bad.append("%s[%s] %s vs %s" % (key, t, got, v))
    if not args.quiet:
        print("compare-maps %s vs %s: %d images, map max rel err %.3g (%s), PNG within %.3g steps, "
              "threshold %.9g vs %.9g, %d defect regions compared" % (args.effad, args.ref, len(rr), worst_map,
                                                                      worst_where, worst_png, te or 0, tr, n_regions))
        if args.report:
            print("  pixel AUROC all %.6f vs %.6f, PRO all %.6f vs %.6f" % (
                rep["pixel_auroc"]["all"], hr["pixel_auroc"]["all"], rep["pro"]["all"], hr["pro"]["all"]))
        for b in bad[:20]:
            print("  " + b)
    print("compare-maps: %s" % ("FAIL" if bad else "OK"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
