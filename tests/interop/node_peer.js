#!/usr/bin/env node
// tests/interop/node_peer.js — the npm package `ws` (8.x) as a real peer of the
// wscodec examples. Loopback only.
//
//   node node_peer.js client URL         against echo_server: the echo matrix, fragments (one
//                                        with a UTF-8 character split across frames, one with a
//                                        ping between its frames), pings, close 1000, close 4000 + reason
//   node node_peer.js server CLIENT_BIN  a ws server on 127.0.0.1:0; starts `CLIENT_BIN --echo URL`
//                                        against it: the matrix, a ping, close 1000 / 4000 + reason,
//                                        an abort without a close frame (the client must exit 1)
//   node node_peer.js chat http://127.0.0.1:PORT/
//                                        two ws clients in chat_server's room (/chat), one with
//                                        permessage-deflate: a message from one reaches both;
//                                        another Origin is refused (4xx)
//   node node_peer.js deflate-client URL PLAN
//                                        against echo_server started as PLAN says (default,
//                                        window-10-no-context-takeover, no-deflate): for each ws
//                                        perMessageDeflate configuration (threshold 0: every message
//                                        compressed), the agreed parameters (or none), then text and
//                                        binary, compressible and random, 0 B to 1 MiB, and a
//                                        fragmented message, echoed byte for byte; close 1000
//   node node_peer.js deflate-server CLIENT_BIN
//                                        ws servers with perMessageDeflate configurations, each with
//                                        `CLIENT_BIN --echo URL`: the agreed parameters (seen by ws
//                                        and printed by the client), the same messages, close 1000
//                                        and exit 0
//
// The original modes run without compression (perMessageDeflate: false) and
// cover plain frames; the deflate modes cover permessage-deflate.
//
// Prints `PASS name` / `FAIL name: why` per check (names start with --prefix=,
// default node-client / node-server); exits 1 on any FAIL. `ws` is found
// through NODE_PATH (the driver points it at build/interop/node_modules).
'use strict';

const { spawn } = require('child_process');

let WebSocket, WebSocketServer;
try {
  ({ WebSocket, WebSocketServer } = require('ws'));
} catch (e) {
  console.log(`FAIL node-peer: the npm package ws is not installed: ${e.message}`);
  process.exit(1);
}

const MiB = 1 << 20;
const SIZES = [0, 125, 126, 65535, 65536, MiB, 16 * MiB];
let failed = false;

function report(name, ok, why) {
  if (ok) console.log(`PASS ${name}`);
  else {
    failed = true;
    console.log(`FAIL ${name}: ${why}`);
  }
}

function sizeName(n) {
  return n >= MiB && n % MiB === 0 ? `${n / MiB}MiB` : String(n);
}

// Deterministic bytes (a tiny xorshift, so sizes of MiB are cheap).
function makeBinary(n, seed) {
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// A Buffer of exactly n bytes of valid UTF-8 with 1- to 4-byte characters.
function makeText(n, seed) {
  const chars = ['a', 'Z', ' ', 'é', 'ß', '€', '中', '😀', '𝄞'].map((c) => Buffer.from(c));
  const rnd = makeBinary(n + 1, seed + 99);
  const parts = [];
  let left = n, i = 0;
  while (left > 0) {
    const c = left >= 4 ? chars[rnd[i++] % chars.length] : Buffer.from('q');
    parts.push(c);
    left -= c.length;
  }
  return Buffer.concat(parts, n);
}

function describe(got, gotBinary, want, wantBinary) {
  if (gotBinary !== wantBinary) return `type: sent ${wantBinary ? 'binary' : 'text'} got ${gotBinary ? 'binary' : 'text'} (${got.length} bytes)`;
  if (got.length !== want.length) return `length: sent ${want.length} bytes got ${got.length}`;
  for (let i = 0; i < want.length; i++)
    if (got[i] !== want[i]) return `byte ${i} differs: sent 0x${want[i].toString(16)} got 0x${got[i].toString(16)}`;
  return 'differs';
}

const timeoutFor = (n) => 10000 + (n / MiB) * 2000;

// A message queue over one socket, so checks can await the next message.
class Peer {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.pongs = [];
    this.pongWaiters = [];
    this.closed = null; // {code, reason} once the socket closed
    this.closeWaiters = [];
    ws.on('message', (data, isBinary) => this._push(this.messages, this.waiters, { data: Buffer.from(data), isBinary }));
    ws.on('pong', (data) => this._push(this.pongs, this.pongWaiters, Buffer.from(data)));
    ws.on('error', (err) => { this.error = err; });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w.reject(new Error(`connection closed (${code} ${JSON.stringify(this.closed.reason)})${this.error ? ': ' + this.error.message : ''}`));
      for (const w of this.pongWaiters.splice(0)) w.reject(new Error(`connection closed (${code})`));
      for (const w of this.closeWaiters.splice(0)) w(this.closed);
    });
  }
  _push(queue, waiters, item) {
    const w = waiters.shift();
    if (w) { clearTimeout(w.timer); w.resolve(item); } else queue.push(item);
  }
  _next(queue, waiters, ms, what) {
    if (queue.length) return Promise.resolve(queue.shift());
    if (this.closed) return Promise.reject(new Error(`connection closed (${this.closed.code})`));
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      w.timer = setTimeout(() => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`));
      }, ms);
      waiters.push(w);
    });
  }
  next(ms) { return this._next(this.messages, this.waiters, ms, 'the echo'); }
  nextPong(ms) { return this._next(this.pongs, this.pongWaiters, ms, 'a pong'); }
  whenClosed(ms) {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), ms);
      this.closeWaiters.push((c) => { clearTimeout(t); resolve(c); });
    });
  }
  get open() { return this.ws.readyState === WebSocket.OPEN; }
}

function sendAsync(ws, data, opts) {
  return new Promise((resolve, reject) => ws.send(data, opts, (err) => (err ? reject(err) : resolve())));
}

// The matrix: [name, fragments[], binary]; one fragment is a whole message.
function matrix() {
  const m = [];
  for (const n of SIZES) m.push([`text-${sizeName(n)}`, [makeText(n, n)], false]);
  for (const n of SIZES) m.push([`binary-${sizeName(n)}`, [makeBinary(n, n + 1)], true]);
  m.push(['fragmented-text', ['Hel', 'lo, ', 'wörld ', '', '€😀', '!'].map((s) => Buffer.from(s)), false]);
  const euro = Buffer.from('a€b'); // 61 e2 82 ac 62: the euro sign split over three frames
  m.push(['fragmented-text-split-utf8', [euro.subarray(0, 2), euro.subarray(2, 3), euro.subarray(3)], false]);
  m.push(['fragmented-binary', [makeBinary(1000, 7), Buffer.alloc(0), makeBinary(70000, 8), makeBinary(3, 9)], true]);
  m.push(['fragmented-binary-3MiB', [0, 1, 2].map((i) => makeBinary(MiB, 10 + i)), true]);
  return m;
}

async function echoOne(peer, frags, binary, pingBetween) {
  const want = Buffer.concat(frags);
  const ms = timeoutFor(want.length);
  if (frags.length === 1) {
    await sendAsync(peer.ws, frags[0], { binary, fin: true });
  } else {
    for (let i = 0; i < frags.length; i++) {
      await sendAsync(peer.ws, frags[i], { binary, fin: i === frags.length - 1 });
      if (pingBetween && i === 0) peer.ws.ping(Buffer.from('between fragments'));
    }
  }
  if (pingBetween) {
    const pong = await peer.nextPong(10000);
    if (pong.toString() !== 'between fragments') return [false, `pong payload ${JSON.stringify(pong.toString())}`];
  }
  const got = await peer.next(ms);
  if (got.isBinary === binary && got.data.equals(want)) return [true, ''];
  return [false, describe(got.data, got.isBinary, want, binary)];
}

async function pingOne(peer, data) {
  peer.ws.ping(data);
  const pong = await peer.nextPong(10000);
  if (!pong.equals(data)) return [false, `pong payload ${pong.length} bytes differs from the ping's ${data.length}`];
  return [true, ''];
}

// Stops reading the socket, sends count messages of size bytes, waits a
// second (the peer's echoes back up: it must wait for us, not drop us or
// lose data), then reads again and expects every echo in order.
async function slowReader(peer, count, size) {
  const sock = peer.ws._socket; // ws 8 keeps its net.Socket here
  const sent = [];
  sock.pause();
  try {
    for (let i = 0; i < count; i++) {
      const m = makeBinary(size, 1000 + i + size);
      sent.push(m);
      peer.ws.send(m, { binary: true });
    }
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    sock.resume();
  }
  for (let i = 0; i < count; i++) {
    const got = await peer.next(30000);
    if (!got.isBinary || !got.data.equals(sent[i])) return [false, `message ${i}: ${describe(got.data, got.isBinary, sent[i], true)}`];
  }
  return [true, ''];
}

// ------------------------------------------------------------------ client role

function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * MiB, handshakeTimeout: 10000 });
    const peer = new Peer(ws);
    ws.once('open', () => resolve(peer));
    ws.once('unexpected-response', (req, res) => reject(new Error(`handshake answered HTTP ${res.statusCode}`)));
    ws.once('error', (e) => reject(e));
  });
}

async function runClient(url, prefix) {
  let peer = null;
  const ensure = async () => {
    if (!peer || !peer.open) peer = await connect(url);
    return peer;
  };
  const checks = matrix().map(([name, frags, binary]) => [name, (p) => echoOne(p, frags, binary, false)]);
  checks.push(['fragmented-with-ping-between', (p) => echoOne(p, [makeBinary(5000, 21), makeBinary(5000, 22)], true, true)]);
  checks.push(['slow-reader-32x1MiB', (p) => slowReader(p, 32, MiB)]);
  checks.push(['ping', (p) => pingOne(p, Buffer.from('ping from node'))]);
  checks.push(['ping-empty', (p) => pingOne(p, Buffer.alloc(0))]);
  checks.push(['ping-125', (p) => pingOne(p, makeBinary(125, 5))]);
  for (const [name, fn] of checks) {
    try {
      const [ok, why] = await fn(await ensure());
      report(`${prefix}/${name}`, ok, why);
    } catch (e) {
      report(`${prefix}/${name}`, false, e.message);
      if (peer && /timed out/.test(e.message)) { peer.ws.terminate(); peer = null; }
    }
  }
  await closeCheck(peer && peer.open ? peer : null, url, `${prefix}/close-1000`, 1000, '');
  await closeCheck(null, url, `${prefix}/close-4000-reason`, 4000, 'bye from node ✓');
}

async function closeCheck(peer, url, name, code, reason) {
  try {
    if (!peer) {
      peer = await connect(url);
      const [ok, why] = await echoOne(peer, [Buffer.from('before close')], false, false);
      if (!ok) return report(name, false, `echo before close: ${why}`);
    }
    const start = Date.now();
    peer.ws.close(code, reason);
    const c = await peer.whenClosed(15000);
    const took = (Date.now() - start) / 1000;
    if (!c) report(name, false, 'close handshake timed out');
    else if (c.code === 1006 || c.code === 1005 && code !== 1005) report(name, false, `sent close ${code} ${JSON.stringify(reason)}, got ${c.code} (no close code from the server)${peer.error ? ': ' + peer.error.message : ''}`);
    else if (c.code !== code) report(name, false, `sent close ${code} ${JSON.stringify(reason)}, server answered ${c.code} ${JSON.stringify(c.reason)}`);
    else if (c.reason !== '' && c.reason !== reason) report(name, false, `server answered code ${c.code} with an unrelated reason ${JSON.stringify(c.reason)}`);
    else if (took > 4) report(name, false, `server echoed ${c.code} but did not close TCP for ${took.toFixed(1)} s`);
    else report(name, true);
  } catch (e) {
    report(name, false, e.message);
  }
}

// ------------------------------------------------------------------ chat_server

// Two ws clients in chat_server's room: a text from one reaches both; a
// page from another origin may not join.
async function runChat(base, prefix) {
  const wsUrl = base.replace(/^http/, 'ws').replace(/\/$/, '') + '/chat';
  const origin = base.replace(/\/$/, '');
  const open = (query, extra) => new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl + query, { perMessageDeflate: false, origin, ...extra });
    const peer = new Peer(ws);
    ws.once('open', () => resolve(peer));
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`handshake answered HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
  const until = async (peer, pred, ms) => {
    const end = Date.now() + ms;
    const seen = [];
    while (Date.now() < end) {
      const m = await peer.next(Math.max(1, end - Date.now())).catch(() => null);
      if (!m) break;
      seen.push(m.data.toString());
      if (!m.isBinary && pred(m.data.toString())) return [true, seen];
    }
    return [false, seen];
  };
  let a = null, b = null;
  try {
    a = await open('?name=nodeA', { perMessageDeflate: { threshold: 0 } });  // A compressed, B not
    b = await open('?name=nodeB');
    const pA = agreedParams(a.ws);
    report(`${prefix}/permessage-deflate-agreed`, pA !== null && agreedParams(b.ws) === null,
      `client A (offers permessage-deflate): ${paramsText(pA)}; client B (does not offer it): ${paramsText(agreedParams(b.ws))}`);
    const text = `from node B ${Date.now()} ✓`;
    b.ws.send(text);
    const [okA, seenA] = await until(a, (t) => t.includes(text), 5000);
    const [okB, seenB] = await until(b, (t) => t.includes(text), 5000);
    report(`${prefix}/broadcast-two-clients`, okA && okB,
      `B sent ${JSON.stringify(text)}; A got ${JSON.stringify(seenA)}, B got ${JSON.stringify(seenB)}`);
  } catch (e) {
    report(`${prefix}/broadcast-two-clients`, false, e.message);
  }
  for (const p of [a, b]) if (p) { p.ws.close(1000); await p.whenClosed(5000); }
  try {
    const p = await open('?name=intruder', { origin: 'http://attacker.invalid' });
    report(`${prefix}/foreign-origin-refused`, false, 'a WebSocket with Origin http://attacker.invalid was accepted');
    p.ws.terminate();
  } catch (e) {
    report(`${prefix}/foreign-origin-refused`, e.status >= 400 && e.status < 500, e.message);
  }
}

// ------------------------------------------------------------------ server role

function runClientProcess(clientBin, url, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(clientBin, ['--echo', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => { child.kill('SIGKILL'); resolve({ code: null, timedOut: true, out }); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(t); resolve({ code: null, out: `spawn failed: ${e.message}` }); });
    child.on('exit', (code, signal) => { clearTimeout(t); resolve({ code, signal, out }); });
  });
}

const tail = (s) => (s.trim() ? s.trim().replace(/\n/g, ' | ').slice(-400) : '(none)');

async function serverScenario(clientBin, prefix, { closeCode, closeReason, full, abort, expectExit, exitName, timeoutMs }) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * MiB });
  await new Promise((r) => wss.once('listening', r));
  const port = wss.address().port;
  let connected = false;
  const session = new Promise((resolve) => {
    wss.once('connection', async (ws) => {
      connected = true;
      const peer = new Peer(ws);
      try {
        if (abort) {
          const [ok, why] = await echoOne(peer, [Buffer.from('then the TCP connection drops')], false, false);
          report(`${prefix}/echo-before-abort`, ok, why);
          ws.terminate();
          return resolve();
        }
        const items = full ? matrix() : [['text-small', [Buffer.from('hello from the node server')], false]];
        for (const [name, frags, binary] of items) {
          try {
            const [ok, why] = await echoOne(peer, frags, binary, false);
            report(`${prefix}/${name}`, ok, why);
          } catch (e) {
            report(`${prefix}/${name}`, false, e.message);
            if (!peer.open) return resolve();
          }
        }
        if (full) {
          try {
            const [ok, why] = await echoOne(peer, [makeBinary(5000, 21), makeBinary(5000, 22)], true, true);
            report(`${prefix}/fragmented-with-ping-between`, ok, why);
          } catch (e) {
            report(`${prefix}/fragmented-with-ping-between`, false, e.message);
          }
          try {
            const [ok, why] = await slowReader(peer, 32, MiB);
            report(`${prefix}/slow-reader-32x1MiB`, ok, why);
          } catch (e) {
            report(`${prefix}/slow-reader-32x1MiB`, false, e.message);
          }
          try {
            const [ok, why] = await pingOne(peer, Buffer.from('ping from the node server'));
            report(`${prefix}/ping`, ok, why);
          } catch (e) {
            report(`${prefix}/ping`, false, e.message);
          }
        }
        const name = `${prefix}/close-${closeCode}${closeReason ? '-reason' : ''}`;
        if (!peer.open) { report(name, false, 'connection already closed'); return resolve(); }
        ws.close(closeCode, closeReason);
        const c = await peer.whenClosed(15000);
        if (!c) report(name, false, 'close handshake timed out');
        else if (c.code !== closeCode) report(name, false, `sent close ${closeCode} ${JSON.stringify(closeReason)}, client answered ${c.code} ${JSON.stringify(c.reason)}`);
        else if (c.reason !== '' && c.reason !== closeReason) report(name, false, `client answered ${c.code} with an unrelated reason ${JSON.stringify(c.reason)}`);
        else report(name, true);
      } catch (e) {
        report(`${prefix}/session`, false, e.message);
      }
      resolve();
    });
  });
  const result = await runClientProcess(clientBin, `ws://127.0.0.1:${port}/interop?from=node`, timeoutMs);
  if (connected) await Promise.race([session, new Promise((r) => setTimeout(r, 5000))]);
  if (result.timedOut) report(exitName, false, `client did not exit within ${timeoutMs / 1000} s; output: ${tail(result.out)}`);
  else if (!connected) report(exitName, false, `client never connected (exit ${result.code}); output: ${tail(result.out)}`);
  else if (result.code === expectExit) report(exitName, true);
  else report(exitName, false, `client exited ${result.code}${result.signal ? ' (' + result.signal + ')' : ''}, expected ${expectExit}; output: ${tail(result.out)}`);
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
}

async function runServer(clientBin, prefix) {
  await serverScenario(clientBin, prefix, { closeCode: 1000, closeReason: '', full: true, expectExit: 0, exitName: `${prefix}/client-exit-0-after-1000`, timeoutMs: 300000 });
  await serverScenario(clientBin, prefix, { closeCode: 4000, closeReason: 'bye from the node server ✓', full: false, expectExit: 0, exitName: `${prefix}/client-exit-0-after-4000`, timeoutMs: 60000 });
  await serverScenario(clientBin, prefix, { abort: true, expectExit: 1, exitName: `${prefix}/client-exit-1-after-abort`, timeoutMs: 60000 });
}

// ------------------------------------------------------------ permessage-deflate

const DEFLATE_SIZES = [0, 1, 125, 126, 65535, 65536, MiB];

// [server nct, client nct, server bits, client bits] as ws agreed them, or null.
function agreedParams(ws) {
  const ext = ws._extensions && ws._extensions['permessage-deflate']; // ws 8 keeps the accepted extension here
  if (!ext) return null;
  const p = ext.params;
  return [!!p.server_no_context_takeover, !!p.client_no_context_takeover,
    typeof p.server_max_window_bits === 'number' ? p.server_max_window_bits : 15,
    typeof p.client_max_window_bits === 'number' ? p.client_max_window_bits : 15];
}

function paramsText(t) {
  if (!t) return 'not agreed';
  return `server_max_window_bits=${t[2]} client_max_window_bits=${t[3]}` + (t[0] ? ' server_no_context_takeover' : '') +
    (t[1] ? ' client_no_context_takeover' : '');
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function compressibleText(n, seed) {
  const words = ['the', 'codec', 'frame', 'café', 'naïve', '€uro', 'message', 'deflate', 'window'].map((w) => Buffer.from(w + ' '));
  const rnd = makeBinary(Math.ceil(n / 3) + 1, seed);
  const parts = [];
  let len = 0, i = 0;
  while (len < n) { const w = words[rnd[i++] % words.length]; parts.push(w); len += w.length; }
  const all = Buffer.concat(parts);
  let cut = n;
  while (cut > 0 && cut < all.length && (all[cut] & 0xc0) === 0x80) cut--; // not inside a character
  return Buffer.concat([all.subarray(0, cut), Buffer.alloc(n - cut, 'q')]);
}

function compressibleBinary(n, seed) {
  const block = makeBinary(61, seed);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 61) block.copy(b, i, 0, Math.min(61, n - i));
  return b;
}

function deflateGroups() {
  return [
    ['text-compressible', false, DEFLATE_SIZES.map((n) => [n, compressibleText(n, n)])],
    ['text-random', false, DEFLATE_SIZES.map((n) => [n, makeText(n, n + 2)])],
    ['binary-compressible', true, DEFLATE_SIZES.map((n) => [n, compressibleBinary(n, n + 3)])],
    ['binary-random', true, DEFLATE_SIZES.map((n) => [n, makeBinary(n, n + 4)])],
  ];
}

const DEFLATE_FRAGMENTS = ['fragmented ', 'and compressed: ', compressibleText(70000, 5), '', '€😀 end'].map((x) => Buffer.from(x));

// One check per group (every size must echo intact), one for a fragmented message;
// `slow`: then the slow reader with 2000 random 8 KiB messages, each inflated in one
// piece, whose echoes back up while they view the peer's inflate buffer.
async function deflateEchoes(peer, p, slow) {
  for (const [group, binary, items] of deflateGroups()) {
    let why = '';
    for (const [n, msg] of items) {
      try {
        const [ok, w] = await echoOne(peer, [msg], binary, false);
        if (!ok) why = `${sizeName(n)} bytes: ${w}`;
      } catch (e) {
        why = `${sizeName(n)} bytes: ${e.message}`;
      }
      if (why) break;
    }
    report(`${p}/${group}-0-to-1MiB`, !why, why);
    if (why && !peer.open) return false;
  }
  try {
    const [ok, why] = await echoOne(peer, DEFLATE_FRAGMENTS, false, false);
    report(`${p}/fragmented-text`, ok, why);
  } catch (e) {
    report(`${p}/fragmented-text`, false, e.message);
  }
  if (slow && peer.open) {
    try {
      const [ok, why] = await slowReader(peer, 2000, 8192);
      report(`${p}/slow-reader-2000x8KiB`, ok, why);
    } catch (e) {
      report(`${p}/slow-reader-2000x8KiB`, false, e.message);
    }
  }
  return peer.open;
}

// Against echo_server started per plan: [configuration, perMessageDeflate, expected agreement or null].
const DEFLATE_CLIENT_PLANS = {
  default: [
    ['threshold-0', { threshold: 0 }, [false, false, 15, 15]],
    ['window-10-no-context-takeover', { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true,
      serverMaxWindowBits: 10, clientMaxWindowBits: 10 }, [true, true, 10, 10]],
  ],
  'window-10-no-context-takeover': [['threshold-0', { threshold: 0 }, [true, true, 10, 10]]],
  'no-deflate': [['threshold-0', { threshold: 0 }, null]],
};

async function runDeflateClient(url, prefix, plan) {
  for (const [config, pmd, want] of DEFLATE_CLIENT_PLANS[plan]) {
    const p = `${prefix}/${config}`;
    let peer = null;
    try {
      peer = await new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: pmd, maxPayload: 64 * MiB, handshakeTimeout: 10000 });
        const pe = new Peer(ws);
        let header = null;
        ws.once('upgrade', (res) => { header = res.headers['sec-websocket-extensions']; });
        ws.once('open', () => { pe.header = header; resolve(pe); });
        ws.once('unexpected-response', (req, res) => reject(new Error(`handshake answered HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
      const got = agreedParams(peer.ws);
      report(`${p}/${want ? 'agreed' : 'not-agreed'}`, same(got, want),
        `agreed: ${paramsText(got)}; expected: ${paramsText(want)}; Sec-WebSocket-Extensions: ${JSON.stringify(peer.header)}`);
      if (await deflateEchoes(peer, p, plan === 'default' && config === 'threshold-0')) {
        peer.ws.close(1000);
        const c = await peer.whenClosed(10000);
        report(`${p}/close-1000`, c && c.code === 1000, `close: ${JSON.stringify(c)}`);
      }
    } catch (e) {
      report(`${p}/session`, false, e.message);
    }
    if (peer && peer.open) peer.ws.terminate();
  }
}

// [configuration, perMessageDeflate of the ws server, client flags, expected agreement or null].
const DEFLATE_SERVER_PLAN = [
  ['threshold-0', { threshold: 0 }, [], [false, false, 15, 15]],
  ['window-9-no-context-takeover', { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true,
    serverMaxWindowBits: 9, clientMaxWindowBits: 9 }, [], [true, true, 9, 9]],
  ['client-window-11', { threshold: 0 }, ['--deflate-window-bits', '11'], [false, false, 11, 11]],
];

// The client's `permessage-deflate: agreed (...)` line as agreedParams() gives it; null for
// `not agreed`, 'missing' without either.
function clientSummary(text) {
  const m = /permessage-deflate: (?:agreed \(([^)]*)\)|not agreed)/.exec(text);
  if (!m) return 'missing';
  if (m[1] === undefined) return null;
  const f = {};
  for (const kv of m[1].split(',').map((x) => x.trim())) {
    const [k, v] = kv.split('=');
    f[k] = v === undefined ? true : Number(v);
  }
  return [!!f.server_no_context_takeover, !!f.client_no_context_takeover, f.server_max_window_bits || 0, f.client_max_window_bits || 0];
}

async function runDeflateServer(clientBin, prefix) {
  for (const [config, pmd, flags, want] of DEFLATE_SERVER_PLAN) {
    const p = `${prefix}/${config}`;
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: pmd, maxPayload: 64 * MiB });
    await new Promise((r) => wss.once('listening', r));
    let header = null;
    wss.once('headers', (headers) => { header = headers.find((h) => /^sec-websocket-extensions:/i.test(h)) || null; });
    let connected = false;
    const session = new Promise((resolve) => {
      wss.once('connection', async (ws) => {
        connected = true;
        const peer = new Peer(ws);
        try {
          const got = agreedParams(ws);
          report(`${p}/${want ? 'agreed' : 'not-agreed'}`, same(got, want),
            `agreed: ${paramsText(got)}; expected: ${paramsText(want)}; response header: ${JSON.stringify(header)}`);
          if (await deflateEchoes(peer, p, config === 'threshold-0')) {
            ws.close(1000);
            const c = await peer.whenClosed(10000);
            report(`${p}/close-1000`, c && c.code === 1000, `close: ${JSON.stringify(c)}`);
          }
        } catch (e) {
          report(`${p}/session`, false, e.message);
        }
        resolve();
      });
    });
    const url = `ws://127.0.0.1:${wss.address().port}/deflate?config=${config}`;
    const result = await new Promise((resolve) => {
      const child = spawn(clientBin, ['--echo', ...flags, url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve({ code: null, timedOut: true, out, err }); }, 60000);
      child.on('error', (e) => { clearTimeout(t); resolve({ code: null, out, err: `spawn failed: ${e.message}` }); });
      child.on('exit', (code, signal) => { clearTimeout(t); resolve({ code, signal, out, err }); });
    });
    if (connected) await Promise.race([session, new Promise((r) => setTimeout(r, 5000))]);
    const all = result.out + result.err;
    if (result.timedOut) report(`${p}/client-exit-0`, false, `client did not exit within 60 s; output: ${tail(all)}`);
    else if (!connected) report(`${p}/client-exit-0`, false, `client never connected (exit ${result.code}); output: ${tail(all)}`);
    else report(`${p}/client-exit-0`, result.code === 0, `exit ${result.code}${result.signal ? ' (' + result.signal + ')' : ''}; output: ${tail(all)}`);
    if (connected) {
      const said = clientSummary(result.err);
      report(`${p}/client-prints-${want ? 'agreed-parameters' : 'not-agreed'}`, same(said, want),
        `the client printed ${said === 'missing' ? 'no permessage-deflate line' : paramsText(said)}, expected ${paramsText(want)}; stderr: ${tail(result.err)}`);
    }
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
}

async function main() {
  const args = process.argv.slice(2);
  let prefix = null;
  const rest = [];
  for (const a of args) {
    if (a.startsWith('--prefix=')) prefix = a.slice(9);
    else rest.push(a);
  }
  const [mode, arg, plan] = rest;
  if (mode === 'client' && arg) await runClient(arg, prefix || 'node-client');
  else if (mode === 'server' && arg) await runServer(require('path').resolve(arg), prefix || 'node-server');
  else if (mode === 'chat' && arg) await runChat(arg, prefix || 'node-chat');
  else if (mode === 'deflate-client' && arg && DEFLATE_CLIENT_PLANS[plan]) await runDeflateClient(arg, prefix || `node-deflate-client/${plan}`, plan);
  else if (mode === 'deflate-server' && arg) await runDeflateServer(require('path').resolve(arg), prefix || 'node-deflate-server');
  else {
    console.error('usage: node node_peer.js [--prefix=NAME] client ws://127.0.0.1:PORT/ | server CLIENT_BIN | chat http://127.0.0.1:PORT/ |\n' +
      `  deflate-client ws://127.0.0.1:PORT/ ${Object.keys(DEFLATE_CLIENT_PLANS).join('|')} | deflate-server CLIENT_BIN`);
    process.exit(2);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL node-peer: ${e.stack || e}`);
  process.exit(1);
});
