#!/bin/sh
# Outputs never damage anything (src/atomic-file.h), through the CLI:
#  - an existing target that is not a regular file (FIFO, directory, and a
#    character device made here when mknod is allowed) is refused with a
#    message and left as it was;
#  - an output that is one of the command's inputs (same path, a hard link,
#    a symbolic link to it) is refused and the input left as it was;
#  - a symbolic link as output is written through: the link stays, its
#    target gets the new bytes, no temp file is left in either directory;
#  - SIGINT, SIGTERM or SIGPIPE while the temp file is created, half
#    written or written leaves no *.tmp.* file and the old output intact:
#    a .efm written whole, and a .gauss streamed;
#  - a standard output that cannot be written (a full disk: /dev/full; a
#    closed descriptor) fails the command with a message, not exit 0 over
#    a lost table (src/main.c).
# The stalls come from EFFAD_TEST_ATOMIC_STALL (src/atomic-file.c, tests only).
NAME=cli-output-safety
. "$(dirname "$0")/lib/cli.sh"

G=tests/golden/tiny-tv-bn
I=tests/data/images
effad convert $G/model.onnx -o "$T/m.efm" >/dev/null || bad "convert"
effad convert tests/golden/tiny-lm-static/model.onnx -o "$T/other.efm" >/dev/null || bad "convert other"
effad fit "$T/m.efm" $I/png-c*.png -o "$T/a.gauss" --quiet >/dev/null || bad "fit"
no_temps() { ls -a "$@" 2>/dev/null | grep -q '\.tmp\.' && bad "$CASE: temp file left: $(ls -a "$@" | grep '\.tmp\.')"; }

# --- targets that are not regular files
mkfifo "$T/fifo" || bad "mkfifo"
CASE=fifo
expect_fail "$CASE" "is a FIFO, not a regular file" timeout 20 $RUNNER "$B/effad" convert $G/model.onnx -o "$T/fifo"
[ -p "$T/fifo" ] || bad "$CASE: the FIFO was replaced"
CASE=directory
mkdir "$T/dir"
expect_fail "$CASE" "is a directory, not a regular file" effad convert $G/model.onnx -o "$T/dir"
expect_fail "$CASE: fit" "is a directory" effad fit "$T/m.efm" $I/png-c2-d8.png -o "$T/dir"
[ -d "$T/dir" ] || bad "$CASE: the directory was replaced"
CASE=device
if mknod "$T/null" c 1 3 2>/dev/null; then
    expect_fail "$CASE" "is a character device" effad features "$T/m.efm" --tensor $G/input.f32 -o "$T/null"
    [ -c "$T/null" ] || bad "$CASE: the device node was replaced by a file"
fi
CASE="file where --save wants a directory"
: > "$T/plain"
expect_fail "$CASE" "exists and is not a directory" effad score "$T/a.gauss" "$T/m.efm" $I/png-c2-d8.png --save "$T/plain"
no_temps "$T" "$T/dir"

# --- a standard output that cannot take the output
to_full() { "$@" >/dev/full; }
to_closed() { "$@" >&-; }
CASE="stdout on a full disk"
if [ -w /dev/full ]; then
    expect_fail "$CASE: score --csv" "standard output: write failed" to_full effad score "$T/a.gauss" "$T/m.efm" $I/png-c*.png --csv
    expect_fail "$CASE: score --json" "standard output: write failed" to_full effad score "$T/a.gauss" "$T/m.efm" $I/png-c2-d8.png --json
    expect_fail "$CASE: info" "standard output: write failed: No space left" to_full effad info "$T/m.efm"
    expect_fail "$CASE: features" "standard output" to_full effad features "$T/m.efm" $I/png-c2-d8.png
    # every image anomalous at threshold 0: 3 with the table written, 1 without
    effad score "$T/a.gauss" "$T/m.efm" $I/png-c2-d8.png --csv --threshold 0 --fail-on-anomaly >/dev/null 2>&1
    rc=$?; [ $rc -eq 3 ] || bad "$CASE: --fail-on-anomaly to a file: exit $rc, not 3"
    to_full effad score "$T/a.gauss" "$T/m.efm" $I/png-c2-d8.png --csv --threshold 0 --fail-on-anomaly >/dev/null 2>&1
    rc=$?; [ $rc -eq 1 ] || bad "$CASE: --fail-on-anomaly to /dev/full: exit $rc, not 1"
else
    echo "$NAME: /dev/full not writable here: the full-disk cases not run"
fi
CASE="stdout closed"
expect_fail "$CASE: info" "standard output: write failed" to_closed effad info "$T/a.gauss"
expect_fail "$CASE: score" "standard output: write failed" to_closed effad score "$T/a.gauss" "$T/m.efm" $I/png-c2-d8.png

# --- an output that is one of the inputs
CASE=same-path
cp "$T/m.efm" "$T/keep.efm"
expect_fail "$CASE" "is also an input of this command" effad fit "$T/m.efm" $I/png-c2-d8.png -o "$T/m.efm"
cmp -s "$T/m.efm" "$T/keep.efm" || bad "$CASE: the model was changed"
cp $G/model.onnx "$T/in.onnx"
expect_fail "$CASE: convert" "is also an input" effad convert "$T/in.onnx" -o "$T/in.onnx"
cmp -s "$T/in.onnx" $G/model.onnx || bad "$CASE: the ONNX input was changed"
CASE=hard-link
ln "$T/m.efm" "$T/hard.efm"
expect_fail "$CASE" "is also an input" effad fit "$T/m.efm" $I/png-c2-d8.png -o "$T/hard.efm"
CASE=symlink-to-input
ln -s m.efm "$T/soft.efm"
expect_fail "$CASE" "is also an input" effad fit "$T/m.efm" $I/png-c2-d8.png -o "$T/soft.efm"
cmp -s "$T/m.efm" "$T/keep.efm" || bad "$CASE: the model was changed"
CASE=merge-into-input
cp "$T/a.gauss" "$T/keep.gauss"
expect_fail "$CASE" "is also an input" effad merge "$T/a.gauss" -o "$T/a.gauss"
cmp -s "$T/a.gauss" "$T/keep.gauss" || bad "$CASE: the .gauss was changed"
CASE=image-input
cp $I/png-c2-d8.png "$T/img.png"
expect_fail "$CASE" "is also an input" effad fit "$T/m.efm" "$T/img.png" -o "$T/img.png"
cmp -s "$T/img.png" $I/png-c2-d8.png || bad "$CASE: the image was changed"
no_temps "$T"

# --- symbolic links are written through, atomically
CASE=symlink
mkdir "$T/real"
cp "$T/other.efm" "$T/real/target.efm"
ln -s real/target.efm "$T/link.efm"
effad convert $G/model.onnx -o "$T/link.efm" >/dev/null || bad "$CASE: convert through a link"
[ -L "$T/link.efm" ] || bad "$CASE: the link was replaced by a file"
cmp -s "$T/real/target.efm" "$T/m.efm" || bad "$CASE: the link's target did not get the new model"
ln -s "$T/real/new.efm" "$T/dangling.efm"
effad convert $G/model.onnx -o "$T/dangling.efm" >/dev/null || bad "$CASE: convert through a dangling link"
[ -L "$T/dangling.efm" ] && cmp -s "$T/real/new.efm" "$T/m.efm" || bad "$CASE: a dangling link's target was not created"
ln -s loop1 "$T/loop2"; ln -s loop2 "$T/loop1"
expect_fail "$CASE: loop" "symbolic links" effad convert $G/model.onnx -o "$T/loop1"
no_temps "$T" "$T/real"

# --- interrupted writes: SIGINT / SIGTERM at several points
# interrupt POINT SIGNAL OUT OLD ARGS...: `effad ARGS` writing OUT, which
# holds a copy of OLD, stalled at POINT and sent SIGNAL
interrupt() {
    point=$1 sig=$2 out=$3 old=$4
    shift 4
    CASE="$sig at $point: $1"
    cp "$old" "$out"
    rm -f "$T/stall.err"
    # a background job of a script starts with SIGINT ignored; a user's
    # Ctrl-C reaches a process whose SIGINT is at its default
    EFFAD_TEST_ATOMIC_STALL=$point env --default-signal=INT,PIPE "$B/effad" "$@" >/dev/null 2>"$T/stall.err" &
    pid=$!
    i=0
    until grep -q "stalled $point" "$T/stall.err" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || { bad "$CASE: never stalled: $(cat "$T/stall.err")"; kill -9 $pid; return; }
        sleep 0.05
    done
    ls "$T" | grep -q '\.tmp\.' || bad "$CASE: no temp file while stalled"
    kill -"$sig" $pid
    { wait $pid; } 2>/dev/null; rc=$?
    [ $rc -gt 128 ] || bad "$CASE: exit status $rc, not death by signal"
    cmp -s "$out" "$old" || bad "$CASE: the old output changed"
    no_temps "$T"
}
# The .gauss is streamed through a 256 KiB buffer (GAUSS_FILE_WRITE_CHUNK):
# with --maps this model's spans several, so "partial" stops the fit
# between two of them.
effad fit "$T/m.efm" $I/png-c*.png --maps -o "$T/maps.gauss" --quiet >/dev/null || bad "fit --maps"
[ "$(wc -c < "$T/maps.gauss")" -gt 262144 ] || bad "the --maps .gauss is one write buffer or less: partial is not mid-stream"
# (under qemu-user the signal would reach the emulator, not effad)
if [ -n "$RUNNER" ]; then echo "$NAME: signals not tested under $RUNNER"
elif ! env --default-signal=INT,PIPE true 2>/dev/null; then echo "$NAME: signals not tested: env has no --default-signal"
else
    for point in created partial written; do
        interrupt $point INT "$T/out.efm" "$T/other.efm" convert $G/model.onnx -o "$T/out.efm"
        interrupt $point INT "$T/out.gauss" "$T/a.gauss" fit "$T/m.efm" $I/png-c*.png --maps -o "$T/out.gauss" --quiet
    done
    interrupt partial TERM "$T/out.efm" "$T/other.efm" convert $G/model.onnx -o "$T/out.efm"
    interrupt partial TERM "$T/out.gauss" "$T/a.gauss" fit "$T/m.efm" $I/png-c*.png --maps -o "$T/out.gauss" --quiet
    # a reader of standard output gone (score ... | head) while a file is written
    interrupt partial PIPE "$T/out.efm" "$T/other.efm" convert $G/model.onnx -o "$T/out.efm"
fi
exit $fail
