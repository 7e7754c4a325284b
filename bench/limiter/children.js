// bench/limiter/children.js — the limiter bench's child processes: spawned pinned to a CPU
// with an IPC channel, their samples collected, waits with timeouts, every child killed at exit.
'use strict';
const { spawn, spawnSync } = require('child_process');
const procs = require('../lib/procs');

const mine = new Set();

// Runs `node script jsonArg` on `cpu`; resolves once it sends {t:'ready'}. Samples it sends
// ({t:'sample'}) go to child.samples; other messages to child.messages.
async function startChild(cpu, script, arg, timeoutMs = 30000) {
  const cmd = procs.hasTool('taskset') ? ['taskset', ['-c', String(cpu), process.execPath, script, JSON.stringify(arg)]]
    : [process.execPath, [script, JSON.stringify(arg)]];
  const child = spawn(cmd[0], cmd[1], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  mine.add(child);
  child.on('exit', () => mine.delete(child));
  child.samples = [];
  child.messages = [];
  child.stderrText = '';
  child.stderr.on('data', (d) => { child.stderrText = (child.stderrText + d).slice(-4000); });
  child.on('message', (m) => (m.t === 'sample' ? child.samples : child.messages).push(m));
  child.on('error', () => {});
  const ready = await waitMessage(child, (m) => m.t === 'ready', timeoutMs, script);
  child.ready = ready;
  return child;
}

async function waitMessage(child, pred, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = child.messages.find(pred);
    if (m) return m;
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (Date.now() > end) break;
    await procs.sleep(10);
  }
  throw new Error(`${what}: no answer (exit ${child.exitCode}) ${child.stderrText.slice(-800)}`);
}

async function stopChild(child) {
  if (!child) return;
  try { child.disconnect(); } catch { /* already gone */ }
  await procs.stop(child, 8000);
}

// Pins this process (all its threads) to `cpu`: the load generator's core.
function pinSelf(cpu) {
  if (!procs.hasTool('taskset')) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)]).status === 0;
}

function killMine() {
  for (const c of mine) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}

module.exports = { startChild, stopChild, waitMessage, pinSelf, killMine };
