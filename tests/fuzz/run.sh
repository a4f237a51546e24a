#!/bin/sh
# Runs built libFuzzer harnesses, FUZZ_JOBS at a time (default: the number
# of CPUs), each on one core (what `make fuzz` does):
#
#   FUZZ_SECONDS=N sh tests/fuzz/run.sh NAME...     (build/fuzz/fuzz-NAME each)
#
# Each harness runs N seconds on its corpus build/fuzz/corpus/NAME/ (kept
# between runs, so coverage accumulates), seeded from build/fuzz/seeds/NAME/
# (tests/fuzz/make-seeds.sh) and tests/data/fuzz-regress/NAME/, with its
# dictionary tests/fuzz/NAME.dict when there is one, and these limits:
#   FUZZ_RSS_MB     (2048) resident memory, and 256 MB for any one malloc:
#                   a small input that allocates more is a finding
#   FUZZ_TIMEOUT    (25) seconds for one input
# Prints per harness: executions, coverage (cov: edges, ft: features),
# corpus size; the log is build/fuzz/logs/NAME.log. A crash, leak, timeout
# or out-of-memory leaves its input in build/fuzz/crashes/NAME/, is printed
# with the start of the report, and makes the exit status 1 -- after the
# other harnesses have had their turn. The figures are printed in the order
# the harnesses were named.
self=$(cd "$(dirname "$0")" && pwd)/run.sh
cd "$(dirname "$0")/../.." || exit 2
F=build/fuzz
N=${FUZZ_SECONDS:-60}
RSS=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-25}
# fuzz_one NAME: runs one harness; its figures go to $F/logs/NAME.summary,
# and the file $F/logs/NAME.failed is left when it found something
fuzz_one() {
    name=$1
    bin=$F/fuzz-$name
    sum=$F/logs/$name.summary
    mkdir -p "$F/logs"
    rm -f "$F/logs/$name.failed"
    [ -x "$bin" ] || { echo "fuzz: $bin not built" > "$sum"; : > "$F/logs/$name.failed"; return; }
    corpus=$F/corpus/$name crashes=$F/crashes/$name log=$F/logs/$name.log
    mkdir -p "$corpus" "$crashes"
    set -- # the seed directories that exist, after the corpus
    for d in "$F/seeds/$name" "tests/data/fuzz-regress/$name"; do [ -d "$d" ] && set -- "$@" "$d"; done
    dict=; [ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
    "$bin" $dict -max_total_time="$N" -rss_limit_mb="$RSS" -malloc_limit_mb=256 -timeout="$TIMEOUT" \
        -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "$@" >"$log" 2>&1
    rc=$?
    # "#123 DONE cov: 456 ft: 789 corp: 12/3456b ..." (or the last progress line)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s' "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
    {
        printf '%-12s %10s execs  cov %-6s ft %-7s corpus %-12s %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
            "${corp:-?}" "$([ $rc -eq 0 ] && echo clean || echo FAILED)"
        if [ $rc -ne 0 ]; then
            grep -E 'ERROR: |SUMMARY: |rule broken|Test unit written to' "$log" | head -n 8 | sed 's/^/    /'
            echo "    (log: $log; once fixed, copy the input into tests/data/fuzz-regress/$name/)"
        fi
    } > "$sum"
    [ $rc -eq 0 ] || : > "$F/logs/$name.failed"
}
if [ "${1:-}" = --one ]; then fuzz_one "$2"; exit 0; fi

printf '%s\n' "$@" | xargs -n 1 -P "${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}" sh "$self" --one
status=0
for name in "$@"; do
    cat "$F/logs/$name.summary"
    [ -f "$F/logs/$name.failed" ] && status=1
done
exit $status
