'use strict';
// Who is calling: the admin API takes the same bearer token an agent's `hello` does
// (`Authorization: Bearer <token>` from POST /api/v1/auth/login), checked by the core.

const { HttpError } = require('./router');

/**
 * The agent behind the request's bearer token; throws 401 without a valid one and 403 when
 * `role` is 'admin' and the agent is not.
 * @param {{headers: object}} req
 * @param {{core: object}} ctx
 * @param {{role?: 'agent'|'admin', site?: string}} [need] `site`: the agent must serve it
 * @returns {Promise<object>} the agent record
 */
async function requireAgent(req, ctx, need = {}) {
  const header = String((req.headers && req.headers.authorization) || '');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new HttpError(401, 'unauthorized', 'send Authorization: Bearer <token> (from POST /api/v1/auth/login)', { 'www-authenticate': 'Bearer' });
  const { agentId, error } = ctx.core.verifyAgentToken(m[1]);
  if (!agentId) throw new HttpError(401, 'unauthorized', error === 'expired' ? 'the token has expired; log in again' : 'the token is not valid', { 'www-authenticate': 'Bearer' });
  const agent = await ctx.core.getAgent(agentId);
  if (!agent) throw new HttpError(401, 'unauthorized', 'the token names an agent that no longer exists');
  if (need.role === 'admin' && agent.role !== 'admin') throw new HttpError(403, 'forbidden', 'this needs an admin');
  if (need.site && agent.role !== 'admin' && !(agent.sites || []).includes(need.site)) throw new HttpError(403, 'forbidden', 'you do not serve this site');
  return agent;
}

/** The site `key`, or 404. */
async function findSite(ctx, key) {
  const site = (await ctx.server.listSites()).find((s) => s.key === key);
  if (!site) throw new HttpError(404, 'not_found', `no site "${key}"`);
  return site;
}

module.exports = { requireAgent, findSite };
