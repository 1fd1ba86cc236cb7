import { chromium } from 'playwright-core';
const [url, out, wait] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'] });
const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
page.on('console', (m) => { if (m.type() !== 'debug') console.log('console', m.type(), m.text().slice(0, 400)); });
page.on('pageerror', (e) => console.log('pageerror', e.message.slice(0, 400)));
page.on('crash', () => console.log('CRASH'));
const t0 = Date.now();
await page.goto(url);
try {
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid=status]')?.dataset.state), null, { timeout: Number(wait ?? 120) * 1000, polling: 250 });
} catch (e) { console.log('wait failed', e.message.slice(0, 200)); }
const s = await page.$eval('[data-testid=status]', (el) => ({ ...el.dataset })).catch(() => null);
console.log(JSON.stringify(s), (Date.now() - t0) / 1000, "s");
await page.screenshot({ path: out, fullPage: true }).catch((e) => console.log('shot failed', e.message));
await browser.close();
