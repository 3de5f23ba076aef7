// Tests of src/compat_gate.js, the classic script that shows an upgrade message on browsers that
// cannot run the app. Run by `cargo xtask test` with Node's test runner:
//   node --test tests/compat_gate.test.js
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const acorn = require('acorn');

const SOURCE = fs.readFileSync(path.join(__dirname, '..', 'src', 'compat_gate.js'), 'utf8');

test('parses as ES5, so the oldest WebViews can run it', () => {
  assert.doesNotThrow(() => acorn.parse(SOURCE, { ecmaVersion: 5, sourceType: 'script' }));
});

/** Runs the gate in a fresh context with a stub DOM; returns what it did. */
function runGate({ webAssembly, readyState = 'complete' }) {
  const app = { id: 'app', innerHTML: '<p class="boot">…</p>' };
  const listeners = {};
  const sent = [];
  const context = {
    document: {
      readyState,
      documentElement: { className: '' },
      body: { appendChild() {} },
      getElementById: (id) => (id === 'app' ? app : null),
      createElement: () => ({}),
      addEventListener: (name, fn) => { listeners[name] = fn; },
    },
    location: { pathname: '/policies' },
    XMLHttpRequest: function () {
      this.open = (method, url) => { this.method = method; this.url = url; };
      this.headers = {};
      this.setRequestHeader = (name, value) => { this.headers[name] = value; };
      this.send = (body) => { sent.push({ method: this.method, url: this.url, headers: this.headers, body: JSON.parse(body) }); };
    },
    Uint8Array,
    JSON,
  };
  context.window = context;
  vm.createContext(context);
  // A context comes with its own WebAssembly: replace it, or take it away.
  if (webAssembly === undefined) vm.runInContext('delete globalThis.WebAssembly', context);
  else context.WebAssembly = webAssembly;
  vm.runInContext(SOURCE, context);
  return { context, app, sent, listeners };
}

test('a browser with WebAssembly and every feature runs the app', () => {
  const { context, app, sent } = runGate({ webAssembly: WebAssembly });
  assert.strictEqual(context.__zhidaSupported, true);
  assert.strictEqual(context.__zhidaUnsupported, undefined);
  assert.strictEqual(context.document.documentElement.className, '');
  assert.match(app.innerHTML, /boot/);
  assert.deepStrictEqual(sent, []);
});

test('a browser without WebAssembly sees the message and tells the server', () => {
  const { context, app, sent } = runGate({});
  assert.strictEqual(context.__zhidaUnsupported, true);
  assert.match(context.document.documentElement.className, /compat-unsupported/);
  assert.match(app.innerHTML, /您的微信或手机系统版本过低|\\u60a8/);
  assert.match(app.innerHTML, /Your browser is too old/);
  assert.match(app.innerHTML, /role="alert"/);
  assert.strictEqual(sent.length, 1);
  assert.strictEqual(sent[0].method, 'POST');
  assert.strictEqual(sent[0].url, '/api/client-reports');
  assert.deepStrictEqual(sent[0].headers, { 'Content-Type': 'application/json', 'X-Requested-With': 'zhida' });
  assert.deepStrictEqual(sent[0].body, { kind: 'unsupported_browser', message: 'missing WebAssembly', path: '/policies' });
});

test('each missing wasm feature is named in the report', () => {
  // An engine that accepts everything but modules using one opcode or section.
  const cases = [
    ['bulk-memory', (b) => b.includes(252) && b.includes(10) && b.indexOf(5) === 18],
    ['sign-ext', (b) => b.includes(192)],
  ];
  for (const [name, refuses] of cases) {
    const engine = { validate: (bytes) => !refuses(Array.from(bytes)) };
    const { context, sent } = runGate({ webAssembly: engine });
    assert.strictEqual(context.__zhidaUnsupported, true, name);
    assert.strictEqual(sent[0].body.message, 'missing wasm ' + name);
  }
});

test('every module it checks is valid WebAssembly, and the check can fail', () => {
  const seen = [];
  const engine = { validate: (bytes) => { seen.push(bytes); return WebAssembly.validate(bytes); } };
  runGate({ webAssembly: engine });
  assert.strictEqual(seen.length, 6);
  for (const bytes of seen) {
    const broken = Uint8Array.from(bytes);
    broken[1] = 0; // not "\0asm" any more
    assert.strictEqual(WebAssembly.validate(broken), false);
  }
});

test('a validator that throws counts as unsupported', () => {
  const { context } = runGate({ webAssembly: { validate() { throw new Error('boom'); } } });
  assert.strictEqual(context.__zhidaUnsupported, true);
});

test('while the page is still loading, the message waits for the DOM', () => {
  const { app, listeners } = runGate({ readyState: 'loading' });
  assert.match(app.innerHTML, /boot/);
  listeners.DOMContentLoaded();
  assert.match(app.innerHTML, /compat-message/);
});
