'use strict';
// A local OpenAI-compatible chat-completions server for tests and the demo (`npm run mock-ai`).
// It speaks the real streaming format (SSE chunks, [DONE]) and can be scripted, request by
// request, to misbehave the ways real upstreams do: errors, stalls, cuts, odd framing.

const http = require('http');
const crypto = require('crypto');

/**
 * Behaviour of one request; every field is optional.
 * @typedef {object} Step
 * @property {number} [status] answer this HTTP status with an OpenAI-style error instead of a completion
 * @property {string} [retryAfter] Retry-After header sent with `status`
 * @property {string} [error] error message sent with `status`
 * @property {string} [text] reply text (default: "Echo: " + the last user message)
 * @property {number} [chunkChars] code points per chunk (default: one word and its trailing space)
 * @property {number} [firstTokenDelayMs] wait before the first content chunk
 * @property {number} [delayMs] wait between content chunks
 * @property {number} [cutAfterChunks] destroy the socket after this many chunks
 * @property {number} [invalidJsonAfterChunks] send `data: {not json` after this many chunks, then go on
 * @property {number} [errorAfterChunks] send an error event after this many chunks, then end
 * @property {{name: string, arguments?: object}} [toolCall] stream a function call (after `text` if given)
 * @property {boolean} [comments] send `: keep-alive` comments before and between events
 * @property {boolean} [splitWrites] write every event in pieces of 1 to 7 bytes
 * @property {boolean} [crlf] end SSE lines with \r\n
 * @property {boolean} [hang] never answer
 * @property {boolean} [usage] send the usage chunk when the request asks for it (default true)
 * @property {number} [headersDelayMs] wait before sending the response headers
 */

const maxBodyBytes = 16 * 1024 * 1024;
const fallbackText = 'Hello from the mock assistant.';

/**
 * Starts a mock server. "Chunks" counted by the `*AfterChunks` fields and by usage are the
 * content-bearing chunks: text pieces and tool-call pieces, not the role or finish chunks.
 * A Step is consumed only by a valid chat request that passed the key and capacity checks.
 * @param {{port?: number, host?: string, apiKey?: string|null, capacity?: number, defaults?: Step}} [options]
 * @returns {Promise<MockAi>}
 */
async function startMockAi(options = {}) {
  const { port = 0, host = '127.0.0.1', apiKey = null, capacity = Infinity, defaults = {} } = options;
  const mock = new MockAi({ apiKey, capacity, defaults });
  await mock._listen(port, host);
  return mock;
}

/** A running mock server; created by startMockAi(). */
class MockAi {
  constructor({ apiKey, capacity, defaults }) {
    /** @type {{path: string, authorized: boolean, body: any, at: number}[]} every request received */
    this.requests = [];
    this.url = '';
    this.port = 0;
    this._keyHash = apiKey == null ? null : sha256(`Bearer ${apiKey}`);
    this._queue = [];
    this.setDefaults(defaults);
    this.setCapacity(capacity);
    this._sockets = new Set();
    this._closing = false;
    this._stats = { total: 0, inFlight: 0, maxInFlight: 0, cancelled: 0 };
    this._server = http.createServer((req, res) => this._handle(req, res));
    this._server.keepAliveTimeout = 30000;
    this._server.on('connection', (socket) => {
      this._sockets.add(socket);
      socket.once('close', () => this._sockets.delete(socket));
    });
  }

  _listen(port, host) {
    return new Promise((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen(port, host, () => {
        this._server.off('error', reject);
        this.port = this._server.address().port;
        this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}/v1`;
        resolve();
      });
    });
  }

  /**
   * Appends Steps to the queue; each chat request takes the next one.
   * @param {...Step} steps
   */
  script(...steps) {
    this._queue.push(...steps);
  }

  /**
   * Replaces the Step used when the queue is empty (and under every scripted Step).
   * @param {Step} step
   */
  setDefaults(step) {
    this._defaults = { ...(step || {}) };
  }

  /**
   * Concurrent chat requests above `n` get 429 with Retry-After: 1.
   * @param {number} n
   */
  setCapacity(n) {
    if (!(n >= 0)) throw new TypeError(`capacity must be a number >= 0, got ${n}`);
    this._capacity = n;
  }

  /**
   * Counters over chat requests: `cancelled` counts responses whose client went away before the end.
   * @returns {{total: number, inFlight: number, maxInFlight: number, cancelled: number}}
   */
  stats() {
    return { ...this._stats };
  }

  /** Zeroes the counters (maxInFlight restarts from the requests in flight now). */
  resetStats() {
    const { inFlight } = this._stats;
    this._stats = { total: 0, inFlight, maxInFlight: inFlight, cancelled: 0 };
  }

  /**
   * Polls `predicate(mock)` until it returns a truthy value.
   * @param {(mock: MockAi) => any} predicate
   * @param {number} [timeoutMs]
   * @returns {Promise<any>} the truthy value; rejects after timeoutMs
   */
  async waitFor(predicate, timeoutMs = 2000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate(this);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`mock-ai waitFor: condition not met in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Stops listening and destroys open connections (hanging and streaming ones included).
   * @returns {Promise<void>}
   */
  close() {
    this._closing = true;
    return new Promise((resolve) => {
      this._server.close(() => resolve());
      for (const socket of this._sockets) socket.destroy();
    });
  }

  _handle(req, res) {
    this._serve(req, res).catch(() => {
      if (!res.destroyed) res.destroy();
    });
  }

  async _serve(req, res) {
    const path = req.url.split('?')[0];
    const authorized = this._authorized(req.headers.authorization);
    const chat = req.method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions');
    const ctx = new Ctx(res);
    let admitted = false;
    if (chat) {
      this._stats.total++;
      admitted = this._stats.inFlight < this._capacity;
      if (admitted) this._enter(ctx);
    }
    const raw = await readBody(req, ctx);
    if (raw === null) return;
    let body = null;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : null;
    } catch {
      body = null;
    }
    this.requests.push({ path, authorized, body, at: Date.now() });

    if (!authorized) return sendError(res, 401, 'Incorrect API key provided.');
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      return sendJson(res, 200, { object: 'list', data: [{ id: 'mock-model', object: 'model' }] });
    }
    if (!chat) return sendError(res, 404, `Unknown request URL: ${req.method} ${path}`);
    if (!admitted) return sendError(res, 429, 'Too many concurrent requests (mock capacity).', '1');
    if (!body || typeof body !== 'object' || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return sendError(res, 400, 'The body must be JSON with a string "model" and a "messages" array.');
    }
    const step = { ...this._defaults, ...(this._queue.shift() || {}) };
    await respond(ctx, body, step);
  }

  _authorized(header) {
    if (this._keyHash === null) return true;
    return typeof header === 'string' && crypto.timingSafeEqual(sha256(header), this._keyHash);
  }

  _enter(ctx) {
    const stats = this._stats;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    ctx.res.once('close', () => {
      // Read this._stats again: resetStats() may have replaced the object meanwhile.
      this._stats.inFlight = Math.max(0, this._stats.inFlight - 1);
      if (!ctx.res.writableFinished && !ctx.cut && !this._closing) this._stats.cancelled++;
    });
  }
}

/** Per-response state: stops timers and writes once the connection is gone. */
class Ctx {
  constructor(res) {
    this.res = res;
    this.closed = false;
    this.cut = false;
    this._wakers = new Set();
    /** Resolves when the connection closes (after a normal end too). */
    this.gone = new Promise((resolve) => res.once('close', resolve));
    res.once('close', () => {
      this.closed = true;
      for (const wake of this._wakers) wake();
      this._wakers.clear();
    });
  }

  /** Resolves after ms, or at once when the connection closes; never leaves a timer behind. */
  sleep(ms) {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer = null;
      const wake = () => {
        clearTimeout(timer);
        this._wakers.delete(wake);
        resolve();
      };
      timer = setTimeout(wake, Math.max(0, ms || 0));
      this._wakers.add(wake);
    });
  }
}

async function respond(ctx, body, step) {
  const { res } = ctx;
  if (step.hang) return;
  if (step.headersDelayMs > 0) await ctx.sleep(step.headersDelayMs);
  if (ctx.closed) return;
  if (step.status) return sendError(res, step.status, step.error, step.retryAfter);

  const explicitText = typeof step.text === 'string';
  const text = explicitText ? step.text : echoText(body.messages);
  const pieces = [];
  if (!step.toolCall || explicitText) {
    for (const content of splitText(text, step.chunkChars)) pieces.push({ content });
  }
  const toolCall = step.toolCall ? toolCallOf(step.toolCall) : null;
  if (toolCall) pieces.push(...toolCallDeltas(toolCall));
  const finishReason = toolCall ? 'tool_calls' : 'stop';
  const usage = usageOf(body.messages, pieces.length);

  if (body.stream !== true) {
    if (step.firstTokenDelayMs > 0) await ctx.sleep(step.firstTokenDelayMs);
    if (ctx.closed) return;
    if (step.cutAfterChunks != null) {
      ctx.cut = true;
      return res.destroy();
    }
    if (step.errorAfterChunks != null) return sendError(res, 500, 'mock upstream error');
    const message = { role: 'assistant', content: !toolCall || explicitText ? text : null };
    if (toolCall) {
      const fn = { name: toolCall.name, arguments: toolCall.args };
      message.tool_calls = [{ id: toolCall.id, type: 'function', function: fn }];
    }
    return sendJson(res, 200, {
      id: randomId('chatcmpl-'), object: 'chat.completion', created: nowSeconds(), model: body.model,
      choices: [{ index: 0, message, finish_reason: finishReason }], usage,
    });
  }

  const wantUsage = Boolean(body.stream_options && body.stream_options.include_usage === true);
  const base = { id: randomId('chatcmpl-'), object: 'chat.completion.chunk', created: nowSeconds(), model: body.model };
  const chunk = (delta, finish = null) => ({
    ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...(wantUsage ? { usage: null } : {}),
  });
  const eol = step.crlf ? '\r\n' : '\n';
  const send = async (payload) => {
    if (step.comments) await write(ctx, `: keep-alive${eol}${eol}`, step.splitWrites);
    const data = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return write(ctx, `data: ${data}${eol}${eol}`, step.splitWrites);
  };

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  await send(chunk({ role: 'assistant', content: '' }));
  // Returns true when the stream must stop after `count` content chunks.
  const after = async (count) => {
    if (ctx.closed) return true;
    if (step.cutAfterChunks === count) {
      ctx.cut = true;
      res.destroy();
      return true;
    }
    if (step.invalidJsonAfterChunks === count) await send('{not json');
    if (step.errorAfterChunks === count) {
      await send('{"error":{"message":"mock upstream error","type":"server_error"}}');
      if (!ctx.closed) res.end();
      return true;
    }
    return ctx.closed;
  };
  if (await after(0)) return;
  if (step.firstTokenDelayMs > 0) await ctx.sleep(step.firstTokenDelayMs);
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0 && step.delayMs > 0) await ctx.sleep(step.delayMs);
    if (ctx.closed) return;
    await send(chunk(pieces[i]));
    if (await after(i + 1)) return;
  }
  await send(chunk({}, finishReason));
  if (wantUsage && step.usage !== false) await send({ ...base, choices: [], usage });
  await send('[DONE]');
  if (!ctx.closed) res.end();
}

// Writes one event, in 1-7 byte pieces when `split` (a fixed cycle, so runs are repeatable),
// and resolves once the bytes are handed to the socket.
async function write(ctx, text, split) {
  const buf = Buffer.from(text, 'utf8');
  if (!split) return writePiece(ctx, buf);
  for (let at = 0, n = 0; at < buf.length; n++) {
    if (n > 0) await new Promise((resolve) => setImmediate(resolve));
    const size = 1 + ((n * 3) % 7);
    await writePiece(ctx, buf.subarray(at, at + size));
    at += size;
  }
}

async function writePiece(ctx, buf) {
  if (ctx.closed) return;
  // Waiting for the write callback (it also covers backpressure) means a later cut cannot
  // drop bytes already "sent", and nothing piles up in memory behind a slow reader.
  const flushed = new Promise((resolve) => ctx.res.write(buf, () => resolve()));
  await Promise.race([flushed, ctx.gone]);
}

/** Splits text by `chunkChars` code points, or word by word (a word plus its trailing whitespace). */
function splitText(text, chunkChars) {
  if (!text) return [];
  if (chunkChars > 0) {
    const points = Array.from(text);
    const out = [];
    for (let i = 0; i < points.length; i += chunkChars) out.push(points.slice(i, i + chunkChars).join(''));
    return out;
  }
  return text.match(/\s*\S+\s*/g) || [text];
}

function toolCallOf({ name, arguments: args }) {
  return { id: randomId('call_'), name: String(name), args: JSON.stringify(args === undefined ? {} : args) };
}

// OpenAI's shape: the first delta names the call, the next ones carry argument fragments.
function toolCallDeltas({ id, name, args }) {
  const points = Array.from(args);
  const size = Math.max(1, Math.ceil(points.length / 3));
  const deltas = [{ tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }];
  for (let i = 0; i < points.length; i += size) {
    deltas.push({ tool_calls: [{ index: 0, function: { arguments: points.slice(i, i + size).join('') } }] });
  }
  return deltas;
}

function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part && typeof part.text === 'string' ? part.text : '')).join('');
  return '';
}

function echoText(messages) {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i] && messages[i].role === 'user') return `Echo: ${contentText(messages[i].content)}`;
  }
  return fallbackText;
}

function usageOf(messages, completionTokens) {
  const chars = messages.reduce((sum, m) => sum + Array.from(contentText(m && m.content)).length, 0);
  const promptTokens = Math.ceil(chars / 4);
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

// Resolves with the body, or null when the client went away first.
function readBody(req, ctx) {
  return new Promise((resolve) => {
    const parts = [];
    let size = 0;
    req.on('data', (part) => {
      size += part.length;
      if (size <= maxBodyBytes) parts.push(part);
    });
    req.once('end', () => resolve(size > maxBodyBytes ? Buffer.alloc(0) : Buffer.concat(parts)));
    req.once('error', () => resolve(null));
    ctx.res.once('close', () => resolve(null));
  });
}

function errorType(status) {
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

function sendError(res, status, message, retryAfter) {
  const { type, code } = errorType(status);
  const text = message || `mock error ${status}: ${http.STATUS_CODES[status] || 'error'}`;
  return sendJson(res, status, { error: { message: text, type, code } }, retryAfter ? { 'retry-after': String(retryAfter) } : {});
}

function sendJson(res, status, value, headers = {}) {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sha256(text) {
  return crypto.createHash('sha256').update(text, 'utf8').digest();
}

function randomId(prefix) {
  return prefix + crypto.randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

const usageText = `Usage: node js/mock-ai.js [--port N] [--host H] [--api-key KEY] [--delay-ms N]
                          [--first-token-delay-ms N] [--chunk-chars N] [--capacity N]

A local OpenAI-compatible chat-completions server (streaming and not) for tests and demos.`;

const flags = {
  '--port': ['port', 'int'], '--host': ['host', 'str'], '--api-key': ['apiKey', 'str'],
  '--delay-ms': ['delayMs', 'int'], '--first-token-delay-ms': ['firstTokenDelayMs', 'int'],
  '--chunk-chars': ['chunkChars', 'int'], '--capacity': ['capacity', 'int'],
};

/**
 * Parses the mock's command line (without `node` and the script) into startMockAi() options.
 * @param {string[]} argv
 * @returns {{help?: true, error?: string, port?: number, host?: string, apiKey?: string, capacity?: number, defaults?: Step}}
 */
function parseArgs(argv) {
  const values = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!flags[flag]) return { error: `unknown option "${arg}"` };
    const value = eq > 0 && flag !== arg ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') return { error: `${flag} needs a value` };
    const [key, kind] = flags[flag];
    if (kind === 'int' && !/^\d{1,9}$/.test(value)) return { error: `${flag} needs a whole number, got "${value}"` };
    values[key] = kind === 'int' ? Number(value) : value;
  }
  const { delayMs, firstTokenDelayMs, chunkChars, port = 8787, ...rest } = values;
  if (port > 65535) return { error: `--port needs a number from 0 to 65535, got "${port}"` };
  const defaults = {};
  if (delayMs !== undefined) defaults.delayMs = delayMs;
  if (firstTokenDelayMs !== undefined) defaults.firstTokenDelayMs = firstTokenDelayMs;
  if (chunkChars !== undefined) defaults.chunkChars = chunkChars;
  return { port, ...rest, defaults };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) return void process.stdout.write(`${usageText}\n`);
  if (opts.error) {
    process.stderr.write(`mock-ai: ${opts.error}\n${usageText}\n`);
    process.exitCode = 2;
    return;
  }
  const mock = await startMockAi(opts);
  process.stdout.write(`${JSON.stringify({ msg: 'mock AI listening', url: mock.url })}\n`);
  const stop = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    mock.close().then(() => { process.exitCode = 0; });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`mock-ai: ${err.message}\n`);
    process.exitCode = 1;
  });
}

module.exports = { startMockAi, MockAi, parseArgs };
