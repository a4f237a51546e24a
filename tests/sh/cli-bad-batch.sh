#!/bin/sh
# One bad file does not sink a batch: score and eval go on past an image
# that cannot be read or decoded, with an error record for it (text and
# --json), a summary that counts it, and exit status 4 at the end; fit stops
# on one by default and, with --skip-bad, leaves it out and lists it.
NAME=cli-bad-batch
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
mkdir "$T/good" "$T/mixed"
cp $I/png-c*.png "$T/good/"
cp $I/png-c2-d8.png $I/png-c6-d8.png $I/png-c0-d8.png "$T/mixed/"
echo "not an image" > "$T/mixed/text.png"                      # undecodable
head -c 200 $I/png-c4-d8.png > "$T/mixed/cut.png"             # truncated
: > "$T/mixed/empty.bmp"                                       # empty
n_good=$(ls "$T/good" | wc -l)

# --- fit: stops by default, the output untouched
effad fit "$T/m.efm" "$T/good" -o "$T/a.gauss" --quiet >/dev/null || bad "fit on good images"
cp "$T/a.gauss" "$T/keep.gauss"
effad fit "$T/m.efm" "$T/good" "$T/mixed" -o "$T/a.gauss" --quiet >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || bad "fit with a bad image: exit status $? (want 1)"
grep -q "mixed/cut.png: PNG: .*--skip-bad" "$T/err" || bad "fit: the message does not name the file, the problem and --skip-bad: $(cat "$T/err")"
cmp -s "$T/a.gauss" "$T/keep.gauss" || bad "fit: a failed fit changed the output"
# --- fit --skip-bad: leaves the three out and lists them
effad fit "$T/m.efm" "$T/good" "$T/mixed" -o "$T/s.gauss" --skip-bad --quiet >"$T/out" 2>"$T/err" ||
    bad "fit --skip-bad: $(cat "$T/err")"
for f in text.png cut.png empty.bmp; do
    grep -q "skipped $T/mixed/$f: " "$T/err" || bad "fit --skip-bad does not list $f: $(cat "$T/err")"
done
grep -q "3 of $((n_good + 6)) training images skipped" "$T/err" || bad "fit --skip-bad: no count: $(cat "$T/err")"
grep -q ": $((n_good + 3)) images," "$T/out" || bad "fit --skip-bad did not fit the $((n_good + 3)) good images: $(cat "$T/out")"
effad fit "$T/m.efm" "$T/mixed/text.png" "$T/mixed/cut.png" -o "$T/none.gauss" --skip-bad --quiet >/dev/null 2>"$T/err" &&
    bad "fit --skip-bad with nothing readable succeeded"
grep -q "none of the 2 training images could be read" "$T/err" || bad "fit with nothing readable: $(cat "$T/err")"

# --- score --json: a record per image, errors included, a summary, exit 4
effad score "$T/a.gauss" "$T/m.efm" "$T/mixed" --json >"$T/s.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 4 ] || bad "score --json with bad images: exit status $rc (want 4)"
[ "$(grep -c '"score":' "$T/s.jsonl")" -eq 3 ] || bad "score --json: not 3 scores: $(cat "$T/s.jsonl")"
grep -q "{\"file\":\"$T/mixed/text.png\",\"error\":\"unknown image format" "$T/s.jsonl" || bad "score --json: no error record for text.png"
grep -q "{\"file\":\"$T/mixed/cut.png\",\"error\":\"PNG: " "$T/s.jsonl" || bad "score --json: no error record for cut.png"
grep -q "{\"file\":\"$T/mixed/empty.bmp\",\"error\":\"empty file\"}" "$T/s.jsonl" || bad "score --json: no error record for empty.bmp"
tail -n 1 "$T/s.jsonl" | grep -qx '{"kind":"summary","images":6,"scored":3,"anomalous":[0-9]*,"errors":3}' ||
    bad "score --json: the last line is not the summary: $(tail -n 1 "$T/s.jsonl")"
# --- score, text: ERROR lines, the count on stderr; 4 wins over 3
effad score "$T/a.gauss" "$T/m.efm" "$T/mixed" --threshold 0 --fail-on-anomaly >"$T/s.txt" 2>"$T/err"
rc=$?
[ $rc -eq 4 ] || bad "score with bad images and anomalies: exit status $rc (want 4)"
[ "$(grep -c '^ERROR ' "$T/s.txt")" -eq 3 ] || bad "score: not 3 ERROR lines: $(cat "$T/s.txt")"
[ "$(grep -c '^ANOMALY ' "$T/s.txt")" -eq 3 ] || bad "score: the good images were not all scored: $(cat "$T/s.txt")"
grep -q "3 of 6 images could not be read or decoded" "$T/err" || bad "score: no count on stderr: $(cat "$T/err")"
effad score "$T/a.gauss" "$T/m.efm" "$T/good" --threshold 0 --fail-on-anomaly --quiet >/dev/null 2>&1
[ $? -eq 3 ] || bad "score: anomalies alone no longer exit 3"

# --- eval: the bad images are left out, listed in report.json, exit 4
mkdir -p "$T/mv/test/good" "$T/mv/test/odd"
cp $I/png-c2-d8.png $I/png-c6-d8.png "$T/mv/test/good/"
cp $I/png-c3-d4.png $I/png-c4-d8.png "$T/mv/test/odd/"
cp "$T/mixed/cut.png" "$T/mv/test/odd/"
effad eval "$T/a.gauss" "$T/m.efm" "$T/mv" --out "$T/rep" --quiet >"$T/ev.txt" 2>"$T/err"
rc=$?
[ $rc -eq 4 ] || bad "eval with a bad image: exit status $rc (want 4): $(cat "$T/err")"
grep -q "4 test images" "$T/ev.txt" || bad "eval: the AUROC is not over the 4 readable images: $(cat "$T/ev.txt")"
grep -q "warning: $T/mv/test/odd/cut.png: PNG: .*(left out)" "$T/err" || bad "eval: no warning for cut.png: $(cat "$T/err")"
grep -q "\"errors\":\[{\"file\":\"$T/mv/test/odd/cut.png\",\"error\":\"PNG: " "$T/rep/report.json" ||
    bad "eval: report.json does not list the bad image: $(cat "$T/rep/report.json")"
[ "$(grep -c png "$T/rep/scores.csv")" -eq 4 ] || bad "eval: scores.csv is not the 4 scored images"

# --- an image larger than this machine allows (image.h, EFFAD_MAX_PIXELS):
# an error record naming the file and the limit, the others scored
mkdir "$T/big"
cp $I/png-c2-d8.png "$T/big/small.png"                        # 19x13 = 247 pixels
cp $I/jpeg-420.jpg "$T/big/large.jpg"                         # 45x29 = 1305
EFFAD_MAX_PIXELS=1000 effad score "$T/a.gauss" "$T/m.efm" "$T/big" --json >"$T/b.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 4 ] || bad "score of an image above EFFAD_MAX_PIXELS: exit status $rc (want 4): $(cat "$T/err")"
grep -q "{\"file\":\"$T/big/large.jpg\",\"error\":\"JPEG: 45x29 is more than the 1000 pixels EFFAD_MAX_PIXELS allows\"}" "$T/b.jsonl" ||
    bad "score: no error record naming the limit: $(cat "$T/b.jsonl")"
[ "$(grep -c '"score":' "$T/b.jsonl")" -eq 1 ] || bad "score: the small image was not scored: $(cat "$T/b.jsonl")"
EFFAD_MAX_PIXELS=lots effad features "$T/m.efm" "$T/big/small.png" -o "$T/f.csv" --quiet 2>"$T/err" &&
    bad "features with EFFAD_MAX_PIXELS=lots succeeded"
grep -q "small.png: PNG: EFFAD_MAX_PIXELS='lots': not a positive whole number" "$T/err" ||
    bad "features: a malformed EFFAD_MAX_PIXELS is not named: $(cat "$T/err")"
[ -e "$T/f.csv" ] && bad "features wrote its output after failing"
EFFAD_MAX_PIXELS=12000000 effad --version | grep -qx "  largest image 12.0 megapixels (EFFAD_MAX_PIXELS)" ||
    bad "--version does not show EFFAD_MAX_PIXELS: $(EFFAD_MAX_PIXELS=12000000 effad --version)"
effad --version | grep -q "^  largest image [0-9.]* megapixels (" || bad "--version does not show the image limit"
exit $fail
