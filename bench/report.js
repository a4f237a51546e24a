#!/usr/bin/env node
// report.js -- the `make bench` table from build/bench/results.jsonl.
//
//   node bench/report.js [results.jsonl [report.md]]
//
// Per model and thread count: the median over ALL timed inferences of all
// rounds (and the minimum, the least disturbed pass), peak RSS (the
// largest of the tool's processes), cold start (median over the one-shot
// processes: in-process from the program's start to the first inference
// done, and wall time of the fresh process from spawn to exit).
// "paired": the median over rounds of effad's round median / ORT's round
// median in the same round -- the two ran back to back, so a spell of load
// on this shared machine divides out; the pooled medians can land a spell
// on more rounds of one tool than of the other (seen: pooled 1.19, paired
// 0.95, while every quiet round measured 0.88-0.92).
'use strict';
const fs = require('fs');

function median(a) {
  const s = [...a].sort((x, y) => x - y), n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
}
const mib = (kb) => (kb / 1024).toFixed(1);
const ms = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

// A tool's timed runs, their pooled median, and the paired ratio of tool a
// to tool b: the median over rounds of a's round median / b's round median.
const timed = (l) => l.filter((r) => r.kind === 'timed');
const med = (l) => median(timed(l).flatMap((r) => r.times_ms));
function paired(a, b) {
  const rounds = [...new Set(timed(a).map((x) => x.round))];
  const rm = (l, r) => median(timed(l).filter((x) => x.round === r).flatMap((x) => x.times_ms));
  return median(rounds.map((r) => rm(a, r) / rm(b, r)).filter((x) => x > 0));
}

// The CPUs the pinned runs used ("0, 1"), or '' when none was pinned.
function pinnedCpus(rows) {
  const set = new Set(rows.filter((r) => r.kind === 'timed' && r.cpus && r.cpus !== 'any').map((r) => r.cpus));
  return [...set].sort().join(', ');
}

// A markdown table: the header line, the rule, one line per row (first
// column left-aligned, the rest right-aligned).
function grid(head, lines) {
  const width = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => '| ' + cells.map((c, i) => (i < 1 ? c.padEnd(width[i]) : c.padStart(width[i]))).join(' | ') + ' |';
  const sep = '|' + width.map((w, i) => (i < 1 ? ':' : '-') + '-'.repeat(w) + (i < 1 ? '-' : ':')).join('|') + '|';
  return [fmt(head), sep, ...lines.map(fmt)];
}

function report(resultsPath, mdPath, opt) {
  const rows = fs.readFileSync(resultsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const machine = rows.find((r) => r.tool === 'machine') || {};
  const base = rows.find((r) => r.tool === 'node-baseline') || {};
  const groups = new Map();
  for (const r of rows) {
    if (!r.kind) continue;
    const k = `${r.key}|${r.threads}`;
    if (!groups.has(k)) groups.set(k, { label: r.label, threads: r.threads, effad: [], ort: [], effad8: [], ort8: [] });
    const g = groups.get(k);
    (g[r.tool] = g[r.tool] || []).push(r);
  }
  const head = ['model', 'threads', 'effad ms', 'ORT ms', 'effad/ORT', 'paired', 'effad min', 'ORT min',
    'effad RSS MiB', 'ORT RSS MiB', 'effad cold ms', 'ORT cold ms', 'effad cold wall', 'ORT cold wall'];
  const lines = [];
  for (const g of groups.values()) {
    const stat = (list) => {
      const cold = list.filter((r) => r.kind === 'cold');
      const all = timed(list).flatMap((r) => r.times_ms);
      return {
        med: median(all), min: Math.min(...all), n: all.length,
        rss: Math.max(...list.map((r) => r.peak_rss_kb)),
        cold: median(cold.map((r) => r.first_ms)), wall: median(cold.map((r) => r.wall_ms)),
      };
    };
    const e = stat(g.effad), o = stat(g.ort);
    lines.push([g.label, g.threads, ms(e.med), ms(o.med), (e.med / o.med).toFixed(2), paired(g.effad, g.ort).toFixed(2),
      ms(e.min), ms(o.min),
      mib(e.rss), mib(o.rss), ms(e.cold), ms(o.cold), ms(e.wall), ms(o.wall)].map(String));
    g.n = e.n;
  }
  const table = grid(head, lines).join('\n');
  const n = [...groups.values()][0] ? [...groups.values()][0].n : 0;
  const pins = pinnedCpus(rows);
  const notes = [
    `Machine: ${machine.cpu} (${machine.cpus} CPUs; ${(machine.isa_flags || []).join(', ') || 'flags not recorded'}), ` +
      `effad kernels ${machine.kernels || '?'}, node ${machine.node}, load average at start ` +
      `${(machine.loadavg || []).map((x) => x.toFixed(2)).join(' ')}; ${machine.date}.`,
    `Timed: ${opt ? `${opt.rounds} rounds x ${opt.runs} inferences after ${opt.warmup} warm-ups` : `${n} inferences`} ` +
      'per tool, fresh process per round, effad and ORT alternating; ms = median (min) over all timed inferences; ' +
      'paired = median over rounds of the ratio of the two round medians (robust to spells of load).' +
      (pins ? ` Runs with fewer threads than CPUs: every tool of a round pinned to the same CPU, ` +
        `rotating by round over CPUs ${pins} (bench/pin.js: a shared VM's vCPUs differ in speed).` : ''),
    'effad/ORT < 1: effad is faster. ORT: onnxruntime-node, intraOpNumThreads = threads, interOpNumThreads = 1, ' +
      'sequential, graph optimisation "all"; it also runs the classifier (pool + Gemm) after the head, effad the taps.',
    `RSS: peak resident set of the process (getrusage / process.resourceUsage). ORT's includes the node runtime, ` +
      `which alone peaks at ${mib(base.peak_rss_kb || 0)} MiB.`,
    'Cold: in-process, program start (main() / first line of the script) -> model loaded -> first inference done; ' +
      'wall: spawn -> exit of a fresh process doing one inference (includes node start-up for ORT). Model file in page cache.',
  ];
  const defaults = rows.filter((r) => r.tool === 'int8-defaults' || r.tool === 'int8-fast');
  const text = `${table}\n\n${notes.map((l) => `- ${l}`).join('\n')}\n${int8Table(groups, machine)}` +
    `${defaultsTable(groups, machine, defaults)}${a16Table(groups, machine)}` +
    `${isaTable(groups, machine)}${xnnTable(groups)}`;
  process.stdout.write(text);
  if (mdPath) fs.writeFileSync(mdPath, `# effad vs ONNX Runtime\n\n${text}`);
}

// int8: effad on its int8 .efm against ORT float32 (the same rounds) and
// ORT on the QDQ graph effad emitted for that .efm.
// The int8 models' weight width as bench.js recorded it.
function wbits(machine) {
  const b = machine.int8_weight_bits;
  return b ? `${b}-bit weights: --weight-bits ${b}` : 'weight width not recorded';
}

function int8Table(groups, machine) {
  const list = [...groups.values()].filter((g) => g.effad8.length && g.ort8.length);
  if (!list.length) return '';
  const head = ['model', 'threads', 'effad int8 ms', 'ORT fp32 ms', 'ORT int8 ms', 'int8/ORT fp32', 'paired',
    'int8/ORT int8', 'paired', 'effad fp32 ms'];
  const lines = list.map((g) => {
    const e8 = med(g.effad8), o = med(g.ort), o8 = med(g.ort8), e = med(g.effad);
    return [g.label, g.threads, ms(e8), ms(o), ms(o8), (e8 / o).toFixed(2), paired(g.effad8, g.ort).toFixed(2),
      (e8 / o8).toFixed(2), paired(g.effad8, g.ort8).toFixed(2), ms(e)].map(String);
  });
  return ['', '## int8', '', ...grid(head, lines), '',
    '- effad int8: the .efm of `effad convert --int8` (every block int8, min/max x 1.5 ranges, ' +
      `${wbits(machine)}) on the kernels this ` +
      'machine runs; ORT int8: onnxruntime-node on the QDQ graph `--emit-qdq` wrote for that .efm (graph ' +
      'optimisation "all": ORT rewrites into its integer kernels what its QDQ patterns cover; float Conv with ' +
      'Q/DQ around it elsewhere). Same rounds, rotating order, as the table above; < 1: effad is faster.',
    ''].join('\n');
}

// The runs of one tool on kernel path isa ('': effad's own choice), and
// the ORT float32 runs to pair them with: ORT as that ISA where the run
// has it (its float32 has no VNNI form: bench.js), else ORT's own choice.
function runsOn(g, tool, isa) {
  return (isa ? g[`${tool}@${isa}`] : g[tool]) || [];
}
function ortFp32On(g, isa) {
  const base = isa.replace(/-vnni$/, '');
  return isa && (g[`ort@${base}`] || []).length ? g[`ort@${base}`] : g.ort;
}

// int8 as convert chooses by default (bench.js --defaults): on effad's own
// kernels and each extra path, paired with ORT float32 on the same ISA
// where the run has it, beside the all-int8 model and float32.
function defaultsTable(groups, machine, defaults) {
  const list = [...groups.values()].filter((g) => (g.effad8d || []).length || (g.effad8f || []).length);
  if (!list.length) return '';
  const head = ['model', 'threads', 'kernels', 'defaults ms', 'ORT fp32 ms', 'defaults/ORT fp32 paired',
    '--fast ms', '--fast/ORT fp32 paired', 'all-int8 ms', 'effad fp32 ms'];
  const lines = [];
  for (const g of list)
    for (const isa of ['', ...(machine.extra_isas || [])]) {
      const d = runsOn(g, 'effad8d', isa), f = runsOn(g, 'effad8f', isa);
      if (!d.length && !f.length) continue;
      const o = ortFp32On(g, isa), e8 = runsOn(g, 'effad8', isa), e = runsOn(g, 'effad', isa.replace(/-vnni$/, ''));
      const cell = (x) => (x.length ? ms(med(x)) : '-'), ratio = (x) => (x.length ? paired(x, o).toFixed(2) : '-');
      lines.push([g.label, g.threads, isa || machine.kernels || '?', cell(d), ms(med(o)), ratio(d), cell(f), ratio(f),
        cell(e8), cell(e)].map(String));
    }
  const chose = defaults.map((r) => `${r.label}${r.tool === 'int8-fast' ? ' --fast' : ''}: ${r.blocks}`).join('; ');
  return ['', '## int8 as convert chooses (its defaults, and --fast)', '', ...grid(head, lines), '',
    `- defaults: the .efm of \`effad convert --int8 --calib DIR --weight-bits ${machine.int8_weight_bits || '?'}\` with` +
      ' every other choice convert\'s own ' +
      '(ranges, headroom, float32, 16x8 and weight-only blocks, by measured error on the synthetic calibration set): ' +
      'the int8 model a user keeping the defaults deploys, and the form tests/int8/fidelity.sh measures the fidelity ' +
      'of. Its float32 and weight-only blocks run at float32 speed, its 16x8 blocks on the 16x8 kernels. ' +
      '--fast: the same with `--fast` (no float32 or weight-only blocks; 16x8 with 8-bit weights where it cuts the ' +
      'measured error; 6-bit weights elsewhere). ' +
      `Chosen: ${chose || '?'}. Same rounds, rotating order; ` +
      'paired with ORT float32 on the same ISA where the run has it (as in the tables below).',
    ''].join('\n');
}

// 16x8: effad with int16 activations against ORT float32 and ORT on the
// int16 QDQ graph, on effad's own kernels and on each extra path (paired
// with ORT-as-that-ISA's float32 where the run has it).
function a16Table(groups, machine) {
  const list = [...groups.values()].filter((g) => (g.effad16 || []).length && (g.ort16 || []).length);
  if (!list.length) return '';
  const head = ['model', 'threads', 'kernels', 'effad 16x8 ms', 'ORT fp32 ms', 'ORT 16x8 ms', '16x8/ORT fp32 paired',
    '16x8/ORT 16x8 paired', 'effad int8 ms', 'effad fp32 ms'];
  const lines = [];
  for (const g of list)
    for (const isa of ['', ...(machine.extra_isas || [])]) {
      const e16 = runsOn(g, 'effad16', isa);
      if (!e16.length) continue;
      const o = ortFp32On(g, isa), e8 = runsOn(g, 'effad8', isa), e = runsOn(g, 'effad', isa);
      lines.push([g.label, g.threads, isa || machine.kernels || '?', ms(med(e16)), ms(med(o)), ms(med(g.ort16)),
        paired(e16, o).toFixed(2), paired(e16, g.ort16).toFixed(2), e8.length ? ms(med(e8)) : '-',
        e.length ? ms(med(e)) : '-'].map(String));
    }
  return ['', '## 16x8 (int16 activations, int8 weights)', '', ...grid(head, lines), '',
    '- effad 16x8: the .efm of `effad convert --int8 --act-bits 16` (every block, min/max x 64 ranges, 8-bit ' +
      'weights); ORT 16x8: onnxruntime-node on the QDQ graph `--emit-qdq` wrote for it (opset-21 int16 ' +
      'QuantizeLinear/DequantizeLinear: float Conv between them). Rows with another kernel path are paired with ' +
      'ORT-as-that-ISA float32 where the run has it (see below). Same rounds, rotating order; < 1: effad is faster.',
    ''].join('\n');
}

// Other kernel paths (bench.js --isas): effad with EFFAD_ISA=X, float32
// and int8, in the same rounds as the tables above. Paired with ORT on the
// same ISA where the run has it (ort@avx2: ORT with AVX-512 hidden, see
// bench/hide-avx512.c), else with ORT's own choice on this CPU.
function isaTable(groups, machine) {
  const isas = machine.extra_isas || [];
  const list = [...groups.values()];
  if (!isas.length || !list.length) return '';
  const head = ['model', 'threads', 'kernels', 'ORT as', 'fp32 ms', 'ORT fp32 ms', 'fp32/ORT paired', 'int8 ms',
    'ORT int8 ms', 'int8/ORT fp32 paired', 'int8/ORT int8 paired'];
  const lines = [];
  for (const g of list)
    for (const isa of isas) {
      const f = g[`effad@${isa}`] || [], q = g[`effad8@${isa}`] || [];
      if (!f.length && !q.length) continue;
      // avx2-vnni: ORT's int8 as on that CPU, its float32 the AVX2 one (bench.js)
      const base = isa.replace(/-vnni$/, '');
      const same = (g[`ort@${base}`] || []).length > 0;
      const o = same ? g[`ort@${base}`] : g.ort, o8 = same ? g[`ort8@${isa}`] || [] : g.ort8;
      const have8 = q.length && o8.length;
      lines.push([g.label, g.threads, isa, same ? isa : 'native', f.length ? ms(med(f)) : '-', ms(med(o)),
        f.length ? paired(f, o).toFixed(2) : '-',
        have8 ? ms(med(q)) : '-', have8 ? ms(med(o8)) : '-', have8 ? paired(q, o).toFixed(2) : '-',
        have8 ? paired(q, o8).toFixed(2) : '-'].map(String));
    }
  if (!lines.length) return '';
  const notes = [
    `the tables above run effad's own choice on this CPU (${machine.kernels || '?'}); these rows force another ` +
      'path (EFFAD_ISA) in the same rounds.',
    '"ORT as native": paired with the ORT runs above (ORT\'s own choice on this CPU). "ORT as avx2": paired with ' +
      'ORT run in the same rounds from a copy whose CPUID and XGETBV are answered as on an AVX2-only CPU (no ' +
      'AVX-512, AVX-VNNI or AMX: bench/hide-avx512.c, `make ort-avx2`), so both sides run AVX2 code on these ' +
      'cores: the stand-in for an AVX2-only machine (same instructions, not the same microarchitecture).',
    '"ORT as avx2-vnni": the same copy with AVX-VNNI left visible (EFFAD_HIDE_KEEP_AVXVNNI=1): an AVX2-only CPU of ' +
      'Intel\'s from Alder Lake on (N100-class Atoms, Xeon 6 E-cores); its int8 column is ORT\'s QDQ run there, its ' +
      'float32 the "avx2" one (ORT\'s float kernels do not use VNNI). effad\'s avx2-vnni table differs from avx2 only ' +
      'in its integer kernels (VEX VPDPBUSD / VPDPWSSD), so its float32 is not run again.',
  ];
  return ['', `## effad on other kernel paths (EFFAD_ISA), same rounds`, '', ...grid(head, lines), '',
    ...notes.map((l) => `- ${l}`), ''].join('\n');
}

// effad against XNNPACK (bench/xnn-bench.c, bench.js xnnRun): float32 on
// both sides' own kernels, and int8 (effad's all-int8 model against
// XNNPACK's QS8 graph of it), natively and, where the run had them, as on
// an AVX2-only CPU.
function xnnTable(groups) {
  const list = [...groups.values()].filter((g) => (g.xnn || []).length);
  if (!list.length) return '';
  const head = ['model', 'threads', 'kernels', 'effad fp32 ms', 'XNNPACK fp32 ms', 'paired', 'XNNPACK/ORT fp32',
    'effad int8 ms', 'XNNPACK QS8 ms', 'paired'];
  const lines = [];
  for (const g of list)
    for (const isa of ['', 'avx2']) {
      const e = runsOn(g, 'effad', isa), x = runsOn(g, 'xnn', isa), o = ortFp32On(g, isa);
      if (!e.length || !x.length) continue;
      const e8 = runsOn(g, 'effad8', isa), x8 = runsOn(g, 'xnn8', isa), has8 = e8.length && x8.length;
      lines.push([g.label, g.threads, isa || 'native', ms(med(e)), ms(med(x)), paired(e, x).toFixed(2),
        paired(x, o).toFixed(2), has8 ? ms(med(e8)) : '-', has8 ? ms(med(x8)) : '-',
        has8 ? paired(e8, x8).toFixed(2) : '-'].map(String));
    }
  return ['', '## effad against XNNPACK', '', ...grid(head, lines), '',
    '- XNNPACK: Debian\'s libXNNPACK (TensorFlow Lite\'s CPU backend) running the .efm\'s network as an XNNPACK ' +
      'subgraph built node for node by bench/xnn-bench.c, pthreadpool with `threads` threads: float32 (swish as ' +
      'Sigmoid + Multiply, as the TFLite delegate runs it; every tap within 1e-4 of effad\'s, checked before the ' +
      'rounds) and, from the all-int8 .efm of the int8 table, the QS8 graph TFLite runs for a fully quantised ' +
      'network (per-channel int8 weights, int8 activations, the stem and every swish and gate in int8; its last ' +
      'tap\'s cosine with effad int8\'s checked at least 0.9). "native": both on the kernels they pick on this CPU; ' +
      '"avx2": effad\'s AVX2 table against XNNPACK whose cpuinfo sees an AVX2-only CPU (its libraries\' CPUID ' +
      'answered by hide-avx512.so). paired: effad / XNNPACK; XNNPACK/ORT fp32: against ORT float32 on the same ' +
      'ISA, same rounds. < 1: the first is faster.',
    ''].join('\n');
}

module.exports = { report };
if (require.main === module) {
  const p = process.argv[2] || 'build/bench/results.jsonl';
  report(p, process.argv[3] || p.replace(/results\.jsonl$/, 'report.md'));
}
