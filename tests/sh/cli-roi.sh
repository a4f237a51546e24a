#!/bin/sh
# The region of interest (fit --roi X,Y,W,H; src/roi.h) end to end: a model
# fitted on camera frames with --roi scores, bit for bit, as one fitted on
# the same region cut out beforehand -- by a generator that draws the cut-out
# directly (awk, below), not by effad -- and carries its region to score,
# eval, --watch and convert --int8 by itself; its anomaly regions are
# reported in the frame's pixels; and its refusals name the problem.
NAME=cli-roi
. "$(dirname "$0")/lib/cli.sh"

# gen W H X0 Y0 SEED DEFECT: a P6 image of W x H pixels showing the scene
# from its pixel (X0, Y0) on; DEFECT "x,y,w,h" (scene pixels) painted
# bright, or "-". A frame is gen 150 120 0 0; its region 23,17,90,80 cut
# out is gen 90 80 23 17 with the same seed.
gen() {
    LC_ALL=C awk -v W="$1" -v H="$2" -v X0="$3" -v Y0="$4" -v S="$5" -v D="$6" 'BEGIN {
        printf "P6\n%d %d\n255\n", W, H
        nd = split(D, d, ",")
        for (j = 0; j < H; j++) for (i = 0; i < W; i++) {
            x = i + X0; y = j + Y0
            n = sin(x * 12.9898 + y * 78.233 + S) * 43758.5453; n -= int(n)
            v = 128 + 50 * sin(x / 6.0 + S / 3) + 30 * sin(y / 4.0) + 24 * n
            if (nd == 4 && x >= d[1] && x < d[1] + d[3] && y >= d[2] && y < d[2] + d[4]) v = 250
            r = int(v); if (r < 1) r = 1; if (r > 255) r = 255
            g = int(v * 0.8 + 20); if (g > 255) g = 255
            b = int(255 - v * 0.6); if (b < 1) b = 1
            printf "%c%c%c", r, g, b
        }
    }'
}
ROI=23,17,90,80
F=$T/frames; C=$T/crops
mkdir -p "$F/train/good" "$C/train/good" "$F/test/good" "$C/test/good" "$F/test/spot" "$C/test/spot"
for s in 1 2 3 4 5 6 7 8 9 10 11 12; do
    gen 150 120 0 0 $s - > "$F/train/good/$s.ppm"
    gen 90 80 23 17 $s - > "$C/train/good/$s.ppm"
done
for s in 21 22 23; do
    gen 150 120 0 0 $s - > "$F/test/good/$s.ppm"
    gen 90 80 23 17 $s - > "$C/test/good/$s.ppm"
done
for s in 31 32; do
    gen 150 120 0 0 $s 60,40,14,12 > "$F/test/spot/$s.ppm"
    gen 90 80 23 17 $s 60,40,14,12 > "$C/test/spot/$s.ppm"
done
# a defect outside the region: the frame must score as the clean one
gen 150 120 0 0 21 2,2,15,10 > "$T/outside.ppm"

M=$T/m.efm
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$M" >/dev/null || bad "convert"

# records without the file name: what must be equal
strip() { sed 's/^{"file":"[^"]*",//; s/^[^ ]* //' "$1"; }
for preset in ailia paper; do
    effad fit "$M" "$F/train/good" -o "$T/f-$preset.gauss" --roi $ROI --preprocess $preset --quiet >"$T/fit.txt" 2>/dev/null ||
        bad "$preset: fit --roi"
    grep -q "preprocessing $preset of the region $ROI ->" "$T/fit.txt" || bad "$preset: fit does not name the region: $(cat "$T/fit.txt")"
    effad fit "$M" "$C/train/good" -o "$T/c-$preset.gauss" --preprocess $preset --quiet >/dev/null 2>&1 || bad "$preset: fit on crops"
    effad score --json "$T/f-$preset.gauss" "$M" "$F/test/good" "$F/test/spot" > "$T/f.jsonl" 2>/dev/null || bad "$preset: score frames"
    effad score --json "$T/c-$preset.gauss" "$M" "$C/test/good" "$C/test/spot" > "$T/c.jsonl" 2>/dev/null || bad "$preset: score crops"
    [ "$(wc -l < "$T/f.jsonl")" -eq 7 ] || bad "$preset: $(wc -l < "$T/f.jsonl") records, not header + 5 + summary"
    head -n 1 "$T/f.jsonl" | grep -q "\"preset\":\"$preset\",\"roi\":\[23,17,90,80\]," || bad "$preset: the header lacks the region: $(head -n 1 "$T/f.jsonl")"
    head -n 1 "$T/c.jsonl" | grep -q '"roi"' && bad "$preset: a model without a region reports one"
    sed 1d "$T/f.jsonl" | grep -v '"kind"' > "$T/f.rec"; sed 1d "$T/c.jsonl" | grep -v '"kind"' > "$T/c.rec"
    strip "$T/f.rec" > "$T/f.s"; strip "$T/c.rec" > "$T/c.s"
    cmp -s "$T/f.s" "$T/c.s" || bad "$preset: frames with --roi score otherwise than the cut-out regions: $(diff "$T/f.s" "$T/c.s" | head -4)"
    grep -q '"score":' "$T/f.s" || bad "$preset: no scores"
    # the training statistics too: the two files differ only in the preset string
    [ $(( $(wc -c < "$T/f-$preset.gauss") - $(wc -c < "$T/c-$preset.gauss") )) -le 24 ] || bad "$preset: .gauss sizes differ by more than the region's text"
done

# the region outside does not count
effad score --json "$T/f-ailia.gauss" "$M" "$F/test/good/21.ppm" "$T/outside.ppm" > "$T/o.jsonl" 2>/dev/null || bad "score outside"
[ "$(grep -c '"score":' "$T/o.jsonl")" -eq 2 ] || bad "outside: not two records"
[ "$(grep '"score":' "$T/o.jsonl" | sed 's/^{"file":"[^"]*",//' | sort -u | wc -l)" -eq 1 ] ||
    bad "a defect outside the region changed the score: $(cat "$T/o.jsonl")"

# the .gauss keeps it: info, text header, eval, --watch
effad info "$T/f-ailia.gauss" | grep -q "region      90x80 at (23,17) of each image: --roi $ROI" || bad "info: $(effad info "$T/f-ailia.gauss")"
effad info "$T/c-ailia.gauss" | grep -q "region  " && bad "info shows a region for a model without one"
effad score "$T/f-ailia.gauss" "$M" "$F/test/good/21.ppm" 2>/dev/null | head -n 1 | grep -q ", region of interest $ROI," || bad "text header lacks the region"
effad eval "$T/f-ailia.gauss" "$M" "$F" -o "$T/ev-f" >"$T/ev-f.txt" 2>&1 || bad "eval frames: $(cat "$T/ev-f.txt")"
effad eval "$T/c-ailia.gauss" "$M" "$C" -o "$T/ev-c" >"$T/ev-c.txt" 2>&1 || bad "eval crops: $(cat "$T/ev-c.txt")"
grep -q "preprocessing ailia of the region $ROI)" "$T/ev-f.txt" || bad "eval does not name the region: $(head -n 2 "$T/ev-f.txt")"
grep -q '"roi":\[23,17,90,80\]' "$T/ev-f/report.json" || bad "report.json lacks the region"
cut -d, -f2- "$T/ev-f/scores.csv" > "$T/ev-f.csv"; cut -d, -f2- "$T/ev-c/scores.csv" > "$T/ev-c.csv"
[ "$(wc -l < "$T/ev-f.csv")" -eq 6 ] || bad "eval: not 5 scores"
cmp -s "$T/ev-f.csv" "$T/ev-c.csv" || bad "eval scores differ: $(diff "$T/ev-f/scores.csv" "$T/ev-c/scores.csv" | head -4)"
if [ "$(uname -s)" = Linux ]; then
    mkdir "$T/hot"
    timeout 120 $RUNNER "$B/effad" score --json "$T/f-ailia.gauss" "$M" --watch "$T/hot" > "$T/w.jsonl" 2>"$T/w.err" &
    wp=$!
    for _ in $(seq 100); do grep -q '"kind":"fit"' "$T/w.jsonl" && break; sleep 0.2; done
    cp "$F/test/spot/31.ppm" "$T/hot/.x" && mv "$T/hot/.x" "$T/hot/31.ppm"
    for _ in $(seq 200); do grep -q '"score"' "$T/w.jsonl" && break; sleep 0.2; done
    kill -TERM $wp; wait $wp
    grep '"score"' "$T/w.jsonl" | sed 's/^{"file":"[^"]*",//' > "$T/w.s"
    effad score --json "$T/f-ailia.gauss" "$M" "$F/test/spot/31.ppm" 2>/dev/null | grep '"score"' | sed 's/^{"file":"[^"]*",//' > "$T/b.s"
    cmp -s "$T/w.s" "$T/b.s" || bad "--watch scored otherwise than the batch: $(cat "$T/w.s" "$T/w.err")"
fi

# --save draws the whole frame with the region outlined (a misplaced region
# shows), the maps' panels the region
pngw() { od -An -tu1 -j16 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'; }
effad score "$T/f-ailia.gauss" "$M" "$F/test/spot/31.ppm" --save "$T/fig-f" >/dev/null 2>&1 || bad "score --save with a region"
effad score "$T/c-ailia.gauss" "$M" "$C/test/spot/31.ppm" --save "$T/fig-c" >/dev/null 2>&1 || bad "score --save crops"
wf=$(pngw "$T/fig-f/31.png"); wc=$(pngw "$T/fig-c/31.png")
[ "$wf" -eq $((150 * 256 / 120 + 48 + 36)) ] && [ "$wc" -eq $((90 * 256 / 80 + 48 + 36)) ] ||
    bad "the figure is not the whole frame's: $wf wide (the region's: $wc)"
cmp -s "$T/fig-f/31.png" "$T/fig-c/31.png" && bad "the frame's figure is the region's"

# the images must hold the region; and --roi must agree with the model
gen 100 90 0 0 5 - > "$T/small.ppm"
effad score --json "$T/f-ailia.gauss" "$M" "$T/small.ppm" "$F/test/good/21.ppm" > "$T/sm.jsonl" 2>/dev/null
rc=$?
[ $rc -eq 4 ] || bad "an image smaller than the region: exit $rc, not 4"
grep -q 'small.ppm","error":"the image is 100x90, and the region of interest 23,17,90,80 (x,y,w,h) needs at least 113x97"' "$T/sm.jsonl" ||
    bad "small image: $(cat "$T/sm.jsonl")"
[ "$(grep -c '"score":' "$T/sm.jsonl")" -eq 1 ] || bad "the batch stopped at the small image"
expect_fail "fit on a small image" "small.ppm: the image is 100x90" effad fit "$M" "$T/small.ppm" -o "$T/x.gauss" --roi $ROI
[ -e "$T/x.gauss" ] && bad "a failed fit wrote its output"
expect_fail "score --roi other" "fitted on the region of interest 23,17,90,80, not the region 0,0,90,80" \
    effad score "$T/f-ailia.gauss" "$M" "$F/test/good/21.ppm" --roi 0,0,90,80
expect_fail "score --roi on a whole-image model" "fitted on whole images, not the region 23,17,90,80" \
    effad score "$T/c-ailia.gauss" "$M" "$C/test/good/21.ppm" --roi $ROI
effad score "$T/f-ailia.gauss" "$M" "$F/test/good/21.ppm" --roi $ROI >/dev/null 2>&1 || bad "score --roi the model's own region"
expect_fail "merge across regions" "fitted on different regions of interest (23,17,90,80 vs the whole image)" \
    effad merge "$T/f-ailia.gauss" "$T/c-ailia.gauss" -o "$T/mm.gauss"
for r in 1,2,3 1,2,3,4,5 -1,0,5,5 0,0,0,5 a,b,c,d "1, 2,3,4" 1,2,3,4x 268435455,0,2,2; do
    expect_fail "--roi '$r'" "region of interest '$r': expected X,Y,W,H" effad fit "$M" "$C/train/good" -o "$T/x.gauss" --roi "$r"
done
[ -e "$T/x.gauss" ] && bad "a refused fit wrote its output"

# maps: the map covers the region, its defect boxes are in the frame's pixels
effad fit "$M" "$F/train/good" -o "$T/fm.gauss" --roi $ROI --preprocess paper --maps --holdout 0.25 --quiet >/dev/null || bad "fit --maps --roi"
effad fit "$M" "$C/train/good" -o "$T/cm.gauss" --preprocess paper --maps --holdout 0.25 --quiet >/dev/null || bad "fit --maps crops"
effad score --json "$T/fm.gauss" "$M" "$F/test/spot/31.ppm" > "$T/fm.jsonl" || bad "score maps frames"
effad score --json "$T/cm.gauss" "$M" "$C/test/spot/31.ppm" > "$T/cm.jsonl" || bad "score maps crops"
grep -q '"map":{"w":90,"h":80,"roi":\[23,17,90,80\],' "$T/fm.jsonl" || bad "the map is not the region's: $(grep '"map"' "$T/fm.jsonl")"
boxes() { grep '"score"' "$1" | grep -o '"bbox":\[[0-9,]*\]' | tr -d '"bbox:[]'; }
[ -n "$(boxes "$T/cm.jsonl")" ] || bad "no defect region found on the cut-out: the map test cannot tell: $(cat "$T/cm.jsonl")"
boxes "$T/cm.jsonl" | awk -F, '{ print $1 + 23 "," $2 + 17 "," $3 + 23 "," $4 + 17 }' > "$T/cb"
boxes "$T/fm.jsonl" > "$T/fb"
cmp -s "$T/fb" "$T/cb" || bad "the frame's boxes are not the cut-out's moved by the region: $(cat "$T/fb") / $(cat "$T/cb")"
effad score "$T/fm.gauss" "$M" "$F/test/spot/31.ppm" 2>/dev/null | grep -q "px at ($(head -n 1 "$T/fb" | awk -F, '{ print $1 "," $2 ")-(" $3 "," $4 ")" }')" ||
    bad "text output's box is not in the frame's pixels"

# features: the vectors of the region
effad features "$M" "$F/test/spot" --roi $ROI -o "$T/ff.csv" 2>/dev/null || bad "features --roi"
effad features "$M" "$C/test/spot" -o "$T/fc.csv" 2>/dev/null || bad "features crops"
cut -d, -f2- "$T/ff.csv" > "$T/ff.v"; cut -d, -f2- "$T/fc.csv" > "$T/fc.v"
[ "$(wc -l < "$T/ff.v")" -eq 3 ] && cmp -s "$T/ff.v" "$T/fc.v" || bad "features --roi are not the cut-outs' features"

head -c 100 /dev/zero > "$T/t.f32"
expect_fail "features --tensor --roi" "--roi and the 16-bit options read images" effad features "$M" --tensor "$T/t.f32" -o "$T/t.out" --roi $ROI

# int8 calibration on frames with --roi is calibration on the cut-outs
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/q-f.efm" --int8 --calib "$F/train/good" --roi $ROI >"$T/q.txt" 2>&1 || bad "convert --int8 --roi: $(tail -3 "$T/q.txt")"
grep -q "ailia preprocessing of the region $ROI" "$T/q.txt" || bad "convert does not name the region"
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/q-c.efm" --int8 --calib "$C/train/good" >/dev/null 2>&1 || bad "convert --int8 crops"
cmp -s "$T/q-f.efm" "$T/q-c.efm" || bad "int8 calibrated on frames with --roi differs from int8 calibrated on the cut-outs"
# quantcheck takes the region from --gauss, or from --roi
effad quantcheck "$M" "$T/q-f.efm" "$F" --gauss "$T/f-ailia.gauss" --quiet 2>/dev/null | sed "1d; s|$T/f-ailia|G|" > "$T/qc-f" || bad "quantcheck --gauss"
effad quantcheck "$M" "$T/q-f.efm" "$C" --gauss "$T/c-ailia.gauss" --quiet 2>/dev/null | sed "1d; s|$T/c-ailia|G|" > "$T/qc-c" || bad "quantcheck crops"
effad quantcheck "$M" "$T/q-f.efm" "$F" --roi $ROI --quiet 2>/dev/null | sed 1d > "$T/qc-r" || bad "quantcheck --roi"
grep -q "Spearman" "$T/qc-f" && cmp -s "$T/qc-f" "$T/qc-c" || bad "quantcheck with the model's region differs from the cut-outs: $(diff "$T/qc-f" "$T/qc-c" | head -3)"
[ "$(wc -l < "$T/qc-r")" -gt 3 ] && head -n 3 "$T/qc-r" | cmp -s - "$(head -n 3 "$T/qc-f" > "$T/qc-f3"; echo "$T/qc-f3")" ||
    bad "quantcheck --roi differs from quantcheck --gauss with that region"
expect_fail "convert --roi bad" "region of interest '9': expected" effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/q.efm" --int8 --calib "$F/train/good" --roi 9

exit $fail
