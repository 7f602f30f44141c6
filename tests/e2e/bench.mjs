// The page's speed beside the native engine's, in interleaved pairs on one
// machine (scripts/bench-page.sh): the whole run of a preset in the page
// (from asking to the last chunk in the page's record, `window.__runMs`)
// and in its Web Worker alone (from the worker reading the request to its
// last slice, `window.__workerRunMs`), each against `incident-sim bench
// --runs 1` of the same preset, plus the largest renderer process's memory
// (the page's, with its workers) once the run and its checkpoints are held,
// and the same run again after a change (to `fix-default-backoff` and back,
// with the page's preset buttons): the worker's run every change after the
// first load gets, its module compiled and its memory already grown.
// Prints one JSON object.
import { chromium } from '../../tools/node_modules/playwright-core/index.mjs';
import { rendererMb } from './rss.mjs';
import { execFileSync } from 'node:child_process';

const [base, bin, preset = 'incident', pairsArg = '5'] = process.argv.slice(2);
const pairs = Number(pairsArg);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const wasm = []; const inWorker = []; const native = []; const ratios = []; const workerRatios = []; const mem = [];
const rerun = []; const rerunRatios = [];
const runs = (page, n) => page.waitForFunction((n) => (window.__workerRunMs || []).length >= n
  && document.querySelector('#sim-time')?.dataset.finished === 'true', n, { timeout: 120000, polling: 50 });
for (let i = 0; i < pairs; i++) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(`${base}?preset=${preset}`);
  await page.waitForFunction(() => document.querySelector('#sim-time')?.dataset.finished === 'true', null, { timeout: 120000, polling: 50 });
  const w = await page.evaluate(() => window.__runMs.slice(-1)[0]);
  const ww = await page.evaluate(() => (window.__workerRunMs || [NaN]).slice(-1)[0]);
  await page.waitForTimeout(500);
  mem.push(rendererMb());
  const other = preset === 'fix-default-backoff' ? 'incident' : 'fix-default-backoff';
  await page.click(`#preset-${other}`);
  await runs(page, 2);
  await page.click(`#preset-${preset}`);
  await runs(page, 3);
  const again = await page.evaluate(() => window.__workerRunMs[2]);
  await page.close();
  const out = execFileSync(bin, ['bench', '--runs', '1', '--json', '--preset', preset]).toString();
  const j = JSON.parse(out);
  const n = 1000 * j.wall_s_median;
  wasm.push(w); inWorker.push(ww); native.push(n); ratios.push(n / w); workerRatios.push(n / ww);
  rerun.push(again); rerunRatios.push(n / again);
  if (i === 0) console.error(`host: ${j.host}; build: ${j.build}`);
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log(JSON.stringify({
  preset, pairs,
  worker_run_ms: wasm.map((x) => Math.round(x)), native_run_ms: native.map((x) => Math.round(x)),
  in_worker_ms: inWorker.map((x) => Math.round(x)),
  in_worker_after_change_ms: rerun.map((x) => Math.round(x)),
  worker_median_ms: Math.round(med(wasm)), in_worker_median_ms: Math.round(med(inWorker)),
  native_median_ms: Math.round(med(native)),
  speed_ratio_median: +med(ratios).toFixed(3), in_worker_ratio_median: +med(workerRatios).toFixed(3),
  in_worker_after_change_median_ms: Math.round(med(rerun)),
  in_worker_after_change_ratio_median: +med(rerunRatios).toFixed(3),
  renderer_rss_mb: mem,
}));
await browser.close();
