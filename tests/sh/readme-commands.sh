#!/bin/sh
# The README's commands run as written (issue 17): every line of its
# indented command blocks that calls ./build/effad is run with sh, in the
# order printed, and must exit 0. The set-up line runs from its
# ./build/effad on (the build already exists); a line marked "not run by
# the README test" needs a download. They run in a scratch directory that
# holds ./build (this build) and ./tests (the repository's fixtures), so
# nothing lands in the source tree. A README command that calls plain
# `effad` (not on PATH after the set-up) fails the test too.
cd "$(dirname "$0")/../.." || exit 2
B=${EFFAD_BUILD:-build}
if [ -n "${RUNNER:-}" ]; then echo "readme-commands: SKIP the commands call ./build/effad, not \$RUNNER"; exit 0; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ln -s "$(cd "$B" && pwd)" "$T/build"
ln -s "$PWD/tests" "$T/tests"
# indented lines outside fenced blocks, continuation lines joined
awk '/^```/ { fence = !fence; next }
     fence || !/^    [^ ]/ { next }
     { line = substr($0, 5)
       while (line ~ /\\$/ && (getline more) > 0) line = substr(line, 1, length(line) - 1) " " substr(more, 5)
       print line }' README.md > "$T/blocks"
fail=0
if grep -n '^effad \|[|&;] *effad ' "$T/blocks" > "$T/plain"; then
    echo "readme-commands: README commands call effad, which is not on PATH after the set-up: $(cat "$T/plain")"
    fail=1
fi
grep '\./build/effad' "$T/blocks" | grep -v 'not run by the README test' | sed 's/^.*&& *\(\.\/build\/effad\)/\1/' > "$T/commands"
n=$(wc -l < "$T/commands")
[ "$n" -ge 20 ] || { echo "readme-commands: only $n commands found in README.md"; fail=1; }
cd "$T" || exit 2
while IFS= read -r cmd; do
    if ! sh -c "$cmd" > out 2> err < /dev/null; then
        echo "readme-commands: failed: $cmd"
        tail -n 5 err
        fail=1
    fi
done < "$T/commands"
# what the commands promise to leave behind
for f in effad-demo/demo.gauss tiny.efm part.gauss scores.csv figs/000.png report/report.json merged.gauss \
         calibrated.gauss features.csv demo-int8.efm demo-qdq.onnx maps.gauss raw/000.map.f32 maps-report/region-counts.svg; do
    [ -s "$f" ] || { echo "readme-commands: $f was not written"; fail=1; }
done
head -1 scores.csv | grep -q '^file,score,verdict,level_0,' || { echo "readme-commands: scores.csv has no CSV header"; fail=1; }
exit $fail
