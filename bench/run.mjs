// The in-browser benchmark: Boundary Lab (WebGPU and wasm CPU) against TensorFlow.js (webgpu,
// webgl, wasm, cpu) in the same headless Chromium, on the same data and the same MLP.
//   node bench/run.mjs <site-dir>      (bench/run.sh builds the release site first)
// Prints one table; medians of REPS repetitions; names the adapter it ran on.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const site = path.resolve(process.argv[2] ?? 'target/site-release');
const benchDir = path.dirname(new URL(import.meta.url).pathname);
const REPS = Number(process.env.REPS ?? 5);
const N = 1000, GRID = 256, LR = 0.03;
// Steps per timed repetition: GPU steps on SwiftShader are slow, CPU steps fast.
const STEPS = { webgpu: Number(process.env.GPU_STEPS ?? 20), webgl: Number(process.env.GPU_STEPS ?? 20), cpu: 100, wasm: 100 };
const MLP = 'layers=32,32&act=relu&opt=adam&lr=0.03&batch=1000';

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const [root, rel] = url.pathname.startsWith('/bench/') ? [benchDir, url.pathname.slice(7)] : [site, url.pathname];
  let file = path.join(root, decodeURIComponent(rel));
  if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  fs.readFile(file, (err, body) => err ? res.writeHead(404).end() : res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--no-sandbox', '--disable-gpu-sandbox', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const log = (...a) => console.error('[bench]', ...a);

// Counts the GPU work a page issues, by wrapping the WebGPU and WebGL2 entry points before any
// page script runs: compute dispatches, queue submissions, buffer mappings (read-backs), compute
// pipelines created (compiled kernels) and WebGL draw calls (tfjs-webgl's kernel launches). Both
// Boundary Lab and the tfjs page call `__benchMark(phase)` around each timed block, so the counts
// between `train` and `train-end` belong to the last timed training repetition alone.
const installCounters = () => {
  const c = { dispatch: 0, submit: 0, map: 0, pipeline: 0, draw: 0 };
  const wrap = (proto, name, key) => {
    const f = proto?.[name];
    if (typeof f !== 'function') return;
    proto[name] = function (...args) { c[key]++; return f.apply(this, args); };
  };
  wrap(globalThis.GPUComputePassEncoder?.prototype, 'dispatchWorkgroups', 'dispatch');
  wrap(globalThis.GPUComputePassEncoder?.prototype, 'dispatchWorkgroupsIndirect', 'dispatch');
  wrap(globalThis.GPUQueue?.prototype, 'submit', 'submit');
  wrap(globalThis.GPUBuffer?.prototype, 'mapAsync', 'map');
  wrap(globalThis.GPUDevice?.prototype, 'createComputePipeline', 'pipeline');
  wrap(globalThis.GPUDevice?.prototype, 'createComputePipelineAsync', 'pipeline');
  for (const gl of [globalThis.WebGL2RenderingContext?.prototype, globalThis.WebGLRenderingContext?.prototype]) {
    wrap(gl, 'drawArrays', 'draw');
    wrap(gl, 'drawElements', 'draw');
    wrap(gl, 'linkProgram', 'pipeline');
  }
  window.__gpuCounts = c;
  window.__benchMarks = {};
  window.__benchMark = (phase) => { window.__benchMarks[phase] = { ...c }; };
};
// Per-step and per-inference counts from the marks of the last repetition.
async function readCounts(page, steps) {
  const m = await page.evaluate(() => ({ marks: window.__benchMarks, total: window.__gpuCounts }));
  const d = (a, b, k) => (m.marks?.[b]?.[k] ?? NaN) - (m.marks?.[a]?.[k] ?? NaN);
  const launches = (a, b) => d(a, b, 'dispatch') + d(a, b, 'draw');
  return {
    dispatch_per_step: launches('train', 'train-end') / steps,
    submit_per_step: d('train', 'train-end', 'submit') / steps,
    map_per_step: d('train', 'train-end', 'map') / steps,
    dispatch_grid: launches('grid', 'grid-end'),
    pipelines: m.total?.pipeline,
  };
}
const results = {};

// Cold start: navigation to the first painted boundary, per backend, fresh page each time.
for (const backend of ['webgpu', 'cpu']) {
  const times = [];
  for (let r = 0; r < Math.min(REPS, 3); r++) {
    const page = await browser.newPage();
    await page.goto(`${origin}/#dataset=moons&n=${N}&model=mlp&layers=32,32&backend=${backend}`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.firstPaintMs, null, { timeout: 300_000, polling: 100 });
    times.push(Number(await page.$eval('[data-testid=status]', (e) => e.dataset.firstPaintMs)));
    if (backend === 'webgpu' && r === 0) results.adapter = await page.textContent('[data-testid=backend]');
    await page.close();
  }
  (results[`ours-${backend}`] ??= {}).cold_ms = times.sort((a, b) => a - b)[times.length >> 1];
  log(`cold start ${backend}:`, times);
}

// Ours: one page load, both devices, through the page's bench export.
{
  const page = await browser.newPage();
  await page.addInitScript(installCounters);
  await page.goto(`${origin}/#backend=cpu`);
  await page.waitForFunction(() => window.wasmBindings?.bench, null, { timeout: 120_000 });
  for (const backend of ['webgpu', 'cpu']) {
    log(`ours ${backend}…`);
    const r = await page.evaluate(([b, m, n, s, reps, g]) => window.wasmBindings.bench(b, 'mlp', m, n, s, reps, g),
      [backend, MLP, N, STEPS[backend], REPS, GRID]);
    Object.assign(results[`ours-${backend}`], JSON.parse(r), backend === 'webgpu' ? await readCounts(page, STEPS[backend]) : {});
  }
  results.data = JSON.parse(await page.evaluate(([n]) => window.wasmBindings.bench_dataset(n), [N]));
  // CSV loader throughput in wasm (median of 3 runs on a generated 10 MB file).
  const csvRuns = [];
  for (let r = 0; r < 3; r++) csvRuns.push(JSON.parse(await page.evaluate(() => window.wasmBindings.bench_csv(10))));
  csvRuns.sort((a, b) => a.parse_ms - b.parse_ms);
  results.csv = csvRuns[1];
  results.grid = JSON.parse(await page.evaluate(([n, g]) => window.wasmBindings.bench_grid(n, g), [N, GRID]));
  // FOLD's rule search in wasm (10k rows x 20 mixed columns, median of 3 inside).
  results.fold = JSON.parse(await page.evaluate(() => window.wasmBindings.bench_fold()));
  await page.close();
}

// TensorFlow.js, each backend on a fresh page, same data and grid.
for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu']) {
  const page = await browser.newPage();
  await page.addInitScript(installCounters);
  await page.goto(`${origin}/bench/tfjs.html`);
  log(`tfjs ${backend}…`);
  try {
    results[`tfjs-${backend}`] = await page.evaluate(([b, d, g, grid, s, reps, lr]) => window.runTfjs(b, d, g, grid, s, reps, lr),
      [backend, results.data, results.grid, GRID, STEPS[backend], REPS, LR]);
    if (backend === 'webgpu' || backend === 'webgl') Object.assign(results[`tfjs-${backend}`], await readCounts(page, STEPS[backend]));
  } catch (e) {
    results[`tfjs-${backend}`] = { error: String(e).split('\n')[0] };
  }
  await page.close();
}
await browser.close();
server.close();

// Wasm size.
const wasmFile = fs.readdirSync(site).find((f) => f.endsWith('.wasm'));
const wasm = fs.readFileSync(path.join(site, wasmFile));
const gz = zlib.gzipSync(wasm, { level: 9 }).length;

// The table.
const cols = ['ours-webgpu', 'ours-cpu', 'tfjs-webgpu', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu'];
const rows = [
  ['train steps/s (median)', 'steps_per_sec', 'max'],
  ['first step ms (compile)', 'first_step_ms', 'min'],
  [`grid ${GRID}x${GRID} ms (with read-back)`, 'grid_ms', 'min'],
  ['cold start to first boundary ms', 'cold_ms', 'min'],
  ['train accuracy after run', 'train_acc', null],
  ['GPU kernel launches per train step', 'dispatch_per_step', null],
  ['queue submissions per train step', 'submit_per_step', null],
  ['buffer read-backs (maps) per train step', 'map_per_step', null],
  [`GPU kernel launches per grid inference`, 'dispatch_grid', null],
  ['compute pipelines created (compiled kernels)', 'pipelines', null],
  ['ms per kernel launch (step time / launches)', 'ms_per_launch', null],
];
for (const c of Object.values(results)) {
  if (c && c.dispatch_per_step > 0) c.ms_per_launch = 1000 / c.steps_per_sec / c.dispatch_per_step;
}
const fmt = (v) => v == null || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3);
const line = (cells) => '| ' + cells.join(' | ') + ' |';
const out = [];
out.push(`Adapter: ${results.adapter}; ${N} moons points, MLP 2-32-32-2 ReLU, Adam, full batch; medians of ${REPS}.`);
out.push(line(['measurement', ...cols, 'ours/best-tfjs']));
out.push(line(Array(cols.length + 2).fill('---')));
for (const [label, key, better] of rows) {
  const vals = cols.map((c) => results[c]?.[key]);
  let ratio = '–';
  if (better) {
    const pick = (xs) => xs.filter((v) => typeof v === 'number' && !Number.isNaN(v));
    const ours = pick(vals.slice(0, 2)), tfjs = pick(vals.slice(2));
    if (ours.length && tfjs.length) {
      ratio = better === 'max' ? (Math.max(...ours) / Math.max(...tfjs)).toFixed(2) + 'x' : (Math.min(...tfjs) / Math.min(...ours)).toFixed(2) + 'x faster';
    }
  }
  out.push(line([label, ...vals.map(fmt), ratio]));
}
out.push('Launch counts: WebGPU compute dispatches (WebGL draw calls for tfjs-webgl) in the last timed repetition, per step; each repetition ends with one small read-back. Pipelines: compute pipelines (WebGL programs) created over the whole run.');
// The performance issue's targets, each a ratio measured in this one run.
const v = (c, k) => results[c]?.[k];
const target = (label, ratio, goal) => out.push(`${label}: ${Number.isFinite(ratio) ? ratio.toFixed(2) + 'x' : '–'} (target >= ${goal}x) ${ratio >= goal ? 'MET' : 'NOT MET'}`);
target('training steps/s, ours-webgpu / tfjs-webgpu', v('ours-webgpu', 'steps_per_sec') / v('tfjs-webgpu', 'steps_per_sec'), 1.5);
target('grid inference speed, ours-webgpu vs tfjs-webgpu (time ratio tfjs/ours)', v('tfjs-webgpu', 'grid_ms') / v('ours-webgpu', 'grid_ms'), 1.0);
target('training steps/s, ours-cpu / tfjs-wasm', v('ours-cpu', 'steps_per_sec') / v('tfjs-wasm', 'steps_per_sec'), 1.0);
if (results.fold) out.push(`FOLD fit in wasm, 10k rows x 20 mixed columns: FOLD-SE ${results.fold.se_ms.toFixed(0)} ms (${results.fold.se_rules} rules), FOLD-R++ ${results.fold.rpp_ms.toFixed(0)} ms (${results.fold.rpp_rules} rules)`);
if (results.csv) out.push(`CSV in wasm: ${results.csv.mb.toFixed(1)} MB, ${results.csv.rows} rows: parse ${results.csv.parse_ms.toFixed(0)} ms (${(results.csv.mb / results.csv.parse_ms * 1000).toFixed(1)} MB/s), encode ${results.csv.encode_ms.toFixed(0)} ms (${(results.csv.mb / results.csv.encode_ms * 1000).toFixed(1)} MB/s)`);
out.push(`wasm: ${(wasm.length / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzipped (${wasmFile})`);
for (const c of cols) if (results[c]?.error) out.push(`${c}: ${results[c].error}`);
console.log(out.join('\n'));
fs.writeFileSync(path.join(benchDir, 'last-run.json'), JSON.stringify({ ...results, data: undefined, grid: undefined, wasm_bytes: wasm.length, wasm_gz_bytes: gz }, null, 1));
