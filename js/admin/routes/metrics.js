'use strict';
// GET /metrics: the server's counters in the Prometheus text format. Open to loopback (a
// scraper or sidecar on the same host); from elsewhere it needs an admin's bearer token.

const { requireAgent } = require('../guard');

const LOOPBACK = /^(127\.|\[::1\]|::1|::ffff:127\.)/;

/** Prometheus exposition lines for `name` (help, type, samples). */
function metric(out, name, type, help, samples) {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
    out.push(`${name}${l.length ? `{${l.join(',')}}` : ''} ${Number(value) || 0}`);
  }
}

/** The text of /metrics from server.stats(). */
function exposition(stats) {
  const out = [];
  const one = (v) => [[{}, v]];
  metric(out, 'switchboard_connections', 'gauge', 'Open WebSocket connections.', one(stats.websockets));
  metric(out, 'switchboard_visitors_connected', 'gauge', 'Visitor connections after hello.', one(stats.visitorsConnected));
  metric(out, 'switchboard_agents_connected', 'gauge', 'Agent connections after hello.', one(stats.agentsConnected));
  metric(out, 'switchboard_conversations_open', 'gauge', 'Open conversations.', one(stats.conversationsOpen));
  metric(out, 'switchboard_queued', 'gauge', 'Conversations waiting for an agent.', one(stats.queued));
  metric(out, 'switchboard_messages_acked_total', 'counter', 'Messages stored and acknowledged.', one(stats.messagesAcked));
  metric(out, 'switchboard_messages_failed_total', 'counter', 'Messages the store refused.', one(stats.messagesFailed));
  metric(out, 'switchboard_store_writes_queued', 'gauge', 'Store writes waiting for the writer thread.', one(stats.store.writesQueued));
  metric(out, 'switchboard_store_writes_total', 'counter', 'Store writes committed.', one(stats.store.writesTotal));
  const lim = stats.limits;
  metric(out, 'switchboard_rate_limited_total', 'counter', 'Events refused by a rate limit, by action.', Object.entries(lim.refused).map(([action, v]) => [{ action }, v]));
  metric(out, 'switchboard_flood_closes_total', 'counter', 'Connections closed with 4429 for flooding.', one(lim.floodCloses));
  metric(out, 'switchboard_saturated_refusals_total', 'counter', 'New visitors or conversations held back while saturated.', one(lim.saturatedRefusals));
  metric(out, 'switchboard_saturated', 'gauge', '1 while the server counts as saturated.', one(lim.saturated ? 1 : 0));
  metric(out, 'switchboard_io_lag_ms', 'gauge', 'How late the I/O threads ran a timer, last sample.', one(lim.ioLagMs));
  metric(out, 'switchboard_rate_keys', 'gauge', 'Keys in the rate-limit table.', one(lim.keys));
  metric(out, 'switchboard_rate_key_capacity', 'gauge', 'Keys the rate-limit table can hold.', one(lim.keyCapacity));
  metric(out, 'switchboard_rate_evictions_total', 'counter', 'Active keys dropped from the full rate-limit table.', one(lim.evictions));
  const ai = stats.ai;
  metric(out, 'switchboard_ai_replies_total', 'counter', 'Bot replies stored.', one(ai.replies));
  metric(out, 'switchboard_ai_failures_total', 'counter', 'Bot replies the upstream did not finish.', one(ai.failures));
  metric(out, 'switchboard_ai_handoffs_total', 'counter', 'Conversations the bot handed to humans.', one(ai.handoffs));
  metric(out, 'switchboard_ai_upstream_active', 'gauge', 'AI requests started and not ended.', one(ai.upstreamActive));
  metric(out, 'switchboard_ai_upstream_retries_total', 'counter', 'AI request retries.', one(ai.upstreamRetries));
  metric(out, 'switchboard_ai_tokens_total', 'counter', 'Tokens used, by kind.', [[{ kind: 'prompt' }, ai.promptTokens], [{ kind: 'completion' }, ai.completionTokens]]);
  for (const [name, field, help] of [
    ['switchboard_ai_concurrency_limit', 'limit', 'The learned limit of AI requests in flight, per upstream.'],
    ['switchboard_ai_in_flight', 'inFlight', 'AI requests in flight, per upstream.'],
    ['switchboard_ai_queued', 'queued', 'AI requests waiting for a slot, per upstream.'],
    ['switchboard_ai_baseline_ms', 'baselineMs', 'Lowest recent time to first token, per upstream.'],
    ['switchboard_ai_throttle_probability', 'rejectProbability', 'Client-side throttling probability, per upstream.'],
    ['switchboard_ai_shed_total', 'shed', 'AI requests handed to humans instead of waiting, per upstream.'],
  ])
    metric(out, name, name.endsWith('_total') ? 'counter' : 'gauge', help, (ai.upstreams || []).map((u) => [{ upstream: u.upstream }, u[field]]));
  return out.join('\n') + '\n';
}

/** @param {import('../router').Router} router */
module.exports = function metricsRoutes(router) {
  router.add('GET', '/metrics', async ({ req, ctx }) => {
    if (!LOOPBACK.test(String(req.remote || ''))) await requireAgent(req, ctx, { role: 'admin' });
    return { text: exposition(ctx.server.stats()), headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } };
  });
};

module.exports.exposition = exposition;
