// bench/lib/procs.js — child processes for the bench: spawning pinned servers and the load
// generator, waiting for their JSON lines (always with a timeout), reading /proc figures,
// counting syscalls with perf, and killing every child we started when the run ends.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const readline = require('readline');

const children = new Set();

// Spawns `cmd args` pinned to `cpu` (via taskset when present); tracks it for cleanup.
function spawnPinned(cpu, cmd, args, opts = {}) {
  const pinned = hasTool('taskset') ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
  const child = spawn(pinned[0], pinned[1], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.lines = [];
  child.errLines = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => child.lines.push(l));
  readline.createInterface({ input: child.stderr }).on('line', (l) => child.errLines.push(l));
  child.stdin.on('error', () => {});
  return child;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until a stdout line of `child` parses as JSON and satisfies `pred`; returns it.
async function waitForJson(child, pred, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < end) {
    for (; seen < child.lines.length; seen++) {
      try {
        const obj = JSON.parse(child.lines[seen]);
        if (pred(obj)) return obj;
      } catch { /* not a JSON line */ }
    }
    if (child.exitCode !== null || child.signalCode !== null) break;
    await sleep(20);
  }
  const tail = child.errLines.slice(-15).join('\n');
  throw new Error(`${what}: no ${child.exitCode !== null ? 'output before exit ' + child.exitCode : 'answer in ' + timeoutMs + ' ms'}\n${tail}`);
}

async function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([
    new Promise((r) => child.once('exit', () => r(true))),
    sleep(timeoutMs).then(() => false),
  ]);
}

// SIGTERM, then SIGKILL after `graceMs`.
async function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitExit(child, 2000);
  }
}

function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}

const toolCache = new Map();
function hasTool(name) {
  if (!toolCache.has(name)) {
    toolCache.set(name, spawnSync('sh', ['-c', `command -v ${name}`]).status === 0);
  }
  return toolCache.get(name);
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// Kernel memory of sockets: TCP buffer pages (sockstat `mem`) and slab (socket structs).
function kernelMem() {
  const ss = fs.readFileSync('/proc/net/sockstat', 'utf8');
  const tcp = /TCP: .*mem (\d+)/.exec(ss);
  const mi = fs.readFileSync('/proc/meminfo', 'utf8');
  const slab = /Slab:\s+(\d+) kB/.exec(mi);
  return { tcpBufBytes: tcp ? Number(tcp[1]) * 4096 : NaN, slabBytes: slab ? Number(slab[1]) * 1024 : NaN };
}

const SYSCALLS = ['read', 'write', 'readv', 'writev', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg',
  'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'epoll_ctl', 'futex', 'io_uring_enter',
  'pwrite64', 'fdatasync', 'fsync'];

// Which syscall counter works here: 'perf' (tracepoints), 'strace', or null.
function syscallCounter() {
  if (hasTool('perf') &&
      spawnSync('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', 'true']).status === 0) {
    return 'perf';
  }
  return hasTool('strace') ? 'strace' : null;
}

// Counts the syscalls of process `pid` (all threads) for `seconds`. Returns
// { total, seconds, byName, tool, t0, t1 } where t0/t1 are process.hrtime (CLOCK_MONOTONIC) ns.
async function countSyscalls(pid, seconds, tool) {
  const t0 = process.hrtime.bigint();
  if (tool === 'perf') {
    const events = ['raw_syscalls:sys_enter', ...SYSCALLS.filter((s) =>
      fs.existsSync(`/sys/kernel/tracing/events/syscalls/sys_enter_${s}`)).map((s) => `syscalls:sys_enter_${s}`)];
    const child = spawn('perf', ['stat', '-x,', '-e', events.join(','), '-p', String(pid), '--', 'sleep', String(seconds)],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    await waitExit(child, (seconds + 10) * 1000);
    children.delete(child);
    const t1 = process.hrtime.bigint();
    const byName = {};
    let total = NaN;
    for (const line of err.split('\n')) {
      const f = line.split(',');
      if (f.length < 3 || !/^\d+$/.test(f[0])) continue;
      if (f[2] === 'raw_syscalls:sys_enter') total = Number(f[0]);
      else if (Number(f[0]) > 0) byName[f[2].replace('syscalls:sys_enter_', '')] = Number(f[0]);
    }
    return { tool, total, seconds: Number(t1 - t0) / 1e9, byName, t0, t1 };
  }
  if (tool === 'strace') {
    const child = spawn('strace', ['-c', '-f', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    await sleep(seconds * 1000);
    child.kill('SIGINT');
    await waitExit(child, 10000);
    children.delete(child);
    const t1 = process.hrtime.bigint();
    const byName = {};
    let total = NaN;
    for (const line of err.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 5 && /^\d+$/.test(f[3])) byName[f[f.length - 1]] = Number(f[3]);
      if (f[f.length - 1] === 'total' && /^\d+$/.test(f[3])) total = Number(f[3]);
    }
    delete byName.total;
    return { tool, total, seconds: Number(t1 - t0) / 1e9, byName, t0, t1 };
  }
  return null;
}

module.exports = {
  spawnPinned, waitForJson, waitExit, stop, killAll, sleep, hasTool, rssBytes, kernelMem,
  syscallCounter, countSyscalls,
};
