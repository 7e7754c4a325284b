'use strict';
// HTTP surface: health, static pages, login.

const { startServer } = require('../helpers/server');

let t;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.stop());

const login = (body, headers = { 'content-type': 'application/json' }) =>
  fetch(`${t.http}/api/v1/auth/login`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

it('GET /api/v1/health answers 200 JSON', async () => {
  const res = await fetch(`${t.http}/api/v1/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

it('serves the demo page at / and the console at /console, and refuses traversal', async () => {
  const demo = await fetch(`${t.http}/`);
  expect(demo.status).toBe(200);
  expect(demo.headers.get('content-type')).toMatch(/text\/html/);
  expect(demo.headers.get('x-content-type-options')).toBe('nosniff');
  expect(await (await fetch(`${t.http}/console`)).text()).toMatch(/Agent sign-in/);
  expect((await fetch(`${t.http}/%2e%2e/package.json`)).status).toBe(404);
});

it('login with the right password returns a token that opens an agent connection', async () => {
  const res = await login({ email: 'admin@example.com', password: 'admin-password' });
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body.agent).toMatchObject({ email: 'admin@example.com', role: 'admin' });
  expect(body.agent.passwordHash).toBeUndefined();
  const c = t.client();
  const w = await c.hello({ role: 'agent', token: body.token });
  expect(w.agent).toBe(body.agent.id);
});

it('login with a wrong password or unknown e-mail is 401 with the same message', async () => {
  const wrong = await login({ email: 'admin@example.com', password: 'nope-nope' });
  const unknown = await login({ email: 'ghost@example.com', password: 'nope-nope' });
  expect(wrong.status).toBe(401);
  expect(unknown.status).toBe(401);
  expect((await wrong.json()).error.message).toBe((await unknown.json()).error.message);
});

it('login validates the body and names the field', async () => {
  const missing = await login({ email: 'admin@example.com' });
  expect(missing.status).toBe(400);
  expect((await missing.json()).error.message).toMatch(/password/);
  const wrongType = await login({ email: 'admin@example.com', password: 12345678 });
  expect((await wrongType.json()).error.message).toMatch(/password must be a string/);
  const badJson = await login('{nope');
  expect(badJson.status).toBe(400);
});

it('unknown API routes are 404 JSON', async () => {
  const res = await fetch(`${t.http}/api/v1/nothing`);
  expect(res.status).toBe(404);
  expect((await res.json()).error.code).toBe('not_found');
});
