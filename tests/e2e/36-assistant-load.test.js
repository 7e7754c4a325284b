'use strict';
// 2,000 conversations waiting on a slow AI upstream at once, the server in its own process:
// its memory stays bounded, a conversation with a human is unaffected, and the JS thread stays
// idle while the replies stream (the AI path never touches it). Correctness bounds only; the
// speed of streaming is measured in bench/.

const fs = require('fs');
const { spawnServer, Client, ADMIN } = require('../helpers/server');
const { startMockAi } = require('../../js/mock-ai');

const N = 2000;
const WORDS = 20;
const TICK_MS = 10; // USER_HZ is 100 on Linux

const rssBytes = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
/** CPU time (ms) of the process's main thread: the JS thread of a Node process. */
function mainThreadCpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
}
const processCpuMs = (pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};

let ai;
let srv;
const clients = [];
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  if (srv) await srv.kill('SIGKILL');
  if (srv) fs.rmSync(srv.dataDir, { recursive: true, force: true });
  if (ai) await ai.close();
});

it(`${N} replies waiting on a slow upstream: bounded memory, humans unaffected, the JS thread idle`, async () => {
  ai = await startMockAi({ apiKey: 'sk-load', defaults: { firstTokenDelayMs: 4000, delayMs: 20, text: 'word '.repeat(WORDS).trim() } });
  srv = await spawnServer({
    env: {
      SWITCHBOARD_AI_BASE_URL: ai.url,
      SWITCHBOARD_AI_API_KEY: 'sk-load',
      SWITCHBOARD_AI_MODEL: 'load',
      SWITCHBOARD_AI_FIRST_TOKEN_TIMEOUT_MS: '60000',
      // An upstream known to take all of them: the gate's learning is tested in 37-ai-capacity.
      SWITCHBOARD_AI_INITIAL_CONCURRENCY: String(N),
      SWITCHBOARD_AI_MAX_CONCURRENCY: String(N),
      SWITCHBOARD_STORE_SYNC: 'normal',
    },
  });
  const connect = async () => {
    const c = new Client(srv.url);
    clients.push(c);
    c.welcome = await c.hello({ role: 'visitor', site: 'demo' });
    return c;
  };
  const baseline = rssBytes(srv.child.pid);

  const visitors = [];
  for (let i = 0; i < N; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, N - i) }, connect));
    await Promise.all(batch.map((v, j) => v.send(`w${i + j}`, 'anyone there?', undefined, 15000)));
    visitors.push(...batch);
  }
  await ai.waitFor(() => ai.stats().inFlight === N, 30000);
  const waiting = rssBytes(srv.child.pid);
  const perConnAndStream = (waiting - baseline) / N;
  process.stdout.write(`server RSS: ${(baseline / 2 ** 20).toFixed(1)} MiB idle, ${(waiting / 2 ** 20).toFixed(1)} MiB with ${N} visitors waiting on the upstream (${(perConnAndStream / 1024).toFixed(1)} KiB per visitor connection + stream)\n`);
  // A WebSocket, a conversation and an upstream request each: well under 256 KiB together.
  expect(perConnAndStream).toBeLessThan(256 * 1024);

  // While every reply waits, a human conversation works at once.
  const login = await (await fetch(`${srv.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json();
  const agent = new Client(srv.url);
  clients.push(agent);
  await agent.hello({ role: 'agent', token: login.token });
  const human = await connect();
  const ack = await human.send('h', 'I need a human', undefined, 10000);
  await agent.next((f) => f.t === 'conv' && f.conv === ack.conv && f.state === 'assigned', 10000);
  const sent = Date.now();
  await agent.send('r', 'Hello, I am a person', ack.conv, 10000);
  await human.next((f) => f.t === 'msg' && f.text === 'Hello, I am a person', 10000);
  expect(Date.now() - sent).toBeLessThan(2000);

  // Now every reply streams: the JS thread does next to nothing meanwhile.
  const js0 = mainThreadCpuMs(srv.child.pid);
  const all0 = processCpuMs(srv.child.pid);
  await Promise.all(visitors.map((v) => v.next((f) => f.t === 'msg' && f.from.kind === 'bot' && f.stream, 60000)));
  const jsMs = mainThreadCpuMs(srv.child.pid) - js0;
  const allMs = processCpuMs(srv.child.pid) - all0;
  process.stdout.write(`while ${N} replies of ${WORDS} chunks streamed: server CPU ${allMs} ms, of which the JS thread ${jsMs} ms\n`);
  for (const v of visitors) expect(v.all((f) => f.t === 'delta').map((d) => d.text).join('')).toBe('word '.repeat(WORDS).trim());
  expect(jsMs).toBeLessThan(Math.max(200, allMs * 0.1));
  expect(ai.stats().maxInFlight).toBe(N);
}, 180000);
