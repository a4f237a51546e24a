#!/usr/bin/python3
"""Writes the image-codec test fixtures into tests/data/images/.

Run with Debian's interpreter (it has PIL 9.4, numpy, cv2), with cjpeg
on the path (apt-get install libjpeg-turbo-progs):
    /usr/bin/python3 tests/gen-image-fixtures.py
Re-runnable: the images come from a seeded generator, so the output is the
same every time (PIL/cv2 versions permitting).

For every fixture it writes the file, `<name>.rgb8` -- what PIL's
Image.open(p).convert('RGB') gives, the reference for image_to_rgb8() --
and, for lossless formats, `<name>.samples` -- the exact samples image_decode()
must produce (16-bit ones big-endian). `manifest.txt` lists them:

    file  w h channels bit_depth  samples|-  max_abs_diff mean_abs_diff

(the diffs are the tolerance on the RGB comparison; 0 0 means exact).

PNGs are written by the small encoder below, not PIL, so that every colour
type x bit depth, Adam7, all five filters, split IDATs and stored/fixed/
dynamic deflate blocks are covered; PIL then decodes each one, which both
gives the reference and checks the encoder here.
"""
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image
import cv2

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "images")
rng = np.random.default_rng(20240607)
manifest = []


def test_pattern(w, h, maxv, channels):
    """Smooth gradients plus noise plus a hard edge: every filter and
    predictor gets something to do, and the values reach 0 and maxv."""
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for c in range(channels):
        base = (x * (c + 1) / max(w - 1, 1) + y / max(h - 1, 1)) / (c + 2)
        base = base + 0.15 * rng.random((h, w))
        base[(x + 2 * y + c) % 7 == 0] = 1.0
        base[: h // 3, : w // 4] = 0.0 if c % 2 else 1.0
        planes.append(np.clip(np.rint(base * maxv), 0, maxv))
    a = np.stack(planes, axis=-1).astype(np.uint32)
    return a


def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def pack_row(vals, depth):
    """vals: 1-D array of samples of one row -> bytes."""
    if depth == 16:
        return vals.astype(">u2").tobytes()
    if depth == 8:
        return vals.astype(np.uint8).tobytes()
    per = 8 // depth
    out = bytearray((len(vals) + per - 1) // per)
    for i, v in enumerate(vals):
        out[i // per] |= int(v) << (8 - depth - (i % per) * depth)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(row, prev, bpp, ft):
    out = bytearray(len(row))
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i - bpp] if (prev is not None and i >= bpp) else 0
        pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][ft]
        out[i] = (row[i] - pred) & 255
    return bytes([ft]) + bytes(out)


def write_png(path, arr, ctype, depth, interlace=0, palette=None, trns=None, deflate="dynamic", idat_split=3):
    """arr: h x w x samples array of the file's samples (indices for ctype 3)."""
    h, w, s = arr.shape
    bpp = max(1, s * depth // 8)
    raw = bytearray()
    ft = 0
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = arr[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = None
        for r in range(sub.shape[0]):
            row = pack_row(sub[r].reshape(-1), depth)
            raw += filter_row(row, prev, bpp, ft % 5)   # cycle through all five filters
            ft += 1
            prev = row
    if deflate == "stored":
        z = zlib.compress(bytes(raw), 0)
    elif deflate == "fixed":
        co = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_FIXED)
        z = co.compress(bytes(raw)) + co.flush()
    else:
        z = zlib.compress(bytes(raw), 9)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
    png += chunk(b"tEXt", b"Comment\x00effad test fixture")
    if palette is not None:
        png += chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    cuts = sorted(set([0, len(z)] + [int(c) for c in rng.integers(1, len(z), idat_split - 1)]))
    for a, b in zip(cuts, cuts[1:]):
        png += chunk(b"IDAT", z[a:b])
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def samples_bytes(arr, depth):
    return arr.astype(">u2" if depth == 16 else np.uint8).tobytes()


def record(name, w, h, ch, depth, samples=None, tol=(0, 0)):
    path = os.path.join(OUT, name)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    assert rgb.shape == (h, w, 3), (name, rgb.shape)
    with open(path + ".rgb8", "wb") as f:
        f.write(rgb.tobytes())
    sname = "-"
    if samples is not None:
        sname = name + ".samples"
        with open(os.path.join(OUT, sname), "wb") as f:
            f.write(samples)
    manifest.append(f"{name} {w} {h} {ch} {depth} {sname} {tol[0]} {tol[1]}")
    return rgb


def gen_png():
    W, H = 19, 13
    combos = [(0, d) for d in (1, 2, 4, 8, 16)] + [(2, 8), (2, 16)] + [(3, d) for d in (1, 2, 4, 8)] + \
             [(4, 8), (4, 16), (6, 8), (6, 16)]
    for ctype, depth in combos:
        for interlace in (0, 1):
            name = f"png-c{ctype}-d{depth}{'-i' if interlace else ''}.png"
            if ctype == 3:
                n = 1 << depth
                pal = rng.integers(0, 256, (n, 3))
                idx = test_pattern(W, H, n - 1, 1)
                write_png(os.path.join(OUT, name), idx, 3, depth, interlace, palette=pal)
                exp = pal[idx[..., 0]]
                record(name, W, H, 3, 8, samples_bytes(exp, 8))
                continue
            s = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
            arr = test_pattern(W, H, (1 << depth) - 1, s)
            write_png(os.path.join(OUT, name), arr, ctype, depth, interlace)
            if ctype == 0 and depth < 8:
                exp, ed = arr * 255 // ((1 << depth) - 1), 8
            else:
                exp, ed = arr, depth
            pil = np.asarray(Image.open(os.path.join(OUT, name)))
            if depth >= 8:   # PIL keeps these samples (16-bit only for grey): check our encoder
                ref = arr if depth == 8 or ctype == 0 else arr >> 8
                if ctype == 4 and depth == 16:   # PIL 9.4 opens 16-bit LA as RGBA
                    ref = ref[..., [0, 0, 0, 1]]
                assert (pil.reshape(ref.shape) == ref).all(), name
            record(name, W, H, s, ed, samples_bytes(exp, ed))

    # palette with transparency -> RGBA samples, RGB conversion drops alpha
    pal = rng.integers(0, 256, (16, 3))
    idx = test_pattern(W, H, 15, 1)
    trns = bytes(rng.integers(0, 256, 10).astype(np.uint8))
    write_png(os.path.join(OUT, "png-c3-trns.png"), idx, 3, 4, 0, palette=pal, trns=trns)
    alpha = np.array(list(trns) + [255] * 6)
    exp = np.concatenate([pal[idx[..., 0]], alpha[idx[..., 0]][..., None]], axis=-1)
    record("png-c3-trns.png", W, H, 4, 8, samples_bytes(exp, 8))
    # grey colour key: ignored
    arr = test_pattern(W, H, 255, 1)
    write_png(os.path.join(OUT, "png-c0-trns.png"), arr, 0, 8, 0, trns=b"\x00\x10")
    record("png-c0-trns.png", W, H, 1, 8, samples_bytes(arr, 8))
    # the three kinds of deflate block, and many IDATs
    arr = test_pattern(W, H, 255, 3)
    for kind in ("stored", "fixed"):
        write_png(os.path.join(OUT, f"png-{kind}.png"), arr, 2, 8, 0, deflate=kind, idat_split=7)
        record(f"png-{kind}.png", W, H, 3, 8, samples_bytes(arr, 8))
    # tiny interlaced images leave Adam7 passes empty
    for w, h in ((1, 1), (3, 2), (9, 1)):
        arr = test_pattern(w, h, 255, 3)
        write_png(os.path.join(OUT, f"png-tiny-{w}x{h}-i.png"), arr, 2, 8, 1, idat_split=1)
        record(f"png-tiny-{w}x{h}-i.png", w, h, 3, 8, samples_bytes(arr, 8))
    # written by PIL (libz, its own filter choices) and by cv2 (libpng)
    arr = test_pattern(40, 30, 255, 3).astype(np.uint8)
    Image.fromarray(arr).save(os.path.join(OUT, "png-pil.png"), optimize=True)
    record("png-pil.png", 40, 30, 3, 8, samples_bytes(arr, 8))
    arr16 = test_pattern(23, 17, 65535, 1)[..., 0].astype(np.uint16)
    cv2.imwrite(os.path.join(OUT, "png-cv2-g16.png"), arr16)
    record("png-cv2-g16.png", 23, 17, 1, 16, samples_bytes(arr16, 16))


def gen_pnm():
    W, H = 17, 11
    def put(name, header, payload, ch, depth, exp):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(header + payload)
        record(name, W, H, ch, depth, samples_bytes(exp, depth))
    g = test_pattern(W, H, 255, 1)[..., 0]
    c = test_pattern(W, H, 255, 3)
    put("pgm-p5.pgm", b"P5\n# a comment\n17 11\n255\n", g.astype(np.uint8).tobytes(), 1, 8, g)
    put("ppm-p6.ppm", b"P6 17\t11 # trailing\n255\r", c.astype(np.uint8).tobytes(), 3, 8, c)
    g16 = test_pattern(W, H, 65535, 1)[..., 0]
    put("pgm-p5-16.pgm", b"P5 17 11 65535\n", g16.astype(">u2").tobytes(), 1, 16, g16)
    # odd maxvals: PIL rescales with round-half-even
    g1000 = test_pattern(W, H, 1000, 1)[..., 0]
    e1000 = np.array([round(v / 1000 * 65535) for v in g1000.reshape(-1)]).reshape(g1000.shape)
    put("pgm-p5-1000.pgm", b"P5 17 11 1000\n", g1000.astype(">u2").tobytes(), 1, 16, e1000)
    c100 = test_pattern(W, H, 100, 3)
    e100 = np.array([round(v / 100 * 255) for v in c100.reshape(-1)]).reshape(c100.shape)
    put("ppm-p6-100.ppm", b"P6 17 11 100\n", c100.astype(np.uint8).tobytes(), 3, 8, e100)
    c16 = test_pattern(W, H, 65535, 3)
    e16 = np.array([round(v / 65535 * 255) for v in c16.reshape(-1)]).reshape(c16.shape)
    put("ppm-p6-16.ppm", b"P6 17 11 65535\n", c16.astype(">u2").tobytes(), 3, 8, e16)
    put("pgm-p2.pgm", b"P2\n# ascii\n17 11\n255\n", " ".join(str(v) for v in g.reshape(-1)).encode() + b"\n", 1, 8, g)
    c7 = test_pattern(W, H, 7, 3)
    e7 = np.array([round(v / 7 * 255) for v in c7.reshape(-1)]).reshape(c7.shape)
    put("ppm-p3-7.ppm", b"P3 17 11 7\n", "\n".join(str(v) for v in c7.reshape(-1)).encode(), 3, 8, e7)
    bits = (test_pattern(W, H, 1, 1)[..., 0] > 0).astype(np.uint8)
    put("pbm-p1.pbm", b"P1\n17 11\n", "".join(str(v) for v in bits.reshape(-1)).encode(), 1, 8, (1 - bits) * 255)
    put("pbm-p4.pbm", b"P4\n17 11\n", np.packbits(bits, axis=1).tobytes(), 1, 8, (1 - bits) * 255)


def bmp_file(w, h, bpp, rows, header=40, comp=0, masks=None, palette=None, top_down=False):
    stride = (w * bpp + 31) // 32 * 4
    body = b"".join(r.ljust(stride, b"\x00") for r in (rows if top_down else rows[::-1]))
    pal = b"".join(bytes([b, g, r, 0]) for r, g, b in palette) if palette is not None else b""
    info = struct.pack("<IiiHHIIiiII", header, w, -h if top_down else h, 1, bpp, comp, len(body), 2835, 2835,
                       0 if palette is None else len(palette), 0)
    if header > 40:
        info += struct.pack("<4I", *masks) + b"\x00" * (header - 56)
    elif masks is not None:
        info += struct.pack("<3I", *masks[:3])
    off = 14 + len(info) + len(pal)
    return b"BM" + struct.pack("<IHHI", off + len(body), 0, 0, off) + info + pal + body


def gen_bmp():
    W, H = 13, 7   # odd width: 24-bit rows need padding
    c = test_pattern(W, H, 255, 4).astype(np.uint8)
    def put(name, data, ch, exp):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        record(name, W, H, ch, 8, samples_bytes(exp, 8))
    rows24 = [bytes(c[y, :, 2::-1].reshape(-1)) for y in range(H)]
    put("bmp-24.bmp", bmp_file(W, H, 24, rows24), 3, c[..., :3])
    put("bmp-24-topdown.bmp", bmp_file(W, H, 24, rows24, top_down=True), 3, c[..., :3])
    bgra = c[..., [2, 1, 0, 3]]
    rows32 = [bytes(bgra[y].reshape(-1)) for y in range(H)]
    put("bmp-32.bmp", bmp_file(W, H, 32, rows32), 3, c[..., :3])
    put("bmp-32-bitfields.bmp", bmp_file(W, H, 32, rows32, header=108, comp=3,
                                         masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000)), 4, c)
    pal = rng.integers(0, 256, (256, 3))
    idx = test_pattern(W, H, 255, 1)[..., 0]
    put("bmp-8-palette.bmp", bmp_file(W, H, 8, [bytes(idx[y].astype(np.uint8)) for y in range(H)], palette=pal),
        3, pal[idx])
    grey = [(i, i, i) for i in range(256)]
    put("bmp-8-grey.bmp", bmp_file(W, H, 8, [bytes(idx[y].astype(np.uint8)) for y in range(H)], palette=grey),
        1, idx)
    # and one written by PIL itself
    Image.fromarray(c[..., :3]).save(os.path.join(OUT, "bmp-pil.bmp"))
    record("bmp-pil.bmp", W, H, 3, 8, samples_bytes(c[..., :3], 8))


def gen_jpeg():
    W, H = 45, 29   # not a multiple of the MCU in either direction
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([128 + 100 * np.sin(x / 5.0 + y / 9.0), 128 + 90 * np.cos(y / 4.0) * np.sin(x / 11.0),
                    (x * 5 + y * 3) % 256], axis=-1)
    img[10:20, 15:30] = (250, 20, 40)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    # exact: effad's decoder is libjpeg's integer arithmetic (islow IDCT,
    # fancy upsampling, table colour conversion), and the fixtures freeze
    # what PIL (libjpeg-turbo) decoded when they were made
    tol = (0, 0)
    pil = Image.fromarray(img)
    for ss, tag in ((0, "444"), (1, "422"), (2, "420")):
        pil.save(os.path.join(OUT, f"jpeg-{tag}.jpg"), quality=88, subsampling=ss)
        record(f"jpeg-{tag}.jpg", W, H, 3, 8, None, tol)
    pil.convert("L").save(os.path.join(OUT, "jpeg-grey.jpg"), quality=90)
    record("jpeg-grey.jpg", W, H, 1, 8, None, tol)
    # restart intervals (cv2 writes 4:2:0); BGR order for cv2
    cv2.imwrite(os.path.join(OUT, "jpeg-420-rst.jpg"), img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80,
                                                                        cv2.IMWRITE_JPEG_RST_INTERVAL, 2])
    record("jpeg-420-rst.jpg", W, H, 3, 8, None, tol)
    cv2.imwrite(os.path.join(OUT, "jpeg-grey-rst.jpg"), np.asarray(pil.convert("L")),
                [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_RST_INTERVAL, 1])
    record("jpeg-grey-rst.jpg", W, H, 1, 8, None, tol)
    # optimized Huffman tables, an EXIF segment, a 1-pixel-wide chroma edge case
    pil.save(os.path.join(OUT, "jpeg-422-opt-exif.jpg"), quality=75, subsampling=1, optimize=True,
             exif=b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00")
    record("jpeg-422-opt-exif.jpg", W, H, 3, 8, None, tol)
    Image.fromarray(img[:, :3]).save(os.path.join(OUT, "jpeg-420-narrow.jpg"), quality=90, subsampling=2)
    record("jpeg-420-narrow.jpg", 3, H, 3, 8, None, tol)
    # an even width (the upsampler's last output pair whole) at quality 100
    # (few zero coefficients) and 10 (most columns and rows of a block zero:
    # the IDCT's short way)
    even = np.ascontiguousarray(np.concatenate([img, img[:, :1]], axis=1))
    for ss, tag, q in ((2, "420", 100), (1, "422", 10)):
        Image.fromarray(even).save(os.path.join(OUT, f"jpeg-{tag}-even-q{q}.jpg"), quality=q, subsampling=ss)
        record(f"jpeg-{tag}-even-q{q}.jpg", W + 1, H, 3, 8, None, tol)
    # progressive: libjpeg's standard script has every scan kind -- DC
    # first (interleaved) and refinement, AC first with spectral selection
    # and successive approximation, AC refinement; at several subsamplings,
    # qualities and sizes, grey, and a 3-pixel-wide 4:2:0 edge case
    for ss, tag, q in ((2, "420", 75), (1, "422", 30), (0, "444", 95)):
        pil.save(os.path.join(OUT, f"jpeg-prog-{tag}.jpg"), quality=q, subsampling=ss, progressive=True)
        record(f"jpeg-prog-{tag}.jpg", W, H, 3, 8, None, tol)
    pil.convert("L").save(os.path.join(OUT, "jpeg-prog-grey.jpg"), quality=85, progressive=True)
    record("jpeg-prog-grey.jpg", W, H, 1, 8, None, tol)
    Image.fromarray(img[:, :3]).save(os.path.join(OUT, "jpeg-prog-420-narrow.jpg"), quality=90, subsampling=2,
                                     progressive=True)
    record("jpeg-prog-420-narrow.jpg", 3, H, 3, 8, None, tol)
    # progressive with restart markers in every scan (PIL 9.4 has no restart
    # option; OpenCV's writer is libjpeg-turbo too): interval 1 MCU, and a
    # grey one with an interval that does not divide the row
    cv2.imwrite(os.path.join(OUT, "jpeg-prog-420-rst.jpg"), img[..., ::-1],
                [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 1])
    record("jpeg-prog-420-rst.jpg", W, H, 3, 8, None, tol)
    cv2.imwrite(os.path.join(OUT, "jpeg-prog-grey-rst.jpg"), np.asarray(pil.convert("L")),
                [cv2.IMWRITE_JPEG_QUALITY, 60, cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 4])
    record("jpeg-prog-grey-rst.jpg", W, H, 1, 8, None, tol)
    # refused: four components (CMYK)
    pil.convert("CMYK").save(os.path.join(OUT, "jpeg-cmyk.jpg"), quality=50)
    gen_jpeg_cjpeg()


def gen_jpeg_cjpeg():
    """What PIL and OpenCV cannot write, by libjpeg-turbo's own cjpeg
    (Debian libjpeg-turbo-progs): 4:1:1, 4:4:0 and 2x4 chroma, a
    sequential file with each component in a scan of its own, and tall
    progressive ones. Tall enough
    (131 rows, 5-17 MCU rows) that a decoder keeping a few MCU rows at a
    time must reuse them several times over."""
    import subprocess
    import tempfile
    W, H = 45, 131
    r = np.random.default_rng(7)
    y, x = np.mgrid[0:H, 0:W]
    img = np.stack([128 + 100 * np.sin(x / 5.0 + y / 9.0), 128 + 90 * np.cos(y / 4.0) * np.sin(x / 11.0),
                    (x * 5 + y * 3) % 256], axis=-1)
    img[40:70, 15:30] = (250, 20, 40)
    img = np.clip(img + r.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        ppm, pgm, scans = (os.path.join(tmp, n) for n in ("in.ppm", "in.pgm", "scans.txt"))
        Image.fromarray(img).save(ppm)
        Image.fromarray(img).convert("L").save(pgm)
        with open(scans, "w") as f:
            f.write("0;\n1;\n2;\n")   # one sequential scan per component
        for tag, src, args in (("420-tall-rst", ppm, ["-sample", "2x2", "-restart", "3B"]),
                               ("411", ppm, ["-sample", "4x1"]),
                               ("440", ppm, ["-sample", "1x2"]),
                               ("2x4", ppm, ["-sample", "2x4", "-restart", "1"]),
                               ("420-scans", ppm, ["-sample", "2x2", "-scans", scans]),
                               ("grey-tall", pgm, []),
                               ("prog-420-tall", ppm, ["-sample", "2x2", "-progressive"]),
                               ("prog-411-rst", ppm, ["-sample", "4x1", "-progressive", "-restart", "2B"]),
                               ("prog-grey-tall", pgm, ["-progressive"])):
            name = f"jpeg-cj-{tag}.jpg"
            subprocess.run(["cjpeg", "-quality", "85", *args, "-outfile", os.path.join(OUT, name), src], check=True)
            record(name, W, H, 1 if src == pgm else 3, 8, None, (0, 0))


# ---------------------------------------------------------------- TIFF

class LibTiff:
    """The few libtiff calls needed for what PIL 9.4 cannot write (tiles,
    Predictor 2, planar data, big-endian 8-bit and 16-bit RGB): the same
    library PIL reads them with, through ctypes."""
    def __init__(self):
        import ctypes
        self.c = ctypes
        self.lib = ctypes.CDLL("libtiff.so.6")
        self.lib.TIFFOpen.restype = ctypes.c_void_p
        self.lib.TIFFOpen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self.lib.TIFFClose.argtypes = [ctypes.c_void_p]
        for f in ("TIFFWriteEncodedStrip", "TIFFWriteEncodedTile"):
            getattr(self.lib, f).argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
            getattr(self.lib, f).restype = ctypes.c_ssize_t

    def write(self, path, arr, big_endian, compression, predictor=1, tile=None, rows_per_strip=None, planar=1,
              photometric=None):
        """arr: h x w x samples, uint8 or uint16."""
        c, lib = self.c, self.lib
        h, w, spp = arr.shape
        bits = 16 if arr.dtype == np.uint16 else 8
        t = lib.TIFFOpen(path.encode(), b"wb" if big_endian else b"wl")
        assert t

        def tag(k, v):
            assert lib.TIFFSetField(c.c_void_p(t), c.c_uint32(k), c.c_uint32(v)) == 1, k
        photo = photometric if photometric is not None else (2 if spp >= 3 else 1)
        for k, v in ((256, w), (257, h), (258, bits), (277, spp), (262, photo), (284, planar), (259, compression)):
            tag(k, v)
        if predictor != 1:
            tag(317, predictor)
        if spp in (2, 4):   # ExtraSamples: one unassociated alpha
            extra = (c.c_uint16 * 1)(2)
            assert lib.TIFFSetField(c.c_void_p(t), c.c_uint32(338), c.c_uint32(1), extra) == 1
        file_dtype = "=u2" if bits == 16 else "u1"   # libtiff takes native samples and swaps them itself
        planes = [arr[..., s:s + 1] for s in range(spp)] if planar == 2 else [arr]
        if tile:
            tw, th = tile
            tag(322, tw)
            tag(323, th)
            k = 0
            for plane in planes:
                for ty in range(0, h, th):
                    for tx in range(0, w, tw):
                        block = np.zeros((th, tw, plane.shape[2]), arr.dtype)
                        part = plane[ty:ty + th, tx:tx + tw]
                        block[:part.shape[0], :part.shape[1]] = part
                        b = block.astype(file_dtype).tobytes()
                        assert lib.TIFFWriteEncodedTile(c.c_void_p(t), k, b, len(b)) >= 0
                        k += 1
        else:
            rps = rows_per_strip or h
            tag(278, rps)
            k = 0
            for plane in planes:
                for y in range(0, h, rps):
                    b = plane[y:y + rps].astype(file_dtype).tobytes()
                    assert lib.TIFFWriteEncodedStrip(c.c_void_p(t), k, b, len(b)) >= 0
                    k += 1
        lib.TIFFClose(c.c_void_p(t))


def gen_tiff():
    W, H = 23, 17   # two 16 x 16 tiles across and down, both partly outside
    rgb = test_pattern(W, H, 255, 3).astype(np.uint8)
    rgba = test_pattern(W, H, 255, 4).astype(np.uint8)
    grey = test_pattern(W, H, 255, 1).astype(np.uint8)
    g16 = test_pattern(W, H, 65535, 1).astype(np.uint16)
    rgb16 = test_pattern(W, H, 65535, 3).astype(np.uint16)

    def put(name, arr, ch, depth, writer):
        writer(os.path.join(OUT, name))
        record(name, W, H, ch, depth, samples_bytes(arr, depth))

    # written by PIL 9.4 (libtiff behind it for the compressed ones)
    for comp, tag in ((None, "none"), ("packbits", "packbits"), ("tiff_lzw", "lzw"),
                      ("tiff_adobe_deflate", "deflate")):
        put(f"tiff-rgb8-{tag}.tif", rgb, 3, 8, lambda p, c=comp: Image.fromarray(rgb).save(p, compression=c))
    put("tiff-grey8-lzw-strips.tif", grey, 1, 8,
        lambda p: Image.fromarray(grey[..., 0]).save(p, compression="tiff_lzw", strip_size=64))
    put("tiff-rgba8-packbits.tif", rgba, 4, 8,
        lambda p: Image.fromarray(rgba, "RGBA").save(p, compression="packbits"))
    put("tiff-la8-none.tif", rgba[..., [0, 3]], 2, 8,
        lambda p: Image.fromarray(rgba[..., [0, 3]], "LA").save(p))
    put("tiff-grey16-none.tif", g16, 1, 16, lambda p: Image.fromarray(g16[..., 0]).save(p))
    put("tiff-grey16-deflate.tif", g16, 1, 16,
        lambda p: Image.fromarray(g16[..., 0]).save(p, compression="tiff_adobe_deflate"))
    put("tiff-grey16-be-none.tif", g16, 1, 16,
        lambda p: Image.frombytes("I;16B", (W, H), g16[..., 0].astype(">u2").tobytes()).save(p))
    # two pages: the first is the image
    second = Image.fromarray(255 - rgb)
    put("tiff-rgb8-2pages.tif", rgb, 3, 8,
        lambda p: Image.fromarray(rgb).save(p, compression="tiff_lzw", save_all=True, append_images=[second]))

    # written by libtiff itself
    lt = LibTiff()
    put("tiff-rgb8-tiles-lzw-pred-be.tif", rgb, 3, 8,
        lambda p: lt.write(p, rgb, True, 5, predictor=2, tile=(16, 16)))
    put("tiff-rgb8-tiles-none.tif", rgb, 3, 8, lambda p: lt.write(p, rgb, False, 1, tile=(16, 16)))
    put("tiff-grey16-tiles-deflate-pred.tif", g16, 1, 16,
        lambda p: lt.write(p, g16, False, 8, predictor=2, tile=(16, 16)))
    put("tiff-rgb16-lzw-pred-be.tif", rgb16, 3, 16,
        lambda p: lt.write(p, rgb16, True, 5, predictor=2, rows_per_strip=5))
    put("tiff-rgb16-packbits.tif", rgb16, 3, 16, lambda p: lt.write(p, rgb16, False, 32773, rows_per_strip=4))
    put("tiff-rgb8-planar-deflate32946.tif", rgb, 3, 8,
        lambda p: lt.write(p, rgb, False, 32946, predictor=2, planar=2, rows_per_strip=6))
    put("tiff-rgba8-planar-tiles-packbits-be.tif", rgba, 4, 8,
        lambda p: lt.write(p, rgba, True, 32773, planar=2, tile=(16, 16)))
    put("tiff-grey8-whiteiszero.tif", 255 - grey, 1, 8, lambda p: lt.write(p, grey, False, 1, photometric=0))
    # refused: CMYK, and floating-point samples
    lt.write(os.path.join(OUT, "tiff-cmyk.tif"), rgba, False, 1, photometric=5)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):   # orient/ is tests/gen-orient-goldens.py's
        if os.path.isfile(os.path.join(OUT, f)):
            os.remove(os.path.join(OUT, f))
    gen_png()
    gen_pnm()
    gen_bmp()
    gen_jpeg()
    gen_tiff()
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# file w h channels bit_depth samples max_abs_diff mean_abs_diff (see tests/gen-image-fixtures.py)\n")
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if os.path.isfile(os.path.join(OUT, f)))
    print(f"{len(manifest)} fixtures, {total} bytes in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
