#!/bin/sh
# Directory walks terminate and read each file once (src/dataset.c):
# symbolic-link loops (self -> ., sub/up -> ..) are noted by a warning that
# names them and not followed; a file reached through a link to it or
# through a linked directory is listed once, under its own path.
NAME=cli-dataset-walk
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
mkdir -p "$T/d/sub"
cp $I/png-c2-d8.png $I/png-c6-d8.png $I/png-c0-d8.png "$T/d/"
cp $I/png-c4-d8.png $I/png-c3-d4.png $I/png-c2-d16.png "$T/d/sub/"
ln -s . "$T/d/self"
ln -s .. "$T/d/sub/up"
ln -s ../png-c2-d8.png "$T/d/sub/again.png"
ln -s sub "$T/d/alias"

# run CMD...: under a time limit, so that a walk that does not terminate fails
run() { timeout 60 $RUNNER "$@"; }
run "$B/effad" fit "$T/m.efm" "$T/d" -o "$T/a.gauss" --quiet >"$T/fit.out" 2>"$T/fit.err" || bad "fit: $(cat "$T/fit.err")"
grep -q "^.*: 6 images" "$T/fit.out" || bad "fit did not read the 6 images once each: $(cat "$T/fit.out")"
grep -q "warning: $T/d/self leads back to $T/d (a symbolic link loop): not followed" "$T/fit.err" ||
    bad "no warning naming the self -> . loop: $(cat "$T/fit.err")"
grep -q "warning: $T/d/sub/up leads back to $T/d " "$T/fit.err" || bad "no warning naming the sub/up -> .. loop"

run "$B/effad" score "$T/a.gauss" "$T/m.efm" "$T/d" --json >"$T/s.jsonl" 2>"$T/s.err" || bad "score: $(cat "$T/s.err")"
[ "$(grep -c '"file"' "$T/s.jsonl")" -eq 6 ] || bad "score: not 6 records: $(cat "$T/s.jsonl")"
for f in png-c2-d8 png-c6-d8 png-c0-d8 sub/png-c4-d8 sub/png-c3-d4 sub/png-c2-d16; do
    [ "$(grep -c "\"file\":\"$T/d/$f.png\"" "$T/s.jsonl")" -eq 1 ] || bad "score: $f.png not listed once under its own path"
done
grep -q '"file":"[^"]*\(alias\|self\|again\)' "$T/s.jsonl" && bad "score listed a file through a link"

# the same in an MVTec layout: test/good/up -> .. (the test/ directory)
mkdir -p "$T/mv/test/good" "$T/mv/test/bad"
cp $I/png-c2-d8.png $I/png-c6-d8.png "$T/mv/test/good/"
cp $I/png-c4-d8.png "$T/mv/test/bad/"
ln -s .. "$T/mv/test/good/up"
run "$B/effad" eval "$T/a.gauss" "$T/m.efm" "$T/mv" --out "$T/rep" --quiet >"$T/ev.out" 2>"$T/ev.err" || bad "eval: $(cat "$T/ev.err")"
grep -q "3 test images" "$T/ev.out" || bad "eval: not 3 images: $(cat "$T/ev.out")"
grep -q "warning: $T/mv/test/good/up leads back to $T/mv/test " "$T/ev.err" || bad "eval: no warning for the loop: $(cat "$T/ev.err")"
exit $fail
