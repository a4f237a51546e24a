#!/bin/sh
# --threads N on many images runs N images at once (src/batch.c): fit,
# score and eval must write the same bytes as with one thread -- image-
# level and map models, augmented copies, held-out images, an unreadable
# image in the batch (its error record, --skip-bad), figures and raw maps.
NAME=cli-batch-threads
. "$(dirname "$0")/lib/cli.sh"

effad demo --out "$T/demo" >"$T/demo.txt" 2>&1 || bad "demo: $(tail -5 "$T/demo.txt")"
D=$T/demo/data
M=$T/demo/demo.efm
# a training set with one file that is not an image
mkdir -p "$T/train"
cp "$D"/train/good/0[0-3]?.png "$T/train/"
printf 'not a png' > "$T/train/015.png"
# test images with the same unreadable file among them
mkdir -p "$T/test"
cp -r "$D/test/good" "$D/test/hole" "$T/test/"
cp "$T/train/015.png" "$T/test/hole/002.png"

if ! effad fit "$M" "$D/train/good" -o "$T/probe.gauss" --threads 2 --quiet >/dev/null 2>"$T/terr"; then
    grep -q "no thread support" "$T/terr" || bad "fit --threads 2: $(cat "$T/terr")"
    echo "$NAME: SKIP (a build without threads)"
    exit $fail
fi

# One thread count's runs, into $T/t$1. The counts run side by side (each
# in a subshell, its failures in $T/t$1.fail). Under an emulator ($RUNNER:
# the cross suites, for byte order and the Arm kernels) 1 and 2 threads are
# compared, not 3: the s390x run of this script alone took 13 minutes, CI's
# longest test, and three threads on a CPU of two prove nothing two do not.
run_threads() {
    n=$1
    O=$T/t$n
    mkdir -p "$O"
    effad fit "$M" "$T/train" -o "$O/aug.gauss" --aug 2 --seed 7 --skip-bad --threads $n --quiet >"$O/fit.txt" 2>"$O/fit.err" ||
        bad "fit --aug --skip-bad --threads $n: $(cat "$O/fit.err")"
    effad fit "$M" "$D/train/good" -o "$O/maps.gauss" --maps --holdout 0.2 --threads $n --quiet >"$O/maps.txt" 2>&1 ||
        bad "fit --maps --threads $n: $(cat "$O/maps.txt")"
    effad fit "$M" "$T/train" -o "$O/stop.gauss" --threads $n --quiet >/dev/null 2>"$O/stop.err" && bad "fit --threads $n went on past an unreadable image"
    effad score "$O/aug.gauss" "$M" "$T/test" --threads $n >"$O/score.txt" 2>"$O/score.err"
    [ $? -eq 4 ] || bad "score --threads $n: not exit 4 with an unreadable image"
    effad score "$O/aug.gauss" "$M" "$T/test" --csv --threads $n >"$O/score.csv" 2>/dev/null
    [ $? -eq 4 ] || bad "score --csv --threads $n: not exit 4 with an unreadable image"
    effad score "$O/maps.gauss" "$M" "$T/test" --json --save "$O/figs" --save-maps "$O/raw" --threads $n >"$O/maps.jsonl" 2>&1
    [ $? -eq 4 ] || bad "score --json --threads $n (maps): not exit 4 with an unreadable image"
    effad score "$O/maps.gauss" "$M" "$D/test/spot/000.png" --json --threads $n >"$O/one.jsonl" || bad "score one image --threads $n"
    effad eval "$O/maps.gauss" "$M" "$D" --out "$O/rep" --threads $n --quiet >"$O/eval.txt" 2>&1 || bad "eval --threads $n: $(cat "$O/eval.txt")"
    # with threads the .gauss is read while the model loads (detector.c,
    # read_both): a bad one of either, or both, fails as with one thread,
    # the .gauss's error first
    head -c 3000 "$O/aug.gauss" >"$O/cut.gauss"
    head -c 3000 "$M" >"$O/cut.efm"
    for pair in "cut.gauss $M" "aug.gauss $O/cut.efm" "cut.gauss $O/cut.efm"; do
        set -- $pair
        effad score "$O/$1" "$2" "$D/test/spot/000.png" --threads $n >/dev/null 2>>"$O/bad.err" &&
            bad "score --threads $n: $1 with $2 did not fail"
    done
    grep -c "truncated" "$O/bad.err" | grep -qx 3 || bad "score --threads $n: not three truncation errors: $(cat "$O/bad.err")"
    # the outputs name their directory; the bytes must not differ otherwise
    for f in fit.txt fit.err stop.err maps.txt score.txt score.csv maps.jsonl one.jsonl eval.txt bad.err; do sed -i "s|$O/|OUT/|g" "$O/$f"; done
    # except the fit's memory estimate, which depends on the thread count
    sed -i '/fitting memory/d' "$O/maps.txt"
    # what the runs hold: rows from every readable image, every record
    grep -q "skipped $T/train/015.png" "$O/fit.err" || bad "fit --skip-bad --threads $n did not list the unreadable image"
    grep -q "$T/train/015.png" "$O/stop.err" || bad "fit --threads $n: the stop does not name the image: $(cat "$O/stop.err")"
    [ -e "$O/stop.gauss" ] && bad "fit --threads $n wrote its output after a stop"
    [ "$(grep -c '^ERROR' "$O/score.txt")" -eq 1 ] || bad "score --threads $n: not one ERROR record"
    [ "$(grep -c ',error,' "$O/score.csv")" -eq 1 ] || bad "score --csv --threads $n: not one error row"
    [ "$(grep -c '"score":' "$O/maps.jsonl")" -eq $(($(find "$T/test" -type f | wc -l) - 1)) ] || bad "score --threads $n: not one line per readable image"
    [ "$(find "$O/raw" -type f | wc -l)" -ge 10 ] || bad "score --save-maps --threads $n wrote too few maps"
}
counts="1 2 3"
[ -n "${RUNNER:-}" ] && counts="1 2"
for n in $counts; do
    (fail=0; run_threads $n > "$T/t$n.log" 2>&1; echo $fail > "$T/t$n.fail") &
done
wait
for n in $counts; do
    cat "$T/t$n.log"
    [ "$(cat "$T/t$n.fail" 2>/dev/null)" = 0 ] || fail=1
done

for n in ${counts#1 }; do
    for f in aug.gauss maps.gauss fit.txt fit.err stop.err maps.txt score.txt score.csv maps.jsonl one.jsonl eval.txt bad.err \
             rep/scores.csv rep/report.json rep/roc.svg rep/region-counts.svg; do
        cmp -s "$T/t1/$f" "$T/t$n/$f" || bad "--threads $n: $f differs from --threads 1"
    done
    for d in figs raw; do
        diff -r "$T/t1/$d" "$T/t$n/$d" >/dev/null || bad "--threads $n: $d/ differs from --threads 1"
    done
done
exit $fail
