#!/bin/sh
# Cross-builds the whole test suite for another machine and runs it under
# user-mode QEMU:   tests/cross/run.sh aarch64|s390x [make args...]
#
#   aarch64  the NEON kernels and the ARM boards effad is meant for;
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
    aarch64) triple=aarch64-linux-gnu; qemu=qemu-aarch64 ;;
    # s390x GCC evaluates float expressions in double in ISO C mode
    # (FLT_EVAL_METHOD 1); the references we match round every float
    # operation to float, as x86-64 and aarch64 do. -fexcess-precision=fast
    # asks for that.
    s390x)   triple=s390x-linux-gnu;   qemu=qemu-s390x; export EXTRA_CFLAGS="${EXTRA_CFLAGS:-} -fexcess-precision=fast" ;;
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
echo "cross: $arch ($triple-gcc, $qemu -L $sysroot) into build/$arch"
RUNNER="$qemu -L $sysroot" make -j"$jobs" --no-print-directory \
    CC="$triple-gcc" AR="$triple-ar" B="build/$arch" "$@" test
