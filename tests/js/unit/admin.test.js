'use strict';
// The admin router in isolation: routing, JSON handling, validation and login. The native
// Core is replaced by a small stand-in here because only the router's own logic is under
// test; the real login runs end to end in tests/e2e/70-http.test.js.
const { Router, buildRouter, HttpError, validateBody } = require('../../../js/admin');
const { hashPassword } = require('../../../js/auth');

const req = (method, url, body, type = 'application/json') => ({
  id: 1,
  method,
  url,
  remote: '127.0.0.1',
  headers: body === undefined ? {} : { 'content-type': type },
  body: body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const json = (res) => JSON.parse(res.body);

describe('Router', () => {
  const router = new Router()
    .add('GET', '/api/v1/things/:id', async ({ params }) => ({ body: { id: params.id } }))
    .add('POST', '/api/v1/things', async ({ body }) => ({ status: 201, body }));

  it('matches params, decodes them, and accepts a trailing slash', async () => {
    expect(json(await router.handle(req('GET', '/api/v1/things/a%20b')))).toEqual({ id: 'a b' });
    expect(json(await router.handle(req('GET', '/api/v1/things/x/?q=1')))).toEqual({ id: 'x' });
  });

  it('answers every response as JSON that is not cached', async () => {
    const res = await router.handle(req('POST', '/api/v1/things', { a: 1 }));
    expect(res).toEqual({ status: 201, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: '{"a":1}' });
  });

  it('is 404 JSON for unknown routes, 405 with Allow for a known path with another method', async () => {
    const missing = await router.handle(req('GET', '/api/v1/nothing'));
    expect(missing.status).toBe(404);
    expect(json(missing)).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    const wrong = await router.handle(req('DELETE', '/api/v1/things/1'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
  });

  it('is 400 for malformed percent-encoding in the path', async () => {
    const res = await router.handle(req('GET', '/api/v1/things/%E0%A4%A'));
    expect(res.status).toBe(400);
  });

  it('is 400 for bad JSON and 415 for a body that is not JSON', async () => {
    expect((await router.handle(req('POST', '/api/v1/things', '{bad'))).status).toBe(400);
    const form = await router.handle(req('POST', '/api/v1/things', 'a=1', 'application/x-www-form-urlencoded'));
    expect(form.status).toBe(415);
    expect(json(form).error.message).toMatch(/application\/json/);
    const charset = await router.handle(req('POST', '/api/v1/things', '{"a":2}', 'Application/JSON; charset=utf-8'));
    expect(json(charset)).toEqual({ a: 2 });
  });

  it('turns HttpErrors into their JSON answer and hides other errors behind a logged 500', async () => {
    const logged = [];
    const r = new Router()
      .add('GET', '/a', async () => {
        throw new HttpError(409, 'conflict', 'exists');
      })
      .add('GET', '/b', async () => {
        throw new Error('database password is hunter2');
      });
    expect(json(await r.handle(req('GET', '/a')))).toEqual({ error: { code: 'conflict', message: 'exists' } });
    const b = await r.handle(req('GET', '/b'), { logger: { error: (msg, fields) => logged.push(fields) } });
    expect(b.status).toBe(500);
    expect(json(b)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(logged[0]).toMatchObject({ method: 'GET', path: '/b' });
  });
});

describe('validateBody()', () => {
  const spec = { name: 'string', age: { type: 'number', required: false }, tag: { type: 'string', maxLength: 3, required: false } };
  const check = (body) => {
    try {
      validateBody(body, spec);
      return 'ok';
    } catch (err) {
      return `${err.status} ${err.message}`;
    }
  };

  it('names the first field that is missing, mistyped or too long', () => {
    expect(check({ name: 'a' })).toBe('ok');
    expect(check({})).toBe('400 name is required');
    expect(check({ name: '' })).toBe('400 name must not be empty');
    expect(check({ name: 'a', age: '3' })).toBe('400 age must be a number');
    expect(check({ name: ['a'] })).toBe('400 name must be a string');
    expect(check({ name: 'a', tag: 'long' })).toBe('400 tag must be at most 3 characters');
  });

  it('requires a JSON object', () => {
    for (const body of [undefined, null, [], 'x', 3]) expect(check(body)).toBe('400 the body must be a JSON object');
  });
});

describe('POST /api/v1/auth/login', () => {
  const agent = { id: 'a1', email: 'ann@example.com', name: 'Ann', role: 'agent', maxChats: 5, sites: ['demo'], teams: [] };
  let ctx;
  let signed;
  beforeAll(async () => {
    agent.passwordHash = await hashPassword('right-password');
    ctx = {
      config: { auth: { tokenTtlSeconds: 60 } },
      dummyHash: await hashPassword('dummy-password'),
      core: {
        getAgentByEmail: async (e) => (e === agent.email ? agent : null),
        checkLogin: () => ({ allowed: true, retryAfterMs: 0 }), // the real limits: tests/e2e/55-limits.test.js
        signAgentToken: (id, ttl) => {
          signed = { id, ttl };
          return `token-for-${id}`;
        },
      },
    };
  });
  const login = (body, type) => buildRouter().handle(req('POST', '/api/v1/auth/login', body, type), ctx);

  it('returns a token signed for the agent with the configured lifetime, and the agent without its hash', async () => {
    const res = await login({ email: ' Ann@Example.com ', password: 'right-password' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(json(res)).toEqual({ token: 'token-for-a1', expiresIn: 60, agent: { id: 'a1', email: 'ann@example.com', name: 'Ann', role: 'agent', maxChats: 5, sites: ['demo'], teams: [] } });
    expect(signed).toEqual({ id: 'a1', ttl: 60 });
    expect(res.body).not.toMatch(/scrypt|right-password/);
  });

  it('is 401 with the same answer for a wrong password and an unknown e-mail', async () => {
    const wrong = await login({ email: 'ann@example.com', password: 'nope' });
    const unknown = await login({ email: 'bob@example.com', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(json(wrong)).toEqual({ error: { code: 'unauthorized', message: 'wrong e-mail or password' } });
    expect(unknown.body).toBe(wrong.body);
  });

  it('is 400 naming the field when one is missing or of the wrong type', async () => {
    expect(json(await login({ email: 'x' })).error).toEqual({ code: 'invalid', message: 'password is required' });
    expect(json(await login({ password: 'x' })).error.message).toBe('email is required');
    expect(json(await login({ email: 1, password: 'x' })).error.message).toBe('email must be a string');
    expect(json(await login({ email: 'ann@example.com', password: 12345678 })).error.message).toBe('password must be a string');
    expect(json(await login({ email: 'ann@example.com', password: 'x'.repeat(1025) })).error.message).toBe('password must be at most 1024 characters');
  });

  it('is 400 for bad JSON or no body, 415 for a form post, and never echoes the password', async () => {
    for (const [body, type, status] of [['{"password":"hunter22"', undefined, 400], [undefined, undefined, 400], ['password=hunter22', 'application/x-www-form-urlencoded', 415], [{ email: 5, password: 'hunter22' }, undefined, 400]]) {
      const res = await login(body, type);
      expect(res.status).toBe(status);
      expect(res.body).not.toMatch(/hunter22/);
    }
  });

  it('is 405 for GET', async () => {
    expect((await buildRouter().handle(req('GET', '/api/v1/auth/login'), ctx)).status).toBe(405);
  });
});
