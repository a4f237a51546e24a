#!/usr/bin/env node
// ort-run.js -- run one ONNX model in ONNX Runtime (onnxruntime-node) and
// dump outputs as raw little-endian float32 files.  Used by gen.py and
// tests/reference/*.py.
//
//   node ort-run.js MODEL INPUT.f32 N,C,H,W OUTDIR [OUTPUT_NAME ...]
//   node ort-run.js --batch MODEL INPUTS.f32 N,C,H,W OUTDIR [OUTPUT_NAME ...]
//
// The input file holds N*C*H*W float32 LE values and is fed to the model's
// first (only) input.  Each requested output (default: all graph outputs)
// is written to OUTDIR/out<i>.f32 in request order.  A JSON summary
// {"ort_version", "outputs": [{"name", "dims", "file"}]} goes to stdout.
//
// --batch: the input file holds K >= 1 consecutive N*C*H*W tensors (K is
// its size / (N*C*H*W*4)); the one session runs once per tensor, and
// OUTDIR/out<i>.f32 holds the K outputs concatenated in input order.  The
// summary then has "runs": K and each output's "dims" is [K, ...one run's
// dims].  Saves starting node + loading the model once per image.
//
// $EFFAD_ORT_OPT: ORT's graph optimisation level (default all).
// ORT is found through $EFFAD_ORT_DIR (a directory that contains
// node_modules/onnxruntime-node), default build/ort.
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dir = path.resolve(process.env.EFFAD_ORT_DIR || 'build/ort');
  const mod = path.join(dir, 'node_modules', 'onnxruntime-node');
  try {
    return require(mod);
  } catch (e) {
    process.stderr.write(
      `ort-run.js: cannot load onnxruntime-node from ${mod}\n` +
      `  (${e.message.split('\n')[0]})\n` +
      'Install it with:\n' +
      '  mkdir -p build/ort && cd build/ort && npm install --ignore-scripts onnxruntime-node\n' +
      'or point EFFAD_ORT_DIR at a directory containing node_modules/onnxruntime-node.\n');
    process.exit(2);
  }
}

async function main() {
  let argv = process.argv.slice(2);
  const batch = argv[0] === '--batch';
  if (batch) argv = argv.slice(1);
  if (argv.length < 4) {
    process.stderr.write('usage: ort-run.js [--batch] MODEL INPUT.f32 N,C,H,W OUTDIR [OUTPUT ...]\n');
    process.exit(2);
  }
  const [model, inFile, dimStr, outDir, ...want] = argv;
  const ort = loadOrt();
  const dims = dimStr.split(',').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(inFile);
  const runs = buf.length / (count * 4);
  if (batch ? (!Number.isInteger(runs) || runs < 1) : buf.length !== count * 4) {
    throw new Error(`${inFile}: ${buf.length} bytes, expected ` +
                    (batch ? `a multiple of ${count * 4}` : `${count * 4}`));
  }

  // EFFAD_ORT_OPT picks ORT's graph optimisation level (default 'all').
  // The int8 goldens use 'basic': at 'extended' ORT rewrites a QDQ graph
  // into its own integer kernels (bias quantised to int32, u8s8 products
  // that saturate in int16 on AVX2), which is ORT's approximation of the
  // graph, not the graph.
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: process.env.EFFAD_ORT_OPT || 'all',
  });
  const names = want.length ? want : session.outputNames;
  fs.mkdirSync(outDir, { recursive: true });
  const summary = { ort_version: (ort.env.versions && ort.env.versions.node) || 'unknown', outputs: [] };
  if (batch) summary.runs = runs;
  const files = names.map((_, i) => path.join(outDir, `out${i}.f32`));
  const fds = files.map((f) => fs.openSync(f, 'w'));
  for (let r = 0; r < runs; r++) {
    const data = new Float32Array(count);
    const base = r * count * 4;
    for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(base + i * 4);
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
    const res = await session.run(feeds, names);
    names.forEach((name, i) => {
      const t = res[name];
      if (t.type !== 'float32') throw new Error(`output ${name} has type ${t.type}`);
      const out = Buffer.alloc(t.data.length * 4);
      for (let j = 0; j < t.data.length; j++) out.writeFloatLE(t.data[j], j * 4);
      fs.writeSync(fds[i], out);
      if (r === 0) {
        const d = t.dims.map(Number);
        summary.outputs.push({ name, dims: batch ? [runs, ...d] : d, file: files[i] });
      }
    });
  }
  fds.forEach((fd) => fs.closeSync(fd));
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort-run.js: ${e.stack || e}\n`);
  process.exit(1);
});
