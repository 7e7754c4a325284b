// bench/lib/measure.js — one measurement each: idle connections (memory per connection) and
// chat load (throughput, latency, correctness, syscalls per delivered message) against one
// freshly started server, with the load generator pinned to CPU 1.
'use strict';
const path = require('path');
const procs = require('./procs');
const { startServer, BENCH } = require('./servers');

const LOADGEN = path.join(BENCH, 'out', 'loadgen');
const LOADGEN_CPU = 1;

// Holds `conns` visitor sessions and reports memory per connection.
async function measureIdle(kind, { conns, store }) {
  const srv = await startServer(kind, { agents: 0, store });
  let lg;
  try {
    await procs.sleep(1000);
    const rss0 = procs.rssBytes(srv.pid);
    const k0 = procs.kernelMem();
    lg = procs.spawnPinned(LOADGEN_CPU, LOADGEN, ['idle', String(conns), '--port', String(srv.port),
      '--setup-timeout', '120', '--hold-max', '300']);
    const ready = await procs.waitForJson(lg, (o) => o.event === 'ready', 150000, 'loadgen idle');
    await procs.sleep(2000); // let the server settle (lazy allocations, GC of handshake garbage)
    const rss1 = procs.rssBytes(srv.pid);
    const k1 = procs.kernelMem();
    lg.stdin.end();
    const done = await procs.waitForJson(lg, (o) => o.event === 'done', 30000, 'loadgen idle stop');
    const n = ready.welcomed || NaN;
    return {
      server: kind, server_pid: srv.pid, target: conns, welcomed: ready.welcomed, failed: ready.failed,
      setup_s: ready.setup_s, close_codes: ready.close_codes, first_error: ready.first_error || undefined,
      closed_during_hold: done.closed_during_hold,
      rss_before: rss0, rss_after: rss1,
      user_bytes_per_conn: Math.round((rss1 - rss0) / n),
      kernel_tcp_buf_bytes_per_conn: Math.round((k1.tcpBufBytes - k0.tcpBufBytes) / n),
      kernel_slab_bytes_per_conn: Math.round((k1.slabBytes - k0.slabBytes) / n),
    };
  } finally {
    if (lg) await procs.stop(lg);
    await srv.stop();
  }
}

// Delivered-message count at monotonic time `t` (ns, BigInt), interpolated from loadgen ticks.
function deliveredAt(ticks, t) {
  const x = Number(t);
  for (let i = 1; i < ticks.length; i++) {
    const a = ticks[i - 1];
    const b = ticks[i];
    if (x <= b.tick_ns || i === ticks.length - 1) {
      const f = (x - a.tick_ns) / (b.tick_ns - a.tick_ns);
      return a.delivered + f * (b.delivered - a.delivered);
    }
  }
  return NaN;
}

async function waitForTick(child, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.errLines.some((l) => l.startsWith('{"tick_ns"'))) return true;
    if (child.exitCode !== null) return false;
    await procs.sleep(20);
  }
  return false;
}

// Runs the chat workload once; counts the server's syscalls for `syscallSeconds` mid-window.
async function measureChat(kind, { store, pairs, inflight, duration, warmup, syscallTool, syscallSeconds }) {
  const srv = await startServer(kind, { agents: pairs, store });
  let lg;
  try {
    lg = procs.spawnPinned(LOADGEN_CPU, LOADGEN, ['chat', String(pairs), '--port', String(srv.port),
      '--tokens', srv.tokensFile, '--inflight', String(inflight), '--duration', String(duration),
      '--warmup', String(warmup), '--setup-timeout', '60']);
    let sys = null;
    let secs = 0;
    const budget = (60 + warmup + duration + 30) * 1000;
    if (syscallTool && (await waitForTick(lg, budget))) {
      secs = Math.max(1, Math.min(syscallSeconds, duration - 2));
      await procs.sleep(1000);
      sys = await procs.countSyscalls(srv.pid, secs, syscallTool);
    }
    const rep = await procs.waitForJson(lg, (o) => o.mode === 'chat', budget, 'loadgen chat');
    const rssAfter = procs.rssBytes(srv.pid);
    const result = { server: kind, server_pid: srv.pid, store: kind === 'switchboard' ? store : undefined, ...rep, server_rss_after: rssAfter };
    if (sys) {
      const ticks = lg.errLines.filter((l) => l.startsWith('{"tick_ns"')).map((l) => JSON.parse(l));
      // The counter counted for `secs` ending just before t1 (its own start-up is not counted),
      // so compare rates over that span; the load is steady by then.
      const start = sys.t1 - BigInt(Math.round(secs * 1e9));
      const delivered = deliveredAt(ticks, sys.t1) - deliveredAt(ticks, start);
      const perMsg = (n) => (delivered > 0 ? Number((n / delivered).toFixed(3)) : null);
      const byName = {};
      for (const [k, v] of Object.entries(sys.byName)) byName[k] = perMsg(v);
      result.syscalls = {
        tool: sys.tool, seconds: secs, total: sys.total,
        delivered_in_window: Math.round(delivered), per_delivered_msg: perMsg(sys.total),
        per_delivered_msg_by_name: byName,
      };
    }
    return result;
  } finally {
    if (lg) await procs.stop(lg);
    await srv.stop();
  }
}

module.exports = { LOADGEN, measureIdle, measureChat };
