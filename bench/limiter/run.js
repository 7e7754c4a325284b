#!/usr/bin/env node
// bench/limiter/run.js — `npm run bench:limits`: the limiter benchmark (issue 4) in one run:
// the cost of a rate-limit decision (bench/micro/limiter_bench.cpp), goodput under overload
// of the AI upstream gate (adaptive vs a fixed limit vs none, open-loop load at 1x-10x the
// upstream's capacity), and the learned limit's convergence as capacity steps 50 -> 10 -> 50.
// Switchboard runs on CPU 0; the upstream (bench/limiter/upstream.js) and this process, which
// drives the visitors, on CPU 1. Writes bench/out/limits-<date>.json,
// docs/images/limiter-convergence.svg and prints a table.
// Options: --configs adaptive,fixed2x,none (also fixed1x) --levels 1,2,5,10 --capacity 20
//   --warmup 5 --duration 15 --unloaded 4 --cold 6 --queue-timeout-ms 5000 --no-micro --no-convergence
//   --conv-capacities 50,10,50 --conv-phase 12 --conv-load 2
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const procs = require('../lib/procs');
const { startChild, stopChild, pinSelf, killMine } = require('./children');
const { Visitors, now } = require('./visitors');
const { windowFigures, convergence, toPerf } = require('./analyse');
const { runMicro } = require('./micro');
const { lineChart } = require('./svg');
const report = require('./report');

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER_CPU = 0;
const LOAD_CPU = 1;
const API_KEY = 'sk-bench-limiter';
// The upstream's stream: first content after 100 ms, 8 chunks 25 ms apart, the end at 300 ms.
const STREAM = { firstTokenMs: 100, chunkMs: 25, chunks: 8, serviceMs: 300 };
// Visitors send far faster than people, all from 127.0.0.1 (exempt from `ip` rules) to one
// site: the rules that would refuse them before the AI gate is reached are opened up.
const OPEN = { burst: 1e6, perSecond: 1e6 };
const RATE_LIMITS = { 'message.visitor': OPEN, 'conversation.visitor': OPEN, 'message.site': OPEN,
  'conversation.site': OPEN, 'message.global': OPEN, 'conversation.global': OPEN };

function parseOptions(argv) {
  const o = { configs: ['adaptive', 'fixed2x', 'none'], levels: [1, 2, 5, 10], capacity: 20, warmup: 5, duration: 15,
    unloaded: 4, cold: 6, queueTimeoutMs: 5000, micro: true, convergence: true, convCapacities: [50, 10, 50], convPhase: 12, convLoad: 2 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const nums = () => String(v).split(',').map(Number);
    switch (argv[i]) {
      case '--configs': o.configs = String(v).split(','); i++; break;
      case '--levels': o.levels = nums(); i++; break;
      case '--capacity': o.capacity = Number(v); i++; break;
      case '--warmup': o.warmup = Number(v); i++; break;
      case '--duration': o.duration = Number(v); i++; break;
      case '--unloaded': o.unloaded = Number(v); i++; break;
      case '--cold': o.cold = Number(v); i++; break;
      case '--queue-timeout-ms': o.queueTimeoutMs = Number(v); i++; break;
      case '--no-micro': o.micro = false; break;
      case '--no-convergence': o.convergence = false; break;
      case '--conv-capacities': o.convCapacities = nums(); i++; break;
      case '--conv-phase': o.convPhase = Number(v); i++; break;
      case '--conv-load': o.convLoad = Number(v); i++; break;
      default: throw new Error(`unknown option ${argv[i]} (see the comment at the top of bench/limiter/run.js)`);
    }
  }
  return o;
}

// The gate settings of each configuration, for an upstream of `capacity` streams.
function gateSettings(name, capacity) {
  switch (name) {
    case 'adaptive': return {}; // defaults: initialConcurrency 32, maxConcurrency 512
    case 'fixed2x': return { initialConcurrency: 2 * capacity, maxConcurrency: 2 * capacity };
    case 'fixed1x': return { initialConcurrency: capacity, maxConcurrency: capacity };
    case 'none': return { initialConcurrency: 100000, maxConcurrency: 100000 };
    default: throw new Error(`unknown configuration ${name} (adaptive, fixed2x, fixed1x, none)`);
  }
}

function machine() {
  const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
  return { cpu: os.cpus()[0] ? os.cpus()[0].model : 'unknown', cores: os.cpus().length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version,
    os: sh('. /etc/os-release && echo "$PRETTY_NAME"') };
}

const log = (s) => process.stderr.write(s);

async function startSwitchboard(upstream, o, ai) {
  return startChild(SERVER_CPU, path.join(__dirname, 'server.js'), {
    upstream: `http://127.0.0.1:${upstream.ready.port}/v1`, apiKey: API_KEY, rateLimits: RATE_LIMITS,
    ai: { queueTimeoutMs: o.queueTimeoutMs, ...ai },
  });
}

// Waits until `until` (performance.now() ms), retiring requests outstanding for over 30 s.
async function holdFor(vis, until) {
  while (now() < until) {
    vis.expire(30000);
    await procs.sleep(Math.min(200, Math.max(1, until - now())));
  }
}

// The gate's and the upstream's 100 ms samples from `from` to `to`, time relative to `from`.
function gateSeries(srv, upstream, from, to) {
  const rel = (s) => Number(((toPerf(s.at) - from) / 1000).toFixed(2));
  const span = (s) => toPerf(s.at) >= from && toPerf(s.at) <= to;
  const gs = srv.samples.filter((s) => span(s) && s.gate);
  const us = upstream.samples.filter(span);
  return {
    t_s: gs.map(rel), limit: gs.map((s) => s.gate.limit), in_flight: gs.map((s) => s.gate.inFlight),
    queued: gs.map((s) => s.gate.queued), overloads: gs.map((s) => s.gate.overloads), shed: gs.map((s) => s.gate.shed),
    upstream_t_s: us.map(rel), upstream_in_flight: us.map((s) => s.streams), upstream_capacity: us.map((s) => s.capacity),
    upstream_429: us.map((s) => s.r429),
  };
}

// One configuration: a fresh Switchboard, the unloaded level, then each overload level.
async function measureConfig(name, o, upstream) {
  const capacityPerS = o.capacity / (STREAM.serviceMs / 1000);
  const srv = await startSwitchboard(upstream, o, gateSettings(name, o.capacity));
  const vis = new Visitors(srv.ready.port);
  const windows = [];
  try {
    await vis.open(Math.min(4000, Math.ceil(Math.max(...o.levels) * capacityPerS * 4)));
    await procs.sleep(1000); // the handshakes' I/O lag would count as saturation
    const run = async (level, rate, warmup, seconds) => {
      vis.setRate(rate, level);
      const t0 = now() + warmup * 1000;
      const t1 = t0 + seconds * 1000;
      await holdFor(vis, t0);
      const cpu0 = process.cpuUsage();
      await holdFor(vis, t1);
      const cpu = process.cpuUsage(cpu0);
      windows.push({ level, rate, t0, t1, loadgenCpu: Math.round(((cpu.user + cpu.system) / 1000 / (t1 - t0)) * 1000) / 1000 });
    };
    if (o.unloaded > 0) await run('unloaded', 0.2 * capacityPerS, 0.5, o.unloaded);
    for (const m of o.levels) {
      log(`bench: limits ${name} ${m}x (${Math.round(m * capacityPerS)} req/s) ... `);
      await run(m, m * capacityPerS, o.warmup, o.duration);
      log('\n');
    }
    vis.setRate(0);
    const levels = windows.map((w) => ({ level: w.level, offered_rate: Math.round(w.rate * 10) / 10, loadgen_cpu: w.loadgenCpu,
      ...windowFigures({ requests: vis.requests, level: w.level, t0: w.t0, t1: w.t1, server: srv, upstream, capacityPerS, budgetMs: o.queueTimeoutMs }) }));
    for (const l of levels) log(`  ${report.levelLine(name, l)}\n`);
    return { config: name, gate: gateSettings(name, o.capacity), levels, series: gateSeries(srv, upstream, windows[0].t0 - 500, now()),
      pool: vis.all.size, opened_on_demand: vis.openedOnDemand,
      close_codes: vis.closes, error_frames: vis.errors, error_samples: vis.errorSamples, still_outstanding: vis.outstanding(), final_gate: (srv.samples[srv.samples.length - 1] || {}).gate };
  } finally {
    vis.close();
    await stopChild(srv);
  }
}

// A cold start: a fresh Switchboard meets the highest level at once, before its gate has
// learned anything; how fast its limit comes down to the capacity, and what it costs.
async function measureCold(name, o, upstream) {
  const capacityPerS = o.capacity / (STREAM.serviceMs / 1000);
  const rate = Math.max(...o.levels) * capacityPerS;
  const srv = await startSwitchboard(upstream, o, gateSettings(name, o.capacity));
  const vis = new Visitors(srv.ready.port);
  try {
    await vis.open(Math.min(4000, Math.ceil(rate * 4)));
    await procs.sleep(1000);
    log(`bench: limits ${name} cold start at ${Math.max(...o.levels)}x ... `);
    const t0 = now();
    vis.setRate(rate, 'cold');
    await holdFor(vis, t0 + o.cold * 1000);
    const t1 = now();
    vis.setRate(0);
    const f = windowFigures({ requests: vis.requests, level: 'cold', t0, t1, server: srv, upstream, capacityPerS, budgetMs: o.queueTimeoutMs });
    const series = gateSeries(srv, upstream, t0, t1);
    const k = series.limit.findIndex((l) => l <= 1.1 * o.capacity);
    const r = { level: 'cold', offered_rate: Math.round(rate * 10) / 10, limit_within_110pct_after_s: k < 0 ? null : series.t_s[k],
      gate_in_flight_max: Math.max(0, ...series.in_flight), ...f, series };
    log(`limit <= 1.1 x capacity after ${r.limit_within_110pct_after_s} s, upstream 429s ${f.upstream.r429}\n`);
    return r;
  } finally {
    vis.close();
    await stopChild(srv);
  }
}

// Capacity steps under sustained overload; samples every 100 ms for the chart.
async function measureConvergence(o, upstream) {
  const caps = o.convCapacities;
  upstream.send({ cmd: 'capacity', n: caps[0] });
  const srv = await startSwitchboard(upstream, o, {});
  const vis = new Visitors(srv.ready.port);
  try {
    const rate = (o.convLoad * Math.max(...caps)) / (STREAM.serviceMs / 1000);
    await vis.open(Math.min(4000, Math.ceil(rate * 4)));
    await procs.sleep(1000);
    log(`bench: limits convergence, capacity ${caps.join(' -> ')}, ${Math.round(rate)} req/s ... `);
    const start = now();
    const steps = [];
    vis.setRate(rate, 'convergence');
    for (let i = 0; i < caps.length; i++) {
      if (i > 0) upstream.send({ cmd: 'capacity', n: caps[i] });
      steps.push({ t: now(), capacity: caps[i] });
      await holdFor(vis, start + (i + 1) * o.convPhase * 1000);
    }
    const end = now();
    vis.setRate(0);
    log('\n');
    const conv = convergence(srv, upstream, steps, end);
    const series = gateSeries(srv, upstream, start, end);
    const figures = windowFigures({ requests: vis.requests, level: 'convergence', t0: start, t1: end, server: srv, upstream, capacityPerS: null, budgetMs: o.queueTimeoutMs });
    upstream.send({ cmd: 'capacity', n: o.capacity });
    return { capacities: caps, phase_s: o.convPhase, offered_rate: Math.round(rate), steps: conv, series, figures,
      error_frames: vis.errors, error_samples: vis.errorSamples };
  } finally {
    vis.close();
    await stopChild(srv);
  }
}

function chart(c) {
  const pts = (ts, ys) => ts.map((t, i) => [t, ys[i]]);
  const capPts = c.capacities.map((cap, i) => [i * c.phase_s, cap]).concat([[c.capacities.length * c.phase_s, c.capacities[c.capacities.length - 1]]]);
  return lineChart({
    title: `Adaptive AI concurrency: upstream capacity ${c.capacities.join(' → ')} under ${c.offered_rate} req/s`,
    subtitle: `Learned limit and requests in flight, sampled every 100 ms (node bench/limiter/run.js). Time to within 10 %: ${c.steps.map((s) => (s.within_10pct_after_s === null ? 'never' : `${s.within_10pct_after_s} s`)).join(', ')}.`,
    xLabel: 'seconds', yLabel: 'requests in flight',
    series: [
      { name: 'upstream capacity', color: '#888', dash: '6 4', width: 2, points: capPts, step: true },
      { name: 'learned limit', color: '#1f5fbf', width: 2, points: pts(c.series.t_s, c.series.limit) },
      { name: 'in flight (gate)', color: '#e08a00', width: 1.2, points: pts(c.series.t_s, c.series.in_flight) },
      { name: 'in flight (upstream)', color: '#2a9d4b', width: 1.2, points: pts(c.series.upstream_t_s, c.series.upstream_in_flight) },
    ],
  });
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  const loadStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  const out = { date: new Date().toISOString(), machine: machine(), options: o, stream: STREAM, rate_limits: RATE_LIMITS };
  if (o.micro) {
    log('bench: limits micro (bench/micro/limiter_bench.cpp, ~40 s) ... ');
    out.micro = runMicro();
    log(`${out.micro.rows.length} rows\n`);
  }
  out.pinned = pinSelf(LOAD_CPU);
  const upstream = await startChild(LOAD_CPU, path.join(__dirname, 'upstream.js'), { apiKey: API_KEY, capacity: o.capacity, ...STREAM });
  try {
    out.capacity = { streams: o.capacity, per_s: Math.round((o.capacity / (STREAM.serviceMs / 1000)) * 10) / 10 };
    out.goodput = [];
    for (const name of o.configs) out.goodput.push(await measureConfig(name, o, upstream));
    if (o.cold > 0) for (const c of out.goodput) c.cold = await measureCold(c.config, o, upstream);
    if (o.convergence) out.convergence = await measureConvergence(o, upstream);
  } finally {
    await stopChild(upstream);
  }
  // Anything else running on the machine shows here (the figures assume it was idle).
  out.machine.loadavg_start = loadStart;
  out.machine.loadavg_end = os.loadavg().map((x) => Number(x.toFixed(2)));
  out.summary = report.summarise(out);
  fs.mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
  const file = path.join(ROOT, 'bench', 'out', `limits-${out.date.slice(0, 16).replace(':', '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  if (out.convergence) {
    const svg = path.join(ROOT, 'docs', 'images', 'limiter-convergence.svg');
    fs.mkdirSync(path.dirname(svg), { recursive: true });
    fs.writeFileSync(svg, chart(out.convergence));
  }
  process.stdout.write(report.table(out));
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
}

if (require.main === module) {
  process.on('exit', killMine);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killMine(); process.exit(130); });
  main().catch((err) => {
    console.error(`bench: ${err.stack || err}`);
    killMine();
    process.exit(1);
  });
}
