#!/bin/sh
# Cross-builds the whole test suite for another machine and runs it under
# user-mode QEMU:   tests/cross/run.sh aarch64|s390x [make args...]
#
#   aarch64  the NEON kernels and the ARM boards effad is meant for. The
#            suite runs on QEMU's "max" CPU (Armv8.2+ dot product: the
#            neon-dotprod int8 table), then the int8 kernel and engine tests
#            again on a Cortex-A53 (no dot product: the SMLAL table), each
#            told which table the run-time choice must pick
#            (EFFAD_EXPECT_DOTPROD), so both int8 GEMMs are proven against
#            the scalar references;
#   s390x    a big-endian Linux, so code that reads little-endian files
#            (.efm, .gauss, PNG, ONNX) is proven byte-order clean.
#
# Binaries go to build/<arch>/ and run through $RUNNER (see
# tests/run-tests.sh), so no binfmt_misc registration is needed, e.g. in CI.
# Needs: gcc-<triple> + libc6-dev-<arch>-cross, and qemu-user.
set -eu
cd "$(dirname "$0")/../.."
arch=${1:?usage: tests/cross/run.sh aarch64|s390x [make args...]}
shift
case "$arch" in
    aarch64) triple=aarch64-linux-gnu; qemu=qemu-aarch64; cpu="-cpu max"; export EFFAD_EXPECT_DOTPROD=1 ;;
    # s390x GCC evaluates float expressions in double in ISO C mode
    # (FLT_EVAL_METHOD 1); the references we match round every float
    # operation to float, as x86-64 and aarch64 do. -fexcess-precision=fast
    # asks for that.
    s390x)   triple=s390x-linux-gnu;   qemu=qemu-s390x; cpu=""; export EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fexcess-precision=fast" ;;
    *) echo "cross: unknown target '$arch'" >&2; exit 2 ;;
esac
for tool in "$triple-gcc" "$qemu"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "cross: $tool not found (apt-get install gcc-$triple qemu-user)" >&2; exit 2; }
done
# The sysroot the Debian cross libc packages install; QEMU loads the
# target's dynamic linker and libc from there.
sysroot=/usr/$triple
jobs=$(nproc 2>/dev/null || echo 2)
echo "cross: $arch ($triple-gcc, $qemu $cpu -L $sysroot) into build/$arch"
# the build dir may be overridden among "$@" (make cross-asan)
B=build/$arch
for a in "$@"; do case "$a" in B=*) B=${a#B=} ;; esac; done
RUNNER="$qemu $cpu -L $sysroot" make -j"$jobs" --no-print-directory \
    CC="$triple-gcc" AR="$triple-ar" B="build/$arch" "$@" test
[ "$arch" = aarch64 ] || exit 0

echo "cross: aarch64 int8 and 16x8 tests again on a Cortex-A53 (no dot product)"
fail=0
for t in test-q8-kernels test-q16-kernels test-q8-engine; do
    if EFFAD_EXPECT_DOTPROD=0 $qemu -cpu cortex-a53 -L $sysroot "$B/tests/$t" > "$B/a53-$t.txt" 2>&1; then
        grep -E 'neon|passed' "$B/a53-$t.txt" | sed 's/^/  a53: /'
    else
        cat "$B/a53-$t.txt"; echo "cross: $t failed on cortex-a53"; fail=1
    fi
done
exit $fail
