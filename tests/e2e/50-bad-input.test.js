'use strict';
// Every bad input of the issue gets the answer protocol v1 names and leaves every other
// connection and the stored data untouched: after EACH test, a healthy visitor/agent pair on
// the same server still chats both ways and its conversation holds exactly its own messages.

const net = require('net');
const { startServer, withTimeout } = require('../helpers/server');

const LIMITS = {
  helloTimeoutMs: 300,
  maxFrameBytes: 16384,
  maxTextBytes: 8000,
  outboundQueueBytes: 65536,
  maxHttpHeaderBytes: 8192,
  maxHttpBodyBytes: 65536,
};

let t;
let healthy; // a visitor/agent pair that must keep working after each bad input
beforeAll(async () => {
  t = await startServer({ limits: LIMITS });
  await t.server.putSite({ key: 'shop', name: 'Shop', enabled: true, allowedOrigins: ['https://shop.example'], settings: {} });
  await t.server.putSite({ key: 'closed', name: 'Closed', enabled: false, allowedOrigins: ['*'], settings: {} });
  const a = await t.agent({ maxChats: 100 });
  const v = await t.visitor();
  const ack = await v.send('h0', 'healthy start');
  await a.next((f) => f.t === 'conv' && f.conv === ack.conv && f.state === 'assigned');
  healthy = { a, v, conv: ack.conv, seq: 1 };
});
afterAll(() => t.stop());

const msgOf = (conv, seq) => (f) => f.t === 'msg' && f.conv === conv && f.seq === seq;
const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  const { a, v, conv } = healthy;
  const n = healthy.seq;
  const fromVisitor = await v.send(`hv${n}`, `visitor still fine ${n}`, conv);
  expect(fromVisitor.seq).toBe(n + 1); // nothing else was stored in this conversation
  expect(await a.next(msgOf(conv, n + 1))).toMatchObject({ text: `visitor still fine ${n}` });
  const fromAgent = await a.send(`ha${n}`, `agent still fine ${n}`, conv);
  expect(fromAgent.seq).toBe(n + 2);
  expect(await v.next(msgOf(conv, n + 2))).toMatchObject({ text: `agent still fine ${n}` });
  healthy.seq = n + 2;
});

/** The close (or refused upgrade) a fresh connection gets after sending `frames`. */
const answerTo = (frames, opts) => t.refusal(opts, frames);

describe('handshake', () => {
  it('a frame other than hello first is closed with 4401', async () => {
    expect((await answerTo([{ t: 'send', id: 'x', text: 'hi' }])).code).toBe(4401);
    expect((await answerTo([{ t: 'ping' }])).code).toBe(4401);
  });

  it('malformed JSON or invalid UTF-8 as the first frame is closed with 4401', async () => {
    expect((await answerTo(['{not json'])).code).toBe(4401);
    const c = t.client();
    await c.opened;
    c.writeRaw(Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    expect((await c.closed).code).toBe(4401);
  });

  it('no frame within the hello timeout is closed with 4408', async () => {
    const c = t.client();
    await c.opened;
    const closed = await c.closed;
    expect(closed.code).toBe(4408);
    expect(c.frames).toEqual([]);
  });

  it('a hello within the hello timeout is not closed by it', async () => {
    const v = await t.visitor();
    await settle(LIMITS.helloTimeoutMs * 2);
    expect(v.isOpen).toBe(true);
    expect((await v.send('ok', 'still here')).seq).toBe(1);
  });

  it('an unknown site is closed with 4401 and a reason', async () => {
    const closed = await answerTo([{ t: 'hello', role: 'visitor', site: 'no-such-site' }]);
    expect(closed.code).toBe(4401);
    expect(closed.reason).not.toBe('');
  });

  it('a disabled site is closed with 4401', async () => {
    expect((await answerTo([{ t: 'hello', role: 'visitor', site: 'closed' }])).code).toBe(4401);
  });

  it("an Origin not in the site's allowedOrigins is closed with 1008 (or the upgrade is refused)", async () => {
    const answer = await answerTo([{ t: 'hello', role: 'visitor', site: 'shop' }], { origin: 'https://evil.example' });
    if (answer.refused) expect(answer.refused).toBeGreaterThanOrEqual(400);
    else expect(answer.code).toBe(1008);
    expect(answer.frames?.filter((f) => f.t === 'welcome') ?? []).toEqual([]);
    // The allowed Origin is welcome.
    const ok = await t.visitor({ site: 'shop' }, { origin: 'https://shop.example' });
    expect(ok.welcome.t).toBe('welcome');
  });

  it('a hello whose site is not a string is refused', async () => {
    expect([4400, 4401]).toContain((await answerTo([{ t: 'hello', role: 'visitor', site: 42 }])).code);
  });

  it('a forged visitor token is closed with 4401, never adopted', async () => {
    const v = await t.visitor();
    const token = v.welcome.visitorToken;
    const last = token[token.length - 1];
    const tampered = token.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    for (const forged of [tampered, `${token}x`, 'v.garbage', 'nonsense']) {
      const closed = await answerTo([{ t: 'hello', role: 'visitor', site: 'demo', visitorToken: forged }]);
      expect({ forged, code: closed.code }).toEqual({ forged, code: 4401 });
    }
  });

  it('a visitor token of another site is closed with 4401', async () => {
    const v = await t.visitor();
    const closed = await answerTo([{ t: 'hello', role: 'visitor', site: 'shop', visitorToken: v.welcome.visitorToken }], { origin: 'https://shop.example' });
    expect(closed.code).toBe(4401);
  });

  it('a visitor token of another server is closed with 4401', async () => {
    const other = await startServer();
    let token;
    try {
      token = (await other.visitor()).welcome.visitorToken;
    } finally {
      await other.stop();
    }
    expect((await answerTo([{ t: 'hello', role: 'visitor', site: 'demo', visitorToken: token }])).code).toBe(4401);
  });

  it('a wrong agent token is closed with 4401', async () => {
    const real = t.server.createAgentToken(healthy.a.agent.id, 60);
    const last = real[real.length - 1];
    const tampered = real.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    for (const token of [tampered, 'a.bm9wZQ.AAAAAAAAAAAAAAAAAAAAAAAAAAA', '', healthy.v.welcome.visitorToken]) {
      const closed = await answerTo([{ t: 'hello', role: 'agent', token }]);
      expect({ token, code: closed.code }).toEqual({ token, code: 4401 });
    }
  });

  it('an expired agent token is closed with 4401', async () => {
    const token = t.server.createAgentToken(healthy.a.agent.id, 1);
    await settle(2100);
    const closed = await answerTo([{ t: 'hello', role: 'agent', token }]);
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/expired/i);
  });

  it('an agent token of another server is closed with 4401', async () => {
    const other = await startServer();
    let token;
    try {
      const a = await other.server.createAgent({ email: 'x@example.com', password: 'agent-password' });
      token = other.server.createAgentToken(a.id, 60);
    } finally {
      await other.stop();
    }
    expect((await answerTo([{ t: 'hello', role: 'agent', token }])).code).toBe(4401);
  });
});

describe('frames after hello', () => {
  let v;
  let conv;
  let seq;
  beforeAll(async () => {
    v = await t.visitor();
    const ack = await v.send('first', 'first');
    conv = ack.conv;
    seq = ack.seq;
  });
  // The bad frames stored nothing: the next message of this visitor takes the next seq.
  afterEach(async () => {
    expect(v.isOpen).toBe(true);
    const ack = await v.send(`after-${seq}`, 'works', conv);
    expect(ack.seq).toBe(seq + 1);
    seq = ack.seq;
  });

  const errorAfter = (frame) => v.request(frame, 'error');

  it('malformed JSON gets error invalid with ref null and the connection stays usable', async () => {
    for (const bad of ['{"t":"send", nope', '', '{', 'null', '[1,2]', '"hello"', '42']) {
      expect({ bad, error: await errorAfter(bad) }).toMatchObject({ bad, error: { code: 'invalid', ref: null } });
    }
  });

  it('an unknown or missing t gets error invalid', async () => {
    for (const bad of [{ t: 'teleport' }, { text: 'no type' }, { t: 7 }, { t: null }]) {
      expect((await errorAfter(bad)).code).toBe('invalid');
    }
  });

  it('wrong field types get error invalid naming the field, with the send id as ref', async () => {
    const e = await errorAfter({ t: 'send', id: 'wt1', conv, text: 42 });
    expect(e).toMatchObject({ code: 'invalid', ref: 'wt1' });
    expect(e.message).toMatch(/text/);
    const bad = [
      { t: 'send', id: { no: 1 }, text: 'x', conv },
      { t: 'send', id: 'wt2', text: 'x', conv: 17 },
      { t: 'send', id: 'wt3', conv },
      { t: 'send', id: 'wt4', conv, text: '' },
      { t: 'send', id: '', text: 'x', conv },
      { t: 'send', id: 'x'.repeat(65), text: 'x', conv },
      { t: 'history', conv, limit: '5' },
      { t: 'history', conv: ['a'] },
      { t: 'typing', conv, on: 'yes' },
      { t: 'read', conv, seq: '1' },
      { t: 'close', conv: 5 },
    ];
    for (const frame of bad) {
      expect({ frame, code: (await errorAfter(frame)).code }).toEqual({ frame, code: 'invalid' });
    }
  });

  it('a second hello gets error invalid', async () => {
    expect((await errorAfter({ t: 'hello', role: 'visitor', site: 'demo' })).code).toBe('invalid');
  });

  it('text over the size limit gets too_large and is not stored; the limit counts UTF-8 bytes', async () => {
    expect((await v.send('at-limit', 'x'.repeat(LIMITS.maxTextBytes), conv)).seq).toBe(seq + 1);
    seq += 1;
    await expect(v.send('big', 'x'.repeat(LIMITS.maxTextBytes + 1), conv)).rejects.toMatchObject({ code: 'too_large', frame: { ref: 'big' } });
    const euros = '€'.repeat(Math.ceil((LIMITS.maxTextBytes + 1) / 3)); // fewer chars than the limit, more bytes
    await expect(v.send('big-utf8', euros, conv)).rejects.toMatchObject({ code: 'too_large' });
  });

  it('invalid UTF-8 gets error invalid and is not stored', async () => {
    const bads = [
      [0xc3, 0x28], // bad continuation
      [0xc0, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xff],
      [0xe2, 0x82], // truncated
    ];
    for (const [i, bytes] of bads.entries()) {
      const raw = Buffer.concat([Buffer.from(`{"t":"send","id":"u8-${i}","conv":"${conv}","text":"bad `), Buffer.from(bytes), Buffer.from('"}')]);
      const since = v.frames.length;
      v.writeRaw(raw);
      const answer = await v.next((f) => f.t === 'error' || f.t === 'ack', 3000, { since });
      expect({ bytes, answer }).toMatchObject({ bytes, answer: { t: 'error', code: 'invalid' } });
    }
    const h = await v.request({ t: 'history', conv, limit: 200 }, 'history');
    expect(h.messages.filter((m) => /^bad /.test(m.text))).toEqual([]);
  });

  it('a send to a conversation the sender is not part of is forbidden, as are typing, read and close there', async () => {
    await expect(v.send('intrude', 'let me in', healthy.conv)).rejects.toMatchObject({ code: 'forbidden' });
    const agent = await t.agent();
    await expect(agent.send('intrude', 'mine now', healthy.conv)).rejects.toMatchObject({ code: 'forbidden' });
    await agent.terminate();
    for (const frame of [{ t: 'typing', conv: healthy.conv, on: true }, { t: 'read', conv: healthy.conv, seq: 1 }, { t: 'close', conv: healthy.conv }]) {
      expect({ frame, code: (await errorAfter(frame)).code }).toEqual({ frame, code: 'forbidden' });
    }
    await settle();
    expect(healthy.a.all((f) => f.t === 'typing' || (f.t === 'conv' && f.state === 'closed'))).toEqual([]);
  });

  it('a send to an unknown conversation is not_found', async () => {
    await expect(v.send('ghost', 'anyone?', 'c_doesnotexist')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('agent-only frames from a visitor are forbidden', async () => {
    expect((await errorAfter({ t: 'accept', conv })).code).toBe('forbidden');
    expect((await errorAfter({ t: 'transfer', conv, to: { agent: healthy.a.agent.id } })).code).toBe('forbidden');
  });
});

describe('frame size', () => {
  it('a frame over maxFrameBytes closes that connection with 1009', async () => {
    const c = await t.visitor();
    c.write({ t: 'send', id: 'huge', text: 'x'.repeat(LIMITS.maxFrameBytes + 100) });
    expect((await c.closed).code).toBe(1009);
  });

  it('a fragmented message over maxFrameBytes closes with 1009 even though each fragment is small', async () => {
    const c = await t.visitor();
    const chunk = Buffer.alloc(6000, 0x78);
    c.writeRaw(Buffer.from('{"t":"send","id":"frag","text":"'), { fin: false });
    for (let i = 0; i < 3; i++) c.writeRaw(chunk, { fin: false });
    c.writeRaw(Buffer.from('"}'), { fin: true });
    expect((await c.closed).code).toBe(1009);
  });

  it('a binary frame closes the connection with 4400', async () => {
    const c = await t.visitor();
    c.writeRaw(Buffer.from('{"t":"ping"}'), { binary: true });
    expect((await c.closed).code).toBe(4400);
  });
});

describe('slow consumers', () => {
  it('a client that stops reading is dropped at the outbound byte cap; other connections are unaffected', async () => {
    const slow = await t.agent({ maxChats: 5 }); // least busy agent: gets the next conversation
    const v = await t.visitor();
    const ack = await v.send('s0', 'start');
    await slow.next((f) => f.t === 'conv' && f.conv === ack.conv && f.state === 'assigned');
    const online = v.welcome.agentsOnline;
    slow.ws._socket.pause(); // stop reading: the server's writes to it back up
    const text = 'y'.repeat(LIMITS.maxTextBytes);
    let sent = 0;
    const dropped = () => v.all((f) => f.t === 'presence' && f.agentsOnline < online).length > 0;
    for (let i = 1; i <= 4000 && !dropped(); i++) {
      v.write({ t: 'send', id: `f${i}`, conv: ack.conv, text });
      sent = i;
      if (i % 20 === 0) await v.next((f) => f.t === 'ack' && f.id === `f${i}`, 10000);
    }
    expect(dropped()).toBe(true); // visitors heard that the agent went offline
    // 4000 × 8 KB would be 32 MB; the cap is 64 KiB (+ what the kernel buffers).
    expect(sent).toBeLessThan(4000);
    slow.ws._socket.resume();
    const closed = await withTimeout(slow.closed, 5000, 'the close of the slow connection');
    expect(closed.code).not.toBe(1000);
    // The flooding visitor is still served.
    expect((await v.send('after', 'visitor still fine', ack.conv, 10000)).conv).toBe(ack.conv);
  }, 60000);
});

describe('HTTP', () => {
  /** Writes `text` on a raw socket; resolves with everything read until the server closes. */
  function rawRequest(text, timeoutMs = 5000) {
    return new Promise((resolve) => {
      const sock = net.connect(t.port, '127.0.0.1');
      let out = '';
      const done = () => {
        clearTimeout(timer);
        sock.destroy();
        resolve(out);
      };
      const timer = setTimeout(done, timeoutMs);
      sock.on('data', (d) => {
        out += d;
        if (/\r\n\r\n/.test(out) && /connection: close/i.test(out)) setTimeout(done, 50);
      });
      sock.on('end', done);
      sock.on('error', done);
      sock.write(text);
    });
  }

  async function healthOk() {
    const res = await fetch(`${t.http}/api/v1/health`);
    expect(res.status).toBe(200);
  }

  it('a huge header block gets 431 (or 400) and the server stays up', async () => {
    const res = await rawRequest(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(LIMITS.maxHttpHeaderBytes * 3)}\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 (431|400) /);
    const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    expect(await rawRequest(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 (431|400) /);
    await healthOk();
  });

  it('a huge body gets 413 and the server stays up', async () => {
    const size = LIMITS.maxHttpBodyBytes * 2;
    const res = await rawRequest(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n${'x'.repeat(size)}`);
    expect(res).toMatch(/^HTTP\/1\.1 413 /);
    await healthOk();
  });

  it('a huge chunked body gets 413', async () => {
    const chunk = 'x'.repeat(16384);
    const body = `${Array.from({ length: 8 }, () => `4000\r\n${chunk}\r\n`).join('')}0\r\n\r\n`;
    const res = await rawRequest(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    expect(res).toMatch(/^HTTP\/1\.1 413 /);
    await healthOk();
  });

  it('garbage instead of HTTP gets 400', async () => {
    expect(await rawRequest('HELLO THERE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    await healthOk();
  });
});
