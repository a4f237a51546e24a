#!/bin/sh
# effad info on an int8 model: the arena line is there, says int8, and is
# the int8 plan's (uint8 activations: smaller than the float32 model's
# with the same kernels); an int8 model runs on every kernel path this
# build has, the NEON ones included under make cross-test. The same for
# int16 activations (--act-bits 16): said so, an arena between the two.
# The block table names each block's type (w8: weight-only), and a model
# with both uint8 and 16x8 blocks says so.
NAME=cli-int8-info
. "$(dirname "$0")/lib/cli.sh"

G=tests/golden/tiny-tv-bn
mkdir -p "$T/calib"
for f in tests/data/images/png-*.png; do
    [ -f "$f.rgb8" ] && cp "$f" "$T/calib/"   # fixtures that decode (their pixels lie beside them)
done
effad convert $G/model.onnx -o "$T/f.efm" >/dev/null || bad "convert"
effad convert $G/model.onnx -o "$T/q.efm" --int8 --calib "$T/calib" --act16-budget 0 >"$T/conv.txt" 2>&1 ||
    bad "convert --int8: $(cat "$T/conv.txt")"
effad convert $G/model.onnx -o "$T/q16.efm" --int8 --act-bits 16 --calib "$T/calib" >"$T/conv.txt" 2>&1 ||
    bad "convert --int8 --act-bits 16: $(cat "$T/conv.txt")"

arena() {   # model isa -> the arena bytes info prints, digits only
    effad info "$1" --isa "$2" | sed -n 's/^  arena *\([0-9,]*\) bytes.*/\1/p' | tr -d ,
}
for isa in scalar avx2 neon; do
    effad info "$T/q.efm" --isa $isa >"$T/info.txt" 2>"$T/err" || {
        grep -q "not available" "$T/err" || bad "info --isa $isa: $(cat "$T/err")"; continue; }
    grep -q "^  arena .* bytes (one thread, $isa[a-z-]* kernels, int8 model)" "$T/info.txt" ||
        bad "info --isa $isa: no int8 arena line: $(grep arena "$T/info.txt")"
    q=$(arena "$T/q.efm" $isa); f=$(arena "$T/f.efm" $isa)
    [ -n "$q" ] && [ -n "$f" ] && [ "$q" -gt 0 ] && [ "$q" -lt "$f" ] || bad "info --isa $isa: int8 arena '$q' not below float32's '$f'"
    effad info "$T/f.efm" --isa $isa | grep -q "int8" && bad "info --isa $isa: the float32 model is reported as int8"
    effad features "$T/q.efm" --tensor $G/input.f32 --isa $isa -o "$T/l-$isa.f32" 2>"$T/err" >/dev/null || bad "features int8 --isa $isa: $(cat "$T/err")"
    effad info "$T/q16.efm" --isa $isa >"$T/info.txt" || bad "info a16 --isa $isa"
    grep -q "^  arena .* bytes (one thread, $isa[a-z-]* kernels, int8 model, int16 activations)" "$T/info.txt" ||
        bad "info --isa $isa: no int16 arena line: $(grep arena "$T/info.txt")"
    q16=$(arena "$T/q16.efm" $isa)
    [ -n "$q16" ] && [ "$q16" -gt "$q" ] && [ "$q16" -lt "$f" ] || bad "info --isa $isa: int16 arena '$q16' not between '$q' and '$f'"
    effad features "$T/q16.efm" --tensor $G/input.f32 --isa $isa -o "$T/l16-$isa.f32" 2>"$T/err" >/dev/null ||
        bad "features a16 --isa $isa: $(cat "$T/err")"
done

# the block table's type column: float32, int8, 16x8, w8 (weight-only)
effad convert $G/model.onnx -o "$T/w8.efm" --int8 --keep-float 0 --weight-only 1 --weight-only-budget 0 --act16-budget 0 --calib "$T/calib" \
    >"$T/conv.txt" 2>&1 || bad "convert --weight-only 1: $(cat "$T/conv.txt")"
types() {   # model -> the type column of the block table, one word per block
    effad info "$1" | awk '/^  blocks:/ { on = 1; next } on && /^    [0-9]/ { printf "%s ", $10 } on && !/^    / { on = 0 }'
}
case "$(types "$T/w8.efm")" in "float32 w8 int8 "*) ;; *) bad "info w8: block types '$(types "$T/w8.efm")'" ;; esac
[ -z "$(types "$T/f.efm" | tr ' ' '\n' | grep -v '^float32$' | grep .)" ] && [ -n "$(types "$T/f.efm")" ] ||
    bad "info float32: block types '$(types "$T/f.efm")'"
# uint8 and 16x8 blocks in one model (--act16): both named, per block and
# in the arena line
effad convert $G/model.onnx -o "$T/mx.efm" --int8 --act16 1,3 --act16-budget 0 --float-budget 0 --weight-only-budget 0 \
    --calib "$T/calib" >"$T/conv.txt" 2>&1 || bad "convert --act16 1,3: $(cat "$T/conv.txt")"
case "$(types "$T/mx.efm")" in "int8 16x8 int8 16x8 int8 "*) ;; *) bad "info mixed: block types '$(types "$T/mx.efm")'" ;; esac
effad info "$T/mx.efm" | grep -q "^  arena .* bytes (one thread, .* kernels, int8 model, uint8 and int16 activations)" ||
    bad "info mixed: arena line '$(effad info "$T/mx.efm" | grep arena)'"
# (convert may make 16x8 blocks weight-only too, where that measures
# better: the first one included)
case "$(types "$T/q16.efm")" in *16x8*) ;; *) bad "info a16: block types '$(types "$T/q16.efm")'" ;; esac
types "$T/q16.efm" | grep -qw int8 && bad "info a16: a uint8 block in '$(types "$T/q16.efm")'"
exit $fail
