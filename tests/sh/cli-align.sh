#!/bin/sh
# fit --align R (src/align.h): parts that sit a few pixels off. Frames are
# drawn by awk from a scene in the part's own coordinates (rectangles of
# every size, and a faint noise of each image's own), moved by known
# shifts; the same images cut at the part by awk, without effad, are the
# reference. Checked:
#  - every image's shift is found, as score reports it (relative to the
#    reference image, the first training image);
#  - the aligned model's scores, level distances and map regions are, bit
#    for bit, those of a model fitted on the pre-cut images (boxes moved
#    by where each region was cut);
#  - the template travels in the .gauss (info, score's header, calibrate
#    keeps it), merge refuses another alignment, --align-ref;
#  - refusals: a range out of 1..256, --align-ref alone, a reference too
#    small for the range, a flat reference.
NAME=cli-align
. "$(dirname "$0")/lib/cli.sh"

effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
M=$T/m.efm
R=6; FW=100; FH=90; CW=$((FW - 2 * R)); CH=$((FH - 2 * R))
# draw FILE W H OX OY K DEFECT: a P3 image; pixel (x, y) shows the part at
# (x + OX, y + OY) (frames: OX = -dx; cut images: OX = R), noise seeded by K
draw() {
    awk -v W="$2" -v H="$3" -v OX="$4" -v OY="$5" -v K="$6" -v D="$7" 'BEGIN {
        n = split("3 4 30 22 200|40 8 12 30 40|60 20 25 14 230|10 40 18 18 90|35 45 40 6 250|70 50 14 25 20|" \
                  "20 62 50 9 170|80 5 9 60 120|5 15 6 6 10|52 30 7 7 140|28 28 5 12 60|66 70 22 8 210", rect, "|")
        printf "P3\n%d %d\n255\n", W, H
        for (y = 0; y < H; y++) for (x = 0; x < W; x++) {
            u = x + OX; v = y + OY
            g = 110
            for (k = 1; k <= n; k++) {
                split(rect[k], q, " ")
                if (u >= q[1] && u < q[1] + q[3] && v >= q[2] && v < q[2] + q[4]) g = q[5]
            }
            if (D && u >= 44 && u < 52 && v >= 36 && v < 44) g = 0      # the defect: a dark square on the part
            g += (u * 31 + v * 17 + K * 101) * 7919 % 7 - 3
            if (g < 0) g = 0; if (g > 255) g = 255
            r = g; gg = (g * 3 + 40) % 256; b = 255 - g
            printf "%d %d %d\n", r, gg, b
        }
    }' > "$1"
}
mkdir -p "$T/frames/train" "$T/frames/test" "$T/cut/train" "$T/cut/test"
# training shifts: the reference (00) in place, the others within +-4 (those
# the fit keeps, without the three --holdout takes: x -4..4, y -3..4)
k=0
for s in "0 0" "3 -2" "-4 1" "2 4" "-1 -3" "4 0" "-3 -4" "1 2" "0 -1" "-2 3" "3 3" "-4 -2"; do
    set -- $s
    f=$(printf '%02d' $k)
    draw "$T/frames/train/$f.ppm" $FW $FH $((-$1)) $((-$2)) $k 0
    draw "$T/cut/train/$f.ppm" $CW $CH $R $R $k 0
    k=$((k + 1))
done
# test images: shifts, two with the defect
for s in "2 -3 0" "-4 4 0" "0 0 0" "3 1 1" "-2 -4 1"; do
    set -- $s
    f=$(printf '%02d' $k)
    draw "$T/frames/test/$f.ppm" $FW $FH $((-$1)) $((-$2)) $k $3
    draw "$T/cut/test/$f.ppm" $CW $CH $R $R $k $3
    echo "$f $1 $2" >> "$T/shifts"
    k=$((k + 1))
done

fitq() { effad fit "$M" "$@" --preprocess paper --quiet >"$T/fit.out" 2>"$T/fit.err" || bad "fit $*: $(cat "$T/fit.err")"; }
fitq "$T/frames/train" -o "$T/a.gauss" --align $R --maps --map-grid 8,8 --holdout 0.25
grep -q "aligned     +-6 px to .*frames/train/00.ppm: shifts x -4..4, y -3..4, match (ZNCC) at least 0.9" "$T/fit.out" || bad "fit's report: $(cat "$T/fit.out")"
fitq "$T/cut/train" -o "$T/b.gauss" --maps --map-grid 8,8 --holdout 0.25
effad score --json "$T/a.gauss" "$M" "$T/frames/test" > "$T/a.jsonl" 2>/dev/null || true
effad score --json "$T/b.gauss" "$M" "$T/cut/test" > "$T/b.jsonl" 2>/dev/null || true
head -n 1 "$T/a.jsonl" | grep -q '"roi":\[6,6,88,78\],"align":6' || bad "score's header: $(head -n 1 "$T/a.jsonl")"
while read -r f dx dy; do
    a=$(grep "frames/test/$f.ppm" "$T/a.jsonl"); b=$(grep "cut/test/$f.ppm" "$T/b.jsonl")
    echo "$a" | grep -q "\"shift\":\[$dx,$dy\],\"match\":" || bad "$f: moved by $dx,$dy, found: $a"
    sa=$(echo "$a" | sed 's/.*"score":\([^,]*\),"levels":\(\[[^]]*\]\).*/\1 \2/')
    sb=$(echo "$b" | sed 's/.*"score":\([^,]*\),"levels":\(\[[^]]*\]\).*/\1 \2/')
    [ -n "$sa" ] && [ "$sa" = "$sb" ] || bad "$f: aligned score and levels '$sa', pre-cut '$sb'"
    # map regions: the pre-cut image's boxes moved to where the region was cut
    ba=$(echo "$a" | grep -o '"bbox":\[[0-9,]*\]' | tr -d '"bbox:[]' | tr '\n' ' ')
    bb=$(echo "$b" | grep -o '"bbox":\[[0-9,]*\]' | tr -d '"bbox:[]' |
         awk -F, -v X=$((R + dx)) -v Y=$((R + dy)) '{ printf "%d,%d,%d,%d ", $1 + X, $2 + Y, $3 + X, $4 + Y }')
    [ "$ba" = "$bb" ] || bad "$f: aligned boxes '$ba', pre-cut boxes moved '$bb'"
done < "$T/shifts"
grep -q '"bbox"' "$T/a.jsonl" || bad "no defect region in any test image: the boxes are not compared"

# the template travels: info, calibrate, merge; --align-ref
effad info "$T/a.gauss" | grep -q "aligned     the region found again in each image, up to 6 pixels off" || bad "info: $(effad info "$T/a.gauss")"
effad calibrate "$T/a.gauss" "$M" "$T/frames/train" -o "$T/ac.gauss" >/dev/null 2>&1 || bad "calibrate an aligned model"
effad info "$T/ac.gauss" | grep -q "aligned" || bad "calibrate dropped the alignment"
fitq "$T/frames/train" -o "$T/f.gauss" --roi 6,6,88,78 --maps --map-grid 8,8   # the same region, fixed
expect_fail "merge aligned and not" "align their images differently" effad merge "$T/a.gauss" "$T/f.gauss" -o "$T/x.gauss"
fitq "$T/frames/train" -o "$T/r.gauss" --align $R --align-ref "$T/frames/train/03.ppm"
effad score --json "$T/r.gauss" "$M" "$T/frames/train/03.ppm" "$T/frames/train/00.ppm" 2>/dev/null > "$T/r.jsonl"
grep "train/03.ppm" "$T/r.jsonl" | grep -q '"shift":\[0,0\]' && grep "train/00.ppm" "$T/r.jsonl" | grep -q '"shift":\[-2,-4\]' ||
    bad "--align-ref: $(cat "$T/r.jsonl")"

expect_fail "--align 0" "--align" effad fit "$M" "$T/frames/train" -o "$T/x.gauss" --align 0
expect_fail "--align 257" "--align" effad fit "$M" "$T/frames/train" -o "$T/x.gauss" --align 257
expect_fail "--align-ref alone" "--align-ref names the image --align R matches" \
    effad fit "$M" "$T/frames/train" -o "$T/x.gauss" --align-ref "$T/frames/train/00.ppm"
expect_fail "range too large" "too small to search +-60 pixels" effad fit "$M" "$T/frames/train" -o "$T/x.gauss" --align 60
printf 'P3\n100 90\n255\n' > "$T/flat.ppm"; k=0; while [ $k -lt 9000 ]; do echo "7 7 7"; k=$((k + 1)); done >> "$T/flat.ppm"
expect_fail "a flat reference" "one grey value" effad fit "$M" "$T/frames/train" -o "$T/x.gauss" --align 4 --align-ref "$T/flat.ppm"
[ -e "$T/x.gauss" ] && bad "a refused fit wrote its output"
exit $fail
