#!/bin/sh
# score --stream: a line's controller keeps one effad running and asks
# image by image through a pipe (src/cmd-score.c, score_stream).
#  - the header, then each image's record, arrive while standard input is
#    still open: the controller reads the answer before it sends the next
#    path (effad runs under `timeout 10`, so a record held back until end
#    of input shows as a failure, not a hang);
#  - a path that does not exist, or an image that cannot be decoded, gets
#    an error record at once and the stream goes on; the summary and exit
#    status 4 come at end of input;
#  - with --save, the figure exists when the record is read, named after
#    the image's whole path;
#  - a streamed score is the batch score, bit for bit;
#  - a folder on a line, with --threads 2: its images on every worker,
#    records in order, the batch's bits;
#  - --csv streams too; no input at all is a summary of 0 images, exit 0;
#    --stream beside image arguments is a usage error.
NAME=cli-stream
. "$(dirname "$0")/lib/cli.sh"

I=tests/data/images
effad convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
effad fit "$T/m.efm" $I/png-c*.png -o "$T/a.gauss" --quiet >/dev/null 2>&1 || bad "fit"
img=$I/png-c2-d8.png
img2=$I/bmp-24.bmp

# one session: $1 the format option; writes to fd 3, reads from fd 4
mkfifo "$T/to-effad" "$T/from-effad"
start() {
    timeout 120 $RUNNER "$B/effad" score "$T/a.gauss" "$T/m.efm" --stream "$@" <"$T/to-effad" >"$T/from-effad" 2>"$T/err" &
    pid=$!
    exec 3>"$T/to-effad" 4<"$T/from-effad"
}
finish() {
    exec 3>&-
    cat <&4 >"$T/rest"
    exec 4<&-
    wait $pid
    rc=$?
}
answer() { line=; read -r line <&4 || bad "$1: no line before end of input (effad ended: $(cat "$T/err"))"; }

CASE=json
start --json --save "$T/figs"
answer "$CASE header"
case $line in *'"kind":"fit"'*) ;; *) bad "$CASE: first line is not the header: $line" ;; esac
echo "$img" >&3
answer "$CASE first image"
case $line in *"\"file\":\"$img\",\"score\":"*) ;; *) bad "$CASE: not the first image's record: $line" ;; esac
first=$line
[ -f "$T/figs/${img%.png}.png" ] || bad "$CASE: figure $T/figs/${img%.png}.png not there when the record came"
echo "$T/no-such.png" >&3
answer "$CASE missing file"
case $line in *"\"file\":\"$T/no-such.png\",\"error\":"*) ;; *) bad "$CASE: not an error record: $line" ;; esac
printf '\n%s\r\n' "$img2" >&3
answer "$CASE second image"
case $line in *"\"file\":\"$img2\",\"score\":"*) ;; *) bad "$CASE: not the second image's record: $line" ;; esac
head -c 200 "$img" > "$T/corrupt.png"   # listed, but not decodable: its record comes at once too
echo "$T/corrupt.png" >&3
answer "$CASE corrupt image"
case $line in *"\"file\":\"$T/corrupt.png\",\"error\":\"PNG"*) ;; *) bad "$CASE: not the corrupt image's record: $line" ;; esac
finish
case $(cat "$T/rest") in
    *'"kind":"summary","images":4,"scored":2,'*'"errors":2}') ;;
    *) bad "$CASE: summary: $(cat "$T/rest")" ;;
esac
[ "$rc" -eq 4 ] || bad "$CASE: exit status $rc, not 4 (an unreadable image)"

# the same bits as a batch
effad score "$T/a.gauss" "$T/m.efm" "$img" --json 2>/dev/null | grep '"file"' >"$T/batch"
[ "$first" = "$(cat "$T/batch")" ] || bad "streamed record differs from the batch's: $first / $(cat "$T/batch")"

CASE=csv
start --csv --threads 2
answer "$CASE header"
case $line in file,score,verdict,level_*) ;; *) bad "$CASE: header: $line" ;; esac
echo "$img" >&3
answer "$CASE record"
case $line in "$img",*) ;; *) bad "$CASE: record: $line" ;; esac
# a folder on a line, with threads: its images on every worker
# (pipeline_workers_batch), their records in the folder's order, each the
# batch score; then a single image again (worker 0 with the pool)
mkdir "$T/lot"
for f in $I/png-c*.png $I/bmp-24.bmp $I/jpeg-420.jpg; do cp "$f" "$T/lot/"; done
head -c 300 $I/png-c0-d8.png > "$T/lot/zz-corrupt.png"
echo "$T/lot" >&3
n_lot=$(ls "$T/lot" | wc -l)
k=0
while [ $k -lt "$n_lot" ]; do answer "$CASE folder record $k"; echo "$line" >> "$T/lot.csv"; k=$((k + 1)); done
echo "$img2" >&3
answer "$CASE image after the folder"
case $line in "$img2",*) ;; *) bad "$CASE: record after the folder: $line" ;; esac
finish
[ "$rc" -eq 4 ] || bad "$CASE: exit status $rc, not 4 (the corrupt image): $(cat "$T/err")"
effad score "$T/a.gauss" "$T/m.efm" "$T/lot" --csv 2>/dev/null | sed 1d > "$T/lot-batch.csv"
cmp -s "$T/lot.csv" "$T/lot-batch.csv" || bad "$CASE: a folder's streamed records are not the batch's: $(diff "$T/lot.csv" "$T/lot-batch.csv" | head -4)"

CASE=empty
effad score "$T/a.gauss" "$T/m.efm" --stream --json </dev/null >"$T/e.out" 2>"$T/e.err" || bad "$CASE: failed: $(cat "$T/e.err")"
grep -q '"kind":"summary","images":0,' "$T/e.out" || bad "$CASE: summary: $(cat "$T/e.out")"

expect_fail "stream and an image" "reads the images from standard input" effad score "$T/a.gauss" "$T/m.efm" --stream "$img"
exit $fail
