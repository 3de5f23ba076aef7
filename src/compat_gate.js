/*
 * compat-gate.js: a classic, ES5-only script (no let/const, arrow functions
 * or template literals) so that it parses on very old Android WebViews and
 * old WeChat. Load it before the app's bundle.
 *
 * It checks that WebAssembly exists and that the engine accepts every wasm
 * feature rustc 1.95 turns on by default for wasm32-unknown-unknown.
 *   supported   -> window.__zhidaSupported = true
 *   unsupported -> window.__zhidaUnsupported = true, the class
 *                  "compat-unsupported" on <html>, and an upgrade message in #app.
 *
 * The test modules are the byte arrays published by wasm-feature-detect
 * (GoogleChromeLabs, v1.8.0, dist/esm/index.js), one feature per module.
 */
(function (window, document) {
  'use strict';

  // Shared bytes: "\0asm" magic + version 1, and a type section with one
  // type, () -> (), plus a function section with one function of that type.
  var HEAD = [0, 97, 115, 109, 1, 0, 0, 0];
  var VOID_FN = [1, 4, 1, 96, 0, 0, 3, 2, 1, 0];

  var NAMES = ['bulk-memory', 'multivalue', 'mutable-globals', 'reference-types',
    'nontrapping-fptoint', 'sign-ext'];
  var MODULES = [
    // bulk-memory: (memory 1) + memory.copy (0xFC 0x0A)
    VOID_FN.concat([5, 3, 1, 0, 1, 10, 14, 1, 12, 0, 65, 0, 65, 0, 65, 0, 252, 10, 0, 0, 11]),
    // multivalue: func (result i32 i32)
    [1, 6, 1, 96, 0, 2, 127, 127, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 65, 0, 11],
    // mutable-globals: import "a" "b" (global (mut i32)), plus an exported mutable global
    [2, 8, 1, 1, 97, 1, 98, 3, 127, 1, 6, 6, 1, 127, 1, 65, 0, 11, 7, 5, 1, 1, 97, 3, 1],
    // reference-types: ref.null func (0xD0 0x70) + drop
    VOID_FN.concat([10, 7, 1, 5, 0, 208, 112, 26, 11]),
    // nontrapping-fptoint: f32.const 0, i32.trunc_sat_f32_s (0xFC 0x00), drop
    VOID_FN.concat([10, 12, 1, 10, 0, 67, 0, 0, 0, 0, 252, 0, 26, 11]),
    // sign-ext: i32.const 0, i32.extend8_s (0xC0), drop
    VOID_FN.concat([10, 8, 1, 6, 0, 65, 0, 192, 26, 11])
  ];

  // Returns what is missing, or '' when everything the app needs is there.
  function missing() {
    if (typeof WebAssembly !== 'object' || !WebAssembly ||
        typeof WebAssembly.validate !== 'function') {
      return 'WebAssembly';
    }
    for (var i = 0; i < MODULES.length; i++) {
      if (!WebAssembly.validate(new Uint8Array(HEAD.concat(MODULES[i])))) {
        return 'wasm ' + NAMES[i];
      }
    }
    return '';
  }

  // Tells the server, so that we know how many people cannot use the app and why.
  function report(what) {
    try {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/client-reports', true);
      xhr.setRequestHeader('Content-Type', 'application/json');
      // The server refuses state-changing requests without this header (CSRF protection).
      xhr.setRequestHeader('X-Requested-With', 'zhida');
      xhr.send(JSON.stringify({
        kind: 'unsupported_browser',
        message: 'missing ' + what,
        path: window.location.pathname
      }));
    } catch (e) {
      // Nothing more to do: the person already sees the message.
    }
  }

  // The page may hold an old app in #app. Replace it with the message,
  // creating #app if it's missing. Text is \u-escaped so it stays correct
  // even if the script is served without a UTF-8 charset:
  //   <h1> 您的微信或手机系统版本过低
  //   <p>  请将微信升级到最新版本，或更新手机系统/浏览器，然后重新打开本页面。
  function showMessage() {
    var app = document.getElementById('app');
    if (!app) {
      app = document.createElement('div');
      app.id = 'app';
      document.body.appendChild(app);
    }
    app.innerHTML =
      '<main class="compat-message"><div id="compat-message" role="alert">' +
      '<h1 lang="zh-CN">\u60a8\u7684\u5fae\u4fe1\u6216\u624b\u673a\u7cfb\u7edf\u7248\u672c\u8fc7\u4f4e</h1>' +
      '<p lang="zh-CN">\u8bf7\u5c06\u5fae\u4fe1\u5347\u7ea7\u5230\u6700\u65b0\u7248\u672c\uff0c' +
      '\u6216\u66f4\u65b0\u624b\u673a\u7cfb\u7edf/\u6d4f\u89c8\u5668\uff0c' +
      '\u7136\u540e\u91cd\u65b0\u6253\u5f00\u672c\u9875\u9762\u3002</p>' +
      '<p lang="en">Your browser is too old to run this service. Please update WeChat ' +
      'or your phone\'s system browser, then open this page again.</p>' +
      '</div></main>';
  }

  var lacking;
  try {
    lacking = missing();
  } catch (e) {
    lacking = 'a working WebAssembly (' + e + ')'; // any exception counts as unsupported
  }

  if (!lacking) {
    window.__zhidaSupported = true;
    return;
  }

  window.__zhidaUnsupported = true;
  report(lacking);
  var root = document.documentElement;
  root.className = (root.className ? root.className + ' ' : '') + 'compat-unsupported';

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', showMessage, false);
  } else {
    showMessage();
  }
})(window, document);
