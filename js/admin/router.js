'use strict';
// A small router for the HTTP requests the native server forwards to JS (`http` events):
// path patterns with `:params`, JSON bodies, and JSON answers for every outcome, errors
// included ({error: {code, message}}).

const JSON_TYPE = 'application/json; charset=utf-8';

/** An error with an HTTP status and a protocol error code, shown to the client as is. */
class HttpError extends Error {
  /**
   * @param {number} status
   * @param {'invalid'|'unauthorized'|'forbidden'|'not_found'|'too_large'|'conflict'|'rate_limited'|'unavailable'|'internal'} code
   * @param {string} message safe to show to the client (never echoes secrets)
   * @param {Record<string,string>} [headers]
   */
  constructor(status, code, message, headers) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks `body` against `{field: {type, required?, maxLength?}}` (or `{field: 'string'}` for a
 * required field of that type); throws a 400 naming the first bad field. Values are never echoed.
 */
function validateBody(body, spec) {
  if (!isObject(body)) throw new HttpError(400, 'invalid', 'the body must be a JSON object');
  for (const [field, rule] of Object.entries(spec)) {
    const { type, required = true, maxLength } = typeof rule === 'string' ? { type: rule } : rule;
    const v = body[field];
    if (v === undefined || v === null) {
      if (required) throw new HttpError(400, 'invalid', `${field} is required`);
      continue;
    }
    const actual = Array.isArray(v) ? 'array' : typeof v;
    if (actual !== type) throw new HttpError(400, 'invalid', `${field} must be a ${type}`);
    if (type === 'string' && required && v.length === 0) throw new HttpError(400, 'invalid', `${field} must not be empty`);
    if (maxLength !== undefined && v.length > maxLength) throw new HttpError(400, 'invalid', `${field} must be at most ${maxLength} characters`);
  }
}

function parseJson(req) {
  if (!req.body || req.body.length === 0) return undefined;
  const type = String((req.headers && req.headers['content-type']) || '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'invalid', 'send the body as application/json');
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid', 'the body is not valid JSON');
  }
}

function reply(status, body, headers) {
  return { status, headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

class Router {
  constructor() {
    /** @type {{method: string, pattern: string, re: RegExp, names: string[], handler: Function}[]} */
    this.routes = [];
  }

  /**
   * @param {'GET'|'POST'|'PUT'|'PATCH'|'DELETE'} method
   * @param {string} pattern e.g. '/api/v1/agents/:id'
   * @param {(r: {req: object, url: URL, params: object, body: any, ctx: object}) => Promise<{status?: number, body?: any, text?: string, headers?: object}>} handler
   *   answers `body` as JSON, or `text` as given (set its content-type in `headers`)
   * @returns {this}
   */
  add(method, pattern, handler) {
    const names = [];
    const source = pattern.replace(/[.+*?^${}()|[\]\\]/g, '\\$&').replace(/:([a-zA-Z]+)/g, (_, n) => (names.push(n), '([^/]+)'));
    this.routes.push({ method, pattern, re: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  /**
   * Answers one forwarded request.
   * @param {{method: string, url: string, headers: object, body: Buffer}} req
   * @param {object} ctx passed to handlers (core, config, logger…)
   * @returns {Promise<{status: number, headers: object, body: string}>} never rejects
   */
  async handle(req, ctx = {}) {
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
      const allowed = [];
      for (const r of this.routes) {
        const m = r.re.exec(url.pathname);
        if (!m) continue;
        if (r.method !== req.method) {
          allowed.push(r.method);
          continue;
        }
        const params = {};
        r.names.forEach((n, i) => (params[n] = decodeParam(m[i + 1])));
        const out = (await r.handler({ req, url, params, body: parseJson(req), ctx })) || {};
        if (out.text !== undefined) return { status: out.status || 200, headers: { 'cache-control': 'no-store', ...out.headers }, body: out.text };
        return reply(out.status || 200, out.body ?? {}, out.headers);
      }
      if (allowed.length) throw new HttpError(405, 'invalid', `use ${allowed.join(' or ')}`, { allow: allowed.join(', ') });
      throw new HttpError(404, 'not_found', 'no such route');
    } catch (err) {
      if (err instanceof HttpError) return reply(err.status, { error: { code: err.code, message: err.message } }, err.headers);
      if (ctx.logger) ctx.logger.error('admin route failed', { err, method: req.method, path: url ? url.pathname : req.url });
      return reply(500, { error: { code: 'internal', message: 'internal error' } });
    }
  }
}

function decodeParam(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'invalid', 'malformed percent-encoding in the path');
  }
}

module.exports = { Router, HttpError, validateBody, parseJson };
