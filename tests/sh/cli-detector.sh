#!/bin/sh
# effad fit / score / eval / merge end to end on committed image fixtures,
# and on bad input: an empty or corrupt training set, a .gauss from another
# model, preset or level choice, a truncated .gauss, a directory that is not
# an MVTec layout. Each failure: non-zero exit, a message naming the file and
# the problem, no half-written output (an existing output stays as it was).
NAME=cli-detector
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
G=tests/golden/tiny-tv-bn
effad convert $G/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
effad convert $G/model.onnx -o "$T/start.efm" --taps stage-start >/dev/null || bad "convert stage-start"
effad convert tests/golden/tiny-lm-static/model.onnx -o "$T/other.efm" >/dev/null || bad "convert other"

# a small MVTec layout from the fixtures (any decodable format will do)
mkdir -p "$T/d/train/good" "$T/d/test/good" "$T/d/test/odd" "$T/half1" "$T/half2"
n=0
for f in $I/*.png $I/*.jpg $I/*.bmp; do
    [ -f "$f.rgb8" ] || continue          # fixtures we decode have their expected pixels beside them
    n=$((n + 1))
    case $((n % 4)) in
        0) cp "$f" "$T/d/test/good/" ;;
        1) cp "$f" "$T/d/test/odd/" ;;
        *) cp "$f" "$T/d/train/good/"; if [ $((n % 2)) = 0 ]; then cp "$f" "$T/half1/"; else cp "$f" "$T/half2/"; fi ;;
    esac
done

effad fit "$T/m.efm" "$T/d/train/good" -o "$T/a.gauss" --quiet >"$T/fit.txt" 2>&1 || bad "fit: $(cat "$T/fit.txt")"
grep -q "train-2xmean" "$T/fit.txt" || bad "fit does not report the 2 x mean threshold"
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" --json >"$T/s.jsonl" || bad "score"
[ "$(grep -c '"file"' "$T/s.jsonl")" -eq "$(find "$T/d/test" -type f | wc -l)" ] || bad "score: not one line per image"
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test/good" --save "$T/figs" --quiet >/dev/null || bad "score --save"
[ "$(ls "$T/figs" | wc -l)" -ge 1 ] || bad "score --save wrote no figure"
effad eval "$T/a.gauss" "$T/m.efm" "$T/d" --out "$T/rep" --quiet >"$T/eval.txt" || bad "eval: $(cat "$T/eval.txt")"
for f in roc.svg scores.csv report.json; do [ -s "$T/rep/$f" ] || bad "eval wrote no $f"; done
grep -q "AUROC" "$T/eval.txt" || bad "eval prints no AUROC"
effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" --threshold 0 --fail-on-anomaly --quiet >/dev/null 2>&1
[ $? -eq 3 ] || bad "--fail-on-anomaly with threshold 0 did not exit 3"

# augmentation: 2 extra copies per image, seeded: same seed, same file
effad fit "$T/m.efm" "$T/half1" -o "$T/aug1.gauss" --aug 2 --seed 5 --quiet >/dev/null || bad "fit --aug"
effad fit "$T/m.efm" "$T/half1" -o "$T/aug2.gauss" --aug 2 --seed 5 --quiet >/dev/null || bad "fit --aug again"
cmp -s "$T/aug1.gauss" "$T/aug2.gauss" || bad "fit --aug is not repeatable with a fixed seed"
n1=$(find "$T/half1" -type f | wc -l)
effad score "$T/aug1.gauss" "$T/m.efm" "$T/half1" --json | head -n 1 | grep -q "\"n_train\":$((3 * n1))," || bad "fit --aug 2 did not fit 3 rows per image"

# threads change nothing: the same file, byte for byte
if effad fit "$T/m.efm" "$T/half1" -o "$T/t2.gauss" --threads 2 --quiet >/dev/null 2>"$T/terr"; then
    effad fit "$T/m.efm" "$T/half1" -o "$T/t1.gauss" --threads 1 --quiet >/dev/null
    cmp -s "$T/t1.gauss" "$T/t2.gauss" || bad "fit --threads 2 differs from --threads 1"
else
    grep -q "no thread support" "$T/terr" || bad "fit --threads 2: $(cat "$T/terr")"
fi

# merge of two halves == one fit on both (thresholds printed to 6 digits)
effad fit "$T/m.efm" "$T/half1" -o "$T/h1.gauss" --quiet >/dev/null || bad "fit half1"
effad fit "$T/m.efm" "$T/half2" -o "$T/h2.gauss" --quiet >/dev/null || bad "fit half2"
effad fit "$T/m.efm" "$T/half1" "$T/half2" -o "$T/both.gauss" --quiet | grep threshold > "$T/both.txt"
effad merge "$T/h1.gauss" "$T/h2.gauss" -o "$T/merged.gauss" | grep threshold > "$T/merged.txt"
cmp -s "$T/both.txt" "$T/merged.txt" || bad "merge differs from one fit: $(cat "$T/both.txt" "$T/merged.txt")"

# bad input
mkdir -p "$T/empty"
expect_fail "empty train dir" "empty: no images" effad fit "$T/m.efm" "$T/empty" -o "$T/e.gauss"
[ -e "$T/e.gauss" ] && bad "failed fit left a .gauss"
mkdir -p "$T/corrupt"; cp "$T/d/train/good/"* "$T/corrupt/"; head -c 200 $I/png-c0-d16.png > "$T/corrupt/zz-broken.png"
cp "$T/a.gauss" "$T/keep.gauss"
expect_fail "corrupt train image" "zz-broken.png" effad fit "$T/m.efm" "$T/corrupt" -o "$T/keep.gauss"
cmp -s "$T/a.gauss" "$T/keep.gauss" || bad "failed fit changed the existing .gauss"
expect_fail "missing train path" "nothere" effad fit "$T/m.efm" "$T/nothere" -o "$T/e.gauss"
expect_fail "bad levels" "levels" effad fit "$T/m.efm" "$T/d/train/good" -o "$T/e.gauss" --levels 0,99
expect_fail "other model" "different model" effad score "$T/a.gauss" "$T/other.efm" "$T/d/test"
expect_fail "other taps" "stage-end' taps, the model has 'stage-start" effad score "$T/a.gauss" "$T/start.efm" "$T/d/test"
expect_fail "other preset" "fitted with preprocessing 'ailia', not 'paper'" effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" --preprocess paper
effad fit "$T/m.efm" "$T/d/train/good" -o "$T/l.gauss" --levels 0,3 --quiet >/dev/null || bad "fit --levels"
expect_fail "merge other levels" "different models, preprocessing or levels" effad merge "$T/a.gauss" "$T/l.gauss" -o "$T/x.gauss"
head -c 300 "$T/a.gauss" > "$T/trunc.gauss"
expect_fail "truncated gauss" "trunc.gauss: truncated" effad score "$T/trunc.gauss" "$T/m.efm" "$T/d/test"
expect_fail "not mvtec" "not an MVTec-AD layout" effad eval "$T/a.gauss" "$T/m.efm" "$T/d/train"
expect_fail "unknown threshold" "no threshold 'nope'" effad score "$T/a.gauss" "$T/m.efm" "$T/d/test" --threshold nope
# a corrupt image is an error record, not the end of the batch (cli-bad-batch.sh has more)
effad score "$T/a.gauss" "$T/m.efm" "$T/corrupt" >"$T/out" 2>"$T/err"
[ $? -eq 4 ] || bad "corrupt test image: exit status is not 4"
grep -q "^ERROR .*zz-broken.png" "$T/out" || bad "corrupt test image: no ERROR record naming it: $(cat "$T/out")"
exit $fail
