#!/bin/sh
# Clear messages for everyday mistakes: arguments in the wrong order (a
# .gauss where the .efm goes and back, a directory where a file goes, the
# ONNX where the .efm goes), too few training images for a level (name the
# level, its dimension, the image count; suggest more images or --levels),
# and "cannot open" saying why.
NAME=cli-messages
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
G=tests/golden/tiny-tv-bn
effad convert $G/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
effad fit "$T/m.efm" $I/png-c*.png -o "$T/a.gauss" --quiet >/dev/null || bad "fit"

# swapped or misplaced arguments say which argument is which
expect_fail "score, swapped" "$T/m.efm is a converted model (.efm), but MODEL.gauss goes there (effad score MODEL.gauss MODEL.efm" \
    effad score "$T/m.efm" "$T/a.gauss" $I/png-c0-d8.png
expect_fail "eval, .gauss twice" "$T/a.gauss is a fitted model (.gauss), but MODEL.efm goes there (effad eval" \
    effad eval "$T/a.gauss" "$T/a.gauss" "$T"
expect_fail "score, directory for the model" "$I is a directory, but MODEL.efm (a file) goes there" \
    effad score "$T/a.gauss" $I "$T/m.efm"
expect_fail "fit, .gauss for the model" "a.gauss is a fitted model (.gauss), but MODEL.efm goes there (effad fit MODEL.efm" \
    effad fit "$T/a.gauss" $I -o "$T/b.gauss"
expect_fail "fit, ONNX for the model" "model.onnx looks like an ONNX model; MODEL.efm goes there: convert it first (effad convert" \
    effad fit $G/model.onnx $I -o "$T/b.gauss"
expect_fail "merge, a model" "m.efm is a converted model (.efm), but A.gauss goes there" effad merge "$T/m.efm" -o "$T/b.gauss"
expect_fail "convert, a .gauss" "a.gauss is a fitted model (.gauss), but IN.onnx goes there" effad convert "$T/a.gauss" -o "$T/b.efm"
expect_fail "info, an image" "png-c0-d8.png is a PNG image, but MODEL.efm goes there" effad info $I/png-c0-d8.png
# a number out of its range says the range
expect_fail "score, --threads 1000" "bad --threads '1000' (a whole number from 1 to 256)" \
    effad score "$T/a.gauss" "$T/m.efm" $I/png-c0-d8.png --threads 1000
expect_fail "bench, --runs x" "bad --runs 'x' (a whole number from 1 to 1000000)" effad bench "$T/m.efm" --runs x

# too few training images for a level
expect_fail "too few images" "level 0 (16 features) cannot be fitted from 2 images: .*Fit on more images (16 or more for this level), or leave the level out with --levels 1,2,3,4,5,6,7,8" \
    effad fit "$T/m.efm" $I/png-c0-d8.png $I/png-c2-d8.png -o "$T/b.gauss"
expect_fail "too few images, one level" "level 0 (16 features) cannot be fitted from 2 images: .*(16 or more for this level)$" \
    effad fit "$T/m.efm" $I/png-c0-d8.png $I/png-c2-d8.png -o "$T/b.gauss" --levels 0

# cannot open: and why
expect_fail "missing model" "$T/none.efm: cannot open: No such file or directory" effad info "$T/none.efm"
expect_fail "missing .gauss" "$T/none.gauss: cannot open: No such file or directory" effad score "$T/none.gauss" "$T/m.efm" $I/png-c0-d8.png
expect_fail "missing image" "$T/none.png: cannot open: No such file or directory" effad fit "$T/m.efm" "$T/none.png" -o "$T/b.gauss"
mkfifo "$T/fifo.gauss" "$T/fifo.efm"
expect_fail "FIFO as model" "fifo.efm: not a regular file" timeout 20 $RUNNER "$B/effad" info "$T/fifo.efm"
expect_fail "FIFO as .gauss" "fifo.gauss: is a FIFO, not a file" timeout 20 $RUNNER "$B/effad" merge "$T/fifo.gauss" -o "$T/b.gauss"
# a folder is searched for every name OpenCV and PIL give our formats
mkdir "$T/names"
cp $I/jpeg-420.jpg "$T/names/a.jfif"; cp $I/jpeg-444.jpg "$T/names/b.JPE"; cp $I/bmp-24.bmp "$T/names/c.dib"
cp $I/pbm-p4.pbm "$T/names/d.pbm"; cp $I/png-c0-d8.png "$T/names/e.PNG"; echo x > "$T/names/f.txt"
effad features "$T/m.efm" "$T/names" -o "$T/names.csv" 2>/dev/null || bad "names: features failed"
[ "$(cut -d, -f1 "$T/names.csv" | tail -n +2 | sed 's|.*/||' | tr '\n' ' ')" = "a.jfif b.JPE c.dib d.pbm e.PNG " ] ||
    bad "names: $(cut -d, -f1 "$T/names.csv" | tr '\n' ' ')"

# a device is refused at its first bytes: a link to /dev/zero named like an
# image was read toward the 2 GiB file limit (26 s and 4.2 GB before)
ln -s /dev/zero "$T/zero.png"
timeout 60 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" "$T/zero.png" --json >"$T/zero.json" 2>/dev/null
rc=$?
[ "$rc" -eq 4 ] || bad "/dev/zero: exit status $rc, not 4"
grep -q '"file":".*zero.png","error":".*unknown image format' "$T/zero.json" || bad "/dev/zero: $(cat "$T/zero.json")"

# a long path keeps the reason: the message shortens the path in its middle
# (a path of ~500 bytes used to fill the message and cut the reason off)
long=$T; for k in 1 2 3 4; do long=$long/$(printf 'd%.0s' $(seq 200)); done
mkdir -p "$long" && head -c 100 $I/png-c0-d8.png > "$long/bad.png"
expect_fail "long path, fit" "^effad fit: $T.*\.\.\..*/bad.png: PNG: .* the end of the file" \
    effad fit "$T/m.efm" "$long" -o "$T/b.gauss"
effad score "$T/a.gauss" "$T/m.efm" "$long/bad.png" --json > "$T/long.json" 2>/dev/null
grep -q '"error":".*\.\.\..*/bad.png: PNG: .* the end of the file"' "$T/long.json" || bad "long path, score: $(cat "$T/long.json")"
# a file deeper than the system's longest path is named, not silently left out
deep=$T/deep; mkdir "$deep"; cp $I/png-c0-d8.png "$deep/"
( cd "$deep" && d=$(printf 'e%.0s' $(seq 250)) && for k in $(seq 17); do mkdir $d && cd -P $d || exit 1; done \
  && cp "$deep/png-c0-d8.png" ./x.png ) || bad "deep tree"
effad features "$T/m.efm" "$deep" -o "$T/deep.csv" 2>"$T/err" >/dev/null || bad "deep: features failed: $(cat "$T/err")"
grep -q "path longer than the system allows: not read" "$T/err" || bad "deep: no note: $(cat "$T/err")"
[ "$(wc -l < "$T/deep.csv")" -eq 2 ] || bad "deep: $(wc -l < "$T/deep.csv") lines"
exit $fail
