"""Each effad preprocessing preset's Python reference, written from the code
the preset is named after (src/preprocess.h cites the same lines).

    tensor = PRESETS[name](path, (H, W), resize_short, rgb16)

returns the network input, 3 x H x W float32, exactly as that code computes
it.  resize_short is the shorter side before the crop (ailia,
mahalanobisad); rgb16 says what to do where the original cannot be followed
for 16-bit images (below).  Test-only; Debian's /usr/bin/python3 (numpy
1.24, Pillow 9.4, OpenCV 4.6, torchvision 0.14).

ailia -- axinc-ai/ailia-models anomaly_detection/mahalanobisad/mahalanobisad.py
    img = load_image(f)                        # util/detector_utils.py: imread(
                                               #   IMREAD_UNCHANGED), then to BGRA
    img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    preprocess(img):
      size = (size, int(size * h / w)) if h > w else (int(size * w / h), size)
      img = np.array(Image.fromarray(img).resize(size, resample=Image.LANCZOS))
      pad_h = (h - crop_size) // 2; pad_w = (w - crop_size) // 2
      img = normalize_image(img.astype(np.float32), 'ImageNet')
                                               # util/image_utils.py: image / 255.0,
                                               # then (image[:, :, i] - mean[i]) / std[i]
    A 16-bit file makes the sample fail (PIL's fromarray takes no 16-bit
    RGB), so there the reference converts to 8 bits first by `rgb16`.

mahalanobisad -- byungjae89/MahalanobisAD-pytorch src/datasets/mvtec.py
    x = Image.open(x).convert('RGB')
    T.Compose([T.Resize(resize, Image.ANTIALIAS), T.CenterCrop(cropsize),
               T.ToTensor(), T.Normalize(mean=[...], std=[...])])
    (16-bit grey: PIL's convert clips -- effad --pil-16bit.)

paper -- ORippler/gaussian-ad-mvtec
    src/datasets/mvtecad.py load_transform:
      image = cv2.imread(path); image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    src/gaussian/model.py: transform=Resize(self.input_size, self.input_size)
      (albumentations: cv2.resize INTER_LINEAR), final_transform =
      [Normalize(), ToTensorV2()] -- albumentations' normalize:
      mean = float32(mean) * 255; std = float32(std) * 255;
      img = (float32(img) - mean) * reciprocal(std)
    (16-bit: cv2.imread keeps the high byte -- effad --opencv-16bit.)
"""
import numpy as np
import cv2
from PIL import Image
from torchvision import transforms as T

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def scale16(a):
    """effad's default 16-bit -> 8-bit rule, round(v / 257)."""
    return ((a.astype(np.uint32) + 128) // 257).astype(np.uint8)


def roi_box(roi):
    """effad's --roi X,Y,W,H as a slice of an H x W (x C) array."""
    x, y, w, h = roi
    return slice(y, y + h), slice(x, x + w)


def ailia(path, hw, rs, rgb16="scale", roi=None):
    img = cv2.imdecode(np.fromfile(path, np.int8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise SystemExit("cannot read %s" % path)
    if img.ndim < 3 or img.shape[2] == 1:      # detector_utils.preprocessing_img
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
    elif img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    if img.dtype == np.uint16:
        if rgb16 != "scale":
            raise SystemExit("%s: the ailia sample cannot read 16-bit images; only --rgb16 scale is defined" % path)
        img = scale16(img)
    if roi:                                    # what a user of the sample would write
        img = np.ascontiguousarray(img[roi_box(roi)])
    h, w = img.shape[:2]
    size = (rs, int(rs * h / w)) if h > w else (int(rs * w / h), rs)
    img = np.array(Image.fromarray(img).resize(size, resample=Image.LANCZOS))
    h, w = img.shape[:2]
    pad_h, pad_w = (h - hw[0]) // 2, (w - hw[1]) // 2
    img = img[pad_h:pad_h + hw[0], pad_w:pad_w + hw[1]]
    x = img.astype(np.float32) / 255.0
    mean, std = np.array(MEAN), np.array(STD)
    for i in range(3):
        x[:, :, i] = (x[:, :, i] - mean[i]) / std[i]
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def mahalanobisad(path, hw, rs, rgb16="pil", roi=None):
    if rgb16 != "pil":
        raise SystemExit("mahalanobisad reads images with PIL: only --rgb16 pil is its behaviour")
    x = Image.open(path).convert("RGB")
    if roi:
        x = x.crop((roi[0], roi[1], roi[0] + roi[2], roi[1] + roi[3]))
    x = T.Compose([T.Resize(rs, T.InterpolationMode.LANCZOS), T.CenterCrop(hw), T.ToTensor(),
                   T.Normalize(mean=MEAN, std=STD)])(x)
    return np.ascontiguousarray(x.numpy(), dtype=np.float32)


def paper(path, hw, rs=None, rgb16="opencv", roi=None):
    if rgb16 != "opencv":
        raise SystemExit("paper reads images with cv2.imread: only --rgb16 opencv is its behaviour")
    image = cv2.imread(path)
    if image is None or image.size == 0:
        raise SystemExit("cannot read %s" % path)
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if roi:
        image = np.ascontiguousarray(image[roi_box(roi)])
    image = cv2.resize(image, (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
    mean = np.array(MEAN, dtype=np.float32) * 255.0
    den = np.reciprocal(np.array(STD, dtype=np.float32) * 255.0, dtype=np.float32)
    x = (image.astype(np.float32) - mean) * den
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


PRESETS = {"ailia": ailia, "mahalanobisad": mahalanobisad, "paper": paper}
# the 16-bit rule each original follows: effad's default, --pil-16bit,
# --opencv-16bit (effad-vs-ref.sh passes the same options)
RGB16 = {"ailia": "scale", "mahalanobisad": "pil", "paper": "opencv"}


def image_size(name, path):
    """(w, h) of the image as preset `name`'s reader delivers it -- turned by
    a TIFF's Orientation tag by all three readers, by a JPEG's or PNG's EXIF
    orientation only by cv2.imread(IMREAD_COLOR) (paper): the size its
    anomaly map is brought back to."""
    if name == "paper":
        shape = cv2.imread(path).shape
    elif name == "ailia":
        shape = cv2.imdecode(np.fromfile(path, np.int8), cv2.IMREAD_UNCHANGED).shape
    else:
        im = Image.open(path)
        im.load()                                  # a TIFF is turned as it loads
        return im.size
    return shape[1], shape[0]


def resize_short_default(h, w):
    """round(min(H, W) * 256 / 224) in integers: 224 -> 256, 64 -> 73."""
    return (8 * min(h, w) + 3) // 7
