'use strict';
// Authentication: POST /api/v1/auth/login {email, password} -> {token, agent, expiresIn}.

const { verifyPassword } = require('../../auth');
const { HttpError, validateBody } = require('../router');
const { publicAgent } = require('../views');

/** @param {import('../router').Router} router */
module.exports = function authRoutes(router) {
  router.add('POST', '/api/v1/auth/login', async ({ req, body, ctx }) => {
    validateBody(body, { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 1024 } });
    const email = body.email.trim().toLowerCase();
    // Guessing is limited by address and by account, before any password work is spent.
    const gate = ctx.core.checkLogin(req.remote || '', email);
    if (!gate.allowed) {
      const seconds = Math.ceil(gate.retryAfterMs / 1000);
      if (ctx.logger) ctx.logger.warn('login rate-limited', { remote: req.remote });
      throw new HttpError(429, 'rate_limited', `too many login attempts; retry in ${seconds} s`, { 'retry-after': String(seconds) });
    }
    const agent = await ctx.core.getAgentByEmail(email);
    // Without an agent, verify against a dummy hash anyway so the timing does not tell
    // which e-mails exist; both failures get the same answer.
    const ok = await verifyPassword(body.password, agent ? agent.passwordHash : ctx.dummyHash);
    if (!agent || !ok) {
      if (ctx.logger) ctx.logger.info('login failed', { remote: req.remote });
      throw new HttpError(401, 'unauthorized', 'wrong e-mail or password');
    }
    const ttl = ctx.config.auth.tokenTtlSeconds;
    const token = ctx.core.signAgentToken(agent.id, ttl);
    if (ctx.logger) ctx.logger.info('login', { agent: agent.id, remote: req.remote });
    return { body: { token, expiresIn: ttl, agent: publicAgent(agent) } };
  });
};
