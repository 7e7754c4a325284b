// bench/peers/ws-server.js — reference server: Node + `ws` (with `bufferutil`) around the
// shared routing in hub.js. Usage: node ws-server.js --port 0 --host 127.0.0.1
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const { createHub, parseArgs } = require('./hub');

const args = parseArgs(process.argv.slice(2));
const hub = createHub({
  maxChats: Number(args.maxChats || 1),
  send: (conn, frame) => conn.ws.send(frame),
  close: (conn, code, reason) => conn.ws.close(code, reason),
});

try { require('bufferutil'); } catch { console.error('ws-server: bufferutil is not installed'); }
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({
  server, path: '/ws', perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false,
  handleProtocols: (protocols) => (protocols.has('switchboard.v1') ? 'switchboard.v1' : false),
});
wss.on('connection', (ws) => {
  const conn = { ws };
  ws.on('message', (data) => hub.onText(conn, data.toString()));
  ws.on('close', () => hub.onClose(conn));
  ws.on('error', () => {});
});
server.listen(Number(args.port || 0), args.host || '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, server: 'ws', port: server.address().port, pid: process.pid }));
});
process.on('SIGTERM', () => process.exit(0));
