#!/bin/sh
# score --watch DIR: a hot folder (src/watch-dir.c). Camera software writes
# images into a folder, or into folders it creates per day or lot, or
# writes elsewhere and moves them in; each is scored once, when complete:
#  - written in place (taken when closed), renamed into place from a
#    dot-name, a folder made and filled (mkdir -p), a whole folder moved in,
#    a watched folder renamed and then written into;
#  - never: a dot-name, a file that is not an image, a FIFO with an
#    image's name (noted), what was there before (unless --watch-existing:
#    that first, sorted by path);
#  - a corrupt image gets an error record and the watch goes on;
#  - a record is the batch score of the same file, bit for bit; figures are
#    named after the path below DIR and exist when the record is read;
#  - SIGTERM ends the watch: the summary, exit status 4 (an unreadable
#    image), no temp file left; one that comes while an image is in hand
#    lets that image finish (record, figures) first;
#  - images that arrive together (a backlog, a folder moved in) are scored
#    as a batch on every worker with --threads 2: records in arrival order,
#    the batch's bits;
#  - the watched folder removed is an error; --watch beside images, on a
#    file or on nothing is refused by name;
#  - --watch-poll (for network shares) takes an image once unchanged for a
#    whole listing interval: a slow writer's image whole, nothing renamed
#    twice, a file written again in place again.
NAME=cli-watch
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
effad fit "$T/m.efm" $I/png-c*.png -o "$T/a.gauss" --quiet >/dev/null 2>&1 || bad "fit"

# lines in $1 that are records of images (not the header, not the summary)
records() { [ -f "$1" ] || { echo 0; return; }; grep -c '"file":' "$1" || true; }   # 0 before the file exists
# waits until $1 has $2 image records, at most 120 s
wait_records() {
    k=0
    while [ "$(records "$1")" -lt "$2" ] && [ $k -lt 1200 ]; do sleep 0.1; k=$((k + 1)); done
}
wait_header() {
    k=0
    while ! grep -q '"kind":"fit"' "$1" 2>/dev/null && [ $k -lt 1200 ]; do sleep 0.1; k=$((k + 1)); done
}

H=$T/hot
mkdir -p "$H/old"
cp $I/png-c0-d8.png "$H/old/before.png"   # there before the watch: not scored
timeout 300 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$H/" --json --save "$T/figs" --threads 2 \
    >"$T/out" 2>"$T/err" &
pid=$!
wait_header "$T/out"
grep -q '"kind":"fit"' "$T/out" || bad "no header: $(cat "$T/err")"

cp $I/png-c2-d8.png "$H/direct.png"                           # written in place
cp $I/bmp-24.bmp "$H/.camera-tmp.bmp"; mv "$H/.camera-tmp.bmp" "$H/renamed.bmp"   # renamed into place
mkdir -p "$H/day1/lot7" && cp $I/png-c4-d8.png "$H/day1/lot7/made.png"          # folder made and filled
mkdir "$T/stage" && cp $I/png-c0-d8.png "$T/stage/m1.png" && cp $I/png-c2-d8.png "$T/stage/m2.png"
mv "$T/stage" "$H/moved"                                       # a whole folder moved in
head -c 200 $I/png-c0-d8.png > "$H/corrupt.png"                # unreadable
echo "lot 7" > "$H/notes.txt"                                  # not an image
cp $I/png-c0-d8.png "$H/.hidden.png"                           # a dot-name
mkfifo "$H/fifo.png"; exec 5<>"$H/fifo.png"; exec 5>&-         # a FIFO, opened for writing and closed
wait_records "$T/out" 6
mv "$H/day1" "$H/day2"                                         # a watched folder renamed ...
cp $I/png-c2-d8.png "$H/day2/lot7/after.png"                   # ... and written into
wait_records "$T/out" 7
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?

[ "$rc" -eq 4 ] || bad "exit status $rc, not 4 (an unreadable image): $(cat "$T/err")"
for f in direct.png renamed.bmp day1/lot7/made.png moved/m1.png moved/m2.png corrupt.png day2/lot7/after.png; do
    n=$(grep -c "\"file\":\"$H/$f\"" "$T/out")
    [ "$n" -eq 1 ] || bad "$f: $n records, not 1"
done
[ "$(records "$T/out")" -eq 7 ] || bad "$(records "$T/out") records, not 7: $(cat "$T/out")"
grep -q "before.png\|notes.txt\|hidden\|camera-tmp\|fifo" "$T/out" && bad "scored what it should not: $(cat "$T/out")"
grep -q "fifo.png: not a regular file: not read" "$T/err" || bad "no note for the FIFO: $(cat "$T/err")"
grep -q "\"file\":\"$H/corrupt.png\",\"error\":\".*PNG" "$T/out" || bad "corrupt.png: no error record"
case $(tail -n 1 "$T/out") in
    '{"kind":"summary","images":7,"scored":6,'*'"errors":1}') ;;
    *) bad "summary: $(tail -n 1 "$T/out")" ;;
esac
# figures named after the path below the folder, no temp files
for f in direct renamed day1/lot7/made moved/m1 moved/m2 day2/lot7/after; do
    [ -f "$T/figs/$f.png" ] || bad "no figure $T/figs/$f.png"
done
[ -z "$(find "$T/figs" "$H" -name '*.tmp.*')" ] || bad "temp files left: $(find "$T/figs" "$H" -name '*.tmp.*')"
# each record is the batch score of the same file
effad score "$T/a.gauss" "$T/m.efm" "$H/direct.png" "$H/renamed.bmp" "$H/moved" "$H/day2" --json >"$T/batch" \
    2>"$T/batch-err"
batch_rc=$?
for f in direct.png renamed.bmp moved/m1.png moved/m2.png day2/lot7/after.png; do
    a=$(grep "\"file\":\"$H/$f\"" "$T/out"); b=$(grep "\"file\":\"$H/$f\"" "$T/batch")
    [ -n "$a" ] && [ "$a" = "$b" ] ||
        bad "$f: watched record '$a' is not the batch's '$b' (batch exit $batch_rc: $(cat "$T/batch-err"))"
done

# SIGTERM while an image is in hand (its figure half-written, paused 2 s
# there): the image is finished -- record, figure, no temp file -- then
# the summary, exit 0
mkdir "$T/hot2"
EFFAD_TEST_ATOMIC_PAUSE=partial timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/hot2" \
    --json --save "$T/figs2" >"$T/out3" 2>"$T/err3" &
pid=$!
wait_header "$T/out3"
cp $I/png-c2-d8.png "$T/hot2/inhand.png"
k=0
while ! grep -q "atomic-file: paused partial" "$T/err3" && [ $k -lt 1200 ]; do sleep 0.1; k=$((k + 1)); done
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 0 ] || bad "in hand: exit status $rc, not 0: $(cat "$T/err3")"
grep -q "\"file\":\"$T/hot2/inhand.png\",\"score\"" "$T/out3" || bad "in hand: no record: $(cat "$T/out3")"
case $(tail -n 1 "$T/out3") in '{"kind":"summary","images":1,"scored":1,'*) ;; *) bad "in hand: summary: $(tail -n 1 "$T/out3")" ;; esac
[ -f "$T/figs2/inhand.png" ] || bad "in hand: no figure"
[ -z "$(find "$T/figs2" -name '*.tmp.*')" ] || bad "in hand: temp files left"

# --watch-existing: what is there first, sorted by path, then what arrives
mkdir -p "$T/hot3/old"
cp $I/png-c0-d8.png "$T/hot3/old/a.png"; cp $I/png-c2-d8.png "$T/hot3/b.png"; cp $I/bmp-24.bmp "$T/hot3/.c.bmp"
timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/hot3" --watch-existing --json \
    >"$T/out4" 2>"$T/err4" &
pid=$!
wait_records "$T/out4" 2
cp $I/png-c4-d8.png "$T/hot3/old/new.png"
wait_records "$T/out4" 3
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 0 ] || bad "existing: exit status $rc: $(cat "$T/err4")"
[ "$(grep -o '"file":"[^"]*"' "$T/out4" | sed 's|.*/hot3/||' | tr '\n' ' ')" = 'b.png" old/a.png" old/new.png" ' ] ||
    bad "existing: $(grep -o '"file":"[^"]*"' "$T/out4" | tr '\n' ' ')"
# a burst -- a backlog with --watch-existing, then a folder of images moved
# in at once -- with --threads 2: scored as batches on every worker, the
# records in the order the images came (sorted, for the backlog), each the
# batch score, figures for all; then one image alone (worker 0, its pool)
mkdir -p "$T/hot4/lot" "$T/stage4"
k=0
for f in $I/png-c*.png $I/bmp-24.bmp $I/jpeg-420.jpg $I/png-pil.png; do
    cp "$f" "$T/hot4/lot/$k-$(basename "$f")"; cp "$f" "$T/stage4/$k-$(basename "$f")"; k=$((k + 1))
done
head -c 300 $I/png-c0-d8.png > "$T/hot4/lot/$k-corrupt.png"
n_burst=$(ls "$T/hot4/lot" | wc -l); n_moved=$k   # (wait_records counts with k)
timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/hot4" --watch-existing --json --threads 2 \
    --save "$T/figs4" >"$T/out8" 2>"$T/err8" &
pid=$!
wait_records "$T/out8" "$n_burst"
mv "$T/stage4" "$T/hot4/moved"
wait_records "$T/out8" $((n_burst + n_moved))
cp $I/png-c2-d8.png "$T/hot4/alone.png"
wait_records "$T/out8" $((n_burst + n_moved + 1))
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 4 ] || bad "burst: exit status $rc, not 4 (the corrupt image): $(cat "$T/err8")"
effad score "$T/a.gauss" "$T/m.efm" "$T/hot4/lot" "$T/hot4/moved" "$T/hot4/alone.png" --json 2>/dev/null |
    grep '"file"' > "$T/batch8"
grep '"file"' "$T/out8" > "$T/rec8"
[ "$(wc -l < "$T/rec8")" -eq $((n_burst + n_moved + 1)) ] && cmp -s "$T/rec8" "$T/batch8" ||
    bad "burst: records not the batch's, in order: $(diff "$T/rec8" "$T/batch8" | head -6)"
[ "$(find "$T/figs4" -name '*.png' | wc -l)" -eq $((n_burst + n_moved)) ] || bad "burst: $(find "$T/figs4" -name "*.png" | wc -l) figures: $(find "$T/figs4" -name "*.png" | sort | tr "\n" " ")"

expect_fail "--watch-existing alone" "--watch-existing and --watch-poll go with --watch DIR" \
    effad score "$T/a.gauss" "$T/m.efm" --watch-existing $I/png-c0-d8.png
expect_fail "--watch-poll 0" "bad --watch-poll '0' (seconds between listings, 0.05 to 3600)" \
    effad score "$T/a.gauss" "$T/m.efm" --watch "$H" --watch-poll 0

# --watch-poll (a network share, where inotify sees nothing of other
# machines' writes): listed every 0.4 s, an image is taken once unchanged
# for a whole interval -- a writer that pauses 0.1 s between pieces is not
# read half-way; what was there first is not taken, nor a file renamed
# (known by inode), nor a FIFO; a file written again in place is
mkdir "$T/share"
cp $I/png-c0-d8.png "$T/share/there.png"
timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/share" --watch-poll 0.4 --json \
    >"$T/out5" 2>"$T/err5" &
pid=$!
wait_header "$T/out5"
src=$I/png-pil.png
# each piece appended by a new open, so no writer holds the file between
# pieces: only the interval rule keeps it from being read half-way
for k in 0 1 2 3 4 5 6; do tail -c +$((k * 500 + 1)) $src | head -c 500 >> "$T/share/slow.png"; sleep 0.1; done
mkdir "$T/share/lot"; cp $I/png-c2-d8.png "$T/share/lot/a.png"; mkfifo "$T/share/f.png"
wait_records "$T/out5" 2
mv "$T/share/lot/a.png" "$T/share/lot/renamed.png"
sleep 1.5
cp $I/png-c4-d8.png "$T/share/there.png"                       # written again in place
wait_records "$T/out5" 3
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 0 ] || bad "poll: exit status $rc: $(cat "$T/err5")"
[ "$(grep -o '"file":"[^"]*","score"' "$T/out5" | sed 's|.*/share/||' | sort | tr '\n' ' ')" = 'lot/a.png","score" slow.png","score" there.png","score" ' ] ||
    bad "poll: $(cat "$T/out5")"
b=$(effad score "$T/a.gauss" "$T/m.efm" "$T/share/slow.png" --json 2>/dev/null | grep '"file"')
[ "$(grep slow.png "$T/out5")" = "$b" ] || bad "poll: slow.png's record is not the batch's"

# a polled share that stops answering for a moment (a folder unreadable
# at one listing) does not make its images look new: nothing there is
# taken again, and what arrives afterwards is taken once
mkdir -p "$T/nas/lot1"
cp $I/png-c0-d8.png "$T/nas/lot1/1.png"; cp $I/png-c2-d8.png "$T/nas/lot1/2.png"; cp $I/bmp-24.bmp "$T/nas/3.bmp"
EFFAD_TEST_POLL_UNREADABLE=2:/nas/lot1 timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/nas" \
    --watch-poll 0.2 --json >"$T/out7" 2>"$T/err7" &
pid=$!
wait_header "$T/out7"
sleep 1.6
cp $I/png-c4-d8.png "$T/nas/lot1/new.png"
wait_records "$T/out7" 1
sleep 1
kill -TERM $pid
wait $pid
[ "$(grep -o '"file":"[^"]*"' "$T/out7" | sed 's|.*/nas/||' | tr '\n' ' ')" = 'lot1/new.png" ' ] ||
    bad "share unreadable once: $(grep -o '"file":"[^"]*"' "$T/out7" | tr '\n' ' ')"
grep -q "nas: part of the folder could not be read" "$T/err7" && grep -q "nas: the whole folder reads again" "$T/err7" ||
    bad "share unreadable once: $(cat "$T/err7")"

# --watch-poll --watch-existing on 150 files (the table of seen files
# grows past its first size): each taken once
mkdir -p "$T/many/a" "$T/many/b"
k=0; while [ $k -lt 75 ]; do cp $I/png-c0-d8.png "$T/many/a/$k.png"; cp $I/bmp-24.bmp "$T/many/b/$k.bmp"; k=$((k + 1)); done
timeout 300 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/many" --watch-poll 0.2 --watch-existing --json \
    >"$T/out6" 2>"$T/err6" &
pid=$!
wait_records "$T/out6" 150
sleep 0.5
kill -TERM $pid
wait $pid
[ "$(grep -o '"file":"[^"]*"' "$T/out6" | sort -u | wc -l)" -eq 150 ] && [ "$(records "$T/out6")" -eq 150 ] ||
    bad "poll, 150 files: $(records "$T/out6") records, $(grep -o '"file":"[^"]*"' "$T/out6" | sort -u | wc -l) files"

# the watched folder removed: an error naming it
mkdir "$T/gone"
timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --watch "$T/gone" --json >"$T/out2" 2>"$T/err2" &
pid=$!
wait_header "$T/out2"
rmdir "$T/gone"
wait $pid
rc=$?
[ "$rc" -eq 1 ] || bad "folder removed: exit status $rc, not 1"
grep -q "gone: the watched folder was removed or moved away" "$T/err2" || bad "folder removed: $(cat "$T/err2")"

# refused by name
expect_fail "--watch and images" "--watch takes the images from its folder: no --stream and no images" \
    effad score "$T/a.gauss" "$T/m.efm" --watch "$H" $I/png-c0-d8.png
expect_fail "--watch and --stream" "--watch takes the images from its folder" effad score "$T/a.gauss" "$T/m.efm" --watch "$H" --stream
expect_fail "--watch a file" "png-c0-d8.png: not a folder (--watch takes the folder images arrive in)" \
    effad score "$T/a.gauss" "$T/m.efm" --watch $I/png-c0-d8.png
expect_fail "--watch nothing" "$T/none: cannot watch: No such file or directory" effad score "$T/a.gauss" "$T/m.efm" --watch "$T/none"
exit $fail
