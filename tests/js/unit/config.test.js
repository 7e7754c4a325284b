'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadConfig, redactConfig, docs, schema } = require('../../../js/config');

const none = { file: null, env: {} };

describe('loadConfig', () => {
  it('has defaults for every key', () => {
    const c = loadConfig(none);
    expect(c.port).toBe(8080);
    expect(c.store).toEqual({ driver: 'sqlite', synchronous: 'full' });
    expect(c.limits.maxFrameBytes).toBe(65536);
    expect(path.isAbsolute(c.dataDir)).toBe(true);
  });

  it('applies file < environment < code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cfg-'));
    const file = path.join(dir, 'switchboard.config.json');
    fs.writeFileSync(file, JSON.stringify({ port: 1000, host: '127.0.0.1', limits: { maxTextBytes: 10 } }));
    const c = loadConfig({ file, env: { PORT: '2000', SWITCHBOARD_MAX_TEXT_BYTES: '20' }, options: { port: 3000 } });
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.limits.maxTextBytes).toBe(20);
    fs.rmSync(dir, { recursive: true });
  });

  it('reads switchboard.config.json from the working directory by default', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cfg-'));
    fs.writeFileSync(path.join(dir, 'switchboard.config.json'), JSON.stringify({ port: 1234 }));
    expect(loadConfig({ env: {}, cwd: dir }).port).toBe(1234);
    fs.rmSync(dir, { recursive: true });
  });

  it('names the key, the expectation and the source of a bad value', () => {
    expect(() => loadConfig({ file: null, env: { SWITCHBOARD_MAX_FRAME_BYTES: '64k' } })).toThrow(
      'SB_CONFIG_INVALID: limits.maxFrameBytes must be an integer (got "64k" from SWITCHBOARD_MAX_FRAME_BYTES)',
    );
    expect(() => loadConfig({ ...none, options: { port: 70000 } })).toThrow(/port must be an integer <= 65535/);
    expect(() => loadConfig({ ...none, options: { store: { driver: 'mongo' } } })).toThrow(/store\.driver must be one of "sqlite", "memory"/);
  });

  it('rejects unknown keys with a hint', () => {
    expect(() => loadConfig({ ...none, options: { limits: { maxFrameByte: 1 } } })).toThrow(/did you mean "limits\.maxFrameBytes"/);
    expect(() => loadConfig({ ...none, options: { prot: 1 } })).toThrow(/unknown key "prot".*did you mean "port"/);
  });

  it('rejects a config file that is not JSON, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cfg-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{port: 1}');
    expect(() => loadConfig({ file, env: {} })).toThrow(/bad\.json is not valid JSON/);
    expect(() => loadConfig({ file: path.join(dir, 'missing.json'), env: {} })).toThrow(/cannot read the config file/);
    fs.rmSync(dir, { recursive: true });
  });

  it('validates sites', () => {
    expect(() => loadConfig({ ...none, options: { sites: [{ key: 'Bad Key' }] } })).toThrow(/sites\[0\]\.key/);
    expect(() => loadConfig({ ...none, options: { sites: [{ key: 'ok', allowedOrigins: 'x' }] } })).toThrow(/sites\[0\]\.allowedOrigins/);
  });

  it('never shows the admin password, not even in errors', () => {
    expect(() => loadConfig({ ...none, env: { SWITCHBOARD_ADMIN_EMAIL: 'a@b.c', SWITCHBOARD_ADMIN_PASSWORD: 'short' } })).toThrow(/\[redacted\]/);
    const c = loadConfig({ ...none, env: { SWITCHBOARD_ADMIN_EMAIL: 'a@b.c', SWITCHBOARD_ADMIN_PASSWORD: 'long-enough-secret' } });
    expect(JSON.stringify(redactConfig(c))).not.toMatch(/long-enough-secret/);
  });
});

describe('docs', () => {
  it('documents every key and matches docs/configuration.md', () => {
    const text = docs();
    for (const e of schema) expect(text).toContain(`\`${e.key}\``);
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    expect(committed).toBe(text);
  });
});
