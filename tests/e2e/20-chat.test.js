'use strict';
// Chat both ways, fan-out to every connection, assignment and the queue, state changes,
// typing, read marks, history and idempotent resends.

const { startServer } = require('../helpers/server');

let t;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.stop());

const assigned = (conv) => (f) => f.t === 'conv' && f.conv === conv && f.state === 'assigned';

describe('chat', () => {
  it('visitor and agent chat both ways with contiguous seqs', async () => {
    const a = await t.agent();
    const v = await t.visitor();
    const ack = await v.say('m1', 'Hello, I need help');
    expect(ack).toMatchObject({ t: 'ack', id: 'm1', seq: 1 });
    expect(typeof ack.conv).toBe('string');
    expect(typeof ack.ts).toBe('number');
    const conv = await a.next(assigned(ack.conv));
    expect(conv.agent.id).toBe(a.agent.id);
    const got = await a.next('msg');
    expect(got).toMatchObject({ conv: ack.conv, seq: 1, text: 'Hello, I need help', from: { kind: 'visitor', id: v.welcome.visitor } });
    expect(got.clientId).toBeUndefined();

    const reply = await a.say('r1', 'Sure, what is it?', ack.conv);
    expect(reply.seq).toBe(2);
    const back = await v.next((f) => f.t === 'msg' && f.seq === 2);
    expect(back).toMatchObject({ text: 'Sure, what is it?', from: { kind: 'agent', id: a.agent.id } });
  });

  it("the sender's copy carries clientId, and the sender's other connections get the message too", async () => {
    const v = await t.visitor();
    const other = await t.visitor({ visitorToken: v.welcome.visitorToken });
    const ack = await v.say('mine-1', 'from tab one');
    const own = await v.next('msg');
    expect(own.clientId).toBe('mine-1');
    const seenByOtherTab = await other.next('msg');
    expect(seenByOtherTab).toMatchObject({ conv: ack.conv, seq: 1, text: 'from tab one' });
  });

  it('a visitor can write while nobody is online; the conversation waits and is assigned when an agent comes', async () => {
    const v = await t.visitor();
    expect(v.welcome.agentsOnline).toBe(0);
    const ack = await v.say('m1', 'anyone there?');
    const a = await t.agent();
    const queue = await a.next('queue');
    expect(queue.site).toBe('demo');
    await a.next(assigned(ack.conv));
    expect((await v.next(assigned(ack.conv))).agent.id).toBe(a.agent.id);
  });

  it('new conversations go to the least busy agent and wait in the queue when all are full', async () => {
    const a1 = await t.agent({ maxChats: 1 });
    const a2 = await t.agent({ maxChats: 1 });
    const v1 = await t.visitor();
    const v2 = await t.visitor();
    const v3 = await t.visitor();
    const c1 = (await v1.say('x', 'one')).conv;
    const c2 = (await v2.say('x', 'two')).conv;
    const c3 = (await v3.say('x', 'three')).conv;
    const s1 = await a1.next((f) => f.t === 'conv' && f.state === 'assigned');
    const s2 = await a2.next((f) => f.t === 'conv' && f.state === 'assigned');
    expect(new Set([s1.conv, s2.conv])).toEqual(new Set([c1, c2]));
    const q = await a1.next((f) => f.t === 'queue' && f.items.some((i) => i.conv === c3 && i.preview));
    expect(q.items.find((i) => i.conv === c3).preview).toBe('three');
    expect(t.server.stats().queued).toBe(1);
  });

  it('accept, transfer and close change the state for everybody involved', async () => {
    const v = await t.visitor();
    const ack = await v.say('m1', 'help');
    const a1 = await t.agent();
    await a1.next(assigned(ack.conv));
    const a2 = await t.agent();
    a2.send({ t: 'accept', conv: ack.conv });
    expect((await a2.next('error')).code).toBe('forbidden');

    a1.send({ t: 'transfer', conv: ack.conv, to: { agent: a2.agent.id } });
    expect((await a2.next(assigned(ack.conv))).agent.id).toBe(a2.agent.id);
    expect((await v.next((f) => f.t === 'conv' && f.agent && f.agent.id === a2.agent.id)).state).toBe('assigned');
    await expect(a1.say('late', 'still mine?', ack.conv)).rejects.toThrow(/forbidden/);

    a2.send({ t: 'close', conv: ack.conv });
    await v.next((f) => f.t === 'conv' && f.state === 'closed');
    await expect(v.say('after', 'hello?', ack.conv)).rejects.toThrow(/invalid/);
    const fresh = await v.say('new', 'new question');
    expect(fresh.conv).not.toBe(ack.conv);
    expect(fresh.seq).toBe(1);
  });

  it('transfer to a team puts the conversation back in the queue for that team', async () => {
    const v = await t.visitor();
    const a1 = await t.agent();
    const ack = await v.say('m1', 'billing question');
    await a1.next(assigned(ack.conv));
    a1.send({ t: 'transfer', conv: ack.conv, to: { team: 'billing' } });
    const queued = await v.next((f) => f.t === 'conv' && f.state === 'queued');
    expect(queued.team).toBe('billing');
  });

  it('typing is relayed to the other participant and not stored', async () => {
    const a = await t.agent();
    const v = await t.visitor();
    const ack = await v.say('m1', 'hi');
    await a.next(assigned(ack.conv));
    v.send({ t: 'typing', conv: ack.conv, on: true });
    expect(await a.next('typing')).toMatchObject({ conv: ack.conv, on: true, from: { kind: 'visitor' } });
    a.send({ t: 'history', conv: ack.conv });
    expect((await a.next('history')).messages).toHaveLength(1);
  });

  it('read marks are relayed to the other participant', async () => {
    const a = await t.agent();
    const v = await t.visitor();
    const ack = await v.say('m1', 'hi');
    await a.next(assigned(ack.conv));
    a.send({ t: 'read', conv: ack.conv, seq: 1 });
    expect(await v.next('read')).toMatchObject({ conv: ack.conv, seq: 1, from: { kind: 'agent', id: a.agent.id } });
  });

  it('history pages backwards with a more flag and a limit of at most 200', async () => {
    const v = await t.visitor();
    const first = await v.say('0', 'msg 0');
    for (let i = 1; i < 12; i++) await v.say(String(i), `msg ${i}`, first.conv);
    v.send({ t: 'history', conv: first.conv, limit: 5 });
    const page = await v.next('history');
    expect(page.messages.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(page.more).toBe(true);
    v.send({ t: 'history', conv: first.conv, before: 3, limit: 5 });
    const older = await v.next((f) => f.t === 'history' && f.messages[0]?.seq === 1);
    expect(older.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(older.more).toBe(false);
    v.send({ t: 'history', conv: first.conv, limit: 201 });
    expect((await v.next('error')).code).toBe('invalid');
  });

  it('a resend with the same id gets the same ack and is stored once, also after a reconnect', async () => {
    const v = await t.visitor();
    const first = await v.say('same-id', 'only once');
    const again = await v.say('same-id', 'only once', first.conv);
    expect(again).toEqual(first);
    await v.terminate();
    const back = await t.visitor({ visitorToken: v.welcome.visitorToken });
    const afterReconnect = await back.say('same-id', 'only once', first.conv);
    expect(afterReconnect).toEqual(first);
    back.send({ t: 'history', conv: first.conv });
    expect((await back.next('history')).messages).toHaveLength(1);
  });
});
