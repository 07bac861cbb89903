#!/usr/bin/env node
// tests/interop/browser_peer.js — headless Debian Chromium (/usr/bin/chromium),
// driven by playwright-core, as a real peer of the wscodec examples. Loopback only.
//
//   node browser_peer.js [--echo=ws://127.0.0.1:PORT/] [--chat=http://127.0.0.1:PORT/]
//                        [--screenshots=DIR] [--chromium=/usr/bin/chromium]
//
// --echo: a page served from a tiny HTTP server on 127.0.0.1 (this process)
//   opens a WebSocket to echo_server, checks that permessage-deflate was
//   agreed (ws.extensions: Chromium always offers it, echo_server accepts it
//   by default), and echoes text and binary of several sizes (compressed both
//   ways), a compressible binary message, a burst of 200 small messages, then
//   closes with 1000, and on a second socket with 4000 + a reason, checking
//   each CloseEvent.
// --chat: chat_server's own page in two tabs. Tab A opens the page without
//   ?name=: the page asks for the nickname in a form (no dialog may open) and
//   joins once it is submitted; tab B opens it with ?name= and joins at once,
//   and sees its "joined" line before its welcome. Then the join notice in
//   tab A, a message typed in one tab seen in both, a reply the other way,
//   markup shown as text, an HH:MM time on every line, and the leave notice
//   when a tab closes; the page's socket agreed permessage-deflate.
// Prints `PASS name` / `FAIL name: why` (browser-echo/..., browser-chat/...);
// exits 1 on any FAIL. playwright-core is found through NODE_PATH.
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.log(`FAIL browser-peer: the npm package playwright-core is not installed: ${e.message}`);
  process.exit(1);
}

let failed = false;
function report(name, ok, why) {
  if (ok) console.log(`PASS ${name}`);
  else {
    failed = true;
    console.log(`FAIL ${name}: ${why}`);
  }
}

const opts = { chromium: '/usr/bin/chromium' };
for (const a of process.argv.slice(2)) {
  const m = /^--([a-z]+)=(.*)$/.exec(a);
  if (!m) {
    console.error(`unknown argument ${a}`);
    process.exit(2);
  }
  opts[m[1]] = m[2];
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>wscodec interop</title><body>echo test page</body>`;

// Serves PAGE on 127.0.0.1:0, so the test page has a real http:// origin.
function pageServer() {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

// Runs inside the page: returns [[name, ok, why], ...].
async function echoInPage({ url, sizes }) {
  const MiB = 1 << 20;
  const sizeName = (n) => (n >= MiB && n % MiB === 0 ? `${n / MiB}MiB` : String(n));
  const results = [];
  const enc = new TextEncoder();

  function bytes(n, seed) {
    const b = new Uint8Array(n);
    let x = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      b[i] = x & 0xff;
    }
    return b;
  }
  function text(n, seed) {
    // Random 1- to 4-byte characters up to 64 KiB, then that block repeated: large sizes stay cheap.
    const chars = ['a', 'Z', ' ', 'é', 'ß', '€', '中', '😀', '𝄞'];
    const m = Math.min(n, 65536);
    const r = bytes(m + 1, seed + 99);
    let s = '', left = m, i = 0;
    while (left > 0) {
      const c = left >= 4 ? chars[r[i++] % chars.length] : 'q';
      s += c;
      left -= enc.encode(c).length;
    }
    if (n === m) return s;
    return s.repeat(Math.floor(n / m)) + 'q'.repeat(n % m);
  }
  function open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.queue = [];
      ws.waiters = [];
      ws.onmessage = (e) => (ws.waiters.length ? ws.waiters.shift()(e.data) : ws.queue.push(e.data));
      ws.closed = new Promise((r) => ws.addEventListener('close', (e) => r({ code: e.code, reason: e.reason, wasClean: e.wasClean })));
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error('WebSocket error before open'));
    });
  }
  function next(ws, ms) {
    if (ws.queue.length) return Promise.resolve(ws.queue.shift());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for the echo`)), ms);
      ws.waiters.push((d) => { clearTimeout(t); resolve(d); });
      ws.closed.then((c) => { clearTimeout(t); reject(new Error(`connection closed (${c.code} ${JSON.stringify(c.reason)})`)); });
    });
  }
  function diff(got, want) {
    if (got.length !== want.length) return `length: sent ${want.length} got ${got.length}`;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `byte ${i} differs: sent ${want[i]} got ${got[i]}`;
    return '';
  }

  let ws = null;
  const ensure = async () => (ws && ws.readyState === 1 ? ws : (ws = await open()));
  try {
    const s = await ensure();
    results.push(['permessage-deflate-agreed', /^permessage-deflate\b/.test(s.extensions),
      `ws.extensions is ${JSON.stringify(s.extensions)}, expected permessage-deflate`]);
  } catch (e) {
    results.push(['permessage-deflate-agreed', false, e.message]);
  }
  const checks = [];
  for (const n of sizes) checks.push([`text-${sizeName(n)}`, text(n, n)]);
  for (const n of sizes) checks.push([`binary-${sizeName(n)}`, bytes(n, n + 1)]);
  const repeated = new Uint8Array(MiB);
  for (let i = 0; i < repeated.length; i++) repeated[i] = (i % 61) * 7;
  checks.push(['binary-compressible-1MiB', repeated]);
  for (const [name, msg] of checks) {
    try {
      const s = await ensure();
      s.send(msg);
      const got = await next(s, 10000 + (msg.length / MiB) * 3000);
      let why;
      if (typeof msg === 'string') {
        why = typeof got !== 'string' ? 'type: sent text got binary' : got === msg ? '' : diff(enc.encode(got), enc.encode(msg));
      } else {
        why = typeof got === 'string' ? 'type: sent binary got text' : diff(new Uint8Array(got), msg);
      }
      results.push([name, !why, why]);
    } catch (e) {
      results.push([name, false, e.message]);
    }
  }
  // A burst: 200 small messages sent back to back, echoed in order.
  try {
    const s = await ensure();
    const sent = [];
    for (let i = 0; i < 200; i++) sent.push(i % 2 ? `message ${i} ✓` : bytes(i, i));
    for (const m of sent) s.send(m);
    let why = '';
    for (let i = 0; i < sent.length && !why; i++) {
      const got = await next(s, 10000);
      const want = sent[i];
      if (typeof want === 'string') why = got === want ? '' : `message ${i}: got ${JSON.stringify(String(got).slice(0, 40))}`;
      else why = typeof got === 'string' ? `message ${i}: type` : diff(new Uint8Array(got), want) && `message ${i}: ${diff(new Uint8Array(got), want)}`;
    }
    results.push(['burst-200-in-order', !why, why]);
  } catch (e) {
    results.push(['burst-200-in-order', false, e.message]);
  }

  async function closeCheck(name, s, code, reason) {
    try {
      if (!s) {
        s = await open();
        s.send('before close');
        if ((await next(s, 10000)) !== 'before close') return results.push([name, false, 'echo before close differs']);
      }
      const start = performance.now();
      s.close(code, reason);
      const c = await Promise.race([s.closed, new Promise((r) => setTimeout(() => r(null), 15000))]);
      const took = (performance.now() - start) / 1000;
      if (!c) results.push([name, false, 'no close event within 15 s']);
      else if (c.code !== code) results.push([name, false, `sent close ${code} ${JSON.stringify(reason)}, CloseEvent code ${c.code} reason ${JSON.stringify(c.reason)} wasClean ${c.wasClean}`]);
      else if (!c.wasClean) results.push([name, false, `CloseEvent code ${c.code} but wasClean false`]);
      else if (c.reason !== '' && c.reason !== reason) results.push([name, false, `server answered ${c.code} with an unrelated reason ${JSON.stringify(c.reason)}`]);
      else if (took > 4) results.push([name, false, `close took ${took.toFixed(1)} s`]);
      else results.push([name, true, '']);
    } catch (e) {
      results.push([name, false, e.message]);
    }
  }
  await closeCheck('close-1000', ws && ws.readyState === 1 ? ws : null, 1000, '');
  await closeCheck('close-4000-reason', null, 4000, 'bye from chromium ✓');
  return results;
}

async function runEcho(context, url) {
  const srv = await pageServer();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`http://127.0.0.1:${srv.address().port}/`);
    const MiB = 1 << 20;
    const results = await page.evaluate(echoInPage, { url, sizes: [0, 125, 126, 65535, 65536, MiB, 16 * MiB] });
    for (const [name, ok, why] of results) report(`browser-echo/${name}`, ok, why);
  } catch (e) {
    report('browser-echo/page', false, e.message.split('\n')[0]);
  }
  if (errors.length) report('browser-echo/page-errors', false, errors.join('; '));
  await page.close();
  srv.close();
}

// ---------------------------------------------------------------- chat page

const INPUT = 'input[type=text]:visible, input:not([type]):visible, textarea:visible';

// The page's own WebSockets, recorded by an init script (the page is not changed otherwise).
function recordSockets() {
  const Native = window.WebSocket;
  window.__interopSockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__interopSockets.push(this);
    }
  };
}

// The URL of the page's first open WebSocket, or null after 10 s.
async function chatSocket(page) {
  try {
    const h = await page.waitForFunction(() => {
      const s = (window.__interopSockets || []).find((w) => w.readyState === 1);
      return s ? s.url : null;
    }, null, { timeout: 10000 });
    return await h.jsonValue();
  } catch (e) {
    return null;
  }
}

const pageText = (page) => page.evaluate(() => document.body ? document.body.innerText : '');
const countOf = (s, re) => (s.match(re) || []).length;

async function waitFor(page, pred, ms) {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = await pageText(page);
    if (pred(last)) return [true, last];
    await new Promise((r) => setTimeout(r, 100));
  }
  return [false, last];
}

const clip = (s) => JSON.stringify(s.replace(/\s+/g, ' ').trim().slice(-300));

// The chat log as [{time, text}]: one entry per line (li), time the text of its <time> (null if none).
const chatLines = (page) => page.evaluate(() => [...document.querySelectorAll('#log li')].map((li) => {
  const t = li.querySelector('time');
  let text = '';
  for (const n of li.childNodes) if (n !== t) text += n.textContent;
  return { time: t ? t.textContent : null, text: text.trim() };
}));

// Minutes between an HH:MM and this machine's clock now, across midnight too.
function minutesOff(hhmm) {
  const [h, m] = hhmm.split(':').map(Number);
  const now = new Date();
  const d = Math.abs(h * 60 + m - (now.getHours() * 60 + now.getMinutes()));
  return Math.min(d, 1440 - d);
}

async function say(page, msg) {
  const input = page.locator(INPUT).first();
  await input.fill(msg, { timeout: 5000 });
  await input.press('Enter');
  // Some pages send on a button only: if Enter left the text in place, click the button.
  await new Promise((r) => setTimeout(r, 300));
  if ((await input.inputValue()) === msg) {
    const button = page.locator('button:visible, input[type=submit]:visible').first();
    if (await button.count()) await button.click({ timeout: 5000 });
  }
}

async function runChat(context, chatUrl, shots) {
  await context.addInitScript(recordSockets);
  const bare = new URL(chatUrl);
  bare.searchParams.delete('name');
  const named = (nick) => {
    const u = new URL(bare);
    u.searchParams.set('name', nick);
    return u.href;
  };
  const tag = String(Date.now() % 100000);
  const nameA = `tabA${tag}`, nameB = `tabB${tag}`;
  const errors = [];
  const dialogs = [];  // prompt(), alert(), confirm(), beforeunload: none may open
  const watchPage = (page, label) => {
    page.on('pageerror', (e) => errors.push(`tab ${label}: ${e.message}`));
    page.on('dialog', (d) => {
      dialogs.push(`tab ${label}: ${d.type()} ${JSON.stringify(d.message())}`);
      d.dismiss().catch(() => {});
    });
  };
  const a = await context.newPage();
  watchPage(a, 'A');
  let b = null;
  try {
    // Tab A: no ?name=, so the page asks for one in the page and opens no socket until it has it.
    const resp = await a.goto(bare.href);
    report('browser-chat/page-served', resp && resp.status() === 200 && /html/i.test(resp.headers()['content-type'] || ''),
      `GET ${bare.href}: ${resp ? resp.status() + ' ' + resp.headers()['content-type'] : 'no response'}`);
    const nick = a.locator('#nick');
    let formShown = true;
    try {
      await nick.waitFor({ state: 'visible', timeout: 5000 });
    } catch (e) {
      formShown = false;
    }
    report('browser-chat/name-form-shown', formShown,
      `opened ${bare.href} without ?name=: no visible name input (#nick) after 5 s; the page shows ${clip(await pageText(a))}`);
    const early = await a.evaluate(() => (window.__interopSockets || []).map((w) => w.url));
    report('browser-chat/no-join-before-name', early.length === 0, `tab A opened WebSockets before a name was entered: ${early.join(', ')}`);
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      await a.screenshot({ path: path.join(shots, 'chat-name-form.png') });
    }
    if (formShown) {
      await nick.fill(nameA, { timeout: 5000 });
      await nick.press('Enter');
    }

    const wsA = await chatSocket(a);
    report('browser-chat/tab-a-connected', !!wsA, 'tab A has no open WebSocket 10 s after the name form was submitted');
    if (wsA) report('browser-chat/websocket-path', new URL(wsA).pathname === '/chat', `tab A's WebSocket went to ${wsA}`);
    let [ok, last] = await waitFor(a, (t) => t.includes(`${nameA} joined`), 5000);
    const formGone = !(await nick.isVisible());
    const extA = await a.evaluate(() => ((window.__interopSockets || []).find((w) => w.readyState === 1) || {}).extensions);
    report('browser-chat/permessage-deflate-agreed', /^permessage-deflate\b/.test(extA || ''),
      `tab A's WebSocket has extensions ${JSON.stringify(extA)}, expected permessage-deflate`);
    report('browser-chat/name-form-joins', ok && formGone && !!wsA && new URL(wsA).searchParams.get('name') === nameA,
      `typed ${nameA} in the name form: WebSocket ${wsA}; form still visible: ${!formGone}; tab A shows ${clip(last)}`);
    const before = await pageText(a);
    const joinsBefore = countOf(before, /join/gi);

    // Tab B: ?name= joins at once, no form.
    b = await context.newPage();
    watchPage(b, 'B');
    await b.goto(named(nameB));
    const wsB = await chatSocket(b);
    report('browser-chat/tab-b-connected', !!wsB, 'tab B has no open WebSocket after 10 s');
    const bForm = await b.locator('#nick').isVisible();
    report('browser-chat/name-param-joins-directly', !!wsB && !bForm && new URL(wsB).searchParams.get('name') === nameB,
      `opened ${named(nameB)}: WebSocket ${wsB}; name form visible: ${bForm}`);

    [ok, last] = await waitFor(a, (t) => countOf(t, /join/gi) > joinsBefore, 5000);
    report('browser-chat/join-notice', ok, `tab A shows no new join notice after tab B opened; it shows ${clip(last)}`);

    // In the newcomer's tab, "NICK joined" comes before "welcome, NICK! ...".
    [ok, last] = await waitFor(b, (t) => /welcome/i.test(t) && t.includes(`${nameB} joined`), 5000);
    const linesB = await chatLines(b);
    const iJoined = linesB.findIndex((l) => l.text === `${nameB} joined`);
    const iWelcome = linesB.findIndex((l) => /^welcome\b/i.test(l.text));
    report('browser-chat/joined-before-welcome', iJoined >= 0 && iWelcome >= 0 && iJoined < iWelcome,
      `tab B's lines: ${JSON.stringify(linesB.map((l) => l.text))} ("${nameB} joined" at ${iJoined}, welcome at ${iWelcome})`);

    const m1 = `hello from tab B ${Date.now()} ✓`;
    await say(b, m1);
    [ok, last] = await waitFor(a, (t) => t.includes(m1), 5000);
    report('browser-chat/b-to-a', ok, `typed ${JSON.stringify(m1)} in tab B; tab A shows ${clip(last)}`);
    [ok, last] = await waitFor(b, (t) => t.includes(m1), 5000);
    report('browser-chat/b-sees-own-message', ok, `typed ${JSON.stringify(m1)} in tab B; tab B shows ${clip(last)}`);

    const m2 = `reply from tab A <b>not bold</b> & 😀 ${Date.now()}`;
    await say(a, m2);
    [ok, last] = await waitFor(b, (t) => t.includes(m2), 5000);
    report('browser-chat/a-to-b-markup-as-text', ok,
      `typed ${JSON.stringify(m2)} in tab A; tab B shows ${clip(last)}` + (last.includes('not bold') ? ' (the markup was interpreted as HTML)' : ''));

    // Every line in both tabs carries its time of arrival, HH:MM, near this machine's clock.
    const bad = [];
    let seen = 0;
    for (const [label, page] of [['A', a], ['B', b]]) {
      for (const l of await chatLines(page)) {
        seen++;
        if (l.time === null || !/^\d\d:\d\d$/.test(l.time) || minutesOff(l.time) > 2) bad.push(`tab ${label}: ${JSON.stringify(l)}`);
      }
    }
    report('browser-chat/timestamps', seen >= 6 && bad.length === 0,
      `${seen} lines in the two tabs; without an HH:MM <time> near now: ${bad.join('; ') || 'none'}`);

    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      await a.screenshot({ path: path.join(shots, 'chat-tab-a.png') });
      await b.screenshot({ path: path.join(shots, 'chat-tab-b.png') });
    }

    const leftBefore = countOf(await pageText(a), /left|leave/gi);
    await b.close();
    b = null;
    [ok, last] = await waitFor(a, (t) => countOf(t, /left|leave/gi) > leftBefore, 5000);
    report('browser-chat/leave-notice', ok, `tab A shows no new leave notice after tab B closed; it shows ${clip(last)}`);
  } catch (e) {
    report('browser-chat/page', false, e.message.split('\n')[0]);
  }
  report('browser-chat/no-dialog', dialogs.length === 0, `dialogs opened: ${dialogs.join('; ')}`);
  if (errors.length) report('browser-chat/page-errors', false, errors.join('; '));
  if (b) await b.close();
  await a.close();
}

async function main() {
  if (!opts.echo && !opts.chat) {
    console.error('usage: node browser_peer.js [--echo=ws://127.0.0.1:PORT/] [--chat=http://127.0.0.1:PORT/] [--screenshots=DIR]');
    process.exit(2);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wscodec-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: opts.chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 60000,
    });
  } catch (e) {
    console.log(`FAIL browser-peer: chromium did not start: ${e.message.split('\n')[0]}`);
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(1);
  }
  try {
    if (opts.echo) await runEcho(context, opts.echo);
    if (opts.chat) await runChat(context, opts.chat, opts.screenshots);
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL browser-peer: ${e.stack || e}`);
  process.exit(1);
});
