'use strict';
// Rate limits and self-protection over real sockets: a flooder is refused with an honest
// retryAfterMs and then closed (4429) while everybody else chats untouched; limits by address,
// connection, new conversation and login; per-site overrides from the admin API; saturation
// holds back new visitors, not conversations in progress; /metrics shows it all.

const { startServer, ADMIN } = require('../helpers/server');

let t;
afterEach(async () => {
  if (t) await t.stop();
  t = null;
});

const settle = (ms) => new Promise((r) => setTimeout(r, ms));
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

async function adminToken() {
  const res = await fetch(`${t.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  return (await res.json()).token;
}

/** Sends `n` messages from each visitor at `intervalMs`; resolves with their ack latencies and any errors. */
async function chat(visitors, n, intervalMs) {
  const latencies = [];
  const errors = [];
  await Promise.all(
    visitors.map(async (v, i) => {
      let conv;
      for (let k = 0; k < n; k++) {
        const started = process.hrtime.bigint();
        const id = `c${i}-${k}`;
        const f = await v.request({ t: 'send', id, text: `hello ${k}`, ...(conv ? { conv } : {}) }, (x) => (x.t === 'ack' && x.id === id) || (x.t === 'error' && x.ref === id), 10000);
        if (f.t === 'error') errors.push(f);
        else {
          conv = f.conv;
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        }
        await settle(intervalMs);
      }
    }),
  );
  return { latencies, errors };
}

describe('rate limits', () => {
  it('one visitor floods while 100 others chat: only the flooder is refused, then closed with 4429', async () => {
    t = await startServer({ rateLimits: {} }); // the defaults
    const others = await Promise.all(Array.from({ length: 100 }, () => t.visitor()));
    const quiet = await chat(others, 3, 300);
    expect(quiet.errors).toEqual([]);

    const flooder = await t.visitor();
    let sent = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < 20 && flooder.isOpen; i++) flooder.write({ t: 'send', id: `f${sent++}`, text: 'spam' });
    }, 5);
    const busy = await chat(others, 3, 300);
    clearInterval(flood);

    expect(busy.errors).toEqual([]);
    const refusals = flooder.all((f) => f.t === 'error' && f.code === 'rate_limited');
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatchObject({ ref: expect.stringMatching(/^f\d+$/), retryAfterMs: expect.any(Number), message: expect.stringMatching(/too many messages/) });
    expect(refusals[0].retryAfterMs).toBeGreaterThan(0);
    const closed = await flooder.closed;
    expect(closed.code).toBe(4429);
    // At most the burst got through before the bucket ran dry.
    expect(flooder.all((f) => f.t === 'ack').length).toBeLessThanOrEqual(25);
    process.stdout.write(`ack p99 of 100 visitors: ${p99(quiet.latencies).toFixed(2)} ms alone, ${p99(busy.latencies).toFixed(2)} ms while one floods (${sent} frames sent by the flooder)\n`);
    expect(p99(busy.latencies)).toBeLessThan(Math.max(50, 5 * p99(quiet.latencies)));
    const stats = t.server.stats().limits;
    expect(stats.refused.message).toBeGreaterThanOrEqual(refusals.length);
    expect(stats.floodCloses).toBe(1);
  }, 60000);

  it('retryAfterMs is honest: the same message sent again after it passes', async () => {
    t = await startServer({ rateLimits: { 'message.visitor': { burst: 2, perSecond: 2 } } });
    const v = await t.visitor();
    const a = await v.send('a', 'one');
    await v.send('b', 'two', a.conv);
    const refused = await v.request({ t: 'send', id: 'c', text: 'three', conv: a.conv }, (f) => f.t === 'error' && f.ref === 'c');
    expect(refused.code).toBe('rate_limited');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(500);
    await settle(refused.retryAfterMs + 20);
    expect(await v.send('c', 'three', a.conv)).toMatchObject({ t: 'ack', seq: 3 });
  });

  it('visitors behind one address share its limit (IPv4 as is, IPv6 by /64)', async () => {
    t = await startServer({ limits: { rateExemptIps: [] }, rateLimits: { 'message.ip': { burst: 3, perSecond: 0.1 } } });
    const [v, w] = [await t.visitor(), await t.visitor()];
    await v.send('1', 'a');
    await w.send('2', 'b');
    await v.send('3', 'c');
    const refused = await w.request({ t: 'send', id: '4', text: 'd' }, (f) => f.t === 'error' && f.ref === '4');
    expect(refused.code).toBe('rate_limited');
  });

  it('new connections from one address are limited: close 4429 with the time to wait', async () => {
    t = await startServer({ limits: { rateExemptIps: [] }, rateLimits: { 'connection.ip': { burst: 3, perSecond: 0.01 } } });
    for (let i = 0; i < 3; i++) await t.visitor();
    const refused = await t.refusal({}, [{ t: 'hello', role: 'visitor', site: 'demo' }]);
    expect(refused.code).toBe(4429);
    expect(refused.reason).toMatch(/too many connections; retry in \d+ s/);
  });

  it('new conversations per visitor are limited; messages to the open one are not', async () => {
    t = await startServer({ rateLimits: { 'conversation.visitor': { burst: 2, perSecond: 0.001 } } });
    const v = await t.visitor();
    for (let i = 0; i < 2; i++) {
      const ack = await v.send(`o${i}`, 'hello');
      v.write({ t: 'close', conv: ack.conv });
      await v.next((f) => f.t === 'conv' && f.conv === ack.conv && f.state === 'closed');
    }
    const refused = await v.request({ t: 'send', id: 'o2', text: 'again' }, (f) => f.t === 'error' && f.ref === 'o2');
    expect(refused).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/new conversations/) });
    expect(t.server.stats().limits.refused.conversation).toBe(1);
  });

  it('login attempts are limited per account: 429 with Retry-After, before any password check', async () => {
    t = await startServer({ rateLimits: { 'login.account': { burst: 3, perSecond: 0.001 } } });
    const attempt = (password) => fetch(`${t.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password }) });
    for (let i = 0; i < 3; i++) expect((await attempt('wrong-password')).status).toBe(401);
    const limited = await attempt(ADMIN.password);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error.code).toBe('rate_limited');
    // Another account is not affected.
    await t.server.createAgent({ email: 'other@example.com', password: 'other-password' });
    const other = await fetch(`${t.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'other@example.com', password: 'other-password' }) });
    expect(other.status).toBe(200);
  });

  it("a site's own limits, set with the admin API, apply at once; bad rules are refused with the key named", async () => {
    t = await startServer({ rateLimits: {} });
    const token = await adminToken();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const v = await t.visitor();
    const first = await v.send('1', 'a');
    const put = await fetch(`${t.http}/api/v1/sites/demo/rate-limits`, { method: 'PUT', headers: auth, body: JSON.stringify({ 'message.visitor': { burst: 1, perSecond: 0.01 } }) });
    expect(put.status).toBe(200);
    await v.send('2', 'b', first.conv); // the bucket of the new rule starts full
    const refused = await v.request({ t: 'send', id: '3', text: 'c', conv: first.conv }, (f) => f.t === 'error' && f.ref === '3');
    expect(refused.code).toBe('rate_limited');
    const got = await (await fetch(`${t.http}/api/v1/sites/demo/rate-limits`, { headers: auth })).json();
    expect(got.rateLimits).toEqual({ 'message.visitor': { burst: 1, perSecond: 0.01 } });
    const bad = await fetch(`${t.http}/api/v1/sites/demo/rate-limits`, { method: 'PUT', headers: auth, body: JSON.stringify({ 'message.visiter': null }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/did you mean "message.visitor"/);
    expect((await fetch(`${t.http}/api/v1/sites/demo/rate-limits`)).status).toBe(401);
    const limits = await (await fetch(`${t.http}/api/v1/limits`, { headers: auth })).json();
    expect(limits.defaults['message.visitor']).toEqual({ burst: 20, perSecond: 2, windowMs: 60000, windowMax: 120 });
    expect(limits.limits.refused.message).toBe(1);
  });
});

describe('self-protection', () => {
  it('when saturated, new visitors wait: close 1013, counted in the stats', async () => {
    t = await startServer({ limits: { maxMemoryMb: 1 } }); // any process is over 1 MiB: saturated from the start
    const refused = await t.refusal({}, [{ t: 'hello', role: 'visitor', site: 'demo' }]);
    expect(refused.code).toBe(1013);
    expect(t.server.stats().limits.saturated).toBe(true);
    expect(t.server.stats().limits.saturatedRefusals).toBeGreaterThanOrEqual(1);
  });

  it('a returning visitor with a conversation is let in while saturated and can go on writing', async () => {
    t = await startServer();
    const a = await t.agent();
    const v = await t.visitor();
    const ack = await v.send('1', 'hello');
    await a.next((f) => f.t === 'conv' && f.conv === ack.conv);
    const token = v.welcome.visitorToken;
    const dataDir = t.dataDir;
    await t.server.stop();
    t = await startServer({ dataDir, limits: { maxMemoryMb: 1 } });
    const back = await t.visitor({ visitorToken: token, resume: { conv: ack.conv, after: 1 } });
    expect(back.welcome.conv).toBe(ack.conv);
    expect(await back.send('2', 'still here', ack.conv)).toMatchObject({ t: 'ack', seq: 2 });
    const fresh = await t.refusal({}, [{ t: 'hello', role: 'visitor', site: 'demo' }]);
    expect(fresh.code).toBe(1013);
  });
});

describe('/metrics', () => {
  it('serves Prometheus text to loopback with the limiter and AI counters', async () => {
    t = await startServer({ rateLimits: { 'message.visitor': { burst: 1, perSecond: 0.01 } } });
    const v = await t.visitor();
    await v.send('1', 'a');
    await v.request({ t: 'send', id: '2', text: 'b' }, (f) => f.t === 'error');
    const res = await fetch(`${t.http}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE switchboard_rate_limited_total counter$/m);
    expect(text).toMatch(/^switchboard_rate_limited_total\{action="message"\} 1$/m);
    expect(text).toMatch(/^switchboard_messages_acked_total 1$/m);
    expect(text).toMatch(/^switchboard_rate_key_capacity \d+$/m);
  });
});
