# Sourced by the CLI tests in tests/sh (this directory is not a test).
# Sets B and T (a temp dir removed on exit) and provides:
#   effad ARGS...                 the CLI, through $RUNNER under qemu
#   bad MESSAGE                   record a failure ($NAME: MESSAGE)
#   expect_fail NAME PATTERN CMD  CMD must fail with PATTERN on stderr
# The test ends with `exit $fail`.
B=${EFFAD_BUILD:-build}
effad() { $RUNNER "$B/effad" "$@"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "$NAME: $*"; fail=1; }
expect_fail() {
    name=$1; pat=$2; shift 2
    if "$@" >"$T/out" 2>"$T/err"; then bad "$name: succeeded"; return; fi
    grep -q -- "$pat" "$T/err" || bad "$name: stderr lacks '$pat': $(cat "$T/err")"
}
