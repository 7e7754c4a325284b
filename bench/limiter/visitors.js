// bench/limiter/visitors.js — the limiter bench's load: a pool of visitor WebSockets and an
// open-loop sender. Requests are due at a fixed rate whatever the server does; each goes to an
// idle visitor (one opened on the spot if none is idle) and is timed from when it was due, so
// a late sender or a slow server both show in the latencies. One request = one visitor `send`
// in a `bot` conversation; its outcome is the bot's reply (`delta`s then a `msg` from the bot),
// a hand-over to humans (a `system` `msg`: busy or unavailable; the visitor then closes the
// conversation so that its next `send` opens a new bot conversation), or an `error` frame.
'use strict';
const { performance } = require('perf_hooks');
const WebSocket = require('ws');

const BUSY = 'Our assistant is busy right now.';
const UNAVAILABLE = 'Sorry, our assistant is unavailable';
const now = () => performance.now();

class Visitors {
  constructor(port) {
    this.url = `ws://127.0.0.1:${port}/ws`;
    this.idle = [];
    this.all = new Set();
    this.requests = []; // every request, in order: {level, due, sent, ack, first, end, outcome}
    this.backlog = []; // requests due while no visitor was idle
    this.opening = 0;
    this.openedOnDemand = 0;
    this.closes = {};
    this.errors = {};
    this.errorSamples = [];
    this.seq = 0;
    this.timer = null;
  }

  // Opens `n` visitors, at most 200 handshakes at a time.
  async open(n) {
    let started = 0;
    const one = async () => {
      while (started < n) {
        started++;
        await this._connect();
      }
    };
    await Promise.all(Array.from({ length: 200 }, one));
  }

  _connect() {
    this.opening++;
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, handshakeTimeout: 10000 });
      const v = { ws, req: null, conv: null, closing: null, dead: false };
      let welcomed = false;
      ws.on('open', () => ws.send(JSON.stringify({ t: 'hello', role: 'visitor', site: 'demo' })));
      ws.on('message', (data) => {
        const f = JSON.parse(data);
        if (!welcomed && f.t === 'welcome') {
          welcomed = true;
          this.opening--;
          this.all.add(v);
          this._release(v);
          resolve(v);
          return;
        }
        this._frame(v, f);
      });
      ws.on('error', () => {});
      ws.on('close', (code) => {
        this.closes[code] = (this.closes[code] || 0) + 1;
        v.dead = true;
        this.all.delete(v);
        if (!welcomed) {
          this.opening--;
          resolve(null);
        }
        if (v.req && !v.req.outcome) this._end(v, 'closed');
      });
    });
  }

  _release(v) {
    if (v.dead) return;
    const next = this.backlog.shift();
    if (next) this._send(v, next);
    else this.idle.push(v);
  }

  _end(v, outcome) {
    const r = v.req;
    if (!r || r.outcome) return;
    r.outcome = outcome;
    r.end = now();
  }

  _frame(v, f) {
    const r = v.req;
    switch (f.t) {
      case 'ack':
        if (r && f.id === r.id) { r.ack = now(); v.conv = f.conv; }
        break;
      case 'error':
        this.errors[f.code] = (this.errors[f.code] || 0) + 1;
        if (this.errorSamples.length < 8) this.errorSamples.push({ at_ms: Math.round(now()), ...f });
        if (r && f.ref === r.id) {
          this._end(v, `error_${f.code}`);
          v.req = null;
          this._release(v);
        }
        break;
      case 'delta':
        if (r && !r.first && f.conv === v.conv) r.first = now();
        break;
      case 'delta-end':
        if (r && f.conv === v.conv) this._end(v, 'cut');
        break;
      case 'msg':
        if (!r || f.conv !== v.conv || !f.from) break;
        if (f.from.kind === 'bot') {
          if (!r.first) r.first = now();
          this._end(v, 'bot');
          v.req = null;
          this._release(v);
        } else if (f.from.kind === 'system') {
          this._end(v, f.text.startsWith(BUSY) ? 'busy' : f.text.startsWith(UNAVAILABLE) ? 'unavailable' : 'system_other');
        }
        break;
      case 'conv':
        if (f.conv !== v.conv) break;
        if (f.state === 'closed') {
          v.conv = null;
          if (v.closing) { v.closing = null; v.req = null; this._release(v); }
        } else if (f.state !== 'bot' && !v.closing) {
          // Handed to humans: close it, so the next send opens a new bot conversation.
          if (r) this._end(v, 'handoff_other');
          v.closing = f.conv;
          v.ws.send(JSON.stringify({ t: 'close', conv: f.conv }));
        }
        break;
      default:
        break;
    }
  }

  _send(v, r) {
    v.req = r;
    r.id = `r${++this.seq}`;
    r.sent = now();
    v.ws.send(JSON.stringify({ t: 'send', id: r.id, text: 'Where is my order?' }));
  }

  _issue(level, due) {
    const r = { level, due, sent: 0, ack: 0, first: 0, end: 0, outcome: null, id: null };
    this.requests.push(r);
    const v = this.idle.pop();
    if (v) return this._send(v, r);
    this.backlog.push(r);
    if (this.opening < 50) {
      this.openedOnDemand++;
      this._connect();
    }
  }

  // Sends at `rate` requests/s, labelled `level`, until the next setRate(); 0 stops.
  setRate(rate, level) {
    clearTimeout(this.timer);
    if (!(rate > 0)) return;
    const t0 = now();
    let n = 0;
    const tick = () => {
      const t = now();
      while (t0 + (n * 1000) / rate <= t) {
        this._issue(level, t0 + (n * 1000) / rate);
        n++;
      }
      this.timer = setTimeout(tick, 2);
    };
    tick();
  }

  // Marks requests outstanding longer than `ms` as lost (their visitor is retired).
  expire(ms) {
    const t = now();
    for (const v of this.all) {
      if (v.req && !v.req.outcome && t - v.req.due > ms) {
        this._end(v, 'lost');
        v.dead = true;
        v.ws.terminate();
      }
    }
  }

  outstanding() {
    let n = this.backlog.length;
    for (const v of this.all) if (v.req && !v.req.outcome) n++;
    return n;
  }

  close() {
    clearTimeout(this.timer);
    for (const v of this.all) v.ws.terminate();
  }
}

module.exports = { Visitors, now };
