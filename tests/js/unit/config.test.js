'use strict';
// js/config.js: one schema gives defaults, precedence, validation messages, redaction and the
// generated docs/configuration.md.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadConfig, redactConfig, validateSite, docs, schema } = require('../../../js/config');

const none = { file: null, env: {} };
const get = (obj, key) => key.split('.').reduce((o, k) => o[k], obj);
let dir;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cfg-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const writeJson = (name, value) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};
const message = (fn) => {
  try {
    fn();
  } catch (err) {
    expect(err.code).toBe('SB_CONFIG_INVALID');
    return err.message;
  }
  throw new Error('expected SB_CONFIG_INVALID');
};

describe('loadConfig() defaults', () => {
  it('gives every schema key its default', () => {
    const c = loadConfig({ ...none, cwd: dir });
    for (const e of schema) {
      if (e.key === 'dataDir') expect(c.dataDir).toBe(path.join(dir, 'data'));
      else expect(get(c, e.key)).toEqual(e.default);
    }
    expect(c).toMatchObject({ port: 8080, host: '0.0.0.0', ioThreads: 0, store: { driver: 'sqlite', synchronous: 'full' } });
    expect(c.limits).toEqual({
      maxFrameBytes: 65536, maxTextBytes: 16384, helloTimeoutMs: 10000, idleTimeoutMs: 120000, pingIntervalMs: 30000,
      outboundQueueBytes: 1048576, maxHttpBodyBytes: 1048576, maxHttpHeaderBytes: 16384, shutdownGraceMs: 5000,
      rateTableKeys: 262144, rateExemptIps: ['127.0.0.1', '::1'], floodStrikes: 20, floodWindowMs: 10000,
      maxIoLagMs: 250, maxStoreBacklog: 20000, maxMemoryMb: 0,
    });
    expect(c.webRoot).toBe(path.resolve(__dirname, '../../../web'));
  });

  it('returns a fresh object each time, so callers cannot change the defaults', () => {
    loadConfig(none).sites.push({ key: 'x' });
    expect(loadConfig(none).sites).toEqual([]);
  });
});

describe('loadConfig() sources', () => {
  it('applies defaults < file < environment < code, key by key', () => {
    const file = writeJson('a.json', { port: 1000, host: '127.0.0.1', limits: { maxTextBytes: 10, helloTimeoutMs: 500 } });
    const c = loadConfig({ file, env: { PORT: '2000', SWITCHBOARD_MAX_TEXT_BYTES: '20' }, options: { port: 3000 } });
    expect(c.port).toBe(3000); // code beats env and file
    expect(c.limits.maxTextBytes).toBe(20); // env beats file
    expect(c.limits.helloTimeoutMs).toBe(500); // file beats default
    expect(c.host).toBe('127.0.0.1');
    expect(c.limits.idleTimeoutMs).toBe(120000); // a sibling of a file key keeps its default
  });

  it('reads switchboard.config.json from the working directory unless told otherwise', () => {
    writeJson('switchboard.config.json', { port: 1234 });
    expect(loadConfig({ env: {}, cwd: dir }).port).toBe(1234);
    expect(loadConfig({ file: null, env: {}, cwd: dir }).port).toBe(8080);
  });

  it('maps every environment variable of the schema, and ignores empty ones', () => {
    const c = loadConfig({ file: null, env: { SWITCHBOARD_STORE: 'memory', SWITCHBOARD_STORE_SYNC: 'normal', SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_IO_THREADS: ' 3 ', PORT: '' } });
    expect(c).toMatchObject({ store: { driver: 'memory', synchronous: 'normal' }, log: { level: 'warn' }, ioThreads: 3, port: 8080 });
  });

  it('resolves dataDir and webRoot against the working directory', () => {
    const c = loadConfig({ ...none, cwd: dir, options: { dataDir: 'state', webRoot: '/srv/web' } });
    expect(c.dataDir).toBe(path.join(dir, 'state'));
    expect(c.webRoot).toBe('/srv/web');
  });
});

describe('loadConfig() errors name the key, the expectation and the source', () => {
  it('for a value that is not an integer, from the environment', () => {
    expect(message(() => loadConfig({ ...none, env: { SWITCHBOARD_MAX_FRAME_BYTES: '64k' } }))).toBe(
      'SB_CONFIG_INVALID: limits.maxFrameBytes must be an integer >= 1024 (got "64k" from SWITCHBOARD_MAX_FRAME_BYTES)',
    );
  });

  it('for out-of-range and fractional numbers', () => {
    expect(message(() => loadConfig({ ...none, options: { port: 70000 } }))).toMatch(/port must be an integer from 0 to 65535 \(got 70000 from the options\)/);
    expect(message(() => loadConfig({ ...none, options: { limits: { maxFrameBytes: 100 } } }))).toMatch(/limits\.maxFrameBytes must be an integer >= 1024 \(got 100/);
    expect(message(() => loadConfig({ ...none, options: { ioThreads: 1.5 } }))).toMatch(/ioThreads must be an integer/);
    expect(message(() => loadConfig({ ...none, env: { PORT: '-1' } }))).toMatch(/port must be .* \(got -1 from PORT\)/);
  });

  it('for a wrong type in the config file, naming the file', () => {
    const file = writeJson('bad-type.json', { limits: { idleTimeoutMs: '2m' } });
    expect(message(() => loadConfig({ file, env: {} }))).toBe(
      `SB_CONFIG_INVALID: limits.idleTimeoutMs must be an integer >= 1000 (got "2m" from ${file})`,
    );
  });

  it('for enums, strings and e-mails', () => {
    expect(message(() => loadConfig({ ...none, options: { store: { driver: 'mongo' } } }))).toMatch(/store\.driver must be one of "sqlite", "memory" \(got "mongo"/);
    expect(message(() => loadConfig({ ...none, env: { SWITCHBOARD_LOG_LEVEL: 'loud' } }))).toMatch(/log\.level must be one of .* from SWITCHBOARD_LOG_LEVEL/);
    expect(message(() => loadConfig({ ...none, options: { host: 80 } }))).toMatch(/host must be a non-empty string \(got 80/);
    expect(message(() => loadConfig({ ...none, options: { host: '' } }))).toMatch(/host must be a non-empty string/);
    expect(message(() => loadConfig({ ...none, options: { admin: { email: 'nobody', password: 'long-enough' } } }))).toMatch(/admin\.email must be an e-mail address/);
  });

  it('for a group that is not an object, and options that are not an object', () => {
    expect(message(() => loadConfig({ ...none, options: { limits: 5 } }))).toMatch(/limits must be an object \(got 5/);
    expect(message(() => loadConfig({ ...none, options: 'port=1' }))).toMatch(/options must be an object/);
  });

  it('for a config file that cannot be read or is not a JSON object', () => {
    expect(message(() => loadConfig({ file: writeJson('bad.json', '{port: 1}'), env: {} }))).toMatch(/bad\.json is not valid JSON/);
    expect(message(() => loadConfig({ file: writeJson('list.json', '[1]'), env: {} }))).toMatch(/list\.json must hold a JSON object/);
    expect(message(() => loadConfig({ file: path.join(dir, 'missing.json'), env: {} }))).toMatch(/cannot read the config file .*missing\.json: ENOENT/);
  });

  it('for unknown keys, with a "did you mean" hint when one is close', () => {
    expect(message(() => loadConfig({ ...none, options: { limits: { maxFrameByte: 1 } } }))).toBe(
      'SB_CONFIG_INVALID: unknown key "limits.maxFrameByte" in the options; did you mean "limits.maxFrameBytes"?',
    );
    expect(message(() => loadConfig({ ...none, options: { prot: 1 } }))).toMatch(/unknown key "prot".*did you mean "port"/);
    expect(message(() => loadConfig({ file: writeJson('c.json', { Store: { driver: 'memory' } }), env: {} }))).toMatch(/unknown key "Store" in .*c\.json; did you mean "store"/);
    expect(message(() => loadConfig({ ...none, options: { completelyDifferent: 1 } }))).toBe('SB_CONFIG_INVALID: unknown key "completelyDifferent" in the options');
  });

  it('for admin.email and admin.password given one without the other', () => {
    expect(message(() => loadConfig({ ...none, env: { SWITCHBOARD_ADMIN_EMAIL: 'a@b.c' } }))).toMatch(/admin\.email is set but admin\.password is not/);
    expect(message(() => loadConfig({ ...none, env: { SWITCHBOARD_ADMIN_PASSWORD: 'long-enough' } }))).toMatch(/admin\.password is set but admin\.email is not/);
  });
});

describe('sites', () => {
  it('accepts complete and minimal sites', () => {
    const sites = [{ key: 'shop', name: 'Shop', enabled: false, allowedOrigins: ['https://shop.example'], settings: { color: 'red' } }, { key: 'blog' }];
    expect(loadConfig({ ...none, options: { sites } }).sites).toEqual(sites);
  });

  it('name the index and field of a bad site', () => {
    const bad = (sites) => message(() => loadConfig({ ...none, options: { sites } }));
    expect(bad([{ key: 'Bad Key' }])).toMatch(/sites\[0\]\.key must be 1-64 lower-case letters/);
    expect(bad([{ key: 'ok' }, { key: 'ok2', allowedOrigins: 'x' }])).toMatch(/sites\[1\]\.allowedOrigins must be an array of origins/);
    expect(bad([{ key: 'ok', enabled: 'yes' }])).toMatch(/sites\[0\]\.enabled must be true or false/);
    expect(bad([{ key: 'ok', settings: [] }])).toMatch(/sites\[0\]\.settings must be an object/);
    expect(bad([{ name: 'no key' }])).toMatch(/sites\[0\]\.key is required/);
    expect(bad([{ key: 'ok', origins: [] }])).toMatch(/unknown key "sites\[0\]\.origins"/);
    expect(bad([{ key: 'ok', allowedOrigin: [] }])).toMatch(/did you mean "allowedOrigins"/);
    expect(bad([{ key: 'a' }, { key: 'a' }])).toMatch(/sites\[1\]\.key "a" appears twice/);
    expect(bad({ key: 'a' })).toMatch(/sites must be an array/);
    expect(bad(['a'])).toMatch(/sites\[0\] must be an object/);
  });

  it('validateSite() checks one site on its own', () => {
    expect(() => validateSite({ key: 'fine' })).not.toThrow();
    expect(() => validateSite({ key: 'x', name: 3 })).toThrow(/site\.name must be a string/);
  });
});

describe('secrets', () => {
  it('never appear in error messages', () => {
    const m = message(() => loadConfig({ ...none, env: { SWITCHBOARD_ADMIN_EMAIL: 'a@b.c', SWITCHBOARD_ADMIN_PASSWORD: 'short' } }));
    expect(m).toMatch(/admin\.password must be at least 8 characters \(got "\[redacted\]"\)/);
    expect(m).not.toMatch(/short/);
    const typed = message(() => loadConfig({ ...none, options: { admin: { email: 'a@b.c', password: 12345678901 } } }));
    expect(typed).not.toMatch(/12345678901/);
  });

  it('are redacted by redactConfig() without touching the original', () => {
    const c = loadConfig({ ...none, env: { SWITCHBOARD_ADMIN_EMAIL: 'a@b.c', SWITCHBOARD_ADMIN_PASSWORD: 'long-enough-secret' } });
    const r = redactConfig(c);
    expect(JSON.stringify(r)).not.toMatch(/long-enough-secret/);
    expect(r.admin).toEqual({ email: 'a@b.c', password: '[redacted]' });
    expect(c.admin.password).toBe('long-enough-secret');
  });
});

describe('docs()', () => {
  it('documents every key with its environment variable, and is what docs/configuration.md holds', () => {
    const text = docs();
    for (const e of schema) {
      expect(text).toContain(`| \`${e.key}\` |`);
      if (e.env) expect(text).toContain(`\`${e.env}\``);
    }
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    expect(committed).toBe(text); // regenerate: node js/config.js --docs > docs/configuration.md
  });

  it('every schema entry is complete', () => {
    for (const e of schema) {
      expect(typeof e.description).toBe('string');
      expect(['integer', 'number', 'boolean', 'string', 'enum', 'array', 'rules']).toContain(e.type);
      if (e.type === 'integer') expect(Number.isInteger(e.min)).toBe(true);
      if (e.type === 'number') expect(e.default).toBeGreaterThanOrEqual(e.min);
      if (e.type === 'number') expect(e.default).toBeLessThanOrEqual(e.max);
      if (e.type === 'boolean') expect(typeof e.default).toBe('boolean');
      if (e.type === 'enum') expect(e.values).toContain(e.default);
    }
  });
});

describe('rate limits', () => {
  it('merge rule by rule from file, environment (JSON) and code; null switches one off', () => {
    const file = writeJson('r.json', { rateLimits: { 'message.visitor': { burst: 1, perSecond: 1 } } });
    const c = loadConfig({ file, env: { SWITCHBOARD_RATE_LIMITS: '{"message.ip": null}' }, options: { rateLimits: { 'login.ip': { burst: 2, perSecond: 0.5 } } } });
    expect(c.rateLimits['message.visitor']).toEqual({ burst: 1, perSecond: 1 });
    expect(c.rateLimits['message.ip']).toBeNull();
    expect(c.rateLimits['login.ip']).toEqual({ burst: 2, perSecond: 0.5 });
    expect(c.rateLimits['message.site']).toEqual(schema.find((e) => e.key === 'rateLimits').default['message.site']);
  });

  it('name the bad key, with a hint, for unknown rules, fields and values', () => {
    expect(() => loadConfig({ ...none, options: { rateLimits: { 'message.visiter': null } } })).toThrow('unknown key "rateLimits.message.visiter" in the options; did you mean "message.visitor"?');
    expect(() => loadConfig({ ...none, options: { rateLimits: { 'message.site': { brust: 1 } } } })).toThrow(/unknown key "rateLimits.message.site.brust".*did you mean "burst"/);
    expect(() => loadConfig({ ...none, options: { rateLimits: { 'message.site': { burst: -1, perSecond: 1 } } } })).toThrow('rateLimits.message.site.burst must be a number >= 0');
    expect(() => loadConfig({ ...none, options: { rateLimits: { 'message.site': { windowMax: 5 } } } })).toThrow('rateLimits.message.site.windowMs must be > 0 when windowMax is set');
    expect(() => loadConfig({ ...none, env: { SWITCHBOARD_RATE_LIMITS: '{oops' } })).toThrow('rateLimits must be an object of rate limits (got "{oops" from SWITCHBOARD_RATE_LIMITS)');
    expect(() => loadConfig({ ...none, options: { sites: [{ key: 'a', rateLimits: { 'login.visitor': null } }] } })).toThrow(/unknown key "sites\[0\].rateLimits.login.visitor"/);
  });
});
