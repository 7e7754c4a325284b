'use strict';
// The HTTP routes the native server forwards to JS (everything under /api/ except health).
// A small router: routes are registered per resource, bodies are JSON and validated with
// errors that name the field, and every answer is JSON.

const { verifyPassword } = require('./auth');

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Checks `body` against `{field: 'string'|'number'|...}`; throws 400 naming the field. */
function requireFields(body, spec) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid', 'the body must be a JSON object');
  for (const [field, type] of Object.entries(spec)) {
    if (body[field] === undefined || body[field] === null) throw new HttpError(400, 'invalid', `${field} is required`);
    if (typeof body[field] !== type) throw new HttpError(400, 'invalid', `${field} must be a ${type}`);
  }
}

function parseJson(req) {
  if (!req.body || req.body.length === 0) return undefined;
  const type = String(req.headers['content-type'] || '');
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'invalid', 'send the body as application/json');
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid', 'the body is not valid JSON');
  }
}

class Router {
  constructor() {
    this.routes = [];
  }

  /** @param {string} method @param {string} pattern e.g. '/api/v1/agents/:id' */
  add(method, pattern, handler) {
    const names = [];
    const re = new RegExp('^' + pattern.replace(/:([a-zA-Z]+)/g, (_, n) => (names.push(n), '([^/]+)')) + '$');
    this.routes.push({ method, re, names, handler });
  }

  /** Resolves to {status, headers, body}; never rejects. */
  async handle(req, ctx) {
    const url = new URL(req.url, 'http://localhost');
    let matchedPath = false;
    try {
      for (const r of this.routes) {
        const m = r.re.exec(url.pathname);
        if (!m) continue;
        matchedPath = true;
        if (r.method !== req.method) continue;
        const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
        const out = await r.handler({ req, url, params, body: parseJson(req), ctx });
        return { status: out.status || 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out.body ?? {}) };
      }
      if (matchedPath) throw new HttpError(405, 'invalid', 'method not allowed');
      throw new HttpError(404, 'not_found', 'no such route');
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const code = err instanceof HttpError ? err.code : 'internal';
      if (status === 500 && ctx.logger) ctx.logger.error('admin route failed', { err, url: url.pathname });
      const message = status === 500 ? 'internal error' : err.message;
      return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code, message } }) };
    }
  }
}

/** The public view of an agent: never the password hash. */
function publicAgent(a) {
  return { id: a.id, email: a.email, name: a.name, role: a.role, maxChats: a.maxChats, sites: a.sites, teams: a.teams };
}

/** Routes of this release: authentication. Later resources register on the same router. */
function authRoutes(router) {
  router.add('POST', '/api/v1/auth/login', async ({ body, ctx }) => {
    requireFields(body, { email: 'string', password: 'string' });
    const email = body.email.trim().toLowerCase();
    const agent = await ctx.core.getAgentByEmail(email);
    // Verify against a dummy hash when the agent does not exist, so timing does not tell.
    const ok = await verifyPassword(body.password, agent ? agent.passwordHash : ctx.dummyHash);
    if (!agent || !ok) throw new HttpError(401, 'unauthorized', 'wrong e-mail or password');
    const token = ctx.core.signAgentToken(agent.id, ctx.config.auth.tokenTtlSeconds);
    return { body: { token, agent: publicAgent(agent), expiresIn: ctx.config.auth.tokenTtlSeconds } };
  });
}

function buildRouter() {
  const router = new Router();
  authRoutes(router);
  return router;
}

module.exports = { Router, HttpError, buildRouter, publicAgent, requireFields };
