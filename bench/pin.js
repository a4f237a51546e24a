// pin.js -- which CPUs a benchmark process of bench.js / throughput.js runs on.
//
// On a shared VM the vCPUs do not all run at one speed. Measured on the
// 2-vCPU Zen 5 of 2026-12-04, alternating `taskset -c 0` and `-c 1`: one
// vCPU ran both tools ~25 % slower than the other for minutes at a time
// (B0 at one thread: effad 5.4-5.8 against 6.8-7.4 ms, ORT 7.5-8.0 against
// 9.7-9.9), then both were alike again. A one-thread process lands on
// either, so a round whose effad ran on the slow vCPU and whose ORT on the
// fast one measured the vCPUs, not the tools (that day's first make bench:
// effad 8.95 ms in one round, ORT 7.5 in the next process).
//
// So every run with fewer threads than there are CPUs is pinned (taskset,
// util-linux: in every Debian), all tools of a round to the same CPUs,
// rotating with the round so that each CPU takes its share of the rounds;
// a paired ratio then sets like against like. Runs with a thread per CPU
// are not pinned: they use them all. Without taskset nothing is pinned.
'use strict';
const { spawnSync } = require('child_process');

// "0-3,6" -> [0, 1, 2, 3, 6]; null for anything else
function parseList(s) {
  const cpus = [];
  for (const part of s.split(',')) {
    const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
    if (!m) return null;
    for (let c = Number(m[1]); c <= Number(m[2] || m[1]); c++) cpus.push(c);
  }
  return cpus.length ? cpus : null;
}

// The CPUs this process may run on, or null when taskset cannot tell.
function allowedCpus() {
  const r = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return null;
  return parseList(r.stdout.split(':').pop().trim());
}

const allowed = allowedCpus();

// The CPUs for a run of `threads` threads in round `round`, or null: not
// pinned.
function pinFor(threads, round) {
  if (!allowed || threads >= allowed.length) return null;
  const n = allowed.length;
  return Array.from({ length: threads }, (_, i) => allowed[(round * threads + i) % n]);
}

// spawnSync(cmd, args, options), under taskset when cpus is a list.
function spawnPinned(cmd, args, options, cpus) {
  return cpus ? spawnSync('taskset', ['-c', cpus.join(','), cmd, ...args], options) : spawnSync(cmd, args, options);
}

// How a result line names the CPUs it ran on.
const cpuLabel = (cpus) => (cpus ? cpus.join(',') : 'any');

module.exports = { pinFor, spawnPinned, cpuLabel, allowed, parseList };
