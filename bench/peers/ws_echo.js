#!/usr/bin/env node
// bench/peers/ws_echo.js — the npm package `ws` (8.x, pinned by
// tests/interop/package-lock.json) as a plain echo server, for
// scripts/load_bench.sh to measure beside the examples' echo_server.
// Loopback only.
//
//   node ws_echo.js [--port N]      127.0.0.1:N (0, the default: the kernel picks)
//
// Prints `listening on ws://127.0.0.1:PORT` once it listens. Every message
// comes back with its type; permessage-deflate is off (a load generator that
// offers nothing gets plain frames anyway). SIGINT or SIGTERM: exits 0.
// `ws` is found through NODE_PATH (scripts/load_bench.sh points it at
// build/interop/node_modules).
'use strict';

let WebSocketServer;
try {
  ({ WebSocketServer } = require('ws'));
} catch (e) {
  console.error(`ws_echo: the npm package ws is not installed: ${e.message}`);
  process.exit(1);
}

let port = 0;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--port' && i + 1 < args.length) port = Number(args[++i]);
  else if (args[i].startsWith('--port=')) port = Number(args[i].slice(7));
  else {
    console.error(`usage: node ws_echo.js [--port N]`);
    process.exit(2);
  }
}

const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 64 << 20 });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => ws.terminate());
});
server.on('listening', () => console.log(`listening on ws://127.0.0.1:${server.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
