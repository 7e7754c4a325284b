'use strict';
// Handshake: welcome for visitors and agents, refusals with the close codes of protocol v1.

const { startServer, Client } = require('../helpers/server');

let t;
beforeAll(async () => {
  t = await startServer({ limits: { helloTimeoutMs: 300 } });
  await t.server.putSite({ key: 'shop', name: 'Shop', allowedOrigins: ['https://shop.example'] });
  await t.server.putSite({ key: 'closed', name: 'Closed', enabled: false, allowedOrigins: ['*'] });
});
afterAll(() => t.stop());

describe('visitor hello', () => {
  it('gets a welcome with a visitor id, a reusable token, no conversation and agentsOnline', async () => {
    const v = await t.visitor();
    expect(v.welcome).toMatchObject({ t: 'welcome', role: 'visitor', conv: null, lastSeq: 0, agentsOnline: 0 });
    expect(typeof v.welcome.visitor).toBe('string');
    expect(typeof v.welcome.visitorToken).toBe('string');
  });

  it('with the token again comes back as the same visitor', async () => {
    const v = await t.visitor();
    const again = await t.visitor({ visitorToken: v.welcome.visitorToken });
    expect(again.welcome.visitor).toBe(v.welcome.visitor);
  });

  it('accepts the switchboard.v1 subprotocol', async () => {
    const c = t.client({ protocols: ['switchboard.v1'] });
    await c.opened;
    expect(c.ws.protocol).toBe('switchboard.v1');
  });

  it('to an unknown site is closed with 4401', async () => {
    const c = t.client();
    await c.opened;
    c.send({ t: 'hello', role: 'visitor', site: 'nope' });
    expect((await c.closed).code).toBe(4401);
  });

  it('to a disabled site is closed with 4401', async () => {
    const c = t.client();
    await c.opened;
    c.send({ t: 'hello', role: 'visitor', site: 'closed' });
    expect((await c.closed).code).toBe(4401);
  });

  it('with a forged token is closed with 4401, never adopted', async () => {
    const v = await t.visitor();
    const token = v.welcome.visitorToken;
    const forged = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    const c = t.client();
    await c.opened;
    c.send({ t: 'hello', role: 'visitor', site: 'demo', visitorToken: forged });
    expect((await c.closed).code).toBe(4401);
  });

  it('with a token of another site is closed with 4401', async () => {
    const v = await t.visitor();
    const c = t.client({ origin: 'https://shop.example' });
    await c.opened;
    c.send({ t: 'hello', role: 'visitor', site: 'shop', visitorToken: v.welcome.visitorToken });
    expect((await c.closed).code).toBe(4401);
  });

  it('from an Origin the site does not allow is closed with 1008', async () => {
    const c = t.client({ origin: 'https://evil.example' });
    await c.opened;
    c.send({ t: 'hello', role: 'visitor', site: 'shop' });
    expect((await c.closed).code).toBe(1008);
    const ok = t.client({ origin: 'https://shop.example' });
    expect((await ok.hello({ role: 'visitor', site: 'shop' })).t).toBe('welcome');
  });
});

describe('agent hello', () => {
  it('with a valid token gets a welcome naming the agent and its sites', async () => {
    const a = await t.agent({ name: 'Ann' });
    expect(a.welcome).toMatchObject({ t: 'welcome', role: 'agent', agent: a.agent.id, name: 'Ann', sites: ['demo'] });
  });

  it('with a wrong token is closed with 4401', async () => {
    const c = t.client();
    await c.opened;
    c.send({ t: 'hello', role: 'agent', token: 'a.bm9wZQ.AAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect((await c.closed).code).toBe(4401);
  });

  it('with an expired token is closed with 4401', async () => {
    const a = await t.server.createAgent({ email: 'exp@example.com', password: 'agent-password' });
    const token = t.server.createAgentToken(a.id, 1);
    await new Promise((r) => setTimeout(r, 1100));
    const c = t.client();
    await c.opened;
    c.send({ t: 'hello', role: 'agent', token });
    const closed = await c.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/expired/);
  });
});

describe('before hello', () => {
  it('any other frame first is closed with 4401', async () => {
    const c = t.client();
    await c.opened;
    c.send({ t: 'send', id: 'x', text: 'hi' });
    expect((await c.closed).code).toBe(4401);
  });

  it('malformed JSON first is closed with 4401', async () => {
    const c = t.client();
    await c.opened;
    c.send('{not json');
    expect((await c.closed).code).toBe(4401);
  });

  it('no frame within the hello timeout is closed with 4408', async () => {
    const c = t.client();
    await c.opened;
    expect((await c.closed).code).toBe(4408);
  });
});

describe('presence', () => {
  it('visitors hear when the number of online agents changes', async () => {
    const s = await startServer();
    try {
      const v = await s.visitor();
      expect(v.welcome.agentsOnline).toBe(0);
      const a = await s.agent();
      expect((await v.next('presence')).agentsOnline).toBe(1);
      a.terminate();
      expect((await v.next((f) => f.t === 'presence' && f.agentsOnline === 0)).agentsOnline).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
