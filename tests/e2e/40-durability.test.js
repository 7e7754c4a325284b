'use strict';
// Durability: every acknowledged message survives kill -9 of the server process, with
// contiguous seqs, and the idempotency record survives too.

const fs = require('fs');
const { spawnServer, withTimeout, Client } = require('../helpers/server');

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let servers = [];
afterEach(async () => {
  for (const s of servers) await s.kill('SIGKILL').catch(() => {});
  for (const d of new Set(servers.map((s) => s.dataDir))) fs.rmSync(d, { recursive: true, force: true });
  servers = [];
});

async function spawn(opts) {
  const s = await spawnServer(opts);
  servers.push(s);
  return s;
}

it('kill -9 right after the acks of 200 messages loses no acknowledged message', async () => {
  const first = await spawn();
  // 5 visitors, 40 messages each, all in flight at once so that acks share group commits.
  const visitors = [];
  for (let i = 0; i < 5; i++) {
    const c = new Client(first.url);
    const welcome = await c.hello({ role: 'visitor', site: 'demo' });
    const open = await c.send(`v${i}-0`, `visitor ${i} message 0`);
    visitors.push({ c, welcome, conv: open.conv, acks: [open] });
  }
  const total = 200;
  let acked = visitors.length;
  let killed;
  const allAcked = new Promise((resolve) => {
    for (const v of visitors) {
      v.c.ws.on('message', (data) => {
        const f = JSON.parse(data.toString());
        if (f.t !== 'ack') return;
        v.acks.push(f);
        // SIGKILL in the same tick as the last ack: nothing gets a chance to flush afterwards.
        if (++acked === total) {
          killed = first.kill('SIGKILL');
          resolve();
        }
      });
    }
  });
  for (let k = 1; k < total / visitors.length; k++) {
    for (const [i, v] of visitors.entries()) v.c.write({ t: 'send', id: `v${i}-${k}`, conv: v.conv, text: `visitor ${i} message ${k}` });
  }
  await withTimeout(allAcked, 15000, `acks (${total})`);
  const { signal } = await killed;
  expect(signal).toBe('SIGKILL');
  for (const v of visitors) v.c.terminate();

  const second = await spawn({ dataDir: first.dataDir });
  for (const [i, v] of visitors.entries()) {
    const back = new Client(second.url);
    const w = await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv: v.conv, after: 0 } });
    expect(w.conv).toBe(v.conv);
    expect(w.lastSeq).toBeGreaterThanOrEqual(v.acks.length);
    const replay = await back.count((f) => f.t === 'msg' && f.conv === v.conv, w.lastSeq, 10000);
    expect(replay.map((m) => m.seq)).toEqual(range(1, w.lastSeq));
    const bySeq = new Map(replay.map((m) => [m.seq, m]));
    for (const a of v.acks) {
      const k = Number(a.id.split('-')[1]);
      expect(bySeq.get(a.seq)).toMatchObject({ clientId: a.id, text: `visitor ${i} message ${k}`, ts: a.ts });
    }
    // The idempotency record survived as well: a resend gets the same ack and stores nothing.
    const last = v.acks[v.acks.length - 1];
    expect(await back.send(last.id, 'resent after the crash', v.conv)).toEqual(last);
    expect((await back.send('after-restart', 'new one', v.conv)).seq).toBe(w.lastSeq + 1);
    back.terminate();
  }
}, 60000);

it('SIGTERM stops gracefully: connections are closed with 1001 and the process exits 0', async () => {
  const s = await spawn();
  const v = new Client(s.url);
  const welcome = await v.hello({ role: 'visitor', site: 'demo' });
  const ack = await v.send('m', 'before shutdown');
  s.child.kill('SIGTERM');
  expect((await v.closed).code).toBe(1001);
  expect(await s.exited).toEqual({ code: 0, signal: null });

  const again = await spawn({ dataDir: s.dataDir });
  const back = new Client(again.url);
  await back.hello({ role: 'visitor', site: 'demo', visitorToken: welcome.visitorToken, resume: { conv: ack.conv, after: 0 } });
  expect(await back.next('msg')).toMatchObject({ conv: ack.conv, seq: 1, text: 'before shutdown' });
  back.terminate();
}, 30000);
