// bench/limiter/micro.js — decision cost: builds bench/micro/limiter_bench.cpp with the g++
// command of its header comment, runs it on both cores (it measures 1 and 2 threads) and
// parses what it prints: ns per allow() for 1 key and 1M keys, key hashing, table memory.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const procs = require('../lib/procs');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bench', 'out', 'limiter_bench');

function build() {
  fs.mkdirSync(path.dirname(BIN), { recursive: true });
  const sources = fs.readdirSync(path.join(ROOT, 'native', 'limiter')).filter((f) => f.endsWith('.cpp'))
    .map((f) => path.join('native', 'limiter', f));
  const args = ['-std=c++17', '-O2', '-DNDEBUG', '-Inative', 'bench/micro/limiter_bench.cpp', ...sources, '-pthread', '-o', BIN];
  const r = spawnSync('g++', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building limiter_bench failed:\n${r.stderr}`);
  return `g++ ${args.join(' ').replace(BIN, 'bench/out/limiter_bench')}`;
}

function parse(text) {
  const rows = [];
  const extra = {};
  for (const line of text.split('\n')) {
    let m = /^(.*?)\s+(\d) threads?\s+([\d.]+) ns\/allow per thread,\s+([\d.]+) ns\/allow overall\s+\((\d+) evictions\)/.exec(line);
    if (m) {
      rows.push({ case: m[1].trim(), threads: Number(m[2]), ns_per_allow_per_thread: Number(m[3]),
        ns_per_allow_overall: Number(m[4]), evictions: Number(m[5]) });
      continue;
    }
    m = /^(key_hash.*?|ip_key.*?)\s+([\d.]+) ns$/.exec(line.trim());
    if (m) { extra[m[1].trim()] = Number(m[2]); continue; }
    m = /^table of 100k: (\d+) B \(([\d.]+) B per key\)/.exec(line.trim());
    if (m) extra.table_100k_bytes_per_key = Number(m[2]);
  }
  return { rows, extra };
}

// Builds and runs it; returns {command, run_command, seconds, output, rows, extra}.
function runMicro() {
  const command = build();
  const t0 = Date.now();
  const cmd = procs.hasTool('taskset') ? ['taskset', ['-c', '0,1', BIN]] : [BIN, []];
  const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', timeout: 180000 });
  if (r.status !== 0 && !r.stdout) throw new Error(`limiter_bench failed: ${r.stderr || r.error}`);
  return { command, run_command: 'bench/out/limiter_bench (taskset -c 0,1)', seconds: (Date.now() - t0) / 1000,
    output: r.stdout, ...parse(r.stdout) };
}

module.exports = { runMicro };
