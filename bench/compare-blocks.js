#!/usr/bin/env node
// compare-blocks.js -- effad against ONNX Runtime block by block, in one
// table: where a ratio of the whole pass comes from.
//
//   node bench/compare-blocks.js b0|b4 [--threads N] [--runs R] [--isa avx2] [--split K] [--efm FILE]
//
// Runs `effad bench build/bench/KEY.efm --layers` and bench/ort-profile.js
// --blocks on build/golden-full/KEY-tv/model.onnx (what `make bench`
// compares), both pinned to the same CPU when they run on fewer threads
// than there are CPUs (bench/pin.js), and prints each block's time in
// both, their ratio, and the sums; --split K also sums blocks below K and
// from K on. With --isa avx2 effad runs its AVX2 table and ORT runs as on
// an AVX2-only CPU (build/ort-avx2 under build/bench/hide-avx512.so, as
// `make ort-avx2` makes them). --efm sets another effad model of the same
// network against ORT's float32 graph, e.g. build/bench/b4-int8.efm: where
// int8 gains and where it does not. ORT's profiler adds a little time per node,
// and its layout reorders belong to no block ("other"): read the ratios as
// where the time goes, and `make bench` for the ratio itself. Run `make
// bench` once first: it converts the .efm files.
'use strict';
const fs = require('fs');
const path = require('path');
const { pinFor, spawnPinned } = require('./pin.js');
const MODELS = require('./models.js');

const key = process.argv[2];
function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
if (!MODELS[key]) {
  process.stderr.write('usage: compare-blocks.js b0|b4 [--threads N] [--runs R] [--isa avx2] [--split K] [--efm FILE]\n');
  process.exit(2);
}
const B = process.env.B || 'build';
const { h, w } = MODELS[key];
const threads = Number(arg('--threads', 1)), runs = Number(arg('--runs', 20)), isa = arg('--isa', '');
const split = arg('--split', null);
const efm = arg('--efm', path.join(B, 'bench', `${key}.efm`)), onnx = path.join(MODELS[key].dir, 'model.onnx');
for (const f of [efm, onnx])
  if (!fs.existsSync(f)) { process.stderr.write(`compare-blocks.js: ${f} missing (make bench makes it)\n`); process.exit(1); }

const cpus = pinFor(threads, 0);
function run(cmd, args, env) {
  const r = spawnPinned(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 }, cpus);
  if (r.status !== 0) { process.stderr.write(`compare-blocks.js: ${cmd} failed:\n${r.stderr}\n`); process.exit(1); }
  return r.stdout;
}

const ortEnv = { EFFAD_ORT_DIR: path.join(B, 'ort') };
if (isa === 'avx2') {
  const so = path.resolve(B, 'bench', 'hide-avx512.so');
  if (!fs.existsSync(so)) { process.stderr.write(`compare-blocks.js: ${so} missing (make ort-avx2)\n`); process.exit(1); }
  Object.assign(ortEnv, { EFFAD_ORT_DIR: path.join(B, 'ort-avx2'), LD_PRELOAD: so, EFFAD_HIDE_KEEP_AVXVNNI: '0' });
}

// effad's `--layers` table: the stem and head rows end in their time, a
// block row (index first) in its sum.
const effad = new Map();
const eOut = run(path.join(B, 'effad'), ['bench', efm, '--layers', '--runs', String(runs), '--threads', String(threads)],
  isa ? { EFFAD_ISA: isa } : {});
let inTable = false;
for (const line of eOut.split('\n')) {
  if (/^per layer, ms per pass/.test(line)) { inTable = true; continue; }
  if (/^per layer type/.test(line)) break;
  if (!inTable) continue;
  const m = /^\s+(stem|head|\d+)\s.*\s([\d.]+)\s*$/.exec(line);
  if (m) effad.set(m[1], Number(m[2]));
}

// ORT's `--blocks` list: "    3  features.2.1   2.876", "       stem   0.975"
const ort = new Map();
const oOut = run('node', [path.join(__dirname, 'ort-profile.js'), onnx, String(h), String(w), '--threads', String(threads),
  '--runs', String(runs), '--blocks'], ortEnv);
inTable = false;
for (const line of oOut.split('\n')) {
  if (/per block/.test(line)) { inTable = true; continue; }
  if (!inTable) continue;
  const b = /^\s+(\d+)\s+features\.\S+\s+([\d.]+)\s*$/.exec(line);
  const o = /^\s+(stem|head|other)\s+([\d.]+)\s*$/.exec(line);
  if (b) ort.set(b[1], Number(b[2]));
  else if (o) ort.set(o[1], Number(o[2]));
  else if (line.trim() && !/^\s/.test(line)) break;
}
if (!effad.size || !ort.size) { process.stderr.write('compare-blocks.js: could not read both tables\n'); process.exit(1); }

const rows = ['stem', ...[...effad.keys()].filter((k) => /^\d+$/.test(k)), 'head'];
const fmt = (x) => (x === undefined ? '-' : x.toFixed(3));
console.log(`${key} ${h}x${w} (${path.basename(efm)}), ${threads} thread(s), effad ${isa || 'native'} vs ORT ${isa ? `as ${isa}` : 'native'}` +
  `${cpus ? `, both on CPU ${cpus.join(',')}` : ''}, ms per pass`);
console.log(`  ${'block'.padEnd(6)} ${'effad'.padStart(8)} ${'ORT'.padStart(8)} ${'ratio'.padStart(6)}`);
const sums = { all: [0, 0], lo: [0, 0], hi: [0, 0] };
for (const k of rows) {
  const e = effad.get(k), o = ort.get(k);
  console.log(`  ${k.padEnd(6)} ${fmt(e).padStart(8)} ${fmt(o).padStart(8)} ${e && o ? (e / o).toFixed(2).padStart(6) : '     -'}`);
  if (e === undefined || o === undefined) continue;
  const part = split === null ? null : k === 'head' || (/^\d+$/.test(k) && Number(k) >= Number(split)) ? 'hi' : 'lo';
  for (const s of ['all', part]) if (s) { sums[s][0] += e; sums[s][1] += o; }
}
if (ort.has('other')) console.log(`  ${'other'.padEnd(6)} ${'-'.padStart(8)} ${fmt(ort.get('other')).padStart(8)}      -   (ORT's layout reorders)`);
const line = (label, [e, o]) => console.log(`  ${label.padEnd(22)} effad ${e.toFixed(2)}  ORT ${o.toFixed(2)}  ratio ${(e / o).toFixed(2)}`);
line('stem..head', sums.all);
if (split !== null) { line(`stem..block ${Number(split) - 1}`, sums.lo); line(`block ${split}..head`, sums.hi); }
