// The tab's memory over one run (scripts/bench-memory.sh): loads the page
// at a query, samples the largest renderer process's resident memory (the
// page's, with its Web Workers) every 100 ms until the whole run is known
// and a second after, and prints the peak, the settled figure, the time the
// run took, the same renderer on a blank page first (what any tab costs in
// this browser) and the wasm memories of the worker and the page when the
// run ended (a wasm memory never shrinks: their peaks until then); then
// three seeks off the 100 ms track, which the worker answers by running
// again from a checkpoint, and the peak including them. One JSON object
// (MEM_SAMPLES=1 also prints every sample to stderr).
import { chromium } from '../../tools/node_modules/playwright-core/index.mjs';
import { rendererMb } from './rss.mjs';

const [base, query = '', timeoutArg = '600'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
// The same browser's renderer on a blank page: what any tab costs here.
await page.goto('about:blank');
await page.waitForTimeout(500);
const blank = rendererMb();
let peak = 0;
const samples = [];
const sampler = setInterval(() => { const m = rendererMb(); samples.push(m); peak = Math.max(peak, m); }, 100);
const t0 = Date.now();
await page.goto(`${base}${query}`);
// A long run waits for the reader's go-ahead.
const go = await page.waitForSelector('#run-long-go', { timeout: 3000 }).catch(() => null);
if (go) await go.click();
await page.waitForFunction(() => document.querySelector('#sim-time')?.dataset.finished === 'true', null, { timeout: Number(timeoutArg) * 1000, polling: 200 });
const runS = (Date.now() - t0) / 1000;
await page.waitForTimeout(1000);
const settled = rendererMb();
const wasmMb = await page.evaluate(() => ({
  worker: (window.__workerWasmMb || [NaN]).slice(-1)[0],
  page: (window.__pageWasmMb || [NaN]).slice(-1)[0],
}));
// Seeks once the run is known: to a time on the scrubber, then (the arrow
// key) to the next sampled packet, whose time is off the 100 ms track, so
// the worker re-runs from its nearest checkpoint (or the start) to answer.
const peakBeforeSeeks = Math.max(peak, settled);
await page.evaluate(() => { window.__seekMs = []; document.activeElement?.blur(); });
for (const t of [150.1, 450.1, 800.1]) {
  await page.$eval('#scrubber', (el, t) => { el.value = String(t); el.dispatchEvent(new Event('input', { bubbles: true })); }, t);
  const n = await page.evaluate(() => window.__seekMs.length);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((n) => window.__seekMs.length > n
    && document.querySelector('#topology')?.dataset.exact === 'true', n, { timeout: 120000, polling: 50 }).catch(() => null);
}
await page.waitForTimeout(500);
const seekMs = await page.evaluate(() => window.__seekMs.map((x) => Math.round(x)));
clearInterval(sampler);
peak = Math.max(peak, settled, rendererMb());
if (process.env.MEM_SAMPLES) console.error(samples.join(" "));
console.log(JSON.stringify({ query, renderer_blank_mb: blank, run_s: +runS.toFixed(1), renderer_peak_mb: peakBeforeSeeks, renderer_settled_mb: settled,
  worker_wasm_mb: Math.round(wasmMb.worker), page_wasm_mb: Math.round(wasmMb.page),
  seek_ms: seekMs, renderer_peak_with_seeks_mb: peak }));
await browser.close();
