#!/bin/sh
# calibrate --fpr F: thresholds chosen on good images the fit did not see
# for a false-reject rate (src/reject-rate.h). On the demo's set, fitted on
# half the training images and calibrated on the other half:
#  - the image threshold 'good-fpr-F' is the lowest at which at most
#    floor(F n) of the images reject: checked by awk against the images'
#    own scores under the uncalibrated model (score >= t rejects; the
#    (k+1)-th highest score raised to the next double), put in force,
#    and score's verdicts on the same images reject what calibrate said;
#  - the same with --threads 2, bit for bit;
#  - with maps: the pixel threshold lets at most floor(F n) images show a
#    defect region (score's verdicts), none with F = 0 and F n < 1, and a
#    larger F never a higher threshold;
#  - merge drops it;
#  - refusals: a model without maps and no --fpr, F out of [0, 1).
NAME=cli-calibrate-fpr
. "$(dirname "$0")/lib/cli.sh"

effad demo --out "$T/demo" >/dev/null 2>&1 || bad "demo"
D=$T/demo/data
M=$T/demo/demo.efm
ls "$D"/train/good/*.png | awk 'NR % 2' > "$T/fit.list"
ls "$D"/train/good/*.png | awk '!(NR % 2)' > "$T/cal.list"
effad fit "$M" - -o "$T/p.gauss" --quiet < "$T/fit.list" >/dev/null 2>&1 || bad "fit"
effad fit "$M" - -o "$T/m.gauss" --quiet --maps --preprocess paper < "$T/fit.list" >/dev/null 2>&1 || bad "fit --maps"
n=$(wc -l < "$T/cal.list")

# the scores the uncalibrated model gives the calibration images, with 17 digits
effad score "$T/p.gauss" "$M" - --json < "$T/cal.list" 2>/dev/null | grep -o '"score":[-0-9.e+]*' | cut -d: -f2 > "$T/scores"
[ "$(wc -l < "$T/scores")" -eq "$n" ] || bad "scores of the calibration images: $(wc -l < "$T/scores") of $n"
for F in 0.1 0.25 0.05; do
    effad calibrate "$T/p.gauss" "$M" - --fpr $F -o "$T/c.gauss" < "$T/cal.list" > "$T/c.txt" 2>&1 || bad "calibrate --fpr $F: $(cat "$T/c.txt")"
    # the threshold in force, as score reports it (17 digits)
    t=$(effad score "$T/c.gauss" "$M" "$(head -n 1 "$T/cal.list")" --json 2>/dev/null | grep -o '"threshold":[-0-9.e+]*' | head -n 1 | cut -d: -f2)
    effad score "$T/c.gauss" "$M" "$(head -n 1 "$T/cal.list")" --json 2>/dev/null | head -n 1 |
        grep -q "\"threshold_name\":\"good-fpr-$F\"" || bad "--fpr $F: good-fpr-$F is not in force"
    # k = floor(F n) (F n is never near an integer's rounding here); the
    # (k+1)-th highest score s; t must be above s, by one double at most
    # (relative 1e-15), and reject exactly the scores above s
    verdict=$(sort -g -r "$T/scores" | awk -v F=$F -v n=$n -v t="$t" '
        { s[NR] = $1 + 0 }
        END {
            k = int(F * n); ref = s[k + 1]; above = 0; rej = 0
            for (i = 1; i <= n; i++) { if (s[i] > ref) above++; if (s[i] >= t + 0) rej++ }
            ok = t + 0 > ref && (t - ref) <= 1e-15 * (ref < 0 ? -ref : ref) && rej == above && rej <= k
            print (ok ? "ok" : "bad") " k=" k " ref=" ref " rejects=" rej " above=" above
        }')
    case $verdict in ok*) ;; *) bad "--fpr $F: threshold $t: $verdict" ;; esac
    rej=$(echo "$verdict" | sed 's/.*rejects=\([0-9]*\).*/\1/')
    grep -q "image threshold good-fpr-$F [0-9.]* in force (rejects $rej of $n good images)" "$T/c.txt" || bad "--fpr $F says: $(cat "$T/c.txt")"
    got=$(effad score "$T/c.gauss" "$M" - --json < "$T/cal.list" 2>/dev/null | grep -c '"anomalous":true')
    [ "$got" -eq "$rej" ] || bad "--fpr $F: score rejects $got of the calibration images, calibrate said $rej"
done
effad calibrate "$T/p.gauss" "$M" - --fpr 0.25 -o "$T/c2.gauss" --threads 2 < "$T/cal.list" >/dev/null 2>&1 || bad "--threads 2"
effad calibrate "$T/p.gauss" "$M" - --fpr 0.25 -o "$T/c1.gauss" < "$T/cal.list" >/dev/null 2>&1 || bad "--threads 1"
cmp -s "$T/c1.gauss" "$T/c2.gauss" || bad "--threads 2 gives another .gauss"
# merge drops it (the merged model scores differently)
effad merge "$T/c1.gauss" "$T/p.gauss" -o "$T/mg.gauss" >/dev/null 2>&1 || bad "merge a calibrated model"
effad info "$T/c1.gauss" | grep -q "good-fpr-0.25" || bad "info does not show the calibrated threshold"
effad info "$T/mg.gauss" | grep -q "good-fpr" && bad "merge kept the calibrated threshold"
# fewer images than 1 / F: a note, and nothing rejected
effad calibrate "$T/p.gauss" "$M" - --fpr 0.01 -o "$T/c.gauss" < "$T/cal.list" > "$T/c.txt" 2>&1 || bad "--fpr 0.01"
grep -q "note: --fpr 0.01 of $n images allows none to be rejected" "$T/c.txt" || bad "--fpr 0.01: no note: $(cat "$T/c.txt")"
grep -q "(rejects 0 of $n good images)" "$T/c.txt" || bad "--fpr 0.01 rejects some: $(cat "$T/c.txt")"

# maps: images with a defect region at most floor(F n); the threshold falls as F grows
defects() { effad score "$1" "$M" - --json < "$T/cal.list" 2>/dev/null | grep -c '"defects":[1-9]'; }
prev=
for F in 0 0.1 0.3; do
    effad calibrate "$T/m.gauss" "$M" - --fpr $F -o "$T/mc.gauss" < "$T/cal.list" > "$T/mc.txt" 2>&1 || bad "maps --fpr $F: $(cat "$T/mc.txt")"
    pt=$(sed -n 's/.*pixel threshold \([0-9.e+-]*\) .*/\1/p' "$T/mc.txt")
    k=$(awk -v F=$F -v n=$n 'BEGIN { print int(F * n) }')
    d=$(defects "$T/mc.gauss")
    [ "$d" -le "$k" ] || bad "maps --fpr $F: $d of $n images show a defect, at most $k allowed"
    [ -z "$prev" ] || awk -v a="$pt" -v b="$prev" 'BEGIN { exit !(a <= b) }' || bad "maps --fpr $F: threshold $pt above $prev"
    prev=$pt
done
[ "$d" -ge 1 ] || bad "maps --fpr 0.3 lets no image show a region: the case cannot tell"
effad calibrate "$T/m.gauss" "$M" - -o "$T/m0.gauss" < "$T/cal.list" > "$T/m0.txt" 2>&1 || bad "maps without --fpr"
grep -q "pixel threshold [0-9.]* (no region of 25+ pixels in $n good images) -> $T/m0.gauss" "$T/m0.txt" || bad "maps says: $(cat "$T/m0.txt")"
effad info "$T/m0.gauss" | grep -q "good-fpr" && bad "calibrate without --fpr set an image threshold"

expect_fail "no maps, no --fpr" "has no anomaly maps (fit it with --maps) and no --fpr was given" \
    effad calibrate "$T/p.gauss" "$M" "$D/test/good" -o "$T/x.gauss"
expect_fail "--fpr 1" "bad --fpr '1'" effad calibrate "$T/p.gauss" "$M" "$D/test/good" --fpr 1 -o "$T/x.gauss"
expect_fail "--fpr -0.1" "bad --fpr '-0.1'" effad calibrate "$T/p.gauss" "$M" "$D/test/good" --fpr -0.1 -o "$T/x.gauss"
[ -e "$T/x.gauss" ] && bad "a refused calibrate wrote its output"
exit $fail
