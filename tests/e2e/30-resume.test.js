'use strict';
// Resume: a reconnecting client gets exactly what it missed, in order, then live messages;
// no gap and no duplicate on any connection.

const { startServer } = require('../helpers/server');

let t;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.stop());

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const msgOf = (conv, seq) => (f) => f.t === 'msg' && f.conv === conv && (seq === undefined || f.seq === seq);
const seqsOf = (c, conv) => c.all(msgOf(conv)).map((m) => m.seq);
const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

async function pair() {
  const a = await t.agent({ maxChats: 50 });
  const v = await t.visitor();
  const ack = await v.send('m1', 'first');
  await a.next((f) => f.t === 'conv' && f.conv === ack.conv && f.state === 'assigned');
  await a.next(msgOf(ack.conv, 1));
  await v.next(msgOf(ack.conv, 1));
  return { a, v, conv: ack.conv };
}

it('resume after a disconnect replays exactly the missed messages in order, then live ones', async () => {
  const { a, v, conv } = await pair();
  await v.terminate();
  for (let i = 2; i <= 21; i++) await a.send(`r${i}`, `reply ${i}`, conv);

  const back = t.client();
  const welcome = await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv, after: 1 } });
  expect(welcome).toMatchObject({ conv, lastSeq: 21 });
  const replay = await back.count(msgOf(conv), 20);
  expect(replay.map((m) => m.seq)).toEqual(range(2, 21));
  expect(replay.map((m) => m.text)).toEqual(range(2, 21).map((i) => `reply ${i}`));
  expect(back.frames.indexOf(replay[0])).toBeGreaterThan(back.frames.indexOf(welcome));

  await a.send('live', 'live one', conv);
  expect((await back.next(msgOf(conv, 22))).text).toBe('live one');
  await back.send('v23', 'and me', conv);
  await settle();
  expect(seqsOf(back, conv)).toEqual(range(2, 23));
  expect(seqsOf(a, conv)).toEqual(range(1, 23));
});

it('resume with after equal to the last seq replays nothing and then delivers live messages', async () => {
  const { a, v, conv } = await pair();
  await v.terminate();
  const back = t.client();
  await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv, after: 1 } });
  await settle();
  expect(seqsOf(back, conv)).toEqual([]);
  await a.send('r2', 'two', conv);
  expect((await back.next(msgOf(conv))).seq).toBe(2);
});

it('resume with after 0 replays the whole conversation, with clientId on the sender\'s own messages', async () => {
  const { a, v, conv } = await pair();
  await a.send('r2', 'two', conv);
  await v.send('m3', 'three', conv);
  const back = t.client();
  await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv, after: 0 } });
  const all = await back.count(msgOf(conv), 3);
  expect(all.map((m) => [m.seq, m.text])).toEqual([[1, 'first'], [2, 'two'], [3, 'three']]);
  expect(all[0].clientId).toBe('m1');
  expect(all[1]).not.toHaveProperty('clientId');
});

it('an agent resumes its conversation the same way', async () => {
  const { a, v, conv } = await pair();
  await a.terminate();
  for (let i = 2; i <= 6; i++) await v.send(`v${i}`, `visitor ${i}`, conv);
  const back = t.client();
  await back.hello({ role: 'agent', token: a.token, resume: { conv, after: 1 } });
  const replay = await back.count(msgOf(conv), 5);
  expect(replay.map((m) => m.seq)).toEqual(range(2, 6));
  await back.send('a7', 'back again', conv);
  expect((await v.next(msgOf(conv, 7))).text).toBe('back again');
  await settle();
  expect(seqsOf(back, conv)).toEqual(range(2, 7));
});

it('resume while messages keep arriving loses none and repeats none', async () => {
  const { a, v, conv } = await pair();
  await v.terminate();
  let sending = true;
  let last = 1;
  const writer = (async () => {
    for (let n = 1; sending && n < 300; n++) last = (await a.send(`w${n}`, `burst ${n}`, conv)).seq;
  })();
  await settle(30);
  const back = t.client();
  await back.hello({ role: 'visitor', site: 'demo', visitorToken: v.welcome.visitorToken, resume: { conv, after: 1 } });
  await settle(100);
  sending = false;
  await writer;
  await back.next(msgOf(conv, last), 5000);
  await settle();
  expect(last).toBeGreaterThan(2);
  expect(seqsOf(back, conv)).toEqual(range(2, last));
});

it("resume of somebody else's conversation is refused with forbidden and replays nothing", async () => {
  const { conv } = await pair();
  const stranger = t.client();
  await stranger.hello({ role: 'visitor', site: 'demo', resume: { conv, after: 0 } });
  expect(await stranger.next('error')).toMatchObject({ code: 'forbidden' });
  await settle();
  expect(stranger.all('msg')).toEqual([]);
});
