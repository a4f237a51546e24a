#!/bin/sh
# run-all.sh [WORKDIR] -- the reference pipelines on the tiny golden models,
# with self-checks.  Needs /usr/bin/python3 (Debian: torch, torchvision,
# onnx, sklearn, scipy, cv2, PIL) and node + onnxruntime-node under
# $EFFAD_ORT_DIR (default build/ort).  Writes WORKDIR (default
# build/reference): data/ (synthetic images), <case>-{ailia,paper}.jsonl,
# model-taps-start.onnx files.  Exit non-zero on any failed check.
set -eu
cd "$(dirname "$0")/../.."
W=${1:-build/reference}
P=/usr/bin/python3
R=tests/reference
mkdir -p "$W"
t0=$(date +%s)
$P $R/make-images.py "$W/data"
for c in tiny-tv-bn tiny-tv-fold tiny-lm-static tiny-lm-dynamic tiny-tv-op17; do
    G=tests/golden/$c
    $P $R/ailia_ref.py --onnx $G/model.onnx --data "$W/data" --out "$W/$c-ailia.jsonl" \
        --taps-out "$W/$c-taps-start.onnx" --train-scores
    $P $R/paper_ref.py --onnx $G/model.onnx --data "$W/data" --out "$W/$c-paper.jsonl" --train-scores
done
# same weights, BN in the graph vs folded: must agree to float rounding
python3 $R/compare.py "$W/tiny-tv-bn-ailia.jsonl" "$W/tiny-tv-fold-ailia.jsonl" --rtol 1e-4
python3 $R/compare.py "$W/tiny-tv-bn-paper.jsonl" "$W/tiny-tv-fold-paper.jsonl" --rtol 1e-4
# the committed stage-start taps model gives the same as the one built here
$P $R/ailia_ref.py --onnx tests/golden/tiny-tv-bn/model-taps-start.onnx --data "$W/data" \
    --out "$W/tiny-tv-bn-ailia-given.jsonl" --train-scores
python3 $R/compare.py "$W/tiny-tv-bn-ailia-given.jsonl" "$W/tiny-tv-bn-ailia.jsonl" --rtol 0 --quiet
# --levels-from levels.txt gives the same as discovery
$P $R/paper_ref.py --onnx tests/golden/tiny-lm-static/model.onnx --data "$W/data" \
    --levels-from tests/golden/tiny-lm-static/levels.txt --out "$W/tiny-lm-static-paper-lf.jsonl"
python3 $R/compare.py "$W/tiny-lm-static-paper-lf.jsonl" "$W/tiny-lm-static-paper.jsonl" --rtol 0 --allow-missing --quiet
# float32 fit (what the original scripts do) stays far inside 1e-3
$P $R/ailia_ref.py --onnx tests/golden/tiny-tv-bn/model-taps-start.onnx --data "$W/data" \
    --out "$W/tiny-tv-bn-ailia-f32.jsonl" --dtype float32
python3 $R/compare.py "$W/tiny-tv-bn-ailia-f32.jsonl" "$W/tiny-tv-bn-ailia.jsonl" --rtol 1e-4 --allow-missing --quiet
$P $R/paper_ref.py --onnx tests/golden/tiny-tv-bn/model.onnx --data "$W/data" \
    --out "$W/tiny-tv-bn-paper-f32.jsonl" --dtype float32
python3 $R/compare.py "$W/tiny-tv-bn-paper-f32.jsonl" "$W/tiny-tv-bn-paper.jsonl" --rtol 1e-4 --allow-missing --quiet
echo "run-all.sh: OK in $(( $(date +%s) - t0 )) s -> $W"
