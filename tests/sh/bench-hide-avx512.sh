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
# --libs (XNNPACK's libraries for make xnn-bench): a library with a CPUID
# comes out patched under its own name beside one without, copied as is;
# libraries without any CPUID at all are refused
printf 'unsigned leaf0(void) { unsigned a = 0, b, c = 0, d; __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)); return b; }\n' >"$T/withcpuid.c"
echo 'int plain(int x) { return x + 1; }' >"$T/plain.c"
$cc -O1 -shared -fPIC -o "$T/libwith.so.0" "$T/withcpuid.c" && $cc -O1 -shared -fPIC -o "$T/libplain.so.0" "$T/plain.c" ||
    bad "build the --libs fixtures"
python3 bench/ort-as-avx2.py --libs "$T/libs" "$T/libwith.so.0" "$T/libplain.so.0" >"$T/out" 2>&1 || bad "--libs: $(cat "$T/out")"
cmp -s "$T/libplain.so.0" "$T/libs/libplain.so.0" || bad "--libs: the library without CPUID was not copied as is"
cmp -s "$T/libwith.so.0" "$T/libs/libwith.so.0" && bad "--libs: the library with a CPUID was not patched"
grep -q '^libwith.so.0: 1 cpuid and 0 xgetbv' "$T/out" || bad "--libs: no count for the patched library: $(cat "$T/out")"
python3 bench/ort-as-avx2.py --libs "$T/libs2" "$T/libplain.so.0" >"$T/out" 2>&1 && bad "--libs: passed with no CPUID anywhere"
[ ! -e "$T/libs2" ] && [ ! -e "$T/libs2.tmp" ] || bad "--libs: left a directory behind after refusing"
exit $fail
