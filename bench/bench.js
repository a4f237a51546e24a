#!/usr/bin/env node
// bench.js -- `make bench`: effad against ONNX Runtime, side by side.
//
//   node bench/bench.js [--rounds N] [--runs R] [--warmup W] [--models b0,b4] [--threads 1,2] [--int8 1|0]
//                       [--a16 1|0] [--isas avx2,avx2-vnni|none]
//
// For every model (B0 at 224, B4 at 380: build/golden-full/*/model.onnx,
// converted to .efm here) and thread count, ROUNDS rounds each run one
// fresh `effad bench --json` process and one fresh ORT process
// (bench/ort-bench.js) with R timed inferences after W warm-ups, the two
// alternating (which goes first flips every round) so that the load of
// this shared machine falls on both alike. Then, per tool, COLD fresh
// processes with one inference each give the cold start: wall time from
// spawn to exit, measured here. Every result line goes to
// build/bench/results.jsonl; bench/report.js turns them into the table
// (stdout and build/bench/report.md). Nothing here is asserted: the numbers
// are read, not tested.
//
// XNNPACK (TensorFlow Lite's CPU backend), where `make xnn-bench` built
// its harness: the same float32 network in every round (tools xnn and, as
// on an AVX2-only CPU, xnn@avx2), and with --int8 the all-int8 model as
// XNNPACK's QS8 graph (xnn8, xnn8@avx2: what TFLite runs for a fully
// quantised network), checked against effad first; see xnnRun.
//
// int8 (--int8 1, the default): each model is also converted with
// `effad convert --int8 --emit-qdq` (calibrated on a synthetic set from
// `effad demo`, fixed choices: min/max x 1.5, every block int8 (none
// float32 or weight-only) -- the ranges do not change the speed -- and 6-bit weights,
// --weight-bits 6 (INT8_WEIGHT_BITS), the form to deploy where int8 runs on
// AVX2 without VNNI: its GEMM then multiplies byte pairs with vpmaddubsw,
// which 8-bit weights would saturate (ONNX Runtime's "reduce_range" is the
// same choice), and with 6 bits adds two k quads in int16 before widening
// them (B4 int8 on the AVX2 kernels 82 -> 74 ms with 7 bits, -> ~60 with 6,
// Zen 5; ops/x86/q8-gemm-6x16.h); convert rounds them by GPTQ, which keeps
// 6 bits at the fidelity of 8 rounded to nearest (tests/int8/fidelity.sh);
// the VNNI and NEON kernels run the same code for any width, and
// every round also runs effad on the
// int8 .efm and ORT on the QDQ graph it emitted (graph optimisation "all":
// ORT fuses what it can into its own integer kernels). The int8 table
// sets effad int8 against ORT float32 and against ORT on that QDQ graph.
//
// int8 as convert chooses (--defaults 1, the default, with --int8 1): the
// same models converted with convert's own measured choices (ranges,
// headroom, float32, 16x8 and weight-only blocks; INT8_WEIGHT_BITS as
// above), calibrated on the same synthetic set: the int8 model a user who
// keeps the defaults deploys, and the one tests/int8/fidelity.sh measures
// the fidelity of. Its float32 and weight-only blocks run at float32 speed
// (16x8 ones on the 16x8 kernels), so it sits between the all-int8 rows
// and float32. The conversion measures
// ~100 int8 variants of the network (B4 ~4 min on two threads), so the
// file is kept while it is newer than the ONNX model and effad itself.
//
// int8 --fast (--fast 1, the default, with --int8 1): the same with
// `effad convert --int8 --fast` -- every block int8 but those where 16x8
// (8-bit weights) cuts the measured error, no float32 or weight-only
// blocks, 6-bit weights elsewhere: the speed of the all-int8 rows with
// the measured choices that keep the ranking on tests/int8/fidelity.sh's
// demo and brushed-metal sets (models/int8.md).
//
// 16x8 (--a16 1, the default): the same with int16 activations
// (`--act-bits 16`, 8-bit weights, the ranges x64 as --act-bits 16
// defaults to; the form tests/int8/fidelity.sh finds keeps float32's
// anomaly ranking), effad on that .efm against ORT float32 and ORT on its
// QDQ graph (opset-21 int16 Q/DQ, which ORT runs as float Conv between
// them), and on the extra kernel paths as int8 is.
//
// Other kernel paths (--isas, a list; by default "avx2" and, where the CPU
// has AVX-VNNI, "avx2-vnni" when effad picks AVX-512 on this machine, none
// otherwise): every round also runs effad
// with EFFAD_ISA set to each, float32 and int8, in the same rotation, so
// one run reports the AVX-512 and the AVX2 kernels against the same ORT
// rounds (ORT uses whatever its own dispatch picks on this CPU). With
// EFFAD_ORT_AVX2_DIR and EFFAD_HIDE_AVX512_SO (make bench sets both on
// x86-64), ORT also runs as on an AVX2-only CPU, float32 and QDQ, in the
// same rotation, and the AVX2 rows are paired with those runs; the
// avx2-vnni rows with ORT as on an AVX2 + AVX-VNNI CPU (QDQ; its float32
// is the AVX2 one).
//
// Runs with fewer threads than CPUs are pinned, every tool of a round to
// the same CPU, rotating by round (bench/pin.js: the vCPUs of a shared VM
// differ in speed); each result line records its `cpus`.
'use strict';
const fs = require('fs');
const path = require('path');
const { pinFor, spawnPinned, cpuLabel } = require('./pin.js');
const MODELS = require('./models.js');
const { spawnSync } = require('child_process');

// 10 rounds of 10: the load on this shared machine comes in spells of
// seconds; short alternating rounds spread them over both tools (with 5 of
// 20 the B4 ratio swung by +-15% between runs). 100 timed passes per tool.
const opt = { rounds: 10, runs: 10, warmup: 3, cold: 3, models: 'b0,b4', threads: '1,2', int8: 1, a16: 1, defaults: 1,
  fast: 1, isas: 'auto' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt) || i + 1 >= process.argv.length) {
    process.stderr.write(`bench.js: unknown or incomplete option ${process.argv[i]}\n`);
    process.exit(2);
  }
  opt[k] = typeof opt[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

// The int8 models' weight width (see the top).
const INT8_WEIGHT_BITS = '6';
const B = process.env.B || 'build';
const effad = path.join(B, 'effad');
const outDir = path.join(B, 'bench');
const ortDir = process.env.EFFAD_ORT_DIR || path.join(B, 'ort');

// The CPUs the runs of the current round are pinned to (pin.js), or null.
let roundCpus = null;

function run(cmd, args, env) {
  const t = process.hrtime.bigint();
  const r = spawnPinned(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 }, roundCpus);
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) {
    process.stderr.write(`bench.js: ${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n`);
    process.exit(1);
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  j.wall_ms = wallMs;
  j.cpus = cpuLabel(roundCpus);
  return j;
}

function effadRun(efm, threads, runs, warmup, isa) {
  return run(effad, ['bench', efm, '--json', '--threads', String(threads), '--runs', String(runs),
    '--warmup', String(warmup)], isa ? { EFFAD_ISA: isa } : {});
}

// The kernel path effad picks here (`effad --version`: "kernels NAME").
function effadKernels() {
  const v = spawnSync(effad, ['--version'], { encoding: 'utf8', env: { ...process.env, EFFAD_ISA: '' } });
  return ((v.stdout || '').match(/kernels\s+(\S+)/) || [])[1] || 'unknown';
}
// Whether this CPU runs the kernel path isa (`EFFAD_ISA=isa effad --version`).
function effadRuns(isa) {
  const v = spawnSync(effad, ['--version'], { encoding: 'utf8', env: { ...process.env, EFFAD_ISA: isa } });
  return ((v.stdout || '').match(/kernels\s+(\S+)/) || [])[1] === isa;
}
// On an AVX-512 machine both kinds of AVX2-only CPU are stood in for:
// plain AVX2 (Haswell to Zen 3) and AVX2 + AVX-VNNI (Intel from Alder
// Lake on, the N100-class Atoms included), where the CPU has AVX-VNNI.
const extraIsas = opt.isas === 'auto'
  ? (effadKernels().startsWith('avx512') ? ['avx2', 'avx2-vnni'].filter(effadRuns) : [])
  : opt.isas === 'none' ? [] : opt.isas.split(',');
// A -vnni table differs from its base only in integer kernels: its float32
// runs would repeat the base's.
const intOnly = (isa) => isa.endsWith('-vnni');
function ortRun(m, onnx, threads, runs, warmup, env) {
  return run('node', [path.join(__dirname, 'ort-bench.js'), onnx, String(m.h), String(m.w), '--threads',
    String(threads), '--runs', String(runs), '--warmup', String(warmup)], env || { EFFAD_ORT_DIR: ortDir });
}
// ORT as on an AVX2-only CPU (make ort-avx2: its CPUID answered by
// hide-avx512.so), for the effad@avx2 rows to be set against ORT's own AVX2
// path rather than its AVX-512 one. Only when effad runs AVX2 as an extra
// path here, i.e. on an AVX-512 machine.
const ortAvx2 = process.env.EFFAD_ORT_AVX2_DIR && process.env.EFFAD_HIDE_AVX512_SO &&
  fs.existsSync(process.env.EFFAD_HIDE_AVX512_SO) && extraIsas.includes('avx2')
  ? { EFFAD_ORT_DIR: process.env.EFFAD_ORT_AVX2_DIR, LD_PRELOAD: process.env.EFFAD_HIDE_AVX512_SO,
      EFFAD_HIDE_KEEP_AVXVNNI: '0' } : null;
// The same copy with AVX-VNNI left visible (EFFAD_HIDE_KEEP_AVXVNNI), for
// the avx2-vnni rows: ORT's int8 kernels then take their AVX-VNNI forms.
// Its float32 kernels have none, so the avx2-vnni rows' float32 ORT is
// ort@avx2's, run in the same rounds.
const ortAvx2Vnni = ortAvx2 && extraIsas.includes('avx2-vnni') ? { ...ortAvx2, EFFAD_HIDE_KEEP_AVXVNNI: '1' } : null;
// XNNPACK, TensorFlow Lite's CPU backend (Debian's libXNNPACK), on the
// same network: bench/xnn-bench.c builds it from the .efm as an XNNPACK
// subgraph, node for node (float32, or QS8 from an int8 .efm), and times
// it as `effad bench` times effad. Only when `make xnn-bench` built the
// harness (EFFAD_XNN_BENCH, which make bench sets when it exists); on an
// AVX-512 machine also as on an AVX2-only CPU (EFFAD_XNN_AVX2_DIR: its
// libraries with CPUID answered by hide-avx512.so, as ORT's are), paired
// with effad@avx2.
const xnnBench = process.env.EFFAD_XNN_BENCH && fs.existsSync(process.env.EFFAD_XNN_BENCH)
  ? process.env.EFFAD_XNN_BENCH : null;
const xnnAvx2 = xnnBench && ortAvx2 && process.env.EFFAD_XNN_AVX2_DIR && fs.existsSync(process.env.EFFAD_XNN_AVX2_DIR)
  ? { LD_LIBRARY_PATH: path.resolve(process.env.EFFAD_XNN_AVX2_DIR), LD_PRELOAD: process.env.EFFAD_HIDE_AVX512_SO,
      EFFAD_HIDE_KEEP_AVXVNNI: '0' } : null;
function xnnRun(efm, threads, runs, warmup, env) {
  return run(xnnBench, [efm, '--threads', String(threads), '--runs', String(runs), '--warmup', String(warmup)], env);
}
// Before any timing: the XNNPACK graph must compute what effad does
// (float32: every tap within 1e-4 of effad's; QS8, which rounds otherwise:
// the last tap's cosine with effad int8's at least 0.9; xnn-bench --check
// exits 1 otherwise).
function xnnCheck(efm, env) {
  const c = spawnSync(xnnBench, [efm, '--check'], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (c.status !== 0) {
    process.stderr.write(`bench.js: xnn-bench --check ${efm} failed:\n${c.stdout}${c.stderr}\n`);
    process.exit(1);
  }
}

// The four runners of a round: effad and ORT on float32, effad int8, ORT on
// the QDQ graph.
function tools(m) {
  const t = {
    effad: (th, r, w) => effadRun(m.efm, th, r, w),
    ort: (th, r, w) => ortRun(m, m.onnx, th, r, w),
  };
  if (opt.int8) {
    t.effad8 = (th, r, w) => effadRun(m.efm8, th, r, w);
    t.ort8 = (th, r, w) => ortRun(m, m.qdq, th, r, w);
  }
  if (m.efm8d) t.effad8d = (th, r, w) => effadRun(m.efm8d, th, r, w);
  if (m.efm8f) t.effad8f = (th, r, w) => effadRun(m.efm8f, th, r, w);
  if (opt.a16) {
    t.effad16 = (th, r, w) => effadRun(m.efm16, th, r, w);
    t.ort16 = (th, r, w) => ortRun(m, m.qdq16, th, r, w);
  }
  for (const isa of extraIsas) {
    if (!intOnly(isa)) t[`effad@${isa}`] = (th, r, w) => effadRun(m.efm, th, r, w, isa);
    if (opt.int8) t[`effad8@${isa}`] = (th, r, w) => effadRun(m.efm8, th, r, w, isa);
    if (m.efm8d) t[`effad8d@${isa}`] = (th, r, w) => effadRun(m.efm8d, th, r, w, isa);
    if (m.efm8f) t[`effad8f@${isa}`] = (th, r, w) => effadRun(m.efm8f, th, r, w, isa);
    if (opt.a16) t[`effad16@${isa}`] = (th, r, w) => effadRun(m.efm16, th, r, w, isa);
  }
  if (ortAvx2) {
    t['ort@avx2'] = (th, r, w) => ortRun(m, m.onnx, th, r, w, ortAvx2);
    if (opt.int8) t['ort8@avx2'] = (th, r, w) => ortRun(m, m.qdq, th, r, w, ortAvx2);
  }
  if (ortAvx2Vnni && opt.int8) t['ort8@avx2-vnni'] = (th, r, w) => ortRun(m, m.qdq, th, r, w, ortAvx2Vnni);
  if (xnnBench) t.xnn = (th, r, w) => xnnRun(m.efm, th, r, w, {});
  if (xnnAvx2) t['xnn@avx2'] = (th, r, w) => xnnRun(m.efm, th, r, w, xnnAvx2);
  if (xnnBench && opt.int8) t.xnn8 = (th, r, w) => xnnRun(m.efm8, th, r, w, {});
  if (xnnAvx2 && opt.int8) t['xnn8@avx2'] = (th, r, w) => xnnRun(m.efm8, th, r, w, xnnAvx2);
  return t;
}

// A synthetic set to calibrate the int8 models on, once.
function calibSet() {
  const dir = path.join(outDir, 'calib');
  const good = path.join(dir, 'data', 'train', 'good');
  if (!fs.existsSync(good)) {
    const c = spawnSync(effad, ['demo', '--out', dir], { encoding: 'utf8' });
    if (c.status !== 0) { process.stderr.write(`bench.js: effad demo: ${c.stderr}\n`); process.exit(1); }
  }
  return good;
}

// The int8 .efm of convert's default choices (see the top), converted
// again only when the ONNX model or effad is newer; its report's
// "blocks" line is recorded beside the timings.
// kind 'defaults': convert's own choices; 'fast': `--fast` (no float32
// or weight-only blocks, 16x8 where measured to help: models/int8.md,
// "--fast"), with 6-bit weights either way.
function convertChosen(m, key, kind) {
  const efm = path.join(outDir, `${key}-int8-${kind}.efm`), log = `${efm}.txt`;
  const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0);
  if (mtime(efm) <= Math.max(mtime(m.onnx), mtime(effad)) || !fs.existsSync(log)) {
    process.stderr.write(`bench.js: ${key}: int8 with convert's ${kind} choices (measured: minutes)\n`);
    const c = spawnSync(effad, ['convert', m.onnx, '-o', efm, '--int8', '--calib', calibSet(), '--calib-n', '8',
      ...(kind === 'fast' ? ['--fast'] : ['--weight-bits', INT8_WEIGHT_BITS]),
      '--threads', String(require('os').cpus().length), '--quiet'],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (c.status !== 0) { process.stderr.write(`bench.js: convert --int8 (${kind}) ${m.onnx}: ${c.stderr}\n`); process.exit(1); }
    fs.writeFileSync(log, c.stdout);
  }
  const blocks = (fs.readFileSync(log, 'utf8').match(/^\s*blocks\s+(.*)$/m) || [])[1] || '?';
  record({ tool: `int8-${kind}`, key, label: m.name, blocks }, {});
  return efm;
}

fs.mkdirSync(outDir, { recursive: true });
const resultsPath = path.join(outDir, 'results.jsonl');
const out = fs.openSync(resultsPath, 'w');
function record(j, extra) {
  Object.assign(j, extra);
  fs.writeSync(out, JSON.stringify(j) + '\n');
  return j;
}

// What the node runtime alone costs in memory: ORT's RSS includes it.
const nodeBase = spawnSync('node', ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'],
  { encoding: 'utf8' });
record({ tool: 'node-baseline', peak_rss_kb: Number(nodeBase.stdout) }, {});

const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || 'unknown';
const flags = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/flags\s*:\s*(.*)/) || [])[1] || '';
const isaFlags = ['avx2', 'fma', 'avx512f', 'avx512_vnni'].filter((f) => flags.split(' ').includes(f));
record({ tool: 'machine', cpu, cpus: require('os').cpus().length, node: process.version, kernels: effadKernels(),
  isa_flags: isaFlags, extra_isas: extraIsas, ort_avx2: Boolean(ortAvx2), xnnpack: Boolean(xnnBench),
  xnnpack_avx2: Boolean(xnnAvx2), int8_weight_bits: Number(INT8_WEIGHT_BITS),
  loadavg: require('os').loadavg(), date: new Date().toISOString() }, {});

for (const key of opt.models.split(',')) {
  const m = MODELS[key];
  if (!m) { process.stderr.write(`bench.js: unknown model ${key}\n`); process.exit(2); }
  m.onnx = path.join(m.dir, 'model.onnx');
  m.efm = path.join(outDir, `${key}.efm`);
  const c = spawnSync(effad, ['convert', m.onnx, '-o', m.efm], { encoding: 'utf8' });
  if (c.status !== 0) { process.stderr.write(`bench.js: convert ${m.onnx}: ${c.stderr}\n`); process.exit(1); }
  if (opt.int8) {
    m.efm8 = path.join(outDir, `${key}-int8.efm`);
    m.qdq = path.join(outDir, `${key}-int8-qdq.onnx`);
    const c8 = spawnSync(effad, ['convert', m.onnx, '-o', m.efm8, '--int8', '--calib', calibSet(), '--calib-n', '8',
      '--measure', '2', '--calib-method', 'minmax', '--headroom', '1.5', '--float-budget', '0', '--weight-only-budget', '0', '--act16-budget', '0',
      '--weight-bits', INT8_WEIGHT_BITS, '--emit-qdq', m.qdq, '--quiet'], { encoding: 'utf8' });
    if (c8.status !== 0) { process.stderr.write(`bench.js: convert --int8 ${m.onnx}: ${c8.stderr}\n`); process.exit(1); }
    if (opt.defaults) m.efm8d = convertChosen(m, key, 'defaults');
    if (opt.fast) m.efm8f = convertChosen(m, key, 'fast');
  }
  if (opt.a16) {
    m.efm16 = path.join(outDir, `${key}-a16.efm`);
    m.qdq16 = path.join(outDir, `${key}-a16-qdq.onnx`);
    const c16 = spawnSync(effad, ['convert', m.onnx, '-o', m.efm16, '--int8', '--act-bits', '16', '--calib', calibSet(),
      '--calib-n', '8', '--measure', '2', '--calib-method', 'minmax', '--headroom', '64', '--float-budget', '0',
      '--weight-only-budget', '0', '--emit-qdq', m.qdq16, '--quiet'], { encoding: 'utf8' });
    if (c16.status !== 0) { process.stderr.write(`bench.js: convert --act-bits 16 ${m.onnx}: ${c16.stderr}\n`); process.exit(1); }
  }
  for (const efm of xnnBench ? [m.efm, ...(opt.int8 ? [m.efm8] : [])] : []) {
    xnnCheck(efm, {});
    if (xnnAvx2) xnnCheck(efm, xnnAvx2);
  }
  const runners = tools(m);
  const names = Object.keys(runners);
  for (const threads of opt.threads.split(',').map(Number)) {
    const tag = { key, label: m.name, threads };
    for (let r = 0; r < opt.rounds; r++) {
      // every tool first once in a while: the order rotates each round
      const order = names.map((_, i) => names[(i + r) % names.length]);
      roundCpus = pinFor(threads, r);
      for (const tool of order) {
        const j = runners[tool](threads, opt.runs, opt.warmup);
        j.tool = tool;
        record(j, { ...tag, kind: 'timed', round: r });
        process.stderr.write(`  ${key} ${threads}t round ${r + 1}/${opt.rounds} ${tool.padEnd(11)} ` +
          `median ${j.median_ms.toFixed(2)} ms, min ${j.min_ms.toFixed(2)} ms, cpus ${j.cpus}\n`);
      }
    }
    for (let r = 0; r < opt.cold; r++) {
      roundCpus = pinFor(threads, r);
      for (const tool of r % 2 ? ['ort', 'effad'] : ['effad', 'ort'])
        record(runners[tool](threads, 1, 0), { ...tag, kind: 'cold', round: r });
    }
    roundCpus = null;
  }
}
fs.closeSync(out);
require('./report.js').report(resultsPath, path.join(outDir, 'report.md'), opt);
