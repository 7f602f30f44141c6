// End-to-end test of the built site in Debian's headless Chromium, driven by
// playwright-core (no browser download). Expects the URL of a server that
// serves dist/ (scripts/e2e.sh starts one on loopback). The engine runs in a
// Web Worker: every check waits for the whole run to be known, then checks
// what a reader would check, that panels agree with each other and with a
// fresh load, saves screenshots and measures the page (tests/e2e/out/perf.json).
import { chromium } from '../../tools/node_modules/playwright-core/index.mjs';
import { rendererMb } from './rss.mjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
// Every request the page and its workers make, to check none leaves the origin.
const requests = [];
page.context().on('request', (r) => requests.push(r.url()));
const served = await (await fetch(base)).headers.get('content-security-policy');
// CSP violations, reported by the page and its workers.
await page.addInitScript(() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
});
// Long tasks on the page's thread, from the first script on.
await page.addInitScript(() => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) { window.__longTasks = null; }
});

const shot = async (sel, name) => {
  const el = await page.$(sel);
  if (el) await el.screenshot({ path: path.join(out, `${name}.png`) });
  else check(false, `panel ${sel} exists for its screenshot`);
};
// The whole run is known (and, with `charts`, every chart drawn from it).
const known = async (timeout = 60000) => {
  await page.waitForFunction(() => document.querySelector('#sim-time')?.dataset.finished === 'true', null, { timeout, polling: 100 });
};
const chartsDone = async (timeout = 60000) => {
  await page.waitForFunction(() => {
    const c = [...document.querySelectorAll('.chart canvas')];
    return c.length > 0 && c.every((x) => x.dataset.state === 'done');
  }, null, { timeout, polling: 100 });
};
const pixels = () => page.$$eval('.chart canvas', (cs) => cs.map((c) => c.toDataURL()));
// The clock reads `t = m:ss` (`h:mm:ss` from an hour), tenths when not whole.
const clockS = async () => {
  const m = (await page.textContent('#sim-time')).match(/t = (?:(\d+):)?(\d+):(\d\d(?:\.\d)?)$/);
  return m ? Number(m[1] || 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
};
// axe-core (tools/package.json, installed by scripts/setup.sh from the lock
// file; nothing is fetched at run time). The page's CSP (script-src 'self')
// blocks an inline <script>, so page.addScriptTag({content}) would fail; the
// source is evaluated through the DevTools protocol instead (page.evaluate of
// a string: Runtime.evaluate, which CSP does not govern). The page checked is
// then the page as served, under its real CSP, not a copy in a context with
// bypassCSP, and the CSP-violation check at the end still covers it.
const axeSource = readFileSync(path.join(here, '../../tools/node_modules/axe-core/axe.min.js'), 'utf8');
// Runs axe on the whole document in the light and the dark scheme; any
// violation of impact serious or critical fails, named with its targets.
const axeCheck = async (what, shotName) => {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    // The charts redraw in the scheme's theme; axe reads the DOM's colours.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
      .violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })));
    const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const minor = found.filter((v) => !bad.includes(v)).map((v) => `${v.id} (${v.impact})`);
    if (shotName) {
      // The charts redraw in the scheme's theme when the system switches
      // (one a frame; the last one's background is checked), then a look.
      const redrawn = await page.waitForFunction((dark) => {
        const cs = [...document.querySelectorAll('.chart canvas')];
        const c = cs[cs.length - 1];
        if (!c) return false;
        const [r, g, b] = c.getContext('2d').getImageData(2, 2, 1, 1).data;
        return dark ? r + g + b < 150 : r + g + b > 600;
      }, scheme === 'dark', { timeout: 5000, polling: 50 }).then(() => true, () => false);
      check(redrawn, `${what}: switched to the ${scheme} scheme, the charts are redrawn on its background`);
      await page.screenshot({ path: path.join(out, `${shotName}-${scheme}.png`) });
    }
    check(bad.length === 0, `axe, ${what}, ${scheme} scheme: no serious or critical violation`
      + (bad.length ? `: ${bad.map((v) => `${v.id} (${v.impact}) at ${v.targets.slice(0, 5).join(', ')}${v.targets.length > 5 ? ` and ${v.targets.length - 5} more` : ''}`).join('; ')}` : '')
      + (minor.length ? ` [minor: ${minor.join(', ')}]` : ''));
  }
  await page.emulateMedia({ colorScheme: null });
};
const perf = {};
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : NaN; };

// 1. A fresh load: interactive at once, the whole run computed in the worker
// (the page's own start-up tasks are reported; section 4 checks that a run
// computed after a change leaves the page's thread free).
let t0 = Date.now();
await page.goto(base);
await page.waitForSelector('#play', { timeout: 15000 });
await page.waitForFunction(() => document.querySelector('#topology')?.width > 0, null, { timeout: 15000 });
perf.interactive_ms = Date.now() - t0;
await known();
perf.whole_run_known_ms = Date.now() - t0;
perf.worker_run_ms = +(await page.evaluate(() => (window.__runMs || []).slice(-1)[0])).toFixed(0);
const longTasks = await page.evaluate(() => window.__longTasks);
check(Array.isArray(longTasks), 'the Long Tasks API is available');
perf.long_task_ms_max_at_load = longTasks && longTasks.length ? +Math.max(...longTasks).toFixed(0) : 0;
// The worker's own figures: its run from reading the request to the last
// slice, and both wasm memories when the run ended.
const own = await page.evaluate(() => [window.__workerRunMs, window.__workerWasmMb, window.__pageWasmMb].map((a) => (a || [NaN]).slice(-1)[0]));
perf.in_worker_run_ms = Math.round(own[0]);
perf.worker_wasm_mb = Math.round(own[1]);
perf.page_wasm_mb = Math.round(own[2]);
check(own.every((x) => x > 0), `the worker reports its run time and both wasm memories (run ${Math.round(own[0])} ms; worker ${Math.round(own[1])} MB, page ${Math.round(own[2])} MB)`);
// At t = 0 the moment track brings the exact state: a fresh load asks the
// worker no question (one makes it build a second copy of the simulation).
const asked = await page.evaluate(() => (window.__seekMs || []).length);
check(asked === 0, `a fresh load at t = 0 asks the worker for no exact moment (${asked} asked)`);
console.log(`interactive after ${perf.interactive_ms} ms; whole run known after ${perf.whole_run_known_ms} ms (worker ${perf.worker_run_ms} ms); long tasks ${JSON.stringify(longTasks)}`);
await chartsDone();
await axeCheck('the whole page at load, the run known', 'load');

// 2. The scrubber carries the whole run's notable events; `n` goes to the
// rollout's start, then to the first pod deletion.
const marks = await page.$$eval('#scrubber-marks .mk', (ms) => ms.map((m) => [m.className, Number(m.dataset.at)]));
check(marks.length > 10 && marks.some((m) => m[0].includes('mk--delete')) && marks.some((m) => m[0].includes('mk--conntrack')),
  `at t = 0 the scrubber marks the whole run (${marks.length} marks, deletions and the full VPC table among them)`);
const rollout = marks.find((m) => m[0].includes('mk--rollout'));
const firstDelete = marks.find((m) => m[0].includes('mk--delete'));
await page.keyboard.press('n');
await page.waitForTimeout(200);
const n1 = await clockS();
await page.keyboard.press('n');
await page.waitForTimeout(200);
const n2 = await clockS();
check(rollout && Math.abs(n1 - rollout[1]) < 0.06, `n from t = 0 goes to the rollout's start (${n1} s, the mark says ${rollout?.[1]})`);
check(firstDelete && Math.abs(n2 - firstDelete[1]) < 0.06, `then n goes to the first pod deletion (${n2} s, the mark says ${firstDelete?.[1]})`);

// 2b. The story header: what happened, its source (links only to documented
// addresses, opened apart), and "Show me the moment": on a phone, the clock
// goes to a SYN to a deleted pod dropped by rp_filter before 3:00, the
// inspector shows it and the kernel panel, scrolled into view, its walk.
const storyText = await page.textContent('.story');
const links = await page.$$eval('.story__cite a', (as) => as.map((a) => [a.href, a.rel, a.target]));
check(/rollout/.test(storyText) && /gRPC/.test(storyText) && storyText.includes('ens6') && /reverse-path filter/.test(storyText)
  && /connection-tracking/.test(storyText) && /DNS/.test(storyText),
  'the story header says what happened: rollout, gRPC reconnects, ens6 and the reverse-path filter, VPC conntrack, DNS');
check(storyText.includes('except when it\'s not') && storyText.includes('Laurent Bernaille') && storyText.includes('David Lentz')
  && storyText.includes('13 April 2022') && storyText.includes('Datadog'), 'the story header cites the post by title, authors and date');
check(links.length === 2 && links[0][0] === 'https://www.usenix.org/conference/srecon23americas/presentation/malla'
  && links[1][0] === 'https://github.com/cilium/cilium/issues/13451' && links.every((l) => l[1] === 'noopener' && l[2] === '_blank'),
  `the story header links the SREcon23 talk and the Cilium issue, rel="noopener" (${JSON.stringify(links)})`);
await page.setViewportSize({ width: 390, height: 844 });
await page.evaluate(() => window.scrollTo(0, 0));
await page.click('#story-moment');
await page.waitForSelector('#fate', { timeout: 10000 });
const momentS = await clockS();
const momentFate = await page.textContent('#fate');
const momentSrc = (await page.textContent('#inspector-fields tr:nth-child(2) td')).trim();
const momentKind = (await page.textContent('#inspector-fields tr:nth-child(1) td')).trim();
check(momentS >= 120 && momentS < 180 && momentFate.includes('martian (rp_filter, no_addr)') && momentKind.includes('SYN'),
  `"Show me the moment" sets the clock before 3:00 (${momentS} s) and selects a SYN (${momentKind}) dropped by rp_filter ("${momentFate.trim()}")`);
await page.waitForSelector('#verdict', { timeout: 30000 });
const momentInView = await page.waitForFunction(() => {
  const k = document.querySelector('#panel-kernel').getBoundingClientRect();
  const v = document.querySelector('#verdict').getBoundingClientRect();
  return k.top >= 0 && k.top < innerHeight / 2 && document.querySelectorAll('#steps .step').length > 3 && v.top < innerHeight * 3;
}, null, { timeout: 5000, polling: 50 }).then(() => true, () => false);
const momentPacket = await page.textContent('.kernel__packet');
const momentVerdict = await page.textContent('#verdict');
check(momentInView && momentPacket.includes(momentSrc) && momentVerdict.includes('martian source'),
  `the kernel panel scrolls into view and walks the same SYN (${momentSrc}) to its martian drop (in view: ${momentInView})`);
await page.screenshot({ path: path.join(out, 'story-moment-390x844.png') });
await page.setViewportSize({ width: 1440, height: 1000 });
await page.evaluate(() => window.scrollTo(0, 0));
await shot('.story', 'story');

// 3. Frame times while playing at 1x and 10x (topology, log and charts on screen).
const frames = async (ms) => page.evaluate((ms) => new Promise((res) => {
  const d = []; let last = performance.now(); const end = last + ms;
  const f = (t) => { d.push(t - last); last = t; if (t < end) requestAnimationFrame(f); else res(d); };
  requestAnimationFrame(f);
}), ms);
for (const speed of [1, 10]) {
  await page.goto(`${base}?t=120&speed=${speed}`);
  await known();
  await chartsDone();
  await page.click('#play');
  await page.evaluate(() => {
    window.__frameCosts = []; window.__chartCosts = []; window.__longTasks = [];
    window.__scrollWrites = 0;
    const d = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTop');
    Object.defineProperty(Element.prototype, 'scrollTop', {
      get() { return d.get.call(this); },
      set(v) { window.__scrollWrites += 1; d.set.call(this, v); },
      configurable: true,
    });
  });
  const s0 = await clockS();
  const d = await frames(6000);
  const s1 = await clockS();
  const costs = await page.evaluate(() => window.__frameCosts || []);
  const charts = await page.evaluate(() => window.__chartCosts || []);
  const scrollWrites = await page.evaluate(() => window.__scrollWrites);
  await page.click('#play');
  perf[`log_scroll_writes_${speed}x`] = scrollWrites;
  perf[`topology_draw_ms_median_${speed}x`] = +quantile(costs.map((c) => c[1]), 0.5).toFixed(2);
  perf[`topology_draw_ms_p95_${speed}x`] = +quantile(costs.map((c) => c[1]), 0.95).toFixed(2);
  perf[`chart_draws_while_playing_${speed}x`] = charts.length;
  perf[`frame_ms_p95_${speed}x`] = +quantile(d, 0.95).toFixed(2);
  perf[`frame_ms_median_${speed}x`] = +quantile(d, 0.5).toFixed(2);
  perf[`slow_frames_pct_${speed}x`] = +(100 * d.filter((x) => x > 20).length / d.length).toFixed(1);
  perf[`frames_${speed}x`] = d.length;
  perf[`sim_s_per_s_${speed}x`] = +((s1 - s0) / 6).toFixed(2);
  console.log(`frames at ${speed}x: ${d.length} in 6 s, median ${perf[`frame_ms_median_${speed}x`]} ms, p95 ${perf[`frame_ms_p95_${speed}x`]} ms; the clock ran ${perf[`sim_s_per_s_${speed}x`]} s/s`);
  check(charts.length === 0, `playing at ${speed}x redraws no chart (the cursor moves over them): ${charts.length} redraws`);
}

// 4. Paused at t = 200, a preset or a backoff field changes: every chart's
// pixels equal those of a fresh load of the resulting URL.
for (const [what, act] of [
  ['choosing fix-default-backoff', async () => page.click('#preset-fix-default-backoff')],
  ['editing a backoff field', async () => {
    await page.click('button.group__head:has-text("gRPC clients")').catch(() => {});
    await page.$eval('#param-base_delay_ms', (el) => { el.value = '1000'; el.dispatchEvent(new Event('change', { bubbles: true })); });
  }],
]) {
  await page.goto(`${base}?t=200`);
  await known();
  await chartsDone();
  await page.waitForTimeout(300);
  await page.evaluate(() => { window.__longTasks = []; });
  const t1 = Date.now();
  await act();
  // The page's own response to the click (re-rendering the controls) is
  // reported apart; what is checked is the run being computed and drawn.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const clickTasks = await page.evaluate(() => { const t = window.__longTasks; window.__longTasks = []; return t; });
  perf[`click_task_ms_max (${what})`] = clickTasks.length ? +Math.max(...clickTasks).toFixed(0) : 0;
  await page.waitForFunction(() => document.querySelector('#sim-time')?.dataset.finished !== 'true', null, { timeout: 5000, polling: 20 }).catch(() => {});
  await known();
  await chartsDone();
  perf[`change_to_all_charts_ms (${what})`] = Date.now() - t1;
  const lt = await page.evaluate(() => window.__longTasks);
  perf[`long_task_ms_max (${what})`] = lt.length ? +Math.max(...lt).toFixed(0) : 0;
  check(lt.every((d) => d <= 50), `${what}: the whole new run is computed and drawn with no task over 50 ms on the page's thread (${lt.map((d) => d.toFixed(0)).join(', ') || 'none'})`);
  const after = await pixels();
  const url = page.url();
  await page.goto(url);
  await known();
  await chartsDone();
  const fresh = await pixels();
  const same = after.length === fresh.length && after.every((p, i) => p === fresh[i]);
  check(same && after.length === 12, `paused at t = 200, ${what}: all ${after.length} charts equal a fresh load of ${url.replace(base, '')} (${after.filter((p, i) => p !== fresh[i]).length} differ)`);
}

// 4b. The Assumptions panel: each assumption marks the charts that rest on
// it, and one click reruns the scenario with it at an end of its range.
await page.goto(`${base}?t=300`);
await known();
await chartsDone();
const badges = await page.$$eval('#chart-nodelocaldns-rejects .badge', (bs) => bs.map((b) => b.textContent));
check(badges.some((b) => b.includes('vpc_sweep_ms')), `the node-local-dns rejects chart is marked with the assumption it rests on (${badges.join(', ')})`);
const rejectsBefore = await page.$eval('#chart-nodelocaldns-rejects canvas', (c) => c.toDataURL());
await page.click('#assume-vpc_sweep_ms-low');
await page.waitForFunction(() => location.search.includes('vpc_sweep_ms:0'));
await known();
await chartsDone();
const rejectsAfter = await page.$eval('#chart-nodelocaldns-rejects canvas', (c) => c.toDataURL());
const changedMark = await page.$eval('#assumption-vpc_sweep_ms', (e) => e.className.includes('assumption--changed'));
check(changedMark && rejectsAfter !== rejectsBefore, 'flipping vpc_sweep_ms to continuous reclamation reruns the incident and the rejects chart changes');
await shot('.area-assumptions', 'assumptions');

// 4c. Simulated time is printed one way: a chart's read-out under the mouse
// names a moment; a click there takes the clock to it, and the clock then
// reads the same text, with the chart's cursor under the mouse.
await page.goto(`${base}?t=300`);
await known();
await chartsDone();
for (const [id, at] of [['syn-rate', 0.62], ['error-rate', 0.31]]) {
  const canvas = await page.$(`#chart-${id} canvas`);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const mx = box.x + box.width * at;
  const my = box.y + box.height * 0.5;
  await page.mouse.move(mx, my);
  await page.waitForFunction((id) => / — /.test(document.querySelector(`#chart-${id} figcaption`).textContent), id, { timeout: 5000 }).catch(() => {});
  const readout = (await page.textContent(`#chart-${id} figcaption`)).split(' — ')[0].trim();
  await page.mouse.click(mx, my);
  await page.waitForFunction((r) => document.querySelector('#sim-time').textContent === `t = ${r}`, readout, { timeout: 5000 }).catch(() => {});
  const clockText = await page.textContent('#sim-time');
  const cursorX = await page.$eval(`#cursor-${id}`, (c) => { const r = c.getBoundingClientRect(); return r.left + r.width / 2; });
  check(/^\d+:\d\d$/.test(readout) && clockText === `t = ${readout}` && Math.abs(cursorX - mx) <= 3,
    `chart ${id}: the read-out under the mouse ("${readout}") and the clock after a click there ("${clockText}") agree; the cursor is ${(cursorX - mx).toFixed(1)} px from the mouse`);
}

// 5. One truth per packet: for packets of every fate, the log row, the
// inspector and the kernel panel agree, before and after "Go to this
// packet's time".
const fateCases = [
  ['incident', 'martian (rp_filter, no_addr)', 'martian source'],
  ['incident', 'VPC conntrack allowance exceeded', 'Dropped by the VPC'],
  ['incident', 'delivered', 'Forwarded out of lxc'],
  ['cilium-unreachable-route', 'unreachable route: ICMP host unreachable sent', 'Unroutable'],
  ['ens6-address', 'ENI source/destination check', 'Forwarded out of ens5'],
];
const fateView = async () => {
  const fate = (await page.textContent('#fate')).replace('Fate: ', '').trim();
  if (await page.$('#step-next')) await page.click('button:has-text("Show all")');
  await page.waitForSelector('#verdict', { timeout: 30000 });
  const verdict = (await page.textContent('#verdict')).trim();
  // The packet's own row: the log searched for its source address and
  // port (one flow), then the row with its id.
  const id = (await page.textContent('h2:has-text("Packet #")')).match(/#(\d+)/)[1];
  const src = (await page.textContent('#inspector-fields tr:nth-child(2) td')).trim();
  await page.fill('#log-search', src);
  await page.waitForSelector(`#log [data-pkt="${id}"]`, { timeout: 5000 }).catch(() => {});
  const rowEl = await page.$(`#log [data-pkt="${id}"]`);
  const row = rowEl ? await rowEl.textContent() : '(not in view)';
  return { fate, verdict, row };
};
for (const [preset, reason, kernelSays] of fateCases) {
  // Delivered SYNs are the reconnects right after the rollout's GOAWAYs.
  await page.goto(`${base}?preset=${preset}&t=${reason === 'delivered' ? 121 : 260}`);
  await known();
  await page.fill('#log-search', `SYN `);
  await page.fill('#log-search', reason);
  await page.waitForFunction(() => Number(document.querySelector('#log-count').textContent.split(' ')[0]) > 0, null, { timeout: 10000 }).catch(() => {});
  const rows = await page.$$('#log .row');
  let target = null;
  for (const r of rows) {
    const text = await r.textContent();
    if (text.includes('SYN ') && !text.includes('DNS') && text.includes(reason)) { target = r; break; }
  }
  if (!target) { check(false, `${preset}: a SYN "${reason}" in the log`); continue; }
  await target.click();
  await page.waitForSelector('#fate');
  const before = await fateView();
  await page.click('#goto-packet');
  await page.waitForTimeout(300);
  const after = await fateView();
  const ok = (v) => v.fate === reason && v.verdict.includes(kernelSays) && v.row.includes(reason);
  check(ok(before) && ok(after), `${preset}: a SYN "${reason}": log, inspector and kernel panel agree (${kernelSays}), before and after going to its time`
    + (ok(before) && ok(after) ? '' : ` ${JSON.stringify({ before, after })}`));
}

// 6. The incident at the height of the rollout: the gauges, the step-through,
// the inspector, the log; screenshots.
await page.goto(`${base}?t=175`);
await known();
const fill = Number(await page.getAttribute('#topology', 'data-vpc-fill'));
check(fill >= 0.99, `the VPC conntrack gauge fills (max fill ${fill})`);
await page.click('#next-deleted-syn');
await page.waitForSelector('#fate');
const fate = await page.textContent('#fate');
check(fate.includes('martian (rp_filter, no_addr)'), `a dropped SYN shows "martian (rp_filter, no_addr)" (got "${fate.trim()}")`);
await page.waitForSelector('#steps');
let followed = true;
while (await page.$('#step-next')) {
  await page.click('#step-next');
  // The newest step is in view inside the step list, and has the focus.
  followed = followed && await page.$eval('#steps', (ol) => {
    const li = ol.lastElementChild; if (!li) return false;
    const a = ol.getBoundingClientRect(); const b = li.getBoundingClientRect();
    return b.top >= a.top - 1 && b.bottom <= a.bottom + 1 && document.activeElement === li;
  });
}
check(followed, 'the step-through shows (and focuses) its newest step after every click');
const verdict = await page.textContent('#verdict');
check(verdict.includes('martian source'), `the step-through ends in the martian drop ("${verdict.trim().slice(0, 60)}…")`);
// The topology draws the same walk's asymmetry: in on ens6, back by ens5.
const reverse = await page.waitForFunction(() => document.querySelector('#topology')?.dataset.reversePath || null, null, { timeout: 10000 })
  .then((h) => h.jsonValue()).catch(() => '');
check(reverse === 'ens6>ens5', `the topology draws the dropped SYN in on ens6 and the route back by ens5, as its step-through reads (${reverse})`);
// Each gate counts its martian drops: together, every one of the run so far.
const gates = (await page.getAttribute('#topology', 'data-martians')).split(',').map(Number);
check(gates.length === 8 && gates.filter((n) => n > 0).length >= 2 && gates.every((n) => Number.isInteger(n)),
  `the gates count martian drops per node (${gates.join(', ')})`);
check((await page.textContent('#why')).includes('Why it was sent'), 'the inspector explains why the SYN was sent');
await page.fill('#log-search', 'rp_filter');
await page.waitForFunction(() => Number(document.querySelector('#log-count').textContent.split(' ')[0]) > 0);
check(true, 'the event log finds martian drops by search');
await axeCheck('a dropped SYN selected, its step-through shown, the log searched');
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
await chartsDone();
await shot('.area-charts', 'charts');
await shot('.area-controls', 'controls');
await page.screenshot({ path: path.join(out, 'page.png'), fullPage: true });

// 6b. A link carries what the reader set in the panels: the kernel
// what-ifs and step, the log's search and filters. Opened in a new tab, the
// panels show the same thing.
await page.goto(`${base}?t=175`);
await known();
await page.click('#next-deleted-syn');
await page.waitForSelector('#steps');
await page.selectOption('#kt-rp-all', '0');
await page.selectOption('#kt-rp-ens6', '0');
await page.click('#kt-addr');
await page.waitForFunction(() => document.querySelector('#kt-addr')?.checked && document.querySelectorAll('#steps .step').length === 1);
await page.click('#step-next');
await page.click('#step-next');
await page.fill('#log-search', 'rp_filter');
await page.click('#log-events');
await page.click('#log-drops');
await page.waitForFunction(() => {
  const q = new URLSearchParams(location.search);
  return q.get('kt') && q.get('step') === '3' && q.get('q') === 'rp_filter' && q.get('log');
}, null, { timeout: 5000 }).catch(() => {});
const panelsNow = async (pg) => pg.evaluate(() => ({
  rpAll: document.querySelector('#kt-rp-all')?.value,
  rpEns6: document.querySelector('#kt-rp-ens6')?.value,
  addr: document.querySelector('#kt-addr')?.checked,
  unreach: document.querySelector('#kt-unreach')?.checked,
  steps: [...document.querySelectorAll('#steps .step')].map((s) => s.textContent),
  packet: document.querySelector('.kernel__packet')?.textContent,
  inspector: document.querySelector('.area-inspector h2')?.textContent,
  search: document.querySelector('#log-search')?.value,
  filters: ['#log-events', '#log-syn', '#log-replies', '#log-drops'].map((id) => document.querySelector(id)?.checked),
  count: document.querySelector('#log-count')?.textContent,
  rows: [...document.querySelectorAll('#log .row')].map((r) => r.textContent).sort(),
  clock: document.querySelector('#sim-time')?.textContent,
  banner: !!document.querySelector('.banner'),
}));
const set = await panelsNow(page);
const link = page.url();
check(set.rpAll === '0' && set.rpEns6 === '0' && set.addr && set.steps.length === 3 && set.search === 'rp_filter'
  && JSON.stringify(set.filters) === '[false,true,true,true]' && /kt=/.test(link) && /step=3/.test(link) && /q=rp_filter/.test(link) && /log=/.test(link),
  `the URL carries the kernel what-ifs, the step, the log's search and filters (${link.replace(base, '')})`);
const tabContext = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
tabContext.on('request', (r) => requests.push(r.url()));
const tab = await tabContext.newPage();
tab.on('pageerror', (e) => errors.push(String(e)));
tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
await tab.goto(link);
await tab.waitForFunction(() => document.querySelector('#sim-time')?.dataset.finished === 'true', null, { timeout: 60000, polling: 100 });
await tab.waitForFunction(() => document.querySelectorAll('#steps .step').length === 3, null, { timeout: 30000 }).catch(() => {});
await tab.waitForTimeout(300);
const reopened = await panelsNow(tab);
const differs = Object.keys(set).filter((k) => JSON.stringify(set[k]) !== JSON.stringify(reopened[k]));
check(differs.length === 0 && !reopened.banner && reopened.steps.length === 3 && Number(reopened.count.split(' ')[0]) > 0,
  `opened in a new tab, the link shows the same what-ifs, steps, packet, log search, filters and rows`
  + (differs.length ? ` (differs: ${differs.map((k) => `${k}: ${JSON.stringify(set[k])} vs ${JSON.stringify(reopened[k])}`).join('; ')})` : ''));
await tab.screenshot({ path: path.join(out, 'permalink-reopened.png') });
await tabContext.close();

// 7. Seeking once the run is known: on the 100 ms track the state is there at
// once; anywhere else (here: stepping to the next sampled packet, whose time
// is to the microsecond) the worker answers from its nearest checkpoint.
await page.evaluate(() => { window.__seekMs = []; document.activeElement?.blur(); });
let exactSeeks = 0;
const seekTo = [33.3, 412.7, 150.1, 777.7, 5.5, 640.3, 222.2, 899.0];
for (const t of seekTo) {
  await page.$eval('#scrubber', (el, t) => { el.value = String(t); el.dispatchEvent(new Event('input', { bubbles: true })); }, t);
  const grid = await page.waitForFunction(() => document.querySelector('#topology')?.dataset.exact === 'true', null, { timeout: 5000, polling: 10 }).then(() => true, () => false);
  // The step selects the next packet and moves the clock to its time.
  const before = await page.textContent('.area-inspector h2');
  await page.keyboard.press('ArrowRight');
  const off = await page.waitForFunction((b) => document.querySelector('.area-inspector h2').textContent !== b
    && document.querySelector('#topology')?.dataset.exact === 'true', before, { timeout: 5000, polling: 10 }).then(() => true, () => false);
  if (grid && off) exactSeeks += 1;
  else console.log(`  seek to ${t} s: on the track ${grid}, then to the next packet ${off} (${await page.textContent('#sim-time')})`);
}
const seeks = await page.evaluate(() => window.__seekMs || []);
perf.seek_ms_median = +quantile(seeks, 0.5).toFixed(0);
perf.seek_ms_max = +quantile(seeks, 1).toFixed(0);
check(exactSeeks === seekTo.length && seeks.length >= seekTo.length - 1, `${seekTo.length} seeks shown exactly: on the track at once, off it once the worker answered (${seeks.map((x) => x.toFixed(0)).join(', ')} ms)`);

// 8. Cilium's unreachable route: the node answers with ICMP, as its rate limits allow.
await page.click('#preset-cilium-unreachable-route');
await page.waitForFunction(() => location.search.includes('cilium-unreachable-route'));
await known();
await page.click('#next-deleted-syn');
await page.waitForSelector('#steps');
while (await page.$('#step-next')) await page.click('#step-next');
const v2 = await page.textContent('#verdict');
check(v2.includes('EHOSTUNREACH'), `with the unreachable route the step-through ends in ip_error ("${v2.trim().slice(0, 50)}…")`);
await page.$eval('#scrubber', (el) => { el.value = '400'; el.dispatchEvent(new Event('input', { bubbles: true })); });
await page.fill('#log-search', 'ICMP host unreachable sent');
await page.waitForTimeout(500);
const icmpRows = Number((await page.textContent('#log-count')).split(' ')[0]);
const limitedRows = await (async () => { await page.fill('#log-search', 'rate-limited'); await page.waitForTimeout(500); return Number((await page.textContent('#log-count')).split(' ')[0]); })();
check(icmpRows > 0, `the node sends ICMP host unreachable (${icmpRows} sampled SYNs answered)`);
check(limitedRows > icmpRows, `most ICMP errors are rate-limited (${limitedRows} suppressed vs ${icmpRows} sent)`);
await page.fill('#log-search', '');

// 9. The lab terminal answers like the 5.10 kernel.
await page.click('#lab-post');
await page.waitForFunction(() => document.querySelector('#lab-out').textContent.includes('cache iif ens6'));
const lab = await page.textContent('#lab-out');
check(lab.includes('RTNETLINK answers: Invalid cross-device link'), 'the lab prints the EXDEV error, then succeeds after the address');
// The output follows its newest lines: scrolled to the bottom after the
// post's script (longer than the panel), and again after a typed command.
const atBottom = () => page.$eval('#lab-out', (el) => ({
  over: el.scrollHeight > el.clientHeight + 20,
  bottom: el.scrollTop + el.clientHeight >= el.scrollHeight - 2,
  last: el.lastElementChild?.textContent || '',
}));
const labScrolled = await atBottom();
check(labScrolled.over && labScrolled.bottom, `the lab's output, longer than its panel, is scrolled to its newest line after the script (${JSON.stringify(labScrolled)})`);
await page.$eval('#lab-out', (el) => { el.scrollTop = 0; });
await page.fill('#lab-input', 'sysctl net.ipv4.conf.ens6.rp_filter');
await page.press('#lab-input', 'Enter');
await page.waitForFunction(() => (document.querySelector('#lab-out').lastElementChild?.textContent || '').includes('net.ipv4.conf.ens6.rp_filter = 2'), null, { timeout: 5000 }).catch(() => {});
const labTyped = await atBottom();
check(labTyped.bottom && labTyped.last.includes('net.ipv4.conf.ens6.rp_filter = 2'), `after a typed command the output is scrolled to its answer ("${labTyped.last}")`);
await shot('.area-lab', 'lab');

// 10. The guided tour and keyboard. Started on another preset at another
// moment: every step brings its panel into view, the why-chain step has a
// packet to explain, the fix is compared with the incident, and Close puts
// back what was there before.
await page.$eval('#scrubber', (el) => { el.value = '333'; el.dispatchEvent(new Event('input', { bubbles: true })); });
await page.waitForFunction(() => new URLSearchParams(location.search).get('t') === '333');
const beforeTour = new URLSearchParams(new URL(page.url()).search);
await page.click('#tour-start');
await page.waitForSelector('#tour-title');
check((await page.textContent('#tour-title')).includes('It looks like DNS'), 'the tour starts with the DNS symptoms');
const tourPanels = ['charts', 'charts', 'charts', 'charts', 'kernel', 'lab', 'inspector', 'controls', 'charts'];
// The lens each step is seen through: the teams in the order the responders
// looked, then the ground truth (no lens= in the URL) for what nobody saw.
const tourLenses = ['application', 'node-local-dns', 'ena', 'flow-logs', null, 'kernel', null, null, null];
const tourSeen = [];
const tourLensSeen = [];
for (let i = 0; i < tourPanels.length; i++) {
  if (i > 0) await page.click('#tour-next');
  await page.waitForFunction((n) => document.querySelector('#tour-title')?.textContent.startsWith(`${n}.`), i + 1);
  const seen = await page.waitForFunction((id) => {
    const r = document.querySelector(`#panel-${id}`).getBoundingClientRect();
    // Its top below the sticky transport, in the upper part of the window
    // (or the whole panel in view: the last row cannot scroll higher).
    const bar = document.querySelector('.transport').getBoundingClientRect().bottom;
    return r.top >= bar - 2 && (r.top < innerHeight * 0.6 || r.bottom <= innerHeight) && document.querySelector(`#panel-${id}`).classList.contains('panel--focus');
  }, tourPanels[i], { timeout: 5000, polling: 50 }).then(() => true, () => false);
  tourSeen.push(seen ? tourPanels[i] : `${tourPanels[i]} NOT IN VIEW`);
  const lensOk = await page.waitForFunction((want) => new URLSearchParams(location.search).get('lens') === want
    && !document.querySelector('.panel--focus')?.classList.contains('panel--dimmed'), tourLenses[i], { timeout: 5000, polling: 50 }).then(() => true, () => false);
  tourLensSeen.push(`${tourLenses[i] ?? 'truth'}${lensOk ? '' : ' NOT SET'}`);
  if (tourPanels[i] === 'inspector') {
    const why = await page.waitForFunction(() => (document.querySelector('#why')?.children.length || 0) > 2
      && (document.querySelector('#fate')?.textContent || '').includes('rp_filter'), null, { timeout: 10000 }).then(() => true, () => false);
    check(why, 'the tour\'s why-chain step selects a SYN to a deleted pod, and the inspector explains it');
  }
  if (i === tourPanels.length - 1) {
    await page.waitForSelector('#compare-summary', { timeout: 60000 });
    const q = new URLSearchParams(new URL(page.url()).search);
    check(q.get('preset') === 'incident' && q.get('compare') === 'fix-default-backoff'
      && (await page.textContent('#compare-summary')).includes('fix-default-backoff'),
      `the tour's last step compares the incident with the fix (preset=${q.get('preset')}, compare=${q.get('compare')})`);
    await shot('.tour', 'tour');
    await page.screenshot({ path: path.join(out, 'tour-fix.png') });
  }
}
check(tourSeen.every((s) => !s.includes('NOT')), `each of the tour's nine steps brings its panel into view (${tourSeen.join(', ')})`);
check(tourLensSeen.every((s) => !s.includes('NOT')), `the tour walks the lenses in the responders' order, its panel never faded (${tourLensSeen.join(', ')})`);
await axeCheck('the guided tour open');
await page.click('#tour-close');
await page.waitForFunction(() => !document.querySelector('#tour-title'));
await page.waitForFunction(() => !new URLSearchParams(location.search).has('tour'));
const afterTour = new URLSearchParams(new URL(page.url()).search);
check(afterTour.get('preset') === beforeTour.get('preset') && afterTour.get('preset') === 'cilium-unreachable-route'
  && !afterTour.has('compare') && afterTour.get('t') === beforeTour.get('t') && (await clockS()) === 333
  && afterTour.get('lens') === beforeTour.get('lens'),
  `closing the tour puts back the scenario, comparison, clock and lens from before it (${afterTour.toString()})`);
await page.keyboard.press('?');
check(!!(await page.$('[aria-label="Keyboard shortcuts"][role="dialog"]')), '"?" shows the shortcuts');
await axeCheck('the shortcuts dialog open');
await page.keyboard.press('Escape');

// 11. One panel embedded by iframe-style URL: only that chart.
await page.goto(`${base}?embed=chart:error-rate&t=200`);
await page.waitForSelector('#chart-error-rate');
await known();
await chartsDone();
check((await page.$$('.chart')).length === 1 && !(await page.$('.story')), 'embed mode shows only the requested chart (no story header)');
await page.screenshot({ path: path.join(out, 'embed-error-rate.png') });
const fullHref = await page.getAttribute('#embed-full', 'href');
check(!!fullHref && !fullHref.includes('embed') && fullHref.includes('t=200'), `an embed links to the whole page at the same state (${fullHref})`);
// An embedded kernel panel without a packet walks the latest SYN to a deleted pod.
await page.setViewportSize({ width: 640, height: 360 });
await page.goto(`${base}?embed=kernel&t=200`);
await known();
await page.waitForSelector('#steps', { timeout: 30000 });
check((await page.textContent('.kernel__packet')).includes('SYN'), 'embed=kernel with no packet opens on the latest SYN to a deleted pod');
await page.screenshot({ path: path.join(out, 'embed-kernel-640x360.png') });
await page.setViewportSize({ width: 1440, height: 1000 });
// 11b. Every embeddable panel at the Embed snippet's 640×360 and at 480×270:
// no sideways scrolling, the panel's main content in view (not squeezed to
// nothing), and the link to the whole page in view and not covered.
const embedMain = {
  topology: '#topology', controls: '.presets', kernel: '.kernel__packet', inspector: '.embed > .panel > p',
  log: '#log', lab: '#lab-out', charts: '.chart canvas', assumptions: '.assumptions',
};
for (const id of ['error-rate', 'latency', 'nodelocaldns-rejects', 'dns-queries', 'nodelocaldns-healthcheck-failures',
  'throughput', 'tcp-retransmits', 'conntrack-allowance-exceeded', 'vpc-conntrack', 'linux-conntrack', 'flowlog-old-ip', 'syn-rate']) {
  embedMain[`chart:${id}`] = `#chart-${id} canvas`;
}
for (const [panel, main] of Object.entries(embedMain)) {
  await page.setViewportSize({ width: 640, height: 360 });
  await page.goto(`${base}?embed=${panel}&t=200`);
  await known();
  if (panel === 'kernel') await page.waitForSelector('#steps', { timeout: 30000 });
  if (panel.startsWith('chart')) await chartsDone();
  for (const [w, h] of [[640, 360], [480, 270]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const m = await page.evaluate((main) => {
      const se = document.scrollingElement;
      const el = document.querySelector(main);
      const panel = document.querySelector('.embed > .panel');
      const link = document.querySelector('#embed-full');
      const out = { overflow: se.scrollWidth - se.clientWidth, seen: 0, need: 0, link: false };
      if (el && panel) {
        // The part of the content inside both the panel's box (it scrolls)
        // and the frame.
        const a = el.getBoundingClientRect(); const p = panel.getBoundingClientRect();
        const top = Math.max(a.top, p.top, 0); const bottom = Math.min(a.bottom, p.bottom, innerHeight);
        const left = Math.max(a.left, p.left, 0); const right = Math.min(a.right, p.right, innerWidth);
        out.seen = right > left ? Math.max(0, Math.round(bottom - top)) : 0;
        out.need = Math.round(Math.min(a.height, 48));
      }
      if (link) {
        const b = link.getBoundingClientRect();
        const hit = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2);
        out.link = b.height > 0 && b.top >= 0 && b.bottom <= innerHeight && b.left >= 0 && b.right <= innerWidth
          && !!hit && link.contains(hit);
      }
      return out;
    }, main);
    check(m.overflow <= 0 && m.need > 0 && m.seen >= m.need && m.link,
      `embed=${panel} at ${w}×${h}: no sideways scroll (${m.overflow} px over), ${main} in view (${m.seen} px of it), the whole-page link in view (${m.link})`);
    await page.screenshot({ path: path.join(out, `embed-${panel.replace(':', '-')}-${w}x${h}.png`) });
  }
  await axeCheck(`embed=${panel} at 480×270`);
}
await page.setViewportSize({ width: 1440, height: 1000 });
// The Embed button writes the iframe for the highlighted panel and state.
await page.goto(`${base}?t=175&panel=charts`);
await known();
await page.click('#embed');
const snippet = await page.inputValue('#embed-snippet');
check(snippet.startsWith('<iframe') && snippet.includes('embed=charts') && snippet.includes('t=175'), `Embed writes the iframe snippet (${snippet.slice(0, 80)}…)`);
await page.keyboard.press('Escape');
await page.click('.overlay .btn');

// 12. Counterfactual: the incident beside the fix, both computed in
// workers at the same time.
await page.goto(`${base}?t=200&compare=fix-default-backoff`);
await known();
await page.waitForSelector('.compare__table', { timeout: 60000 });
const cmp = await page.textContent('#compare-summary');
check(cmp.includes('part at') && cmp.includes('fix-default-backoff applied alone'), `the comparison says what it compares and where the runs part ("${cmp.match(/The runs part at [^.]*/)?.[0]}")`);
const exceeded = await page.$$eval('.compare__table tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
const row = exceeded.find((r) => r[0].startsWith('conntrack_allowance_exceeded')) || [];
check(Number((row[1] || '').replace(/,/g, '')) > 0 && row[2] === '0', `conntrack_allowance_exceeded: incident ${row[1]}, with the fix ${row[2]}`);
await chartsDone();
await shot('.area-charts', 'charts-compare');
await axeCheck('comparing with fix-default-backoff');

// 13. A broken link: messages, and the page still works.
await page.goto(`${base}?preset=nope&set=base_delay_ms:0&t=zz`);
await page.waitForSelector('.banner');
check((await page.textContent('.banner')).includes('unknown preset'), 'a broken link explains what was wrong');
await known();

// 13b. A setting whose run would take long: the page shows the estimate and
// waits; once asked it runs with progress, and Cancel stops it.
await page.goto(`${base}?set=max_delay_ms:1,base_delay_ms:1`);
await page.waitForSelector('#run-long', { timeout: 15000 });
const longText = await page.textContent('#run-long');
check(longText.includes('max_delay_ms=1') && !(await page.$('#run-progress')), `a long run waits for a go-ahead and names what drives it ("${longText.trim().slice(0, 90)}…")`);
await page.click('#run-long-go');
await page.waitForSelector('#run-progress', { timeout: 15000 });
await page.waitForTimeout(1500);
await page.click('#run-cancel');
await page.waitForSelector('#run-status', { timeout: 5000 });
const cancelled = await page.textContent('#run-status');
check(cancelled.includes('cancelled'), `Cancel stops the run and says so ("${cancelled.trim()}")`);
await page.click('#preset-incident');
await known();
check(true, 'after a cancelled run the page runs the next scenario');

// 13c. Units read as a person reads them, and a phone gets no sideways scroll.
await page.goto(`${base}?t=175`);
await known();
const units = await page.$$eval('.param output', (os) => os.map((o) => o.textContent));
check(units.includes('1.6×') && units.includes('±20 %') && !units.some((u) => u.includes('x1000')), `factors and jitter in their units (${units.filter((u) => /×|%/.test(u)).join(', ')})`);
await page.setViewportSize({ width: 390, height: 844 });
await page.waitForTimeout(500);
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
check(overflow <= 0, `no horizontal overflow at 390 px (${overflow} px)`);
await page.screenshot({ path: path.join(out, 'phone-390x844.png') });
await page.setViewportSize({ width: 1440, height: 1000 });

// ===== 15. Lenses (issue 22): what each team could see. ==============
// This whole block is the lenses' (kept in one piece). For each lens: switch
// to it (the header's choice), check which panels and charts are dimmed
// (faded and inert), that its figures equal the run's own counters (the CSV
// and flow-log downloads of the same moment, made by the worker from its own
// run), that the URL carries lens= and that a fresh load of that URL restores
// it; a screenshot of each.
{
  const lensT = 240;
  const lensLit = {
    application: { panels: [], charts: ['error-rate', 'latency'] },
    'node-local-dns': { panels: [], charts: ['nodelocaldns-rejects', 'dns-queries', 'nodelocaldns-healthcheck-failures'] },
    ena: { panels: [], charts: ['conntrack-allowance-exceeded', 'vpc-conntrack', 'throughput'] },
    'flow-logs': { panels: [], charts: ['flowlog-old-ip'] },
    kernel: { panels: ['lab'], charts: ['tcp-retransmits', 'linux-conntrack'] },
    truth: null,
  };
  const panelIds = ['topology', 'kernel', 'inspector', 'charts', 'log', 'lab', 'controls', 'assumptions'];
  const download = async (sel) => {
    const [d] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(sel)]);
    return { name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8') };
  };
  await page.goto(`${base}?t=${lensT}`);
  await known();
  await page.waitForSelector('#panel-lens[data-whole-run="true"][data-figures*="="]', { timeout: 30000 });
  // The run's own counters up to the moment: every CSV column summed.
  const csv = (await download('#export-csv')).text.trim().split(/\r?\n/);
  const cols = csv[0].split(',');
  const sums = {};
  cols.forEach((c, i) => { sums[c] = csv.slice(1).reduce((a, r) => a + Number(r.split(',')[i] || 0), 0); });
  const flow = (await download('#export-flowlog')).text.trim().split('\n').slice(1);
  const flowSynOnly = flow.filter((l) => l.split(' ')[19] === '2').length;
  const lensState = () => page.evaluate((ids) => ({
    lens: document.querySelector('#panel-lens')?.dataset.lens,
    figures: Object.fromEntries((document.querySelector('#panel-lens')?.dataset.figures || '').split(';').filter(Boolean).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)])),
    inert: Object.fromEntries(ids.map((id) => [id, document.querySelector(`#panel-${id}`)?.hasAttribute('inert')])),
    dimmedLook: ids.filter((id) => Number(getComputedStyle(document.querySelector(`#panel-${id}`)).opacity) < 0.5),
    chartsInert: [...document.querySelectorAll('.chart')].filter((c) => c.hasAttribute('inert')).map((c) => c.id.replace('chart-', '')),
    charts: [...document.querySelectorAll('.chart')].map((c) => c.id.replace('chart-', '')),
    out: [...document.querySelectorAll('.lens__out')].map((p) => p.textContent),
    lensParam: new URLSearchParams(location.search).get('lens'),
  }), panelIds);
  const checkLens = async (name, how) => {
    const s = await lensState();
    const lit = lensLit[name];
    const wantInert = Object.fromEntries(panelIds.map((id) => [id,
      !!lit && !['controls', 'assumptions'].includes(id) && !(id === 'charts' && lit.charts.length) && !lit.panels.includes(id)]));
    const wantCharts = lit ? s.charts.filter((c) => !lit.charts.includes(c)) : [];
    check(s.lens === name && JSON.stringify(s.inert) === JSON.stringify(wantInert)
      && JSON.stringify(s.dimmedLook) === JSON.stringify(panelIds.filter((id) => wantInert[id]))
      && JSON.stringify(s.chartsInert) === JSON.stringify(wantCharts),
      `lens ${name} (${how}): dims and makes inert ${panelIds.filter((id) => s.inert[id]).join(', ') || 'nothing'}; charts dimmed ${s.chartsInert.length}/${s.charts.length}`);
    // Its figures are the run's own counters.
    const f = s.figures;
    const against = Object.keys(f).filter((k) => k in sums);
    const wrong = against.filter((k) => f[k] !== sums[k]).map((k) => `${k} ${f[k]} ≠ CSV ${sums[k]}`);
    let extra = true;
    let what = '';
    if (name === 'flow-logs') {
      extra = f.flowlog_records === flow.length && f.flowlog_syn_only_records === flowSynOnly && f.flowlog_unanswered > 0;
      what = `flow-log download: ${flow.length} records, ${flowSynOnly} SYN-only; lens: ${f.flowlog_records}, ${f.flowlog_syn_only_records}, ${f.flowlog_unanswered} unanswered`;
    } else if (name === 'kernel') {
      const shown = [...s.out[0].matchAll(/TcpExtIPReversePathFilter\s+(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
      extra = shown === sums.martian_drops && shown > 0 && s.out[1].includes('martian source');
      what = `TcpExtIPReversePathFilter over the nodes ${shown}, CSV martian_drops ${sums.martian_drops}`;
    } else if (name === 'ena') {
      const shown = [...s.out[0].matchAll(/conntrack_allowance_exceeded: (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
      extra = shown === sums.conntrack_allowance_exceeded && shown > 0 && s.out[0].includes('conntrack_allowance_available: ');
      what = `conntrack_allowance_exceeded over the nodes ${shown}, CSV ${sums.conntrack_allowance_exceeded}`;
    } else if (name === 'node-local-dns') {
      const shown = [...s.out[1].matchAll(/coredns_forward_max_concurrent_rejects_total (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
      extra = shown === sums.nodelocaldns_rejects && shown > 0 && s.out[0].includes('concurrent queries exceeded maximum');
      what = `coredns_forward_max_concurrent_rejects_total over the nodes ${shown}, CSV ${sums.nodelocaldns_rejects}`;
    } else if (name === 'application') {
      extra = f.request_errors > 0 && s.out[1].includes('level=error') && s.out[2].includes('createTransport');
      what = `request_errors ${f.request_errors}`;
    } else {
      extra = f.martian_drops > 0 && s.out[0].includes('TcpExtIPReversePathFilter');
    }
    check(wrong.length === 0 && (against.length > 0 || name === 'flow-logs') && extra,
      `lens ${name} (${how}): its figures are the run's own counters (${against.map((k) => `${k}=${f[k]}`).join(', ')}${what ? `; ${what}` : ''})${wrong.length ? ` WRONG: ${wrong.join('; ')}` : ''}`);
    check(name === 'truth' ? s.lensParam === null : s.lensParam === name, `lens ${name} (${how}): the URL carries lens=${s.lensParam}`);
  };
  for (const name of Object.keys(lensLit)) {
    await page.selectOption('#lens', name);
    await page.waitForFunction((n) => document.querySelector('#panel-lens')?.dataset.lens === n
      && (new URLSearchParams(location.search).get('lens') || 'truth') === n
      && document.querySelector('#panel-lens')?.dataset.wholeRun === 'true'
      && (document.querySelector('#panel-lens')?.dataset.figures || '').includes('='), name, { timeout: 30000 });
    await checkLens(name, 'switched');
    const dl = await download('#lens-download');
    const shownFirst = (await lensState()).out[0].trim().split('\n').slice(-1)[0];
    check(dl.name.endsWith(`-t${lensT}-lens-${name}.txt`) && dl.text.includes(' lens of the run incident') && dl.text.includes(shownFirst),
      `lens ${name}: its download (${dl.name}) holds what the panel shows`);
    await page.evaluate(() => document.querySelector('#panel-lens').scrollIntoView());
    await page.screenshot({ path: path.join(out, `lens-${name}.png`) });
    // A fresh load of the same URL restores the lens.
    const url = page.url();
    await page.goto(url);
    await known();
    await page.waitForSelector('#panel-lens[data-whole-run="true"][data-figures*="="]', { timeout: 30000 });
    await checkLens(name, 'fresh load');
  }
  // The responders' order as a strip on the lens panel: a click switches too.
  await page.click('#lens-application');
  await page.waitForFunction(() => document.querySelector('#panel-lens')?.dataset.lens === 'application'
    && document.querySelector('#lens').value === 'application', null, { timeout: 10000 });
  check(true, 'the lens panel\'s strip (the responders\' order) switches the lens, and the header\'s choice follows');
  // Accessibility with panels dimmed, light and dark; and a phone.
  await page.goto(`${base}?t=${lensT}&lens=kernel`);
  await known();
  await chartsDone();
  await axeCheck('the kernel lens (panels dimmed and inert)');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}?t=${lensT}&lens=flow-logs`);
  await known();
  await page.waitForSelector('#panel-lens[data-whole-run="true"][data-figures*="="]', { timeout: 30000 });
  const lensOverflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(lensOverflow <= 0, `the flow-log lens at 390 px: no horizontal overflow (${lensOverflow} px)`);
  await page.evaluate(() => document.querySelector('#panel-lens').scrollIntoView());
  await page.screenshot({ path: path.join(out, 'lens-flow-logs-390x844.png') });
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${base}?t=${lensT}&lens=tcpdump`);
  await page.waitForSelector('.banner');
  check((await page.textContent('.banner')).includes('unknown lens "tcpdump"') && (await page.getAttribute('#panel-lens', 'data-lens')) === 'truth',
    'a bad lens in a link is named in a message and the page shows the ground truth');
}
// ===== end of 15. Lenses ===========================================================
// ==== Sweeps (issue 22; src/ui/sweep/): the grid of whole runs, spread
// over Web Workers. A cheap sweep (four 240 s runs of the incident) fills
// in; the boundary is drawn; every cell's digest, figure and outcome are
// the command line's (`incident-sim sweep --json`, built by `cargo test` or
// `cargo build --release` before this runs); a cell opens its run; a fresh
// load restores the grid; Cancel stops a sweep; a phone gets no sideways
// scroll; the embed fits 640×360; axe finds nothing serious. ====
{
  const { existsSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const sweepQ = 'preset=incident&set=duration_s:240&sweep=max_delay_ms:100..1000:log:4';
  const gridDone = (n, timeout = 180000) => page.waitForFunction((n) => {
    const g = document.querySelector('#sweep-grid');
    return !!g && g.dataset.total === String(n) && g.dataset.done === String(n);
  }, n, { timeout, polling: 100 });
  const gridState = () => page.evaluate(() => {
    const g = document.querySelector('#sweep-grid');
    return {
      boundary: g?.dataset.boundary,
      flips: [...document.querySelectorAll('#sweep-grid .cell--flip')].map((c) => Number(c.dataset.index)),
      cells: [...document.querySelectorAll('#sweep-grid .cell')].map((c) => ({
        index: Number(c.dataset.index), digest: c.dataset.digest, value: c.dataset.value, outcome: c.dataset.outcome, href: c.getAttribute('href'),
      })),
      progress: document.querySelector('#sweep-progress')?.textContent || '',
    };
  });
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${base}?${sweepQ}`);
  await page.waitForSelector('#sweep-grid .cell', { timeout: 15000 });
  const early = await gridState();
  check(early.cells.length === 4 && !!(await page.$('#sweep-progress')), `sweep: the grid has its 4 cells at once, with progress ("${early.progress}")`);
  await gridDone(4);
  const g = await gridState();
  check(g.progress.includes('4 of 4 runs'), `sweep: progress reaches 4 of 4 ("${g.progress}")`);
  check(/^\d+$/.test(g.boundary || '') && g.flips.length === 1 && g.flips[0] === Number(g.boundary),
    `sweep: the boundary is drawn where the outcome changes (data-boundary ${g.boundary}, line before cell ${g.flips})`);
  // The command line's cells for the same sweep.
  const bin = ['target/release/incident-sim', 'target/debug/incident-sim'].map((p) => path.join(here, '../..', p)).find((p) => existsSync(p));
  if (bin) {
    const cli = JSON.parse(execFileSync(bin, ['sweep', '--preset', 'incident', '--set', 'duration_s=240', '--vary', 'max_delay_ms=100..1000:log:4',
      '--metric', 'conntrack_allowance_exceeded', '--json']).toString());
    const same = cli.cells.every((c, i) => g.cells[i] && g.cells[i].digest === c.digest && Number(g.cells[i].value) === c.value && g.cells[i].outcome === c.outcome);
    check(same && cli.cells.length === 4, `sweep: every cell's digest, figure and outcome are the command line's (${g.cells.map((c) => c.digest).join(' ')} vs ${cli.cells.map((c) => c.digest).join(' ')})`);
    check(String(cli.boundary[0]?.col) === g.boundary, `sweep: the boundary is the command line's (column ${cli.boundary[0]?.col})`);
  } else {
    check(false, 'sweep: target/release/incident-sim or target/debug/incident-sim exists to compare digests with (cargo build --release)');
  }
  await page.screenshot({ path: path.join(out, 'sweep-grid.png'), fullPage: true });
  await axeCheck('the sweep grid, filled');
  // A phone: no sideways scroll (a grid wider than tall is transposed).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const sweepOver = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(sweepOver <= 0, `sweep: no horizontal overflow at 390 px (${sweepOver} px)`);
  await page.screenshot({ path: path.join(out, 'sweep-grid-390.png'), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 1000 });
  // The URL holds the sweep; a fresh load restores the same grid.
  const sweepUrl = page.url();
  check(sweepUrl.includes('sweep=max_delay_ms:100..1000:log:4') && sweepUrl.includes('duration_s'), `sweep: the URL holds the sweep (${sweepUrl.split('?')[1]})`);
  const fresh = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await fresh.goto(sweepUrl);
  await fresh.waitForFunction(() => document.querySelector('#sweep-grid')?.dataset.done === '4', null, { timeout: 180000, polling: 100 });
  const again = await fresh.$$eval('#sweep-grid .cell', (cs) => cs.map((c) => c.dataset.digest).join(' '));
  const againB = await fresh.$eval('#sweep-grid', (x) => x.dataset.boundary);
  check(again === g.cells.map((c) => c.digest).join(' ') && againB === g.boundary, 'sweep: a fresh load of its URL restores the same grid and boundary');
  await fresh.close();
  // Embedded at 640×360: the grid in view, no sideways scroll, the link out.
  await page.setViewportSize({ width: 640, height: 360 });
  await page.goto(`${base}?${sweepQ}&embed=sweep`);
  await gridDone(4);
  const em = await page.evaluate(() => {
    const grid = document.querySelector('#sweep-grid').getBoundingClientRect();
    const link = document.querySelector('#embed-full').getBoundingClientRect();
    return { over: document.documentElement.scrollWidth - document.documentElement.clientWidth, grid: grid.width > 300 && grid.top < innerHeight, link: link.bottom <= innerHeight && link.height > 0 };
  });
  check(em.over <= 0 && em.grid && em.link, `sweep: embed=sweep at 640×360, the grid in view, no sideways scroll (${em.over} px), the whole-page link in view (${em.link})`);
  await page.screenshot({ path: path.join(out, 'embed-sweep-640x360.png') });
  await axeCheck('the sweep embedded at 640×360');
  await page.setViewportSize({ width: 1440, height: 1000 });
  // The form: six steps instead of four, a new sweep (new URL); Cancel stops it.
  await page.goto(`${base}?${sweepQ}`);
  await page.waitForSelector('#sweep-a0-steps');
  await page.fill('#sweep-a0-steps', '6');
  await page.click('#sweep-apply');
  await page.waitForFunction(() => document.querySelector('#sweep-grid')?.dataset.total === '6', null, { timeout: 15000 });
  check(page.url().includes('sweep=max_delay_ms:100..1000:log:6'), `sweep: the form's sweep is in the URL (${page.url().split('?')[1]})`);
  await page.click('#sweep-cancel');
  await page.waitForFunction(() => (document.querySelector('#sweep-progress')?.textContent || '').includes('cancelled'), null, { timeout: 15000 });
  await page.waitForTimeout(3000);
  const stopped = await gridState();
  check(stopped.cells.filter((c) => c.digest).length < 6 && !!(await page.$('#sweep-run')), `sweep: Cancel stops the sweep and nothing arrives after ("${stopped.progress}")`);
  // A cell opens its run in the whole page.
  await page.goto(`${base}?${sweepQ}`);
  await gridDone(4);
  await page.click('#sweep-grid .cell[data-index="2"]');
  await page.waitForSelector('#play', { timeout: 15000 });
  const opened = page.url();
  check(opened.includes('max_delay_ms:464') && opened.includes('duration_s:240') && !opened.includes('sweep='), `sweep: a cell opens its run (${opened.split('?')[1]})`);
  await known();
  check(!(await page.$('#sweep-grid')) && (await page.$eval('#panel-controls', (p) => p.textContent.includes('464'))), 'sweep: the whole page runs the cell\'s settings');
  // The header's Sweep… links to a sweep of the scenario shown.
  const open = await page.$eval('#open-sweep', (a) => a.getAttribute('href'));
  check(open.includes('sweep=max_delay_ms:100..120000:log:12*lb_policy:round_robin,pick_first') && open.includes('max_delay_ms:464'), `sweep: the header's Sweep… sweeps the scenario shown (${open})`);
  // The incident's own settings are starred (two whole incident runs).
  await page.goto(`${base}?sweep=lb_policy:round_robin,pick_first`);
  await gridDone(2);
  const starred = await page.$$eval('#sweep-grid .cell--incident', (cs) => cs.map((c) => c.dataset.index));
  check(starred.join() === '0', `sweep: the incident's cell is starred (cells ${starred.join()})`);
}

// 16. Story mode (issue 19): the incident in chapters beside the simulation,
// scroll-linked both ways; the embeds of the timeline, the guided
// investigation and the comparison; every embed's <h1>; the phone's first
// screen. A section of its own: it reloads the page and leaves the viewport
// as it found it.
{
  const params = () => new URLSearchParams(new URL(page.url()).search);
  const near = (a, b) => Math.abs(a - b) < 0.06;
  const current = () => page.$$eval('.chapter', (cs) => cs.findIndex((c) => c.classList.contains('chapter--current')));
  // Waits until chapter k is the current one and the clock reads `at`.
  const shows = (k, at) => page.waitForFunction(([k, at]) => {
    const m = (document.querySelector('#sim-time')?.textContent || '').match(/t = (?:(\d+):)?(\d+):(\d\d(?:\.\d)?)$/);
    const s = m ? Number(m[1] || 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
    return document.querySelector(`#chapter-${k}`)?.classList.contains('chapter--current') && (at === null || Math.abs(s - at) < 0.06);
  }, [k, at], { timeout: 8000, polling: 50 }).then(() => true, () => false);
  // Chapter k's top comes into the window (it may scroll there smoothly).
  const inView = (k) => page.waitForFunction((k) => {
    const r = document.querySelector(`#chapter-${k}`).getBoundingClientRect();
    return r.top >= -2 && r.top < innerHeight * 0.8;
  }, k, { timeout: 5000, polling: 50 }).then(() => true, () => false);
  const readerScrollsTo = (k) => page.evaluate((k) => document.querySelector(`#chapter-${k}`).scrollIntoView({ block: 'start' }), k);

  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${base}?story`);
  await page.waitForSelector('.chapter');
  await known();
  const chapters = await page.$$eval('.chapter', (cs) => cs.map((c) => ({ id: c.dataset.id, at: Number(c.dataset.at) })));
  check(chapters.length >= 8 && chapters.every((c, i) => i === 0 || c.at > chapters[i - 1].at),
    `story mode tells ${chapters.length} chapters in time order (${chapters.map((c) => `${c.id}@${c.at}`).join(', ')})`);
  check((await page.$$('h1')).length === 1 && !!(await page.$('.storymode__stage #sim-time')), 'story mode has one <h1> and the clock on its stage');
  const first = await shows(0, chapters[0].at);
  check(first && near(Number(params().get('t')), chapters[0].at) && params().has('story'),
    `?story opens on chapter 1 at its moment (${await clockS()} s; the link reads ${params().toString()})`);

  // The reader scrolls: the clock follows the chapter under the reading line.
  const kernelCh = chapters.findIndex((c) => c.id === 'martian');
  for (const k of [2, kernelCh, 5]) {
    await readerScrollsTo(k);
    const ok = await shows(k, chapters[k].at);
    await page.waitForFunction((at) => Math.abs(Number(new URLSearchParams(location.search).get('t')) - at) < 0.06, chapters[k].at, { timeout: 3000 }).catch(() => {});
    check(ok && near(Number(params().get('t')), chapters[k].at),
      `scrolling to chapter ${k + 1} (${chapters[k].id}) moves the clock to its moment (${await clockS()} s, t=${params().get('t')}, expected ${chapters[k].at})`);
    if (k === kernelCh) {
      const walked = await page.waitForFunction(() => (document.querySelector('.storymode__stage .kernel__packet')?.textContent || '').includes('SYN')
        && (document.querySelector('.storymode__stage #verdict')?.textContent || '').includes('martian'), null, { timeout: 30000, polling: 100 }).then(() => true, () => false);
      check(walked && params().has('pkt'), `chapter ${k + 1} selects a SYN to a deleted pod and its stage walks it to the martian verdict (pkt=${params().get('pkt')})`);
      await page.screenshot({ path: path.join(out, 'story-mode-1440.png') });
    }
    if (k === 5) {
      check(!!(await page.$('.storymode__stage .chart canvas')), `chapter ${k + 1}'s stage shows its chart (${chapters[k].id})`);
    }
  }
  await axeCheck('story mode at 1440 px');

  // The clock moves: the chapter it belongs to is marked and scrolled to.
  const seekTo = (s) => page.$eval('#scrubber', (el, s) => { el.value = String(s); el.dispatchEvent(new Event('input', { bubbles: true })); }, s);
  const chapterOf = (s) => chapters.reduce((k, c, i) => (c.at <= s + 1e-6 ? i : k), 0);
  await seekTo(chapters[7].at + 1);
  check(await shows(7, null) && await inView(7), `setting the clock to ${chapters[7].at + 1} s marks chapter 8 and scrolls it into view (current ${await current()})`);
  await seekTo(chapters[1].at + 0.5);
  check(await shows(1, null) && await inView(1), `setting it back to ${chapters[1].at + 0.5} s marks chapter 2 and scrolls back to it (current ${await current()})`);
  await page.waitForTimeout(1300);
  await page.keyboard.press('n');
  await page.waitForTimeout(300);
  const afterN = await clockS();
  const want = chapterOf(afterN);
  check(afterN > chapters[1].at + 0.5 && await shows(want, null) && await inView(want),
    `n moves the clock to the next notable event (${afterN} s) and chapter ${want + 1} is marked (current ${(await current()) + 1})`);
  // A chapter's own button shows it.
  await page.click('#chapter-4 .chapter__go');
  check(await shows(4, chapters[4].at), `a chapter's "Show" button moves the clock to its moment (${await clockS()} s)`);

  // A phone: the stage on top, the text below; a link with a time opens on its chapter.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}?story&t=${chapters[6].at + 2}`);
  await page.waitForSelector('.chapter');
  await known();
  const opened = await shows(6, null);
  await page.waitForTimeout(300);
  check(opened && await inView(6), `?story&t=${chapters[6].at + 2} opens on chapter 7, in view`);
  const phone = await page.evaluate(() => {
    const s = document.querySelector('.storymode__stage').getBoundingClientRect();
    const t = document.querySelector('.storymode__text').getBoundingClientRect();
    return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      stacked: Math.abs(s.left - t.left) < 24 && s.top <= 2 && s.width > 300, stageH: Math.round(s.height) };
  });
  check(phone.overflow <= 0 && phone.stacked && phone.stageH < 844 * 0.6, `story mode at 390 px: stage on top of the text, no sideways scroll (${JSON.stringify(phone)})`);
  await page.screenshot({ path: path.join(out, 'story-mode-390x844.png') });
  await readerScrollsTo(3);
  check(await shows(3, chapters[3].at), `on a phone too, scrolling to chapter 4 moves the clock to ${chapters[3].at} s (${await clockS()} s)`);
  const verdictShown = await page.waitForFunction(() => {
    const v = document.querySelector('.storymode__stage #verdict')?.getBoundingClientRect();
    const p = document.querySelector('.storymode__stage > .panel').getBoundingClientRect();
    return !!v && v.top >= p.top - 1 && v.top < p.bottom - 10;
  }, null, { timeout: 30000, polling: 100 }).then(() => true, () => false);
  check(verdictShown, 'on the phone\'s short stage, the kernel chapter\'s panel scrolls to the verdict');
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'story-mode-390x844-kernel.png') });

  // The whole page on a phone: the story folded, the topology in the first screen.
  await page.goto(`${base}?t=175`);
  await known();
  const first390 = await page.evaluate(() => ({
    topo: Math.round(document.querySelector('#topology').getBoundingClientRect().top),
    clamp: getComputedStyle(document.querySelector('#story-text')).webkitLineClamp,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  }));
  check(first390.topo < 844 * 0.55 && first390.overflow <= 0, `at 390×844 the topology starts in the first screen (${first390.topo} px down; story text clamped to ${first390.clamp} lines)`);
  await page.click('#story-more');
  const unfolded = await page.$eval('#story-cite', (e) => e.getBoundingClientRect().height > 0);
  check(unfolded && (await page.getAttribute('#story-more', 'aria-expanded')) === 'true', '"More" unfolds the story and its source');
  await page.screenshot({ path: path.join(out, 'phone-first-screen-390x844.png') });
  const toStory = await page.getAttribute('#story-mode', 'href');
  check(!!toStory && toStory.includes('story'), `the story header links story mode (${toStory})`);

  // The embeds that had no panel of their own, and every embed's <h1>.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const heading = async () => page.evaluate(async () => ({
    h1: [...document.querySelectorAll('h1')].map((h) => h.textContent),
    axe: (await window.axe.run(document, { runOnly: ['page-has-heading-one'] })).violations.length,
  }));
  const fits = () => page.evaluate(() => {
    const link = document.querySelector('#embed-full')?.getBoundingClientRect();
    return { overflow: document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth,
      link: !!link && link.top >= 0 && link.bottom <= innerHeight };
  });
  for (const [panel, name, ready] of [
    ['timeline', 'Timeline', '#events li button'],
    ['tour', 'Guided investigation', '#tour-start'],
    ['compare', 'incident beside a fix', '#compare-summary'],
    ['story', 'looked like a DNS outage', '.chapter'],
    ['topology', 'Topology', '#topology'],
    ['kernel', 'Kernel step-through', '#steps'],
    ['chart:error-rate', 'error-rate', '#chart-error-rate canvas'],
  ]) {
    await page.setViewportSize({ width: 640, height: 360 });
    await page.goto(`${base}?embed=${panel}&t=200`);
    await known();
    await page.waitForSelector(ready, { timeout: 60000 });
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const h = await heading();
    check(h.h1.length === 1 && h.h1[0].includes(name) && h.axe === 0, `embed=${panel} has one <h1> naming it (${JSON.stringify(h.h1)}), axe's page-has-heading-one passes`);
    if (['timeline', 'tour', 'compare'].includes(panel)) {
      for (const [w, hh] of [[640, 360], [480, 270]]) {
        await page.setViewportSize({ width: w, height: hh });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const f = await fits();
        check(f.overflow <= 0 && f.link, `embed=${panel} at ${w}×${hh}: no sideways scroll, the whole-page link in view (${JSON.stringify(f)})`);
        await page.screenshot({ path: path.join(out, `embed-${panel}-${w}x${hh}.png`) });
      }
      await axeCheck(`embed=${panel} at 480×270`);
    }
    if (panel === 'timeline') {
      const n = (await page.$$('#events li')).length;
      const row = await page.$eval('#events li:nth-child(3)', (li) => li.textContent);
      await page.click('#events li:nth-child(3) button');
      await page.waitForTimeout(200);
      const at = await clockS();
      const want = (row.match(/^(\d+):(\d\d(?:\.\d)?)/) || []).slice(1).map(Number);
      const now = await page.$eval('.events__row--now button', (b) => b.textContent);
      check(n > 5 && want.length === 2 && near(at, want[0] * 60 + want[1]) && row.startsWith(now),
        `embed=timeline lists ${n} notable events; clicking one ("${row.trim().slice(0, 50)}") moves the clock there (${at} s)`);
    }
    if (panel === 'tour') {
      await page.click('#tour-start');
      await page.waitForSelector('#tour-title');
      const t = await page.textContent('#tour-title');
      check(t.startsWith('1.') && t.includes('It looks like DNS') && !!(await page.$('.embed .chart canvas')), `embed=tour starts the investigation with its panel below the card ("${t}")`);
    }
    if (panel === 'compare') {
      const cmp = await page.textContent('#compare-summary');
      check(cmp.includes('fix-default-backoff') && (await page.$$('.chart canvas')).length > 1 && params().get('compare') === 'fix-default-backoff',
        `embed=compare draws the charts beside fix-default-backoff ("${cmp.trim().slice(0, 70)}…")`);
    }
    if (panel === 'story') {
      const href = await page.getAttribute('#embed-full', 'href');
      check(href.includes('story') && !href.includes('embed'), `an embedded story links to story mode on the whole page (${href})`);
    }
  }
  await page.setViewportSize({ width: 1440, height: 1000 });
}
// 14. Memory: this browser's renderer (page and workers) at the end of the
// whole test, after every page above (scripts/bench-memory.sh measures one
// load on its own).
try {
  perf.renderer_rss_mb_after_the_e2e = rendererMb();
} catch (e) { perf.renderer_rss_mb_after_the_e2e = null; }

const origin = new URL(base).origin;
const outside = [...new Set(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')))];
check(!!served && served.includes("script-src 'self' 'wasm-unsafe-eval'") && served.includes("style-src 'self'"), `the site is served with a locked-down CSP (${served})`);
check(outside.length === 0 && requests.length > 10, `the page and its workers requested nothing outside their origin (${requests.length} requests; ${outside.join(' ')})`);
const csp = await page.evaluate(() => window.__csp || []);
check(csp.length === 0, `no CSP violation (${csp.join(' | ')})`);
check(errors.filter((e) => !e.includes('favicon')).length === 0, `no page errors (${errors.join(' | ')})`);
writeFileSync(path.join(out, 'perf.json'), JSON.stringify(perf, null, 2));
console.log(JSON.stringify(perf));
await browser.close();
if (failures) {
  console.log(`${failures} e2e check(s) failed`);
  process.exit(1);
}
console.log('e2e: all checks passed');
