#!/bin/sh
# The bare-metal rule of DESIGN.md, enforced by compiling: ops/ and engine/
# (less the optional *-posix.c / *-pthread.c files) must build
# -ffreestanding for microcontroller and application-core firmware, and
# their objects may call nothing but memcpy/memset/memmove, libm and
# compiler helpers (tests/cross/baremetal-symbols.sh).
#
# Profiles (objects in build/baremetal-<name>/):
#   m7   Cortex-M7, single+double FPU, hard float (arm-none-eabi-gcc); its
#        int8 GEMM and depthwise are the DSP-extension kernels
#        (ops/arm/q8-*-dsp.c, SMLAD / SMLABB)
#   a7   32-bit Cortex-A7 with NEON-VFPv4 (arm-none-eabi-gcc); the NEON
#        kernels are A64-only, so both 32-bit profiles use the scalar ones,
#        with the DSP extension's int8 kernels (Armv7-A has it too)
#   a53  aarch64 Cortex-A53 with the NEON kernels, the dot-product int8
#        GEMM included (compiled for Armv8.2 by its own pragma, chosen only
#        on a CPU that has it); built with the Linux cross compiler in
#        freestanding mode (Debian ships no aarch64-none-elf), only for the
#        symbol check; skipped if absent
# Every profile compiles the int8 path (ops/q8-*, engine/run-q8.c) too.
# Needs: gcc-arm-none-eabi libnewlib-arm-none-eabi [gcc-aarch64-linux-gnu]
set -u
cd "$(dirname "$0")/../.."
STD="-std=c11"
WARN="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes"
BASE="-O2 -ffreestanding -Iengine -Iops"

# The sources, by glob, so the engine files written later are checked too.
sources() {
    # $@ unquoted: the extra arguments are globs to expand here.
    # shellcheck disable=SC2068
    for f in ops/*.c engine/*.c $@; do
        [ -f "$f" ] || continue
        case "$f" in *-posix.c|*_posix.c|*-pthread.c|*_pthread.c) continue ;; esac
        printf '%s\n' "$f"
    done
}

fail=0
build() {   # name cc nm flags extra-globs...
    name=$1 cc=$2 nm=$3 flags=$4; shift 4
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "baremetal-$name: $cc not found, skipped"; return 0
    fi
    out=build/baremetal-$name
    rm -rf "$out"; mkdir -p "$out"
    n=0
    for src in $(sources "$@"); do
        obj=$out/$(printf '%s' "${src%.c}" | tr / _).o
        # shellcheck disable=SC2086
        if ! $cc $STD $WARN $BASE $flags -c "$src" -o "$obj"; then
            echo "baremetal-$name: $src does not compile freestanding"; fail=1
        fi
        n=$((n + 1))
    done
    if sh tests/cross/baremetal-symbols.sh "$nm" "$out"/*.o; then
        echo "baremetal-$name: $n files compiled, undefined symbols all allowed"
    else
        echo "baremetal-$name: FAILED symbol check"; fail=1
    fi
}

build m7  arm-none-eabi-gcc arm-none-eabi-nm \
    "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard" 'ops/arm/*-dsp.c'
# The M7's int8 path is the DSP one: its scalar table takes the DSP kernels
# (dispatch.c refers to them), and they are made of SMLAD / SMLABB / SMLATT.
if [ -f build/baremetal-m7/ops_dispatch.o ]; then
    refs=$(arm-none-eabi-nm -u build/baremetal-m7/ops_dispatch.o | grep -c -E ' q8_(gemm_2x2|dwconv_hwc)_dsp$')
    macs=$(arm-none-eabi-objdump -d build/baremetal-m7/ops_arm_q8-gemm-2x2-dsp.o \
               build/baremetal-m7/ops_arm_q8-dwconv-hwc-dsp.o | grep -c -E '\s(smlad|smlabb|smlatt)\s')
    if [ "$refs" -eq 2 ] && [ "$macs" -gt 0 ]; then
        echo "baremetal-m7: int8 GEMM and depthwise are the DSP kernels ($macs SMLAD/SMLABB/SMLATT instructions)"
    else
        echo "baremetal-m7: the int8 table does not use the DSP kernels (references $refs, MAC instructions $macs)"; fail=1
    fi
fi
build a7  arm-none-eabi-gcc arm-none-eabi-nm \
    "-mcpu=cortex-a7 -marm -mfpu=neon-vfpv4 -mfloat-abi=hard" 'ops/arm/*-dsp.c'
build a53 aarch64-linux-gnu-gcc aarch64-linux-gnu-nm \
    "-mcpu=cortex-a53 -fno-stack-protector" 'ops/arm/*.c'
exit $fail
