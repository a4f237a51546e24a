#!/bin/sh
# make firmware-test: effad as microcontroller firmware, run under QEMU.
#
#   1. host assets, from our own code only (fw-assets.c): the demo model at
#      a FW_HW x FW_HW input, the synthetic metal set, `effad fit` on its
#      good training images (paper preset), the test images preprocessed
#      into tensors, the host's `effad features` for each tensor and
#      `effad score --json` for each image, and fw-sizes.h (the arena the
#      engine asks for, computed on the host);
#   2. per board, ops/ + engine/ + src/gauss-{view,format}.c + this directory built
#      with arm-none-eabi-gcc and newlib-nano into one ELF, assets in flash;
#   3. proofs from the linked image: no malloc/free/calloc/realloc/_sbrk and
#      no file or stdio routine in it, and the only semihosting calls are
#      the console write and exit in semihost.c;
#   4. the figures: flash (code + model + .gauss), RAM (static, arena
#      included, + stack high-water mark), images scored;
#   5. qemu-system-arm -semihosting with a timeout, then compare.py holds
#      the output against the host: level errors <= 1e-4 relative, scores
#      equal to 1e-4 relative, same verdicts.
#
# Boards: m7 = mps2-an500 (Cortex-M7, double-precision FPU),
#         m4f = mps2-an386 (Cortex-M4F, single-precision FPU: the Gaussian
#         core's doubles run in software there).
# Environment: B (build dir, default build), FW_HW (input size, default 64),
# FW_BOARDS (default "m7 m4f"), FW_TIMEOUT (seconds per board, default 300).
# Needs: gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm python3.
set -eu
cd "$(dirname "$0")/../../.."
B=${B:-build}
HW=${FW_HW:-64}
BOARDS=${FW_BOARDS:-m7 m4f}
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

# ---------------------------------------------------------- 1. host assets
rm -rf "$A"; mkdir -p "$A"
"$B/fw-assets" model "$HW" "$A/model.efm"
"$B/fw-assets" dataset "$A/data"
"$B/effad" fit "$A/model.efm" "$A/data/train/good" -o "$A/model.gauss" --preprocess $PRESET --no-features --quiet \
    > "$A/fit.txt"
: > "$A/images.bin"
find "$A/data/test" -name '*.png' | LC_ALL=C sort > "$A/images.txt"
i=0
while read -r img; do
    "$B/fw-assets" tensor "$A/model.efm" $PRESET "$img" "$A/$i.f32"
    "$B/effad" features "$A/model.efm" --tensor "$A/$i.f32" -o "$A/$i.levels"
    cat "$A/$i.f32" "$A/$i.levels" >> "$A/images.bin"
    i=$((i + 1))
done < "$A/images.txt"
# shellcheck disable=SC2046
"$B/effad" score "$A/model.gauss" "$A/model.efm" $(cat "$A/images.txt") --json > "$A/host-scores.jsonl"
"$B/fw-assets" sizes "$A/model.efm" "$A/model.gauss" "$A/fw-sizes.h"
echo "firmware: assets: demo model at ${HW}x${HW}, $i test images, .gauss fitted with the $PRESET preset"

# ------------------------------------------------------- 2. cross builds
STD="-std=c11"
WARN="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes"
COMMON="-O2 -g -ffreestanding -ffunction-sections -fdata-sections -Iengine -Iops -Isrc -Itests/unit -I$FW -I$A"

board_of() { case $1 in m7) echo mps2-an500 ;; m4f) echo mps2-an386 ;; *) return 1 ;; esac; }
cpu_flags() {
    case $1 in
        m7)  echo "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard" ;;
        m4f) echo "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard" ;;
    esac
}

sources() {
    for f in ops/*.c engine/*.c; do
        case "$f" in *-posix.c|*-pthread.c) continue ;; esac
        printf '%s\n' "$f"
    done
    printf '%s\n' src/gauss-view.c src/gauss-format.c $FW/startup.c $FW/semihost.c $FW/main.c $FW/assets.S
}

build() {   # board-name
    name=$1 dir=$OUT/$1
    flags=$(cpu_flags "$name")
    rm -rf "$dir"; mkdir -p "$dir"
    objs=""
    for src in $(sources); do
        obj=$dir/$(printf '%s' "${src%.*}" | tr / _).o
        # shellcheck disable=SC2086
        case "$src" in
            *.S) arm-none-eabi-gcc $flags -c "$src" -Wa,-I"$A" -o "$obj" ;;
            *)   arm-none-eabi-gcc $STD $WARN $COMMON $flags -c "$src" -o "$obj" ;;
        esac
        objs="$objs $obj"
    done
    # newlib-nano for memcpy/memset/memcmp/memchr/strlen and libm's expf,
    # sqrt, fabs; no crt0 and no syscalls: startup.c and semihost.c are the
    # whole runtime, so anything that wants more fails to link.
    # shellcheck disable=SC2086
    if ! arm-none-eabi-gcc $flags -specs=nano.specs -nostartfiles -T $FW/mps2.ld -Wl,--gc-sections \
            -Wl,-Map="$dir/effad-fw.map" -o "$dir/effad-fw.elf" $objs -lm; then
        echo "firmware: $name: link failed (an undefined _sbrk or system call means something wants" \
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
    echo "firmware: $(basename "$(dirname "$elf")"): no malloc/free/calloc/realloc/_sbrk, no file or stdio routine;" \
         "semihosting only in $traps"
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
for name in $BOARDS; do
    board=$(board_of "$name") || { echo "firmware: unknown board '$name' (m7, m4f)" >&2; exit 2; }
    build "$name" || { rc=1; continue; }
    elf=$OUT/$name/effad-fw.elf
    prove "$elf" || { rc=1; continue; }
    figures=$(flash_figures "$elf")
    echo "firmware: $name ($board): $figures"
    set +e
    timeout "$TIMEOUT" qemu-system-arm -M "$board" -nographic -monitor none -serial none -semihosting \
        -kernel "$elf" > "$OUT/$name/run.txt" 2>&1
    qrc=$?
    set -e
    sed 's/^/    /' "$OUT/$name/run.txt"
    if [ $qrc -eq 124 ]; then echo "firmware: $name: timed out after $TIMEOUT s" >&2; rc=1; continue; fi
    if [ $qrc -ne 0 ]; then echo "firmware: $name: qemu exited with $qrc" >&2; rc=1; continue; fi
    python3 $FW/compare.py "$name" "$OUT/$name/run.txt" "$A/host-scores.jsonl" "$A/images.txt" "$figures" || rc=1
done
exit $rc
