'use strict';
// The admin router in isolation: routing, JSON handling and validation. The core is a small
// stand-in here because only the router's own logic is under test; the real login runs
// end to end in tests/e2e/70-http.test.js.
const { Router, buildRouter, HttpError } = require('../../../js/admin');
const { hashPassword } = require('../../../js/auth');

const req = (method, url, body, type = 'application/json') => ({
  method,
  url,
  headers: body === undefined ? {} : { 'content-type': type },
  body: body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

it('answers 404 for unknown routes and 405 for a known path with another method', async () => {
  const r = new Router();
  r.add('GET', '/api/v1/things/:id', async ({ params }) => ({ body: { id: params.id } }));
  expect((await r.handle(req('GET', '/api/v1/nothing'), {})).status).toBe(404);
  expect((await r.handle(req('POST', '/api/v1/things/1'), {})).status).toBe(405);
  const ok = await r.handle(req('GET', '/api/v1/things/a%20b'), {});
  expect(JSON.parse(ok.body)).toEqual({ id: 'a b' });
});

it('turns thrown errors into JSON errors and hides internal ones', async () => {
  const r = new Router();
  r.add('GET', '/a', async () => {
    throw new HttpError(409, 'conflict', 'exists');
  });
  r.add('GET', '/b', async () => {
    throw new Error('database password is hunter2');
  });
  expect(JSON.parse((await r.handle(req('GET', '/a'), {})).body)).toEqual({ error: { code: 'conflict', message: 'exists' } });
  const b = await r.handle(req('GET', '/b'), { logger: { error() {} } });
  expect(b.status).toBe(500);
  expect(b.body).not.toMatch(/hunter2/);
});

describe('POST /api/v1/auth/login', () => {
  let ctx;
  beforeAll(async () => {
    const agent = { id: 'a1', email: 'ann@example.com', name: 'Ann', role: 'agent', passwordHash: await hashPassword('right-password') };
    ctx = {
      config: { auth: { tokenTtlSeconds: 60 } },
      dummyHash: await hashPassword('dummy-password'),
      core: { getAgentByEmail: async (e) => (e === agent.email ? agent : null), signAgentToken: (id) => `token-for-${id}` },
    };
  });
  const login = (body, type) => buildRouter().handle(req('POST', '/api/v1/auth/login', body, type), ctx);

  it('returns a token and the agent without its hash', async () => {
    const res = await login({ email: ' Ann@Example.com ', password: 'right-password' });
    const body = JSON.parse(res.body);
    expect(res.status).toBe(200);
    expect(body.token).toBe('token-for-a1');
    expect(body.agent.passwordHash).toBeUndefined();
  });

  it('is 401 for a wrong password or an unknown e-mail', async () => {
    expect((await login({ email: 'ann@example.com', password: 'nope' })).status).toBe(401);
    expect((await login({ email: 'bob@example.com', password: 'nope' })).status).toBe(401);
  });

  it('is 400 naming the field for missing or mistyped fields, 400 for bad JSON, 415 for non-JSON', async () => {
    expect(JSON.parse((await login({ email: 'x' })).body).error.message).toBe('password is required');
    expect(JSON.parse((await login({ email: 1, password: 'x' })).body).error.message).toBe('email must be a string');
    expect((await login('{bad')).status).toBe(400);
    expect((await login('email=x', 'application/x-www-form-urlencoded')).status).toBe(415);
  });
});
