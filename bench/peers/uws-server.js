// bench/peers/uws-server.js — reference server: uWebSockets.js (npm
// `@trufflesuite/uws-js-unofficial`) around the shared routing in hub.js.
// Usage: node uws-server.js --port 0 --host 127.0.0.1
'use strict';
const uWS = require('@trufflesuite/uws-js-unofficial');
const { createHub, parseArgs } = require('./hub');

const args = parseArgs(process.argv.slice(2));
const hub = createHub({
  maxChats: Number(args.maxChats || 1),
  send: (conn, frame) => { if (!conn.closed) conn.ws.send(frame, false); },
  close: (conn, code, reason) => { if (!conn.closed) conn.ws.end(code, reason); },
});

uWS.App()
  .ws('/ws', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 120,
    upgrade: (res, req, context) => {
      const offered = req.getHeader('sec-websocket-protocol');
      res.upgrade({ conn: { ws: null, closed: false } }, req.getHeader('sec-websocket-key'),
        offered.includes('switchboard.v1') ? 'switchboard.v1' : '',
        req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => { ws.getUserData().conn.ws = ws; },
    message: (ws, message) => hub.onText(ws.getUserData().conn, Buffer.from(message).toString('utf8')),
    close: (ws) => {
      const { conn } = ws.getUserData();
      conn.closed = true;
      hub.onClose(conn);
    },
  })
  .any('/*', (res) => { res.writeStatus('404 Not Found').end(); })
  .listen(args.host || '127.0.0.1', Number(args.port || 0), (token) => {
    if (!token) { console.error('uws-server: listen failed'); process.exit(1); }
    const port = uWS.us_socket_local_port(token);
    console.log(JSON.stringify({ ready: true, server: 'uws', port, pid: process.pid }));
  });
process.on('SIGTERM', () => process.exit(0));
