#!/bin/sh
# Runs every test program under $1/tests (and every tests/sh/*.sh script),
# then prints the plain total line "N passed, N failed, N skipped".
#
# A test program ends with "<name>: N passed, N failed" (tests/unit/check.h).
# One that cannot run here says so instead, with a line
#     <name>: SKIP <reason>
# and is counted as one skip. A program that ran no check and did not say
# SKIP proves nothing, and counts as a failure; so does a crash or a
# non-zero exit. A tests/sh script passes by exiting 0, unless it printed a
# SKIP line.
#
# $B/tests/replay-<name> are the fuzz harnesses with the replay main
# (tests/fuzz/replay.c): they run every regression input of
# tests/data/fuzz-regress/<name>/ and every committed seed of
# tests/fuzz/seeds/<name>/ (replay-onnx-qdq: the int8 fixtures' QDQ files).
#
# The tests run $EFFAD_TEST_JOBS at a time (default: the number of CPUs;
# every test makes its own temporaries), the shell scripts started first as
# they take longest; the report is in the usual order. Under the sanitizers
# and emulators the suite is CI's longest step, and it used one core.
B=${1:-build}
self=$0
# run_one ITEM OUT: runs one test program or script, its output to OUT,
# its exit status to OUT.rc
run_one() {
    t=$1 out=$2
    case $t in
    *.sh) EFFAD_BUILD="$B" sh "$t" > "$out" 2>&1 ;;
    *)  name=$(basename "$t")
        set --
        case $name in replay-*)
            for d in "tests/data/fuzz-regress/${name#replay-}" "tests/fuzz/seeds/${name#replay-}"; do
                [ -d "$d" ] && set -- "$@" "$d"
            done
            # the QDQ import's seeds are the int8 fixtures themselves
            [ "$name" = replay-onnx-qdq ] && set -- "$@" tests/int8/tiny-*/qdq.onnx tests/int8/ort-qdq/*.onnx ;;
        esac
        # $RUNNER (unquoted: it may carry arguments) runs cross-built tests
        # under an emulator, e.g. RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu".
        $RUNNER "$t" "$@" > "$out" 2>&1 ;;
    esac
    echo $? > "$out.rc"
}
if [ "${2:-}" = --one ]; then run_one "$3" "$4"; exit 0; fi

programs=""
for t in "$B"/tests/test-* "$B"/tests/replay-*; do [ -x "$t" ] && programs="$programs $t"; done
scripts=""
for s in tests/sh/*.sh; do [ -f "$s" ] && scripts="$scripts $s"; done
jobs=${EFFAD_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
key() { printf '%s' "$1" | tr '/' '_'; }
for i in $scripts $programs; do printf '%s\n%s\n' "$i" "$tmp/$(key "$i")"; done |
    xargs -n 2 -P "$jobs" sh "$self" "$B" --one

passed=0; failed=0; skipped=0; broken=""
skip_line() { printf '%s\n' "$1" | grep -E '^[^ ]+: SKIP( |$)' | tail -n 1; }
result() { out=$(cat "$tmp/$(key "$1")"); rc=$(cat "$tmp/$(key "$1").rc" 2>/dev/null || echo 127); }
for t in $programs; do
    name=$(basename "$t")
    result "$t"
    printf '%s\n' "$out" | grep -v '^FAIL' | tail -n 20
    printf '%s\n' "$out" | grep '^FAIL' | head -n 30
    line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/'); [ -n "$p" ] || p=0
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed$/\1/'); [ -n "$f" ] || f=0
    if [ $rc -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        if [ -n "$(skip_line "$out")" ]; then skipped=$((skipped + 1)); continue; fi
        echo "FAIL $name: ran no check and did not say SKIP"; f=1
    fi
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or exited early
    [ $rc -ne 0 ] || [ "$f" -ne 0 ] && broken="$broken $name"
    passed=$((passed + p)); failed=$((failed + f))
done
for s in $scripts; do
    result "$s"
    [ -n "$out" ] && printf '%s\n' "$out" | tail -n 30
    if [ $rc -ne 0 ]; then failed=$((failed + 1)); broken="$broken $s"; echo "FAIL $s"
    elif [ -n "$(skip_line "$out")" ]; then skipped=$((skipped + 1)); echo "skip $s"
    else passed=$((passed + 1)); echo "ok $s"; fi
done
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
