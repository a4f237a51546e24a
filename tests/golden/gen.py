#!/usr/bin/python3
"""effad golden generator.

Builds small (and, with --full, real-size) EfficientNets in PyTorch, exports
them to ONNX, runs ONNX Runtime on them (through tests/golden/ort-run.js and
the npm package onnxruntime-node) and writes, per case, a directory with

    model.onnx        plain classifier graph (one output: logits)
    model-taps.onnx   (one tiny case per style) 9 GlobalAveragePool'ed level
                      maps as outputs, no logits (ailia mahalanobisad layout)
    input.f32         1x3xHxW float32 LE, NCHW
    logits.f32        ORT logits of model.onnx, float32 LE
    levels.f32        9 level vectors (mean over HxW), concatenated, float32 LE
    maps.f32          9 level maps, each CxHxW, concatenated (tiny cases only)
    meta.json         shapes, ONNX tensor names, versions, checks

See tests/golden/README.md.  Run with Debian's python (torch 1.13):

    /usr/bin/python3 tests/golden/gen.py [--full] [--only CASE,...] [--out DIR]

Everything is seeded; re-running on the same machine reproduces the files.
"""

import argparse
import collections
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import onnx
from onnx import helper, TensorProto
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.efficientnet import EfficientNet, MBConvConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_edit import prune, taps_model, with_outputs  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(HERE, "ort-run.js")

LEVEL_DEFINITION = (
    "stage-end: level 0 = stem output (conv+BN+swish); levels 1-7 = output of "
    "the last block of stages 1-7 (after the residual add if any); level 8 = "
    "head 1x1 conv+BN+swish output, before pooling")
POOLING_DEFINITION = (
    "levels.f32[l] = mean over HxW of the ORT level map l, accumulated in "
    "float64 from the float32 map, stored as float32")

INPUT_SEED = 1234  # every tiny case uses the same input (git stores it once)


def log(*a):
    print(*a, flush=True)


# --------------------------------------------------------------------------
# torchvision style
# --------------------------------------------------------------------------

# (expand_ratio, kernel, stride, in, out, layers) as torchvision's MBConvConfig.
# Widths must be multiples of 8 (torchvision rounds them), so to keep the
# committed files small they alternate 8/16.  Channels change at every stage
# boundary; strides as B0 (2 at stages 2,3,4,6); kernels as B0.
TINY_TV_STAGES = [
    (1, 3, 1, 16, 8, 1),
    (6, 3, 2, 8, 16, 1),
    (4, 5, 2, 16, 8, 2),
    (4, 3, 2, 8, 16, 1),
    (4, 5, 1, 16, 8, 2),
    (4, 5, 2, 8, 16, 1),
    (4, 3, 1, 16, 24, 1),
]
TINY_TV_HEAD = 32
TINY_CLASSES = 10


def build_tv_tiny():
    cfg = [MBConvConfig(*s) for s in TINY_TV_STAGES]
    return EfficientNet(cfg, dropout=0.2, last_channel=TINY_TV_HEAD,
                        num_classes=TINY_CLASSES)


def tv_levels(model, x):
    """The 9 stage-end maps of a torchvision EfficientNet."""
    out = []
    for f in model.features:
        x = f(x)
        out.append(x)
    assert len(out) == 9
    return out


def tv_fold_bn(model):
    """Fold every Conv2d+BatchNorm2d pair of a torchvision EfficientNet
    (Conv2dNormActivation = Sequential(conv, bn[, act])) in place."""
    for mod in model.modules():
        if isinstance(mod, nn.Sequential) and len(mod) >= 2 and \
                isinstance(mod[0], nn.Conv2d) and isinstance(mod[1], nn.BatchNorm2d):
            conv, bn = mod[0], mod[1]
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            w = conv.weight * scale.reshape(-1, 1, 1, 1)
            b = bn.bias - bn.running_mean * scale
            if conv.bias is not None:
                b = b + conv.bias * scale
            new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                            conv.stride, conv.padding, conv.dilation, conv.groups,
                            bias=True)
            new.weight.data.copy_(w.detach())
            new.bias.data.copy_(b.detach())
            mod[0] = new
            mod[1] = nn.Identity()
    return model


# --------------------------------------------------------------------------
# lukemelas style (own module, reproducing the graph structure of
# lukemelas/EfficientNet-PyTorch as exported by the ailia model zoo)
# --------------------------------------------------------------------------

def same_pad_total(size, k, s, d=1):
    return max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)


class StaticSameConv(nn.Conv2d):
    """TF 'same' conv: explicit ZeroPad2d computed for a fixed input size,
    then a conv with padding 0.  No pad module when the padding is zero."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False, image_size=None):
        super().__init__(cin, cout, k, stride, padding=0, groups=groups, bias=bias)
        ph = same_pad_total(image_size[0], k, stride)
        pw = same_pad_total(image_size[1], k, stride)
        if ph > 0 or pw > 0:
            self.static_padding = nn.ZeroPad2d(
                (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        else:
            self.static_padding = nn.Identity()

    def forward(self, x):
        x = self.static_padding(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class DynamicSameConv(nn.Conv2d):
    """TF 'same' conv with the padding computed in forward from x.shape, so a
    traced export contains the Shape/Gather/.../Concat -> Pad subgraph."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False, image_size=None):
        super().__init__(cin, cout, k, stride, padding=0, groups=groups, bias=bias)

    def forward(self, x):
        ih, iw = x.size()[-2:]
        kh, kw = self.weight.size()[-2:]
        sh, sw = self.stride
        oh, ow = math.ceil(ih / sh), math.ceil(iw / sw)
        ph = max((oh - 1) * sh + (kh - 1) * self.dilation[0] + 1 - ih, 0)
        pw = max((ow - 1) * sw + (kw - 1) * self.dilation[1] + 1 - iw, 0)
        if ph > 0 or pw > 0:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


def lm_bn(c):
    return nn.BatchNorm2d(c, momentum=0.01, eps=1e-3)


class LMBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, expand, image_size, conv):
        super().__init__()
        self.cin, self.cout, self.stride = cin, cout, stride
        self.expand = expand
        mid = cin * expand
        if expand != 1:
            self._expand_conv = conv(cin, mid, 1, image_size=image_size)
            self._bn0 = lm_bn(mid)
        self._depthwise_conv = conv(mid, mid, k, stride=stride, groups=mid,
                                    image_size=image_size)
        self._bn1 = lm_bn(mid)
        image_size = [math.ceil(v / stride) for v in image_size]
        sq = max(1, int(cin * 0.25))
        self._se_reduce = conv(mid, sq, 1, bias=True, image_size=[1, 1])
        self._se_expand = conv(sq, mid, 1, bias=True, image_size=[1, 1])
        self._project_conv = conv(mid, cout, 1, image_size=image_size)
        self._bn2 = lm_bn(cout)
        self._swish = Swish()
        self.out_size = image_size

    def forward(self, inputs):
        x = inputs
        if self.expand != 1:
            x = self._swish(self._bn0(self._expand_conv(x)))
        x = self._swish(self._bn1(self._depthwise_conv(x)))
        s = F.adaptive_avg_pool2d(x, 1)
        s = self._se_expand(self._swish(self._se_reduce(s)))
        x = torch.sigmoid(s) * x
        x = self._bn2(self._project_conv(x))
        if self.stride == 1 and self.cin == self.cout:
            x = x + inputs
        return x


class LMEfficientNet(nn.Module):
    """stages: list of (kernel, stride, expand, out, repeats)."""

    def __init__(self, stem, stages, head, num_classes, image_size, dynamic=False):
        super().__init__()
        conv = DynamicSameConv if dynamic else StaticSameConv
        size = list(image_size)
        self._conv_stem = conv(3, stem, 3, stride=2, image_size=size)
        self._bn0 = lm_bn(stem)
        size = [math.ceil(v / 2) for v in size]
        blocks, self.stage_ends = [], []
        cin = stem
        for (k, s, e, cout, n) in stages:
            for i in range(n):
                b = LMBlock(cin if i == 0 else cout, cout, k, s if i == 0 else 1,
                            e, size, conv)
                size = b.out_size
                blocks.append(b)
            cin = cout
            self.stage_ends.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = conv(cin, head, 1, image_size=size)
        self._bn1 = lm_bn(head)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(0.2)
        self._fc = nn.Linear(head, num_classes)
        self._swish = Swish()

    def levels(self, x):
        x = self._swish(self._bn0(self._conv_stem(x)))
        out = [x]
        for i, b in enumerate(self._blocks):
            x = b(x)
            if i in self.stage_ends:
                out.append(x)
        x = self._swish(self._bn1(self._conv_head(x)))
        out.append(x)
        return out

    def forward(self, x):
        x = self.levels(x)[-1]
        x = self._avg_pooling(x)
        x = x.flatten(start_dim=1)
        x = self._dropout(x)
        return self._fc(x)


# (kernel, stride, expand, out, repeats); any width (no rounding to 8)
TINY_LM_STEM = 8
TINY_LM_STAGES = [
    (3, 1, 1, 4, 1),
    (3, 2, 6, 8, 2),
    (5, 2, 4, 12, 1),
    (3, 2, 4, 8, 1),
    (5, 1, 4, 12, 2),
    (5, 2, 4, 8, 1),
    (3, 1, 6, 12, 1),
]
TINY_LM_HEAD = 24

B0_LM_STAGES = [
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
]


def lm_levels(model, x):
    return model.levels(x)


# --------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------

def randomize(model, seed, calib_hw, calib_batch):
    """Seeded random weights in a sane range.

    Conv weights: normal, std sqrt(2/fan_in) (kaiming).  Linear: uniform
    +-1/sqrt(in), bias normal*0.1.  Conv biases (SE): normal*0.5.  BN
    gamma ~ U[0.5, 1.5], beta ~ N(0, 0.2).  BN running statistics are first
    calibrated on a random batch (BN layers alone in train mode, momentum 1)
    so no activation blows up through depth, then perturbed:
    var *= U[0.5, 2], mean += N(0, 0.1)*sqrt(var).  So folding BN matters and
    no two parameters are equal (which also keeps torch's initializer
    de-duplication from inserting Identity nodes)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * math.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.5)
            elif isinstance(m, nn.Linear):
                r = 1.0 / math.sqrt(m.in_features)
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * r)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
        # calibrate running stats
        bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        moms = [b.momentum for b in bns]
        model.eval()
        for b in bns:
            b.momentum = 1.0
            b.train()
        x = torch.randn((calib_batch, 3) + tuple(calib_hw), generator=g)
        model(x)
        model.eval()
        for b, mom in zip(bns, moms):
            b.momentum = mom
            var = b.running_var * (torch.rand(b.running_var.shape, generator=g) * 1.5 + 0.5)
            mean = b.running_mean + torch.randn(b.running_mean.shape, generator=g) * 0.1 * var.sqrt()
            # round to a coarse grid so tiny cross-machine differences in the
            # calibration forward rarely change the stored bits
            b.running_var.copy_(torch.round(var * 4096) / 4096 + 1.0 / 4096)
            b.running_mean.copy_(torch.round(mean * 4096) / 4096)
    return model.eval()


# --------------------------------------------------------------------------
# ONNX helpers
# --------------------------------------------------------------------------

def export(model, x, path, opset, mode):
    """mode: 'bn' keeps BatchNormalization nodes, 'fold' is the default
    export (torch fuses Conv+BN in eval mode)."""
    kw = dict(opset_version=opset, input_names=["input"], output_names=["logits"])
    if mode == "bn":
        # TrainingMode.EVAL makes torch run its eval peephole, which fuses
        # Conv+BN even with do_constant_folding=False.  PRESERVE on a model in
        # eval() mode exports inference-mode BatchNormalization instead.
        kw.update(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    else:
        kw.update(do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, **kw)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def op_inventory(m):
    c = collections.Counter(n.op_type for n in m.graph.node)
    return dict(sorted(c.items()))


def float_tensor_types(m):
    """name -> (elem_type, shape list or None) for all value infos after
    shape inference."""
    inf = onnx.shape_inference.infer_shapes(m)
    out = {}
    for vi in list(inf.graph.value_info) + list(inf.graph.output) + list(inf.graph.input):
        t = vi.type.tensor_type
        shape = None
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            shape = [d.dim_value for d in t.shape.dim]
        out[vi.name] = (t.elem_type, shape)
    return out


# --------------------------------------------------------------------------
# ORT
# --------------------------------------------------------------------------

def ort_dir():
    d = os.environ.get("EFFAD_ORT_DIR", os.path.join(ROOT, "build", "ort"))
    return os.path.abspath(d)


def check_ort():
    d = ort_dir()
    if not os.path.isdir(os.path.join(d, "node_modules", "onnxruntime-node")):
        sys.stderr.write(
            "gen.py: onnxruntime-node not found under %s/node_modules\n"
            "Install it (needs node + npm):\n"
            "  mkdir -p build/ort && cd build/ort && npm install --ignore-scripts onnxruntime-node\n"
            "or set EFFAD_ORT_DIR to a directory containing node_modules/onnxruntime-node.\n" % d)
        sys.exit(2)
    if shutil.which("node") is None:
        sys.stderr.write("gen.py: `node` not found on PATH (apt-get install nodejs npm)\n")
        sys.exit(2)


def run_ort(model_path, input_path, shape, outdir, names=None):
    env = dict(os.environ, EFFAD_ORT_DIR=ort_dir())
    cmd = ["node", ORT_RUN, model_path, input_path, ",".join(map(str, shape)), outdir]
    cmd += list(names or [])
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("ort-run.js failed on %s" % model_path)
    summ = json.loads(r.stdout.strip().splitlines()[-1])
    arrays = [np.fromfile(o["file"], dtype="<f4").reshape(o["dims"]) for o in summ["outputs"]]
    return summ, arrays


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

TV_TINY_ARCH = dict(stem=TINY_TV_STAGES[0][3],
                    stages_e_k_s_in_out_n=TINY_TV_STAGES, head=TINY_TV_HEAD,
                    bn_eps=1e-5, se="max(1, block_in // 4)",
                    builder="torchvision.models.efficientnet.EfficientNet + MBConvConfig")
LM_TINY_ARCH = dict(stem=TINY_LM_STEM, stages_k_s_e_out_n=TINY_LM_STAGES, head=TINY_LM_HEAD,
                    bn_eps=1e-3, bn_momentum=0.01, se="max(1, int(block_in * 0.25))",
                    builder="own module (tests/golden/gen.py LMEfficientNet)")

TV_SHARED = {}


def tiny_tv(seed):
    if seed not in TV_SHARED:
        TV_SHARED[seed] = randomize(build_tv_tiny(), seed, (64, 64), 2)
    return TV_SHARED[seed]


def tv_full(name, hw):
    ctor = getattr(torchvision.models, name)
    return randomize(ctor(weights=None), 4000 + hw, (hw, hw), 1)


CASES = [
    # name, tiny?, style, H, opset, export mode, builder, taps model
    dict(name="tiny-tv-bn", tiny=True, style="torchvision", hw=64, opset=11, mode="bn",
         build=lambda: tiny_tv(101), levels=tv_levels, taps=True, arch=TV_TINY_ARCH),
    dict(name="tiny-tv-fold", tiny=True, style="torchvision", hw=64, opset=11, mode="fold",
         build=lambda: tiny_tv(101), levels=tv_levels, taps=False, arch=TV_TINY_ARCH),
    dict(name="tiny-lm-static", tiny=True, style="lukemelas-static", hw=64, opset=11, mode="fold",
         build=lambda: randomize(LMEfficientNet(TINY_LM_STEM, TINY_LM_STAGES, TINY_LM_HEAD,
                                                TINY_CLASSES, (64, 64)), 201, (64, 64), 2),
         levels=lm_levels, taps=True, arch=LM_TINY_ARCH),
    dict(name="tiny-lm-dynamic", tiny=True, style="lukemelas-dynamic", hw=64, opset=11, mode="fold",
         build=lambda: randomize(LMEfficientNet(TINY_LM_STEM, TINY_LM_STAGES, TINY_LM_HEAD,
                                                TINY_CLASSES, (64, 64), dynamic=True), 202, (64, 64), 2),
         levels=lm_levels, taps=False, arch=LM_TINY_ARCH),
    dict(name="tiny-tv-op17", tiny=True, style="torchvision", hw=64, opset=17, mode="fold",
         build=lambda: tiny_tv(102), levels=tv_levels, taps=False, arch=TV_TINY_ARCH),
    dict(name="b0-tv", tiny=False, style="torchvision", hw=224, opset=13, mode="fold",
         build=lambda: tv_full("efficientnet_b0", 224), levels=tv_levels, taps=False,
         arch="torchvision.models.efficientnet_b0(weights=None), BN eps 1e-5, random weights"),
    dict(name="b4-tv", tiny=False, style="torchvision", hw=380, opset=13, mode="fold",
         build=lambda: tv_full("efficientnet_b4", 380), levels=tv_levels, taps=False,
         arch="torchvision.models.efficientnet_b4(weights=None), BN eps 1e-5, random weights"),
    dict(name="b0-lm", tiny=False, style="lukemelas-static", hw=224, opset=11, mode="fold",
         build=lambda: randomize(LMEfficientNet(32, B0_LM_STAGES, 1280, 1000, (224, 224)),
                                 301, (224, 224), 1),
         levels=lm_levels, taps=False,
         arch=dict(stem=32, stages_k_s_e_out_n=B0_LM_STAGES, head=1280, bn_eps=1e-3,
                   bn_momentum=0.01, se="max(1, int(block_in * 0.25))")),
]


def rel_diff(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def find_level_tensors(m, torch_maps, inp_path, shape, tmp):
    """Return the ONNX tensor name of each level: the float tensor of
    model.onnx whose ORT value matches torch's level map."""
    types = float_tensor_types(m)
    want_shapes = [list(t.shape) for t in torch_maps]
    cands = []
    for node in m.graph.node:
        for o in node.output:
            et, shp = types.get(o, (0, None))
            if et != TensorProto.FLOAT:
                continue
            if shp is None or shp in want_shapes:
                cands.append(o)
    probe = os.path.join(tmp, "probe.onnx")
    onnx.save(with_outputs(m, cands), probe)
    _, vals = run_ort(probe, inp_path, shape, os.path.join(tmp, "probe"), cands)
    names = []
    for li, tm in enumerate(torch_maps):
        tm = tm.numpy()
        scored = sorted((rel_diff(v, tm), i) for i, v in enumerate(vals)
                        if list(v.shape) == list(tm.shape))
        if not scored or scored[0][0] > 1e-3:
            raise SystemExit("level %d: no ONNX tensor matches torch (best %s)"
                             % (li, scored[:1]))
        if len(scored) > 1 and scored[1][0] < 1e-3:
            log("  note: level %d also matches %s" % (li, cands[scored[1][1]]))
        names.append(cands[scored[0][1]])
    shutil.rmtree(os.path.join(tmp, "probe"))
    return names


def gen_case(case, outbase):
    t0 = time.time()
    name, hw = case["name"], case["hw"]
    out = os.path.join(outbase, name)
    os.makedirs(out, exist_ok=True)
    for f in ("model.onnx", "model-taps.onnx", "input.f32", "logits.f32",
              "levels.f32", "maps.f32", "meta.json", "levels.txt"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))
    log("== %s (%s, %dx%d, opset %d, %s)" % (name, case["style"], hw, hw, case["opset"], case["mode"]))

    model = case["build"]()
    shape = [1, 3, hw, hw]
    seed = INPUT_SEED if case["tiny"] else INPUT_SEED + hw
    x_np = np.random.RandomState(seed).standard_normal(shape).astype("<f4")
    x = torch.from_numpy(x_np.copy())
    inp_path = os.path.join(out, "input.f32")
    x_np.tofile(inp_path)

    with torch.no_grad():
        t_logits = model(x).numpy()
        t_maps = [t[0] for t in case["levels"](model, x)]  # drop N
    for li, tm in enumerate(t_maps):
        log("  torch level %d: %3d x %3d x %3d  rms %.3f  max|.| %.3f"
            % (li, tm.shape[0], tm.shape[1], tm.shape[2],
               float(tm.pow(2).mean().sqrt()), float(tm.abs().max())))

    model_path = os.path.join(out, "model.onnx")
    m = export(model, x, model_path, case["opset"], case["mode"])
    inv = op_inventory(m)
    nbn = inv.get("BatchNormalization", 0)
    if case["mode"] == "bn" and nbn == 0:
        raise SystemExit("%s: expected BatchNormalization nodes, found none" % name)
    if case["mode"] == "fold" and nbn != 0:
        log("  BN survived the export; folding it in the torch model and re-exporting")
        tv_fold_bn(model)
        m = export(model, x, model_path, case["opset"], case["mode"])
        inv = op_inventory(m)
        assert inv.get("BatchNormalization", 0) == 0
    log("  ops: " + ", ".join("%s %d" % kv for kv in inv.items()))

    checks = {}
    with tempfile.TemporaryDirectory(prefix="effad-golden-") as tmp:
        summ, (o_logits,) = run_ort(model_path, inp_path, shape, os.path.join(tmp, "plain"))
        ort_version = summ["ort_version"]
        checks["logits_ort_vs_torch_max_rel"] = rel_diff(o_logits, t_logits)
        log("  logits: ORT vs torch max rel diff %.2e" % checks["logits_ort_vs_torch_max_rel"])
        o_logits.astype("<f4").tofile(os.path.join(out, "logits.f32"))

        level_names = find_level_tensors(m, [t.unsqueeze(0) for t in t_maps], inp_path, shape, tmp)
        lev_path = os.path.join(tmp, "levels.onnx")
        onnx.save(with_outputs(m, level_names), lev_path)
        _, o_maps = run_ort(lev_path, inp_path, shape, os.path.join(tmp, "levels"), level_names)
        o_maps = [a[0] for a in o_maps]
        diffs = [rel_diff(a, t.numpy()) for a, t in zip(o_maps, t_maps)]
        checks["maps_ort_vs_torch_max_rel"] = max(diffs)
        log("  maps: ORT vs torch max rel diff per level: " + " ".join("%.1e" % d for d in diffs))

        levels = [a.astype(np.float64).mean(axis=(1, 2)).astype("<f4") for a in o_maps]
        np.concatenate(levels).astype("<f4").tofile(os.path.join(out, "levels.f32"))
        if case["tiny"]:
            np.concatenate([a.reshape(-1) for a in o_maps]).astype("<f4").tofile(
                os.path.join(out, "maps.f32"))

        level_shapes = [tuple(a.shape) for a in o_maps]
        if case["taps"]:
            tp = taps_model(m, level_names, [c for c, _, _ in level_shapes])
            taps_path = os.path.join(out, "model-taps.onnx")
            onnx.save(tp, taps_path)
            _, o_taps = run_ort(taps_path, inp_path, shape, os.path.join(tmp, "taps"))
            td = max(float(np.max(np.abs(a.reshape(-1).astype(np.float64) - l)))
                     for a, l in zip(o_taps, levels))
            checks["taps_vs_levels_max_abs"] = td
            log("  model-taps.onnx: GlobalAveragePool outputs vs levels.f32 max abs diff %.2e" % td)
            if td > 1e-4:
                raise SystemExit("%s: taps model disagrees with levels.f32" % name)
            log("  taps ops: " + ", ".join("%s %d" % kv for kv in op_inventory(tp).items()))

    if checks["logits_ort_vs_torch_max_rel"] > 1e-3 or checks["maps_ort_vs_torch_max_rel"] > 1e-3:
        raise SystemExit("%s: ORT disagrees with torch" % name)

    lv, off_l, off_m = [], 0, 0
    lnames = ["stem"] + ["stage%d" % i for i in range(1, 8)] + ["head"]
    for li, ((c, h, w), tname) in enumerate(zip(level_shapes, level_names)):
        lv.append(dict(index=li, name=lnames[li], channels=c, height=h, width=w,
                       onnx_tensor=tname, levels_offset=off_l,
                       maps_offset=off_m if case["tiny"] else None))
        off_l += c
        off_m += c * h * w
    meta = dict(
        case=name,
        style=case["style"],
        input=dict(file="input.f32", shape=shape, layout="NCHW", dtype="float32",
                   byte_order="little", onnx_name="input",
                   distribution="standard normal, numpy RandomState(%d)" % seed),
        input_height=hw, input_width=hw,
        num_classes=int(o_logits.shape[-1]),
        opset=case["opset"],
        bn_folded=(case["mode"] == "fold"),
        export=dict(
            do_constant_folding=(case["mode"] == "fold"),
            training="EVAL" if case["mode"] == "fold" else "PRESERVE (model in eval mode)",
            note=("BN fused into Conv by torch's eval peephole" if case["mode"] == "fold"
                  else "BatchNormalization nodes kept (inference mode)")),
        level_definition=LEVEL_DEFINITION,
        levels_pooling=POOLING_DEFINITION,
        levels=lv,
        levels_total_floats=off_l,
        maps_total_floats=off_m if case["tiny"] else None,
        files=dict(
            model="model.onnx",
            model_taps="model-taps.onnx" if case["taps"] else None,
            input="input.f32",
            logits="logits.f32 (1 x num_classes float32 LE, ORT output of model.onnx)",
            levels="levels.f32 (float32 LE, level vectors concatenated in level order)",
            maps=("maps.f32 (float32 LE, level maps CxHxW concatenated in level order)"
                  if case["tiny"] else None)),
        taps_outputs=(["level%d_gap" % i for i in range(9)] if case["taps"] else None),
        op_inventory=inv,
        checks=checks,
        versions=dict(torch=torch.__version__, torchvision=torchvision.__version__,
                      onnx=onnx.__version__, onnxruntime=ort_version,
                      onnxruntime_package="onnxruntime-node (npm)"),
        ort_session=dict(graphOptimizationLevel="all", intraOpNumThreads=1,
                         executionProviders=["cpu"]),
    )
    meta["architecture"] = case.get("arch")
    with open(os.path.join(out, "levels.txt"), "w") as f:
        f.write("# %s: %dx%d input, 9 levels (%s)\n" % (name, hw, hw, "stage-end"))
        f.write("# index channels height width levels_offset maps_offset onnx_tensor\n")
        for l in lv:
            f.write("%d %d %d %d %d %d %s\n" % (l["index"], l["channels"], l["height"], l["width"],
                                                l["levels_offset"],
                                                l["maps_offset"] if case["tiny"] else -1,
                                                l["onnx_tensor"]))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=False)
        f.write("\n")
    dt = time.time() - t0
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    log("  wrote %s (%.0f KB) in %.1f s" % (os.path.relpath(out, ROOT), size / 1024, dt))
    return dict(case=name, seconds=round(dt, 1), bytes=size, ops=inv)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true",
                    help="also generate the full-size cases (b0-tv, b4-tv, b0-lm)")
    ap.add_argument("--only", default="",
                    help="comma-separated case names to (re)generate")
    ap.add_argument("--out", default=None,
                    help="output base directory (default: tests/golden for tiny "
                         "cases, build/golden-full for full-size ones)")
    args = ap.parse_args()
    check_ort()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    only = set(filter(None, args.only.split(",")))
    known = set(c["name"] for c in CASES)
    if only - known:
        ap.error("unknown case(s): %s (known: %s)" % (", ".join(sorted(only - known)),
                                                      ", ".join(c["name"] for c in CASES)))
    results = []
    t0 = time.time()
    for case in CASES:
        if only and case["name"] not in only:
            continue
        if not only and not case["tiny"] and not args.full:
            continue
        base = args.out or (HERE if case["tiny"] else os.path.join(ROOT, "build", "golden-full"))
        results.append(gen_case(case, base))
    if not args.out and any(CASES_BY_NAME[r["case"]]["tiny"] for r in results):
        write_index()
    log("\nsummary:")
    for r in results:
        log("  %-16s %7.1f s  %8.0f KB  %s" % (r["case"], r["seconds"], r["bytes"] / 1024,
                                           " ".join("%s:%d" % kv for kv in r["ops"].items())))
    log("total %.1f s" % (time.time() - t0))


CASES_BY_NAME = {c["name"]: c for c in CASES}


def write_index():
    """tests/golden/index.json: the committed tiny cases, for the C tests."""
    tiny = [c["name"] for c in CASES if c["tiny"]
            and os.path.exists(os.path.join(HERE, c["name"], "meta.json"))]
    with open(os.path.join(HERE, "index.json"), "w") as f:
        json.dump(dict(cases=tiny,
                       taps=[c["name"] for c in CASES if c["tiny"] and c["taps"]],
                       level_definition=LEVEL_DEFINITION), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
