'use strict';
// Durability: every acknowledged message survives kill -9 of the server process.

const fs = require('fs');
const { spawnServer, Client } = require('../helpers/server');

it('kill -9 right after the acks loses no acknowledged message', async () => {
  const first = await spawnServer();
  const v = new Client(first.url);
  const welcome = await v.hello({ role: 'visitor', site: 'demo' });
  const acked = [];
  let conv;
  // Many sends in flight, so that acks share group commits; kill as soon as the last is acked.
  const sends = [];
  for (let i = 0; i < 200; i++) {
    if (i === 0) {
      const a = await v.say('k0', 'message 0');
      conv = a.conv;
      acked.push(a);
      continue;
    }
    v.send({ t: 'send', id: `k${i}`, conv, text: `message ${i}` });
    sends.push(v.next((f) => f.t === 'ack' && f.id === `k${i}`, 10000).then((a) => acked.push(a)));
  }
  await Promise.all(sends);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  v.terminate();

  const second = await spawnServer({ dataDir: first.dataDir });
  try {
    const back = new Client(second.url);
    const w = await back.hello({ role: 'visitor', site: 'demo', visitorToken: welcome.visitorToken, resume: { conv, after: 0 } });
    expect(w.conv).toBe(conv);
    expect(w.lastSeq).toBeGreaterThanOrEqual(200);
    const replay = await back.count((f) => f.t === 'msg', 200, 10000);
    const bySeq = new Map(replay.map((m) => [m.seq, m]));
    for (const a of acked) expect(bySeq.get(a.seq)?.clientId).toBe(a.id);
    expect(replay.map((m) => m.seq)).toEqual(Array.from({ length: replay.length }, (_, i) => i + 1));
    back.terminate();
  } finally {
    second.child.kill('SIGKILL');
    await new Promise((r) => second.child.once('exit', r));
    fs.rmSync(first.dataDir, { recursive: true, force: true });
  }
}, 60000);

it('SIGTERM stops gracefully: connections are closed with 1001', async () => {
  const s = await spawnServer();
  const v = new Client(s.url);
  await v.hello({ role: 'visitor', site: 'demo' });
  s.child.kill('SIGTERM');
  const closed = await v.closed;
  expect(closed.code).toBe(1001);
  const code = await new Promise((r) => s.child.once('exit', r));
  expect(code).toBe(0);
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}, 30000);
