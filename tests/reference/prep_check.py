#!/usr/bin/python3
"""Every effad preset's network input against its own Python reference, bit
for bit, on the reference image set (non-square, grey, RGBA, palette,
16-bit PNGs).

    /usr/bin/python3 tests/reference/prep_check.py DATA_DIR PREP_DUMP [--sizes 64,224]

For each preset (ailia, mahalanobisad, paper; tests/reference/presets.py)
and each square model size, effad's tensors (PREP_DUMP, built from
tests/reference/prep-dump.c, with the 16-bit option that preset's original
follows) must equal the reference's float32 bytes exactly.  It also checks
that the set exercises the difference between ailia's floor crop and
mahalanobisad's rounded one (at least two images per size where the two
origins differ), so a renamed or merged preset cannot pass unnoticed.
Exit 0 when everything matches, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import presets  # noqa: E402
import refcommon as rc  # noqa: E402

RULE = presets.RGB16


def origins(w, h, n, rs):
    """(floor, round) crop origins (top, left) of a w x h image resized by
    the shorter side to rs, for an n x n crop."""
    lw, lh = (rs, int(rs * h / w)) if h > w else (int(rs * w / h), rs)
    dy, dx = lh - n, lw - n
    return (dy // 2, dx // 2), (int(round(dy / 2.0)), int(round(dx / 2.0)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data")
    ap.add_argument("prep_dump")
    ap.add_argument("--sizes", default="64,224")
    args = ap.parse_args()
    train, test = rc.dataset(args.data)
    files = [os.path.join(args.data, f) for f, _ in train + test]
    fail = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            rs = presets.resize_short_default(n, n)
            sizes = [Image.open(f).size for f in files]
            differ = sum(1 for w, h in sizes if origins(w, h, n, rs)[0] != origins(w, h, n, rs)[1])
            print("prep_check: %dx%d: ailia's and mahalanobisad's crop origins differ on %d of %d images"
                  % (n, n, differ, len(files)))
            if differ < 2:
                print("prep_check: too few images tell the two crops apart")
                fail = 1
            for name, ref in presets.PRESETS.items():
                out = os.path.join(tmp, "%s-%d.f32" % (name, n))
                subprocess.run([args.prep_dump, name, str(n), str(n), RULE[name], out] + files, check=True)
                got = np.fromfile(out, "<f4").reshape(len(files), 3, n, n)
                bad = []
                for i, f in enumerate(files):
                    want = ref(f, (n, n), rs, RULE[name])
                    if want.astype("<f4").tobytes() != got[i].tobytes():
                        bad.append((os.path.relpath(f, args.data), float(np.max(np.abs(want - got[i])))))
                print("prep_check: %-13s %3dx%-3d 16-bit rule %-6s: %s" % (
                    name, n, n, RULE[name], "%d images bit-identical" % len(files) if not bad else
                    "%d of %d DIFFER, e.g. %s max |diff| %g" % (len(bad), len(files), bad[0][0], bad[0][1])))
                fail |= bool(bad)
    return fail


if __name__ == "__main__":
    sys.exit(main())
