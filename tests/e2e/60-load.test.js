'use strict';
// Many visitors at once: every message acknowledged, seqs contiguous per conversation, every
// message delivered to the assigned agent. A correctness test under concurrency; speed is
// measured in bench/, never here.

const { startServer } = require('../helpers/server');

const VISITORS = 500;
const PER_VISITOR = 5;
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it(`${VISITORS} concurrent visitors each send ${PER_VISITOR} messages: all acked with contiguous seqs and delivered to the agents`, async () => {
  const t = await startServer();
  try {
    const agents = [await t.agent({ maxChats: 1000 }), await t.agent({ maxChats: 1000 })];
    const visitors = await Promise.all(Array.from({ length: VISITORS }, () => t.visitor({}, undefined)));
    const results = await Promise.all(
      visitors.map(async (v, i) => {
        const first = await v.send(`v${i}-0`, `hello from ${i}`, undefined, 15000);
        const rest = [];
        for (let k = 1; k < PER_VISITOR; k++) rest.push(v.send(`v${i}-${k}`, `message ${k} from ${i}`, first.conv, 15000));
        return [first, ...(await Promise.all(rest))];
      }),
    );

    const convs = new Map();
    for (const [i, acks] of results.entries()) {
      expect(new Set(acks.map((a) => a.conv)).size).toBe(1);
      expect(acks.map((a) => a.seq)).toEqual(range(1, PER_VISITOR)); // pipelined sends keep their order
      convs.set(acks[0].conv, i);
    }
    expect(convs.size).toBe(VISITORS);

    // Every conversation was assigned to one of the agents, which got all of its messages in order.
    const total = VISITORS * PER_VISITOR;
    const delivered = async () => agents.reduce((n, a) => n + a.all('msg').length, 0);
    const deadline = Date.now() + 10000;
    while ((await delivered()) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await delivered()).toBe(total);
    for (const a of agents) {
      const byConv = new Map();
      for (const m of a.all('msg')) byConv.set(m.conv, [...(byConv.get(m.conv) || []), m]);
      for (const [conv, msgs] of byConv) {
        const i = convs.get(conv);
        expect(msgs.map((m) => m.seq)).toEqual(range(1, PER_VISITOR));
        expect(msgs.map((m) => m.text)).toEqual(range(0, PER_VISITOR - 1).map((k) => (k === 0 ? `hello from ${i}` : `message ${k} from ${i}`)));
      }
    }
  } finally {
    await t.stop();
  }
}, 60000);
