#!/bin/sh
# The AVX2 stand-in of `make bench` (bench/hide-avx512.c, bench/ort-as-avx2.py)
# on this machine: a probe with CPUID and XGETBV of its own, patched as ORT
# is and run under the shim, must see no AVX-512, AVX-VNNI or ZMM state and
# the rest of the CPU as it is (with EFFAD_HIDE_KEEP_AVXVNNI=1 the same but
# AVX-VNNI as it is); and the check must fail when a trap goes unanswered (the probe run under a shim that answers nothing). x86-64 Linux natively only:
# under an emulator ($RUNNER) or without objdump it says SKIP.
NAME=bench-hide-avx512
. "$(dirname "$0")/lib/cli.sh"
cd "$(dirname "$0")/../.." || exit 2
[ -z "$RUNNER" ] || { echo "$NAME: SKIP under an emulator (the check runs native x86-64 code)"; exit 0; }
case "$(uname -m)" in x86_64) ;; *) echo "$NAME: SKIP not x86-64"; exit 0 ;; esac
command -v objdump >/dev/null && command -v python3 >/dev/null ||
    { echo "$NAME: SKIP needs objdump and python3"; exit 0; }
cc=${CC:-cc}
$cc -O2 -shared -fPIC -o "$T/hide.so" bench/hide-avx512.c 2>"$T/err" || bad "build the shim: $(cat "$T/err")"
python3 bench/ort-as-avx2.py --check "$T/hide.so" "$cc" >"$T/out" 2>&1 || bad "check: $(cat "$T/out")"
grep -q '^check: OK' "$T/out" || bad "check did not say OK: $(cat "$T/out")"
cp "$T/out" "$T/out.ok"
# a shim that answers nothing: the probe dies of its trap and the check says so
echo 'void hide_nothing(void) {}' >"$T/none.c"
$cc -shared -fPIC -o "$T/none.so" "$T/none.c" || bad "build the empty shim"
python3 bench/ort-as-avx2.py --check "$T/none.so" "$cc" >"$T/out" 2>&1 && bad "check passed with a shim that answers nothing"
grep -q 'FAILED' "$T/out" || bad "check without answers: no FAILED line: $(cat "$T/out")"
# a shim that ignores EFFAD_HIDE_KEEP_AVXVNNI: on a CPU with AVX-VNNI the
# check must see it stay hidden and fail
if grep -q '^check: as built:.* avxvnni=1' "$T/out.ok" 2>/dev/null; then
    sed 's/"EFFAD_HIDE_KEEP_AVXVNNI"/"EFFAD_HIDE_KEEP_NOTHING"/' bench/hide-avx512.c >"$T/deaf.c"
    $cc -O2 -shared -fPIC -o "$T/deaf.so" "$T/deaf.c" || bad "build the deaf shim"
    python3 bench/ort-as-avx2.py --check "$T/deaf.so" "$cc" >"$T/out" 2>&1 && bad "check passed with a shim that hides AVX-VNNI always"
    grep -q 'avxvnni (keeping AVX-VNNI)' "$T/out" || bad "deaf shim: the failure does not name avxvnni: $(cat "$T/out")"
else
    echo "$NAME: SKIP the keep-AVX-VNNI failure case: this CPU has no AVX-VNNI"
fi
exit $fail
