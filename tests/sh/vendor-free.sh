#!/bin/sh
# The vendor-free audit (see vendor_free.md), enforced:
#  1. product code includes only C11 / POSIX / compiler-intrinsic headers
#     (and Linux's sys/auxv.h, for the aarch64 dot-product check,
#     sys/inotify.h, sys/signalfd.h and sys/vfs.h, for score --watch, and glibc's
#     malloc.h, for mallopt in src/main.c under __GLIBC__);
#  2. no tracked file carries a third-party licence or copyright notice;
#  3. no tracked vendor/, third_party/, external/ or node_modules/ tree.
# Prints each violation; exits non-zero if there is any. Checks 2 and 3
# are about what is tracked: outside a git checkout (a tarball) they cannot
# run, and the script says SKIP rather than pass having checked nothing.
cd "$(dirname "$0")/../.." || exit 2
bad=0
in_git=0
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && in_git=1
allowed='assert|ctype|errno|float|inttypes|limits|locale|math|setjmp|signal|stdalign|stdarg|stdatomic|stdbool|stddef|stdint|stdio|stdlib|stdnoreturn|string|time|wchar|fcntl|unistd|pthread|dirent|sched|sys/mman|sys/stat|sys/types|sys/time|sys/resource|sys/wait|sys/auxv|sys/inotify|sys/signalfd|sys/vfs|poll|malloc|immintrin|cpuid|arm_neon|arm_acle|x86intrin'
if [ $in_git = 1 ]; then files=$(git ls-files 'ops/*.[ch]' 'engine/*.[ch]' 'convert/*.[ch]' 'src/*.[ch]')
else files=$(find ops engine convert src -name '*.[ch]'); fi
[ -n "$files" ] || { echo "vendor-free: no product source found"; exit 1; }
# one grep over every file (a process per file took seconds, and the suite
# runs this under sanitizers and emulators too)
incs=$(printf '%s\n' $files | xargs grep -HE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<')
viol=$(printf '%s\n' "$incs" | sed -E 's/^([^:]*):.*<([^>]*)\.h>.*/\1 \2/' | grep -vE " ($allowed)\$")
if [ -n "$viol" ]; then
    printf '%s\n' "$viol" | while read -r f h; do
        echo "vendor-free: $f: includes <$h.h>, not libc/libm/POSIX"; done
    bad=1
fi
if [ $in_git = 0 ]; then
    [ $bad = 0 ] || exit 1
    echo "vendor-free: SKIP not a git checkout: the licence and vendored-tree checks read the tracked files"
    exit 0
fi
tracked=$(git ls-files | grep -vE '^(vendor_free\.md|tests/sh/vendor-free\.sh)$')
lic=$(printf '%s\n' "$tracked" | grep -vE '\.(onnx|f32|bin|png|jpg|efm|gauss|pb)$' |
      xargs grep -liE 'SPDX-License-Identifier|Permission is hereby granted|Licensed under the|GNU General Public License|Copyright \(c\)')
for f in $lic; do
    echo "vendor-free: $f: carries a third-party licence or copyright notice"; bad=1
done
if git ls-files | grep -qE '(^|/)(vendor|third_party|external|node_modules)/'; then
    echo "vendor-free: a vendored tree is tracked:"; git ls-files | grep -E '(^|/)(vendor|third_party|external|node_modules)/' | head; bad=1
fi
[ -f vendor_free.md ] || { echo "vendor-free: vendor_free.md is missing"; bad=1; }
exit $bad
