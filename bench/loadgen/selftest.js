// bench/loadgen/selftest.js — checks the load generator's frame parser: runs `loadgen chat`
// against the ws reference server through a proxy that re-cuts the server's byte stream into
// random pieces (frames split across reads, many frames per read, headers cut in two) and
// injects WebSocket pings and a fragmented text message, then asserts nothing was lost.
// Usage: node bench/loadgen/selftest.js  (after `make -C bench/loadgen`)
'use strict';
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');

const LOADGEN = path.join(__dirname, '..', 'out', 'loadgen');
const PEER = path.join(__dirname, '..', 'peers', 'ws-server.js');

function frame(opcode, payload, fin = true) {
  const b = Buffer.from(payload);
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, b.length]), b]);
}

async function main() {
  const server = spawn(process.execPath, [PEER, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    server.stdout.once('data', (d) => resolve(JSON.parse(String(d).split('\n')[0]).port));
    setTimeout(() => reject(new Error('ws-server did not start')), 10000);
  });
  let injected = 0;
  const proxy = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    client.on('data', (d) => up.write(d));
    let upgraded = false;
    let pending = Buffer.alloc(0);
    up.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.write(pending.subarray(0, end + 4));
        pending = pending.subarray(end + 4);
        upgraded = true;
        // A ping and a fragmented (ignored) message, cut into pieces like everything else.
        pending = Buffer.concat([frame(0x9, 'hi'), frame(0x1, '{"t":"no', false), frame(0x0, 'te"}'), pending]);
        injected++;
      }
      while (pending.length > 0) {  // random cuts, 1..300 bytes
        const n = Math.min(pending.length, 1 + Math.floor(Math.random() * 300));
        client.write(pending.subarray(0, n));
        pending = pending.subarray(n);
      }
    });
    const end = () => { client.destroy(); up.destroy(); };
    client.on('error', end); up.on('error', end); client.on('close', end); up.on('close', end);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => proxy.once('listening', r));
  const fs = require('fs');
  const os = require('os');
  const tokens = path.join(os.tmpdir(), `loadgen-selftest-${process.pid}.txt`);
  fs.writeFileSync(tokens, Array.from({ length: 20 }, (_, i) => `t${i}`).join('\n'));
  const lg = spawn(LOADGEN, ['chat', '20', '--port', String(proxy.address().port), '--tokens', tokens,
    '--duration', '2', '--warmup', '0.5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  lg.stdout.on('data', (d) => { out += d; });
  const timer = setTimeout(() => lg.kill('SIGKILL'), 30000);
  await new Promise((r) => lg.on('exit', r));
  clearTimeout(timer);
  server.kill();
  proxy.close();
  fs.rmSync(tokens, { force: true });
  const r = JSON.parse(out);
  const c = r.correctness;
  const ok = !r.fatal && c.seq_gaps === 0 && c.seq_dups === 0 && c.lost === 0 && c.unacked === 0 &&
    r.errors.bad_frames === 0 && r.acked_per_s > 0 && injected === 40;
  console.log(JSON.stringify({ acked_per_s: r.acked_per_s, correctness: c, errors: r.errors, injected }));
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });
