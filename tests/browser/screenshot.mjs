// Opens a page in headless Chromium (WebGPU on), waits until training is done, saves a PNG.
//   node tests/browser/screenshot.mjs <url> <out.png>      (FULL=1: the whole page, not the viewport)
import { chromium } from 'playwright-core';

const [url, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-gpu-sandbox', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
const t0 = Date.now();
await page.goto(url);
await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid=status]')?.dataset.state),
  null, { timeout: 15 * 60_000, polling: 250 });
const s = await page.$eval('[data-testid=status]', (el) => ({ ...el.dataset }));
console.log(JSON.stringify({ ...s, seconds: (Date.now() - t0) / 1000 }));
await page.screenshot({ path: out, fullPage: process.env.FULL === "1" });
await browser.close();
