#!/usr/bin/env node
// throughput.js -- `make bench`'s detector rows: how many images per second
// the whole detector (decode, resize, network, Gaussians) fits and scores,
// effad at 1 and 2 threads beside the Python reference pipeline
// (tests/reference/ailia_ref.py: PIL + ONNX Runtime + scikit-learn + scipy)
// in the same run.
//
//   node bench/throughput.js [--rounds N] [--threads 1,2] [--python 1|0]
//
// Data: bench/make-throughput-set.py (200 good training images and 100
// test images, 256x256 RGB PNG, MVTec layout), generated once into
// build/bench/throughput-data. Model: B0 (build/golden-full/b0-tv) with
// MahalanobisAD's levels (--taps stage-start), the ailia preset -- what the
// reference computes. One round = `effad fit` on the 200 then `effad score`
// on the 100, wall time of both processes; effad's threads work on
// different images (src/batch.c). The Python pipeline runs once (it takes
// minutes). Results: build/bench/throughput.jsonl, and a table on stdout
// appended to build/bench/report.md. Runs with fewer threads than CPUs are
// pinned (bench/pin.js), and every round runs them once on each set of
// CPUs in turn (one thread: on CPU 0, then on CPU 1): the 2-thread run
// uses both vCPUs of the shared machine, so its speed-up is taken over
// the mean of what one thread did on each of them in the same round. With
// one 1-thread run a round on a vCPU chosen by rotation, the speed-up
// measured the vCPUs as much as the threads: in `make bench` of
// 2026-12-06 07:28 (Zen 5, 3 rounds) one thread did 104.0 and 104.8
// images/s on CPU 0 and 113.1 on CPU 1, and the rounds' speed-ups were
// 1.72, 1.56 and 1.92 (median 1.72). Each CPU every round, minutes later
// (5 rounds, two runs): one thread 93-112 on CPU 0 and 111-118 on CPU 1,
// two threads 180-217, paired 1.87 and 1.88.
'use strict';
const fs = require('fs');
const path = require('path');
const { pinFor, spawnPinned, cpuLabel, allowed } = require('./pin.js');

const opt = { rounds: 5, threads: '1,2', python: 1 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt) || i + 1 >= process.argv.length) {
    process.stderr.write(`throughput.js: unknown or incomplete option ${process.argv[i]}\n`);
    process.exit(2);
  }
  opt[k] = typeof opt[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
const B = process.env.B || 'build';
const PY = process.env.PY || '/usr/bin/python3';
const effad = path.join(B, 'effad');
const outDir = path.join(B, 'bench');
const data = path.join(outDir, 'throughput-data');
const onnx = 'build/golden-full/b0-tv/model.onnx';
const efm = path.join(outDir, 'b0-stage-start.efm');
const gauss = path.join(outDir, 'throughput.gauss');
fs.mkdirSync(outDir, { recursive: true });

function run(cmd, args, env, cpus) {
  const t = process.hrtime.bigint();
  const r = spawnPinned(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 }, cpus);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) {
    process.stderr.write(`throughput.js: ${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n`);
    process.exit(1);
  }
  return ms;
}

if (!fs.existsSync(path.join(data, 'test')))
  run(PY, [path.join(__dirname, 'make-throughput-set.py'), data]);
run(effad, ['convert', onnx, '-o', efm, '--taps', 'stage-start']);
const count = (d) => fs.readdirSync(d, { recursive: true }).filter((f) => f.endsWith('.png')).length;
const nTrain = count(path.join(data, 'train')), nTest = count(path.join(data, 'test'));

const results = [];
const out = fs.openSync(path.join(outDir, 'throughput.jsonl'), 'w');
function record(j) { results.push(j); fs.writeSync(out, JSON.stringify(j) + '\n'); }

const threads = opt.threads.split(',').map(Number);
// The CPU sets a t-thread run takes in one round: every CPU once when it
// is pinned (pin.js's placements 0, 1, ... cover them in turn), else none.
const placements = (t) => (pinFor(t, 0) ? Math.ceil(allowed.length / t) : 1);
for (let r = 0; r < opt.rounds; r++) {
  const runs = [];
  for (const t of threads) for (let p = 0; p < placements(t); p++) runs.push([t, p]);
  for (const [t, p] of r % 2 ? runs.reverse() : runs) {
    const cpus = pinFor(t, p);
    const fit = run(effad, ['fit', efm, path.join(data, 'train', 'good'), '-o', gauss, '--threads', String(t), '--quiet'],
      {}, cpus);
    const score = run(effad, ['score', gauss, efm, path.join(data, 'test'), '--threads', String(t), '--json'], {}, cpus);
    const j = { tool: 'effad', threads: t, round: r, fit_ms: fit, score_ms: score,
      images_per_s: (nTrain + nTest) / ((fit + score) / 1000), cpus: cpuLabel(cpus) };
    record(j);
    process.stderr.write(`  throughput effad ${t}t round ${r + 1}/${opt.rounds}: fit ${fit.toFixed(0)} ms, ` +
      `score ${score.toFixed(0)} ms, ${j.images_per_s.toFixed(1)} images/s, cpus ${j.cpus}\n`);
  }
}
if (opt.python) {
  const ms = run(PY, ['tests/reference/ailia_ref.py', '--onnx', onnx, '--data', data, '--out',
    path.join(outDir, 'throughput-ref.jsonl')], { EFFAD_ORT_DIR: process.env.EFFAD_ORT_DIR || path.join(B, 'ort') });
  record({ tool: 'python', threads: 1, total_ms: ms, images_per_s: (nTrain + nTest) / (ms / 1000) });
  process.stderr.write(`  throughput python reference: ${(ms / 1000).toFixed(1)} s\n`);
}
fs.closeSync(out);

const median = (a) => { const s = [...a].sort((x, y) => x - y), n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const py = results.find((j) => j.tool === 'python');
const one = median(results.filter((j) => j.tool === 'effad' && j.threads === 1).map((j) => j.images_per_s));
let md = `\n### Detector throughput: fit ${nTrain} + score ${nTest} images (256x256 PNG), B0, ailia preset\n\n` +
  '| pipeline | threads | images/s (median) | fit ms | score ms | vs 1 thread | paired | vs Python |\n' +
  '|:--|--:|--:|--:|--:|--:|--:|--:|\n';
// paired: the median over rounds of this round's figure over the same
// round's 1-thread one (adjacent runs), as bench.js pairs effad with ORT --
// a spell of load on the shared machine then hits both sides of a ratio.
// A round's figure for t threads is the mean of its runs' images/s, one
// per CPU set (placements above).
const ipsOf = (t, r) => {
  const v = results.filter((x) => x.tool === 'effad' && x.threads === t && x.round === r).map((x) => x.images_per_s);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};
for (const t of threads) {
  const rows = results.filter((j) => j.tool === 'effad' && j.threads === t);
  const ips = median(rows.map((j) => j.images_per_s));
  const paired = median([...Array(opt.rounds).keys()].map((r) => ipsOf(t, r) / ipsOf(1, r)).filter((x) => x > 0));
  md += `| effad | ${t} | ${ips.toFixed(1)} | ${median(rows.map((j) => j.fit_ms)).toFixed(0)} | ` +
    `${median(rows.map((j) => j.score_ms)).toFixed(0)} | ${(ips / one).toFixed(2)} | ` +
    `${Number.isFinite(paired) ? paired.toFixed(2) : '-'} | ${py ? (ips / py.images_per_s).toFixed(1) + 'x' : '-'} |\n`;
}
if (py) md += `| Python (PIL + ORT + sklearn + scipy) | 1 | ${py.images_per_s.toFixed(1)} | - | - | - | - | 1.0x |\n`;
md += `\nMedian of ${opt.rounds} rounds; each run one \`effad fit\` and one \`effad score\` process, wall time, ` +
  'the order of the runs alternating by round; runs with fewer threads than CPUs pinned, once on each CPU a round ' +
  '(bench/pin.js), so images/s is their median over rounds and CPUs; ' +
  'paired = median over rounds of the round\'s images/s over its 1-thread figure, each the mean over the round\'s CPUs. ' +
  'The Python pipeline ran once (ORT through tests/golden/ort-run.js, one session).\n';
process.stdout.write(md);
fs.appendFileSync(path.join(outDir, 'report.md'), md);
