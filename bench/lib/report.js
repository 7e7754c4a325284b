// bench/lib/report.js — turns the bench's raw runs into medians, ratios and a printed table.
'use strict';

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const sum = (xs) => xs.reduce((a, x) => a + (Number(x) || 0), 0);

function oneLine(r) {
  if (r.error) return `error: ${r.error}`;
  return oneLineBody(r);
}

function oneLineBody(r) {
  if (r.mode === 'chat') {
    const sys = r.syscalls ? ` sys/msg ${r.syscalls.per_delivered_msg}` : '';
    const bad = r.fatal ? ` FATAL ${r.fatal}` : '';
    return `${Math.round(r.delivered_per_s)} msg/s, ack p99 ${r.ack_ms.p99} ms, delivery p99 ` +
      `${r.delivery_ms.p99} ms, loadgen cpu ${r.loadgen_cpu}${sys}${bad}`;
  }
  return `${r.welcomed}/${r.target} welcomed, ${r.user_bytes_per_conn} B/conn user, ` +
    `${r.kernel_slab_bytes_per_conn} B/conn kernel slab`;
}

function summariseIdle(runs) {
  const ok = runs.filter((r) => !r.error);
  return {
    runs: runs.length, ok_runs: ok.length,
    welcomed: median(ok.map((r) => r.welcomed)),
    user_bytes_per_conn: median(ok.map((r) => r.user_bytes_per_conn)),
    kernel_tcp_buf_bytes_per_conn: median(ok.map((r) => r.kernel_tcp_buf_bytes_per_conn)),
    kernel_slab_bytes_per_conn: median(ok.map((r) => r.kernel_slab_bytes_per_conn)),
    closed_during_hold: sum(ok.map((r) => r.closed_during_hold)),
    errors: runs.filter((r) => r.error).map((r) => r.error),
  };
}

function summariseChat(runs, sysRuns = []) {
  const ok = runs.filter((r) => !r.error && !r.fatal);
  const c = (k) => sum(ok.map((r) => r.correctness[k]));
  return {
    runs: runs.length, ok_runs: ok.length,
    acked_per_s: median(ok.map((r) => r.acked_per_s)),
    delivered_per_s: median(ok.map((r) => r.delivered_per_s)),
    ack_p50_ms: median(ok.map((r) => r.ack_ms.p50)), ack_p99_ms: median(ok.map((r) => r.ack_ms.p99)),
    delivery_p50_ms: median(ok.map((r) => r.delivery_ms.p50)),
    delivery_p99_ms: median(ok.map((r) => r.delivery_ms.p99)),
    loadgen_cpu: median(ok.map((r) => r.loadgen_cpu)),
    syscalls_per_delivered_msg: median(sysRuns.map((r) => r.syscalls && r.syscalls.per_delivered_msg)),
    syscalls_by_name: (sysRuns.find((r) => r.syscalls) || {}).syscalls?.per_delivered_msg_by_name,
    correctness: { seq_gaps: c('seq_gaps'), seq_dups: c('seq_dups'), lost: c('lost'),
      unacked: c('unacked'), foreign_conv: c('foreign_conv') },
    error_frames: sum(ok.map((r) => r.errors.error_frames)),
    failures: runs.filter((r) => r.error || r.fatal).map((r) => r.error || r.fatal),
  };
}

function summarise(out) {
  const s = { idle: {}, durable: {}, transport: {}, ratios: {} };
  for (const [k, runs] of Object.entries(out.idle)) s.idle[k] = summariseIdle(runs);
  const sys = out.syscall_runs || {};
  for (const [k, runs] of Object.entries(out.durable)) s.durable[k] = summariseChat(runs, sys[k]);
  for (const [k, runs] of Object.entries(out.transport)) s.transport[k] = summariseChat(runs, sys[k]);
  if (out.ai) s.ai = require('../ai/report').summarise(out.ai); // lazy: ai/report needs median
  const sb = s.transport['switchboard-memory'];
  if (sb && sb.delivered_per_s) {
    for (const [k, v] of Object.entries(s.transport)) {
      if (k !== 'switchboard-memory' && v.delivered_per_s) {
        s.ratios[`switchboard-memory/${k}`] = Number((sb.delivered_per_s / v.delivered_per_s).toFixed(2));
      }
    }
  }
  return s;
}

function pad(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ')).join('\n') + '\n';
}

const f = (x, d = 2) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));

function table(out) {
  const s = out.summary;
  let text = `\nSwitchboard bench, ${out.date}, ${out.machine.cpu} x${out.machine.cores}, medians of ${out.options.reps} runs\n`;
  if (Object.keys(s.idle).length) {
    const rows = [['idle (' + out.options.idleConns + ' visitors)', 'welcomed', 'user B/conn', 'kernel slab B/conn', 'kernel tcp buf B/conn', 'dropped']];
    for (const [k, v] of Object.entries(s.idle)) {
      rows.push([k, f(v.welcomed, 0), f(v.user_bytes_per_conn, 0), f(v.kernel_slab_bytes_per_conn, 0),
        f(v.kernel_tcp_buf_bytes_per_conn, 0), v.closed_during_hold]);
    }
    text += '\n' + pad(rows);
  }
  const chatRows = (title, group) => {
    const rows = [[title, 'msgs/s', 'ack p50', 'ack p99', 'deliv p50', 'deliv p99', 'sys/msg', 'loadgen cpu', 'gaps/dups/lost']];
    for (const [k, v] of Object.entries(group)) {
      rows.push([k, f(v.delivered_per_s, 0), f(v.ack_p50_ms), f(v.ack_p99_ms), f(v.delivery_p50_ms),
        f(v.delivery_p99_ms), f(v.syscalls_per_delivered_msg, 3),
        f(v.loadgen_cpu) + (v.loadgen_cpu >= 0.9 ? ' (saturated)' : ''),
        `${v.correctness.seq_gaps}/${v.correctness.seq_dups}/${v.correctness.lost}` +
        (v.failures.length ? ` (${v.failures.length} failed)` : '')]);
    }
    return '\n' + pad(rows);
  };
  const o = out.options;
  const wl = `${o.pairs} pairs, ${o.inflight} in flight, ${o.duration} s`;
  if (Object.keys(s.durable).length) text += chatRows(`durable acks (${wl})`, s.durable);
  if (Object.keys(s.transport).length) text += chatRows(`no persistence (${wl})`, s.transport);
  for (const [k, v] of Object.entries(s.ratios)) text += `ratio ${k}: ${v}\n`;
  if (s.ai) text += require('../ai/report').table(out.ai, s.ai);
  return text;
}

module.exports = { median, summarise, table, oneLine };
