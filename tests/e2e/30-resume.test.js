'use strict';
// Resume: a reconnecting client gets exactly what it missed, in order, then live messages.

const { startServer } = require('../helpers/server');

let t;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.stop());

it('resume after a disconnect replays the missed messages in order with no gap and no duplicate', async () => {
  const a = await t.agent();
  const v = await t.visitor();
  const ack = await v.say('m1', 'first');
  await a.next((f) => f.t === 'conv' && f.conv === ack.conv);
  await v.next((f) => f.t === 'msg' && f.seq === 1);
  await v.terminate();

  for (let i = 2; i <= 21; i++) await a.say(`r${i}`, `reply ${i}`, ack.conv);

  const back = t.client();
  const welcome = await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv: ack.conv, after: 1 } });
  expect(welcome.conv).toBe(ack.conv);
  expect(welcome.lastSeq).toBe(21);
  const replay = await back.count((f) => f.t === 'msg', 20);
  expect(replay.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));

  await a.say('live', 'live one', ack.conv);
  const live = await back.next((f) => f.t === 'msg' && f.seq === 22);
  expect(live.text).toBe('live one');
  const seqs = back.frames.filter((f) => f.t === 'msg').map((m) => m.seq);
  expect(seqs).toEqual(Array.from({ length: 21 }, (_, i) => i + 2));
});

it('resume with after 0 replays the whole conversation', async () => {
  const v = await t.visitor();
  const ack = await v.say('a', 'one');
  await v.say('b', 'two', ack.conv);
  const back = t.client();
  await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv: ack.conv, after: 0 } });
  const all = await back.count((f) => f.t === 'msg', 2);
  expect(all.map((m) => m.text)).toEqual(['one', 'two']);
  expect(all[0].clientId).toBe('a');
});

it('resume while messages keep arriving loses none and repeats none', async () => {
  const a = await t.agent();
  const v = await t.visitor();
  const ack = await v.say('m0', 'start');
  await a.next((f) => f.t === 'conv' && f.conv === ack.conv);
  await v.terminate();
  let sending = true;
  let n = 1;
  const writer = (async () => {
    while (sending && n < 200) await a.say(`w${n}`, `burst ${n++}`, ack.conv);
  })();
  await new Promise((r) => setTimeout(r, 30));
  const back = t.client();
  await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv: ack.conv, after: 1 } });
  await new Promise((r) => setTimeout(r, 100));
  sending = false;
  await writer;
  const last = n; // seq of the last message sent = n (the visitor's message was seq 1)
  await back.next((f) => f.t === 'msg' && f.seq === last, 5000);
  const seqs = back.frames.filter((f) => f.t === 'msg').map((m) => m.seq);
  expect(seqs).toEqual(Array.from({ length: last - 1 }, (_, i) => i + 2));
});

it('resume of somebody else\'s conversation is refused with forbidden', async () => {
  const v1 = await t.visitor();
  const ack = await v1.say('x', 'private');
  const v2 = t.client();
  await v2.hello({ role: 'visitor', site: 'demo', resume: { conv: ack.conv, after: 0 } });
  expect((await v2.next('error')).code).toBe('forbidden');
  expect(v2.frames.filter((f) => f.t === 'msg')).toHaveLength(0);
});
