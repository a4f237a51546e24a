#!/bin/sh
# usage: baremetal-symbols.sh NM OBJ...
# Lists the symbols the objects need from outside themselves (undefined in
# one object and defined in none) and fails if any is not on the list a
# firmware image can be expected to provide: the three mem* routines that
# compilers emit for struct copies and zeroing (plus memcmp), the C99 libm, and the
# compiler's own runtime helpers (ARM EABI __aeabi_*, libgcc __*di3 etc.).
# Anything else -- printf, malloc, fopen, errno, abort -- breaks the
# bare-metal rule of DESIGN.md.
set -u
nm=${1:?usage: baremetal-symbols.sh NM OBJ...}; shift
[ $# -gt 0 ] || { echo "baremetal-symbols: no objects" >&2; exit 2; }

# memcmp joins the three: GCC requires all four of memcpy, memmove, memset and
# memcmp even from a freestanding environment (it may emit calls to them).
libc='memcpy|memset|memmove|memcmp'
f='acos|acosh|asin|asinh|atan|atan2|atanh|cbrt|ceil|copysign|cos|cosh|erf|erfc|exp|exp2|expm1|fabs|fdim|floor|fma|fmax|fmin|fmod|frexp|hypot|ilogb|ldexp|lgamma|llrint|llround|log|log10|log1p|log2|logb|lrint|lround|modf|nan|nearbyint|nextafter|pow|remainder|remquo|rint|round|scalbn|sin|sinh|sqrt|tan|tanh|tgamma|trunc'
libm="($f)f?"
helpers='__aeabi_[a-z0-9_]+|__(u?(div|mod|mul)|clz|ctz|ffs|popcount|parity|bswap|ashl|ashr|lshr|neg|u?cmp|fix|fixuns|float|floatun|extend|trunc|add|sub)[a-z]*[0-9]|__aarch64_[a-z0-9_]+'
allowed="^($libc|$libm|$helpers)\$"

tmp=${TMPDIR:-/tmp}/effad-bm-syms.$$
trap 'rm -f "$tmp".*' EXIT
"$nm" -u "$@" | awk 'NF >= 2 { print $NF } NF == 1 && $1 !~ /:$/ { print $1 }' | sort -u > "$tmp.undef"
"$nm" --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp.def"
comm -23 "$tmp.undef" "$tmp.def" > "$tmp.ext"
bad=$(grep -vE "$allowed" "$tmp.ext")
echo "baremetal-symbols: external: $(tr '\n' ' ' < "$tmp.ext")"
if [ -n "$bad" ]; then
    for s in $bad; do
        users=$("$nm" -A -u "$@" | awk -v s="$s" '$NF == s { sub(/:.*/, "", $1); print $1 }' | tr '\n' ' ')
        echo "baremetal-symbols: '$s' is not allowed in bare-metal code (used by: $users)"
    done
    exit 1
fi
exit 0
