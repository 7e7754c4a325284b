'use strict';
// Rate limits in the admin API (admin only):
//   GET /api/v1/limits                    the defaults in force and the limiter's counters
//   GET /api/v1/sites/:key/rate-limits    a site's own overrides
//   PUT /api/v1/sites/:key/rate-limits    replaces them ({"message.visitor": {...} | null, ...})

const { validateRules } = require('../../config');
const { requireAgent, findSite } = require('../guard');
const { HttpError } = require('../router');

/** @param {import('../router').Router} router */
module.exports = function limitRoutes(router) {
  router.add('GET', '/api/v1/limits', async ({ req, ctx }) => {
    await requireAgent(req, ctx, { role: 'admin' });
    const stats = ctx.server.stats();
    return { body: { defaults: ctx.config.rateLimits, limits: stats.limits, ai: stats.ai.upstreams || [] } };
  });

  router.add('GET', '/api/v1/sites/:key/rate-limits', async ({ req, params, ctx }) => {
    await requireAgent(req, ctx, { role: 'admin' });
    const site = await findSite(ctx, params.key);
    return { body: { site: site.key, rateLimits: site.rateLimits || {} } };
  });

  router.add('PUT', '/api/v1/sites/:key/rate-limits', async ({ req, params, body, ctx }) => {
    const admin = await requireAgent(req, ctx, { role: 'admin' });
    await findSite(ctx, params.key);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid', 'the body must be a JSON object of rate limits');
    try {
      validateRules(body, 'rateLimits');
    } catch (err) {
      throw new HttpError(400, 'invalid', err.message.replace(/^SB_CONFIG_INVALID: /, ''));
    }
    const stored = await ctx.server.putSite({ key: params.key, rateLimits: body });
    if (ctx.logger) ctx.logger.info('site rate limits changed', { site: params.key, by: admin.id });
    return { body: { site: stored.key, rateLimits: stored.rateLimits } };
  });
};
