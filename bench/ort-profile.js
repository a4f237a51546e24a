#!/usr/bin/env node
// ort-profile.js -- ONNX Runtime's time per operator type, to set beside
// `effad bench --layers`.
//
//   node bench/ort-profile.js MODEL.onnx H W [--threads N] [--runs R] [--nodes K]
//
// Runs R inferences (after 3 warm-ups) with ORT's own profiler on (same
// session options as ort-bench.js), reads the trace it writes and sums the
// node events per pass by kind: convolutions are told apart by their
// weight shape (1x1 -> GEMM-like, one input channel per group ->
// depthwise kxk, else the stem), everything else by operator name. The
// profiler adds a little time per node; compare shares, not absolutes.
// --nodes K also lists the K slowest nodes with their shapes.
// --blocks also sums the nodes per network block (torchvision's
// features.S.B naming, stem and head apart), in network order, to set
// beside the `sum` column of `effad bench --layers` row for row.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : def;
}

function kindOf(ev) {
  const a = ev.args || {};
  const op = a.op_name || '?';
  if (/Conv/.test(op)) {
    const shapes = (a.input_type_shape || []).map((o) => Object.values(o)[0]);
    const wt = shapes[1];
    if (wt && wt.length === 4) {
      const [, cinPerGroup, kh, kw] = wt;
      if (kh === 1 && kw === 1) return cinPerGroup === 1 ? 'depthwise 1x1' : '1x1 conv (GEMM)';
      if (cinPerGroup === 1) return `depthwise ${kh}x${kw}`;
      // NCHWc convs keep the depthwise weight blocked: [C, 1, k, k] still
      return 'stem conv';
    }
    return `${op} (shape?)`;
  }
  return op;
}

async function main() {
  const [model, hs, ws] = process.argv.slice(2);
  const h = Number(hs), w = Number(ws);
  const threads = arg('--threads', 1), runs = arg('--runs', 20);
  const ort = require(path.join(path.resolve(process.env.EFFAD_ORT_DIR || 'build/ort'), 'node_modules', 'onnxruntime-node'));
  const prefix = path.join(os.tmpdir(), `ort-profile-${process.pid}`);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: prefix,
  });
  const data = new Float32Array(3 * h * w).map((_, i) => Math.sin(i));
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, h, w]) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const t = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  const wall = (performance.now() - t) / runs;
  session.endProfiling();
  const file = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(path.basename(prefix))).map((f) => path.join(os.tmpdir(), f))[0];
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  // the trace holds every pass, warm-ups included: keep the last `runs`
  const passes = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const from = passes.length > runs ? passes[passes.length - runs].ts : 0;
  const by = new Map(), ops = new Map(), nodes = new Map(), blocks = new Map();
  let total = 0, lastStage = 0;
  for (const e of events) {
    const st = /features\.(\d+)\./.exec(e.name || '');
    if (e.cat === 'Node' && st) lastStage = Math.max(lastStage, Number(st[1]));
  }
  for (const e of events) {
    if (e.cat !== 'Node' || !/_kernel_time$/.test(e.name) || e.ts < from) continue;
    const k = kindOf(e);
    by.set(k, (by.get(k) || 0) + e.dur / 1e3 / runs);
    const op = (e.args && e.args.op_name) || '?';
    const shapes = ((e.args && e.args.input_type_shape) || []).map((o) => JSON.stringify(Object.values(o)[0])).join(' ');
    const nk = `${e.name.replace(/_kernel_time$/, '')} ${op} ${shapes}`;
    nodes.set(nk, (nodes.get(nk) || 0) + e.dur / 1e3 / runs);
    ops.set(op, (ops.get(op) || 0) + 1 / runs);
    // features.0 is the stem and the last stage the head (both unnumbered
    // in effad's table); nodes of no block are ORT's layout reorders.
    const m = /features\.(\d+)\.(\d+)\//.exec(e.name);
    const stage = /features\.(\d+)\./.exec(e.name);
    const bk = !stage ? 'other' : stage[1] === '0' ? 'stem' : m && m[1] !== String(lastStage) ? `${m[1]}.${m[2]}` : 'head';
    blocks.set(bk, (blocks.get(bk) || 0) + e.dur / 1e3 / runs);
    total += e.dur / 1e3 / runs;
  }
  console.log(`${model} ${h}x${w}, ORT ${threads} thread(s): ${wall.toFixed(2)} ms per pass (profiled), ` +
    `${total.toFixed(2)} ms in node kernels`);
  console.log(`  nodes per pass: ${[...ops].map(([o, n]) => `${o} ${Math.round(n)}`).join(', ')}`);
  console.log(`  ${'kind'.padEnd(20)} ${'ms'.padStart(8)} ${'%'.padStart(6)}`);
  for (const [k, ms] of [...by].sort((a, b) => b[1] - a[1]))
    console.log(`  ${k.padEnd(20)} ${ms.toFixed(3).padStart(8)} ${(100 * ms / total).toFixed(1).padStart(5)}%`);
  if (process.argv.includes('--blocks')) {
    console.log('  per block (ms per pass), effad block index first:');
    let i = 0;
    for (const [k, ms] of blocks) {
      const label = /\./.test(k) ? `${String(i++).padStart(3)}  features.${k}` : `     ${k}`;
      console.log(`  ${label.padEnd(22)} ${ms.toFixed(3).padStart(8)}`);
    }
  }
  const top = arg('--nodes', 0);
  if (top > 0) {
    console.log(`  slowest ${top} nodes (ms per pass):`);
    for (const [k, ms] of [...nodes].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${ms.toFixed(3).padStart(8)}  ${k}`);
  }
}

main().catch((e) => { process.stderr.write(`ort-profile.js: ${e.stack || e}\n`); process.exit(1); });
