'use strict';
// The assistant in the admin API:
//   GET  /api/v1/sites/:key/ai        a site's own assistant settings (admin; key shown as "(set)")
//   PUT  /api/v1/sites/:key/ai        replaces them (admin); {"apiKey": "(set)"} keeps the stored key
//   GET  /api/v1/sites/:key/ai/usage  tokens used by the site, or one conversation (?conv=)
//   GET  /api/v1/ai/stats             the AI client's counters and its last error (admin)

const { validateSite } = require('../../config');
const { requireAgent, findSite } = require('../guard');
const { HttpError } = require('../router');

/** @param {import('../router').Router} router */
module.exports = function aiRoutes(router) {
  router.add('GET', '/api/v1/sites/:key/ai', async ({ req, params, ctx }) => {
    await requireAgent(req, ctx, { role: 'admin' });
    const site = await findSite(ctx, params.key);
    return { body: { site: site.key, ai: site.ai } };
  });

  router.add('PUT', '/api/v1/sites/:key/ai', async ({ req, params, body, ctx }) => {
    const admin = await requireAgent(req, ctx, { role: 'admin' });
    await findSite(ctx, params.key);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid', 'the body must be a JSON object of assistant settings');
    try {
      validateSite({ key: params.key, ai: body }, 'site');
    } catch (err) {
      throw new HttpError(400, 'invalid', err.message.replace(/^SB_CONFIG_INVALID: /, ''));
    }
    const stored = await ctx.server.putSite({ key: params.key, ai: body });
    if (ctx.logger) ctx.logger.info('site assistant settings changed', { site: params.key, by: admin.id });
    return { body: { site: stored.key, ai: stored.ai } };
  });

  router.add('GET', '/api/v1/sites/:key/ai/usage', async ({ req, url, params, ctx }) => {
    await requireAgent(req, ctx, { site: params.key });
    await findSite(ctx, params.key);
    const conv = url.searchParams.get('conv') || '';
    const totals = await ctx.core.aiUsage(params.key, conv);
    return { body: { site: params.key, ...(conv ? { conv } : {}), ...totals } };
  });

  router.add('GET', '/api/v1/ai/stats', async ({ req, ctx }) => {
    await requireAgent(req, ctx, { role: 'admin' });
    return { body: ctx.server.stats().ai };
  });
};
