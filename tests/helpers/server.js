'use strict';
// Starting Switchboard for tests: in-process (`startServer`) or as a child process running
// the CLI (`spawnServer`, for kill -9), each on a free loopback port with its own temp dir.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { Server } = require('../../js');
const { Client, refusal } = require('./client');

const CLI = path.join(__dirname, '..', '..', 'js', 'cli.js');
const ADMIN = { email: 'admin@example.com', password: 'admin-password' };

function tempDir(prefix = 'sb-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

let agentCounter = 0;

// Most tests send as fast as they can from one visitor: far past the default per-visitor
// limits, which tests/e2e/55-limits.test.js exercises (it passes `rateLimits: {}` to get the
// defaults). Named rules replace the defaults one by one.
const TEST_RATE_LIMITS = {
  'message.visitor': { burst: 1e6, perSecond: 1e6 },
  'conversation.visitor': { burst: 1e6, perSecond: 1e6 },
};

/**
 * An in-process server on port 0 with a fresh temp data dir (SQLite unless `store` says
 * otherwise). `await t.stop()` closes its clients, stops it and removes its data.
 */
async function startServer(options = {}) {
  const dataDir = options.dataDir || tempDir();
  const { limits, ...rest } = options;
  const server = new Server({
    configFile: null,
    env: {},
    port: 0,
    host: '127.0.0.1',
    dataDir,
    ioThreads: 2,
    store: { driver: 'sqlite' },
    log: { level: 'warn' },
    admin: ADMIN,
    rateLimits: TEST_RATE_LIMITS,
    ...rest,
    ...(limits ? { limits } : {}),
  });
  await withTimeout(server.start(), 10000, 'server.start()');
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const clients = [];
  const t = {
    server,
    url,
    port: server.port,
    http: `http://127.0.0.1:${server.port}`,
    dataDir,
    /** A new connection (not yet open). */
    client(opts) {
      const c = new Client(url, opts);
      clients.push(c);
      return c;
    },
    /** A visitor of `demo` (or `extra.site`) that has its welcome in `.welcome`. */
    async visitor(extra = {}, opts) {
      const c = t.client(opts);
      c.welcome = await c.hello({ role: 'visitor', site: 'demo', ...extra });
      return c;
    },
    /** Creates an agent and connects it; `.agent` is the record, `.token` its token. */
    async agent({ maxChats = 5, sites = ['demo'], name = 'Agent', role = 'agent', teams } = {}) {
      const email = `agent-${process.pid}-${++agentCounter}@example.com`;
      const a = await server.createAgent({ email, name, password: 'agent-password', maxChats, sites, role, ...(teams ? { teams } : {}) });
      const token = server.createAgentToken(a.id, 3600);
      const c = await t.connectAgent(token);
      c.agent = a;
      return c;
    },
    /** Another connection with an agent token (a second console tab). */
    async connectAgent(token) {
      const c = t.client();
      c.token = token;
      c.welcome = await c.hello({ role: 'agent', token });
      return c;
    },
    refusal(opts, frames, timeoutMs) {
      return refusal(url, opts, frames, timeoutMs);
    },
    async stop() {
      for (const c of clients) c.ws.terminate();
      try {
        await withTimeout(server.stop(), 15000, 'server.stop()');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return t;
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * Runs the CLI (`node js/cli.js --port N --data-dir DIR`) in a child process and resolves once
 * it prints its listening line. Returns {child, port, url, http, dataDir, output(), kill(), exited}.
 * `kill('SIGKILL')` resolves once the process is gone. Reuse `dataDir` to restart.
 */
function spawnServer({ dataDir, port = 0, env = {}, startTimeoutMs = 15000 } = {}) {
  const dir = dataDir || tempDir();
  const child = spawn(process.execPath, [CLI, '--port', String(port), '--data-dir', dir], {
    env: {
      ...process.env,
      SWITCHBOARD_HOST: '127.0.0.1',
      SWITCHBOARD_LOG_LEVEL: 'warn',
      SWITCHBOARD_ADMIN_EMAIL: ADMIN.email,
      SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password,
      SWITCHBOARD_RATE_LIMITS: JSON.stringify(TEST_RATE_LIMITS),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print its listening line within ${startTimeoutMs} ms: ${out}`));
    }, startTimeoutMs);
    const onData = (d) => {
      out += d;
      const m = /switchboard listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const p = Number(m[1]);
      resolve({
        child,
        port: p,
        dataDir: dir,
        url: `ws://127.0.0.1:${p}/ws`,
        http: `http://127.0.0.1:${p}`,
        output: () => out,
        exited,
        async kill(signal = 'SIGKILL') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return withTimeout(exited, 15000, `exit after ${signal}`);
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening: ${out}`));
    });
  });
}

module.exports = { startServer, spawnServer, tempDir, withTimeout, Client, refusal, ADMIN };
