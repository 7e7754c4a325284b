// bench/switchboard-server.js — starts one Switchboard Server for the bench (ioThreads 1, on
// 127.0.0.1, a throw-away data dir), creates the bench's agents (maxChats 1, site demo), writes
// their tokens one per line, and prints {"ready":true,"port","pid"} once it listens.
// Usage: node bench/switchboard-server.js --store sqlite|memory --sync full|normal
//          --agents N --tokens FILE --data DIR [--port 0]
'use strict';
const fs = require('fs');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'js'));

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i + 1 < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const server = new Server({
    port: Number(args.port || 0),
    host: '127.0.0.1',
    dataDir: args.data,
    store: { driver: args.store || 'sqlite', synchronous: args.sync || 'normal' },
    ioThreads: 1,
    log: { level: 'warn' },
  });
  await server.start();
  const count = Number(args.agents || 0);
  const agents = await Promise.all(Array.from({ length: count }, (_, i) => server.createAgent({
    email: `bench-agent-${i}@example.com`, name: `Bench Agent ${i}`,
    password: `bench-password-${i}`, maxChats: 1, sites: ['demo'],
  })));
  const tokens = agents.map((a) => server.createAgentToken(a.id));
  if (args.tokens) fs.writeFileSync(args.tokens, tokens.join('\n') + '\n');
  console.log(JSON.stringify({ ready: true, server: 'switchboard', port: server.port, pid: process.pid }));

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), 10000);
    try { await server.stop(); } finally { clearTimeout(timer); process.exit(0); }
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => {
  console.error(`switchboard-server: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
