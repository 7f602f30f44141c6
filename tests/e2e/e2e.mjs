// End-to-end test of the built site in Debian's headless Chromium, driven by
// playwright-core (no browser download). Expects the URL of a server that
// serves dist/ (scripts/e2e.sh starts one on loopback). Plays the incident,
// checks what a reader would check, saves a screenshot of each panel and
// measures frame times and time to interactive (tests/e2e/out/perf.json).
import { chromium } from '../../tools/node_modules/playwright-core/index.mjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const base = (process.argv[2] || 'http://127.0.0.1:8181/').replace(/\/$/, '') + '/';
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

const shot = async (sel, name) => {
  const el = await page.$(sel);
  if (el) await el.screenshot({ path: path.join(out, `${name}.png`) });
  else check(false, `panel ${sel} exists for its screenshot`);
};
const caughtUp = async (timeout = 60000) => {
  await page.waitForFunction(() => !document.querySelector('.progress'), null, { timeout, polling: 200 });
};
const perf = {};

// 1. Time to an interactive page.
const t0 = Date.now();
await page.goto(base);
await page.waitForSelector('#play', { timeout: 15000 });
await page.waitForFunction(() => document.querySelector('#topology')?.width > 0, null, { timeout: 15000 });
perf.interactive_ms = Date.now() - t0;
perf.navigation_to_interactive_ms = await page.evaluate(() => performance.now());
console.log(`interactive after ${perf.interactive_ms} ms (page clock ${perf.navigation_to_interactive_ms.toFixed(0)} ms)`);

// 2. Frame times while playing at 1x and 10x (topology, log and charts on screen).
// Each frame's interval, and whether the engine was behind the page's clock
// then (the transport shows "simulating…" until it catches up).
const frames = async (ms) => page.evaluate((ms) => new Promise((res) => {
  const d = []; let behind = 0; let last = performance.now(); const end = last + ms;
  const f = (t) => {
    d.push(t - last); last = t;
    if (document.querySelector('.transport .progress')) behind += 1;
    if (t < end) requestAnimationFrame(f); else res({ d, behind });
  };
  requestAnimationFrame(f);
}), ms);
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : NaN; };
for (const speed of [1, 10]) {
  await page.goto(`${base}?t=120&speed=${speed}`);
  await page.waitForSelector('#play');
  await caughtUp();
  await page.click('#play');
  await page.evaluate(() => {
    window.__frameCosts = []; window.__chartCosts = [];
    // Count the page's scrollTop writes (each can force a layout), and
    // those that no re-render asked for: the loop's re-renders leave their
    // cost in this frame's or the last frame's __frameCosts entry, and the
    // log writes at the start of the frame after it renders.
    window.__scrollWrites = 0;
    window.__unaskedScrollWrites = 0;
    const d = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTop');
    Object.defineProperty(Element.prototype, 'scrollTop', {
      get() { return d.get.call(this); },
      set(v) {
        window.__scrollWrites += 1;
        const c = window.__frameCosts;
        const rendered = (k) => c.length >= k && c[c.length - k][2] > 0;
        if (!rendered(1) && !rendered(2)) window.__unaskedScrollWrites += 1;
        d.set.call(this, v);
      },
      configurable: true,
    });
  });
  const engineAt = () => page.evaluate(() => [performance.now(), Number(document.querySelector('#sim-time').dataset.engineS)]);
  const [w0, s0] = await engineAt();
  const { d, behind } = await frames(6000);
  const [w1, s1] = await engineAt();
  const costs = await page.evaluate(() => window.__frameCosts || []);
  const charts = await page.evaluate(() => window.__chartCosts || []);
  const renders = costs.map((c) => c[2] || 0).filter((x) => x > 0);
  const checkpoints = await page.evaluate(() => window.__checkpointCosts || []);
  const scrollWrites = await page.evaluate(() => window.__scrollWrites);
  const unasked = await page.evaluate(() => window.__unaskedScrollWrites);
  await page.click('#play');
  // The log follows the clock with one write after each of the loop's
  // re-renders (every 200 ms, and when the "simulating…" indicator comes or
  // goes, which at 10x can be several frames in a row), not one per frame
  // of its own (its scroll echo re-rendered it: about 250 writes in 6 s at
  // 1x). One write may be pending from before the count started.
  check(unasked <= 1, `the event log writes its scroll position only after a re-render at ${speed}x (${unasked} of ${scrollWrites} writes in 6 s without one)`);
  perf[`log_scroll_writes_${speed}x`] = scrollWrites;
  perf[`engine_ms_median_${speed}x`] = +quantile(costs.map((c) => c[0]), 0.5).toFixed(2);
  // The event log's scroll write at the start of a frame (and the layout it forces).
  perf[`log_scroll_ms_median_${speed}x`] = +quantile(costs.map((c) => c[3] || 0), 0.5).toFixed(2);
  perf[`log_scroll_ms_p95_${speed}x`] = +quantile(costs.map((c) => c[3] || 0), 0.95).toFixed(2);
  perf[`topology_draw_ms_median_${speed}x`] = +quantile(costs.map((c) => c[1]), 0.5).toFixed(2);
  perf[`topology_draw_ms_p95_${speed}x`] = +quantile(costs.map((c) => c[1]), 0.95).toFixed(2);
  // Component re-renders (every 200 ms while playing) and chart redraws
  // (at most one a frame), each measured where it happens.
  perf[`render_ms_median_${speed}x`] = +quantile(renders, 0.5).toFixed(2);
  perf[`render_ms_p95_${speed}x`] = +quantile(renders, 0.95).toFixed(2);
  perf[`chart_draw_ms_median_${speed}x`] = +quantile(charts, 0.5).toFixed(2);
  perf[`chart_draw_ms_p95_${speed}x`] = +quantile(charts, 0.95).toFixed(2);
  // Checkpoints since the page loaded (catching up to t = 120 s included).
  perf[`checkpoints_${speed}x`] = checkpoints.length;
  perf[`checkpoint_ms_max_${speed}x`] = +quantile(checkpoints, 1).toFixed(2);
  perf[`frame_ms_p95_${speed}x`] = +quantile(d, 0.95).toFixed(2);
  perf[`frame_ms_median_${speed}x`] = +quantile(d, 0.5).toFixed(2);
  perf[`slow_frames_pct_${speed}x`] = +(100 * d.filter((x) => x > 20).length / d.length).toFixed(1);
  perf[`frames_${speed}x`] = d.length;
  perf[`engine_behind_frames_pct_${speed}x`] = +(100 * behind / d.length).toFixed(1);
  // Simulated seconds the engine ran per wall-clock second (the speed it
  // actually achieved; the page's clock runs at `speed`).
  perf[`engine_sim_s_per_s_${speed}x`] = +((s1 - s0) / ((w1 - w0) / 1000)).toFixed(2);
  console.log(`frames at ${speed}x: ${d.length} in 6 s, median ${perf[`frame_ms_median_${speed}x`]} ms, p95 ${perf[`frame_ms_p95_${speed}x`]} ms`);
}

// 3. The incident at the height of the rollout.
await page.goto(`${base}?t=175`);
await page.waitForSelector('#play');
await caughtUp();
const fill = Number(await page.getAttribute('#topology', 'data-vpc-fill'));
check(fill >= 0.99, `the VPC conntrack gauge fills (max fill ${fill})`);
await page.click('#next-deleted-syn');
await page.waitForSelector('#fate');
const fate = await page.textContent('#fate');
check(fate.includes('martian (rp_filter, no_addr)'), `a dropped SYN shows "martian (rp_filter, no_addr)" (got "${fate.trim()}")`);
while (await page.$('#step-next')) await page.click('#step-next');
const verdict = await page.textContent('#verdict');
check(verdict.includes('martian source'), `the step-through ends in the martian drop ("${verdict.trim().slice(0, 60)}…")`);
check((await page.textContent('#why')).includes('Why it was sent'), 'the inspector explains why the SYN was sent');
await page.fill('#log-search', 'rp_filter');
await page.waitForFunction(() => Number(document.querySelector('#log-count').textContent.split(' ')[0]) > 0);
check(true, 'the event log finds martian drops by search');
await page.evaluate(() => window.scrollTo(0, 0));
await page.screenshot({ path: path.join(out, 'viewport.png') });
await shot('.area-topology', 'topology');
await shot('.area-kernel', 'kernel');
await shot('.area-inspector', 'inspector');
await shot('.area-log', 'log');
// node-local-dns's own connections to cluster DNS die at the full VPC table.
await page.fill('#log-search', 'DNS TCP SYN');
await page.waitForFunction(() => Number(document.querySelector('#log-count').textContent.split(' ')[0]) > 0);
const dnsDrop = await page.$('#log .row--drop');
if (dnsDrop) {
  await dnsDrop.click();
  await page.waitForFunction(() => (document.querySelector('#why')?.textContent || '').includes('node-local-dns'));
  await shot('.area-inspector', 'inspector-dns');
}
check(!!dnsDrop, 'a node-local-dns TCP SYN refused by the full VPC table is in the log, and the inspector says why');
await page.fill('#log-search', '');
await page.waitForTimeout(800);
await shot('.area-charts', 'charts');
await shot('.area-controls', 'controls');
await page.screenshot({ path: path.join(out, 'page.png'), fullPage: true });

// 4. Cilium's unreachable route: the node answers with ICMP, as its rate limits allow.
await page.click('#preset-cilium-unreachable-route');
await page.waitForFunction(() => location.search.includes('cilium-unreachable-route'));
await caughtUp();
await page.click('#next-deleted-syn');
await page.waitForSelector('#steps');
while (await page.$('#step-next')) await page.click('#step-next');
const v2 = await page.textContent('#verdict');
check(v2.includes('EHOSTUNREACH'), `with the unreachable route the step-through ends in ip_error ("${v2.trim().slice(0, 50)}…")`);
await page.fill('#log-search', 'ICMP host unreachable sent');
await page.waitForTimeout(500);
const icmpRows = Number((await page.textContent('#log-count')).split(' ')[0]);
const limitedRows = await (async () => { await page.fill('#log-search', 'rate-limited'); await page.waitForTimeout(500); return Number((await page.textContent('#log-count')).split(' ')[0]); })();
check(icmpRows > 0, `the node sends ICMP host unreachable (${icmpRows} sampled SYNs answered)`);
check(limitedRows > icmpRows, `most ICMP errors are rate-limited (${limitedRows} suppressed vs ${icmpRows} sent)`);
await page.fill('#log-search', '');

// 5. The lab terminal answers like the 5.10 kernel.
await page.click('#lab-post');
await page.waitForFunction(() => document.querySelector('#lab-out').textContent.includes('cache iif ens6'));
const lab = await page.textContent('#lab-out');
check(lab.includes('RTNETLINK answers: Invalid cross-device link'), 'the lab prints the EXDEV error, then succeeds after the address');
await shot('.area-lab', 'lab');

// 6. The guided tour and keyboard.
await page.click('#tour-start');
await page.waitForSelector('#tour-title');
check((await page.textContent('#tour-title')).includes('It looks like DNS'), 'the tour starts with the DNS symptoms');
await page.click('#tour-next');
await shot('.tour', 'tour');
await page.keyboard.press('?');
check(!!(await page.$('[aria-label="Keyboard shortcuts"][role="dialog"]')), '"?" shows the shortcuts');
await page.keyboard.press('Escape');

// 7. One panel embedded by iframe-style URL: only that chart.
await page.goto(`${base}?embed=chart:error-rate&t=200`);
await page.waitForSelector('#chart-error-rate');
await caughtUp();
await page.waitForTimeout(600);
check((await page.$$('.chart')).length === 1, 'embed mode shows only the requested chart');
await page.screenshot({ path: path.join(out, 'embed-error-rate.png') });

// 8. Counterfactual: the incident beside the fix, on one clock.
await page.goto(`${base}?t=200&compare=fix-default-backoff`);
await page.waitForSelector('#compare-summary');
await caughtUp();
await page.waitForFunction(() => !document.querySelector('#compare-summary').textContent.includes('catching up'), null, { timeout: 60000, polling: 250 });
const cmp = await page.textContent('#compare-summary');
check(cmp.includes('part at'), `the comparison says where the runs part ("${cmp.match(/The runs part at [^.]*/)?.[0]}")`);
const exceeded = await page.$$eval('.compare__table tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
const row = exceeded.find((r) => r[0].startsWith('conntrack_allowance_exceeded')) || [];
check(Number((row[1] || '').replace(/,/g, '')) > 0 && row[2] === '0', `conntrack_allowance_exceeded: incident ${row[1]}, with the fix ${row[2]}`);
await page.waitForTimeout(1500);
await shot('.area-charts', 'charts-compare');

// 9. A broken link: messages, and the page still works.
await page.goto(`${base}?preset=nope&set=base_delay_ms:0&t=zz`);
await page.waitForSelector('.banner');
check((await page.textContent('.banner')).includes('unknown preset'), 'a broken link explains what was wrong');

check(errors.filter((e) => !e.includes('favicon')).length === 0, `no page errors (${errors.join(' | ')})`);
writeFileSync(path.join(out, 'perf.json'), JSON.stringify(perf, null, 2));
console.log(JSON.stringify(perf));
await browser.close();
if (failures) {
  console.log(`${failures} e2e check(s) failed`);
  process.exit(1);
}
console.log('e2e: all checks passed');
