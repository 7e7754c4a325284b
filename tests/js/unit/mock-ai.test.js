'use strict';
// js/mock-ai.js: the OpenAI-compatible test upstream, driven over real sockets with fetch and
// a small SSE reader written here (independent of any parser under test elsewhere).
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');
const { startMockAi, parseArgs } = require('../../../js/mock-ai');

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

let mock = null;
afterEach(async () => {
  if (mock) await mock.close();
  mock = null;
});

async function start(options) {
  mock = await startMockAi(options);
  return mock;
}

function post(body, { key, signal, url = `${mock.url}/chat/completions` } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  return fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
}

const chat = (content, extra = {}) => ({ model: 'gpt-test', messages: [{ role: 'user', content }], stream: true, ...extra });

// Reads a whole SSE body: `data` payloads in order, comment count, the raw text, and the
// error if the stream broke. Accepts \n, \r\n and \r line endings as the SSE spec does.
async function readSse(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const out = { data: [], comments: 0, raw: '', error: null };
  let buffer = '';
  let lines = [];
  const consume = (final) => {
    // A trailing \r may be the first half of \r\n: hold it back until more bytes arrive.
    const held = !final && buffer.endsWith('\r') ? '\r' : '';
    const parts = buffer.slice(0, buffer.length - held.length).split(/\r\n|\r|\n/);
    buffer = (final ? '' : parts.pop()) + held;
    for (const line of parts) {
      if (line === '') {
        if (lines.length) out.data.push(lines.join('\n'));
        lines = [];
      } else if (line.startsWith(':')) out.comments++;
      else if (line.startsWith('data:')) lines.push(line.slice(5).replace(/^ /, ''));
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      out.raw += text;
      buffer += text;
      consume(false);
    }
  } catch (err) {
    out.error = err;
  }
  consume(true);
  return out;
}

const chunksOf = (sse) => sse.data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
const contentOf = (sse) => chunksOf(sse).map((c) => c.choices[0] && c.choices[0].delta.content).filter((c) => c);

describe('streaming', () => {
  it('echoes the last user message word by word between a role chunk, a finish chunk, usage and [DONE]', async () => {
    await start();
    const res = await post({
      model: 'gpt-test',
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi there friend' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const sse = await readSse(res);
    expect(sse.error).toBeNull();
    expect(sse.raw).not.toMatch(/\r/);
    expect(sse.data[sse.data.length - 1]).toBe('[DONE]');
    const chunks = chunksOf(sse);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].id).toMatch(/^chatcmpl-\w+$/);
    for (const c of chunks) {
      expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-test' });
      expect(Number.isInteger(c.created)).toBe(true);
    }
    expect(chunks[0].choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    expect(chunks.slice(1, 5).map((c) => c.choices[0].delta)).toEqual(
      [{ content: 'Echo: ' }, { content: 'hi ' }, { content: 'there ' }, { content: 'friend' }]);
    expect(chunks[5].choices).toEqual([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    // prompt: ceil((3 + 15) / 4) = 5; completion: 4 content chunks
    expect(chunks[6].choices).toEqual([]);
    expect(chunks[6].usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(chunks).toHaveLength(7);
  });

  it('sends no usage chunk unless the request asks for it, and none when the step says usage: false', async () => {
    await start();
    const plain = chunksOf(await readSse(await post(chat('a b'))));
    expect(plain.some((c) => c.usage)).toBe(false);
    expect(plain[plain.length - 1].choices[0].finish_reason).toBe('stop');
    mock.script({ usage: false });
    const off = chunksOf(await readSse(await post(chat('a b', { stream_options: { include_usage: true } }))));
    expect(off.some((c) => c.choices.length === 0)).toBe(false);
  });

  it('greets when there is no user message, and serves /chat/completions without /v1 too', async () => {
    await start();
    const url = `http://127.0.0.1:${mock.port}/chat/completions`;
    const sse = await readSse(await post({ model: 'm', messages: [{ role: 'system', content: 'x' }], stream: true }, { url }));
    expect(contentOf(sse).join('')).toBe('Hello from the mock assistant.');
  });

  it('chunkChars splits by code points and never splits a surrogate pair', async () => {
    await start();
    const text = 'héllo 你好世界 😀👍🏽🇫🇷!';
    for (const chunkChars of [1, 2, 3]) {
      mock.script({ text, chunkChars });
      const pieces = contentOf(await readSse(await post(chat('ignored'))));
      expect(pieces.join('')).toBe(text);
      for (const p of pieces) {
        expect(Array.from(p).length).toBeLessThanOrEqual(chunkChars);
        expect(p).not.toMatch(loneSurrogate);
      }
      expect(pieces).toHaveLength(Math.ceil(Array.from(text).length / chunkChars));
    }
  });

  it('waits firstTokenDelayMs after the role chunk before the first content', async () => {
    await start({ defaults: { firstTokenDelayMs: 120 } });
    const t0 = Date.now();
    const sse = await readSse(await post(chat('x')));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(contentOf(sse).join('')).toBe('Echo: x');
  });
});

describe('authentication and errors', () => {
  it('answers 401 without or with a wrong key, 200 with the right one, and never records the key', async () => {
    await start({ apiKey: 'sk-secret-1' });
    const none = await post(chat('a'));
    expect(none.status).toBe(401);
    expect((await none.json()).error).toMatchObject({ type: 'invalid_request_error', message: expect.any(String) });
    const wrong = await post(chat('a'), { key: 'sk-secret-2' });
    expect(wrong.status).toBe(401);
    await wrong.text();
    const right = await post(chat('a'), { key: 'sk-secret-1' });
    expect(right.status).toBe(200);
    expect(contentOf(await readSse(right)).join('')).toBe('Echo: a');
    expect(mock.requests.map((r) => r.authorized)).toEqual([false, false, true]);
    expect(mock.requests[2]).toMatchObject({ path: '/v1/chat/completions', body: { model: 'gpt-test' } });
    expect(typeof mock.requests[2].at).toBe('number');
    expect(JSON.stringify(mock.requests)).not.toMatch(/sk-secret/);
    const models = await fetch(`${mock.url}/models`, { headers: { authorization: 'Bearer sk-secret-1' } });
    expect(await models.json()).toEqual({ object: 'list', data: [{ id: 'mock-model', object: 'model' }] });
  });

  it('answers a scripted status with Retry-After and an OpenAI-style error body', async () => {
    await start();
    mock.script({ status: 429, retryAfter: '7', error: 'slow down' }, { status: 503 });
    const limited = await post(chat('a'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } });
    const down = await post(chat('a'));
    expect(down.status).toBe(503);
    expect((await down.json()).error).toMatchObject({ type: 'server_error', message: expect.any(String) });
  });

  it('rejects a bad body with 400 and unknown routes with 404', async () => {
    await start();
    for (const body of ['{nope', JSON.stringify({ messages: [] }), JSON.stringify({ model: 'm', messages: 'x' })]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toEqual({ message: expect.any(String), type: 'invalid_request_error', code: null });
    }
    const missing = await fetch(`${mock.url}/embeddings`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.type).toBe('invalid_request_error');
    expect(mock.stats().total).toBe(3);
  });
});

describe('scripted steps', () => {
  it('consumes steps in order, then falls back to the defaults', async () => {
    await start({ defaults: { text: 'default reply' } });
    mock.script({ text: 'one' }, { text: 'two' });
    const texts = [];
    for (let i = 0; i < 3; i++) texts.push(contentOf(await readSse(await post(chat('q')))).join(''));
    expect(texts).toEqual(['one', 'two', 'default reply']);
    mock.setDefaults({});
    expect(contentOf(await readSse(await post(chat('q')))).join('')).toBe('Echo: q');
  });

  it('cutAfterChunks destroys the connection after n chunks: no finish chunk, no [DONE]', async () => {
    await start();
    mock.script({ text: 'a b c d', cutAfterChunks: 2 });
    const sse = await readSse(await post(chat('q')));
    expect(sse.error).not.toBeNull();
    expect(sse.data).not.toContain('[DONE]');
    expect(contentOf(sse)).toEqual(['a ', 'b ']);
    expect(chunksOf(sse).some((c) => c.choices[0].finish_reason)).toBe(false);
    expect(mock.stats().cancelled).toBe(0);
  });

  it('errorAfterChunks sends the error event and ends the stream', async () => {
    await start();
    mock.script({ text: 'a b c', errorAfterChunks: 1 });
    const sse = await readSse(await post(chat('q')));
    expect(sse.error).toBeNull();
    expect(sse.data).toHaveLength(3);
    expect(JSON.parse(sse.data[1]).choices[0].delta).toEqual({ content: 'a ' });
    expect(JSON.parse(sse.data[2])).toEqual({ error: { message: 'mock upstream error', type: 'server_error' } });
  });

  it('invalidJsonAfterChunks slips in one broken event and carries on to [DONE]', async () => {
    await start();
    mock.script({ text: 'a b c', invalidJsonAfterChunks: 2 });
    const sse = await readSse(await post(chat('q')));
    expect(sse.data[3]).toBe('{not json');
    expect(sse.data[sse.data.length - 1]).toBe('[DONE]');
    const good = sse.data.filter((d) => d !== '{not json' && d !== '[DONE]').map((d) => JSON.parse(d));
    expect(good.map((c) => c.choices[0].delta.content).filter(Boolean).join('')).toBe('a b c');
  });

  it('streams a tool call in OpenAI\'s shape, arguments in fragments that reassemble', async () => {
    await start();
    const args = { orderId: 'A-17', note: 'café 😀', items: [1, 2, 3] };
    mock.script({ toolCall: { name: 'lookup_order', arguments: args } }, { text: 'Checking.', toolCall: { name: 'noop', arguments: {} } });
    const chunks = chunksOf(await readSse(await post(chat('where is my order?'))));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const calls = chunks.slice(1, -1).map((c) => c.choices[0].delta);
    expect(calls.every((d) => d.content === undefined)).toBe(true);
    expect(calls[0]).toEqual({
      tool_calls: [{ index: 0, id: expect.stringMatching(/^call_\w+$/), type: 'function', function: { name: 'lookup_order', arguments: '' } }],
    });
    const fragments = calls.slice(1).map((d) => {
      expect(d.tool_calls).toHaveLength(1);
      expect(d.tool_calls[0].index).toBe(0);
      expect(d.tool_calls[0].id).toBeUndefined();
      return d.tool_calls[0].function.arguments;
    });
    expect(fragments.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(fragments.join(''))).toEqual(args);
    expect(chunks[chunks.length - 1].choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'tool_calls' });

    const both = chunksOf(await readSse(await post(chat('x'))));
    const deltas = both.map((c) => c.choices[0].delta);
    expect(deltas[1]).toEqual({ content: 'Checking.' });
    expect(deltas[2].tool_calls[0].function.name).toBe('noop');
    expect(deltas.slice(3, -1).map((d) => d.tool_calls[0].function.arguments).join('')).toBe('{}');
    expect(both[both.length - 1].choices[0].finish_reason).toBe('tool_calls');
  });

  it('comments, CRLF line endings and split writes all parse to the same text', async () => {
    await start();
    const text = 'Grüße aus 東京 😀 — fine';
    const baseline = contentOf(await readSse(await post(chat(text)))).join('');
    expect(baseline).toBe(`Echo: ${text}`);

    mock.script({ comments: true });
    const commented = await readSse(await post(chat(text)));
    expect(commented.comments).toBe(commented.data.length);
    expect(commented.raw).toContain(': keep-alive\n\n');
    expect(contentOf(commented).join('')).toBe(baseline);

    mock.script({ crlf: true });
    const crlf = await readSse(await post(chat(text)));
    expect(crlf.raw).toMatch(/^data: .*\r\n\r\n/);
    expect(crlf.raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(contentOf(crlf).join('')).toBe(baseline);
    expect(crlf.data[crlf.data.length - 1]).toBe('[DONE]');

    mock.script({ splitWrites: true, comments: true, crlf: true, chunkChars: 3 });
    const split = await readSse(await post(chat(text)));
    expect(split.error).toBeNull();
    expect(contentOf(split).join('')).toBe(baseline);
    expect(split.data[split.data.length - 1]).toBe('[DONE]');
  });
});

describe('capacity, cancellation and connections', () => {
  it('answers 429 with Retry-After: 1 above capacity and tracks inFlight and maxInFlight', async () => {
    await start({ capacity: 2 });
    mock.script({ hang: true }, { hang: true });
    const aborts = [new AbortController(), new AbortController()];
    const hanging = aborts.map((a) => post(chat('x'), { signal: a.signal }).catch((err) => err));
    await mock.waitFor((m) => m.stats().inFlight === 2);
    const over = await post(chat('x'));
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect((await over.json()).error.code).toBe('rate_limit_exceeded');
    expect(mock.stats()).toEqual({ total: 3, inFlight: 2, maxInFlight: 2, cancelled: 0 });

    for (const a of aborts) a.abort();
    await Promise.all(hanging);
    await mock.waitFor((m) => m.stats().inFlight === 0);
    expect(mock.stats()).toMatchObject({ maxInFlight: 2, cancelled: 2 });
    const ok = await post(chat('again'));
    expect(contentOf(await readSse(ok)).join('')).toBe('Echo: again');

    mock.resetStats();
    expect(mock.stats()).toEqual({ total: 0, inFlight: 0, maxInFlight: 0, cancelled: 0 });
    mock.setCapacity(0);
    expect((await post(chat('x'))).status).toBe(429);
  });

  it('counts a client abort mid-stream as cancelled and frees its slot', async () => {
    await start({ defaults: { delayMs: 20 } });
    const abort = new AbortController();
    const res = await post(chat('one two three four five six seven eight'), { signal: abort.signal });
    const reader = res.body.getReader();
    await reader.read();
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
    await mock.waitFor((m) => m.stats().cancelled === 1);
    expect(mock.stats()).toMatchObject({ total: 1, inFlight: 0, cancelled: 1 });
  });

  it('reuses keep-alive connections', async () => {
    await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const once = () => new Promise((resolve, reject) => {
      const req = http.request(`${mock.url}/chat/completions`, { method: 'POST', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ reused: req.reusedSocket, body }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(chat('k')));
    });
    const first = await once();
    const second = await once();
    agent.destroy();
    expect(first.reused).toBe(false);
    expect(second.reused).toBe(true);
    expect(second.body).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('close() ends hanging requests and resolves', async () => {
    await start();
    mock.script({ hang: true });
    const pending = post(chat('x')).then(() => 'answered', () => 'failed');
    await mock.waitFor((m) => m.stats().inFlight === 1);
    await mock.close();
    mock = null;
    expect(await pending).toBe('failed');
  });
});

describe('non-streaming', () => {
  it('answers a chat.completion JSON, with tool_calls when scripted, and honours status', async () => {
    await start();
    const res = await post({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] });
    expect(res.headers.get('content-type')).toBe('application/json');
    const json = await res.json();
    expect(json).toMatchObject({ object: 'chat.completion', model: 'gpt-test', id: expect.stringMatching(/^chatcmpl-/) });
    expect(json.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'Echo: hello' }, finish_reason: 'stop' }]);
    expect(json.usage).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });

    mock.script({ toolCall: { name: 'f', arguments: { a: 1 } } }, { status: 500, error: 'boom' });
    const tool = await (await post(chat('x', { stream: false }))).json();
    expect(tool.choices[0].finish_reason).toBe('tool_calls');
    expect(tool.choices[0].message).toEqual({
      role: 'assistant', content: null,
      tool_calls: [{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
    });
    const failed = await post(chat('x', { stream: false }));
    expect(failed.status).toBe(500);
    expect((await failed.json()).error.message).toBe('boom');
  });
});

describe('command line', () => {
  it('parseArgs maps flags to options and defaults', () => {
    expect(parseArgs([])).toEqual({ port: 8787, defaults: {} });
    expect(parseArgs(['--port', '0', '--host=::1', '--api-key', 'k', '--delay-ms', '5', '--first-token-delay-ms=9', '--chunk-chars', '2', '--capacity', '3']))
      .toEqual({ port: 0, host: '::1', apiKey: 'k', capacity: 3, defaults: { delayMs: 5, firstTokenDelayMs: 9, chunkChars: 2 } });
    expect(parseArgs(['--port', 'x']).error).toMatch(/--port needs a whole number/);
    expect(parseArgs(['--bogus']).error).toBe('unknown option "--bogus"');
    expect(parseArgs(['--api-key']).error).toBe('--api-key needs a value');
  });

  it('prints the listening line and exits 0 on SIGTERM', async () => {
    const script = path.join(__dirname, '..', '..', '..', 'js', 'mock-ai.js');
    const child = spawn(process.execPath, [script, '--port', '0', '--chunk-chars', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    const { msg, url } = JSON.parse(line);
    expect(msg).toBe('mock AI listening');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat('abcdefgh')) });
    expect(contentOf(await readSse(res))).toEqual(['Echo', ': ab', 'cdef', 'gh']);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
