#!/usr/bin/env python3
"""Export a pretrained torchvision EfficientNet to ONNX for `effad convert`.

    python3 models/export-torchvision.py b0 models/b0.onnx
    build/effad convert models/b0.onnx -o models/b0.efm

Needs PyTorch and torchvision, and downloads the ImageNet weights the first
time (torchvision's cache). effad's CI never runs this: its tests use
random-weight exports made by tests/golden/gen.py.
"""
import sys

import torch
import torchvision

SIZES = {"b0": 224, "b1": 240, "b2": 260, "b3": 300, "b4": 380, "b5": 456, "b6": 528, "b7": 600}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SIZES:
        sys.exit("usage: export-torchvision.py b0|b1|...|b7 OUT.onnx")
    variant, out = sys.argv[1], sys.argv[2]
    model = getattr(torchvision.models, "efficientnet_" + variant)(weights="DEFAULT").eval()
    size = SIZES[variant]
    torch.onnx.export(model, torch.randn(1, 3, size, size), out, opset_version=13,
                      input_names=["input"], output_names=["logits"])
    print("wrote %s (%s, %dx%d); next: effad convert %s -o %s" % (out, variant, size, size, out,
                                                                 out.rsplit(".", 1)[0] + ".efm"))


if __name__ == "__main__":
    main()
