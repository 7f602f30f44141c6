// Resident memory of this process's own Chromium renderers (the page's,
// with its Web Workers), in MB: the largest renderer among the descendants
// of this Node process, so another browser on the machine is not counted.
import { execSync } from 'node:child_process';

export const rendererMb = () => {
  const rows = execSync('ps -eo pid=,ppid=,rss=,args=').toString().trim().split('\n').map((l) => {
    const m = l.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/);
    return m && { pid: +m[1], ppid: +m[2], rss: +m[3], args: m[4] };
  }).filter(Boolean);
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) if (!mine.has(r.pid) && mine.has(r.ppid)) { mine.add(r.pid); grew = true; }
  }
  const kb = rows.filter((r) => mine.has(r.pid) && r.args.includes('--type=renderer'))
    .reduce((m, r) => Math.max(m, r.rss), 0);
  return Math.round(kb / 1024);
};
