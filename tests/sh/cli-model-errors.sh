#!/bin/sh
# effad convert / info / features on bad input: a non-zero exit, a message
# that names the file and the problem, and no output file -- or, when an
# output already exists, that file left exactly as it was.
NAME=cli-model-errors
. "$(dirname "$0")/lib/cli.sh"
effad_mmx() { EFFAD_ISA=mmx $RUNNER "$B/effad" "$@"; }

G=tests/golden/tiny-tv-bn
effad convert $G/model.onnx -o "$T/good.efm" >/dev/null || bad "converting the golden model failed"

# convert: missing, truncated, corrupt input; existing output survives
expect_fail "missing onnx" "$T/none.onnx" effad convert "$T/none.onnx" -o "$T/a.efm"
head -c 5000 $G/model.onnx > "$T/trunc.onnx"
expect_fail "truncated onnx" "trunc.onnx: .*truncated" effad convert "$T/trunc.onnx" -o "$T/a.efm"
[ -e "$T/a.efm" ] && bad "a failed convert left an output file"
cp "$T/good.efm" "$T/keep.efm"
expect_fail "truncated onnx over existing" "trunc.onnx" effad convert "$T/trunc.onnx" -o "$T/keep.efm"
cmp -s "$T/good.efm" "$T/keep.efm" || bad "a failed convert changed the existing output"
ls "$T" | grep -q '\.tmp' && bad "a temp file was left behind"
expect_fail "no output path" "need IN.onnx" effad convert $G/model.onnx
expect_fail "bad tap rule" "unknown tap rule" effad convert $G/model.onnx -o "$T/a.efm" --taps middle
# weights that are not finite (here int8 weights whose scale dequantises
# them past the float range): refused by layer before anything is written
R=tests/data/fuzz-regress/onnx-qdq/se-weight-dequantises-to-inf
expect_fail "non-finite weights" "se-weight-dequantises-to-inf: block 4 squeeze-excite expand (node 'b4.se_expand.conv'): weight 47 of 64 is -inf, not a finite number" \
    effad convert $R -o "$T/a.efm"
[ -e "$T/a.efm" ] && bad "a convert refused for its weights left an output file"

# info / features: truncated, bit-flipped, not a model
head -c 3000 "$T/good.efm" > "$T/trunc.efm"
expect_fail "truncated efm" "trunc.efm: .*truncated" effad info "$T/trunc.efm"
cp "$T/good.efm" "$T/flip.efm"
printf '\001' | dd of="$T/flip.efm" bs=1 seek=9000 conv=notrunc 2>/dev/null
expect_fail "bit-flipped efm" "flip.efm: .*checksum" effad info "$T/flip.efm"
expect_fail "onnx as model" "model.onnx looks like an ONNX model; MODEL.efm goes there: convert it first" effad info $G/model.onnx
: > "$T/empty.efm"
expect_fail "empty model" "empty" effad info "$T/empty.efm"

# features: wrong tensor size names the tensor; no output written
head -c 1000 $G/input.f32 > "$T/short.f32"
expect_fail "short tensor" "short.f32: 1000 bytes" effad features "$T/good.efm" --tensor "$T/short.f32" -o "$T/o.f32"
[ -e "$T/o.f32" ] && bad "a failed features run left an output file"
expect_fail "corrupt model in features" "flip.efm" effad features "$T/flip.efm" --tensor $G/input.f32 -o "$T/o.f32"
expect_fail "unknown isa" "unknown kernel path .mmx. (this build has: scalar" effad_mmx features "$T/good.efm" --tensor $G/input.f32 -o "$T/o.f32"
head -c 12 $G/input.f32 > "$T/tiny.f32"
expect_fail "bad tensor shape" "bad --tensor-shape" effad features "$T/good.efm" --tensor-shape 0,5 --tensor "$T/tiny.f32" -o "$T/o.f32"

# and the good path writes exactly the level vectors
effad features "$T/good.efm" --tensor $G/input.f32 -o "$T/o.f32" || bad "features failed on good input"
[ "$(wc -c < "$T/o.f32")" -eq "$(wc -c < $G/levels.f32)" ] || bad "features wrote the wrong number of bytes"
exit $fail
