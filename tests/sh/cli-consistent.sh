#!/bin/sh
# One consistent command line (issue 17): each rule, driven as a user would.
# - -o/--out on every command that writes, old spellings still accepted;
#   --input-size with its old aliases (--size, --tensor-shape);
# - effad --version / effad version: version, formats, kernels;
# - effad info on a .gauss (dispatched on the magic, not the name);
# - effad features from images: a CSV row per image, the levels' columns;
# - score --csv: header, one row per image, RFC 4180 quoting, error rows;
# - score's text output labels every level distance;
# - '-' reads image paths from stdin (fit, score, features), missing ones
#   are the usual error;
# - --save names figures after the path relative to the input argument and
#   never lets two images share a name;
# - eval --use without --update is refused (exit 2).
NAME=cli-consistent
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
G=tests/golden/tiny-tv-bn
effad convert $G/model.onnx --out "$T/m.efm" >/dev/null || bad "convert --out"
[ -s "$T/m.efm" ] || bad "convert --out wrote nothing"
mkdir -p "$T/d/train/good" "$T/d/test/good" "$T/d/test/odd/deep" "$T/d/ground_truth"
n=0
for f in $I/*.png $I/*.jpg $I/*.bmp; do
    [ -f "$f.rgb8" ] || continue
    n=$((n + 1))
    case $((n % 4)) in
        0) cp "$f" "$T/d/test/good/" ;;
        1) cp "$f" "$T/d/test/odd/deep/" ;;
        *) cp "$f" "$T/d/train/good/" ;;
    esac
done
# the same file name in two folders, and a name that needs CSV quoting
cp $I/png-c2-d8.png "$T/d/test/good/same.png"
cp $I/png-c6-d8.png "$T/d/test/odd/same.png"
cp $I/png-c2-d8.png "$T/d/test/odd/a,\"q\".png"

# --- -o and --out: the same bytes
effad fit "$T/m.efm" "$T/d/train/good" -o "$T/a.gauss" --quiet >/dev/null 2>/dev/null || bad "fit -o"
effad fit "$T/m.efm" "$T/d/train/good" --out "$T/b.gauss" --quiet >/dev/null 2>/dev/null || bad "fit --out"
cmp -s "$T/a.gauss" "$T/b.gauss" || bad "fit -o and --out wrote different files"
effad merge "$T/a.gauss" --out "$T/m1.gauss" >/dev/null || bad "merge --out"
effad merge "$T/a.gauss" -o "$T/m2.gauss" >/dev/null || bad "merge -o"
cmp -s "$T/m1.gauss" "$T/m2.gauss" || bad "merge -o and --out differ"
effad eval "$T/a.gauss" "$T/m.efm" "$T/d" -o "$T/rep1" --quiet >/dev/null 2>&1
[ -s "$T/rep1/scores.csv" ] || bad "eval -o wrote no report"
for spelling in --input-size --size; do
    effad bench "$T/m.efm" $spelling 40,48 --runs 1 --warmup 0 >"$T/bench" 2>&1 || bad "bench $spelling: $(cat "$T/bench")"
done
expect_fail "bad input size" "bad --input-size" effad bench "$T/m.efm" --input-size 0x3

# --- version
effad --version >"$T/v1" || bad "--version failed"
effad version >"$T/v2" || bad "version failed"
cmp -s "$T/v1" "$T/v2" || bad "--version and version differ"
grep -q '^effad [0-9][0-9.]*$' "$T/v1" || bad "no version line: $(cat "$T/v1")"
grep -q '\.efm .*writes version 2' "$T/v1" || bad "no .efm format version"
grep -q '\.gauss .*writes version 2 (3 with anomaly maps), reads 1 to 3' "$T/v1" || bad "no .gauss format versions"
EFFAD_ISA=scalar effad --version | grep -q 'kernels scalar' || bad "--version does not name the kernels"
# the image kernels' table: AVX2 where the x86-64 CPU has it, NEON on aarch64
case "$(uname -m 2>/dev/null)$(grep -q avx2 /proc/cpuinfo 2>/dev/null && echo -avx2)" in
    x86_64-avx2) want=avx2 ;; x86_64) want=scalar ;; *) want= ;;
esac
[ -z "$RUNNER" ] || want=   # under qemu-user the host's uname and cpuinfo say nothing of the target
[ -z "$want" ] || grep -q "^  images  $want\$" "$T/v1" || bad "--version: image kernels not $want: $(cat "$T/v1")"
# every path --version lists as run here is a name EFFAD_ISA takes, and gives that table
runs=$(sed -n 's/^  this CPU runs://p' "$T/v1")
case " $runs " in *" scalar"*) ;; *) bad "--version lists no scalar path: '$runs'" ;; esac
for k in $runs; do
    EFFAD_ISA=$k effad --version | grep -q "^  kernels $k (EFFAD_ISA)\$" || bad "EFFAD_ISA=$k does not give the $k table"
done

# --- info on a .gauss, whatever its name
cp "$T/a.gauss" "$T/model.bin"
effad info "$T/model.bin" >"$T/info" || bad "info .gauss failed"
grep -q 'preset      ailia' "$T/info" || bad "info: no preset: $(cat "$T/info")"
n_train=$(ls "$T/d/train/good" | wc -l)
grep -q "trained on  $n_train images" "$T/info" || bad "info: training count is not $n_train"
hash=$(effad info "$T/m.efm" | sed -n 's/.*model hash  \([0-9a-f]*\).*/\1/p')
grep -q "model hash  $hash" "$T/info" || bad "info: model hash is not the .efm's ($hash)"
grep -q 'train-2xmean .*(in force)' "$T/info" || bad "info: threshold in force not shown"
grep -q 'maps        none' "$T/info" || bad "info: maps not reported as absent"
[ "$(grep -c '^    [0-9]  *[0-9]  *[0-9]* *0\.[0-9]* *'"$n_train"' ' "$T/info")" -ge 3 ] || bad "info: level rows missing: $(cat "$T/info")"
grep -q "$(wc -c < "$T/a.gauss") bytes" "$T/info" || bad "info: no file size"

# info on a model with maps: grid, levels, covariance, the pixel threshold and what it was chosen on
effad fit "$T/m.efm" "$T/d/train/good" "$T/d/test/good" -o "$T/maps.gauss" --maps --holdout 0.3 --map-cov lw \
    --preprocess paper --quiet >"$T/fitmaps" 2>&1 || bad "fit --maps: $(cat "$T/fitmaps")"
th=$(sed -n 's/.*maps: pixel threshold \([0-9.e+-]*\) (no region of 25+ pixels in \([0-9]*\) held-out.*/\1 \2/p' "$T/fitmaps")
effad info "$T/maps.gauss" >"$T/infomaps" || bad "info on a maps .gauss failed"
grep -q "maps        [0-9]*x[0-9]* grid, [0-9]* of [0-9]* channels from levels 0,1,2,3" "$T/infomaps" || bad "info: no map grid: $(cat "$T/infomaps")"
grep -q "covariance Ledoit-Wolf" "$T/infomaps" || bad "info: map covariance kind not shown"
grep -q "pixel threshold ${th% *}, min area 25 pixels, chosen on ${th#* } held-out good images" "$T/infomaps" ||
    bad "info: pixel threshold is not fit's (${th}): $(cat "$T/infomaps")"
grep -q 'preset      paper' "$T/infomaps" || bad "info: the maps model's preset is not paper"

# --- features from images: header + one row per image, level columns
effad features "$T/m.efm" "$T/d/train/good" -o "$T/f.csv" --quiet 2>/dev/null || bad "features from images"
dims=$(awk '/^    [0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9]+ / { s += $3 } END { print s }' "$T/info")   # the .gauss levels' dims
[ "$(head -1 "$T/f.csv" | tr ',' '\n' | grep -c '^level_')" = "$dims" ] || bad "features: not $dims level columns"
[ "$(wc -l < "$T/f.csv")" = $((n_train + 1)) ] || bad "features: not one row per image"
[ "$dims" -gt 100 ] || bad "features: the .gauss levels add up to $dims dimensions"
/usr/bin/python3 - "$T/f.csv" <<'PY' || bad "features: the CSV is not one numeric row per image"
import csv, math, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert rows[0][1] == 'level_0_0' and rows[0][-1].startswith('level_8_'), rows[0][:3]
vals = [[float(x) for x in r[1:]] for r in rows[1:]]
assert all(len(v) == len(rows[0]) - 1 and all(math.isfinite(x) for x in v) for v in vals)
assert len({tuple(v) for v in vals}) > 1      # images differ
PY
effad features "$T/m.efm" "$T/d/train/good" --preprocess paper --quiet >"$T/fp.csv" 2>/dev/null || bad "features to stdout"
cmp -s "$T/f.csv" "$T/fp.csv" && bad "features: --preprocess changes nothing"
printf 'not an image' > "$T/bad.png"
expect_fail "features bad image" "bad.png" effad features "$T/m.efm" "$T/bad.png" -o "$T/fx.csv"
[ -e "$T/fx.csv" ] && bad "features wrote a half table"

# --- score --csv: quoting, levels by name, error rows
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" "$T/bad.png" --csv >"$T/s.csv" 2>/dev/null
[ $? = 4 ] || bad "score --csv with an unreadable image: exit is not 4"
head -1 "$T/s.csv" | grep -q '^file,score,verdict,level_0,level_1,.*,level_8,error$' || bad "score --csv header: $(head -1 "$T/s.csv")"
grep -q '^".*/a,""q"".png",[0-9.e+-]*,\(ok\|anomalous\),' "$T/s.csv" || bad "score --csv: no RFC 4180 quoting"
grep -q '^/.*bad.png,,error,,,,,,,,,,' "$T/s.csv" || bad "score --csv: no error row"
/usr/bin/python3 - "$T/s.csv" <<'PY' || bad "score --csv does not parse as CSV with equal rows"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert len({len(r) for r in rows}) == 1, rows
assert any(r[0].endswith('a,"q".png') for r in rows)
ok = [r for r in rows[1:] if r[2] != 'error']
agg = [abs(float(r[1]) - sum(float(x) for x in r[3:-1])) / float(r[1]) for r in ok]
assert max(agg) < 1e-6, agg      # ailia: the score is the sum of the level distances
PY
expect_fail "--json --csv" "exclude each other" effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" --json --csv

# --- text output labels the levels
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test/good/same.png" >"$T/s.txt" 2>/dev/null || bad "score text"
grep -q 'levels L0=[0-9.e+-]* L1=.* L8=' "$T/s.txt" || bad "score text: levels not labelled: $(cat "$T/s.txt")"

# --- '-' on stdin
ls "$T"/d/train/good/* | effad fit "$T/m.efm" - -o "$T/c.gauss" --quiet >/dev/null 2>/dev/null || bad "fit -"
cmp -s "$T/a.gauss" "$T/c.gauss" || bad "fit from stdin differs from fit of the directory"
printf '%s\n\n%s\r\n' "$T/d/test/good/same.png" "$T/d/test/odd/same.png" |
    effad score "$T/a.gauss" "$T/m.efm" - --csv >"$T/stdin.csv" 2>/dev/null || bad "score -"
[ "$(wc -l < "$T/stdin.csv")" = 3 ] || bad "score -: not two rows: $(cat "$T/stdin.csv")"
echo "$T/nothere.png" | expect_fail "stdin missing file" "nothere.png: cannot open" effad score "$T/a.gauss" "$T/m.efm" -
expect_fail "empty stdin" "listed no images" effad score "$T/a.gauss" "$T/m.efm" - </dev/null

# --- figure names: relative to the argument, subdirectories mirrored, no collisions
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" --save "$T/figs" --quiet >/dev/null 2>&1
[ -s "$T/figs/good/same.png" ] && [ -s "$T/figs/odd/same.png" ] || bad "--save: $(cd "$T/figs" && find . -type f | head)"
[ "$(find "$T/figs" -type f | wc -l)" = "$(find "$T/d/test" -type f | wc -l)" ] || bad "--save: not one figure per image"
deep=$(ls "$T/d/test/odd/deep" | head -1)
[ -s "$T/figs/odd/deep/${deep%.*}.png" ] || bad "--save: subdirectory not mirrored"
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test/good/same.png" "$T/d/test/odd/same.png" --save "$T/f2" --quiet >/dev/null 2>&1
[ -s "$T/f2/good/same.png" ] && [ -s "$T/f2/odd/same.png" ] || bad "--save: two files of one name collide: $(cd "$T/f2" && find . -type f)"
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test/odd/same.png" --save "$T/f3" --quiet >/dev/null 2>&1
[ -s "$T/f3/same.png" ] || bad "--save: a file argument is not named by its file name"

# --- eval --use needs --update
effad eval "$T/a.gauss" "$T/m.efm" "$T/d" --use youden -o "$T/rep2" >/dev/null 2>"$T/err"
[ $? = 2 ] || bad "eval --use without --update: exit is not 2"
grep -q "only --update" "$T/err" || bad "eval --use: no message: $(cat "$T/err")"
[ -e "$T/rep2" ] && bad "eval --use without --update wrote a report"

exit $fail
