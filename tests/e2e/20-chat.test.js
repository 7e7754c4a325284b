'use strict';
// Chat both ways, fan-out to every connection, assignment and the queue, accept / transfer /
// close, typing, read marks, history paging and idempotent resends.

const { startServer } = require('../helpers/server');

let t;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.stop());

const convFrame = (conv, state) => (f) => f.t === 'conv' && f.conv === conv && (!state || f.state === state);
const msgOf = (conv, seq) => (f) => f.t === 'msg' && f.conv === conv && (seq === undefined || f.seq === seq);
const seqsOf = (c, conv) => c.all((f) => f.t === 'msg' && f.conv === conv).map((m) => m.seq);
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

/** An online agent and a visitor whose conversation (one message) is assigned to it. */
async function pair() {
  const a = await t.agent();
  const v = await t.visitor();
  const ack = await v.send('open', 'hello');
  await a.next(convFrame(ack.conv, 'assigned'));
  await a.next(msgOf(ack.conv, 1));
  return { a, v, conv: ack.conv };
}

describe('chat both ways', () => {
  it("a visitor's first send opens a conversation assigned to the online agent; the agent replies and the visitor gets it", async () => {
    const a = await t.agent({ name: 'Ann' });
    const v = await t.visitor({ profile: { name: 'Vic' } });
    const ack = await v.send('m1', 'Hello, I need help');
    expect(ack).toMatchObject({ t: 'ack', id: 'm1', conv: expect.any(String), seq: 1, ts: expect.any(Number) });

    const assigned = await a.next(convFrame(ack.conv));
    expect(assigned).toMatchObject({ state: 'assigned', agent: { id: a.agent.id, name: 'Ann' }, site: 'demo', visitor: { id: v.welcome.visitor } });
    expect((await v.next(convFrame(ack.conv))).state).toBe('assigned');

    const got = await a.next(msgOf(ack.conv));
    expect(got).toMatchObject({ conv: ack.conv, seq: 1, id: expect.any(String), text: 'Hello, I need help', ts: ack.ts, from: { kind: 'visitor', id: v.welcome.visitor } });
    expect(got).not.toHaveProperty('clientId');
    const own = await v.next(msgOf(ack.conv, 1));
    expect(own).toMatchObject({ clientId: 'm1', id: got.id, text: 'Hello, I need help' });

    const reply = await a.send('r1', 'Sure, what is it?', ack.conv);
    expect(reply).toMatchObject({ t: 'ack', id: 'r1', conv: ack.conv, seq: 2 });
    const back = await v.next(msgOf(ack.conv, 2));
    expect(back).toMatchObject({ text: 'Sure, what is it?', from: { kind: 'agent', id: a.agent.id, name: 'Ann' } });
    expect(back).not.toHaveProperty('clientId');
    expect((await a.next(msgOf(ack.conv, 2))).clientId).toBe('r1');
  });

  it("a visitor's later send without conv goes to its open conversation", async () => {
    const v = await t.visitor();
    const first = await v.send('a', 'one');
    const second = await v.send('b', 'two');
    expect(second).toMatchObject({ conv: first.conv, seq: 2 });
  });

  it('an agent send without conv is invalid', async () => {
    const a = await t.agent();
    await expect(a.send('no-conv', 'to whom?')).rejects.toMatchObject({ code: 'invalid' });
  });

  it("the sender's other connections receive its messages too, in order", async () => {
    const { a, v, conv } = await pair();
    const otherTab = await t.visitor({ visitorToken: v.welcome.visitorToken });
    expect(otherTab.welcome.conv).toBe(conv);
    const otherConsole = await t.connectAgent(a.token);
    await otherConsole.next(convFrame(conv, 'assigned'));

    await v.send('v2', 'from tab one');
    expect(await otherTab.next(msgOf(conv, 2))).toMatchObject({ text: 'from tab one', from: { kind: 'visitor' } });
    expect(await otherConsole.next(msgOf(conv, 2))).toMatchObject({ text: 'from tab one' });
    await a.send('a3', 'from console one', conv);
    expect(await otherConsole.next(msgOf(conv, 3))).toMatchObject({ text: 'from console one', from: { kind: 'agent' } });
    expect(await otherTab.next(msgOf(conv, 3))).toMatchObject({ text: 'from console one' });
    await settle();
    expect(seqsOf(otherTab, conv)).toEqual([2, 3]);
    expect(seqsOf(v, conv)).toEqual([1, 2, 3]);
    expect(seqsOf(a, conv)).toEqual([1, 2, 3]);
  });

  it('seqs grow by exactly one with both sides writing at once', async () => {
    const { a, v, conv } = await pair();
    const sends = [];
    for (let i = 0; i < 30; i++) {
      sends.push(v.send(`v${i}`, `visitor ${i}`, conv));
      sends.push(a.send(`a${i}`, `agent ${i}`, conv));
    }
    const acks = await Promise.all(sends);
    expect(acks.map((x) => x.seq).sort((x, y) => x - y)).toEqual(range(2, 61));
    await v.count(msgOf(conv), 61);
    await a.count(msgOf(conv), 61);
    expect(seqsOf(v, conv)).toEqual(range(1, 61));
    expect(seqsOf(a, conv)).toEqual(range(1, 61));
  });
});

describe('assignment and the queue', () => {
  it('a visitor can write while nobody is online; the conversation waits in the queue and is assigned when an agent comes', async () => {
    const v = await t.visitor();
    expect(v.welcome.agentsOnline).toBe(0);
    const ack = await v.send('m1', 'anyone there?');
    expect((await v.next(convFrame(ack.conv))).state).toBe('queued');

    const a = await t.agent();
    const assigned = await a.next(convFrame(ack.conv, 'assigned'));
    expect(assigned.agent.id).toBe(a.agent.id);
    expect((await v.next(convFrame(ack.conv, 'assigned'))).agent.id).toBe(a.agent.id);
    // The agent can read the offline message, and gets the next one live.
    const h = await a.request({ t: 'history', conv: ack.conv }, 'history');
    expect(h.messages.map((m) => m.text)).toEqual(['anyone there?']);
    await v.send('m2', 'hello?');
    expect(await a.next(msgOf(ack.conv, 2))).toMatchObject({ text: 'hello?' });
    const seen = seqsOf(a, ack.conv);
    expect(seen).toEqual(range(seen[0], 2)); // no gap, no duplicate on the agent's connection
  });

  it('a conversation assigned when its agent comes online reaches that agent in exactly one conv frame', async () => {
    const v = await t.visitor();
    const ack = await v.send('m1', 'waiting');
    await v.next(convFrame(ack.conv, 'queued'));
    const a = await t.agent();
    await a.next(convFrame(ack.conv, 'assigned'));
    await settle();
    expect(a.all(convFrame(ack.conv))).toHaveLength(1);
    expect(v.all(convFrame(ack.conv, 'assigned'))).toHaveLength(1);
  });

  it('new conversations go to the least busy agent and wait in the queue when all are full', async () => {
    const a1 = await t.agent({ maxChats: 1 });
    const a2 = await t.agent({ maxChats: 1 });
    const c1 = (await (await t.visitor()).send('x', 'one')).conv;
    const c2 = (await (await t.visitor()).send('x', 'two')).conv;
    const v3 = await t.visitor();
    const c3 = (await v3.send('x', 'three')).conv;
    const s1 = await a1.next((f) => f.t === 'conv' && f.state === 'assigned');
    const s2 = await a2.next((f) => f.t === 'conv' && f.state === 'assigned');
    expect(new Set([s1.conv, s2.conv])).toEqual(new Set([c1, c2]));
    expect((await v3.next(convFrame(c3))).state).toBe('queued');
    // The queue is sent again on every change; the item may show up before its first message commits.
    const q = await a1.next((f) => f.t === 'queue' && f.items.some((i) => i.conv === c3 && i.lastSeq === 1));
    expect(q.items.find((i) => i.conv === c3)).toMatchObject({ preview: 'three', site: 'demo', visitor: { id: v3.welcome.visitor } });

    // A slot frees up: the queued conversation is assigned.
    a1.write({ t: 'close', conv: s1.conv });
    expect((await a1.next(convFrame(c3, 'assigned'))).agent.id).toBe(a1.agent.id);
    await a1.next((f) => f.t === 'queue' && f.items.every((i) => i.conv !== c3));
  });

  it('an away agent gets no automatic assignment; accept takes a queued conversation', async () => {
    const a = await t.agent();
    await a.request({ t: 'status', status: 'away' }, 'status');
    const v = await t.visitor();
    const ack = await v.send('m1', 'help');
    await v.next(convFrame(ack.conv, 'queued'));
    await a.next((f) => f.t === 'queue' && f.items.some((i) => i.conv === ack.conv));
    await settle();
    expect(a.all(convFrame(ack.conv, 'assigned'))).toEqual([]);

    a.write({ t: 'accept', conv: ack.conv });
    expect((await a.next(convFrame(ack.conv, 'assigned'))).agent.id).toBe(a.agent.id);
    expect((await v.next(convFrame(ack.conv, 'assigned'))).agent.id).toBe(a.agent.id);
    await a.next((f) => f.t === 'queue' && f.items.every((i) => i.conv !== ack.conv));
    await a.send('r', 'here now', ack.conv);
    expect((await v.next(msgOf(ack.conv, 2))).text).toBe('here now');
  });

  it("accepting another agent's conversation is forbidden", async () => {
    const { conv } = await pair();
    const other = await t.agent();
    const e = await other.request({ t: 'accept', conv }, 'error');
    expect(e).toMatchObject({ code: 'forbidden', ref: null });
  });

  it('queued conversations can be read with history by agents of the site, but not written to', async () => {
    const a = await t.agent();
    await a.request({ t: 'status', status: 'away' }, 'status');
    const v = await t.visitor();
    const q = await v.send('q1', 'queued text');
    await v.next(convFrame(q.conv, 'queued'));
    const h = await a.request({ t: 'history', conv: q.conv }, 'history');
    expect(h.messages.map((m) => m.text)).toEqual(['queued text']);
    await expect(a.send('nope', 'not mine yet', q.conv)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('transfer and close', () => {
  it('transfer to another agent reassigns it for everybody involved; the previous agent may no longer write', async () => {
    const { a: a1, v, conv } = await pair();
    const a2 = await t.agent({ name: 'Bea' });
    a1.write({ t: 'transfer', conv, to: { agent: a2.agent.id } });
    expect(await a2.next(convFrame(conv, 'assigned'))).toMatchObject({ agent: { id: a2.agent.id, name: 'Bea' } });
    expect(await v.next((f) => f.t === 'conv' && f.conv === conv && f.agent?.id === a2.agent.id)).toMatchObject({ state: 'assigned' });
    expect(await a1.next((f) => f.t === 'conv' && f.conv === conv && f.agent?.id === a2.agent.id)).toMatchObject({ state: 'assigned' });
    await expect(a1.send('late', 'still mine?', conv)).rejects.toMatchObject({ code: 'forbidden' });
    await a2.send('b1', 'Bea here', conv);
    expect(await v.next(msgOf(conv, 2))).toMatchObject({ text: 'Bea here', from: { id: a2.agent.id } });
  });

  it('transfer to an unknown agent is not_found and changes nothing', async () => {
    const { a, conv } = await pair();
    expect(await a.request({ t: 'transfer', conv, to: { agent: 'a_nobody' } }, 'error')).toMatchObject({ code: 'not_found' });
    expect((await a.send('still', 'mine', conv)).seq).toBe(2);
  });

  it('transfer to a team puts the conversation back in the queue with the team set', async () => {
    const { a, v, conv } = await pair();
    await a.request({ t: 'status', status: 'away' }, 'status');
    a.write({ t: 'transfer', conv, to: { team: 'billing' } });
    expect(await v.next(convFrame(conv, 'queued'))).toMatchObject({ team: 'billing' });
  });

  it('close by the agent reaches both sides; a send to the closed conversation is invalid; the next send opens a new one', async () => {
    const { a, v, conv } = await pair();
    a.write({ t: 'close', conv });
    expect((await v.next(convFrame(conv, 'closed'))).state).toBe('closed');
    expect((await a.next(convFrame(conv, 'closed'))).state).toBe('closed');
    await expect(v.send('after', 'hello?', conv)).rejects.toMatchObject({ code: 'invalid' });
    await expect(a.send('after', 'bye?', conv)).rejects.toMatchObject({ code: 'invalid' });
    const fresh = await v.send('new', 'new question');
    expect(fresh.conv).not.toBe(conv);
    expect(fresh.seq).toBe(1);
  });

  it('close by the visitor reaches the agent', async () => {
    const { a, v, conv } = await pair();
    v.write({ t: 'close', conv });
    expect((await a.next(convFrame(conv, 'closed'))).state).toBe('closed');
    expect((await v.next(convFrame(conv, 'closed'))).state).toBe('closed');
  });
});

describe('typing and read marks', () => {
  it('typing is relayed to the other participant, not echoed, and not stored', async () => {
    const { a, v, conv } = await pair();
    v.write({ t: 'typing', conv, on: true });
    expect(await a.next('typing')).toMatchObject({ conv, on: true, from: { kind: 'visitor', id: v.welcome.visitor } });
    a.write({ t: 'typing', conv, on: false });
    expect(await v.next('typing')).toMatchObject({ conv, on: false, from: { kind: 'agent', id: a.agent.id } });
    const h = await a.request({ t: 'history', conv }, 'history');
    expect(h.messages).toHaveLength(1);
    await settle();
    expect(v.all((f) => f.t === 'typing' && f.from?.kind === 'visitor')).toEqual([]);
    expect((await v.send('next', 'next', conv)).seq).toBe(2); // typing took no seq
  });

  it('read marks are relayed to the other participant', async () => {
    const { a, v, conv } = await pair();
    a.write({ t: 'read', conv, seq: 1 });
    expect(await v.next('read')).toMatchObject({ conv, seq: 1, from: { kind: 'agent', id: a.agent.id } });
    await a.send('r', 'reply', conv);
    v.write({ t: 'read', conv, seq: 2 });
    expect(await a.next('read')).toMatchObject({ conv, seq: 2, from: { kind: 'visitor', id: v.welcome.visitor } });
  });
});

describe('history', () => {
  it('pages backwards, oldest first, with a more flag and a limit of at most 200', async () => {
    const v = await t.visitor();
    const first = await v.send('0', 'msg 1');
    const sends = [];
    for (let i = 2; i <= 205; i++) sends.push(v.send(String(i), `msg ${i}`, first.conv, 10000));
    await Promise.all(sends);

    const newest = await v.request({ t: 'history', conv: first.conv, limit: 5 }, 'history');
    expect(newest.conv).toBe(first.conv);
    expect(newest.messages.map((m) => m.seq)).toEqual(range(201, 205));
    expect(newest.messages[4]).toMatchObject({ t: 'msg', conv: first.conv, text: 'msg 205', from: { kind: 'visitor' } });
    expect(newest.more).toBe(true);

    const max = await v.request({ t: 'history', conv: first.conv, before: 206, limit: 200 }, 'history');
    expect(max.messages.map((m) => m.seq)).toEqual(range(6, 205));
    expect(max.more).toBe(true);

    const oldest = await v.request({ t: 'history', conv: first.conv, before: 6, limit: 200 }, 'history');
    expect(oldest.messages.map((m) => m.seq)).toEqual(range(1, 5));
    expect(oldest.more).toBe(false);

    const exact = await v.request({ t: 'history', conv: first.conv, before: 4, limit: 3 }, 'history');
    expect(exact.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(exact.more).toBe(false);

    for (const limit of [201, 0, -1]) {
      expect(await v.request({ t: 'history', conv: first.conv, limit }, 'error')).toMatchObject({ code: 'invalid' });
    }
  }, 30000);

  it("of somebody else's conversation is forbidden", async () => {
    const v1 = await t.visitor();
    const ack = await v1.send('x', 'private');
    const v2 = await t.visitor();
    expect(await v2.request({ t: 'history', conv: ack.conv }, 'error')).toMatchObject({ code: 'forbidden' });
    expect(v2.all('history')).toEqual([]);
  });
});

describe('idempotent resend', () => {
  it('the same id gets the same ack and is stored and delivered once, also after a reconnect', async () => {
    const { a, v, conv } = await pair();
    const first = await v.send('same-id', 'only once', conv);
    const again = await v.send('same-id', 'only once', conv);
    expect(again).toEqual(first);
    const changed = await v.send('same-id', 'a different text', conv);
    expect(changed).toEqual(first);

    await v.terminate();
    const back = await t.visitor({ visitorToken: v.welcome.visitorToken });
    expect(await back.send('same-id', 'only once', conv)).toEqual(first);
    expect(await back.send('same-id', 'only once')).toEqual(first); // without conv, too

    const h = await back.request({ t: 'history', conv }, 'history');
    expect(h.messages.map((m) => m.text)).toEqual(['hello', 'only once']);
    await settle();
    expect(seqsOf(a, conv)).toEqual([1, 2]);
    expect((await back.send('fresh', 'next one', conv)).seq).toBe(3);
  });

  it('ids are per sender: the agent and the visitor may use the same id', async () => {
    const { a, v, conv } = await pair();
    const fromVisitor = await v.send('dup', 'from the visitor', conv);
    const fromAgent = await a.send('dup', 'from the agent', conv);
    expect([fromVisitor.seq, fromAgent.seq]).toEqual([2, 3]);
  });
});
