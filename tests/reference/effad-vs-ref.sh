#!/bin/sh
# effad-vs-ref.sh [WORKDIR] -- every effad preset against its own Python
# reference on the synthetic image set (non-square, grey, RGBA, palette,
# 16-bit PNGs; make-images.py):
#   1. the network input, bit for bit (prep_check.py; needs PREP_DUMP, the
#      tool `make reference` builds from tests/reference/prep-dump.c);
#   2. fit + score end to end (ailia_ref.py --preset ailia|mahalanobisad,
#      paper_ref.py): exit non-zero when any per-image score, per-level
#      distance or threshold differs by more than 1e-3 relative;
#   3. the same with a region of interest (effad fit --roi; the references
#      crop each image right after reading it, as their users would).
# Each preset runs with the 16-bit option its original follows
# (presets.RGB16: none for ailia, --pil-16bit, --opencv-16bit).
# Needs what run-all.sh needs, and build/effad.
set -eu
cd "$(dirname "$0")/../.."
W=$(cd "${1:-build/reference}" 2>/dev/null && pwd || (mkdir -p "${1:-build/reference}" && cd "${1:-build/reference}" && pwd))
P=/usr/bin/python3
R=tests/reference
E=$(pwd)/build/effad
PREP_DUMP=${PREP_DUMP:-$(pwd)/build/prep-dump}
# the image set is regenerated when make-images.py is newer (its sizes decide which crops differ)
[ -d "$W/data/train" ] && [ "$W/data/train" -nt $R/make-images.py ] || { rm -f "$W"/*.jsonl; $P $R/make-images.py "$W/data"; }
fail=0
$P $R/prep_check.py "$W/data" "$PREP_DUMP" || fail=1
# a cached reference output is reused only when newer than the code that made it
fresh() { for f in presets.py refcommon.py ailia_ref.py paper_ref.py; do [ "$1" -nt $R/$f ] || return 1; done; }
sixteen() { case $1 in ailia) ;; mahalanobisad) echo --pil-16bit ;; paper) echo --opencv-16bit ;; esac; }
for c in tiny-tv-bn tiny-lm-static; do
    G=tests/golden/$c
    for preset in ailia mahalanobisad; do
        fresh "$W/$c-$preset.jsonl" || $P $R/ailia_ref.py --onnx $G/model.onnx --preset $preset --data "$W/data" \
            --out "$W/$c-$preset.jsonl" --taps-out "$W/$c-taps-start.onnx"
    done
    fresh "$W/$c-paper.jsonl" || $P $R/paper_ref.py --onnx $G/model.onnx --data "$W/data" --out "$W/$c-paper.jsonl"
    # ailia and mahalanobisad: MahalanobisAD's stage-start levels; paper: stage-end
    $E convert $G/model.onnx -o "$W/$c-start.efm" --taps stage-start >/dev/null
    $E convert $G/model.onnx -o "$W/$c-end.efm" --taps stage-end >/dev/null
    for preset in ailia mahalanobisad paper; do
        m="$W/$c-start.efm"; [ $preset = paper ] && m="$W/$c-end.efm"
        $E fit "$m" "$W/data/train/good" -o "$W/$c-$preset.gauss" --preprocess $preset $(sixteen $preset) --quiet \
            >/dev/null 2>"$W/$c-$preset-fit.err" || { cat "$W/$c-$preset-fit.err"; fail=1; continue; }
        (cd "$W/data" && $E score --json "$W/$c-$preset.gauss" "$m" test $(sixteen $preset) 2>/dev/null) \
            > "$W/$c-$preset-effad.jsonl"
        echo "== $c $preset $(sixteen $preset)"
        python3 $R/compare.py "$W/$c-$preset-effad.jsonl" "$W/$c-$preset.jsonl" --rtol 1e-3 || fail=1
    done
done
# a region of interest inside every image of the set (the smallest is 110 x 110)
ROI=7,5,97,93
c=tiny-tv-bn; G=tests/golden/$c
for preset in ailia mahalanobisad paper; do
    ref="$W/$c-$preset-roi.jsonl"
    if ! fresh "$ref"; then
        if [ $preset = paper ]; then $P $R/paper_ref.py --onnx $G/model.onnx --data "$W/data" --out "$ref" --roi $ROI
        else $P $R/ailia_ref.py --onnx $G/model.onnx --preset $preset --data "$W/data" --out "$ref" --roi $ROI \
                 --taps-out "$W/$c-taps-start.onnx"; fi
    fi
    m="$W/$c-start.efm"; [ $preset = paper ] && m="$W/$c-end.efm"
    $E fit "$m" "$W/data/train/good" -o "$W/$c-$preset-roi.gauss" --preprocess $preset $(sixteen $preset) --roi $ROI \
        --quiet >/dev/null 2>"$W/$c-$preset-roi-fit.err" || { cat "$W/$c-$preset-roi-fit.err"; fail=1; continue; }
    (cd "$W/data" && $E score --json "$W/$c-$preset-roi.gauss" "$m" test $(sixteen $preset) 2>/dev/null) \
        > "$W/$c-$preset-roi-effad.jsonl"
    echo "== $c $preset $(sixteen $preset) --roi $ROI"
    python3 $R/compare.py "$W/$c-$preset-roi-effad.jsonl" "$ref" --rtol 1e-3 || fail=1
done
exit $fail
