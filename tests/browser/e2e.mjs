// Browser tests: serves the built site on 127.0.0.1 and drives Debian's Chromium with
// playwright-core. Prints one "N passed, N failed" line at the end.
//
//   node tests/browser/e2e.mjs <site-dir>
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const site = path.resolve(process.argv[2] ?? 'dist');
const outDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'out');
fs.mkdirSync(outDir, { recursive: true });
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.csv': 'text/csv', '.json': 'application/json' };

function serve(dir) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) { res.writeHead(404).end('not found'); return; }
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function launch(webgpu) {
  const args = ['--no-sandbox', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'];
  // playwright starts every launch with a fresh, empty user-data dir of its own.
  // Headless Chromium here has WebGPU (SwiftShader) only with this flag; without it, none.
  if (webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath, headless: true, args });
}

const results = [];
async function test(name, fn) {
  // ONLY=<text> runs the tests whose name contains it (while developing).
  if (process.env.ONLY && !name.includes(process.env.ONLY)) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL - ${name}: ${e.stack ?? e}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function status(page) {
  return page.$eval('[data-testid=status]', (el) => ({
    state: el.dataset.state, backend: el.dataset.backend, step: Number(el.dataset.step),
    train: Number(el.dataset.trainAcc), test: el.dataset.testAcc === '' ? null : Number(el.dataset.testAcc),
  }));
}

async function waitFinished(page, timeoutMs) {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=status]')?.dataset.state;
    return s === 'done' || s === 'error';
  }, null, { timeout: timeoutMs, polling: 500 });
  return status(page);
}

/// Fractions of canvas pixels tinted towards each of the two first class colours.
async function classColourShares(page) {
  return page.$eval('[data-testid=boundary]', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let orange = 0, blue = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (r - b > 40 && r > g) orange++;
      if (b - r > 40 && b > g) blue++;
    }
    const n = d.length / 4;
    return { orange: orange / n, blue: blue / n };
  });
}

function watchRequests(page, origin) {
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
  return foreign;
}

const canvasPixels = (page) => page.$eval('[data-testid=boundary]', (c) => c.toDataURL());

const MOONS = 'dataset=moons&n=500&noise=0.2&seed=7&split=0.8&model=mlp&layers=16,16&act=relu&lr=0.03&play=1&steps=300';

const server = await serve(site);
const origin = `http://127.0.0.1:${server.address().port}`;
console.log(`serving ${site} at ${origin}`);

await test('Auto picks the CPU on a software WebGPU adapter and says so; the Backend menu switches to WebGPU, which trains to done', async () => {
  const browser = await launch(true);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    const foreign = watchRequests(page, origin);
    // Auto (the default): headless Chromium's only adapter is SwiftShader, a software renderer.
    await page.goto(`${origin}/#${MOONS}`);
    let s = await waitFinished(page, 5 * 60_000);
    assert(s.state === 'done' && s.backend === 'cpu', `auto: ${JSON.stringify(s)}`);
    const note = await page.textContent('[data-testid=notes]');
    assert(/software renderer/.test(note) && /SwiftShader/i.test(note), `no note about the software adapter: ${note}`);
    const cpuTrain = s.train;
    // The user overrides it: the same run restarts on WebGPU, and the link says so.
    await page.selectOption('[data-testid=backend-select]', 'webgpu');
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid=status]');
      return el?.dataset.backend === 'webgpu' && (el.dataset.state === 'done' || el.dataset.state === 'error');
    }, null, { timeout: 12 * 60_000, polling: 500 }).catch((e) => { console.log(logs.slice(-20).join('\n')); throw e; });
    s = await status(page);
    console.log('     status:', JSON.stringify(s), 'cpu train', cpuTrain);
    await page.screenshot({ path: path.join(outDir, 'webgpu.png') });
    assert(s.state === 'done', `state ${s.state}: ${await page.textContent('body')}`);
    assert(s.step === 300, `stopped at step ${s.step}`);
    assert(s.train >= 0.95, `train accuracy ${s.train}`);
    assert(Math.abs(s.train - cpuTrain) <= 0.02, `same seeded run on both devices: webgpu ${s.train} vs cpu ${cpuTrain}`);
    assert(/backend=webgpu/.test(await page.evaluate(() => location.hash)), 'the link does not carry the chosen backend');
    const shares = await classColourShares(page);
    console.log('     colour shares:', JSON.stringify(shares));
    assert(shares.orange > 0.1 && shares.blue > 0.1, `boundary canvas lacks a class colour: ${JSON.stringify(shares)}`);
    const badge = await page.textContent('[data-testid=backend]');
    assert(/WebGPU/.test(badge), `badge says ${badge}`);
    const notes = (await page.$('[data-testid=notes]')) ? await page.textContent('[data-testid=notes]') : '';
    assert(!/training on the CPU/.test(notes), `a stale note after switching: ${notes}`);
    assert(foreign.length === 0, `requests left the origin: ${foreign}`);
  } finally { await browser.close(); }
});

await test('WebGPU: every registered classifier trains on blobs on the GPU', async () => {
  const browser = await launch(true);
  try {
    let page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${origin}/#dataset=blobs&classes=3&n=300&seed=3&model=knn&play=1&backend=webgpu`);
    let s = await waitFinished(page, 10 * 60_000);
    assert(s.state === 'done' && s.backend === 'webgpu' && s.test >= 0.9, `knn: ${JSON.stringify(s)}`);
    const models = await page.$$eval('[data-testid=model] option', (os) => os.map((o) => o.value));
    for (const m of models.filter((m) => m !== 'knn')) {
      // Few steps: every new kernel compiles on SwiftShader first. A fresh page, so the status
      // read below cannot be the previous run's. Models with long schedules (prototype networks)
      // are not done learning after 40 steps: the GPU run must match the CPU run of the same link.
      const link = `dataset=blobs&classes=3&n=300&seed=3&model=${m}&steps=40&play=1`;
      await page.close();
      page = await browser.newPage();
      await page.goto(`${origin}/#${link}&backend=cpu`);
      const cpu = await waitFinished(page, 5 * 60_000);
      await page.close();
      page = await browser.newPage();
      await page.goto(`${origin}/#${link}&backend=webgpu`);
      s = await waitFinished(page, 10 * 60_000);
      console.log(`     ${m}:`, JSON.stringify(s), 'cpu test', cpu.test);
      assert(s.state === 'done' && s.backend === 'webgpu', `${m}: ${JSON.stringify(s)}`);
      assert(Math.abs(s.test - cpu.test) <= 0.05 && (s.test >= 0.9 || cpu.test < 0.9), `${m}: webgpu ${s.test} vs cpu ${cpu.test}`);
    }
  } finally { await browser.close(); }
});

await test('CPU fallback: without WebGPU the same link trains to done on cpu', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${origin}/#${MOONS}`);
    const s = await waitFinished(page, 5 * 60_000);
    console.log('     status:', JSON.stringify(s));
    await page.screenshot({ path: path.join(outDir, 'cpu.png') });
    assert(s.state === 'done' && s.backend === 'cpu', JSON.stringify(s));
    assert(s.train >= 0.95, `train accuracy ${s.train}`);
    assert(s.test >= 0.9, `test accuracy ${s.test}`);
    const shares = await classColourShares(page);
    assert(shares.orange > 0.1 && shares.blue > 0.1, JSON.stringify(shares));
    // The page told the user why it is on the CPU.
    assert(/WebGPU/.test(await page.textContent('[data-testid=notes]')), 'no note about the missing WebGPU');
  } finally { await browser.close(); }
});

await test('Rules: FOLD-SE grows its program step by step, prints it with coverage, draws and highlights its regions, proves a clicked point', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${origin}/#dataset=moons&n=500&noise=0.2&seed=3&model=fold&backend=cpu&add=0.5:-1.2:0`);
    await page.waitForSelector('[data-testid=step]:not([disabled])');
    // One step, one rule.
    await page.click('[data-testid=step]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.step === '1');
    await page.waitForSelector('[data-testid=program] .clause');
    const clauses = () => page.$$eval('[data-testid=program] .clause', (els) => els.map((e) => e.childNodes[0].textContent));
    const first = (await clauses()).join('\n');
    assert(/^label\(X,'[01]'\) :- /.test(first), `first rule: ${first}`);
    assert(first.split('\n').filter((l) => l.startsWith('label(')).length === 1, `one top-level rule after one step: ${first}`);
    await page.click('[data-testid=play]');
    const s = await waitFinished(page, 60_000);
    assert(s.state === 'done' && s.train >= 0.9, JSON.stringify(s));
    const text = (await clauses()).join('\n');
    const size = await page.textContent('[data-testid=program-size]');
    // Every top-level rule says how many training rows it decides.
    const covers = await page.$$eval('[data-testid=program] .cover', (els) => els.map((e) => e.textContent));
    assert(covers.length === text.split('\n').filter((l) => l.startsWith('label(')).length && covers.every((c) => /^\d+ rows, \d+ right$/.test(c)), JSON.stringify(covers));
    // Pointing at a rule highlights it and its region and points on the view.
    const before = await page.locator('[data-testid=boundary]').screenshot();
    await page.hover('[data-testid=program] .clause[data-rule="0"]');
    await page.waitForSelector('[data-testid=program] .clause.active[data-rule="0"]');
    const during = await page.locator('[data-testid=boundary]').screenshot();
    assert(!before.equals(during), 'the view did not change while pointing at a rule');
    await page.screenshot({ path: path.join(outDir, 'fold-hover.png') });
    await page.mouse.move(5, 5);
    console.log('     program:', JSON.stringify(text), size.split('.')[0]);
    assert(text.split('\n').filter((l) => l.startsWith('label(')).length >= 2, text);
    assert(/\d+ rules, \d+ literals/.test(size), size);
    const shares = await classColourShares(page);
    assert(shares.orange > 0.1 && shares.blue > 0.1, JSON.stringify(shares));
    // Clicking the drawn point (the link's add=0.5:-1.2:0) shows its proof instead of adding a point.
    const count = await page.textContent('[data-testid=point-count]');
    const [x0, x1, y0, y1] = (await page.getAttribute('[data-testid=boundary]', 'data-view')).split(',').map(Number);
    const box = await page.locator('[data-testid=boundary]').boundingBox();
    await page.mouse.click(box.x + (0.5 - x0) / (x1 - x0) * box.width, box.y + (y1 - -1.2) / (y1 - y0) * box.height);
    await page.waitForSelector('[data-testid=proof]');
    const proof = await page.textContent('[data-testid=proof]');
    console.log('     proof:', JSON.stringify(proof));
    assert(/^Rule 1 \(class '[01]'\): x[12] = /.test(proof), proof);
    assert(/=> (rule \d+ fires: class '[01]'|no rule covers)/.test(proof), proof);
    assert(await page.textContent('[data-testid=point-count]') === count, 'the click added no point');
    await page.screenshot({ path: path.join(outDir, 'fold.png') });
  } finally { await browser.close(); }
});

await test('Prototypes: CBC components drag with the mouse (no retraining), radius on hover, reasoning and radius figures; TEEN alpha live; ST-ProtoPNet branches live', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    const handles = () => page.$eval('[data-testid=boundary]', (c) => (c.dataset.handles ?? '').split(';').filter((h) => h).map((h) => {
      const [label, row, x, y] = h.split(':');
      return { label, row: Number(row), x: Number(x), y: Number(y) };
    }));
    // Canvas pixels -> page coordinates (the canvas may be scaled by CSS).
    const toPage = async (x, y) => {
      const b = await page.$eval('[data-testid=boundary]', (c) => { const r = c.getBoundingClientRect(); return { left: r.left, top: r.top, k: r.width / c.width }; });
      return [b.left + x * b.k, b.top + y * b.k];
    };
    await page.goto(`${origin}/#dataset=moons&n=300&seed=2&noise=0.1&model=cbc&lr=0.03&steps=150&play=1&backend=cpu`);
    let s = await waitFinished(page, 120_000);
    assert(s.state === 'done' && s.test >= 0.9, `cbc: ${JSON.stringify(s)}`);
    assert(await page.$$eval('[data-figure=Reasoning] tbody tr', (r) => r.length) === 6, 'reasoning table has a row per component');
    assert(await page.$$eval('[data-figure="Certified radius"] rect.bar', (r) => r.length) === 12, 'radius histogram');
    // Hover: scan the middle of the view until a point's certified radius is shown.
    let hover = '';
    for (let y = 150; y <= 330 && !hover; y += 12) {
      for (let x = 120; x <= 360 && !hover; x += 12) {
        await page.mouse.move(...(await toPage(x, y)));
        hover = await page.$eval('[data-testid=boundary]', (c) => c.dataset.hover ?? '');
      }
    }
    assert(/certified radius: (\d|none)/.test(hover), `no radius on hover: '${hover}'`);
    // Drag a component 60 px right and 40 px down.
    const before = await handles();
    const comp = before.find((h) => h.label === 'components' && h.x > 30 && h.x < 450 && h.y > 30 && h.y < 450);
    assert(comp, `no component on the view: ${JSON.stringify(before)}`);
    const pixels = await canvasPixels(page);
    await page.mouse.move(...(await toPage(comp.x, comp.y)));
    await page.mouse.down();
    for (let k = 1; k <= 6; k++) await page.mouse.move(...(await toPage(comp.x + 10 * k, comp.y + 7 * k)));
    await page.mouse.up();
    await page.waitForFunction(([row, x, y]) => {
      const hs = (document.querySelector('[data-testid=boundary]').dataset.handles ?? '').split(';');
      return hs.some((h) => { const [l, r, hx, hy] = h.split(':'); return l === 'components' && Number(r) === row && Math.abs(hx - x) <= 2 && Math.abs(hy - y) <= 2; });
    }, [comp.row, comp.x + 60, comp.y + 42], { timeout: 20_000 });
    s = await status(page);
    assert(s.step === 150 && s.state === 'done', `a drag retrained: ${JSON.stringify(s)}`);
    assert(await canvasPixels(page) !== pixels, 'the boundary did not follow the component');
    assert(!page.url().includes('add='), 'the drag added a point');

    // TEEN on annulus sectors: alpha follows the slider without retraining; alpha 0 = before.
    await page.goto(`${origin}/#dataset=sectors&classes=6&n=1200&split=0.75&noise=0.05&model=teen&novel=2&ways=1&alpha=0.5&play=1&backend=cpu`);
    await page.reload();
    s = await waitFinished(page, 180_000);
    assert(s.state === 'done' && s.step === 3001, `teen: ${JSON.stringify(s)}`);
    const cells = () => page.$$eval('[data-figure=Sessions] tbody td', (t) => t.map((c) => c.textContent));
    assert((await cells()).length === 3 * 5, `three sessions: ${await cells()}`);
    assert((await page.$$eval('[data-figure="Feature space"] path', (p) => p.length)) >= 4 + 2 + 2, 'base, novel and calibrated prototypes in the feature space');
    assert((await handles()).filter((h) => h.label === 'shots').length === 2 * 5, 'five shots per novel class');
    await page.$eval('[data-slider=alpha]', (el) => { el.value = '0'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForFunction(() => location.hash.includes('alpha=0&') || location.hash.endsWith('alpha=0'));
    await page.waitForFunction(() => [...document.querySelectorAll('[data-figure=Sessions] tbody td')].slice(1).every((c) => !c.textContent.includes('→') || c.textContent.split('→')[0] === c.textContent.split('→')[1]), null, { timeout: 20_000 });
    s = await status(page);
    assert(s.step === 3001 && s.state === 'done', `alpha retrained: ${JSON.stringify(s)}`);

    // ST-ProtoPNet: both prototype kinds on the view and in their feature spaces; the branch
    // menu changes the prediction without retraining.
    await page.goto(`${origin}/#dataset=moons&n=300&seed=2&noise=0.1&model=st-protopnet&play=1&backend=cpu`);
    await page.reload();
    s = await waitFinished(page, 180_000);
    assert(s.state === 'done' && s.step === 3301 && s.test >= 0.95, `st-protopnet: ${JSON.stringify(s)}`);
    const hs = await handles();
    assert(hs.filter((h) => h.label === 'trivial prototypes').length === 6 && hs.filter((h) => h.label === 'support prototypes').length === 6, `prototypes: ${JSON.stringify(hs)}`);
    for (const f of ['Trivial feature space', 'Support feature space', 'Prototype geometry']) {
      assert(await page.$(`[data-figure="${f}"]`), `no figure ${f}`);
    }
    const both = await canvasPixels(page);
    await page.selectOption('[data-param=branches]', 'support');
    await page.waitForFunction(() => location.hash.includes('branches=support'));
    await page.waitForFunction((p) => document.querySelector('[data-testid=boundary]').toDataURL() !== p, both, { timeout: 20_000 });
    s = await status(page);
    assert(s.step === 3301 && s.state === 'done', `branch change retrained: ${JSON.stringify(s)}`);
  } finally { await browser.close(); }
});

await test('Adversarial examples: a toggle adds arrows and the distance histogram without retraining; a model without gradients says so', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(`${origin}/#${MOONS}&backend=cpu`);
    let s = await waitFinished(page, 120_000);
    const plain = await canvasPixels(page);
    await page.check('[data-testid=adversarial]');
    await page.waitForSelector('[data-figure="Adversarial distance"] rect.bar', { timeout: 30_000 });
    const note = await page.textContent('[data-figure="Adversarial distance"] p');
    const m = /Mean distance to the nearest other class: ([\d.]+) .* over (\d+) of (\d+) points/.exec(note);
    assert(m && Number(m[1]) > 0 && m[2] === m[3], `every search crosses: ${note}`);
    assert(await canvasPixels(page) !== plain, 'no arrows drawn');
    assert(page.url().includes('adv=1'), 'the link does not carry the toggle');
    const after = await status(page);
    assert(after.step === s.step && after.state === 'done', `the toggle retrained: ${JSON.stringify([s, after])}`);
    await page.selectOption('[data-testid=model]', 'knn');
    await page.click('[data-testid=play]');
    s = await waitFinished(page, 60_000);
    await page.waitForFunction(() => /no input gradients/.test(document.querySelector('[data-figure="Adversarial distance"]')?.textContent ?? ''), null, { timeout: 20_000 });
  } finally { await browser.close(); }
});

await test('Boundary tilting lab: tilting keeps the accuracy while distances shrink; the SVM sweep tilts as lambda falls; it runs on the page data too', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(`${origin}/#dataset=blobs&classes=3&n=300&seed=3&model=logreg&backend=cpu`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle');
    await page.click('[data-testid=lab-toggle] summary');
    await page.waitForSelector('[data-testid=sweep]');
    const read = () => page.$eval('[data-testid=tilt-readout]', (e) => ({ acc: Number(e.dataset.accuracy), dist: Number(e.dataset.distance) }));
    const setTilt = (v) => page.$eval('[data-testid=tilt]', (el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, v);
    await setTilt(0);
    await page.waitForTimeout(200);
    const flat = await read();
    await setTilt(80);
    await page.waitForTimeout(200);
    const steep = await read();
    assert(steep.acc === flat.acc, `accuracy changed with the tilt: ${JSON.stringify([flat, steep])}`);
    assert(Math.abs(steep.dist - Math.cos(80 * Math.PI / 180) * flat.dist) < 2e-3, `distances do not shrink by cos: ${JSON.stringify([flat, steep])}`);
    const theta = (await page.$eval('[data-testid=sweep]', (e) => e.dataset.theta)).split(',').map(Number);
    assert(theta.length === 7 && theta[0] >= 70 && theta[6] < 1, `sweep angles: ${theta}`);
    assert(theta.every((t, i) => i === 0 || t <= theta[i - 1] + 2), `theta not non-increasing: ${theta}`);
    assert((await page.$$eval('[data-testid=weight-bars] rect', (r) => r.length)) === 50, 'a weight bar per coordinate');
    // The page's own data (blobs, classes 0 and 1, two features).
    await page.selectOption('[data-testid=sweep-source]', 'data');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=weight-bars] rect').length === 2);
  } finally { await browser.close(); }
});

await test('Model race: four classifiers (and a fifth picked) train side by side to done, each with its own live boundary', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(`${origin}/#dataset=moons&n=300&seed=4&noise=0.15&backend=cpu`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle');
    await page.click('[data-testid=race-toggle] summary');
    await page.check('[data-race-model=cbc]');
    await page.click('[data-testid=race-start]');
    await page.waitForFunction(() => {
      const rs = [...document.querySelectorAll('[data-racer]')];
      return rs.length === 5 && rs.every((r) => r.dataset.state === 'done' || r.dataset.state === 'error');
    }, null, { timeout: 240_000, polling: 500 });
    const racers = await page.$$eval('[data-racer]', (rs) => rs.map((r) => ({ name: r.dataset.racer, state: r.dataset.state, test: Number(r.dataset.testAcc),
      painted: r.querySelector('canvas').toDataURL().length })));
    console.log('     ', JSON.stringify(racers.map(({ name, state, test }) => ({ name, state, test }))));
    assert(racers.map((r) => r.name).join() === 'mlp,logreg,knn,gnb,cbc', `racers: ${racers.map((r) => r.name)}`);
    for (const r of racers) {
      assert(r.state === 'done' && r.test >= 0.75, `${r.name}: ${JSON.stringify(r)}`);
    }
    // Each view was painted with its own boundary (not a blank canvas, not all alike).
    assert(new Set(racers.map((r) => r.painted)).size >= 3, 'the racers show the same picture');
    // The main model is untouched by the race.
    assert((await status(page)).step === 0, 'the race trained the main model');
  } finally { await browser.close(); }
});

await test('Wide & deep NTK: He2 at depth 100 is 1-NN, not at depth 1; the activation panel and regimes; typed formulas, bad ones refused', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(`${origin}/#dataset=moons&n=300&seed=2&noise=0.1&model=ntk&phi=he2&depth=100&play=1&backend=cpu`);
    let s = await waitFinished(page, 120_000);
    assert(s.state === 'done' && s.test >= 0.9, `he2: ${JSON.stringify(s)}`);
    const agreement = () => page.$$eval('[data-figure="Agreement with the limit rules"] tbody tr', (rows) => Object.fromEntries(rows.map((r) => [r.cells[0].textContent, [...r.cells].slice(1).map((c) => c.textContent)])));
    const note = (title) => page.$eval(`[data-figure="${title}"] .hint`, (e) => e.textContent);
    let a = await agreement();
    assert(a['1-nearest neighbour'][0] === '100.0%' && a['1-nearest neighbour'][1] === '100.0%', `he2 at depth 100 vs 1-NN: ${JSON.stringify(a)}`);
    assert(/a0² = 0\.000, a1² = 0\.000/.test(await note('Hermite coefficients a_k²')) && /1-nearest neighbour/.test(await note('Activation φ(z)')), 'the activation numbers');
    assert((await page.$$eval('[data-figure="Hermite coefficients a_k²"] rect', (r) => r.length)) === 21, 'a bar per coefficient');
    assert(await page.$('[data-figure="Kernel profile at depth 100"] path'), 'the kernel profile');
    // Depth 1 on the log slider's box: a smooth kernel, no longer 1-NN everywhere.
    await page.fill('[data-param=depth]', '1');
    await page.press('[data-param=depth]', 'Enter');
    await page.waitForFunction(() => location.hash.includes('depth=1&') || location.hash.endsWith('depth=1'));
    await page.click('[data-testid=play]');
    s = await waitFinished(page, 60_000);
    a = await agreement();
    assert(a['1-nearest neighbour'][0] !== '100.0%', `depth 1 agrees with 1-NN everywhere: ${JSON.stringify(a)}`);
    // The optimal activation: the singular kernel with alpha = 2 (Hilbert), slope printed.
    await page.selectOption('[data-param=phi]', 'optimal');
    await page.click('[data-testid=play]');
    s = await waitFinished(page, 60_000);
    assert(/α = 2\.00.*Hilbert/.test(await note('Activation φ(z)')), 'optimal activation numbers');
    // A typed formula: the unnormalised He2 is 1-NN again; a broken one is refused, the old kept.
    await page.selectOption('[data-param=phi]', 'formula');
    await page.fill('[data-param=formula]', 'z^2 - 1');
    await page.press('[data-param=formula]', 'Enter');
    await page.waitForFunction(() => location.hash.includes('formula=z%5E2'));
    await page.click('[data-testid=play]');
    s = await waitFinished(page, 60_000);
    assert(s.state === 'done' && /1-nearest neighbour/.test(await note('Activation φ(z)')), `typed z^2 - 1: ${JSON.stringify(s)}`);
    await page.fill('[data-param=formula]', 'z + <b>');
    await page.press('[data-param=formula]', 'Enter');
    await page.waitForFunction(() => /formula: unexpected/.test(document.querySelector('[data-testid=notes]')?.textContent ?? ''));
    assert(page.url().includes('formula=z%5E2'), `the previous formula is kept: ${page.url()}`);
    assert((await page.$$('[data-testid=notes] b')).length === 0, 'formula text was inserted as HTML');
    // A formula without a finite mean square: a clear note, the trained model kept.
    await page.fill('[data-param=formula]', 'exp(z^2)');
    await page.press('[data-param=formula]', 'Enter');
    await page.waitForFunction(() => /mean square/.test(document.querySelector('[data-testid=notes]')?.textContent ?? ''));
    s = await status(page);
    assert(s.state === 'done' && s.test >= 0.9 && page.url().includes('formula=z%5E2'), `the trained model is kept: ${JSON.stringify(s)}`);
    await page.screenshot({ path: path.join(outDir, 'ntk.png'), fullPage: true });
  } finally { await browser.close(); }
});

await test('Generative vs discriminative: learning curves of naive Bayes and logistic regression grow frame by frame and cross; the page data works too', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(`${origin}/#dataset=blobs&classes=3&n=300&seed=3&model=logreg&backend=cpu`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle');
    await page.click('[data-testid=gd-toggle] summary');
    await page.click('[data-testid=gd-run]');
    const finished = () => page.waitForFunction(() => { const e = document.querySelector('[data-testid=gd-curve]'); return e && e.dataset.total !== '0' && e.dataset.done === e.dataset.total; }, null, { timeout: 240_000, polling: 100 });
    // Partial curves are drawn while the fits run (the page is never frozen for the whole run).
    await page.waitForFunction(() => { const e = document.querySelector('[data-testid=gd-curve]'); return e && Number(e.dataset.done) > 0; }, null, { timeout: 60_000, polling: 50 });
    await finished();
    const curve = async () => (await page.$eval('[data-testid=gd-curve]', (e) => e.dataset.points)).split(' ').map((p) => p.split(':').map(Number));
    // The spec's two regimes (n = 20, beta = 0.3): NB ahead at the smallest sizes, LR at the largest.
    let c = await curve();
    const [first, last] = [c[0], c[c.length - 1]];
    assert(first[1] < first[2] && last[2] < last[1], `no crossing: ${JSON.stringify(c)}`);
    assert(/cross at m ≈ (32|64)\b/.test(await page.textContent('[data-testid=gd-curve]')), 'the crossing is reported in [32, 64]');
    // The page's data: sizes up to its training set.
    await page.selectOption('[data-testid=gd-source]', 'data');
    await finished();
    c = await curve();
    assert(c.length >= 3 && c[c.length - 1][0] === 240, `page-data sizes: ${JSON.stringify(c)}`);
  } finally { await browser.close(); }
});

/// The view's pixels (RGBA bytes as one string) and the status, for comparing two pages.
async function viewAndStatus(page) {
  const pixels = await page.$eval('[data-testid=boundary]', (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(','));
  return { pixels, status: await status(page) };
}
function differingPixels(a, b) {
  const x = a.split(','), y = b.split(',');
  let n = 0;
  for (let i = 0; i < x.length; i += 4) if (x[i] !== y[i] || x[i + 1] !== y[i + 1] || x[i + 2] !== y[i + 2]) n++;
  return n / (x.length / 4);
}

await test('Share links reproduce: a paused run and a dragged prototype open the same in a fresh browser (CPU identical, WebGPU within 0.5 points)', async () => {
  const browser = await launch(true);
  try {
    // A run paused at some step: "link to this moment" trains to exactly that step elsewhere.
    const ctxA = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
    const a = await ctxA.newPage();
    await a.goto(`${origin}/#dataset=moons&n=300&seed=5&noise=0.2&model=mlp&steps=100000&play=1&backend=cpu`);
    await a.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.dataset.step) > 150, null, { polling: 50 });
    await a.click('[data-testid=pause]');
    await a.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle');
    const here = await viewAndStatus(a);
    await a.click('[data-testid=share-moment]');
    const url = await a.$eval('[data-testid=share-url]', (e) => e.value);
    assert(url.includes(`steps=${here.status.step}&play=1`) && url.includes('v=2'), `moment link: ${url}`);
    const ctxB = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
    const b = await ctxB.newPage();
    await b.goto(url);
    await waitFinished(b, 120_000);
    const there = await viewAndStatus(b);
    assert(JSON.stringify(there.status) === JSON.stringify({ ...here.status, state: 'done' }), `status: ${JSON.stringify([here.status, there.status])}`);
    assert(there.pixels === here.pixels, `boundary pixels differ: ${differingPixels(here.pixels, there.pixels)}`);
    // A CBC component dragged after training: the link replays the drag at its step.
    await a.goto(`${origin}/#dataset=moons&n=300&seed=4&noise=0.15&model=cbc&steps=300&play=1&backend=cpu`);
    await waitFinished(a, 120_000);
    const h = await a.$eval('[data-testid=boundary]', (c) => c.dataset.handles.split(';')[0].split(':').map((v, i) => (i ? Number(v) : v)));
    const box = await a.$eval('[data-testid=boundary]', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, k: r.width / c.width }; });
    const [, , hx, hy] = h;
    await a.mouse.move(box.x + hx * box.k, box.y + hy * box.k);
    await a.mouse.down();
    await a.mouse.move(box.x + (hx + 40) * box.k, box.y + (hy + 30) * box.k, { steps: 5 });
    await a.mouse.up();
    await a.waitForFunction(() => location.hash.includes('drag='));
    // Off the view: no hover circle on the picture.
    await a.mouse.move(2, 2);
    await a.waitForTimeout(500);
    const dragged = await viewAndStatus(a);
    await a.click('[data-testid=share-moment]');
    const dragUrl = await a.$eval('[data-testid=share-url]', (e) => e.value);
    assert(/drag=300:components:\d+:/.test(dragUrl), `the drag is in the link: ${dragUrl}`);
    await b.goto('about:blank');
    await b.goto(dragUrl);
    await waitFinished(b, 120_000);
    await b.waitForTimeout(300);
    const replayed = await viewAndStatus(b);
    assert(replayed.status.test === dragged.status.test && replayed.pixels === dragged.pixels, `the drag did not replay: ${differingPixels(dragged.pixels, replayed.pixels)}`);
    // WebGPU: the same link twice, in two fresh contexts (float reductions may differ between
    // runs of a GPU; the promise is 0.5 percentage points).
    const gpuLink = `${origin}/#dataset=moons&n=300&seed=5&noise=0.2&model=mlp&steps=15&play=1&backend=webgpu`;
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
      const p = await ctx.newPage();
      await p.goto(gpuLink);
      await waitFinished(p, 8 * 60_000);
      runs.push(await viewAndStatus(p));
      await ctx.close();
    }
    console.log('     webgpu runs:', JSON.stringify(runs.map((r) => r.status)), 'pixels differing', differingPixels(runs[0].pixels, runs[1].pixels));
    assert(runs.every((r) => r.status.backend === 'webgpu' && r.status.state === 'done'), 'webgpu runs');
    assert(Math.abs(runs[0].status.test - runs[1].status.test) <= 0.005 && Math.abs(runs[0].status.train - runs[1].status.train) <= 0.005, 'webgpu accuracy differs');
    assert(differingPixels(runs[0].pixels, runs[1].pixels) <= 0.01, 'webgpu boundaries differ');
  } finally { await browser.close(); }
});

await test('Export: the view as PNG, predictions as CSV, the model as JSON that loads back, FOLD-SE rules as text; teacher links hide controls; embed mode; tampered links', async () => {
  const browser = await launch(false);
  try {
    const ctx = await browser.newContext({ viewport: { width: 1500, height: 1000 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const link = `${origin}/#dataset=blobs&classes=3&n=300&seed=3&noise=0.4&model=mlp&steps=120&play=1&backend=cpu`;
    await page.goto(link);
    const s = await waitFinished(page, 120_000);
    const trained = await viewAndStatus(page);
    const download = async (testid) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
      return { name: d.suggestedFilename(), bytes: fs.readFileSync(await d.path()) };
    };
    const png = await download('export-png');
    assert(png.name.endsWith('.png') && png.bytes.subarray(1, 4).toString() === 'PNG', `png: ${png.name}`);
    const side = await page.$eval('[data-testid=boundary]', (c) => c.width);
    assert(png.bytes.readUInt32BE(16) === side && png.bytes.readUInt32BE(20) === side, 'png size');
    const csv = await download('export-csv');
    const lines = csv.bytes.toString().trim().split('\n');
    assert(lines[0] === 'split,x1,x2,label,predicted,p(0),p(1),p(2)', `csv header: ${lines[0]}`);
    assert(lines.length === 301, `csv rows: ${lines.length}`);
    const test = lines.slice(1).map((l) => l.split(',')).filter((f) => f[0] === 'test');
    const right = test.filter((f) => f[3] === f[4]).length / test.length;
    assert(Math.abs(right - s.test) < 1e-4, `csv predictions vs test accuracy: ${right} vs ${s.test}`);
    assert(test.every((f) => Math.abs(Number(f[5]) + Number(f[6]) + Number(f[7]) - 1) < 1e-4), 'probabilities sum to 1');
    const model = await download('export-model');
    const file = JSON.parse(model.bytes.toString());
    assert(file.format === 'boundary-lab-model' && file.model === 'mlp' && file.steps === 120, `model file: ${JSON.stringify({ ...file, state: undefined })}`);
    // Loading it back on a fresh page with the same data gives the same model, untrained steps.
    const fresh = await ctx.newPage();
    await fresh.goto(link.replace('play=1', 'play=0').replace('model=mlp', 'model=knn'));
    await fresh.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle');
    const tmp = path.join(outDir, 'model.json');
    fs.writeFileSync(tmp, model.bytes);
    await fresh.setInputFiles('[data-testid=load-model]', tmp);
    await fresh.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'done' && location.hash.includes('model=mlp'));
    await fresh.waitForTimeout(300);
    const loaded = await viewAndStatus(fresh);
    assert(loaded.status.test === trained.status.test && loaded.status.step === 120, `loaded: ${JSON.stringify(loaded.status)}`);
    assert(differingPixels(loaded.pixels, trained.pixels) <= 0.001, `loaded model paints differently: ${differingPixels(loaded.pixels, trained.pixels)}`);
    // A file for other data is refused with a note and changes nothing.
    await fresh.goto(`${origin}/#dataset=moons&model=knn&backend=cpu`);
    await fresh.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle');
    await fresh.setInputFiles('[data-testid=load-model]', tmp);
    await fresh.waitForFunction(() => /Load model: .*3 classes/.test(document.querySelector('[data-testid=notes]')?.textContent ?? ''));
    assert(fresh.url().includes('model=knn'), 'a refused file changed the model');
    // Rules as text.
    await page.goto(`${origin}/#dataset=xor&n=400&noise=0.1&seed=1&model=fold&play=1&backend=cpu`);
    await waitFinished(page, 60_000);
    const rules = await download('export-rules');
    const shown = await page.$$eval('[data-testid=program] .clause', (cs) => cs.map((c) => c.firstChild.textContent.trim()));
    const text = rules.bytes.toString();
    assert(shown.length > 0 && shown.every((l) => text.includes(l)), `rules text: ${text}`);

    // A teacher's link: chosen controls hidden; embed mode without the chrome.
    await page.goto(`${origin}/#dataset=moons&model=mlp&hide=dataset,noise,lr,labs,export&backend=cpu`);
    await page.waitForSelector('[data-testid=boundary]');
    assert(!(await page.$('[data-testid=dataset]')) && !(await page.$('[data-param=lr]')) && !(await page.$('[data-testid=race-toggle]')) && !(await page.$('[data-testid=export-png]')), 'hidden controls are shown');
    assert(await page.$('[data-param=layers]') && await page.$('[data-testid=model]'), 'other controls are gone');
    await page.goto(`${origin}/#dataset=circles&model=knn&play=1&embed=1&backend=cpu`);
    await waitFinished(page, 60_000);
    assert(!(await page.$('header')) && !(await page.$('[data-testid=dataset]')) && !(await page.$('[data-testid=model]')) && !(await page.$('footer')), 'embed shows the chrome');
    assert(await page.$('[data-testid=boundary]') && /Open in Boundary Lab/.test(await page.textContent('.embed-credit')), 'embed view');
    await page.screenshot({ path: path.join(outDir, 'embed.png') });

    // Tampered and newer links: defaults, notes that say what was ignored, nothing as HTML.
    const p3 = await ctx.newPage();
    await p3.goto(`${origin}/#v=9&dataset=circles&model=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&n=1e999&csv=x.csv&csvdata=!!!not-deflate!!!&hide=%3Cb%3Eboo%3C%2Fb%3E&drag=1:2&steps=-5&play=1&backend=cpu`);
    await p3.waitForSelector('[data-testid=notes]');
    const notes = await p3.textContent('[data-testid=notes]');
    for (const want of ['newer Boundary Lab', 'unknown classifier', 'n:', 'csvdata', 'hide', 'drag', 'steps']) {
      assert(notes.includes(want), `notes miss '${want}': ${notes}`);
    }
    assert((await p3.$$('img, [data-testid=notes] b')).length === 0, 'link text was inserted as HTML');
  } finally { await browser.close(); }
});

await test('CPU: every registered classifier trains from the model menu; bad links give notes, not crashes', async () => {
  const browser = await launch(false);
  try {
    let page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${origin}/#dataset=blobs&classes=3&n=300&seed=3&model=knn&k=5&play=1&backend=cpu`);
    let s = await waitFinished(page, 60_000);
    assert(s.state === 'done' && s.test >= 0.9, `knn: ${JSON.stringify(s)}`);
    const models = await page.$$eval('[data-testid=model] option', (os) => os.map((o) => [o.value, o.dataset.family]));
    assert(models.length >= 4, `models: ${models}`);
    for (const [m, family] of models) {
      await page.selectOption('[data-testid=model]', m);
      await page.click('[data-testid=play]');
      s = await waitFinished(page, 120_000);
      assert(s.state === 'done', `${m}: ${JSON.stringify(s)}`);
      // A few-shot incremental learner sees a few points of its novel classes only (see
      // tests/classifiers.rs).
      assert(s.test >= (family === 'few-shot incremental' ? 0.7 : 0.9), `${m} on blobs: ${JSON.stringify(s)}`);
      assert(page.url().includes(`model=${m}`), `link does not follow the model: ${page.url()}`);
    }
    // A new grid resolution repaints the trained model without retraining it.
    const trained = await status(page);
    await page.selectOption('[data-testid=grid]', '64');
    await page.waitForFunction(() => location.hash.includes('grid=64'));
    await page.waitForTimeout(500);
    const regridded = await status(page);
    assert(regridded.step === trained.step && regridded.state === 'done' && regridded.train === trained.train,
      `grid change retrained: ${JSON.stringify([trained, regridded])}`);
    // Drawing: a click adds a training point and the link records it; shift-click erases it.
    const before = (await page.textContent('[data-testid=point-count]')) ?? '';
    await page.click('[data-testid=boundary]', { position: { x: 240, y: 240 } });
    await page.waitForFunction(() => location.hash.includes('add='));
    assert((await page.textContent('[data-testid=point-count]')) !== before, 'point count did not change');
    await page.click('[data-testid=boundary]', { position: { x: 240, y: 240 }, modifiers: ['Shift'] });
    await page.waitForFunction(() => !location.hash.includes('add='));
    assert((await page.textContent('[data-testid=point-count]')) === before, 'erasing did not restore the point count');
    // A parameter change mid-run resets cleanly: the step count starts again and the old loop is gone.
    await page.selectOption('[data-testid=model]', 'mlp');
    await page.fill('[data-testid=steps]', '100000');
    await page.press('[data-testid=steps]', 'Enter');
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=status]').dataset.step) > 200);
    const beforeChange = await status(page);
    await page.selectOption('[data-param=act]', 'tanh');
    const afterChange = await status(page);
    assert(afterChange.step < beforeChange.step && afterChange.state === 'training', `after a change: ${JSON.stringify([beforeChange, afterChange])}`);
    assert(page.url().includes('act=tanh'), 'the link follows the change');
    await page.click('[data-testid=pause]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').dataset.state === 'idle');
    const paused = await status(page);
    await page.waitForTimeout(1000);
    const later = await status(page);
    assert(later.step === paused.step && later.state === 'idle', `something kept training after pause: ${JSON.stringify([paused, later])}`);
    // A tampered link: defaults plus visible notes, and the page still trains.
    // (Fresh pages: on a hash change the page rewrites the hash with what it accepted.)
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${origin}/#model=nope&n=abc&lr=-3&dataset=%3Cscript%3Ealert(1)%3C%2Fscript%3E&play=1&steps=20`);
    s = await waitFinished(page, 60_000);
    assert(s.state === 'done', `tampered link: ${JSON.stringify(s)}`);
    const notes = await page.textContent('[data-testid=notes]');
    assert(/unknown classifier/.test(notes) && /unknown dataset/.test(notes), `notes: ${notes}`);
    // Diverging learning rate: a clear message, nothing lost.
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${origin}/#dataset=moons&n=200&model=mlp&layers=64,64,64&act=linear&lr=10&opt=sgd&play=1&steps=200`);
    s = await waitFinished(page, 120_000);
    assert(s.state === 'error', `a learning rate of 10 should diverge: ${JSON.stringify(s)}`);
    const err = await page.textContent('[data-testid=error]');
    assert(/diverged/i.test(err), `error text: ${err}`);
    assert(page.url().includes('lr=10') && page.url().includes('layers=64,64,64'), 'settings kept in the link');
    await page.screenshot({ path: path.join(outDir, 'cpu-after.png') });
  } finally { await browser.close(); }
});

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

await test('CSV: a sample through the file input trains and paints; a bad file keeps the previous boundary; the link carries the file', async () => {
  const browser = await launch(false);
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const foreign = watchRequests(page, origin);
    await page.goto(`${origin}/#backend=cpu&model=mlp&steps=150&play=1`);
    await waitFinished(page, 120_000);
    // Upload: the page's file input, as a user would.
    await page.setInputFiles('[data-testid=csv-file]', path.join(repo, 'static/samples/iris.csv'));
    await page.waitForFunction(() => /150 rows/.test(document.querySelector('[data-testid=csv-summary]')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'done', null, { timeout: 120_000 });
    let s = await status(page);
    console.log('     iris:', JSON.stringify(s));
    assert(s.test >= 0.85, `iris test accuracy ${s.test}`);
    const summary = await page.textContent('[data-testid=csv-summary]');
    assert(/3 classes/.test(summary) && /4 features/.test(summary), summary);
    assert(/PCA: PC1/.test(await page.textContent('[data-testid=view-description]')), 'four features are shown on their principal components');
    const shares = await classColourShares(page);
    assert(shares.orange > 0.05 && shares.blue > 0.05, `boundary: ${JSON.stringify(shares)}`);
    const hash = await page.evaluate(() => location.hash);
    assert(/csv=iris.csv/.test(hash) && /csvdata=/.test(hash) && /csvhash=/.test(hash), `link: ${hash.slice(0, 200)}`);
    await page.screenshot({ path: path.join(outDir, 'csv-iris.png') });

    // A malformed file: a clear message, and the previous dataset, model and boundary stay.
    const before = await canvasPixels(page);
    await page.setInputFiles('[data-testid=csv-file]', path.join(repo, 'tests/csv/ragged_short.csv'));
    await page.waitForSelector('[data-testid=csv-error]', { timeout: 10_000 });
    const err = await page.textContent('[data-testid=csv-error]');
    assert(/Row 3 has 2 fields/.test(err), `error: ${err}`);
    await page.waitForTimeout(500);
    assert((await canvasPixels(page)) === before, 'the boundary changed after a bad file');
    assert((await status(page)).state === 'done' && /150 rows/.test(await page.textContent('[data-testid=csv-summary]')), 'previous data kept');
    // A label with hundreds of classes: the column is named; nothing is lost either.
    await page.setInputFiles('[data-testid=csv-file]', path.join(repo, 'tests/csv/many_classes.csv'));
    await page.waitForFunction(() => /300 distinct values/.test(document.querySelector('[data-testid=csv-error]')?.textContent ?? ''), null, { timeout: 10_000 });
    assert((await canvasPixels(page)) === before, 'the boundary changed after an unusable label');

    // The view: a slice through two features, same model (no retraining).
    await page.setInputFiles('[data-testid=csv-file]', path.join(repo, 'static/samples/iris.csv'));
    await page.waitForFunction(() => !document.querySelector('[data-testid=csv-error]'), null, { timeout: 30_000 });
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'done', null, { timeout: 120_000 });
    const stepBefore = (await status(page)).step;
    await page.selectOption('[data-testid=view-kind]', 'slice');
    await page.waitForFunction(() => /Slice: sepal_length x sepal_width/.test(document.querySelector('[data-testid=view-description]')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.selectOption('[data-testid=view-y]', '2');
    await page.waitForFunction(() => /Slice: sepal_length x petal_length/.test(document.querySelector('[data-testid=view-description]')?.textContent ?? ''), null, { timeout: 10_000 });
    // The axes in the file's units: iris petal lengths run from 1 to 6.9 cm.
    const units = await page.textContent('[data-testid=view-units]');
    const m = /y is petal_length from ([-\d.]*\d) to ([-\d.]*\d)/.exec(units);
    assert(m && Number(m[1]) < 1.0 && Number(m[2]) > 6.9, `units: ${units}`);
    await page.waitForTimeout(500);
    assert((await status(page)).step === stepBefore, 'changing the view retrained the model');
    assert(/view=0,2/.test(await page.evaluate(() => location.hash)), 'the link records the view');

    // The link reproduces it in a fresh page: same file from the link, same accuracy (CPU).
    const link = page.url();
    const trained = await status(page);
    const again = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await again.goto(link.replace('play=0', 'play=1'));
    await again.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'done', null, { timeout: 120_000 });
    const s2 = await status(again);
    assert(s2.test === trained.test && s2.train === trained.train, `link reproduced ${JSON.stringify(s2)} vs ${JSON.stringify(trained)}`);
    assert(/Slice: sepal_length x petal_length/.test(await again.textContent('[data-testid=view-description]')), 'view from the link');

    // A sample with categorical columns and missing cells, from the menu; then drop rows.
    await page.selectOption('[data-testid=dataset]', 'sample:subscriptions.csv');
    await page.waitForFunction(() => /subscriptions.csv/.test(document.querySelector('[data-testid=csv-summary]')?.textContent ?? ''), null, { timeout: 30_000 });
    let sub = await page.textContent('[data-testid=csv-summary]');
    assert(/Missing values/.test(sub) && /imputed/.test(sub), sub);
    await page.selectOption('[data-testid=csv-missing]', 'drop');
    await page.waitForFunction(() => /rows dropped/.test(document.querySelector('[data-testid=csv-summary]')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.screenshot({ path: path.join(outDir, 'csv-subscriptions.png') });

    // Paste.
    await page.click('details.paste summary');
    await page.fill('[data-testid=csv-paste]', 'a;b;label\n1,5;2;x\n2,5;1;y\n3,5;4;x\n0,5;3;y\n');
    await page.click('[data-testid=csv-paste-use]');
    await page.waitForFunction(() => /pasted.csv/.test(document.querySelector('[data-testid=csv-summary]')?.textContent ?? ''), null, { timeout: 10_000 });
    // A link that names a file by its hash (as for files too large to embed) asks for it and
    // refuses any other file.
    const irisHash = /csvhash=([0-9a-f]{32})/.exec(link)[1];
    const ask = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await ask.goto(`${origin}/#backend=cpu&csv=iris.csv&csvhash=${irisHash}&view=pca&steps=150&play=1`);
    await ask.waitForSelector('[data-testid=csv-ask]', { timeout: 30_000 });
    await ask.setInputFiles('[data-testid=csv-file]', path.join(repo, 'static/samples/wine.csv'));
    await ask.waitForFunction(() => /not the file this link was made with/.test(document.querySelector('[data-testid=csv-error]')?.textContent ?? ''), null, { timeout: 10_000 });
    await ask.setInputFiles('[data-testid=csv-file]', path.join(repo, 'static/samples/iris.csv'));
    await ask.waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'done', null, { timeout: 120_000 });
    assert(!(await ask.$('[data-testid=csv-ask]')), 'still asking after the right file');
    assert(foreign.length === 0, `requests left the origin: ${foreign}`);
  } finally { await browser.close(); }
});

server.close();
const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
