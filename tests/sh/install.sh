#!/bin/sh
# make install into a temporary prefix, then build the embedding example
# against the installed header and library through pkg-config alone.
B=${EFFAD_BUILD:-build}
[ -n "${RUNNER:-}" ] && exit 0    # a host-side check; nothing to emulate
case "$B" in *asan*) exit 0;; esac  # a sanitizer build links only with the sanitizer runtime
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
make -s --no-print-directory B="$B" PREFIX="$T/p" install >/dev/null || { echo "install: make install failed"; exit 1; }
for f in bin/effad lib/libeffad.a include/effad.h lib/pkgconfig/effad.pc; do
    [ -f "$T/p/$f" ] || { echo "install: $f missing"; exit 1; }
done
cat > "$T/app.c" <<'C'
#include <stdio.h>
#include <effad.h>
int main(void)
{
    effad_model m;
    effad_error e;
    static const unsigned char not_a_model[600];
    if (effad_model_load(&m, not_a_model, sizeof not_a_model, &e) == EFFAD_OK) return 1;
    printf("%s | %s\n", e.msg, effad_kernels_name(effad_kernels(NULL)));
    return 0;
}
C
flags=$(PKG_CONFIG_PATH="$T/p/lib/pkgconfig" pkg-config --cflags --libs effad 2>/dev/null) ||
    flags="-I$T/p/include -L$T/p/lib -leffad -lm"
${CC:-cc} -std=c11 -Wall -Werror -o "$T/app" "$T/app.c" $flags || { echo "install: the example does not build"; exit 1; }
"$T/app" | grep -q "bad magic" || { echo "install: the example did not run"; exit 1; }
"$T/p/bin/effad" --help >/dev/null || { echo "install: installed effad does not run"; exit 1; }
