'use strict';
// A small promise-based protocol v1 client over `ws`, for tests. Every wait has a timeout and
// every wait fails at once when the socket closes, so a broken server fails fast, never hangs.

const WebSocket = require('ws');

const DEFAULT_TIMEOUT_MS = 3000;

class Client {
  /**
   * @param {string} url ws://127.0.0.1:PORT/ws
   * @param {{origin?: string, protocols?: string[], headers?: object}} [opts]
   */
  constructor(url, opts = {}) {
    /** Every frame received, in order (unparseable ones as {t: '<unparseable>', raw}). */
    this.frames = [];
    this.consumed = new Set();
    this.waiters = new Set();
    this.closeInfo = null;
    this.ws = new WebSocket(url, opts.protocols || [], {
      origin: opts.origin,
      headers: opts.headers,
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
      handshakeTimeout: 5000,
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (req, res) => {
        const err = new Error(`upgrade refused: HTTP ${res.statusCode}`);
        err.status = res.statusCode;
        res.resume();
        reject(err);
        req.destroy();
      });
    });
    this.opened.catch(() => {});
    /** Resolves with {code, reason} once the connection is closed (1006 when cut). */
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of [...this.waiters]) w.onClose(this.closeInfo);
        resolve(this.closeInfo);
      });
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        frame = { t: '<unparseable>', raw: data.toString(), binary: isBinary };
      }
      this.frames.push(frame);
      for (const w of [...this.waiters]) if (w.offer(frame)) break;
    });
  }

  /** Opens a connection; resolves once it is open. */
  static async connect(url, opts) {
    const c = new Client(url, opts);
    await c.opened;
    return c;
  }

  /** Sends one frame as is: an object is JSON-encoded, a string goes out verbatim. */
  write(frame) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends raw bytes as one text frame (no UTF-8 check on our side), or binary with {binary:true}. */
  writeRaw(buffer, { binary = false, fin = true } = {}) {
    this.ws.send(buffer, { binary, fin });
  }

  /**
   * Resolves with the first frame not yet returned by `next` that matches `pred` (already
   * received or still to come), and marks it as taken. `pred`: a function or a type name.
   * `since`: only frames at or after this index of `frames`.
   */
  next(pred, timeoutMs = DEFAULT_TIMEOUT_MS, { since = 0 } = {}) {
    const p = typeof pred === 'string' ? (f) => f.t === pred : pred;
    for (let i = since; i < this.frames.length; i++) {
      const f = this.frames[i];
      if (!this.consumed.has(f) && p(f)) {
        this.consumed.add(f);
        return Promise.resolve(f);
      }
    }
    const what = typeof pred === 'string' ? `'${pred}'` : pred.toString().slice(0, 160);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const fail = (why) => {
        done();
        reject(new Error(`${why} waiting for a frame ${what}; last frames: ${this.recent()}`));
      };
      const waiter = {
        offer: (f) => {
          if (this.consumed.has(f) || !p(f)) return false;
          this.consumed.add(f);
          done();
          resolve(f);
          return true;
        },
        onClose: (c) => fail(`connection closed (${c.code} ${c.reason})`),
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      if (this.closeInfo) return fail(`connection already closed (${this.closeInfo.code})`);
      this.waiters.add(waiter);
    });
  }

  /** Resolves with all frames matching `pred` once there are at least `n` of them. */
  async count(pred, n, timeoutMs = 5000) {
    const p = typeof pred === 'string' ? (f) => f.t === pred : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.frames.filter(p);
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`expected ${n} frames, got ${got.length}; last frames: ${this.recent()}`);
      if (this.closeInfo && got.length < n) throw new Error(`connection closed (${this.closeInfo.code}) with ${got.length} of ${n} frames`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Frames received so far that match `pred` (taken or not). */
  all(pred) {
    const p = typeof pred === 'string' ? (f) => f.t === pred : pred;
    return this.frames.filter(p);
  }

  /** Sends `hello`; resolves with the welcome, rejects if the server closes instead. */
  async hello(fields, timeoutMs = DEFAULT_TIMEOUT_MS) {
    await this.opened;
    this.write({ t: 'hello', ...fields });
    return this.next('welcome', timeoutMs);
  }

  /**
   * Sends a message: `send({id, text, conv})` or `send(id, text, conv)`. Resolves with the ack;
   * rejects with an Error carrying `frame` (the error frame) and `code`. Only frames that arrive
   * after this call count, so a repeated id waits for its own answer.
   */
  send(idOrFrame, text, conv, timeoutMs = 5000) {
    const frame = typeof idOrFrame === 'object' ? { t: 'send', ...idOrFrame } : { t: 'send', id: idOrFrame, text, ...(conv ? { conv } : {}) };
    const since = this.frames.length;
    this.write(frame);
    return this.next((x) => (x.t === 'ack' && x.id === frame.id) || (x.t === 'error' && x.ref === frame.id), timeoutMs, { since }).then((f) => {
      if (f.t === 'ack') return f;
      const err = new Error(`${f.code}: ${f.message}`);
      err.frame = f;
      err.code = f.code;
      throw err;
    });
  }

  /** Sends `frame` and resolves with the next frame matching `pred` that arrives after it. */
  request(frame, pred, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const since = this.frames.length;
    this.write(frame);
    return this.next(pred, timeoutMs, { since });
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  recent(n = 5) {
    return this.frames
      .slice(-n)
      .map((f) => JSON.stringify(f).slice(0, 200))
      .join(' ');
  }

  close() {
    this.ws.close();
    return this.closed;
  }

  terminate() {
    this.ws.terminate();
    return this.closed;
  }
}

/**
 * Resolves with how the server answered a connection attempt that should be refused:
 * {refused: status} when the upgrade was refused, else {code, reason} of the close after
 * `frames` were sent. Times out like everything else.
 */
async function refusal(url, opts, frames = [], timeoutMs = DEFAULT_TIMEOUT_MS) {
  const c = new Client(url, opts);
  try {
    await c.opened;
  } catch (err) {
    if (err.status) return { refused: err.status };
    throw err;
  }
  for (const f of frames) c.write(f);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms; frames: ${c.recent()}`)), timeoutMs);
  });
  try {
    const closed = await Promise.race([c.closed, timeout]);
    return { ...closed, frames: c.frames };
  } finally {
    clearTimeout(timer);
    c.terminate();
  }
}

module.exports = { Client, refusal };
