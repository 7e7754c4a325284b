'use strict';
// Handshake, the good paths: welcome fields for visitors and agents, the subprotocol, coming
// back with a visitorToken, what an agent receives right after its welcome, presence and
// agentsOnline, ping. The refusals are in 50-bad-input.test.js.

const { startServer } = require('../helpers/server');

let t;
beforeEach(async () => {
  t = await startServer();
});
afterEach(() => t.stop());

describe('visitor hello', () => {
  it('gets a welcome with a visitor id, a reusable token, no conversation, lastSeq 0 and agentsOnline', async () => {
    const v = await t.visitor({ profile: { name: 'Ann', email: 'ann@example.com', lang: 'zh-CN', page: 'https://shop/x' } });
    expect(v.welcome).toMatchObject({
      t: 'welcome',
      role: 'visitor',
      visitor: expect.any(String),
      visitorToken: expect.any(String),
      conv: null,
      lastSeq: 0,
      agentsOnline: 0,
    });
  });

  it('with its token comes back as the same visitor, to its open conversation and its lastSeq', async () => {
    const v = await t.visitor();
    await v.send('m1', 'one');
    const ack = await v.send('m2', 'two');
    const again = await t.visitor({ visitorToken: v.welcome.visitorToken });
    expect(again.welcome).toMatchObject({ visitor: v.welcome.visitor, conv: ack.conv, lastSeq: 2 });
  });

  it('without a token is a new visitor each time', async () => {
    const a = await t.visitor();
    const b = await t.visitor();
    expect(a.welcome.visitor).not.toBe(b.welcome.visitor);
  });

  it('agentsOnline counts online agents and leaves out away ones', async () => {
    const a1 = await t.agent();
    await t.agent();
    expect((await t.visitor()).welcome.agentsOnline).toBe(2);
    expect(await a1.request({ t: 'status', status: 'away' }, 'status')).toEqual({ t: 'status', status: 'away' });
    expect((await t.visitor()).welcome.agentsOnline).toBe(1);
  });

  it('an agent with two connections counts once in agentsOnline', async () => {
    const a = await t.agent();
    await t.connectAgent(a.token);
    expect((await t.visitor()).welcome.agentsOnline).toBe(1);
  });
});

describe('subprotocol', () => {
  it('accepts switchboard.v1 when offered and answers with it', async () => {
    const c = t.client({ protocols: ['switchboard.v1'] });
    await c.opened;
    expect(c.ws.protocol).toBe('switchboard.v1');
    expect((await c.hello({ role: 'visitor', site: 'demo' })).t).toBe('welcome');
  });

  it('accepts clients that offer no subprotocol', async () => {
    const c = t.client();
    await c.opened;
    expect(c.ws.protocol).toBe('');
    expect((await c.hello({ role: 'visitor', site: 'demo' })).t).toBe('welcome');
  });
});

describe('agent hello', () => {
  it('with a valid token gets a welcome naming the agent and its sites', async () => {
    const a = await t.agent({ name: 'Ann' });
    expect(a.welcome).toMatchObject({ t: 'welcome', role: 'agent', agent: a.agent.id, name: 'Ann', sites: ['demo'] });
  });

  it('is followed by one queue frame per site, oldest first, then a conv frame per assigned conversation', async () => {
    const v1 = await t.visitor({ profile: { name: 'First' } });
    const c1 = (await v1.send('m', 'first waiting')).conv;
    const v2 = await t.visitor({ profile: { name: 'Second' } });
    const c2 = (await v2.send('m', 'second waiting')).conv;
    const a = t.client();
    const rec = await t.server.createAgent({ email: 'q@example.com', name: 'Q', password: 'agent-password', maxChats: 1 });
    await a.hello({ role: 'agent', token: t.server.createAgentToken(rec.id, 60) });
    const queue = await a.next('queue');
    expect(a.frames.indexOf(queue)).toBe(1); // right after the welcome
    expect(queue.site).toBe('demo');
    // The first queue may be taken before or after the agent's own assignment: c1 is optional.
    const order = queue.items.map((i) => i.conv);
    expect([[c1, c2], [c2]]).toContainEqual(order);
    const item = queue.items.find((i) => i.conv === c2);
    expect(item).toMatchObject({ conv: c2, site: 'demo', visitor: { id: v2.welcome.visitor, name: 'Second' }, preview: 'second waiting', lastSeq: 1 });
    expect(typeof item.since).toBe('number');
    // Coming online, the agent takes the oldest (maxChats 1); the other stays queued.
    const conv = await a.next((f) => f.t === 'conv' && f.state === 'assigned');
    expect(conv).toMatchObject({ conv: c1, agent: { id: rec.id, name: 'Q' }, site: 'demo', visitor: { id: v1.welcome.visitor } });
    await a.next((f) => f.t === 'queue' && f.items.length === 1 && f.items[0].conv === c2);

    // A second connection of the same agent gets the queue and then its assigned conversation.
    const again = t.client();
    await again.hello({ role: 'agent', token: t.server.createAgentToken(rec.id, 60) });
    expect(again.frames[1]).toMatchObject({ t: 'queue', site: 'demo', items: [{ conv: c2 }] });
    expect(again.frames[2]).toMatchObject({ t: 'conv', conv: c1, state: 'assigned', agent: { id: rec.id }, lastSeq: 1 });
  });
});

describe('presence', () => {
  it('visitors hear when the number of online agents changes', async () => {
    const v = await t.visitor();
    expect(v.welcome.agentsOnline).toBe(0);
    const a = await t.agent();
    expect(await v.next('presence')).toMatchObject({ t: 'presence', site: 'demo', agentsOnline: 1 });
    a.write({ t: 'status', status: 'away' });
    expect((await v.next('presence')).agentsOnline).toBe(0);
    a.write({ t: 'status', status: 'online' });
    expect((await v.next('presence')).agentsOnline).toBe(1);
    await a.terminate();
    expect((await v.next('presence')).agentsOnline).toBe(0);
  });
});

describe('ping', () => {
  it('{"t":"ping"} is answered with {"t":"pong"}', async () => {
    const v = await t.visitor();
    expect(await v.request({ t: 'ping' }, 'pong')).toEqual({ t: 'pong' });
    const a = await t.agent();
    expect(await a.request({ t: 'ping' }, 'pong')).toEqual({ t: 'pong' });
  });
});
