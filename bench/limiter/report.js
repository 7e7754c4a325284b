// bench/limiter/report.js — the limiter bench's summary (goals, ratios between the gate
// configurations) and its printed tables.
'use strict';

const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(d));
const pctText = (x) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)} %`);

function levelLine(name, l) {
  return `${name} ${l.level}${typeof l.level === 'number' ? 'x' : ''}: goodput ${f(l.goodput_per_s)}/s ` +
    `(${pctText(l.goodput_vs_capacity)} of capacity), TTFT p50 ${f(l.ttft_ms.p50, 0)} p99 ${f(l.ttft_ms.p99, 0)} ms, ` +
    `to humans ${pctText(l.handed_share)}, upstream 429s ${l.upstream.r429}, max in flight ${l.upstream.max_in_flight}`;
}

function summarise(out) {
  const s = { configs: {}, ratios: {}, goals: {} };
  for (const c of out.goodput || []) {
    const unloaded = c.levels.find((l) => l.level === 'unloaded');
    const ref = unloaded ? unloaded.ttft_ms.p99 : null;
    const over = c.levels.filter((l) => typeof l.level === 'number');
    s.configs[c.config] = {
      unloaded_ttft_p50_ms: unloaded ? unloaded.ttft_ms.p50 : null, unloaded_ttft_p99_ms: ref,
      levels: Object.fromEntries(over.map((l) => [`${l.level}x`, {
        goodput_per_s: l.goodput_per_s, goodput_vs_capacity: l.goodput_vs_capacity,
        ttft_p50_ms: l.ttft_ms.p50, ttft_p99_ms: l.ttft_ms.p99, ttft_p99_vs_unloaded: ref && l.ttft_ms.p99 ? Number((l.ttft_ms.p99 / ref).toFixed(2)) : null,
        handed_share: l.handed_share, upstream_429: l.upstream.r429, upstream_max_in_flight: l.upstream.max_in_flight,
      }])),
    };
    s.goals[c.config] = {
      goodput_at_least_90pct_every_level: over.every((l) => l.goodput_vs_capacity >= 0.9),
      p99_ttft_within_2x_unloaded_every_level: ref ? over.every((l) => l.ttft_ms.p99 !== null && l.ttft_ms.p99 <= 2 * ref) : null,
    };
  }
  const a = s.configs.adaptive;
  for (const other of Object.keys(s.configs).filter((k) => k !== 'adaptive')) {
    if (!a) break;
    const b = s.configs[other];
    s.ratios[`adaptive/${other}`] = Object.fromEntries(Object.keys(a.levels).map((k) => {
      const x = a.levels[k];
      const y = b.levels[k];
      if (!y) return [k, null];
      const div = (p, q) => (p !== null && q ? Number((p / q).toFixed(2)) : null);
      return [k, { goodput: div(x.goodput_per_s, y.goodput_per_s), ttft_p99: div(x.ttft_p99_ms, y.ttft_p99_ms),
        upstream_429: div(x.upstream_429, y.upstream_429) }];
    }));
  }
  if (out.convergence) s.convergence = out.convergence.steps;
  return s;
}

function pad(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(w[i])).join('  ')).join('\n') + '\n';
}

function table(out) {
  let t = `\nSwitchboard limiter bench, ${out.date}, ${out.machine.cpu} x${out.machine.cores}, ` +
    `load average ${out.machine.loadavg_start.join(' ')} at start, ${out.machine.loadavg_end.join(' ')} at end\n`;
  if (out.micro) {
    const rows = [['rate_table::allow()', 'threads', 'ns/allow per thread', 'ns/allow overall', 'evictions']];
    for (const r of out.micro.rows) rows.push([r.case, r.threads, f(r.ns_per_allow_per_thread), f(r.ns_per_allow_overall), r.evictions]);
    t += `\n${pad(rows)}`;
    for (const [k, v] of Object.entries(out.micro.extra)) t += `${k}: ${v}\n`;
  }
  if (out.goodput && out.goodput.length) {
    t += `\nGoodput under overload: upstream capacity ${out.capacity.streams} streams = ${out.capacity.per_s} replies/s ` +
      `(${out.stream.serviceMs} ms each), queueTimeoutMs ${out.options.queueTimeoutMs}, ${out.options.duration} s per level\n`;
    for (const c of out.goodput) {
      const g = c.gate;
      t += `  ${c.config}: ${g.initialConcurrency ? `initialConcurrency = maxConcurrency = ${g.initialConcurrency}` : 'defaults (initialConcurrency 32, maxConcurrency 512)'}\n`;
    }
    const rows = [['config', 'level', 'offered/s', 'goodput/s', 'vs capacity', 'TTFT p50 ms', 'TTFT p99 ms', 'to humans',
      'busy/unavail', 'handoff wait p99/max ms', 'past budget', '429s', 'upstream max in flight', 'gate limit mean [min-max]', 'gate queued max', 'server cpu', 'upstream cpu', 'loadgen cpu', 'loadgen lag p99 ms']];
    for (const c of out.goodput) {
      for (const l of c.levels) {
        const g = l.gate || {};
        rows.push([c.config, typeof l.level === 'number' ? `${l.level}x` : l.level, f(l.offered_per_s), f(l.goodput_per_s),
          pctText(l.goodput_vs_capacity), f(l.ttft_ms.p50, 0), f(l.ttft_ms.p99, 0), pctText(l.handed_share),
          `${l.busy}/${l.unavailable}`, `${f(l.handoff_wait_ms.p99, 0)}/${f(l.handoff_wait_ms.max, 0)}`, l.handoffs_past_budget, l.upstream.r429, l.upstream.max_in_flight,
          `${f(g.limit_mean)} [${g.limit_min}-${g.limit_max}]`, g.queued_max, f(l.server.cpu, 2), f(l.upstream.cpu, 2), f(l.loadgen_cpu, 2), f(l.send_lag_ms.p99, 0)]);
      }
    }
    t += pad(rows);
    const cold = out.goodput.filter((c) => c.cold);
    if (cold.length) {
      t += `\nCold start: a fresh server meets ${cold[0].cold.offered_rate} req/s at once, ${out.options.cold} s\n`;
      const r = [['config', 'limit <= 1.1 x capacity after s', 'gate in flight max', 'upstream 429s', 'goodput/s', 'TTFT p50 ms', 'TTFT p99 ms', 'to humans', 'busy/unavail']];
      for (const c of cold) {
        const l = c.cold;
        r.push([c.config, f(l.limit_within_110pct_after_s, 1), l.gate_in_flight_max, l.upstream.r429, f(l.goodput_per_s), f(l.ttft_ms.p50, 0),
          f(l.ttft_ms.p99, 0), pctText(l.handed_share), `${l.busy}/${l.unavailable}`]);
      }
      t += pad(r);
    }
    for (const [k, v] of Object.entries(out.summary.ratios)) {
      t += `ratio ${k}: ${Object.entries(v).map(([lvl, r]) => (r ? `${lvl} goodput ${f(r.goodput, 2)} p99 ${f(r.ttft_p99, 2)}` : `${lvl} -`)).join('; ')}\n`;
    }
    for (const [k, v] of Object.entries(out.summary.goals)) {
      t += `goals ${k}: goodput >= 90 % at every level: ${v.goodput_at_least_90pct_every_level ? 'yes' : 'NO'}; ` +
        `p99 TTFT <= 2x unloaded: ${v.p99_ttft_within_2x_unloaded_every_level ? 'yes' : 'NO'}\n`;
    }
  }
  if (out.convergence) {
    const c = out.convergence;
    t += `\nConvergence (adaptive), capacity ${c.capacities.join(' -> ')}, ${c.offered_rate} req/s, ${c.phase_s} s per step\n`;
    const rows = [['capacity', 'limit at step', 'within 10 % after s', 'share within 10 % after', 'limit 2nd half mean [min-max]',
      'upstream in flight 2nd half', 'upstream 429s']];
    for (const s of c.steps) {
      rows.push([s.capacity, s.from_limit, f(s.within_10pct_after_s, 2), pctText(s.share_within_10pct_after),
        s.second_half ? `${f(s.second_half.mean)} [${s.second_half.min}-${s.second_half.max}]` : '-',
        s.second_half ? f(s.second_half.upstream_mean_in_flight) : '-', s.upstream_429]);
    }
    t += pad(rows);
    t += `  whole run: goodput ${f(c.figures.goodput_per_s)}/s, TTFT p50/p99 ${f(c.figures.ttft_ms.p50, 0)}/${f(c.figures.ttft_ms.p99, 0)} ms, ` +
      `to humans ${pctText(c.figures.handed_share)}, upstream 429s ${c.figures.upstream.r429}\n`;
  }
  return t;
}

module.exports = { summarise, table, levelLine };
