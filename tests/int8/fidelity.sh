#!/bin/sh
# The int8 fidelity figures of issue 20, measured on held-out images (the
# calibration and the fit see train/good only; quantcheck scores test/):
#   1. the demo set with the demo model (effad demo, seed 1, metal);
#   2. generated sets (seed 21: brushed metal, where the float32 model
#      separates defects perfectly, and a grid, where it reaches about
#      0.7) scored with a full-size torchvision EfficientNet-B0 whose
#      BatchNorm statistics come from other generated images (seed 11;
#      tests/int8/bn-calibrated.py). (On the fabric texture this random
#      network's float32 AUROC is at chance, 0.47: nothing to compare.)
# Prints each model's conversion report and `effad quantcheck` table
# (Spearman of the anomaly scores int8 vs float32, image AUROC of both),
# and keeps everything under WORKDIR.
#
#   sh tests/int8/fidelity.sh [WORKDIR]     (default build/int8-fidelity)
#   CONVERT_ARGS="--float-budget 5" THREADS=2 sh tests/int8/fidelity.sh
#
# Needs /usr/bin/python3 with torch, torchvision, onnx, PIL (for 2.).
# Takes ~15 min on one core with the scalar int8 kernels (the B0
# calibration's forward passes dominate); ~2 min with THREADS=2 on the
# 2-vCPU Zen 5 with its own kernels (2026-12-02). quantcheck's verdict
# line says whether int8 keeps float32's results (Spearman >= 0.99,
# AUROC within one point) on each set.
set -eu
W=${1:-build/int8-fidelity}
E=${EFFAD:-build/effad}
PY=${PY:-/usr/bin/python3}
T=${THREADS:-1}
A=${CONVERT_ARGS:-}
mkdir -p "$W"

echo "== demo set, demo model"
"$E" demo --out "$W/demo" --seed 1 --threads "$T" > "$W/demo.log"
"$E" convert "$W/demo/demo.efm" -o "$W/demo-int8.efm" --int8 --calib "$W/demo/data/train/good" \
    --preprocess paper --threads "$T" --quiet $A | tee "$W/demo-convert.txt" | sed -n '/^int8/,/^ *(/p;/int8:/p'
"$E" quantcheck "$W/demo/demo.efm" "$W/demo-int8.efm" "$W/demo/data" --gauss "$W/demo/demo.gauss" \
    --threads "$T" --quiet | tee "$W/demo-quantcheck.txt"

"$E" demo --out "$W/bnset" --seed 11 --threads "$T" > /dev/null
[ -f "$W/b0/model.onnx" ] || "$PY" tests/int8/bn-calibrated.py --images "$W/bnset/data/train/good" -o "$W/b0/model.onnx"
"$E" convert "$W/b0/model.onnx" -o "$W/b0.efm" > /dev/null
for tex in metal grid; do
    echo "== generated $tex set, B0 with data-calibrated BatchNorm"
    "$E" demo --out "$W/$tex" --seed 21 --texture $tex --threads "$T" > /dev/null
    "$E" convert "$W/b0/model.onnx" -o "$W/b0-$tex-int8.efm" --int8 --calib "$W/$tex/data/train/good" \
        --threads "$T" --quiet $A | tee "$W/b0-$tex-convert.txt" | sed -n '/^int8/,/^ *(/p;/int8:/p'
    "$E" fit "$W/b0.efm" "$W/$tex/data/train/good" -o "$W/b0-$tex.gauss" --threads "$T" --quiet > /dev/null
    "$E" quantcheck "$W/b0.efm" "$W/b0-$tex-int8.efm" "$W/$tex/data" --gauss "$W/b0-$tex.gauss" --threads "$T" \
        --quiet | tee "$W/b0-$tex-quantcheck.txt"
done
