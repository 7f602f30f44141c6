// Starts the page's WebAssembly without an inline script, so the site runs
// under a strict Content-Security-Policy (script-src 'self'). Trunk writes
// the hashed file names into this script tag's data attributes
// (Trunk.toml, pattern_script).
const me = document.querySelector('script[data-js]');
const { default: init } = await import(new URL(me.dataset.js, document.baseURI).href);
await init({ module_or_path: new URL(me.dataset.wasm, document.baseURI).href });
