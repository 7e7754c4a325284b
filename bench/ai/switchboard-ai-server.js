// bench/ai/switchboard-ai-server.js — one Switchboard Server for the AI benchmark: memory
// store, one I/O thread, on 127.0.0.1, its assistant pointed at the bench upstream, with
// handoff words off and a turn limit no bench run reaches (every visitor message is answered
// by the bot). Prints {"ready":true,"port","pid","admission"} once it listens.
// Usage: node bench/ai/switchboard-ai-server.js --upstream http://127.0.0.1:PORT/v1
'use strict';
const path = require('path');
const { Server } = require(path.join(__dirname, '..', '..', 'js'));
const config = require(path.join(__dirname, '..', '..', 'js', 'config'));

// The bench measures the relay path, not admission control: where this build has rate limits,
// an adaptive AI concurrency limit and saturation thresholds, they are set out of the bench's
// reach (its visitors send far faster than a person, from one address, and 1,000 streams go
// to one upstream). Feature-detected from the config schema, so older builds run too.
function admissionOff(options) {
  const keys = new Set((config.schema || []).map((e) => e.key));
  const off = [];
  if (keys.has('rateLimits') && Array.isArray(config.rateKeys)) {
    options.rateLimits = Object.fromEntries(config.rateKeys.map((k) => [k, null]));
    off.push('rateLimits');
  }
  const set = (key, value) => {
    if (!keys.has(key)) return;
    const [group, name] = key.split('.');
    options[group] = { ...options[group], [name]: value };
    off.push(key);
  };
  set('ai.maxConcurrency', 1000000);
  set('ai.initialConcurrency', 4000);  // above the bench's 1,000 streams; the limit still adapts
  set('ai.queueTimeoutMs', 600000);
  set('limits.maxIoLagMs', 600000);
  set('limits.maxStoreBacklog', 100000000);
  set('limits.floodStrikes', 0);
  return off;
}

function main() {
  const args = process.argv.slice(2);
  const upstream = args[args.indexOf('--upstream') + 1];
  if (!upstream || !upstream.startsWith('http')) throw new Error('usage: --upstream http://127.0.0.1:PORT/v1');
  const options = {
    configFile: null,
    env: {},
    port: 0,
    host: '127.0.0.1',
    store: { driver: 'memory' },
    ioThreads: 1,
    log: { level: 'warn' },
    ai: {
      baseUrl: upstream, apiKey: 'k', model: 'bench-model', maxTokens: 0,
      maxBotTurns: 100000, handoffWords: [],
      // The bench decides when streams end; the defaults would be fine too.
      firstTokenTimeoutMs: 60000, idleTimeoutMs: 60000, totalTimeoutMs: 600000,
    },
  };
  const admission = admissionOff(options);
  const server = new Server(options);
  return server.start().then(() => {
    console.log(JSON.stringify({ ready: true, server: 'switchboard', port: server.port, pid: process.pid, admission_off: admission }));
    const stop = () => {
      const timer = setTimeout(() => process.exit(1), 10000);
      server.stop().finally(() => { clearTimeout(timer); process.exit(0); });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // The memory phase reads RSS after a full collection (node --expose-gc; bench/ai/phases.cpp).
    process.on('SIGUSR2', () => { if (global.gc) global.gc(); });
  });
}

main().catch((err) => {
  console.error(`switchboard-ai-server: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
