// bench/ai/servers.js — starting the AI benchmark's contenders pinned to CPU 0, each pointed at
// the one bench upstream: Switchboard, the openai + ws relay, and the Portkey gateway.
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const procs = require('../lib/procs');
const { ROOT } = require('../lib/servers');

const SERVER_CPU = 0;

function resolveFrom(name) {
  try { return require.resolve(name, { paths: [ROOT] }); } catch { return null; }
}

function portkeyScript() {
  const pkg = resolveFrom('@portkey-ai/gateway/package.json');
  const script = pkg && path.join(path.dirname(pkg), 'build', 'start-server.js');
  return script && fs.existsSync(script) ? script : null;
}

function honoVersion() {
  const pkg = path.join(ROOT, 'node_modules', '@hono', 'node-server', 'package.json');
  return fs.existsSync(pkg) ? JSON.parse(fs.readFileSync(pkg, 'utf8')).version : null;
}

// Why each contender cannot run here, or null.
function availability() {
  return {
    switchboard: fs.existsSync(path.join(ROOT, 'build', 'Release', 'switchboard.node')) ? null
      : 'build/Release/switchboard.node missing (npm run build)',
    openai: resolveFrom('openai') && resolveFrom('ws') ? null : 'npm packages openai and ws missing (npm run bench:deps)',
    portkey: !portkeyScript() ? 'npm package @portkey-ai/gateway missing (npm run bench:deps)'
      : !/^1\.14\.[01]$/.test(honoVersion() || '') ? 'npm package @hono/node-server@1.14.1 missing (npm run bench:deps; see bench/ai/portkey-hono-pin.mjs)'
        : null,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// Resolves once GET http://127.0.0.1:port/ answers at all (Portkey prints no ready line).
async function waitHttp(port, child, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) break;
    const ok = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => { req.destroy(); resolve(false); });
    });
    if (ok) return;
    await procs.sleep(100);
  }
  throw new Error(`portkey gateway did not answer on port ${port}\n${child.errLines.slice(-10).join('\n')}`);
}

// Starts contender `kind` ('switchboard' | 'openai' | 'portkey'); `upstreamUrl` ends in /v1.
async function startContender(kind, upstreamUrl) {
  let child;
  try {
    if (kind === 'portkey') {
      const port = await freePort();
      const pin = path.join(__dirname, 'portkey-hono-pin.mjs'); // see that file: Portkey-AI/gateway#1389
      child = procs.spawnPinned(SERVER_CPU, process.execPath, ['--import', pin, portkeyScript(), `--port=${port}`, '--headless'],
        { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } });
      await waitHttp(port, child, 30000);
      return { kind, child, pid: child.pid, port, stop: () => procs.stop(child) };
    }
    const script = path.join(__dirname, kind === 'switchboard' ? 'switchboard-ai-server.js' : 'openai-relay-server.js');
    // --expose-gc: the memory phase has the relay collect its garbage (SIGUSR2) before reading RSS.
    child = procs.spawnPinned(SERVER_CPU, process.execPath, ['--expose-gc', script, '--upstream', upstreamUrl], { cwd: ROOT });
    const ready = await procs.waitForJson(child, (o) => o.ready === true, 30000, `${kind} start`);
    return { kind, child, pid: ready.pid, port: ready.port, ready, stop: () => procs.stop(child) };
  } catch (err) {
    if (child) await procs.stop(child);
    throw err;
  }
}

module.exports = { availability, startContender };
