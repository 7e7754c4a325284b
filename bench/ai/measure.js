// bench/ai/measure.js — `--only ai`: one aibench process (the upstream and every client, pinned
// to CPU 1) serves the whole run, so every contender streams from the same upstream; each
// measurement starts its contender afresh on CPU 0 and sends aibench one command.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const procs = require('../lib/procs');
const { BENCH } = require('../lib/servers');
const { availability, startContender } = require('./servers');

const AIBENCH = path.join(BENCH, 'out', 'aibench');
const CLIENT_CPU = 1;

function buildAibench() {
  const r = spawnSync('make', ['-s', '-C', path.join(BENCH, 'ai')], { stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(AIBENCH)) throw new Error('building bench/ai (aibench) failed');
}

// Sends one command line to aibench and resolves with the next JSON line it prints.
async function ask(ab, line, timeoutMs) {
  const from = ab.lines.length;
  ab.stdin.write(`${line}\n`);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (let i = from; i < ab.lines.length; i++) {
      try { return JSON.parse(ab.lines[i]); } catch { /* not JSON */ }
    }
    if (ab.exitCode !== null) throw new Error(`aibench exited (${ab.exitCode}): ${ab.errLines.slice(-5).join(' ')}`);
    await procs.sleep(20);
  }
  throw new Error(`aibench: no answer to "${line.split(' ')[0]}" in ${timeoutMs} ms`);
}

// CPU accounting in clock ticks (USER_HZ, 100 on Linux): the machine's busy time from
// /proc/stat and a process's own from /proc/<pid>/stat.
const HZ = 100;
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user + nice + system only: irq and softirq time is mostly our own loopback traffic, which
  // the kernel does not charge to any process.
  return { busy: f[0] + f[1] + f[2], at: Date.now() };
}
function procTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch { return 0; }
}
// The kernel's softirq threads mostly carry our own loopback traffic under load.
function softirqThreads() {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return fs.readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('ksoftirqd/'); } catch { return false; }
  }).map(Number);
}

// Other work on the machine skews every figure here (the relay and the clients each have one
// core), so each measurement records the CPU used by everything but them, in cores. /proc/stat
// is sampled per tick and a process's time is not, so expect about ±0.2 cores of noise.
function foreignMeter(ownPids) {
  const pids = [...ownPids, ...softirqThreads()];
  const m0 = machineTicks();
  const p0 = pids.map(procTicks);
  return () => {
    const m1 = machineTicks();
    const ours = pids.map(procTicks).reduce((a, t, i) => a + t - p0[i], 0);
    return Number(((m1.busy - m0.busy - ours) / HZ / ((m1.at - m0.at) / 1000)).toFixed(3));
  };
}
async function machineBusy(ms = 1000) {
  const done = foreignMeter([]);
  await procs.sleep(ms);
  return done();
}

const args = (o) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(' ');

// The three workloads, as aibench commands (see bench/ai/main.cpp).
function workloads(o) {
  return {
    // 20-token replies, a token a millisecond, the first 10 ms after the request: short, so
    // 2,000 of them fit in seconds, and not shorter, so that an adaptive concurrency limit keyed
    // on time to first token does not read a few ms of scheduling jitter as overload.
    ttft: { conns: o.aiConns, requests: o.aiRequests, warmup: Math.min(200, o.aiRequests / 10), tokens: 20,
      interval_us: 1000, first_us: 10000 },
    // 100-token replies, the first token after 50 ms (a fast model), then 4 chunks per write
    // every 10 ms: 0.29 s per reply, 345,000 tokens/s offered by 1,000 streams. Five short
    // rounds first, so an adaptive concurrency limit has learned the upstream (see phases.cpp).
    rate: { conns: o.aiStreams, tokens: 100, interval_us: o.aiIntervalMs * 1000, burst: o.aiBurst,
      first_us: 50000, prewarm: 5, ramp_s: 1, warmup_s: 2, duration_s: o.aiDuration },
    memory: { conns: o.aiStreams, prewarm: 5, first_us: 50000, settle_s: 2, slow_ms: 1000, gc: 1, open_timeout_s: 6 },
  };
}

// One phase against a fresh contender: start it, run `verb`, stop it.
async function phase(ab, up, kind, verb, params) {
  const srv = await startContender(kind, `http://127.0.0.1:${up.port}/v1`);
  const abPid = ab.pid;
  try {
    process.stderr.write(`(pid ${srv.pid}) `);
    await procs.sleep(300);
    const extra = kind === 'portkey'
      ? { kind: 'sse', port: srv.port, h1: 'x-portkey-provider:openai', h2: `x-portkey-custom-host:http://127.0.0.1:${up.port}/v1` }
      : { kind: 'ws', port: srv.port };
    const foreign = foreignMeter([abPid, srv.pid, process.pid]);
    const r = await ask(ab, `${verb} ${args({ ...extra, ...params, server_pid: srv.pid })}`, 240000);
    const admission = srv.ready && srv.ready.admission_off;
    return { contender: kind, server_pid: srv.pid, foreign_cpu: foreign(), ...(admission ? { admission_off: admission } : {}), ...r };
  } finally {
    await srv.stop();
  }
}

function oneLine(r) {
  if (r.error) return `error: ${r.error}`;
  const busy = r.foreign_cpu > 0.25 ? ` (OTHER PROCESSES USED ${r.foreign_cpu} CORES)` : '';
  return oneLineBody(r) + busy;
}

function oneLineBody(r) {
  const us = (x) => `${x.p50_us}/${x.p99_us} us`;
  if (r.phase === 'ttft') return `first token ${us(r.first_token)}, later ${us(r.later_tokens)}, request leg ${us(r.request_leg)}, ${r.short_replies} short`;
  if (r.phase === 'rate') return `${r.tokens_per_s} tokens/s (${r.tokens_per_frame} per frame), server cpu ${r.server_cpu}, aibench cpu ${r.aibench_cpu}, token ${us(r.token_latency)}`;
  return `${r.bytes_per_stream} B/stream (${r.streams_reading} streaming)`;
}

// Which Switchboard was measured: the addon is rebuilt from the work tree, which may be ahead
// of the last commit.
function buildIdentity() {
  const root = path.join(BENCH, '..');
  const addon = path.join(root, 'build', 'Release', 'switchboard.node');
  const git = (a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout.trim();
  const id = { git_head: git(['rev-parse', '--short', 'HEAD']), work_tree_changes: git(['status', '--porcelain', 'native', 'js']).split('\n').filter(Boolean).length };
  if (fs.existsSync(addon)) {
    id.addon_mtime = fs.statSync(addon).mtime.toISOString();
    id.addon_sha256 = require('crypto').createHash('sha256').update(fs.readFileSync(addon)).digest('hex').slice(0, 16);
  }
  return id;
}

// Runs every AI measurement `o.reps` times, contenders interleaved; fills `out`.
async function measureAi(o, out) {
  buildAibench();
  out.build = buildIdentity();
  const avail = availability();
  out.skipped = Object.fromEntries(Object.entries(avail).filter(([, v]) => v));
  for (const [k, why] of Object.entries(out.skipped)) process.stderr.write(`bench: ai: skipping ${k}: ${why}\n`);
  const relays = ['switchboard', 'openai'].filter((k) => !avail[k] && (k === 'switchboard' || o.aiPeers.includes(k)));
  const w = workloads(o);
  out.workloads = w;
  out.foreign_cpu_before = await machineBusy();
  if (out.foreign_cpu_before > 0.25) {
    process.stderr.write(`bench: ai: WARNING: other processes use ${out.foreign_cpu_before} cores before the run; figures will be skewed\n`);
  }
  const ab = procs.spawnPinned(CLIENT_CPU, AIBENCH, []);
  try {
    const up = await procs.waitForJson(ab, (x) => x.event === 'upstream', 10000, 'aibench start');
    out.runs = [];
    const record = async (label, fn) => {
      process.stderr.write(`bench: ai ${label} ... `);
      try {
        const r = await fn();
        out.runs.push({ label, ...r });
        process.stderr.write(`${oneLine(r)}\n`);
      } catch (err) {
        out.runs.push({ label, error: String(err.message || err) });
        process.stderr.write(`FAILED: ${String(err.message || err).split('\n')[0]}\n`);
      }
    };
    const want = (p) => o.aiPhases.includes(p);
    for (let rep = 1; rep <= o.reps; rep++) {
      const tag = `run ${rep}/${o.reps}`;
      if (want('ttft')) {
        await record(`ttft direct ${tag}`, async () => {
          const foreign = foreignMeter([ab.pid, process.pid]);
          const r = await ask(ab, `ttft ${args({ kind: 'sse', port: 'self', ...w.ttft })}`, 240000);
          return { contender: 'direct', foreign_cpu: foreign(), ...r };
        });
        for (const k of relays) await record(`ttft ${k} ${tag}`, () => phase(ab, up, k, 'ttft', w.ttft));
        if (!avail.portkey && o.aiPeers.includes('portkey')) await record(`ttft portkey ${tag}`, () => phase(ab, up, 'portkey', 'ttft', w.ttft));
      }
      if (want('rate')) for (const k of relays) await record(`rate ${k} ${tag}`, () => phase(ab, up, k, 'rate', w.rate));
      if (want('memory')) for (const k of relays) await record(`memory ${k} ${tag}`, () => phase(ab, up, k, 'memory', w.memory));
    }
    out.foreign_cpu_after = await machineBusy();
    const after = buildIdentity();
    if (after.addon_sha256 !== out.build.addon_sha256) {
      out.build_changed_during_run = after;
      process.stderr.write('bench: ai: WARNING: build/Release/switchboard.node changed during the run\n');
    }
  } finally {
    ab.stdin.end();
    await procs.stop(ab, 3000);
  }
}

module.exports = { measureAi, AIBENCH };
