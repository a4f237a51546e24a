#!/bin/sh
# Runs every test program under $1/tests (and every tests/sh/*.sh script),
# then prints the plain total line "N passed, N failed".
B=${1:-build}
passed=0; failed=0; broken=""
for t in "$B"/tests/test-*; do
    [ -x "$t" ] || continue
    # $RUNNER (unquoted: it may carry arguments) runs cross-built tests
    # under an emulator, e.g. RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu".
    out=$($RUNNER "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^FAIL' | tail -n 20
    printf '%s\n' "$out" | grep '^FAIL' | head -n 30
    line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/'); [ -n "$p" ] || p=0
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed$/\1/'); [ -n "$f" ] || f=0
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or exited early
    [ $rc -ne 0 ] && broken="$broken $(basename "$t")"
    passed=$((passed + p)); failed=$((failed + f))
done
for s in tests/sh/*.sh; do
    [ -f "$s" ] || continue
    if EFFAD_BUILD="$B" sh "$s"; then passed=$((passed + 1)); echo "ok $s";
    else failed=$((failed + 1)); broken="$broken $s"; echo "FAIL $s"; fi
done
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
