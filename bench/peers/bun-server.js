// bench/peers/bun-server.js — reference server: Bun's built-in WebSocket server (Bun from the
// npm package `bun`) around the shared routing in hub.js.
// Usage: node_modules/bun/bin/bun.exe bench/peers/bun-server.js --port 0 --host 127.0.0.1
'use strict';
const { createHub, parseArgs } = require('./hub');

const args = parseArgs(process.argv.slice(2));
const hub = createHub({
  maxChats: Number(args.maxChats || 1),
  send: (conn, frame) => { if (!conn.closed) conn.ws.send(frame); },
  close: (conn, code, reason) => { if (!conn.closed) conn.ws.close(code, reason); },
});

const server = Bun.serve({
  hostname: args.host || '127.0.0.1',
  port: Number(args.port || 0),
  fetch(req, srv) {
    if (new URL(req.url).pathname !== '/ws') return new Response('not found', { status: 404 });
    const offered = req.headers.get('sec-websocket-protocol') || '';
    const headers = offered.includes('switchboard.v1') ? { 'Sec-WebSocket-Protocol': 'switchboard.v1' } : {};
    if (srv.upgrade(req, { data: { ws: null, closed: false }, headers })) return undefined;
    return new Response('upgrade required', { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 120,
    open(ws) { ws.data.ws = ws; },
    message(ws, message) { hub.onText(ws.data, typeof message === 'string' ? message : message.toString()); },
    close(ws) { ws.data.closed = true; hub.onClose(ws.data); },
  },
});
console.log(JSON.stringify({ ready: true, server: 'bun', port: server.port, pid: process.pid }));
process.on('SIGTERM', () => process.exit(0));
