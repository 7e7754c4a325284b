'use strict';
// The AI upstream's capacity drops from 50 concurrent requests to 10 and comes back, under an
// offered load of 150 conversations that keep asking: the learned limit follows, the upstream
// is not pushed far past its capacity, nobody waits past the queue budget, and the overflow
// goes to humans with the "busy" notice. Real sockets, a real streaming upstream (the mock
// answers 429 past its capacity, as providers do).

const { startServer } = require('../helpers/server');
const { startMockAi } = require('../../js/mock-ai');

const KEY = 'sk-capacity';
const VISITORS = 150;
const QUEUE_TIMEOUT_MS = 3000;
const BUSY = 'Our assistant is busy right now.';

let ai;
let t;
let running = false;
afterAll(async () => {
  running = false;
  if (t) await t.stop();
  if (ai) await ai.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One visitor asking again and again; a conversation handed to humans is closed and a new one opened. */
async function keepAsking(v, i, outcome) {
  let conv = null;
  for (let k = 0; running; k++) {
    const id = `q${i}-${k}`;
    const started = Date.now();
    const since = v.frames.length; // before sending: the answer may arrive with the ack
    let ack;
    try {
      ack = await v.send(id, `question ${k}`, conv || undefined, 10000);
    } catch {
      return; // the server is stopping
    }
    conv = ack.conv;
    const answer = await v
      .next((f) => f.conv === conv && ((f.t === 'delta') || (f.t === 'msg' && f.from.kind === 'system')), QUEUE_TIMEOUT_MS + 15000, { since })
      .catch(() => null);
    if (!running) return;
    const waited = Date.now() - started;
    if (!answer) {
      outcome.unanswered++;
      continue;
    }
    if (answer.t === 'delta') {
      outcome.answered++;
      outcome.firstDeltaMs.push(waited);
      await v.next((f) => f.t === 'msg' && f.conv === conv && f.from.kind === 'bot', 30000, { since }).catch(() => null);
    } else {
      // Handed to humans: the notice says why, and it came within the wait budget.
      outcome.handedOver++;
      if (answer.text.startsWith(BUSY)) outcome.busy++;
      outcome.handoffMs.push(waited);
      v.write({ t: 'close', conv });
      await v.next((f) => f.t === 'conv' && f.conv === conv && f.state === 'closed', 5000).catch(() => null);
      conv = null;
    }
  }
}

/** The gate's limit sampled every 100 ms until `ms` have passed. */
async function watch(ms, samples) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const u = t.server.stats().ai.upstreams[0];
    if (u) samples.push({ at: Date.now(), limit: u.limit, inFlight: u.inFlight, upstream: ai.stats().inFlight, capacity: ai._capacity });
    await sleep(100);
  }
}

it('the learned limit follows the capacity down and up; overflow goes to humans within the budget', async () => {
  ai = await startMockAi({ apiKey: KEY, capacity: 50, defaults: { firstTokenDelayMs: 150, delayMs: 15, text: 'one two three four five six seven eight' } });
  t = await startServer({
    ai: {
      baseUrl: ai.url, apiKey: KEY, model: 'capacity', maxBotTurns: 100000, handoffWords: [],
      initialConcurrency: 8, maxConcurrency: 400, queueTimeoutMs: QUEUE_TIMEOUT_MS, retryBaseMs: 50, retryMaxMs: 200,
    },
  });
  const visitors = await Promise.all(Array.from({ length: VISITORS }, () => t.visitor()));
  const outcome = { answered: 0, handedOver: 0, busy: 0, unanswered: 0, firstDeltaMs: [], handoffMs: [] };
  running = true;
  const load = visitors.map((v, i) => keepAsking(v, i, outcome));

  const samples = [];
  const phase = async (capacity, ms) => {
    ai.setCapacity(capacity);
    const from = samples.length;
    await watch(ms, samples);
    return samples.slice(from);
  };
  const first = await phase(50, 8000);
  const down = await phase(10, 8000);
  const up = await phase(50, 12000);
  running = false;
  await Promise.race([Promise.all(load), new Promise((r) => setTimeout(r, 3000).unref())]);

  const reached = (series, lo, hi) => series.find((s) => s.limit >= lo && s.limit <= hi);
  const describe = (series) => series.filter((_, i) => i % 5 === 0).map((s) => `${s.limit}/${s.upstream}`).join(' ');
  process.stdout.write(
    `limit/in-flight at the upstream, every 0.5 s:\n  capacity 50: ${describe(first)}\n  capacity 10: ${describe(down)}\n  capacity 50: ${describe(up)}\n` +
      `answered ${outcome.answered}, handed to humans ${outcome.handedOver} (busy notice ${outcome.busy}), unanswered ${outcome.unanswered}; ` +
      `upstream requests ${ai.stats().total}, max in flight ${ai.stats().maxInFlight}\n`,
  );

  // Found the first capacity, followed it down within 5 s and back up within 10 s.
  expect(reached(first, 35, 70)).toBeDefined();
  const fell = reached(down, 1, 15);
  expect(fell).toBeDefined();
  expect(fell.at - down[0].at).toBeLessThan(5000);
  const rose = reached(up, 35, 1000);
  expect(rose).toBeDefined();
  expect(rose.at - up[0].at).toBeLessThan(10000);
  // Once settled at 10, the requests in flight at the upstream stay near it.
  const settled = down.filter((s) => s.at - down[0].at > 5000);
  expect(Math.max(...settled.map((s) => s.upstream))).toBeLessThanOrEqual(10);
  expect(Math.max(...settled.map((s) => s.inFlight))).toBeLessThanOrEqual(15);

  // Everybody heard back; overflow went to humans with the busy notice, within the budget.
  expect(outcome.unanswered).toBe(0);
  expect(outcome.answered).toBeGreaterThan(500);
  expect(outcome.busy).toBeGreaterThan(0);
  expect(Math.max(...outcome.handoffMs)).toBeLessThan(QUEUE_TIMEOUT_MS + 2000);
  const gate = t.server.stats().ai.upstreams[0];
  expect(gate.shed).toBeGreaterThan(0);
}, 120000);
