#!/bin/sh
# ab-builds.sh -- two or more builds of effad on one model, alternated, one
# thread pinned to one CPU: the A/B behind every "alternated pairs" figure in
# bench/README.md, models/int8.md and the kernels' comments. On a shared
# machine a neighbour's burst hits whichever build is running, so builds take
# turns round by round and the summary is their mean of per-round medians,
# the rounds listed.
# Not part of `make test`.
#
#   sh bench/ab-builds.sh MODEL.efm ISA ROUNDS BIN...
#   e.g. cp build/effad /tmp/effad-base   (then change, make)
#        sh bench/ab-builds.sh build/bench/b0-int8-fast.efm avx2 6 /tmp/effad-base build/effad
#
# Each round runs `BIN bench MODEL --isa ISA --runs RUNS` (RUNS: 60 unless
# set) for every BIN in order, pinned to CPU (1 unless set), and prints
# nothing until the last round is done.
[ $# -ge 4 ] || { echo "usage: ab-builds.sh MODEL.efm ISA ROUNDS BIN..." >&2; exit 2; }
model=$1 isa=$2 rounds=$3
shift 3
cpu=${CPU:-1} runs=${RUNS:-60}
for bin in "$@"; do [ -x "$bin" ] || { echo "ab-builds.sh: $bin is not an executable" >&2; exit 2; }; done
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    i=0
    for bin in "$@"; do
        i=$((i + 1))
        ms=$(taskset -c "$cpu" "$bin" bench "$model" --isa "$isa" --runs "$runs" 2>&1 |
             sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
        [ -n "$ms" ] || { echo "ab-builds.sh: $bin bench $model failed" >&2; exit 1; }
        echo "$r $i $ms" >> "$out"
    done
    r=$((r + 1))
done
awk -v n=$# '
    { t[$2] = t[$2] " " $3; s[$2] += $3; c[$2]++ }
    END { for (i = 1; i <= n; i++) printf "build %d: mean of medians %.3f ms over %d rounds:%s\n", i, s[i] / c[i], c[i], t[i] }' "$out"
