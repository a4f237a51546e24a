#!/usr/bin/env node
// ort-run.js -- run one ONNX model in ONNX Runtime (onnxruntime-node) and
// dump outputs as raw little-endian float32 files.  Used by gen.py only.
//
//   node ort-run.js MODEL INPUT.f32 N,C,H,W OUTDIR [OUTPUT_NAME ...]
//
// The input file holds N*C*H*W float32 LE values and is fed to the model's
// first (only) input.  Each requested output (default: all graph outputs)
// is written to OUTDIR/out<i>.f32 in request order.  A JSON summary
// {"ort_version", "outputs": [{"name", "dims", "file"}]} goes to stdout.
//
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
  const argv = process.argv.slice(2);
  if (argv.length < 4) {
    process.stderr.write('usage: ort-run.js MODEL INPUT.f32 N,C,H,W OUTDIR [OUTPUT ...]\n');
    process.exit(2);
  }
  const [model, inFile, dimStr, outDir, ...want] = argv;
  const ort = loadOrt();
  const dims = dimStr.split(',').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(inFile);
  if (buf.length !== count * 4) {
    throw new Error(`${inFile}: ${buf.length} bytes, expected ${count * 4}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(i * 4);

  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const names = want.length ? want : session.outputNames;
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
  const res = await session.run(feeds, names);
  fs.mkdirSync(outDir, { recursive: true });
  const summary = { ort_version: (ort.env.versions && ort.env.versions.node) || 'unknown', outputs: [] };
  names.forEach((name, i) => {
    const t = res[name];
    if (t.type !== 'float32') throw new Error(`output ${name} has type ${t.type}`);
    const out = Buffer.alloc(t.data.length * 4);
    for (let j = 0; j < t.data.length; j++) out.writeFloatLE(t.data[j], j * 4);
    const file = path.join(outDir, `out${i}.f32`);
    fs.writeFileSync(file, out);
    summary.outputs.push({ name, dims: t.dims.map(Number), file });
  });
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort-run.js: ${e.stack || e}\n`);
  process.exit(1);
});
