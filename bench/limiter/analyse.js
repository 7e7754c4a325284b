// bench/limiter/analyse.js — figures from one measurement window: the visitors' requests due
// in it (goodput, time to first delta, hand-overs) and the 100 ms samples of the server's gate
// and of the upstream taken during it; and the convergence of the learned limit after each
// capacity step.
'use strict';
const { performance } = require('perf_hooks');

// Nearest-rank percentile of a sorted array.
function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const r1 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10);
const sorted = (xs) => xs.slice().sort((a, b) => a - b);
const toPerf = (at) => at - performance.timeOrigin; // a child's Date.now() on our clock

// Samples whose time falls in [t0, t1] (performance.now() ms), plus the last one before t0
// (the counters' starting point).
function within(samples, t0, t1) {
  let before = null;
  const inside = [];
  for (const s of samples) {
    const t = toPerf(s.at);
    if (t < t0) before = s;
    else if (t <= t1) inside.push(s);
  }
  return { before: before || inside[0], inside };
}

function delta(w, get) {
  const last = w.inside[w.inside.length - 1];
  if (!last || !w.before) return null;
  const a = get(w.before);
  const b = get(last);
  return a === undefined || b === undefined ? null : b - a;
}

// Figures of the requests due in [t0, t1) (the offered load) and of those whose outcome came
// in it (goodput, latencies, hand-overs): counting outcomes by when they happen keeps the
// figures free of end effects (requests due late in a window are served after it, under the
// next load) once the warm-up has brought the queue to its steady state.
function requestFigures(requests, level, t0, t1, budgetMs) {
  const seconds = (t1 - t0) / 1000;
  const due = requests.filter((r) => r.level === level && r.due >= t0 && r.due < t1);
  const done = requests.filter((r) => r.outcome && r.end >= t0 && r.end < t1);
  const by = {};
  for (const r of done) by[r.outcome] = (by[r.outcome] || 0) + 1;
  const bot = done.filter((r) => r.outcome === 'bot');
  const ttft = sorted(bot.map((r) => r.first - r.due));
  const handed = done.filter((r) => ['busy', 'unavailable', 'handoff_other', 'system_other'].includes(r.outcome));
  const wait = sorted(handed.map((r) => r.end - r.due));
  const lag = sorted(due.filter((r) => r.sent).map((r) => r.sent - r.due));
  return {
    offered: due.length, offered_per_s: r1(due.length / seconds), resolved: done.length, outcomes: by,
    other_levels_resolved: done.filter((r) => r.level !== level).length,
    goodput_per_s: r1(bot.length / seconds),
    ttft_ms: { p50: r1(pct(ttft, 50)), p90: r1(pct(ttft, 90)), p99: r1(pct(ttft, 99)), max: r1(ttft[ttft.length - 1]) },
    handed_share: done.length ? Number((handed.length / done.length).toFixed(4)) : null,
    busy: by.busy || 0, unavailable: by.unavailable || 0,
    handoff_wait_ms: { p50: r1(pct(wait, 50)), p99: r1(pct(wait, 99)), max: r1(wait[wait.length - 1]) },
    // Told "busy" later than the wait budget (+100 ms of slack), and first tokens later than
    // the budget plus one unloaded time to first token (+200 ms).
    handoffs_past_budget: budgetMs ? wait.filter((w) => w > budgetMs + 100).length : null,
    first_tokens_past_budget: budgetMs ? ttft.filter((w) => w > budgetMs + 200).length : null,
    send_lag_ms: { p50: r1(pct(lag, 50)), p99: r1(pct(lag, 99)) },
  };
}

// One level's figures: its requests (above) and the samples of the same span.
function windowFigures({ requests, level, t0, t1, server, upstream, capacityPerS, budgetMs }) {
  const seconds = (t1 - t0) / 1000;
  const f = requestFigures(requests, level, t0, t1, budgetMs);
  f.seconds = r1(seconds);
  f.goodput_vs_capacity = capacityPerS ? Number((f.goodput_per_s / capacityPerS).toFixed(3)) : null;
  const u = within(upstream.samples, t0, t1);
  const g = within(server.samples, t0, t1);
  const gates = g.inside.map((s) => s.gate).filter(Boolean);
  const mean = (xs) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : null);
  f.upstream = {
    requests: delta(u, (s) => s.requests), accepted: delta(u, (s) => s.ok), r429: delta(u, (s) => s.r429),
    completed: delta(u, (s) => s.completed), cancelled: delta(u, (s) => s.cancelled),
    max_in_flight: Math.max(0, ...u.inside.map((s) => s.maxStreams)),
    mean_in_flight: r1(mean(u.inside.map((s) => s.streams))),
    max_open_requests: Math.max(0, ...u.inside.map((s) => s.maxOpen)),
    cpu: r1(u.inside.reduce((a, s) => a + s.cpuMs, 0) / (seconds * 1000) * 100) / 100,
  };
  f.upstream.r429_per_s = f.upstream.r429 === null ? null : r1(f.upstream.r429 / seconds);
  f.gate = gates.length ? {
    limit_mean: r1(mean(gates.map((s) => s.limit))), limit_min: Math.min(...gates.map((s) => s.limit)),
    limit_max: Math.max(...gates.map((s) => s.limit)), in_flight_max: Math.max(...gates.map((s) => s.inFlight)),
    queued_max: Math.max(...gates.map((s) => s.queued)),
    shed: delta(g, (s) => s.gate && s.gate.shed), overloads: delta(g, (s) => s.gate && s.gate.overloads),
    reject_probability_max: r1(Math.max(...gates.map((s) => s.rejectProbability)) * 1000) / 1000,
    retries: delta(g, (s) => s.bot.retries),
  } : null;
  f.last_errors = [...new Set(g.inside.map((s) => s.bot.lastError).filter(Boolean))].slice(0, 6);
  f.server = {
    cpu: r1(g.inside.reduce((a, s) => a + s.cpuMs, 0) / (seconds * 1000) * 100) / 100,
    io_lag_ms_max: Math.max(0, ...g.inside.map((s) => (s.limits ? s.limits.ioLagMs : 0))),
    saturated_samples: g.inside.filter((s) => s.limits && s.limits.saturated).length,
    saturated_refusals: delta(g, (s) => s.limits && s.limits.saturatedRefusals),
    refused_conversations: delta(g, (s) => s.limits && s.limits.refused && s.limits.refused.conversation),
    refused_messages: delta(g, (s) => s.limits && s.limits.refused && s.limits.refused.message),
    store_queued_max: Math.max(0, ...g.inside.map((s) => s.storeQueued || 0)),
  };
  return f;
}

// After each step of `steps` ([{t, capacity}], performance.now() ms) until `end`: when the
// learned limit first came within ±10 % of the new capacity, and how it behaved after.
function convergence(server, upstream, steps, end) {
  return steps.map((step, i) => {
    const stop = i + 1 < steps.length ? steps[i + 1].t : end;
    const u = within(upstream.samples, step.t, stop);
    const uHalf = u.inside.filter((s) => toPerf(s.at) >= (step.t + stop) / 2);
    const series = server.samples.filter((s) => s.gate && toPerf(s.at) >= step.t && toPerf(s.at) < stop)
      .map((s) => ({ t: toPerf(s.at) - step.t, limit: s.gate.limit }));
    const near = (s) => Math.abs(s.limit - step.capacity) <= 0.1 * step.capacity;
    const first = series.find(near);
    const after = first ? series.filter((s) => s.t >= first.t) : [];
    const last = series.filter((s) => s.t >= (stop - step.t) / 2);
    const lim = (xs) => xs.map((s) => s.limit);
    return {
      capacity: step.capacity, from_limit: series.length ? series[0].limit : null, phase_s: r1((stop - step.t) / 1000),
      within_10pct_after_s: first ? Number((first.t / 1000).toFixed(2)) : null,
      share_within_10pct_after: after.length ? Number((after.filter(near).length / after.length).toFixed(2)) : null,
      second_half: last.length ? { mean: r1(lim(last).reduce((a, x) => a + x, 0) / last.length),
        min: Math.min(...lim(last)), max: Math.max(...lim(last)),
        upstream_mean_in_flight: uHalf.length ? r1(uHalf.reduce((a, s) => a + s.streams, 0) / uHalf.length) : null } : null,
      upstream_429: delta(u, (s) => s.r429), upstream_accepted: delta(u, (s) => s.ok),
    };
  });
}

module.exports = { windowFigures, convergence, toPerf, pct };
