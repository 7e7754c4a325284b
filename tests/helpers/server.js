'use strict';
// Starting Switchboard for tests: in-process (`startServer`) or as a child process running
// the CLI (`spawnServer`, for kill -9), each on a free loopback port with its own temp dir.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { Server } = require('../../js');
const { Client } = require('./client');

function tempDir(prefix = 'sb-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An in-process server; `await t.stop()` removes its data. */
async function startServer(options = {}) {
  const dataDir = options.dataDir || tempDir();
  const server = new Server({
    configFile: null,
    env: {},
    port: 0,
    host: '127.0.0.1',
    dataDir,
    ioThreads: 2,
    log: { level: 'warn' },
    admin: { email: 'admin@example.com', password: 'admin-password' },
    ...options,
  });
  await server.start();
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const clients = [];
  const t = {
    server,
    url,
    http: `http://127.0.0.1:${server.port}`,
    dataDir,
    client(opts) {
      const c = new Client(url, opts);
      clients.push(c);
      return c;
    },
    async visitor(extra = {}, opts) {
      const c = t.client(opts);
      c.welcome = await c.hello({ role: 'visitor', site: 'demo', ...extra });
      return c;
    },
    async agent({ maxChats = 5, sites = ['demo'], name = 'Agent', role = 'agent' } = {}) {
      const email = `agent-${Math.random().toString(36).slice(2)}@example.com`;
      const a = await server.createAgent({ email, name, password: 'agent-password', maxChats, sites, role });
      const c = t.client();
      c.agent = a;
      c.welcome = await c.hello({ role: 'agent', token: server.createAgentToken(a.id) });
      return c;
    },
    async stop() {
      for (const c of clients) c.ws.terminate();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Runs the CLI in a child process; resolves once it prints its listening line. */
function spawnServer({ dataDir, port = 0, env = {} } = {}) {
  const dir = dataDir || tempDir();
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'js', 'cli.js'), '--port', String(port), '--data-dir', dir], {
    env: { ...process.env, SWITCHBOARD_HOST: '127.0.0.1', SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_ADMIN_EMAIL: 'admin@example.com', SWITCHBOARD_ADMIN_PASSWORD: 'admin-password', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const p = Number(m[1]);
        resolve({ child, port: p, dataDir: dir, url: `ws://127.0.0.1:${p}/ws`, http: `http://127.0.0.1:${p}`, output: () => out });
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

module.exports = { startServer, spawnServer, tempDir, Client };
