// bench/ai/report.js — medians over the AI runs, the ratios against the peers, and the table
// printed at the end of `npm run bench -- --only ai`.
'use strict';
const { median } = require('../lib/report');

const NAMES = { direct: 'direct (no relay)', switchboard: 'switchboard', openai: 'openai + ws relay', portkey: 'portkey gateway' };

function byContender(runs, phase) {
  const out = {};
  for (const r of runs.filter((x) => x.phase === phase || (x.label || '').startsWith(`${phase} `))) {
    const k = r.contender || r.label.split(' ')[1];
    (out[k] = out[k] || []).push(r);
  }
  return out;
}

const med = (rs, f) => {
  const v = median(rs.map((r) => { try { return f(r); } catch { return null; } }));
  return v === null ? null : Number(v.toFixed(1));
};
const sum = (rs, f) => rs.reduce((a, r) => a + (Number(f(r)) || 0), 0);
const ratio = (a, b) => (a && b ? Number((a / b).toFixed(2)) : null);

function summarise(ai) {
  const s = { ttft: {}, rate: {}, memory: {}, ratios: {} };
  for (const [k, rs0] of Object.entries(byContender(ai.runs || [], 'ttft'))) {
    const rs = rs0.filter((r) => !r.error);
    s.ttft[k] = {
      ok_runs: rs.length, failures: rs0.filter((r) => r.error).map((r) => r.error),
      first_token_p50_us: med(rs, (r) => r.first_token.p50_us), first_token_p99_us: med(rs, (r) => r.first_token.p99_us),
      later_tokens_p50_us: med(rs, (r) => r.later_tokens.p50_us), later_tokens_p99_us: med(rs, (r) => r.later_tokens.p99_us),
      request_leg_p50_us: med(rs, (r) => r.request_leg.p50_us), request_leg_p99_us: med(rs, (r) => r.request_leg.p99_us),
      added_total_p50_us: med(rs, (r) => r.added_total.p50_us), added_total_p99_us: med(rs, (r) => r.added_total.p99_us),
      samples: sum(rs, (r) => r.first_token.count), short_replies: sum(rs, (r) => r.short_replies),
      tokens_per_frame: med(rs, (r) => r.tokens / r.frames),
    };
  }
  // Runs no other process disturbed (see measure.js): on a shared machine the p99s differ most.
  for (const [k, rs0] of Object.entries(byContender(ai.runs || [], 'ttft'))) {
    const rs = rs0.filter((r) => !r.error && !(r.foreign_cpu > 0.25));
    if (!rs.length) continue;
    s.ttft_quiet = s.ttft_quiet || {};
    s.ttft_quiet[k] = {
      runs: rs.length,
      first_token_p50_us: med(rs, (r) => r.first_token.p50_us), first_token_p99_us: med(rs, (r) => r.first_token.p99_us),
      later_tokens_p50_us: med(rs, (r) => r.later_tokens.p50_us), later_tokens_p99_us: med(rs, (r) => r.later_tokens.p99_us),
      request_leg_p50_us: med(rs, (r) => r.request_leg.p50_us), request_leg_p99_us: med(rs, (r) => r.request_leg.p99_us),
      added_total_p50_us: med(rs, (r) => r.added_total.p50_us), added_total_p99_us: med(rs, (r) => r.added_total.p99_us),
    };
  }
  for (const [k, rs0] of Object.entries(byContender(ai.runs || [], 'rate'))) {
    const rs = rs0.filter((r) => !r.error);
    s.rate[k] = {
      ok_runs: rs.length, failures: rs0.filter((r) => r.error).map((r) => r.error),
      offered_tokens_per_s: med(rs, (r) => r.offered_tokens_per_s), tokens_per_s: med(rs, (r) => r.tokens_per_s),
      tokens_per_frame: med(rs, (r) => r.tokens_per_frame), server_cpu: med(rs, (r) => r.server_cpu * 1000) / 1000,
      tokens_per_server_cpu_s: med(rs, (r) => r.tokens_per_s / r.server_cpu),
      aibench_cpu: med(rs, (r) => r.aibench_cpu * 1000) / 1000,
      token_p50_us: med(rs, (r) => r.token_latency.p50_us), token_p99_us: med(rs, (r) => r.token_latency.p99_us),
      upstream_lag_p99_us: med(rs, (r) => r.upstream_lag.p99_us),
      max_streams: med(rs, (r) => r.upstream.max_streams),
      streams_avg: med(rs, (r) => r.streams_open_avg),
      short_replies: sum(rs, (r) => r.short_replies), clients_lost: sum(rs, (r) => r.clients_lost),
    };
  }
  for (const [k, rs0] of Object.entries(byContender(ai.runs || [], 'memory'))) {
    const rs = rs0.filter((r) => !r.error);
    s.memory[k] = {
      ok_runs: rs.length, failures: rs0.filter((r) => r.error).map((r) => r.error),
      bytes_per_stream: med(rs, (r) => r.bytes_per_stream), bytes_per_idle_visitor: med(rs, (r) => r.bytes_per_idle_visitor),
      streams: med(rs, (r) => r.streams_reading),
    };
  }
  const busy = (ai.runs || []).filter((r) => r.foreign_cpu > 0.25).map((r) => `${r.label}: ${r.foreign_cpu}`);
  if (busy.length) s.disturbed_runs = busy;
  const t = s.ttft;
  if (t.switchboard && t.openai) {
    s.ratios['ttft first token p50, openai relay / switchboard'] = ratio(t.openai.first_token_p50_us, t.switchboard.first_token_p50_us);
    s.ratios['ttft first token p99, openai relay / switchboard'] = ratio(t.openai.first_token_p99_us, t.switchboard.first_token_p99_us);
    s.ratios['later tokens p50, openai relay / switchboard'] = ratio(t.openai.later_tokens_p50_us, t.switchboard.later_tokens_p50_us);
    s.ratios['later tokens p99, openai relay / switchboard'] = ratio(t.openai.later_tokens_p99_us, t.switchboard.later_tokens_p99_us);
  }
  for (const k of ['switchboard', 'openai', 'portkey']) {
    if (t[k] && t.direct && t[k].added_total_p50_us !== null) {
      s.ratios[`added TTFT over direct, ${k}, p50 us`] = Number((t[k].added_total_p50_us - t.direct.added_total_p50_us).toFixed(1));
      s.ratios[`added TTFT over direct, ${k}, p99 us`] = Number((t[k].added_total_p99_us - t.direct.added_total_p99_us).toFixed(1));
    }
  }
  if (s.rate.switchboard && s.rate.openai) {
    s.ratios['tokens/s, switchboard / openai relay'] = ratio(s.rate.switchboard.tokens_per_s, s.rate.openai.tokens_per_s);
    s.ratios['tokens per server cpu-second, switchboard / openai relay'] = ratio(s.rate.switchboard.tokens_per_server_cpu_s, s.rate.openai.tokens_per_server_cpu_s);
  }
  if (s.memory.switchboard && s.memory.openai) {
    s.ratios['bytes per stream, openai relay / switchboard'] = ratio(s.memory.openai.bytes_per_stream, s.memory.switchboard.bytes_per_stream);
  }
  return s;
}

function pad(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ')).join('\n') + '\n';
}
const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d));

function table(ai, s) {
  const w = ai.workloads;
  let text = `\nAI streaming (same upstream for all; client and upstream in aibench on CPU 1, relay on CPU 0)\n`;
  const r1 = [[`TTFT (${w.ttft.conns} conns, ${w.ttft.requests} replies x ${w.ttft.tokens} tokens), us`,
    'first tok p50', 'first tok p99', 'later p50', 'later p99', 'req leg p50', 'req leg p99', 'added p50', 'added p99', 'tok/frame', 'short']];
  for (const [k, v] of Object.entries(s.ttft)) {
    r1.push([NAMES[k] || k, f(v.first_token_p50_us), f(v.first_token_p99_us), f(v.later_tokens_p50_us), f(v.later_tokens_p99_us),
      f(v.request_leg_p50_us), f(v.request_leg_p99_us), f(v.added_total_p50_us), f(v.added_total_p99_us), f(v.tokens_per_frame, 2),
      v.short_replies + (v.failures.length ? ` (${v.failures.length} failed)` : '')]);
  }
  text += '\n' + pad(r1);
  if (s.ttft_quiet) {
    const rq = [['TTFT, undisturbed runs only, us', 'runs', 'first tok p50', 'first tok p99', 'later p50', 'later p99', 'req leg p50', 'req leg p99', 'added p50', 'added p99']];
    for (const [k, v] of Object.entries(s.ttft_quiet)) {
      rq.push([NAMES[k] || k, v.runs, f(v.first_token_p50_us), f(v.first_token_p99_us), f(v.later_tokens_p50_us), f(v.later_tokens_p99_us),
        f(v.request_leg_p50_us), f(v.request_leg_p99_us), f(v.added_total_p50_us), f(v.added_total_p99_us)]);
    }
    text += '\n' + pad(rq);
  }
  if (Object.keys(s.rate).length) {
    const r2 = [[`relay rate (${w.rate.conns} streams, ${w.rate.burst} chunks per write every ${w.rate.interval_us / 1000} ms)`,
      'streams avg/max', 'offered tok/s', 'tokens/s', 'tok/frame', 'server cpu', 'tok per cpu-s', 'tok p50 us', 'tok p99 us', 'aibench cpu', 'lag p99 us', 'short/lost']];
    for (const [k, v] of Object.entries(s.rate)) {
      r2.push([NAMES[k] || k, `${f(v.streams_avg, 0)}/${f(v.max_streams, 0)}`, f(v.offered_tokens_per_s, 0), f(v.tokens_per_s, 0), f(v.tokens_per_frame, 2), f(v.server_cpu, 2),
        f(v.tokens_per_server_cpu_s, 0), f(v.token_p50_us), f(v.token_p99_us), f(v.aibench_cpu, 2), f(v.upstream_lag_p99_us),
        `${v.short_replies}/${v.clients_lost}` + (v.failures.length ? ` (${v.failures.length} failed)` : '')]);
    }
    text += '\n' + pad(r2);
  }
  if (Object.keys(s.memory).length) {
    const r3 = [[`memory (${w.memory.conns} slow streams open)`, 'bytes/stream', 'bytes/idle visitor', 'streams']];
    for (const [k, v] of Object.entries(s.memory)) {
      r3.push([NAMES[k] || k, f(v.bytes_per_stream, 0), f(v.bytes_per_idle_visitor, 0), f(v.streams, 0) + (v.failures.length ? ` (${v.failures.length} failed)` : '')]);
    }
    text += '\n' + pad(r3);
  }
  for (const [k, v] of Object.entries(s.ratios)) text += `${k}: ${v}\n`;
  for (const [k, v] of Object.entries(ai.skipped || {})) text += `skipped ${k}: ${v}\n`;
  if (ai.build_changed_during_run) text += 'WARNING: build/Release/switchboard.node was rebuilt during the run\n';
  for (const d of s.disturbed_runs || []) text += `WARNING: other processes used CPU (cores) during ${d}\n`;
  return text;
}

module.exports = { summarise, table };
