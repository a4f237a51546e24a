#!/usr/bin/env node
// ort-bench.js -- ONNX Runtime's side of `make bench`: the same measurement
// as `effad bench --json`, on the same ONNX file and input shape.
//
//   node bench/ort-bench.js MODEL.onnx H W [--threads N] [--runs R] [--warmup W]
//
// Session: CPU provider, intraOpNumThreads = N, interOpNumThreads = 1,
// sequential execution, graph optimisation level "all" (ORT's best). The
// input is pseudo-random; timings do not depend on the values. Prints one
// JSON object with the same keys as effad's. load_ms / first_ms count from
// the first line of this script (node's own start-up is in the harness's
// wall-clock figure, not here); peak_rss_kb includes the node runtime.
// ORT is found through $EFFAD_ORT_DIR (containing node_modules/
// onnxruntime-node), default build/ort.
'use strict';
const t0 = performance.now();
const path = require('path');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : def;
}

async function main() {
  const [model, hs, ws] = process.argv.slice(2);
  const h = Number(hs), w = Number(ws);
  if (!model || !(h > 0) || !(w > 0)) {
    process.stderr.write('usage: ort-bench.js MODEL.onnx H W [--threads N] [--runs R] [--warmup W]\n');
    process.exit(2);
  }
  const threads = arg('--threads', 1), runs = arg('--runs', 20), warmup = arg('--warmup', 3);
  const ortDir = path.resolve(process.env.EFFAD_ORT_DIR || 'build/ort');
  const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const n = 3 * h * w;
  const data = new Float32Array(n);
  let seed = 2463534242 >>> 0;                 // xorshift32, as effad bench
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
    data[i] = (seed >>> 8) * (4 / 16777216) - 2;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, h, w]) };
  const loadMs = performance.now() - t0;
  let firstMs = 0;
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    const a = performance.now();
    await session.run(feeds);
    const b = performance.now();
    if (i === 0) firstMs = b - t0;
    if (i >= warmup) times.push(b - a);
  }
  const sorted = [...times].sort((x, y) => x - y);
  const m = sorted.length;
  const median = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  const mean = times.reduce((s, x) => s + x, 0) / m;
  const out = {
    tool: 'ort', model, ort_version: ort.env.versions ? ort.env.versions.common : undefined,
    threads, in_h: h, in_w: w, runs, warmup,
    median_ms: median, min_ms: sorted[0], mean_ms: mean, per_s: 1e3 / median,
    load_ms: loadMs, first_ms: firstMs, peak_rss_kb: process.resourceUsage().maxRSS,
    times_ms: times,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { process.stderr.write(`ort-bench.js: ${e.stack || e}\n`); process.exit(1); });
