'use strict';
// The JS API's events: conversation lifecycle and stored messages, delivered from the native
// threads in batches.

const { startServer } = require('../helpers/server');

let t;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.stop());

function collect(server, names) {
  const seen = [];
  for (const n of names) server.on(n, (e) => seen.push({ ...e, type: n }));
  return seen;
}

async function until(pred, ms = 3000) {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error('timed out waiting for events');
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('emits conversation.opened/queued/assigned/closed and message events in order', async () => {
  const seen = collect(t.server, ['conversation.opened', 'conversation.queued', 'conversation.assigned', 'conversation.closed', 'message']);
  const v = await t.visitor();
  const ack = await v.send('e1', 'event me');
  await until(() => seen.some((e) => e.type === 'message'));
  const a = await t.agent();
  await a.next((f) => f.t === 'conv' && f.state === 'assigned');
  await a.send('e2', 'answer', ack.conv);
  a.write({ t: 'close', conv: ack.conv });
  await until(() => seen.some((e) => e.type === 'conversation.closed'));

  const types = seen.filter((e) => e.conv === ack.conv).map((e) => e.type);
  expect(types).toEqual(['conversation.opened', 'conversation.queued', 'message', 'conversation.assigned', 'message', 'conversation.closed']);
  const msg = seen.find((e) => e.type === 'message');
  expect(msg).toMatchObject({ conv: ack.conv, seq: 1, text: 'event me', site: 'demo', from: { kind: 'visitor', id: v.welcome.visitor } });
  expect(seen.find((e) => e.type === 'conversation.assigned').agent).toBe(a.agent.id);
});
