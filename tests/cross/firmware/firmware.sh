#!/bin/sh
# make firmware-test: effad as microcontroller firmware, run under QEMU,
# with the float32 model, its int8 quantisation, and the same with int16
# activations (the 16x8 layers), and with weight-only blocks (int8
# weights dequantised into the arena, float32 activations).
#
#   1. host assets, from our own code only (fw-assets.c): the synthetic
#      metal set, the demo model at a FW_HW x FW_HW input (float32), its
#      int8 quantisation calibrated on the good training images (the steps
#      of `effad convert --int8 --calib`; and with `--act-bits 16`), the test images preprocessed
#      into tensors; per model, `effad fit` on the good training images
#      (paper preset), the host's `effad features` for each tensor and
#      `effad score --json` for each image, and fw-sizes.h (the arena the
#      engine asks for, computed on the host). The int8 host runs use the
#      scalar kernels (EFFAD_ISA=scalar): the firmware's int8 kernels give
#      their bits, so the levels can agree exactly;
#   2. per board, ops/ + engine/ + src/gauss-{view,format}.c built once
#      with arm-none-eabi-gcc and newlib-nano, then per model this
#      directory's main.c and assets.S (the model's files in flash) linked
#      into one ELF;
#   3. proofs from the linked image: no malloc/free/calloc/realloc/_sbrk and
#      no file or stdio routine in it, and the only semihosting calls are
#      the console write and exit in semihost.c;
#   4. the figures: flash (code + model + .gauss), RAM (static, arena
#      included, + stack high-water mark), images scored;
#   5. qemu-system-arm -semihosting with a timeout, then compare.py holds
#      the output against the host: level errors <= 1e-4 relative, scores
#      equal to 1e-4 relative, same verdicts. A table of every run's
#      figures ends the output.
#
# Boards: m7 = mps2-an500 (Cortex-M7, double-precision FPU),
#         m4f = mps2-an386 (Cortex-M4F, single-precision FPU: the Gaussian
#         core's doubles run in software there). Both have the DSP
#         extension, so their int8 GEMM and depthwise are the SMLAD/SMLABB
#         kernels of ops/arm/q8-*-dsp.c (the table prints as scalar-dsp);
#         the 16x8 layers run the portable references of ops/q16-*.c.
# Environment: B (build dir, default build), FW_HW (input size, default 64),
# FW_BOARDS (default "m7 m4f"), FW_MODELS (default "float int8 int16 w8 mx";
# mx: 16x8 blocks between uint8 ones),
# FW_TIMEOUT (seconds per run, default 300).
# Needs: gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm python3.
set -eu
cd "$(dirname "$0")/../../.."
B=${B:-build}
HW=${FW_HW:-64}
BOARDS=${FW_BOARDS:-m7 m4f}
MODELS=${FW_MODELS:-float int8 int16 w8 mx}
TIMEOUT=${FW_TIMEOUT:-300}
FW=tests/cross/firmware
OUT=$B/firmware
A=$OUT/assets
PRESET=paper

for tool in arm-none-eabi-gcc qemu-system-arm python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "firmware: $tool not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm python3)" >&2
        exit 2; }
done
for f in "$B/effad" "$B/fw-assets"; do
    [ -x "$f" ] || { echo "firmware: $f missing (run through 'make firmware-test')" >&2; exit 2; }
done
for v in $MODELS; do
    case $v in float|int8|int16|w8|mx) ;; *) echo "firmware: unknown model '$v' (float, int8, int16, w8, mx)" >&2; exit 2 ;; esac
done

# ---------------------------------------------------------- 1. host assets
rm -rf "$A"; mkdir -p "$A/float" "$A/int8" "$A/int16" "$A/w8" "$A/mx" "$A/calib"
"$B/fw-assets" model "$HW" "$A/float/model.efm"
"$B/fw-assets" dataset "$A/data"
# the preprocessed tensors depend on the input size and normalisation
# only, which both models share
find "$A/data/test" -name '*.png' | LC_ALL=C sort > "$A/images.txt"
i=0
while read -r img; do
    "$B/fw-assets" tensor "$A/float/model.efm" $PRESET "$img" "$A/$i.f32"
    i=$((i + 1))
done < "$A/images.txt"
n_images=$i
case " $MODELS " in *" int8 "*|*" int16 "*|*" w8 "*|*" mx "*)
    j=0
    for img in $(find "$A/data/train/good" -name '*.png' | LC_ALL=C sort); do
        "$B/fw-assets" tensor "$A/float/model.efm" $PRESET "$img" "$A/calib/$j.f32"
        j=$((j + 1))
    done
    for v in int8 int16 w8 mx; do
        case " $MODELS " in *" $v "*)
            # shellcheck disable=SC2046
            "$B/fw-assets" model-$v "$HW" "$A/$v/model.efm" $(ls "$A/calib/"*.f32 | LC_ALL=C sort) ;;
        esac
    done
esac

isa_before=${EFFAD_ISA-}
for v in $MODELS; do
    d=$A/$v
    if [ "$v" != float ]; then export EFFAD_ISA=scalar; fi
    "$B/effad" fit "$d/model.efm" "$A/data/train/good" -o "$d/model.gauss" --preprocess $PRESET --no-features --quiet \
        > "$d/fit.txt"
    : > "$d/images.bin"
    i=0
    while [ $i -lt $n_images ]; do
        "$B/effad" features "$d/model.efm" --tensor "$A/$i.f32" -o "$d/$i.levels"
        cat "$A/$i.f32" "$d/$i.levels" >> "$d/images.bin"
        i=$((i + 1))
    done
    # shellcheck disable=SC2046
    "$B/effad" score "$d/model.gauss" "$d/model.efm" $(cat "$A/images.txt") --json > "$d/host-scores.jsonl"
    "$B/fw-assets" sizes "$d/model.efm" "$d/model.gauss" "$d/fw-sizes.h"
    if [ -n "$isa_before" ]; then export EFFAD_ISA="$isa_before"; else unset EFFAD_ISA; fi
done
echo "firmware: assets: demo model at ${HW}x${HW} ($MODELS), $n_images test images, .gauss fitted with the $PRESET preset"

# ------------------------------------------------------- 2. cross builds
STD="-std=c11"
WARN="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes"
COMMON="-O2 -g -ffreestanding -ffunction-sections -fdata-sections -Iengine -Iops -Isrc -Itests/unit -I$FW"

board_of() { case $1 in m7) echo mps2-an500 ;; m4f) echo mps2-an386 ;; *) return 1 ;; esac; }
cpu_flags() {
    case $1 in
        m7)  echo "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard" ;;
        m4f) echo "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard" ;;
    esac
}

# what every image of a board links: the engine, the scoring core, the
# board support; the Arm DSP-extension int8 kernels beside ops/
common_sources() {
    for f in ops/*.c ops/arm/*-dsp.c engine/*.c; do
        case "$f" in *-posix.c|*-pthread.c) continue ;; esac
        printf '%s\n' "$f"
    done
    printf '%s\n' src/gauss-view.c src/gauss-format.c src/prep-spec.c src/roi.c src/checksum.c $FW/startup.c $FW/semihost.c $FW/fpu-fma.c
}

build_common() {   # board-name -> $OUT/<board>/lib/*.o
    name=$1 dir=$OUT/$1/lib
    flags=$(cpu_flags "$name")
    rm -rf "$OUT/$name"; mkdir -p "$dir"
    for src in $(common_sources); do
        # shellcheck disable=SC2086
        arm-none-eabi-gcc $STD $WARN $COMMON $flags -c "$src" -o "$dir/$(printf '%s' "${src%.*}" | tr / _).o" || return 1
    done
}

build() {   # board-name model -> $OUT/<board>-<model>/effad-fw.elf
    name=$1 v=$2 dir=$OUT/$1-$2
    flags=$(cpu_flags "$name")
    rm -rf "$dir"; mkdir -p "$dir"
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $STD $WARN $COMMON -I"$A/$v" $flags -c $FW/main.c -o "$dir/main.o" || return 1
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $flags -c $FW/assets.S -Wa,-I"$A/$v" -o "$dir/assets.o" || return 1
    # newlib-nano for memcpy/memset/memcmp/memchr/strlen and libm's expf,
    # sqrt, fabs; no crt0 and no syscalls: startup.c and semihost.c are the
    # whole runtime, so anything that wants more fails to link.
    # shellcheck disable=SC2086
    if ! arm-none-eabi-gcc $flags -specs=nano.specs -nostartfiles -T $FW/mps2.ld -Wl,--gc-sections \
            -Wl,-Map="$dir/effad-fw.map" -o "$dir/effad-fw.elf" "$OUT/$name/lib/"*.o "$dir/main.o" "$dir/assets.o" -lm; then
        echo "firmware: $name-$v: link failed (an undefined _sbrk or system call means something wants" \
             "malloc or files)" >&2
        return 1
    fi
}

# ------------------------------------------------------------- 3. proofs
prove() {   # elf
    elf=$1
    # heap and files: the C library's allocator and everything that reaches
    # a file descriptor or a FILE (newlib's reentrant _r variants included)
    bad=$(arm-none-eabi-nm "$elf" | awk '{ print $NF }' | grep -E \
        '^_?(malloc|free|calloc|realloc|memalign|sbrk|_sbrk|open|close|read|write|lseek|fstat|stat|isatty|unlink|fopen|fclose|fread|fwrite|fflush|fprintf|printf|puts|putchar|sprintf|snprintf|vfprintf|_vfprintf|__sinit|exit|_exit|kill|getpid)(_r)?$' || true)
    if [ -n "$bad" ]; then
        echo "firmware: $elf links $(echo $bad | tr '\n' ' ')-- the firmware must not allocate or open files" >&2
        return 1
    fi
    # the only semihosting traps (BKPT 0xAB) are semihost.c's console write
    # and exit: no SYS_OPEN, SYS_READ or other file call anywhere
    traps=$(arm-none-eabi-objdump -d "$elf" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $2 }
        /\tbkpt\t/ { print fn }' | sort -u | tr '\n' ' ')
    case "$traps" in
        "<semihost_exit>: <semihost_write>: "|"<semihost_write>: "|"<semihost_exit>: ") ;;
        *) echo "firmware: semihosting traps outside semihost.c: $traps" >&2; return 1 ;;
    esac
    # fmaf is fpu-fma.c's single VFMA.F32, not newlib's double-rounding one
    fma=$(arm-none-eabi-objdump -d "$elf" | awk '/^[0-9a-f]+ <fmaf>:$/ { on = 1; next } on && /^$/ { exit } on')
    if ! printf '%s\n' "$fma" | grep -q 'vfma.f32' || printf '%s\n' "$fma" | grep -qE '\sbl?\s'; then
        echo "firmware: $elf: fmaf is not the FPU's fused multiply-add:" >&2; printf '%s\n' "$fma" >&2
        return 1
    fi
    echo "firmware: $(basename "$(dirname "$elf")"): no malloc/free/calloc/realloc/_sbrk, no file or stdio routine;" \
         "semihosting only in $traps; fmaf is VFMA.F32"
}

# ------------------------------------------------------------ 4. figures
symbol_bytes() {   # elf symbol
    hex=$(arm-none-eabi-nm -S "$1" | awk -v s="$2" '$4 == s { print $2 }')
    echo $((0x${hex:-0}))
}
flash_figures() {   # elf
    elf=$1 total=0
    # flash holds every loaded section whose load address is below the RAM:
    # vectors, code, constants (assets included), the initial .data
    for sl in $(arm-none-eabi-objdump -h "$elf" | awk '
            /^ *[0-9]+ \./ { size = $3; lma = $5; getline; if ($0 ~ /LOAD/) print size ":" lma }'); do
        [ $((0x${sl#*:})) -lt $((0x20000000)) ] && total=$((total + 0x${sl%:*}))
    done
    model=$(symbol_bytes "$elf" fw_model)
    gauss=$(symbol_bytes "$elf" fw_gauss)
    images=$(symbol_bytes "$elf" fw_images)
    code=$((total - model - gauss - images))
    echo "flash: code $code + model $model + .gauss $gauss = $((code + model + gauss)) bytes (+ $images bytes of test images)"
}

# --------------------------------------------------------------- 5. runs
rc=0
: > "$OUT/summary.txt"
for name in $BOARDS; do
    board=$(board_of "$name") || { echo "firmware: unknown board '$name' (m7, m4f)" >&2; exit 2; }
    build_common "$name" || { echo "firmware: $name: the common objects do not build" >&2; rc=1; continue; }
    for v in $MODELS; do
        run=$name-$v
        build "$name" "$v" || { rc=1; continue; }
        elf=$OUT/$run/effad-fw.elf
        prove "$elf" || { rc=1; continue; }
        figures=$(flash_figures "$elf")
        echo "firmware: $run ($board, $v model): $figures"
        set +e
        timeout "$TIMEOUT" qemu-system-arm -M "$board" -nographic -monitor none -serial none -semihosting \
            -kernel "$elf" > "$OUT/$run/run.txt" 2>&1
        qrc=$?
        set -e
        sed 's/^/    /' "$OUT/$run/run.txt"
        if [ $qrc -eq 124 ]; then echo "firmware: $run: timed out after $TIMEOUT s" >&2; rc=1; continue; fi
        if [ $qrc -ne 0 ]; then echo "firmware: $run: qemu exited with $qrc" >&2; rc=1; continue; fi
        python3 $FW/compare.py "$run" "$OUT/$run/run.txt" "$A/$v/host-scores.jsonl" "$A/images.txt" "$figures" \
            "$OUT/summary.txt" || rc=1
    done
done
echo "firmware: summary (bytes; errors relative, against the host's int8 or float32 run of the same model)"
column -t -s '|' "$OUT/summary.txt" 2>/dev/null || cat "$OUT/summary.txt"
exit $rc
