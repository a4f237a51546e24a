#!/usr/bin/python3
"""Images that state an orientation, and what cv2.imread and PIL make of
them: the goldens of tests/unit/test-image-orient.c.

Run with Debian's python3 (OpenCV 4.6, PIL 9.4), from the repository root:

    /usr/bin/python3 tests/gen-orient-goldens.py

Writes tests/data/images/orient/NAME.{png,jpg,tif} and beside each
NAME.EXT.cv2 -- cv2.imread(IMREAD_COLOR) converted to RGB --, NAME.EXT.pil
-- PIL's Image.open(...).convert('RGB') -- and NAME.EXT.cv2u --
cv2.imdecode(IMREAD_UNCHANGED), the ailia sample's reader, as RGB --
each as "<w> <h>\\n" and w*h*3 bytes. The file list is index.txt, one name
per line.

What the files probe (cv2.imread turns JPEG and PNG by their EXIF; all
three readers turn a TIFF by its Orientation tag):
  o1..o8 in JPEG (APP1 "Exif\\0\\0"), PNG (eXIf) -- EXIF blocks of both byte
  orders -- and TIFF (tag 274); a 5x3 image, so that every one of the eight is visible.
  And the quirks cv2 4.6 was measured to have, which effad follows:
  only the first APP1 of a JPEG counts (an XMP one first hides the EXIF),
  a JPEG APP1 needs its "Exif\\0\\0" and a PNG eXIf must not have it, only
  the first IFD counts, the 16-bit word of the value field is read whatever
  the entry's type (a little-endian LONG 6 turns, a big-endian one does not),
  values outside 1..8 do nothing, an eXIf after IDAT counts.
"""
import io
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image, TiffImagePlugin

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "images", "orient")
A = (np.arange(5 * 3 * 3).reshape(3, 5, 3) * 37 % 251).astype(np.uint8)   # 5 wide, 3 high


def tiff_block(orient, big=False, typ=3, ifd1=False):
    bo = ">" if big else "<"
    head = (b"MM\x00*" if big else b"II*\x00") + struct.pack(bo + "I", 8)

    def entry(tag, value):
        v = struct.pack(bo + "H", value) + b"\0\0" if typ == 3 or tag != 0x112 else struct.pack(bo + "I", value)
        return struct.pack(bo + "HHI", tag, typ if tag == 0x112 else 3, 1) + v
    if not ifd1:
        return head + struct.pack(bo + "H", 1) + entry(0x112, orient) + struct.pack(bo + "I", 0)
    ifd0 = struct.pack(bo + "H", 1) + entry(0x100, 5) + struct.pack(bo + "I", 8 + 18)
    return head + ifd0 + struct.pack(bo + "H", 1) + entry(0x112, orient) + struct.pack(bo + "I", 0)


def png(before=(), after=()):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    h, w = A.shape[:2]
    raw = b"".join(b"\0" + A[y].tobytes() for y in range(h))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    out += b"".join(chunk(b"eXIf", d) for d in before) + chunk(b"IDAT", zlib.compress(raw))
    return out + b"".join(chunk(b"eXIf", d) for d in after) + chunk(b"IEND", b"")


def jpeg(app1s):
    b = io.BytesIO()
    Image.fromarray(A).save(b, "JPEG", quality=100, subsampling=0)
    j = b.getvalue()
    return j[:2] + b"".join(b"\xff\xe1" + struct.pack(">H", len(p) + 2) + p for p in app1s) + j[2:]


def tiff(orient):
    b = io.BytesIO()
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[274] = orient
    Image.fromarray(A).save(b, "TIFF", tiffinfo=info)
    return b.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}
    for o in range(1, 9):
        files["jpg-o%d.jpg" % o] = jpeg([b"Exif\0\0" + tiff_block(o, big=o % 2 == 0)])
        files["png-o%d.png" % o] = png([tiff_block(o, big=o % 2 == 1)])
        files["tif-o%d.tif" % o] = tiff(o)
    files.update({
        "jpg-first-app1-xmp.jpg": jpeg([b"http://ns.adobe.com/xap/1.0/\0<x/>", b"Exif\0\0" + tiff_block(6)]),
        "jpg-two-exif.jpg": jpeg([b"Exif\0\0" + tiff_block(3), b"Exif\0\0" + tiff_block(6)]),
        "jpg-no-exif-prefix.jpg": jpeg([tiff_block(6)]),
        "jpg-ifd1-only.jpg": jpeg([b"Exif\0\0" + tiff_block(6, ifd1=True)]),
        "jpg-long-le.jpg": jpeg([b"Exif\0\0" + tiff_block(6, typ=4)]),
        "jpg-long-be.jpg": jpeg([b"Exif\0\0" + tiff_block(6, big=True, typ=4)]),
        "jpg-value-9.jpg": jpeg([b"Exif\0\0" + tiff_block(9)]),
        "jpg-cut-short.jpg": jpeg([b"Exif\0\0" + tiff_block(6)[:17]]),
        "png-exif-prefix.png": png([b"Exif\0\0" + tiff_block(6)]),
        "png-after-idat.png": png(after=[tiff_block(8)]),
        "png-value-0.png": png([tiff_block(0)]),
    })
    for name, data in sorted(files.items()):
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(data)
        c = cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1]
        p = np.asarray(Image.open(path).convert("RGB"))
        u = cv2.imdecode(np.fromfile(path, np.int8), cv2.IMREAD_UNCHANGED)
        u = (cv2.cvtColor(u, cv2.COLOR_GRAY2BGR) if u.ndim == 2 else u[..., :3])[..., ::-1]
        for ext, img in (("cv2", c), ("pil", p), ("cv2u", u)):
            with open(path + "." + ext, "wb") as f:
                f.write(b"%d %d\n" % (img.shape[1], img.shape[0]) + np.ascontiguousarray(img).tobytes())
    with open(os.path.join(OUT, "index.txt"), "w") as f:
        f.write("".join(n + "\n" for n in sorted(files)))
    print("wrote %d images to %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
