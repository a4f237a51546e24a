#!/bin/sh
# effad-vs-ref.sh [WORKDIR] -- effad's fit + score against the Python
# reference pipelines (tests/reference/{ailia,paper}_ref.py), end to end,
# on the synthetic image set (non-square, grey, RGBA, palette, 16-bit PNGs).
# Needs what run-all.sh needs, and build/effad. Exit non-zero when any
# per-image score, per-level distance or threshold differs by more than
# 1e-3 relative.
set -eu
cd "$(dirname "$0")/../.."
W=$(cd "${1:-build/reference}" 2>/dev/null && pwd || (mkdir -p "${1:-build/reference}" && cd "${1:-build/reference}" && pwd))
P=/usr/bin/python3
R=tests/reference
E=$(pwd)/build/effad
[ -d "$W/data/train" ] || $P $R/make-images.py "$W/data"
fail=0
for c in tiny-tv-bn tiny-lm-static; do
    G=tests/golden/$c
    [ -f "$W/$c-ailia.jsonl" ] || $P $R/ailia_ref.py --onnx $G/model.onnx --data "$W/data" --out "$W/$c-ailia.jsonl"
    [ -f "$W/$c-paper.jsonl" ] || $P $R/paper_ref.py --onnx $G/model.onnx --data "$W/data" --out "$W/$c-paper.jsonl"
    # ailia: MahalanobisAD's stage-start levels; paper: stage-end
    $E convert $G/model.onnx -o "$W/$c-start.efm" --taps stage-start >/dev/null
    $E convert $G/model.onnx -o "$W/$c-end.efm" --taps stage-end >/dev/null
    for preset in ailia paper; do
        m="$W/$c-end.efm"; [ $preset = ailia ] && m="$W/$c-start.efm"
        $E fit "$m" "$W/data/train/good" -o "$W/$c-$preset.gauss" --preprocess $preset --quiet >/dev/null
        (cd "$W/data" && $E score --json "$W/$c-$preset.gauss" "$m" test) > "$W/$c-$preset-effad.jsonl"
        echo "== $c $preset"
        python3 $R/compare.py "$W/$c-$preset-effad.jsonl" "$W/$c-$preset.jsonl" --rtol 1e-3 || fail=1
    done
done
exit $fail
