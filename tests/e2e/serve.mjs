// A static server for the end-to-end test: serves a directory under a
// subpath (as a postmortem's host would), with the locked-down
// Content-Security-Policy an embedding site would set on every response.
//   node tests/e2e/serve.mjs DIR PORT SUBPATH
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const [dir, port, sub = '/'] = process.argv.slice(2);
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
};
createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (!url.pathname.startsWith(sub)) { res.writeHead(404); res.end('not here'); return; }
  let rel = decodeURIComponent(url.pathname.slice(sub.length)) || 'index.html';
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.join(dir, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': types[path.extname(file)] || 'application/octet-stream',
      'Content-Security-Policy': CSP,
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Security-Policy': CSP });
    res.end('not found');
  }
}).listen(Number(port), '127.0.0.1');
