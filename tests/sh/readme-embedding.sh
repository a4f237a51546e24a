#!/bin/sh
# The README's "Embedding" example is the firmware's code, not a sketch of
# it: the first C block of that section must equal, line for line, the
# part of tests/cross/firmware/main.c between its "embedding example" and
# "test harness" banners (which `make firmware-test` builds and runs).
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
main=tests/cross/firmware/main.c
awk '/the embedding example/ { f = 1; next } /the test harness/ { f = 0 } f' "$main" > "$T/main"
awk '/^## Embedding/ { s = 1; next } /^## / { s = 0 }
     s && /^```c$/ && !done { c = 1; next } c && /^```$/ { c = 0; done = 1 } c' README.md > "$T/readme"
# blank lines around the region do not count
sed -e '/./,$!d' "$T/main" | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}' > "$T/main.trim"
if [ ! -s "$T/readme" ]; then echo "readme-embedding: README.md has no C block under '## Embedding'"; exit 1; fi
if [ ! -s "$T/main.trim" ]; then echo "readme-embedding: $main has no embedding-example region"; exit 1; fi
if ! diff -u "$T/readme" "$T/main.trim" > "$T/diff"; then
    echo "readme-embedding: README.md's Embedding example differs from $main:"
    cat "$T/diff"
    exit 1
fi
exit 0
