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
# the Gaussians' share of a threaded fit: Cholesky blocks and the moments'
# flushes on real pools of 2 and 3 threads
step "$B/tests/test-gauss-chol"
step "$B/tests/test-gauss-lw"
step "$B/effad" convert tests/golden/tiny-tv-bn/model.onnx -o "$T/m.efm"
step "$B/effad" fit "$T/m.efm" tests/data/images -o "$T/a.gauss" --threads 2 --skip-bad --quiet
step "$B/effad" fit "$T/m.efm" tests/data/images -o "$T/b.gauss" --threads 2 --skip-bad --aug 1 --quiet
step "$B/effad" score "$T/a.gauss" "$T/m.efm" tests/data/images/png-c0-d8.png tests/data/images/png-c6-d8.png --threads 2
# weight-only blocks: their 1x1 weights refilled into the runner's shared
# region between parallel layers (engine/plan.c), on 2 workers
mkdir -p "$T/calib"
cp tests/data/images/png-c2-d8.png tests/data/images/png-c6-d8.png "$T/calib/"
step "$B/effad" convert tests/golden/tiny-tv-bn/model.onnx -o "$T/w8.efm" --int8 --weight-only 1,head --calib "$T/calib" --quiet
step "$B/effad" fit "$T/w8.efm" tests/data/images -o "$T/w8.gauss" --threads 2 --skip-bad --quiet
step "$B/effad" score "$T/w8.gauss" "$T/w8.efm" tests/data/images/png-c0-d8.png tests/data/images/png-c6-d8.png --threads 2
# several images at once (src/batch.c): the batch module, then fit, score
# and eval with maps, figures and an error record on 2 and 3 workers
step "$B/tests/test-batch"
mkdir -p "$T/d/test/good" "$T/d/test/odd"
cp tests/data/images/png-c2-d8*.png tests/data/images/bmp-24*.bmp "$T/d/test/good/" 2>/dev/null
cp tests/data/images/png-c6-d8*.png tests/data/images/jpeg-4*.jpg "$T/d/test/odd/" 2>/dev/null
printf 'not an image' > "$T/d/test/odd/broken.png"
step "$B/effad" fit "$T/m.efm" tests/data/images -o "$T/maps.gauss" --maps --threads 3 --skip-bad --quiet
"$B/effad" score "$T/maps.gauss" "$T/m.efm" "$T/d/test" --threads 2 --json --save "$T/figs" --save-maps "$T/raw" >"$T/out" 2>&1
[ $? -eq 4 ] || { cat "$T/out"; echo "tsan: FAILED: score of a batch with a broken image"; exit 1; }
"$B/effad" eval "$T/maps.gauss" "$T/m.efm" "$T/d" --threads 3 --out "$T/rep" --quiet >"$T/out" 2>&1
[ $? -eq 4 ] || { cat "$T/out"; echo "tsan: FAILED: eval of a batch with a broken image"; exit 1; }
echo "tsan: clean"
