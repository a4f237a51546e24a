#!/bin/sh
# maps-vs-ref.sh [WORKDIR] -- effad's anomaly maps (fit --maps --holdout,
# score --json --save-maps, eval) against tests/reference/maps_ref.py on
# the synthetic image set (make-images.py: non-square, grey, RGBA, palette,
# 16-bit PNGs, with masks), both geometries (ailia: short-side resize and
# centre crop; paper: resize to the input) and both covariances, with and
# without a channel subset. Fails when a map differs by more than 1e-3
# relative, or the pixel threshold, a region list, pixel AUROC or PRO
# differ (tests/reference/compare-maps.py); two cases with a region of
# interest (the reference cuts each image and mask right after reading),
# one of them with don't-care pixels (fit --ignore: a band and a block over
# the region, drawn on the whole frame; the reference zeroes the map there
# and leaves those pixels out of pixel AUROC and PRO).
set -eu
cd "$(dirname "$0")/../.."
W=$(mkdir -p "${1:-build/reference}" && cd "${1:-build/reference}" && pwd)
P=/usr/bin/python3
R=tests/reference
E=$(pwd)/build/effad
[ -d "$W/data/train" ] || $P $R/make-images.py "$W/data"
fail=0
# each preset's reference reads 16-bit images its own way (effad-vs-ref.sh)
sixteen() { case $1 in ailia) ;; mahalanobisad) echo --pil-16bit ;; paper) echo --opencv-16bit ;; esac; }
# don't-care mask for a region X,Y,W,H: (X+W) x (Y+H), a band of columns
# and a block, both across the region's middle, where the defects are
ignore_mask() {
    $P -c 'import sys, numpy as np; from PIL import Image
x, y, w, h = (int(v) for v in sys.argv[1].split(","))
m = np.zeros((y + h, x + w), np.uint8)
m[:, x + w // 3: x + w // 3 + 6] = 255
m[y + h // 2: y + h // 2 + 20, x + w // 2: x + w // 2 + 25] = 255
Image.fromarray(m, "L").save(sys.argv[2])' "$1" "$2"
}
# case: model preset covariance dims seed region-of-interest don't-care ("-": none)
while read -r c preset cov dims seed roi ign; do
    G=tests/golden/$c
    taps=stage-end; [ "$preset" = ailia ] && taps=stage-start
    name=$c-$preset-maps
    opts="--map-cov $cov $(sixteen $preset)"; ref_opts="--cov $cov"
    if [ "$dims" != - ]; then opts="$opts --map-dims $dims --seed $seed"; ref_opts="$ref_opts --dims $dims --seed $seed"; fi
    if [ "$roi" != - ]; then opts="$opts --roi $roi"; ref_opts="$ref_opts --roi $roi"; name=$name-roi; fi
    if [ "$ign" != - ]; then
        ignore_mask "$roi" "$W/$name-ignore.png"
        opts="$opts --ignore $W/$name-ignore.png"; ref_opts="$ref_opts --ignore $W/$name-ignore.png"; name=$name-ignore
    fi
    $E convert $G/model.onnx -o "$W/$c-$taps.efm" --taps $taps >/dev/null
    rm -rf "$W/$name-ref" "$W/$name-effad"
    $P $R/maps_ref.py --onnx $G/model.onnx --data "$W/data" --preset $preset $ref_opts \
        --out "$W/$name.jsonl" --maps-dir "$W/$name-ref"
    # shellcheck disable=SC2086
    $E fit "$W/$c-$taps.efm" "$W/data/train/good" -o "$W/$name.gauss" --preprocess $preset --maps --holdout 0.2 $opts --quiet >/dev/null
    # shellcheck disable=SC2046
    (cd "$W/data" && $E score --json "$W/$name.gauss" "$W/$c-$taps.efm" test --save-maps "$W/$name-effad" --verdict image \
        $(sixteen $preset)) \
        > "$W/$name-effad.jsonl"
    # shellcheck disable=SC2046
    $E eval "$W/$name.gauss" "$W/$c-$taps.efm" "$W/data" --out "$W/$name-report" --quiet $(sixteen $preset) >/dev/null
    echo "== $c $preset $cov dims $dims roi $roi don't-care $ign"
    $P $R/compare-maps.py "$W/$name-effad.jsonl" "$W/$name.jsonl" --report "$W/$name-report/report.json" || fail=1
done <<CASES
tiny-tv-bn ailia eps - - - -
tiny-tv-bn paper lw 20 3 - -
tiny-lm-static ailia lw 16 5 - -
tiny-lm-static paper eps - - - -
tiny-tv-bn ailia eps - - 7,5,97,93 -
tiny-tv-bn paper lw 20 3 9,11,101,90 -
tiny-tv-bn paper lw 20 3 9,11,101,90 band
CASES
exit $fail
