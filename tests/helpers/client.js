'use strict';
// A small promise-based protocol v1 client over `ws`, for tests: every wait has a timeout so a
// broken server fails fast instead of hanging.

const WebSocket = require('ws');

class Client {
  /** @param {string} url ws://127.0.0.1:PORT/ws  @param {object} [opts] ws options (origin, headers) */
  constructor(url, opts = {}) {
    this.frames = [];
    this.waiters = [];
    this.ws = new WebSocket(url, opts.protocols || [], { origin: opts.origin, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      const frame = JSON.parse(data.toString());
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => !w(frame));
    });
  }

  send(frame) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (already received or future) matching `pred`. */
  next(pred, timeoutMs = 3000, { from = 0 } = {}) {
    const p = typeof pred === 'string' ? (f) => f.t === pred : pred;
    const found = this.frames.slice(from).find(p);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const recent = this.frames.slice(-5).map((f) => JSON.stringify(f).slice(0, 200));
        reject(new Error(`timed out waiting for a frame; last frames: ${recent.join(' ')}`));
      }, timeoutMs);
      const waiter = (f) => {
        if (!p(f)) return false;
        clearTimeout(timer);
        resolve(f);
        return true;
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits until `n` frames match `pred`. */
  async count(pred, n, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.frames.filter(pred);
      if (got.length >= n) return got;
      if (Date.now() > deadline) throw new Error(`expected ${n} frames, got ${got.length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async hello(frame) {
    await this.opened;
    this.send({ t: 'hello', ...frame });
    return this.next('welcome');
  }

  /** Sends a message; resolves with the ack, rejects with the error frame. */
  async say(id, text, conv) {
    this.send({ t: 'send', id, text, ...(conv ? { conv } : {}) });
    const f = await this.next((x) => (x.t === 'ack' && x.id === id) || (x.t === 'error' && x.ref === id));
    if (f.t === 'error') {
      const err = new Error(`${f.code}: ${f.message}`);
      err.frame = f;
      throw err;
    }
    return f;
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

module.exports = { Client };
