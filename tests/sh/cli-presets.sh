#!/bin/sh
# Presets named after what they reproduce, and nothing hidden silently:
# - fit/score warn once per run when the preset's crop drops more than a
#   quarter of an image, naming the preset that keeps the whole image;
#   'paper' (no crop) does not warn;
# - the --save figure outlines the crop window (pixel-level checks are in
#   tests/unit/test-figure-crop.c; here: the figure differs from paper's);
# - 16-bit grey: the default scales, --pil-16bit clips and says so once,
#   --pil-16bit and --opencv-16bit exclude each other;
# - a .gauss written before the rename (format version 1) loads under the
#   preset's new name and says so; old names are refused for new fits.
NAME=cli-presets
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
G=tests/golden/tiny-tv-bn
effad convert $G/model.onnx -o "$T/m.efm" --taps stage-start >/dev/null || bad "convert"
mkdir -p "$T/train" "$T/test16"
for f in $I/png-c2-d8.png $I/png-c3-d8.png $I/png-c6-d8.png $I/bmp-24.bmp $I/jpeg-444.jpg $I/jpeg-420.jpg; do
    cp "$f" "$T/train/"
done
cp $I/png-c0-d16.png "$T/test16/"

# --- the crop warning: once, naming the preset and the alternative
for preset in ailia mahalanobisad; do
    effad fit "$T/m.efm" "$T/train" -o "$T/$preset.gauss" --preprocess $preset --quiet >/dev/null 2>"$T/err" ||
        bad "fit $preset: $(cat "$T/err")"
    [ "$(grep -c "warning: preset '$preset' sees only the centre" "$T/err")" = 1 ] ||
        bad "fit $preset: not exactly one crop warning: $(cat "$T/err")"
    grep -q "'--preprocess paper' keeps the whole image" "$T/err" || bad "fit $preset: warning names no alternative"
done
effad fit "$T/m.efm" "$T/train" -o "$T/paper.gauss" --preprocess paper --quiet >/dev/null 2>"$T/err" || bad "fit paper"
grep -q "warning" "$T/err" && bad "paper warned: $(cat "$T/err")"
effad score "$T/ailia.gauss" "$T/m.efm" "$T/train" --quiet >/dev/null 2>"$T/err" || bad "score ailia"
[ "$(grep -c "sees only the centre" "$T/err")" = 1 ] || bad "score: not exactly one crop warning: $(cat "$T/err")"

# --- the figure marks the window: a cropping preset's figure differs from the same image's under paper
effad score "$T/ailia.gauss" "$T/m.efm" "$T/train/png-c2-d8.png" --save "$T/fa" --quiet >/dev/null 2>&1 || bad "score --save ailia"
effad score "$T/paper.gauss" "$T/m.efm" "$T/train/png-c2-d8.png" --save "$T/fp" --quiet --threshold 5.5 >/dev/null 2>&1 ||
    bad "score --save paper"
effad score "$T/ailia.gauss" "$T/m.efm" "$T/train/png-c2-d8.png" --save "$T/fb" --quiet --threshold 5.5 >/dev/null 2>&1
[ -s "$T/fa/png-c2-d8.png" ] && [ -s "$T/fp/png-c2-d8.png" ] || bad "score --save wrote no figure"
cmp -s "$T/fb/png-c2-d8.png" "$T/fp/png-c2-d8.png" && bad "ailia figure shows no crop window"

# --- 16-bit grey: scaled by default, clipped (with a warning) on request
effad score "$T/mahalanobisad.gauss" "$T/m.efm" "$T/test16" --json >"$T/s16.jsonl" 2>"$T/err" || bad "score 16-bit"
grep -q "clips" "$T/err" && bad "default 16-bit rule warned about clipping"
effad score "$T/mahalanobisad.gauss" "$T/m.efm" "$T/test16" --json --pil-16bit >"$T/p16.jsonl" 2>"$T/err" ||
    bad "score --pil-16bit"
[ "$(grep -c "pil-16bit clips .* 16-bit grey image .*png-c0-d16.png to white" "$T/err")" = 1 ] ||
    bad "--pil-16bit: no clipping warning: $(cat "$T/err")"
effad score "$T/mahalanobisad.gauss" "$T/m.efm" "$T/test16" --json --opencv-16bit >"$T/o16.jsonl" 2>"$T/err" ||
    bad "score --opencv-16bit"
grep -q "clips" "$T/err" && bad "--opencv-16bit warned about clipping"
[ "$(sort -u "$T/s16.jsonl" "$T/p16.jsonl" "$T/o16.jsonl" | grep -c '"file"')" = 3 ] ||
    bad "the three 16-bit rules do not give three different scores"
expect_fail "two 16-bit rules" "exclude each other" effad score "$T/ailia.gauss" "$T/m.efm" "$T/test16" --pil-16bit --opencv-16bit

# --- presets by their new names; the old ones are refused for new fits
expect_fail "old name" "known: ailia, mahalanobisad, paper" effad fit "$T/m.efm" "$T/train" -o "$T/x.gauss" --preprocess ailia-floor
effad score "$T/ailia.gauss" "$T/m.efm" "$T/train" --json 2>/dev/null | head -n 1 | grep -q '"preset":"ailia"' ||
    bad "score header does not name preset ailia"

# --- a version-1 file: its "ailia" meant torchvision's rounding, today's "mahalanobisad".
# Turn a fresh file into one: version field 1, CRC-32 (gzip's trailer holds the same CRC) resealed.
v1=$T/v1.gauss
cp "$T/ailia.gauss" "$v1"
printf '\001' | dd of="$v1" bs=1 seek=8 conv=notrunc 2>/dev/null
printf '\000\000\000\000' | dd of="$v1" bs=1 seek=24 conv=notrunc 2>/dev/null
gzip -c "$v1" | tail -c 8 | head -c 4 > "$T/crc"
dd if="$T/crc" of="$v1" bs=1 seek=24 conv=notrunc 2>/dev/null
effad score "$v1" "$T/m.efm" "$T/train" --json >"$T/v1.jsonl" 2>"$T/err" || bad "score v1 file: $(cat "$T/err")"
grep -q "written by an older effad under the preset name 'ailia'; it holds what is now called 'mahalanobisad'" "$T/err" ||
    bad "v1 file: no note about the renamed preset: $(cat "$T/err")"
head -n 1 "$T/v1.jsonl" | grep -q '"preset":"mahalanobisad"' || bad "v1 file not scored as mahalanobisad"
expect_fail "v1 ailia is not today's ailia" "fitted with preprocessing 'mahalanobisad', not 'ailia'" \
    effad score "$v1" "$T/m.efm" "$T/train" --preprocess ailia
exit $fail
