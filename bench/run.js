#!/usr/bin/env node
// bench/run.js — `npm run bench`: builds the native load generator, then in one run measures
// idle connections, chat load with durable acks (Switchboard on SQLite) and transport +
// routing without persistence (Switchboard vs Bun, uWebSockets.js, Node+ws), and AI streaming
// (Switchboard vs the openai client behind a ws relay, and the Portkey gateway; bench/ai/),
// each server on CPU 0 and the load generator on CPU 1; writes bench/out/results-<date>.json
// and a table.
// Options: --only idle,durable,transport,ai (chat = durable+transport) --reps 3
//   --servers switchboard,ws,uws,bun --idle-conns 19000 --pairs 200 --inflight 8
//   --duration 10 --warmup 2 --syscall-seconds 3 --no-syscalls
//   AI: --ai-phases ttft,rate,memory --ai-peers openai,portkey --ai-conns 8 --ai-requests 2000
//   --ai-streams 1000 --ai-burst 4 --ai-interval-ms 10 --ai-duration 6
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const procs = require('./lib/procs');
const { availability, bunBinary, BENCH } = require('./lib/servers');
const { LOADGEN, measureIdle, measureChat } = require('./lib/measure');
const report = require('./lib/report');
const { measureAi } = require('./ai/measure');

function parseOptions(argv) {
  const o = {
    only: ['idle', 'durable', 'transport', 'ai'], reps: 3, servers: ['switchboard', 'ws', 'uws', 'bun'],
    idleConns: 19000, pairs: 200, inflight: 8, duration: 10, warmup: 2, syscallSeconds: 3, syscalls: true,
    aiPhases: ['ttft', 'rate', 'memory'], aiPeers: ['openai', 'portkey'], aiConns: 8,
    aiRequests: 2000, aiStreams: 1000, aiBurst: 4, aiIntervalMs: 10, aiDuration: 6,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const list = () => String(v).split(',').filter(Boolean);
    switch (k) {
      case '--only': o.only = list().flatMap((s) => (s === 'chat' ? ['durable', 'transport'] : [s])); i++; break;
      case '--servers': o.servers = list(); i++; break;
      case '--reps': o.reps = Number(v); i++; break;
      case '--idle-conns': o.idleConns = Number(v); i++; break;
      case '--pairs': o.pairs = Number(v); i++; break;
      case '--inflight': o.inflight = Number(v); i++; break;
      case '--duration': o.duration = Number(v); i++; break;
      case '--warmup': o.warmup = Number(v); i++; break;
      case '--syscall-seconds': o.syscallSeconds = Number(v); i++; break;
      case '--no-syscalls': o.syscalls = false; break;
      case '--ai-phases': o.aiPhases = list(); i++; break;
      case '--ai-peers': o.aiPeers = list(); i++; break;
      case '--ai-conns': o.aiConns = Number(v); i++; break;
      case '--ai-requests': o.aiRequests = Number(v); i++; break;
      case '--ai-streams': o.aiStreams = Number(v); i++; break;
      case '--ai-burst': o.aiBurst = Number(v); i++; break;
      case '--ai-interval-ms': o.aiIntervalMs = Number(v); i++; break;
      case '--ai-duration': o.aiDuration = Number(v); i++; break;
      default: throw new Error(`unknown option ${k} (see the comment at the top of bench/run.js)`);
    }
  }
  return o;
}

function buildLoadgen() {
  const r = spawnSync('make', ['-s', '-C', path.join(BENCH, 'loadgen')], { stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(LOADGEN)) throw new Error('building bench/loadgen failed');
}

function machine() {
  const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
  const bun = bunBinary();
  return {
    cpu: os.cpus()[0] ? os.cpus()[0].model : 'unknown', cores: os.cpus().length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version,
    bun: bun ? sh(`${bun} --version`) : null, nofile_limit: Number(sh('ulimit -n')),
    os: sh('. /etc/os-release && echo "$PRETTY_NAME"'),
  };
}

// Runs `fn(rep, target)` for every rep, servers interleaved so drift hits all alike.
async function repeat(o, targets, fn, results, label) {
  for (let rep = 1; rep <= o.reps; rep++) {
    for (const t of targets) {
      process.stderr.write(`bench: ${label} ${t.name} run ${rep}/${o.reps} ... `);
      try {
        const r = await fn(t);
        results[t.name] = results[t.name] || [];
        results[t.name].push(r);
        process.stderr.write(`${report.oneLine(r)}\n`);
      } catch (err) {
        results[t.name] = results[t.name] || [];
        results[t.name].push({ server: t.kind, error: String(err.message || err) });
        process.stderr.write(`FAILED: ${String(err.message || err).split('\n')[0]}\n`);
      }
    }
  }
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  const needsLoadgen = o.only.some((x) => x !== 'ai');
  if (needsLoadgen) buildLoadgen();
  const avail = availability();
  const servers = o.servers.filter((s) => {
    if (avail[s] && needsLoadgen) process.stderr.write(`bench: skipping ${s}: ${avail[s]}\n`);
    return !avail[s];
  });
  const syscallTool = o.syscalls && needsLoadgen ? procs.syscallCounter() : null;
  if (o.syscalls && needsLoadgen && !syscallTool) process.stderr.write('bench: neither perf nor strace works; no syscall counts\n');
  if (!procs.hasTool('taskset')) process.stderr.write('bench: taskset missing; processes are not pinned\n');

  const out = {
    date: new Date().toISOString(), machine: machine(), options: o, syscall_tool: syscallTool,
    skipped: Object.fromEntries(Object.entries(avail).filter(([, v]) => v)),
    idle: {}, durable: {}, transport: {}, syscall_runs: {},
  };
  const memStore = { driver: 'memory' };
  const chatOpts = { pairs: o.pairs, inflight: o.inflight, duration: o.duration, warmup: o.warmup,
    syscallTool: null, syscallSeconds: o.syscallSeconds };

  if (o.only.includes('idle')) {
    const targets = servers.map((s) => ({ name: s, kind: s }));
    const store = { driver: 'sqlite', synchronous: 'normal' };
    await repeat(o, targets, (t) => measureIdle(t.kind, { conns: o.idleConns, store }), out.idle, 'idle');
  }
  // Counting syscalls slows a server down (a tracepoint per syscall), so the timed runs are
  // not traced; one extra run per server counts them and its throughput is not in the medians.
  const chat = async (group, targets, storeOf) => {
    await repeat(o, targets, (t) => measureChat(t.kind, { ...chatOpts, store: storeOf(t) }), out[group], group);
    if (!syscallTool) return;
    await repeat({ ...o, reps: 1 }, targets, (t) => measureChat(t.kind,
      { ...chatOpts, store: storeOf(t), syscallTool }), out.syscall_runs, `${group} (syscalls)`);
  };
  if (o.only.includes('durable') && servers.includes('switchboard')) {
    await chat('durable', ['full', 'normal'].map((s) => ({ name: `switchboard-sqlite-${s}`, kind: 'switchboard', sync: s })),
      (t) => ({ driver: 'sqlite', synchronous: t.sync }));
  }
  if (o.only.includes('transport')) {
    await chat('transport', servers.map((s) => ({ name: s === 'switchboard' ? 'switchboard-memory' : s, kind: s })),
      () => memStore);
  }
  if (o.only.includes('ai')) {
    out.ai = {};
    await measureAi(o, out.ai);
  }

  out.summary = report.summarise(out);
  fs.mkdirSync(path.join(BENCH, 'out'), { recursive: true });
  const stamp = out.date.slice(0, 16).replace(':', '-');
  const file = path.join(BENCH, 'out', `results-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(report.table(out));
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
}

process.on('exit', procs.killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { procs.killAll(); process.exit(130); });
}
main().catch((err) => {
  console.error(`bench: ${err.stack || err}`);
  procs.killAll();
  process.exit(1);
});
