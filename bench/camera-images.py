#!/usr/bin/python3
"""`make bench`'s camera-image rows: from a camera's file to the network's
input, effad beside the Python references' own image code, in one run.

    /usr/bin/python3 bench/camera-images.py EFFAD [--rounds 5] [--out DIR]

A 4000x3000 (12-megapixel) frame -- a smooth field, stripes and sensor
noise, numpy RandomState(5), the same bytes every run -- saved as a JPEG
(PIL, quality 90, 4:2:0), a PNG and an LZW TIFF (PIL's libtiff, what
machine-vision software often writes) in DIR (default build/bench/camera).
Per image, for each preset and file:
  effad   `effad features` on a tiny network (tests/golden/tiny-tv-bn:
          decode, resize, crop and normalisation are nearly all of it),
          the marginal cost: (time for 2N copies - time for N) / N, so the
          process start and the first touches of memory are left out;
  Python  the preset's reference from the file to the network's input
          (tests/reference/presets.py, the code `make reference` holds
          effad to, bit for bit): ailia cv2.imdecode, PIL Lanczos to a
          shorter side of 256, crop, normalise; mahalanobisad the same
          through PIL and torchvision; paper cv2.imread, cv2.resize to
          224x224, albumentations' normalisation -- in one interpreter,
          over the same N files.
And effad's peak RSS for one image of each (`features`, ailia preset),
where GNU time is installed.
Rounds alternate the two; the table gives the medians of each and of the
paired ratio effad / Python (lower is faster), and is appended to
DIR/../report.md when that exists. Both are single-threaded here (effad
without --threads splits no image: decode and resize run on one thread;
PIL's and OpenCV's decoders are single-threaded, and cv2.resize on one
image of this size is run with cv2.setNumThreads(1), torch with
torch.set_num_threads(1)).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import presets  # noqa: E402

N = 6


def make_frame(path_jpg, path_png, path_tif):
    rs = np.random.RandomState(5)
    h, w = 3000, 4000
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 60 * np.sin(x / 37.0) + 30 * np.cos(y / 23.0),
                    128 + 50 * np.sin((x + y) / 51.0),
                    100 + 40 * np.cos(x / 13.0 - y / 29.0)], -1)
    img += rs.normal(0, 6, img.shape).astype(np.float32)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    im.save(path_jpg, quality=90)
    im.save(path_png)
    im.save(path_tif, compression="tiff_lzw")


def copies(out, name, src, n):
    d = os.path.join(out, f"{name.replace(' ', '-')}-{n}")
    if not os.path.isdir(d):
        os.makedirs(d)
        for i in range(n):
            shutil.copyfile(src, os.path.join(d, f"{i:02d}{os.path.splitext(src)[1]}"))
    return d


def effad_run(effad, model, d, preset, out):
    t = time.perf_counter()
    subprocess.run([effad, "features", model, d, "--preprocess", preset, "-o", os.path.join(out, "f.csv"),
                    "--quiet"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def effad_rss_mb(effad, model, d, out):
    """Peak RSS of one `features` process, by GNU time (Debian package
    `time`), None without it. Not this interpreter's wait4: a child forked
    from it counts the parent's pages (torch's ~900 MB) in its maximum."""
    if not os.path.exists("/usr/bin/time"):
        return None
    r = subprocess.run(["/usr/bin/time", "-f", "%M", effad, "features", model, d, "--preprocess", "ailia", "-o",
                        os.path.join(out, "f.csv"), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, check=True)
    return int(r.stderr.strip().splitlines()[-1]) / 1024.0


def python_run(files, preset):
    t = time.perf_counter()
    for f in files:
        presets.PRESETS[preset](f, (224, 224), 256)
    return (time.perf_counter() - t) / len(files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("effad")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default="build/bench/camera")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    import torch
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    jpg, png, tif = (os.path.join(a.out, "frame." + x) for x in ("jpg", "png", "tif"))
    if not all(os.path.exists(f) for f in (jpg, png, tif)):
        make_frame(jpg, png, tif)
    model = os.path.join(a.out, "tiny.efm")
    subprocess.run([a.effad, "convert", "tests/golden/tiny-tv-bn/model.onnx", "-o", model], check=True,
                   stdout=subprocess.DEVNULL)
    rows, rss = [], {}
    for fmt, src in (("JPEG", jpg), ("PNG", png), ("TIFF LZW", tif)):
        small, big = copies(a.out, fmt, src, N), copies(a.out, fmt, src, 2 * N)
        rss[fmt] = effad_rss_mb(a.effad, model, copies(a.out, fmt, src, 1), a.out)
        files = [os.path.join(small, f) for f in sorted(os.listdir(small))]
        for preset in ("ailia", "mahalanobisad", "paper"):
            e, p, r = [], [], []
            for _ in range(a.rounds):
                te = (effad_run(a.effad, model, big, preset, a.out) - effad_run(a.effad, model, small, preset, a.out)) / N
                tp = python_run(files, preset)
                e.append(te); p.append(tp); r.append(te / tp)
            rows.append((fmt, preset, statistics.median(e) * 1e3, statistics.median(p) * 1e3, statistics.median(r),
                         min(r), max(r)))
            print(f"camera-images: {fmt} {preset}: effad {rows[-1][2]:.1f} ms, Python {rows[-1][3]:.1f} ms", file=sys.stderr)
    ref = {"ailia": "cv2.imdecode, PIL Lanczos, crop", "mahalanobisad": "PIL open, Lanczos, crop (torchvision)",
           "paper": "cv2.imread, cv2.resize"}
    lines = ["", f"### From a 12-megapixel camera file to the network's input ({a.rounds} rounds, ms per image, one thread)", "",
             "| file | preset | effad | Python reference | what Python runs | effad / Python (median, range) |",
             "|---|---|---|---|---|---|"]
    for fmt, preset, te, tp, r, lo, hi in rows:
        lines.append(f"| {fmt} | {preset} | {te:.1f} | {tp:.1f} | {ref[preset]} | {r:.2f} ({lo:.2f}-{hi:.2f}) |")
    if None not in rss.values():
        lines += ["", "effad's peak RSS, `features` of one such file (ailia preset): " +
                  ", ".join(f"{fmt} {mb:.0f} MB" for fmt, mb in rss.items()) + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    report = os.path.join(os.path.dirname(os.path.abspath(a.out)), "report.md")
    if os.path.exists(report):
        with open(report, "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
