'use strict';
// Many visitors at once: every message acknowledged, seqs contiguous per conversation. A
// correctness test under concurrency; speed is measured in bench/, never here.

const { startServer } = require('../helpers/server');

it('500 concurrent visitors each send 5 messages: all acked with contiguous seqs', async () => {
  const t = await startServer();
  try {
    await t.agent({ maxChats: 1000 });
    await t.agent({ maxChats: 1000 });
    const visitors = await Promise.all(Array.from({ length: 500 }, () => t.visitor()));
    const results = await Promise.all(
      visitors.map(async (v, i) => {
        const first = await v.say(`v${i}-0`, `hello from ${i}`);
        const acks = [first];
        const rest = [];
        for (let k = 1; k < 5; k++) {
          v.send({ t: 'send', id: `v${i}-${k}`, conv: first.conv, text: `message ${k} from ${i}` });
          rest.push(v.next((f) => f.t === 'ack' && f.id === `v${i}-${k}`, 15000));
        }
        acks.push(...(await Promise.all(rest)));
        return acks;
      }),
    );
    const convs = new Set();
    for (const acks of results) {
      expect(acks.map((a) => a.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(acks.map((a) => a.conv)).size).toBe(1);
      convs.add(acks[0].conv);
    }
    expect(convs.size).toBe(500);
    expect(t.server.stats().messagesAcked).toBe(2500);
  } finally {
    await t.stop();
  }
}, 60000);
