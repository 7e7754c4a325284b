// bench/lib/servers.js — how to start each server under test (Switchboard and the reference
// peers) pinned to CPU 0, wait until it listens, and hand back its pid, port and agent tokens.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const procs = require('./procs');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH = path.join(ROOT, 'bench');
const SERVER_CPU = 0;

function bunBinary() {
  try {
    const dir = path.dirname(require.resolve('bun/package.json', { paths: [ROOT] }));
    const bin = path.join(dir, 'bin', 'bun.exe');
    return fs.existsSync(bin) ? bin : null;
  } catch { return null; }
}

function moduleAvailable(name) {
  try { require.resolve(name, { paths: [ROOT] }); return true; } catch { return false; }
}

function switchboardAvailable() {
  return fs.existsSync(path.join(ROOT, 'build', 'Release', 'switchboard.node')) &&
    fs.existsSync(path.join(ROOT, 'js', 'index.js'));
}

// Which servers can run here, with the reason when one cannot.
function availability() {
  return {
    switchboard: switchboardAvailable() ? null : 'build/Release/switchboard.node or js/index.js missing',
    ws: moduleAvailable('ws') ? null : 'npm package ws missing',
    uws: moduleAvailable('@trufflesuite/uws-js-unofficial') ? null : 'npm package @trufflesuite/uws-js-unofficial missing',
    bun: bunBinary() ? null : 'npm package bun (node_modules/bun/bin/bun.exe) missing',
  };
}

// Starts server `kind` ('switchboard' | 'ws' | 'uws' | 'bun') with `agents` agent accounts.
// `store` applies to Switchboard only: { driver: 'sqlite'|'memory', synchronous }.
async function startServer(kind, { agents = 0, store = { driver: 'memory' } } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sb-bench-${kind}-`));
  const tokensFile = path.join(tmp, 'tokens.txt');
  let child;
  let readyTimeout = 15000;
  if (kind === 'switchboard') {
    const args = [path.join(BENCH, 'switchboard-server.js'), '--store', store.driver,
      '--sync', store.synchronous || 'normal', '--agents', String(agents), '--tokens', tokensFile,
      '--data', path.join(tmp, 'data')];
    child = procs.spawnPinned(SERVER_CPU, process.execPath, args, { cwd: ROOT });
    readyTimeout = 120000 + agents * 500; // agent creation hashes passwords
  } else {
    const script = path.join(BENCH, 'peers', `${kind}-server.js`);
    const runtime = kind === 'bun' ? bunBinary() : process.execPath;
    child = procs.spawnPinned(SERVER_CPU, runtime, [script, '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT });
    fs.writeFileSync(tokensFile, Array.from({ length: agents }, (_, i) => `peer-agent-${i}`).join('\n') + '\n');
  }
  try {
    const ready = await procs.waitForJson(child, (o) => o.ready === true, readyTimeout, `${kind} server start`);
    process.stderr.write(`(server pid ${ready.pid}, port ${ready.port}) `);
    return {
      kind, child, pid: ready.pid, port: ready.port, tokensFile,
      async stop() {
        await procs.stop(child);
        fs.rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await procs.stop(child);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

module.exports = { ROOT, BENCH, availability, startServer, bunBinary };
