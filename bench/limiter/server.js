// bench/limiter/server.js — one Switchboard for the limiter bench, run as a child process
// (pinned to CPU 0): memory store, one I/O thread, its assistant pointed at the bench
// upstream with the gate settings under test. Reports {t:'ready', port, pid} over IPC, then
// {t:'sample', …} every 100 ms: the gate (server.stats().ai.upstreams[0]), the bot counters,
// saturation and the process's CPU time.
// Usage (from bench/limiter/run.js): node server.js '<json: {upstream, ai:{…}, rateLimits}>'
'use strict';
const path = require('path');
const { Server } = require(path.join(__dirname, '..', '..', 'js'));

const opts = JSON.parse(process.argv[2]);

async function main() {
  const server = new Server({
    configFile: null,
    env: {},
    // A fixed admin, so that every start does not print a generated password.
    admin: { email: 'bench@example.com', password: 'bench-limiter-password' },
    port: 0,
    host: '127.0.0.1',
    store: { driver: 'memory' },
    ioThreads: 1,
    log: { level: 'error' },
    rateLimits: opts.rateLimits,
    ai: { baseUrl: opts.upstream, apiKey: opts.apiKey, model: 'bench-limiter', maxBotTurns: 1e6, handoffWords: [], ...opts.ai },
  });
  await server.start();

  let cpu0 = process.cpuUsage();
  const sample = () => {
    const s = server.stats();
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user - cpu0.user + cpu.system - cpu0.system) / 1000;
    cpu0 = cpu;
    const ai = s.ai || {};
    process.send({
      t: 'sample', at: Date.now(), gate: (ai.upstreams || [])[0] || null, cpuMs,
      bot: { replies: ai.replies, failures: ai.failures, handoffs: ai.handoffs, retries: ai.upstreamRetries, lastError: ai.lastError },
      storeQueued: s.store ? s.store.writesQueued : null,
      limits: s.limits ? { saturated: s.limits.saturated, ioLagMs: s.limits.ioLagMs, saturatedRefusals: s.limits.saturatedRefusals, refused: s.limits.refused } : null,
    });
  };
  setInterval(sample, 100);
  process.send({ t: 'ready', port: server.port, pid: process.pid });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), 10000);
    try { await server.stop(); } finally { clearTimeout(timer); process.exit(0); }
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

main().catch((err) => {
  console.error(`bench/limiter/server.js: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
