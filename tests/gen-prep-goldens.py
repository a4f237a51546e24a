#!/usr/bin/python3
"""Regenerates tests/data/prep/ -- the preprocessing goldens.

Run with Debian's interpreter (Pillow 9.4.0, OpenCV 4.6.0, torchvision 0.14):
    /usr/bin/python3 tests/gen-prep-goldens.py
from the repository root. Deterministic: the same libraries give the same
files byte for byte.

Big inputs are not stored: both this script and tests/unit/prep-fixture.h
synthesise them from (kind, seed, w, h) with the same integer-only recipe,
and the goldens record an FNV-1a 64 checksum of each expected output. A few
small cases are stored in full (raw uint8 / little-endian float32) so a
failure can be inspected, and so the synthesiser itself is pinned.

manifest.txt, one case per line:
  pil    <kind> <seed> <w> <h> <ow> <oh> <filter 0..4> <box x0 y0 x1 y1 | - > <fnv>
  cv     <kind> <seed> <w> <h> <ow> <oh> <fnv>
  rot    <kind> <seed> <w> <h> <angle> <fnv>
  warp   <kind> <seed> <w> <h> <ow> <oh> <m0..m5 as float.hex> <fnv>
  rotm   <cx> <cy> <angle> <scale> <m0..m5 as float.hex>
  preset <name> <kind> <seed> <w> <h> <out_h> <out_w> <resize_short|0> <file.f32 | fnv>
  aug    <kind> <seed> <w> <h> <out_h> <out_w> <resize_short> <angle> <top> <left> <file.f32>
"""
import os, sys
import numpy as np
import cv2
import torch
from PIL import Image
from torchvision import transforms as T

assert Image.__version__ == '9.4.0' and cv2.__version__.startswith('4.6.'), 'use /usr/bin/python3'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'prep')
M32 = 0xFFFFFFFF
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def hash32(seed, x, y, c):
    """Vectorised twin of prep_hash32() in tests/unit/prep-fixture.h."""
    h = (seed * 0x9E3779B1) & M32
    h ^= (x * 0x85EBCA77) & M32
    h ^= (y * 0xC2B2AE3D) & M32
    h ^= (c * 0x27D4EB2F) & M32
    h ^= h >> 15; h = (h * 0x2C1B3C6D) & M32
    h ^= h >> 12; h = (h * 0x297A2D39) & M32
    h ^= h >> 15
    return h


def synth(kind, seed, w, h):
    """kind 'noise': uniform random bytes; 'scene': gradients, a checkerboard
    of 16-pixel tiles, a bright disc and a little noise -- edges and smooth
    areas like a product photo."""
    y, x, c = np.meshgrid(np.arange(h, dtype=np.int64), np.arange(w, dtype=np.int64),
                          np.arange(3, dtype=np.int64), indexing='ij')
    n = hash32(seed, x, y, c)
    if kind == 'noise':
        return (n & 255).astype(np.uint8)
    gx = (x * 255) // max(w - 1, 1)
    gy = (y * 255) // max(h - 1, 1)
    tile = (((x // 16) + (y // 16)) & 1) * 120
    dx, dy = 2 * x - w, 2 * y - h
    disc = ((dx * dx + dy * dy) * 9 < (w * w + h * h)) * 90
    base = np.where(c == 0, gx, np.where(c == 1, gy, tile)) // 2 + disc + (n & 31)
    return np.clip(base, 0, 255).astype(np.uint8)


def fnv(b):
    h = 0xcbf29ce484222325
    for byte in bytes(b):
        h ^= byte
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return '%016x' % h


def fnv_fast(arr):
    """FNV-1a 64 of an array's bytes in C order (prep_fnv64() in C)."""
    return fnv(np.ascontiguousarray(arr).tobytes())


PIL_F = [Image.BOX, Image.BILINEAR, Image.HAMMING, Image.BICUBIC, Image.LANCZOS]


def to_tensor_norm(img_u8):
    t = T.Normalize(MEAN, STD)(T.ToTensor()(Image.fromarray(img_u8)))
    return t.numpy().astype(np.float32)


def write_f32(name, arr):
    arr.astype('<f4').tofile(os.path.join(OUT, name))
    return name


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    lines = []

    # -- pinned small fixture: input + both resizers' outputs in full
    small = synth('scene', 7, 37, 23)
    small.tofile(os.path.join(OUT, 'scene7-37x23.rgb'))
    np.array(Image.fromarray(small).resize((101, 57), Image.LANCZOS)).tofile(
        os.path.join(OUT, 'scene7-37x23-pil-lanczos-101x57.rgb'))
    cv2.resize(small, (101, 57), interpolation=cv2.INTER_LINEAR).tofile(
        os.path.join(OUT, 'scene7-37x23-cv-linear-101x57.rgb'))

    # -- PIL resizes
    pil_cases = [((900, 900), (256, 256)), ((1024, 768), (341, 256)), ((768, 1024), (256, 341)),
                 ((640, 480), (224, 224)), ((37, 23), (101, 57)), ((101, 57), (37, 23)),
                 ((17, 300), (256, 9)), ((64, 64), (64, 31)), ((64, 64), (33, 64)),
                 ((5, 5), (1, 1)), ((1, 1), (7, 3)), ((3, 2), (500, 1))]
    for i, ((w, h), (ow, oh)) in enumerate(pil_cases):
        for kind in ('noise', 'scene'):
            img = synth(kind, i, w, h)
            filters = range(5) if (w * h <= 640 * 480) else (1, 3, 4)
            for f in filters:
                ref = np.array(Image.fromarray(img).resize((ow, oh), PIL_F[f]))
                lines.append('pil %s %d %d %d %d %d %d - %s' % (kind, i, w, h, ow, oh, f, fnv_fast(ref)))
    img = synth('scene', 99, 200, 150)
    for box in [(10.5, 3.25, 190.0, 140.75), (0, 0, 100, 150), (0, 0, 200, 75)]:
        for (ow, oh) in [(64, 48), (200, 75), (200, 150)]:
            ref = np.array(Image.fromarray(img).resize((ow, oh), Image.LANCZOS, box=box))
            lines.append('pil scene 99 200 150 %d %d 4 %s %s' % (
                ow, oh, ' '.join(float(v).hex() for v in box), fnv_fast(ref)))

    # -- OpenCV INTER_LINEAR
    cv_cases = [((900, 900), (256, 256)), ((1024, 768), (341, 256)), ((1024, 768), (224, 224)),
                ((512, 512), (256, 256)), ((200, 100), (100, 50)), ((37, 23), (101, 57)),
                ((101, 57), (37, 23)), ((100, 100), (43, 43)), ((17, 300), (256, 9)),
                ((5, 5), (1, 1)), ((1, 1), (7, 3)), ((3, 2), (500, 1)), ((64, 48), (64, 48)),
                ((10, 10), (11, 13))]
    for i, ((w, h), (ow, oh)) in enumerate(cv_cases):
        for kind in ('noise', 'scene'):
            img = synth(kind, 100 + i, w, h)
            ref = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR)
            lines.append('cv %s %d %d %d %d %d %s' % (kind, 100 + i, w, h, ow, oh, fnv_fast(ref)))

    # -- rotation (the augmentation's warpAffine) and general warps
    for (w, h) in [(256, 256), (341, 256), (256, 341), (37, 23), (2, 7), (1, 1)]:
        for kind in ('noise', 'scene'):
            img = synth(kind, 200 + w, w, h)
            for ang in ([-10, -7, -3, -1, 0, 1, 2, 5, 9, 10] if w > 2 else [-10, 3, 10]):
                M = cv2.getRotationMatrix2D(((w / 2), (h / 2)), ang, 1)
                ref = cv2.warpAffine(src=img, M=M, dsize=(w, h), borderMode=cv2.BORDER_REPLICATE,
                                     flags=cv2.INTER_LINEAR)
                lines.append('rot %s %d %d %d %d %s' % (kind, 200 + w, w, h, ang, fnv_fast(ref)))
    img = synth('scene', 300, 70, 50)
    for ang, sc, cx, cy, tx in [(33.3, 1.0, 20.5, 31.0, 3.3), (90, 0.5, 35, 25, 0), (-135.5, 1.7, 0, 0, -7.75),
                                (7.25, 1.0, 70, 50, 0.5)]:
        M = cv2.getRotationMatrix2D((cx, cy), ang, sc)
        lines.append('rotm %s %s %s %s %s' % (float(cx).hex(), float(cy).hex(), float(ang).hex(),
                                             float(sc).hex(), ' '.join(float(v).hex() for v in M.ravel())))
        M[0, 2] += tx
        ref = cv2.warpAffine(img, M, (64, 45), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        lines.append('warp scene 300 70 50 64 45 %s %s' % (' '.join(float(v).hex() for v in M.ravel()),
                                                          fnv_fast(ref)))

    # -- presets, each against the code it is named after (src/preprocess.h)
    def ref_ailia(img, oh, ow, rs):
        """ailia-models mahalanobisad.py preprocess(): PIL resize to an explicit
        size, crop at (h - crop) // 2, util/image_utils.py normalize_image."""
        h, w = img.shape[:2]
        size = (rs, int(rs * h / w)) if h > w else (int(rs * w / h), rs)
        r = np.array(Image.fromarray(img).resize(size, resample=Image.LANCZOS))
        h, w = r.shape[:2]
        pad_h, pad_w = (h - oh) // 2, (w - ow) // 2
        r = r[pad_h:pad_h + oh, pad_w:pad_w + ow]
        x = r.astype(np.float32) / 255.0
        mean, std = np.array(MEAN), np.array(STD)
        for i in range(3):
            x[:, :, i] = (x[:, :, i] - mean[i]) / std[i]
        return x.transpose(2, 0, 1)

    def ref_mahalanobisad(img, oh, ow, rs):
        """MahalanobisAD-pytorch src/datasets/mvtec.py: torchvision Resize +
        CenterCrop + ToTensor + Normalize."""
        pil = T.Resize(rs, interpolation=T.InterpolationMode.LANCZOS)(Image.fromarray(img))
        return to_tensor_norm(np.array(T.CenterCrop((oh, ow))(pil)))

    def ref_paper(img, oh, ow):
        """gaussian-ad-mvtec: albumentations Resize (cv2 INTER_LINEAR) and
        Normalize: (p - 255 mean) * reciprocal(255 std), all float32."""
        r = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        mean = np.array(MEAN, dtype=np.float32) * 255.0
        den = np.reciprocal(np.array(STD, dtype=np.float32) * 255.0, dtype=np.float32)
        return ((r - mean) * den).transpose(2, 0, 1)

    def ref(name, img, oh, ow, rs):
        if name == 'paper':
            return ref_paper(img, oh, ow)
        return (ref_ailia if name == 'ailia' else ref_mahalanobisad)(img, oh, ow, rs)

    n = 0
    for name, kind, seed, (w, h), (oh, ow), rs in [
            ('mahalanobisad', 'scene', 400, (100, 70), (56, 56), 64),   # long 91: d = 35, round != floor
            ('ailia', 'scene', 400, (100, 70), (56, 56), 64),
            ('mahalanobisad', 'noise', 401, (61, 97), (40, 48), 50),
            ('ailia', 'noise', 401, (61, 97), (40, 48), 50),            # long 79: d = 31 (round 16, floor 15)
            ('paper', 'scene', 402, (97, 61), (40, 48), 0),
            ('paper', 'noise', 403, (30, 20), (64, 64), 0)]:
        img = synth(kind, seed, w, h)
        fname = write_f32('preset%d-%s.f32' % (n, name), ref(name, img, oh, ow, rs)); n += 1
        lines.append('preset %s %s %d %d %d %d %d %d %s' % (name, kind, seed, w, h, oh, ow, rs, fname))
    for name, kind, seed, (w, h), (oh, ow) in [
            ('mahalanobisad', 'scene', 410, (900, 900), (224, 224)),
            ('mahalanobisad', 'scene', 411, (1024, 768), (224, 224)),
            ('mahalanobisad', 'noise', 412, (768, 1024), (224, 224)),
            ('ailia', 'scene', 411, (1024, 768), (224, 224)),
            ('ailia', 'scene', 415, (300, 221), (224, 224)),            # long 347: d = 123, round != floor
            ('mahalanobisad', 'scene', 415, (300, 221), (224, 224)),
            ('paper', 'scene', 413, (900, 900), (224, 224)), ('paper', 'scene', 414, (1024, 768), (256, 256))]:
        img = synth(kind, seed, w, h)
        lines.append('preset %s %s %d %d %d %d %d 0 %s' % (name, kind, seed, w, h, oh, ow,
                                                         fnv_fast(ref(name, img, oh, ow, 256).astype('<f4'))))

    # -- augmentation with fixed draws: mahalanobisad.py preprocess_aug
    for kind, seed, (w, h), (oh, ow), rs, ang, top, left in [
            ('scene', 500, (120, 90), (48, 48), 64, 7, 3, 20),
            ('scene', 501, (90, 120), (40, 40), 50, -10, 20, 2)]:
        img = synth(kind, seed, w, h)
        pil = T.Resize(rs, interpolation=T.InterpolationMode.LANCZOS)(Image.fromarray(img))
        r = np.array(pil)
        H, W = r.shape[:2]
        M = cv2.getRotationMatrix2D(((W / 2), (H / 2)), ang, 1)
        r = cv2.warpAffine(src=r, M=M, dsize=(W, H), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_LINEAR)
        r = np.ascontiguousarray(r[top:top + oh, left:left + ow])
        fname = write_f32('aug%d.f32' % seed, to_tensor_norm(r))
        lines.append('aug %s %d %d %d %d %d %d %d %d %d %s' % (kind, seed, w, h, oh, ow, rs, ang, top, left, fname))

    with open(os.path.join(OUT, 'manifest.txt'), 'w') as f:
        f.write('# generated by tests/gen-prep-goldens.py -- Pillow %s, OpenCV %s, torchvision %s\n' % (
            Image.__version__, cv2.__version__, __import__('torchvision').__version__))
        f.write('\n'.join(lines) + '\n')
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print('%d cases, %d bytes in %s' % (len(lines), total, OUT))


if __name__ == '__main__':
    main()
