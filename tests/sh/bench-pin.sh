#!/bin/sh
# bench/pin.js, the CPU pinning of `make bench`'s one-thread rounds: the CPU
# list taskset reports is read back whole (ranges and singles), a 1-thread
# run rotates over every allowed CPU round by round, a run with a thread
# per CPU is not pinned, and a child spawned through spawnPinned() really runs
# where it was put (its own /proc/self/status says so). Needs node and
# taskset (util-linux); without them it says SKIP.
NAME=bench-pin
. "$(dirname "$0")/lib/cli.sh"
cd "$(dirname "$0")/../.." || exit 2
command -v node >/dev/null && command -v taskset >/dev/null || { echo "$NAME: SKIP needs node and taskset"; exit 0; }
[ -r /proc/self/status ] || { echo "$NAME: SKIP no /proc"; exit 0; }
node -e '(function main() {
const p = require("./bench/pin.js");
const fail = (m) => { console.log(m); process.exitCode = 1; };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
if (!same(p.parseList("0-3,6"), [0, 1, 2, 3, 6])) fail("parseList 0-3,6: " + JSON.stringify(p.parseList("0-3,6")));
if (!same(p.parseList("5"), [5])) fail("parseList 5");
if (p.parseList("") !== null || p.parseList("x") !== null) fail("parseList accepts junk");
const cpus = p.allowed;
if (!cpus || !cpus.length) { fail("no allowed CPUs read from taskset"); return; }
if (p.pinFor(cpus.length, 0) !== null) fail("a thread per CPU was pinned");
if (cpus.length < 2) { console.log("bench-pin: SKIP rotation: one CPU"); return; }
const seen = new Set();
for (let r = 0; r < cpus.length; r++) {
  const c = p.pinFor(1, r);
  if (!c || c.length !== 1 || !cpus.includes(c[0])) fail("round " + r + ": pinned to " + JSON.stringify(c));
  else seen.add(c[0]);
}
if (seen.size !== cpus.length) fail("1-thread rounds do not rotate over every CPU: " + [...seen]);
const want = cpus[cpus.length - 1];
const r = p.spawnPinned("sh", ["-c", "grep Cpus_allowed_list /proc/self/status"], { encoding: "utf8" }, [want]);
const got = ((r.stdout || "").match(/Cpus_allowed_list:\s*(\S+)/) || [])[1];
if (got !== String(want)) fail("child pinned to " + want + " runs on " + got + " (" + (r.stderr || "") + ")");
})()' > "$T/out" 2>&1 && cat "$T/out" || bad "$(cat "$T/out")"
exit $fail
