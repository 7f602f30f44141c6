// End-to-end test of the built site: serves nothing itself; expects the URL of
// a server that serves dist/ (scripts/e2e.sh starts one on loopback). Drives
// Debian's Chromium through playwright-core: clicks, types, reads the DOM,
// saves screenshots into tests/e2e/out/.
import { chromium } from '../../tools/node_modules/playwright-core/index.mjs';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const base = process.argv[2] || 'http://127.0.0.1:8181/';
const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');
mkdirSync(out, { recursive: true });

let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

const t0 = Date.now();
await page.goto(base);
await page.waitForSelector('#play', { timeout: 15000 });
console.log(`interactive after ${Date.now() - t0} ms`);

// The lab panel answers like a real 5.10 node.
const lab = await page.textContent('#lab-out');
check(lab.includes('RTNETLINK answers: Invalid cross-device link'), 'lab panel shows the EXDEV answer');

// Play moves the clock; pause stops it.
const t1 = await page.textContent('#sim-time');
await page.click('#play');
await page.waitForTimeout(400);
const t2 = await page.textContent('#sim-time');
check(t1 !== t2, `clock advances while playing (${t1.trim()} -> ${t2.trim()})`);
await page.click('#play');
await page.screenshot({ path: path.join(out, 'shell.png'), fullPage: true });

check(errors.filter((e) => !e.includes('favicon')).length === 0, `no page errors (${errors.join(' | ')})`);
await browser.close();
if (failures) {
  console.log(`${failures} e2e check(s) failed`);
  process.exit(1);
}
console.log('e2e: all checks passed');
