#!/bin/sh
# Seed corpora for the fuzz harnesses, from the fixtures the tests already
# have (see tests/fuzz/README.md):
#
#   sh tests/fuzz/make-seeds.sh [OUT]     OUT/<name>/ per harness (default build/fuzz/seeds)
#   sh tests/fuzz/make-seeds.sh --refresh rewrite the committed seeds, tests/fuzz/seeds/
#
# OUT/<name>/ gets the committed seeds tests/fuzz/seeds/<name>/ plus:
#   image-png, -jpeg, -bmp, -pnm   every fixture of that format in tests/data/images/
#   onnx    tests/data/onnx/ (odd encodings, refusals) and the golden models
#   onnx-qdq the QDQ files of tests/int8/ (ONNX Runtime's and effad's own)
#   efm     each committed ONNX seed converted with each tap rule, and int8 ones
#           (uint8 activations, weight-only blocks, int16 activations)
#   gauss   fits of the tv-bn-op11 seed model on PNG fixtures: every level with
#           statistics and training features, one level, no features, a merge,
#           a region of interest, alignment (--align), per-location
#           Gaussians (--maps), with don't-care pixels (--ignore)
# The efm and gauss seeds need build/effad (`make`); a harness added later
# only needs its committed seeds directory (or a case below).
#
# --refresh regenerates tests/fuzz/seeds/{efm,gauss}/ (after a format change
# of .efm or .gauss: the committed ones would then be refused at the header)
# and the small copies of image fixtures under tests/fuzz/seeds/image-*/.
# The ONNX seeds come from tests/fuzz/gen-onnx-seeds.py.
set -eu
cd "$(dirname "$0")/../.."
EFFAD=${EFFAD:-build/effad}
IMG=tests/data/images

[ -x "$EFFAD" ] || { echo "make-seeds: $EFFAD not built (run make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# efm_seeds DIR: the committed ONNX seeds converted, one file per tap rule
efm_seeds() {
    for onnx in tests/fuzz/seeds/onnx/*.onnx; do
        for taps in auto stage-start; do
            "$EFFAD" convert "$onnx" --taps "$taps" -o "$1/$(basename "$onnx" .onnx)-$taps.efm" >/dev/null
        done
    done
    # an int8 model (quantised weights, activation scales), calibrated on
    # two PNG fixtures
    mkdir -p "$tmp/calib"
    cp "$IMG"/png-c2-d8.png "$IMG"/png-c6-d8.png "$tmp/calib/"
    "$EFFAD" convert tests/fuzz/seeds/onnx/tv-bn-op11.onnx --int8 --calib "$tmp/calib" --quiet \
        -o "$1/tv-bn-op11-int8.efm" >/dev/null
    # with weight-only blocks (int8 weights under float32 activations)
    "$EFFAD" convert tests/fuzz/seeds/onnx/tv-bn-op11.onnx --int8 --weight-only 1,head --calib "$tmp/calib" --quiet \
        -o "$1/tv-bn-op11-w8.efm" >/dev/null
    # and with int16 activations (the 16x8 layers)
    "$EFFAD" convert tests/fuzz/seeds/onnx/tv-bn-op11.onnx --int8 --act-bits 16 --calib "$tmp/calib" --quiet \
        -o "$1/tv-bn-op11-a16.efm" >/dev/null
}

# gauss_seeds DIR: small fits (dimensions 4..16) of the tv-bn-op11 seed model
gauss_seeds() {
    "$EFFAD" convert tests/fuzz/seeds/onnx/tv-bn-op11.onnx -o "$tmp/m.efm" >/dev/null
    set -- "$1" "$IMG"/png-c2-d8.png "$IMG"/png-c6-d8.png "$IMG"/png-c0-d8.png "$IMG"/png-c3-d4.png \
           "$IMG"/png-c4-d8.png "$IMG"/png-c2-d16.png "$IMG"/png-c3-trns.png "$IMG"/png-c0-trns.png
    out=$1; shift
    "$EFFAD" fit "$tmp/m.efm" "$@" --levels 1,3 --quiet -o "$out/levels-1-3.gauss" >/dev/null
    "$EFFAD" fit "$tmp/m.efm" "$@" --levels 1 --no-features --preprocess paper --quiet -o "$out/paper-nofeat.gauss" >/dev/null
    # a region of interest in the preset string (";roi=X,Y,W,H")
    "$EFFAD" fit "$tmp/m.efm" "$@" --levels 1 --no-features --preprocess paper --roi 2,1,15,11 --quiet \
        -o "$out/paper-roi.gauss" >/dev/null
    # alignment: ";align=2" after the region, and the template section at the end
    "$EFFAD" fit "$tmp/m.efm" "$@" --levels 1 --no-features --preprocess paper --align 2 --quiet \
        -o "$out/paper-align.gauss" >/dev/null
    "$EFFAD" fit "$tmp/m.efm" "$1" "$2" "$3" "$4" --levels 1,3 --quiet -o "$tmp/a.gauss" >/dev/null
    "$EFFAD" fit "$tmp/m.efm" "$5" "$6" "$7" "$8" --levels 1,3 --quiet -o "$tmp/b.gauss" >/dev/null
    "$EFFAD" merge "$tmp/a.gauss" "$tmp/b.gauss" --sigma 2 -o "$out/merged.gauss" >/dev/null
    # with per-location Gaussians (the map section), on a 4x4 grid
    "$EFFAD" fit "$tmp/m.efm" "$@" --levels 1,3 --maps --map-grid 4x4 --map-dims 4 --quiet -o "$out/maps.gauss" >/dev/null
    # and don't-care pixels (a 19x13 mask, the fixtures' size)
    LC_ALL=C awk 'BEGIN { printf "P5\n19 13\n255\n"; for (i = 0; i < 247; i++) printf "%c", i % 19 < 5 ? 255 : 0 }' > "$tmp/ign.pgm"
    "$EFFAD" fit "$tmp/m.efm" "$@" --levels 1 --maps --map-grid 4x4 --map-dims 4 --no-features --ignore "$tmp/ign.pgm" \
        --quiet -o "$out/maps-ignore.gauss" >/dev/null
}

if [ "${1:-}" = "--refresh" ]; then
    S=tests/fuzz/seeds
    rm -rf "$S/efm" "$S/gauss" "$S/image-png" "$S/image-jpeg" "$S/image-bmp" "$S/image-pnm"
    mkdir -p "$S/efm" "$S/gauss" "$S/image-png" "$S/image-jpeg" "$S/image-bmp" "$S/image-pnm"
    efm_seeds "$tmp"
    cp "$tmp/tv-bn-op11-auto.efm" "$tmp/lm-dynpad-stage-start.efm" "$tmp/taps-auto.efm" "$tmp/tv-bn-op11-int8.efm" \
       "$tmp/tv-bn-op11-a16.efm" "$tmp/tv-bn-op11-w8.efm" "$S/efm/"
    gauss_seeds "$tmp"
    cp "$tmp/levels-1-3.gauss" "$tmp/paper-nofeat.gauss" "$tmp/paper-roi.gauss" "$tmp/paper-align.gauss" "$tmp/maps.gauss" \
       "$tmp/maps-ignore.gauss" "$S/gauss/"
    # the smallest fixture of each kind the decoders treat differently
    cp "$IMG"/png-tiny-1x1-i.png "$IMG"/png-c3-d1.png "$IMG"/png-c3-trns.png "$IMG"/png-c0-d16-i.png \
       "$IMG"/png-stored.png "$IMG"/png-fixed.png "$S/image-png/"
    cp "$IMG"/jpeg-420-narrow.jpg "$IMG"/jpeg-grey-rst.jpg "$IMG"/jpeg-422-opt-exif.jpg \
       "$IMG"/jpeg-prog-420-narrow.jpg "$S/image-jpeg/"
    cp "$IMG"/bmp-8-grey.bmp "$IMG"/bmp-8-palette.bmp "$IMG"/bmp-24-topdown.bmp "$IMG"/bmp-32-bitfields.bmp "$S/image-bmp/"
    cp "$IMG"/pbm-p1.pbm "$IMG"/pbm-p4.pbm "$IMG"/pgm-p2.pgm "$IMG"/pgm-p5-1000.pgm "$IMG"/ppm-p3-7.ppm \
       "$IMG"/ppm-p6-100.ppm "$S/image-pnm/"
    ls -l "$S"/*/ | awk 'NF > 5 { n++; b += $5 } END { print "make-seeds: " n " committed seeds, " b " bytes" }'
    exit 0
fi

OUT=${1:-build/fuzz/seeds}
rm -rf "$OUT"
for f in tests/fuzz/fuzz-*.c; do
    name=$(basename "$f" .c); name=${name#fuzz-}
    mkdir -p "$OUT/$name"
    [ -d "tests/fuzz/seeds/$name" ] && cp tests/fuzz/seeds/"$name"/* "$OUT/$name/" 2>/dev/null || true
    case $name in
    image-png)  cp "$IMG"/*.png "$IMG"/orient/*.png "$OUT/$name/" ;;
    image-jpeg) cp "$IMG"/*.jpg "$IMG"/orient/*.jpg "$OUT/$name/" ;;
    image-bmp)  cp "$IMG"/*.bmp "$OUT/$name/" ;;
    image-pnm)  cp "$IMG"/*.pbm "$IMG"/*.pgm "$IMG"/*.ppm "$OUT/$name/" ;;
    onnx)
        cp tests/data/onnx/*.onnx tests/data/onnx/*.pb "$OUT/$name/"
        for m in tests/golden/*/*.onnx; do cp "$m" "$OUT/$name/$(basename "$(dirname "$m")")-$(basename "$m")"; done ;;
    onnx-qdq) cp tests/int8/ort-qdq/*.onnx "$OUT/$name/"
        for m in tests/int8/*/qdq.onnx; do cp "$m" "$OUT/$name/$(basename "$(dirname "$m")")-qdq.onnx"; done ;;
    image-tiff) cp "$IMG"/*.tif "$IMG"/orient/*.tif "$OUT/$name/" 2>/dev/null || true ;;
    efm)   efm_seeds "$OUT/$name" ;;
    gauss) gauss_seeds "$OUT/$name" ;;
    esac
    echo "make-seeds: $name: $(ls "$OUT/$name" | wc -l) seeds"
done
