#!/usr/bin/python3
"""Synthetic MVTec-layout image set for the end-to-end reference checks.

    /usr/bin/python3 tests/reference/make-images.py OUT [--seed 7]

writes (OUT is emptied of these sub-directories first)

    OUT/train/good/NNN.png                  36 good images
    OUT/test/good/NNN.png                   10 good images
    OUT/test/{spot,scratch,missing}/NNN.png 8 + 8 + 6 defective images
    OUT/ground_truth/<defect>/NNN_mask.png  8-bit 0/255 masks, image-sized

68 images, ~1.4 MB.  Only for numerical comparison of effad with the Python
reference pipelines (tests/reference/ailia_ref.py, paper_ref.py); not a
demo.  Everything is drawn from numpy RandomState(seed) and written with
PIL/OpenCV's default settings, so a re-run reproduces the files.

Images: a smooth noise field (random 6x6..10x10 grid, bicubic upsampling)
plus sinusoidal stripes (8-bit values quantised to 64 levels to keep the
PNGs small), per-image slightly different angle, frequency,
phase and colour.  Sizes 120..300 px, mostly non-square, both
orientations.  Pixel formats are mixed within train and test (cycled
per image):

    rgb     8-bit RGB
    grey    8-bit grey (PNG colour type 0)
    rgba    8-bit RGBA, alpha a random gradient (both pipelines drop alpha)
    pal     8-bit palette (PNG colour type 3, PIL quantize, 64 colours)
    la      8-bit grey + alpha
    rgb16   16-bit RGB (OpenCV writer), value*257 + {0,60,120,180} so the low
            byte matters for rounding; both pipelines take the high byte
    grey16  16-bit grey -- the two pipelines DIVERGE on it: PIL's
            convert('RGB') clips the 16-bit value to 0..255 (nearly white),
            cv2.imread(IMREAD_COLOR) takes the high byte (value >> 8).

Orientation: six good images (train/good 001, 007, 013, 025, 031 -- every
sixth but the 16-bit one, which OpenCV writes -- and test/good 004) state
an EXIF orientation (2, 3, 4, 6, 7, 8) in a PNG eXIf chunk. PIL's Image.open
ignores it, cv2.imread turns the image by it; effad's presets follow their
own reader (src/image.h, image_orient_rule), which prep_check and the
end-to-end compares hold them to. Defective images state none, so that
their masks keep to the stored pixels.

Defects (label 1): spot (dark or bright filled disc/ellipse), scratch (1-3
thin straight or slightly bent dark/bright lines), missing (a rectangle
replaced by flat grey/black).  Masks mark the changed pixels.
"""
import argparse
import os
import shutil

import cv2
import numpy as np
from PIL import Image

FORMATS_TRAIN = ["rgb", "grey", "rgba", "rgb", "pal", "rgb", "grey", "rgba", "la", "rgb16"]
FORMATS_TEST = ["rgb", "grey", "rgba", "pal", "rgb", "grey16", "rgba", "la", "rgb", "rgb16"]
SIZES = [(160, 120), (120, 160), (200, 150), (150, 200), (128, 128), (240, 160),
         (132, 176), (300, 124), (144, 176), (210, 130), (176, 176), (124, 200),
         (150, 110), (110, 150)]
# ailia crops at (h - H) // 2, mahalanobisad at int(round((h - H) / 2.0)):
# they differ when (h - H) % 4 == 3 -- 150 x 110 at 64 x 64 (resized to
# 99 x 73) and 300 x 124 at 224 x 224 (619 x 256) -- checked by prep_check.py
SIZES16 = [(160, 120), (120, 150)]     # 16-bit files are big: keep them small
N_TRAIN, N_GOOD = 36, 10
DEFECTS = [("spot", 8), ("scratch", 8), ("missing", 6)]


def texture(rng, w, h):
    """float RGB image in 0..255, shape h x w x 3."""
    g = rng.randint(6, 11)
    field = rng.rand(g, g, 3).astype(np.float32)
    field = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = np.deg2rad(30 + rng.uniform(-8, 8))
    freq = 2 * np.pi / rng.uniform(14, 20)
    stripes = np.sin((xx * np.cos(ang) + yy * np.sin(ang)) * freq + rng.uniform(0, 2 * np.pi))
    base = np.array([150, 120, 90], np.float32) + rng.uniform(-12, 12, 3).astype(np.float32)
    img = base + 60 * (field - 0.5) + 22 * stripes[..., None] * np.array([1.0, 0.9, 0.8], np.float32)
    return np.clip(img, 0, 255)


def add_defect(rng, img, kind):
    """Modify img (float h x w x 3) in place, return the uint8 0/255 mask."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    if kind == "spot":
        for _ in range(rng.randint(1, 3)):
            c = (int(rng.randint(w // 5, 4 * w // 5)), int(rng.randint(h // 5, 4 * h // 5)))
            ax = (int(rng.randint(5, 16)), int(rng.randint(5, 16)))
            cv2.ellipse(mask, c, ax, float(rng.uniform(0, 180)), 0, 360, 255, -1)
        val = 25.0 if rng.rand() < 0.5 else 235.0
        img[mask > 0] = val + rng.uniform(-10, 10, 3)
    elif kind == "scratch":
        val = 30.0 if rng.rand() < 0.5 else 230.0
        for _ in range(rng.randint(1, 4)):
            p0 = np.array([rng.randint(0, w), rng.randint(0, h)])
            p1 = np.array([rng.randint(0, w), rng.randint(0, h)])
            mid = (p0 + p1) // 2 + rng.randint(-10, 11, 2)
            pts = np.array([p0, mid, p1], np.int32).reshape(-1, 1, 2)
            cv2.polylines(mask, [pts], False, 255, int(rng.randint(1, 4)))
        img[mask > 0] = val
    elif kind == "missing":
        rw, rh = int(rng.randint(w // 6, w // 3)), int(rng.randint(h // 6, h // 3))
        x0, y0 = int(rng.randint(0, w - rw)), int(rng.randint(0, h - rh))
        mask[y0:y0 + rh, x0:x0 + rw] = 255
        img[mask > 0] = 0.0 if rng.rand() < 0.5 else 128.0
    return mask


def exif_orientation(o):
    """An EXIF block stating orientation o (PIL's PNG writer stores it in an
    eXIf chunk without its "Exif\\0\\0", as the chunk must be)."""
    ex = Image.Exif()
    ex[0x0112] = o
    return ex.tobytes()


def save(rng, img, fmt, path, orient=1):
    extra = {"exif": exif_orientation(orient)} if orient != 1 else {}
    img = 4.0 * np.floor(img / 4.0) + 1.5      # 64 levels per channel: ~2x smaller PNGs
    u8 = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    grey = np.clip(np.rint(img @ np.array([0.299, 0.587, 0.114], np.float32)), 0, 255).astype(np.uint8)
    h, w = u8.shape[:2]
    if fmt == "rgb":
        Image.fromarray(u8, "RGB").save(path, **extra)
    elif fmt == "grey":
        Image.fromarray(grey, "L").save(path, **extra)
    elif fmt in ("rgba", "la"):
        yy, xx = np.mgrid[0:h, 0:w]
        a = np.clip(255 - (xx + yy) * rng.uniform(0.2, 0.6), 40, 255).astype(np.uint8)
        if fmt == "rgba":
            Image.fromarray(np.dstack([u8, a]), "RGBA").save(path, **extra)
        else:
            Image.fromarray(np.dstack([grey, a]), "LA").save(path, **extra)
    elif fmt == "pal":
        Image.fromarray(u8, "RGB").quantize(64, dither=Image.Dither.NONE).save(path, **extra)
    elif fmt == "rgb16":
        v = np.clip(np.rint(img * 257.0 + rng.randint(0, 4, img.shape) * 60), 0, 65535).astype(np.uint16)
        cv2.imwrite(path, v[..., ::-1])            # OpenCV writes BGR order
    elif fmt == "grey16":
        g = grey.astype(np.float64) * 257.0 + rng.randint(0, 4, grey.shape) * 60
        cv2.imwrite(path, np.clip(np.rint(g), 0, 65535).astype(np.uint16))
    else:
        raise ValueError(fmt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for sub in ("train", "test", "ground_truth"):
        shutil.rmtree(os.path.join(args.out, sub), ignore_errors=True)
    rng = np.random.RandomState(args.seed)
    jobs = [("train", "good", i, FORMATS_TRAIN[i % len(FORMATS_TRAIN)]) for i in range(N_TRAIN)]
    jobs += [("test", "good", i, FORMATS_TEST[i % len(FORMATS_TEST)]) for i in range(N_GOOD)]
    k = 3
    for kind, n in DEFECTS:
        for i in range(n):
            jobs.append(("test", kind, i, FORMATS_TEST[k % len(FORMATS_TEST)]))
            k += 1
    counts = {}
    for split, kind, i, fmt in jobs:
        sizes = SIZES16 if fmt.endswith("16") else SIZES
        w, h = sizes[rng.randint(len(sizes))]
        img = texture(rng, w, h)
        d = os.path.join(args.out, split, kind)
        os.makedirs(d, exist_ok=True)
        name = "%03d" % i
        if kind != "good":
            mask = add_defect(rng, img, kind)
            md = os.path.join(args.out, "ground_truth", kind)
            os.makedirs(md, exist_ok=True)
            Image.fromarray(mask, "L").save(os.path.join(md, name + "_mask.png"))
        oriented = kind == "good" and not fmt.endswith("16") and \
            ((split == "train" and i % 6 == 1) or (split == "test" and i == 4))
        orient = 2 + (i // 6) % 7 if split == "train" else 8
        save(rng, img, fmt, os.path.join(d, name + ".png"), orient if oriented else 1)
        counts[fmt] = counts.get(fmt, 0) + 1
    total = 0
    for root, _, files in os.walk(args.out):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("make-images: %d images (%s) -> %s, %.0f KB" % (
        len(jobs), ", ".join("%s %d" % kv for kv in sorted(counts.items())), args.out, total / 1024))


if __name__ == "__main__":
    main()
