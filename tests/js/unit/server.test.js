'use strict';
// The parts of js/server.js that run before the native core exists: synchronous configuration
// errors, calls before start(), redacted configuration. Everything with the core runs in
// tests/e2e.
const { Server, createServer, SwitchboardError, loadConfig } = require('../../../js');

const base = { configFile: null, env: {} };

it('exports the public API', () => {
  expect(typeof Server).toBe('function');
  expect(createServer(base)).toBeInstanceOf(Server);
  expect(typeof loadConfig).toBe('function');
  expect(new SwitchboardError('SB_CONFLICT')).toBeInstanceOf(Error);
});

it('new Server() throws SB_CONFIG_INVALID synchronously, naming the key', () => {
  expect(() => new Server({ ...base, limits: { maxFrameBytes: 'big' } })).toThrow(
    expect.objectContaining({ code: 'SB_CONFIG_INVALID', message: expect.stringMatching(/^SB_CONFIG_INVALID: limits\.maxFrameBytes must be/) }),
  );
  expect(() => new Server({ ...base, env: { PORT: 'eighty' } })).toThrow(/port .* from PORT/);
});

it('methods that need a running server throw SB_NOT_STARTED before start()', async () => {
  const s = new Server(base);
  expect(s.port).toBeNull();
  expect(() => s.stats()).toThrow(expect.objectContaining({ code: 'SB_NOT_STARTED' }));
  expect(() => s.createAgentToken('a')).toThrow(expect.objectContaining({ code: 'SB_NOT_STARTED' }));
  await expect(s.createAgent({ email: 'a@b.c', password: 'long-enough' })).rejects.toMatchObject({ code: 'SB_NOT_STARTED' });
  await expect(s.listAgents()).rejects.toMatchObject({ code: 'SB_NOT_STARTED' });
  await expect(s.putSite({ key: 'x' })).rejects.toMatchObject({ code: 'SB_NOT_STARTED' });
  await expect(s.listSites()).rejects.toMatchObject({ code: 'SB_NOT_STARTED' });
  await expect(s.stop()).resolves.toBeUndefined(); // stopping a server never started is a no-op
});

it('server.config is the effective configuration with secrets redacted', () => {
  const s = new Server({ ...base, port: 0, admin: { email: 'boss@example.com', password: 'very-secret-pw' } });
  expect(s.config.port).toBe(0);
  expect(s.config.admin).toEqual({ email: 'boss@example.com', password: '[redacted]' });
});
