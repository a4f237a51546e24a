#!/usr/bin/python3
"""A full-size torchvision EfficientNet with random weights and data-
calibrated BatchNorm statistics, exported to ONNX (DESIGN.md, "Reference
networks with random weights").

    /usr/bin/python3 tests/int8/bn-calibrated.py --arch efficientnet_b0 --hw 224 \
        --images DIR [DIR ...] -o build/int8/b0-bncal/model.onnx

Weights: torchvision's own initialisation (Kaiming-normal convs, BN
gamma 1 beta 0), seeded. BatchNorm statistics: every image under the
given directories (searched recursively, sorted), resized to HW x HW
(PIL bilinear) and ImageNet-normalised, run through the model with the
BatchNorm layers in training mode and cumulative averaging
(momentum=None), in batches of 8; then eval mode, BN folded into the
convolutions by the export. The script prints, per stage-end level, the
spread of the pooled features between the images (std over images,
averaged over channels) against their float32 rounding scale, and stops if
any level's features do not differ between images by orders of magnitude
more than 1e-7 relative: a network whose deep features are equal for all
images measures nothing.
"""
import argparse
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torchvision
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def png_paths(dirs):
    """Every .png under the directories, recursively, sorted."""
    paths = []
    for d in dirs:
        for root, _, files in os.walk(d):
            paths += [os.path.join(root, f) for f in files if f.lower().endswith(".png")]
    return sorted(paths)


def images(dirs, hw):
    paths = png_paths(dirs)
    if not paths:
        raise SystemExit("bn-calibrated.py: no .png image under %s" % " ".join(dirs))
    out = []
    for p in paths:
        im = Image.open(p).convert("RGB").resize((hw, hw), Image.BILINEAR)
        a = (np.asarray(im, np.float32) / 255.0 - MEAN) / STD
        out.append(a.transpose(2, 0, 1))
    return np.stack(out).astype(np.float32)


def levels(model, x):
    out = []
    for f in model.features:
        x = f(x)
        out.append(x.mean(dim=(2, 3)))
    return out


def calibrated(arch, hw, seed, x):
    """The seeded network with BatchNorm statistics measured on x (N x 3 x
    hw x hw), cumulative over batches of 8; in eval mode."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None).eval()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for b in bns:
            b.reset_running_stats()
            b.momentum = None          # cumulative average over all batches
            b.train()
        for i in range(0, len(x), 8):
            model(x[i:i + 8])
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="efficientnet_b0")
    ap.add_argument("--hw", type=int, default=224)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--images", nargs="+", required=True)
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    x = torch.from_numpy(images(a.images, a.hw))
    model = calibrated(a.arch, a.hw, a.seed, x)
    with torch.no_grad():
        lv = levels(model, x)
    print("%s: BatchNorm statistics from %d images at %dx%d" % (a.arch, len(x), a.hw, a.hw))
    worst = np.inf
    for i, v in enumerate(lv):
        v = v.numpy().astype(np.float64)
        spread = float(v.std(axis=0).mean())
        scale = float(np.abs(v).mean()) + 1e-30
        worst = min(worst, spread / scale)
        print("  level %d: %4d channels, between-image std %.3e, mean |f| %.3e (ratio %.1e)"
              % (i, v.shape[1], spread, scale, spread / scale))
    if not worst > 1e-4:
        raise SystemExit("bn-calibrated.py: a level's features barely vary between images "
                         "(ratio %.1e): the network contracts" % worst)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x[:1], a.out, opset_version=13, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(a.out)
    onnx.checker.check_model(m)
    assert not any(n.op_type == "BatchNormalization" for n in m.graph.node)
    print("wrote %s" % a.out)


if __name__ == "__main__":
    main()
