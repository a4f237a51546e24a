#!/bin/sh
# make tsan: the thread tests and a threaded fit and score, built with
# -fsanitize=thread (in $1, default build/tsan). Any report of a data race
# stops the run with a non-zero status (halt_on_error).
#
#   sh tests/tsan-run.sh [BUILD_DIR]
B=${1:-build/tsan}
cd "$(dirname "$0")/.." || exit 2
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
step() { echo "tsan: $*"; "$@" >"$T/out" 2>&1 || { cat "$T/out"; echo "tsan: FAILED: $*"; exit 1; }; }
step "$B/tests/test-threads"
tail -n 1 "$T/out"
step "$B/effad" convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm"
step "$B/effad" fit "$T/m.efm" tests/data/images -o "$T/a.gauss" --threads 2 --skip-bad --quiet
step "$B/effad" fit "$T/m.efm" tests/data/images -o "$T/b.gauss" --threads 2 --skip-bad --aug 1 --quiet
step "$B/effad" score "$T/a.gauss" "$T/m.efm" tests/data/images/png-c0-d8.png tests/data/images/png-c6-d8.png --threads 2
echo "tsan: clean"
