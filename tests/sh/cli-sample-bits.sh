#!/bin/sh
# How 16-bit images become 8-bit travels with the model (src/prep-spec.h):
# fit --sample-bits N (a camera's N-bit samples in 16-bit containers),
# --pil-16bit or --opencv-16bit is kept in the .gauss and score applies it
# by itself. Checked bit for bit: 16-bit PGMs of 12-bit samples fitted and
# scored with --sample-bits 12 against 8-bit PGMs that awk scaled itself,
# round(v * 255 / 4095); and the refusals and notes around it.
NAME=cli-sample-bits
. "$(dirname "$0")/lib/cli.sh"

# gen BITS W H SEED DEFECT: a P5 image; BITS 16: 12-bit samples (0..4095)
# in 16-bit big-endian words, as a Mono12 camera's frame saved by
# cv2.imwrite; BITS 8: the same scaled to 8 bits. DEFECT "x,y,w,h" set to
# the top of the range, or "-"; OVER > 0 puts that value at pixel (0, 0).
gen() {
    LC_ALL=C awk -v B="$1" -v W="$2" -v H="$3" -v S="$4" -v D="$5" -v OVER="${6:-0}" 'BEGIN {
        printf "P5\n%d %d\n%d\n", W, H, B == 16 ? 65535 : 255
        nd = split(D, d, ",")
        for (y = 0; y < H; y++) for (x = 0; x < W; x++) {
            n = sin(x * 12.9898 + y * 78.233 + S) * 43758.5453; n -= int(n)
            v = int(2048 + 900 * sin(x / 5.0 + S / 3) + 500 * sin(y / 3.0) + 400 * n)
            if (nd == 4 && x >= d[1] && x < d[1] + d[3] && y >= d[2] && y < d[2] + d[4]) v = 4095
            if (OVER > 0 && x == 0 && y == 0) v = OVER
            if (B == 16) printf "%c%c", int(v / 256), v % 256
            else { q = int(v * 255 / 4095 + 0.5); if (q > 255) q = 255; printf "%c", q }
        }
    }'
}
for b in 16 8; do
    mkdir -p "$T/d$b/train" "$T/d$b/test"
    for s in 1 2 3 4 5 6 7 8 9 10; do gen $b 96 80 $s - > "$T/d$b/train/$s.pgm"; done
    gen $b 96 80 21 - > "$T/d$b/test/g21.pgm"
    gen $b 96 80 22 - > "$T/d$b/test/g22.pgm"
    gen $b 96 80 31 40,30,12,10 > "$T/d$b/test/s31.pgm"
done
M=$T/m.efm
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$M" >/dev/null || bad "convert"

# 12-bit samples read with --sample-bits 12 are the 8-bit images awk made
effad fit "$M" "$T/d16/train" -o "$T/g12.gauss" --sample-bits 12 --preprocess paper --quiet >/dev/null 2>&1 || bad "fit --sample-bits 12"
effad fit "$M" "$T/d8/train" -o "$T/g8.gauss" --preprocess paper --quiet >/dev/null 2>&1 || bad "fit 8-bit"
effad score --json "$T/g12.gauss" "$M" "$T/d16/test" > "$T/s16.jsonl" 2>"$T/s16.err" || bad "score 16-bit: $(cat "$T/s16.err")"
effad score --json "$T/g8.gauss" "$M" "$T/d8/test" > "$T/s8.jsonl" 2>/dev/null || bad "score 8-bit"
grep '"score"' "$T/s16.jsonl" | sed 's/^{"file":"[^"]*",//' > "$T/a"
grep '"score"' "$T/s8.jsonl" | sed 's/^{"file":"[^"]*",//' > "$T/b"
[ "$(wc -l < "$T/a")" -eq 3 ] && cmp -s "$T/a" "$T/b" ||
    bad "12-bit images scored with the model's --sample-bits 12 differ from the same images scaled to 8 bits: $(diff "$T/a" "$T/b" | head -3)"
# the default rule would have seen a different, darker image
effad fit "$M" "$T/d16/train" -o "$T/gd.gauss" --preprocess paper --quiet >/dev/null 2>&1 || bad "fit default"
effad score --json "$T/gd.gauss" "$M" "$T/d16/test" 2>/dev/null | grep '"score"' | sed 's/^{"file":"[^"]*",//' > "$T/c"
cmp -s "$T/a" "$T/c" && bad "--sample-bits 12 changed nothing"

head -n 1 "$T/s16.jsonl" | grep -q '"preset":"paper","rgb16":"12",' || bad "the score header lacks the rule: $(head -n 1 "$T/s16.jsonl")"
head -n 1 "$T/s8.jsonl" | grep -q '"rgb16"' && bad "a default model's header names a rule"
effad info "$T/g12.gauss" | grep -q "16-bit      images read by the rule '12' (--sample-bits 12)" || bad "info: $(effad info "$T/g12.gauss")"
effad info "$T/gd.gauss" | grep -q "16-bit  " && bad "info names a rule for a default model"
effad score "$T/g12.gauss" "$M" "$T/d16/test/g21.pgm" --sample-bits 12 >/dev/null 2>&1 || bad "score --sample-bits 12 on its own model"
expect_fail "score --pil-16bit on a 12-bit model" "fitted with 16-bit images read by the rule '12', not 'pil'" \
    effad score "$T/g12.gauss" "$M" "$T/d16/test/g21.pgm" --pil-16bit
expect_fail "score --sample-bits 10 on a 12-bit model" "read by the rule '12', not '10'" \
    effad score "$T/g12.gauss" "$M" "$T/d16/test/g21.pgm" --sample-bits 10
# a model that does not say (the default, or an older effad): the rule asked for, with a note
effad score "$T/gd.gauss" "$M" "$T/d16/test/g21.pgm" --pil-16bit >/dev/null 2>"$T/n.err" || bad "score --pil-16bit on a default model"
grep -q "note: .*gd.gauss does not say how its 16-bit images were read" "$T/n.err" || bad "no note: $(cat "$T/n.err")"
effad score "$T/gd.gauss" "$M" "$T/d16/test/g21.pgm" >/dev/null 2>"$T/n.err"
grep -q "note:" "$T/n.err" && bad "a note without a rule asked for: $(cat "$T/n.err")"

# --opencv-16bit is kept too: scored without the option, as with it
effad fit "$M" "$T/d16/train" -o "$T/gp.gauss" --opencv-16bit --preprocess paper --quiet >/dev/null 2>&1 || bad "fit --opencv-16bit"
effad info "$T/gp.gauss" | grep -q "rule 'opencv' (--opencv-16bit)" || bad "info --opencv-16bit"
effad score --json "$T/gp.gauss" "$M" "$T/d16/test" 2>/dev/null | grep '"score"' > "$T/p1"
effad score --json "$T/gp.gauss" "$M" "$T/d16/test" --opencv-16bit 2>/dev/null | grep '"score"' > "$T/p2"
effad score --json "$T/gp.gauss" "$M" "$T/d16/test" --sample-bits 16 2>/dev/null | grep '"score"' > "$T/p3"
[ -s "$T/p1" ] && cmp -s "$T/p1" "$T/p2" || bad "an --opencv-16bit model scored without the option differs"
[ -s "$T/p3" ] && bad "an --opencv-16bit model was scored with the default rule"
expect_fail "merge across rules" "read 16-bit images by different rules (12 vs opencv)" \
    effad merge "$T/g12.gauss" "$T/gp.gauss" -o "$T/mm.gauss"
expect_fail "score --sample-bits 16 on an opencv model" "read by the rule 'opencv', not 'scale'" \
    effad score "$T/gp.gauss" "$M" "$T/d16/test/g21.pgm" --sample-bits 16
effad merge "$T/gd.gauss" "$T/g12.gauss" -o "$T/m2.gauss" >/dev/null 2>&1 || bad "merge a default model with a 12-bit one"
effad info "$T/m2.gauss" | grep -q "rule '12'" || bad "the merge does not keep the rule"

# a sample past the range is clipped, and said once
gen 16 96 80 23 - 5000 > "$T/over.pgm"
effad score "$T/g12.gauss" "$M" "$T/over.pgm" >/dev/null 2>"$T/o.err" || bad "score an over-range image"
grep -q "warning: --sample-bits 12: 1 pixels of .*over.pgm hold values above 4095, clipped to 255" "$T/o.err" ||
    bad "no over-range warning: $(cat "$T/o.err")"

for v in 8 17 x 12x; do
    expect_fail "--sample-bits $v" "bad --sample-bits '$v'" effad fit "$M" "$T/d16/train" -o "$T/x.gauss" --sample-bits "$v"
done
expect_fail "two rules" "exclude each other" effad fit "$M" "$T/d16/train" -o "$T/x.gauss" --sample-bits 12 --pil-16bit
[ -e "$T/x.gauss" ] && bad "a refused fit wrote its output"

# int8 calibration reads the images as fit does
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/q16.efm" --int8 --calib "$T/d16/train" --sample-bits 12 --preprocess paper >/dev/null 2>&1 ||
    bad "convert --int8 --sample-bits 12"
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/q8.efm" --int8 --calib "$T/d8/train" --preprocess paper >/dev/null 2>&1 ||
    bad "convert --int8 8-bit"
cmp -s "$T/q16.efm" "$T/q8.efm" || bad "int8 calibrated on 12-bit images with --sample-bits 12 differs from the 8-bit ones"

exit $fail
