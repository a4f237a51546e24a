#!/bin/sh
# The effad CLI as one fully static binary (musl libc), for boards and
# containers with nothing else on them: build/static/effad. Prints its
# size and fails unless the result has no program interpreter and no
# shared-library dependency. Needs: musl-tools (musl-gcc).
set -eu
cd "$(dirname "$0")/../.."
CC=${MUSL_CC:-musl-gcc}
command -v "$CC" >/dev/null 2>&1 || { echo "static: $CC not found (apt-get install musl-tools)" >&2; exit 2; }
out=build/static
# No -g and a stripped link: the size printed is the size shipped.
make -j"$(nproc 2>/dev/null || echo 2)" --no-print-directory \
    CC="$CC" B="$out" OPT=-O2 LDFLAGS="-static -s" "$out/effad"
bin=$out/effad
ok=1
# The ELF itself is the proof: a dynamic binary has a PT_INTERP and NEEDED.
if readelf -lW "$bin" | grep -q 'INTERP'; then echo "static: $bin has a program interpreter"; ok=0; fi
if readelf -dW "$bin" 2>/dev/null | grep -q '(NEEDED)'; then echo "static: $bin needs shared libraries"; ok=0; fi
if command -v file >/dev/null 2>&1; then
    desc=$(file -b "$bin")
    echo "static: file: $desc"
    case "$desc" in *"statically linked"*|*"static-pie linked"*) ;; *) echo "static: file does not call it static"; ok=0 ;; esac
fi
# ldd exits non-zero on a static binary ("not a dynamic executable").
if command -v ldd >/dev/null 2>&1; then echo "static: ldd: $(ldd "$bin" 2>&1 | head -n 1)"; fi
"$bin" --help >/dev/null || { echo "static: $bin --help failed"; ok=0; }
# End to end with nothing but the binary: the offline demo (synthetic set,
# model, fit, eval) and a converted ONNX model against its ORT goldens.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if (cd "$tmp" && "$OLDPWD/$bin" demo --out demo > demo.txt 2>&1); then
    grep -E '^  all ' "$tmp/demo.txt" | sed 's/^/static: demo AUROC /'
else
    echo "static: demo failed:"; tail -n 5 "$tmp/demo.txt"; ok=0
fi
g=tests/golden/tiny-tv-bn
if "$bin" convert $g/model.onnx -o "$tmp/m.efm" >/dev/null && "$bin" features "$tmp/m.efm" --tensor $g/input.f32 -o "$tmp/l.f32"; then
    [ "$(wc -c < "$tmp/l.f32")" -eq "$(wc -c < $g/levels.f32)" ] || { echo "static: features wrote the wrong size"; ok=0; }
else
    echo "static: convert/features failed"; ok=0
fi
bytes=$(wc -c < "$bin" | tr -d ' ')
echo "static: $bin $bytes bytes ($(( (bytes + 1023) / 1024 )) KiB)"
[ $ok -eq 1 ]
