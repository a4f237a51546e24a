#!/usr/bin/python3
"""The image set of `make bench`'s throughput rows.

    /usr/bin/python3 bench/make-throughput-set.py OUT [--train 200] [--test 100] [--size 256] [--seed 3]

writes OUT/train/good/NNN.png (good parts) and OUT/test/{good,spot}/NNN.png
(half good, half with a dark spot): 8-bit RGB PNGs of size x size, a smooth
random field plus stripes, drawn from numpy RandomState(seed) -- the same
files on every run. An MVTec-AD layout, so both `effad fit`/`score` and the
Python reference pipeline (tests/reference/ailia_ref.py) read it.
"""
import argparse
import os

import numpy as np
from PIL import Image


def image(rs, size, defect):
    g = rs.rand(8, 8, 3)
    field = np.array(Image.fromarray((g * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC), np.float32)
    y, x = np.mgrid[0:size, 0:size]
    a = rs.uniform(0, np.pi)
    stripes = 40 * np.sin((np.cos(a) * x + np.sin(a) * y) * rs.uniform(0.05, 0.15))
    img = np.clip(0.6 * field + stripes[..., None] + 40, 0, 255)
    if defect:
        cy, cx, r = rs.randint(40, size - 40, 2).tolist() + [rs.randint(6, 18)]
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] *= 0.3
    return Image.fromarray(img.astype(np.uint8))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=200)
    ap.add_argument("--test", type=int, default=100)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    rs = np.random.RandomState(a.seed)
    jobs = [("train/good", i, False) for i in range(a.train)]
    jobs += [("test/good", i, False) for i in range(a.test - a.test // 2)]
    jobs += [("test/spot", i, True) for i in range(a.test // 2)]
    for sub, i, defect in jobs:
        d = os.path.join(a.out, sub)
        os.makedirs(d, exist_ok=True)
        image(rs, a.size, defect).save(os.path.join(d, "%03d.png" % i))


if __name__ == "__main__":
    main()
