'use strict';
// The admin HTTP API: every /api/* request the native server forwards (it answers
// /api/v1/health itself). One module per resource under routes/, registered here.

const { Router, HttpError, validateBody } = require('./router');
const { publicAgent } = require('./views');

const resources = [require('./routes/auth'), require('./routes/ai'), require('./routes/limits'), require('./routes/metrics')];

/**
 * A router with every resource's routes.
 * @returns {Router}
 */
function buildRouter() {
  const router = new Router();
  for (const register of resources) register(router);
  return router;
}

module.exports = { buildRouter, Router, HttpError, validateBody, publicAgent };
