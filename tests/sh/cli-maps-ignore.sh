#!/bin/sh
# Don't-care pixels (fit --maps --ignore MASK; src/gauss-maps.h): on the
# demo's hole, a mask over the hole leaves the raw map 0 there and every
# other pixel as the model without the mask has it (read from --save-maps'
# float file), the defect is gone and the rest of the verdicts stay; the
# mask travels in the .gauss (info, score's header, calibrate, merge) and
# with a region of interest it is drawn on the whole image; refusals.
NAME=cli-maps-ignore
. "$(dirname "$0")/lib/cli.sh"

effad demo --out "$T/demo" >/dev/null 2>&1 || bad "demo"
D=$T/demo/data
M=$T/demo/demo.efm
# rect X0 X1 Y0 [W H]: a P5 mask, bright inside x in X0..X1, y >= Y0
rect() {
    LC_ALL=C awk -v X0="$1" -v X1="$2" -v Y0="$3" -v W="${4:-128}" -v H="${5:-128}" 'BEGIN {
        printf "P5\n%d %d\n255\n", W, H
        for (y = 0; y < H; y++) for (x = 0; x < W; x++) printf "%c", (x >= X0 && x <= X1 && y >= Y0) ? 255 : 0
    }'
}
fit() { effad fit "$M" "$D/train/good" --preprocess paper --maps --holdout 0.25 --quiet "$@" >/dev/null 2>"$T/fit.err" ||
            bad "fit $*: $(cat "$T/fit.err")"; }
fit -o "$T/a.gauss"
effad score --json "$T/a.gauss" "$M" "$D/test/hole/000.png" --save-maps "$T/ra" > "$T/a.jsonl" 2>/dev/null
bbox=$(grep -o '"bbox":\[[0-9,]*\]' "$T/a.jsonl" | head -n 1 | tr -d '"bbox:[]')
[ -n "$bbox" ] || bad "the hole has no region without a mask: the test cannot tell ($(cat "$T/a.jsonl"))"
# a mask a little larger than the hole's region
set -- $(echo "$bbox" | tr , ' ')
X0=$(($1 - 6)); X1=$(($3 + 6)); Y0=$(($2 - 6))
rect $X0 $X1 $Y0 > "$T/ign.pgm"
fit -o "$T/b.gauss" --ignore "$T/ign.pgm"
effad score --json "$T/b.gauss" "$M" "$D/test/hole/000.png" --save-maps "$T/rb" > "$T/b.jsonl" 2>/dev/null
grep '"score"' "$T/b.jsonl" | grep -q '"defects":0,"anomalous":false' || bad "the hole under the mask is still a defect: $(cat "$T/b.jsonl")"
head -n 1 "$T/b.jsonl" | grep -q "\"ignore\":{\"w\":128,\"h\":128,\"pixels\":" || bad "score's header lacks the mask"
od -An -v -tx4 -w4 "$T/ra/000.map.f32" > "$T/ra.x"; od -An -v -tx4 -w4 "$T/rb/000.map.f32" > "$T/rb.x"
counts=$(paste "$T/ra.x" "$T/rb.x" | awk -v X0=$X0 -v X1=$X1 -v Y0=$Y0 '{
    i = NR - 1; x = i % 128; y = int(i / 128)
    if (x >= X0 && x <= X1 && y >= Y0) { n_in++; if ($2 != "00000000") bad_in++ } else { n_out++; if ($1 != $2) bad_out++ }
} END { print n_in + 0, bad_in + 0, n_out + 0, bad_out + 0 }')
set -- $counts
[ "$1" -gt 0 ] && [ "$2" -eq 0 ] && [ "$4" -eq 0 ] && [ $(($1 + $3)) -eq 16384 ] ||
    bad "the masked map is not 0 inside and the unmasked map outside (inside $1, not 0: $2; outside $3, differing: $4)"
# other images: the verdicts of the model without the mask, but for the hole
effad score --json "$T/a.gauss" "$M" "$D/test" 2>/dev/null | grep '"score"' | grep -v 'hole/000' |
    sed 's/.*"file":"\([^"]*\)".*"anomalous":\([a-z]*\),"image_anomalous".*/\1 \2/' > "$T/va"
effad score --json "$T/b.gauss" "$M" "$D/test" 2>/dev/null | grep '"score"' | grep -v 'hole/000' |
    sed 's/.*"file":"\([^"]*\)".*"anomalous":\([a-z]*\),"image_anomalous".*/\1 \2/' > "$T/vb"
[ -s "$T/va" ] && cmp -s "$T/va" "$T/vb" || bad "the mask changed other images' verdicts: $(diff "$T/va" "$T/vb" | head -4)"

effad info "$T/b.gauss" | grep -q "don't-care pixels: [0-9]* of 128x128" || bad "info: $(effad info "$T/b.gauss")"
# eval leaves the don't-care pixels out of pixel AUROC and PRO (their
# values against scikit-learn: tests/reference/maps-vs-ref.sh); here the
# count, every test image's masked pixels, and that it is said
marked=$(od -An -v -tu1 -w1 "$T/ign.pgm" | tail -n 16384 | grep -c 255)
n_test=$(find "$D/test" -name '*.png' | wc -l)
effad eval "$T/b.gauss" "$M" "$D" --out "$T/eb" > "$T/eb.txt" 2>&1 || bad "eval a masked model: $(cat "$T/eb.txt")"
grep -q "; $((marked * n_test)) don't-care pixels left out)" "$T/eb.txt" || bad "eval's table: $(grep -i pixel "$T/eb.txt")"
grep -q "\"pixels_left_out\":$((marked * n_test))[,}]" "$T/eb/report.json" || bad "report.json lacks the pixels left out"
effad eval "$T/a.gauss" "$M" "$D" --out "$T/ea" > "$T/ea.txt" 2>&1 || bad "eval the unmasked model"
grep -q "left out" "$T/ea.txt" "$T/ea/report.json" && bad "eval of a model without a mask says pixels were left out"
effad info "$T/a.gauss" | grep -q "don't-care" && bad "info shows a mask for a model without one"
effad calibrate "$T/b.gauss" "$M" "$D/test/good" -o "$T/bc.gauss" >/dev/null 2>&1 || bad "calibrate a masked model"
effad info "$T/bc.gauss" | grep -q "don't-care pixels" || bad "calibrate dropped the mask"
fit -o "$T/b2.gauss" --ignore "$T/ign.pgm"
effad merge "$T/b.gauss" "$T/b2.gauss" -o "$T/bm.gauss" >/dev/null 2>&1 || bad "merge two fits with the same mask"
expect_fail "merge across masks" "don't-care pixels" effad merge "$T/a.gauss" "$T/b.gauss" -o "$T/x.gauss"

# an image of another size: an error record naming both sizes; the batch goes on
rect 0 0 0 64 64 > "$T/small.pgm"
effad score --json "$T/b.gauss" "$M" "$T/small.pgm" "$D/test/good/000.png" > "$T/s.jsonl" 2>/dev/null
[ $? -eq 4 ] || bad "an image of another size: not exit 4"
grep -q "small.pgm\",\"error\":\"the model's don't-care mask is 128x128, this image 64x64\"" "$T/s.jsonl" || bad "size: $(cat "$T/s.jsonl")"
grep -q '"score"' "$T/s.jsonl" || bad "the batch stopped"

# with a region of interest the mask is drawn on the whole image, then cut
fit -o "$T/r.gauss" --roi 16,16,96,96 --ignore "$T/ign.pgm"
effad score --json "$T/r.gauss" "$M" "$D/test/hole/000.png" --save-maps "$T/rr" >/dev/null 2>&1 || bad "score region + mask"
set -- $(od -An -v -tx4 -w4 "$T/rr/000.map.f32" | awk -v X0=$((X0 - 16)) -v X1=$((X1 - 16)) -v Y0=$((Y0 - 16)) '{
    i = NR - 1; x = i % 96; y = int(i / 96)
    inm = x >= X0 && x <= X1 && y >= Y0
    if (inm && $1 != "00000000") bad_in++; if (!inm && $1 == "00000000") zero_out++; n++
} END { print n + 0, bad_in + 0, zero_out + 0 }')
[ "$1" -eq 9216 ] && [ "$2" -eq 0 ] && [ "$3" -eq 0 ] || bad "the mask is not cut to the region: $1 pixels, $2 not 0 inside, $3 zero outside"
rect 0 10 0 100 100 > "$T/short.pgm"
expect_fail "a mask short of the region" "short.pgm: the image is 100x100, and the region of interest 16,16,96,96" \
    effad fit "$M" "$D/train/good" -o "$T/x.gauss" --maps --roi 16,16,96,96 --ignore "$T/short.pgm"

expect_fail "--ignore without --maps" "--ignore marks pixels of the --maps" effad fit "$M" "$D/train/good" -o "$T/x.gauss" --ignore "$T/ign.pgm"
rect 200 200 200 > "$T/none.pgm"
expect_fail "a mask of nothing" "none.pgm: the don't-care mask (128x128) marks no pixel" \
    effad fit "$M" "$D/train/good" -o "$T/x.gauss" --maps --ignore "$T/none.pgm"
rect 0 127 0 > "$T/all.pgm"
expect_fail "a mask of everything" "marks every pixel" effad fit "$M" "$D/train/good" -o "$T/x.gauss" --maps --ignore "$T/all.pgm"
expect_fail "a missing mask" "nope.pgm" effad fit "$M" "$D/train/good" -o "$T/x.gauss" --maps --ignore "$T/nope.pgm"
[ -e "$T/x.gauss" ] && bad "a refused fit wrote its output"
exit $fail
