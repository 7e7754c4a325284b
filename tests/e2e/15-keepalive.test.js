'use strict';
// Keep-alive: the server pings quiet connections and drops those that stay silent.

const { startServer } = require('../helpers/server');

let t;
beforeAll(async () => {
  t = await startServer({ limits: { pingIntervalMs: 500, idleTimeoutMs: 1500 } });
});
afterAll(() => t.stop());

it('a quiet connection is pinged, and stays open while it answers with pongs', async () => {
  const v = await t.visitor();
  let pings = 0;
  v.ws.on('ping', () => pings++);
  await new Promise((r) => setTimeout(r, 2500));
  expect(pings).toBeGreaterThanOrEqual(2);
  expect(v.ws.readyState).toBe(1);
  await v.send('alive', 'still here');
});

it('a connection that sends nothing, not even pongs, is dropped after the idle timeout', async () => {
  const v = await t.visitor();
  const before = t.server.stats().visitorsConnected;
  v.ws._socket.pause(); // stops reading, so no ping is answered
  const started = Date.now();
  while (t.server.stats().visitorsConnected === before && Date.now() - started < 5000)
    await new Promise((r) => setTimeout(r, 100));
  expect(t.server.stats().visitorsConnected).toBe(before - 1);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
});
