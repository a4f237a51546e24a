#!/usr/bin/python3
"""Checks the PNGs our writer produced with PIL (an independent decoder).

Not part of `make test` (which needs only C). Run after it:
    make test && /usr/bin/python3 tests/check-png-writer.py [build/tests/png-write]
build/tests/test-image-png-write leaves each rt-WxH-cC-kK.png (8-bit) and
rt16-WxH-cC.png (16-bit) next to the raw pixels it encoded (.raw; 16-bit
ones little-endian); every PNG must open in PIL with the right size and
mode and exactly those pixels. PIL opens 16-bit grey as mode "I;16"; for
16-bit colour it keeps only the high bytes (mode "RGB"/"RGBA"), which is
what is compared there.
"""
import os
import re
import sys

import numpy as np
from PIL import Image

d = sys.argv[1] if len(sys.argv) > 1 else "build/tests/png-write"
bad = good = 0
for f in sorted(os.listdir(d)):
    m16 = re.match(r"rt16-(\d+)x(\d+)-c(\d)\.png$", f)
    if m16:
        w, h, c = map(int, m16.groups())
        raw = np.fromfile(os.path.join(d, f[:-4] + ".raw"), dtype="<u2").reshape(h, w, c)
        im = Image.open(os.path.join(d, f))
        im.load()
        if c == 1:
            ok = im.mode in ("I;16", "I;16B", "I") and (np.asarray(im).reshape(h, w, 1) == raw).all()
        else:
            ok = im.mode == {3: "RGB", 4: "RGBA"}[c] and (np.asarray(im).reshape(h, w, c) == (raw >> 8)).all()
        if not ok or im.size != (w, h):
            print(f"MISMATCH {f}: mode {im.mode} size {im.size}")
            bad += 1
        else:
            good += 1
        continue
    m = re.match(r"rt-(\d+)x(\d+)-c(\d)-k\d\.png$", f)
    if not m:
        continue
    w, h, c = map(int, m.groups())
    raw = np.fromfile(os.path.join(d, f[:-4] + ".raw"), dtype=np.uint8).reshape(h, w, c)
    im = Image.open(os.path.join(d, f))
    im.load()
    want_mode = {1: "L", 3: "RGB", 4: "RGBA"}[c]
    got = np.asarray(im).reshape(h, w, -1)
    if im.mode != want_mode or im.size != (w, h) or not (got == raw).all():
        print(f"MISMATCH {f}: mode {im.mode} size {im.size}")
        bad += 1
    else:
        good += 1
print(f"{good} PNGs match in PIL, {bad} mismatches")
sys.exit(1 if bad or not good else 0)
