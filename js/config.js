'use strict';
// One schema for the whole configuration. From it come the defaults, validation (errors name
// the key and where the value came from), the environment mapping and docs/configuration.md
// (`node js/config.js --docs`). Precedence: defaults < file < environment < code.

const fs = require('fs');
const path = require('path');
const { SwitchboardError } = require('./errors');

/** @typedef {{key: string, type: string, default?: any, env?: string, min?: number, max?: number, values?: string[], secret?: boolean, doc: string}} Entry */

/** @type {Entry[]} */
const schema = [
  { key: 'port', type: 'integer', default: 8080, env: 'PORT', min: 0, max: 65535, doc: 'TCP port of the single public listener (0 picks a free port).' },
  { key: 'host', type: 'string', default: '0.0.0.0', env: 'SWITCHBOARD_HOST', doc: 'IP address to listen on.' },
  { key: 'dataDir', type: 'string', default: './data', env: 'SWITCHBOARD_DATA_DIR', doc: 'Directory for the SQLite database and other state.' },
  { key: 'ioThreads', type: 'integer', default: 0, env: 'SWITCHBOARD_IO_THREADS', min: 0, max: 256, doc: 'Native I/O threads; 0 means one per CPU core.' },
  { key: 'webRoot', type: 'string', default: path.join(__dirname, '..', 'web'), env: 'SWITCHBOARD_WEB_ROOT', doc: 'Directory served as static files (demo page, console).' },
  { key: 'store.driver', type: 'enum', values: ['sqlite', 'memory'], default: 'sqlite', env: 'SWITCHBOARD_STORE', doc: '`sqlite` (durable, default) or `memory` (nothing survives a restart; for benchmarks).' },
  { key: 'store.synchronous', type: 'enum', values: ['full', 'normal'], default: 'full', env: 'SWITCHBOARD_STORE_SYNC', doc: '`full`: fsync every commit (survives power loss). `normal`: survives a crash or `kill -9` of the process, not a power loss.' },
  { key: 'limits.maxFrameBytes', type: 'integer', default: 65536, env: 'SWITCHBOARD_MAX_FRAME_BYTES', min: 1024, max: 16777216, doc: 'Largest WebSocket message accepted; larger ones close the connection with 1009.' },
  { key: 'limits.maxTextBytes', type: 'integer', default: 16384, env: 'SWITCHBOARD_MAX_TEXT_BYTES', min: 1, max: 16777216, doc: 'Largest message text; larger ones get error `too_large`.' },
  { key: 'limits.helloTimeoutMs', type: 'integer', default: 10000, env: 'SWITCHBOARD_HELLO_TIMEOUT_MS', min: 100, max: 600000, doc: 'Time for the first frame (hello) to arrive; then close 4408.' },
  { key: 'limits.idleTimeoutMs', type: 'integer', default: 120000, env: 'SWITCHBOARD_IDLE_TIMEOUT_MS', min: 1000, max: 86400000, doc: 'A connection that sends nothing (not even a pong) for this long is dropped.' },
  { key: 'limits.pingIntervalMs', type: 'integer', default: 30000, env: 'SWITCHBOARD_PING_INTERVAL_MS', min: 500, max: 3600000, doc: 'The server pings a connection that has been quiet for this long.' },
  { key: 'limits.outboundQueueBytes', type: 'integer', default: 1048576, env: 'SWITCHBOARD_OUTBOUND_QUEUE_BYTES', min: 4096, max: 1073741824, doc: 'Bytes queued for one connection before it is dropped as a slow consumer.' },
  { key: 'limits.maxHttpBodyBytes', type: 'integer', default: 1048576, env: 'SWITCHBOARD_MAX_HTTP_BODY_BYTES', min: 1024, max: 1073741824, doc: 'Largest HTTP request body (413 above).' },
  { key: 'limits.maxHttpHeaderBytes', type: 'integer', default: 16384, env: 'SWITCHBOARD_MAX_HTTP_HEADER_BYTES', min: 1024, max: 1048576, doc: 'Largest HTTP request header block (431 above).' },
  { key: 'limits.shutdownGraceMs', type: 'integer', default: 5000, env: 'SWITCHBOARD_SHUTDOWN_GRACE_MS', min: 0, max: 600000, doc: 'On stop/SIGTERM, time given to connections to close (code 1001) before they are cut.' },
  { key: 'admin.email', type: 'string', default: '', env: 'SWITCHBOARD_ADMIN_EMAIL', doc: 'The first admin. Created on start if no agent has this e-mail.' },
  { key: 'admin.password', type: 'string', default: '', env: 'SWITCHBOARD_ADMIN_PASSWORD', secret: true, doc: 'Password of the first admin (at least 8 characters). Never logged.' },
  { key: 'auth.tokenTtlSeconds', type: 'integer', default: 43200, env: 'SWITCHBOARD_TOKEN_TTL_SECONDS', min: 60, max: 31536000, doc: 'Lifetime of agent tokens issued by login.' },
  { key: 'log.level', type: 'enum', values: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info', env: 'SWITCHBOARD_LOG_LEVEL', doc: 'Lowest level written to the JSON log.' },
  { key: 'sites', type: 'array', default: [], doc: 'Sites to create or update at start: `[{key, name, enabled, allowedOrigins, settings}]`. The `demo` site (any origin) exists from the first start.' },
];

const byKey = new Map(schema.map((e) => [e.key, e]));

function getPath(obj, key) {
  return key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function setPath(obj, key, value) {
  const parts = key.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] = o[p] && typeof o[p] === 'object' ? o[p] : {};
  o[parts[parts.length - 1]] = value;
}

function levenshtein(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function invalid(key, expected, value, source) {
  const shown = JSON.stringify(byKey.get(key)?.secret ? '[redacted]' : value);
  const from = source ? ` from ${source}` : '';
  return new SwitchboardError('SB_CONFIG_INVALID', `${key} must be ${expected} (got ${shown}${from})`);
}

/** Lists the leaf keys of a user object so unknown ones can be reported. */
function leafKeys(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (byKey.has(key)) out.push(key);
    else if (v && typeof v === 'object' && !Array.isArray(v) && schema.some((e) => e.key.startsWith(key + '.'))) out.push(...leafKeys(v, key));
    else out.push(key);
  }
  return out;
}

function checkUnknown(obj, source) {
  for (const key of leafKeys(obj)) {
    if (byKey.has(key)) continue;
    const best = schema.map((e) => [e.key, levenshtein(e.key.toLowerCase(), key.toLowerCase())]).sort((a, b) => a[1] - b[1])[0];
    const hint = best && best[1] <= 3 ? `; did you mean "${best[0]}"?` : '';
    throw new SwitchboardError('SB_CONFIG_INVALID', `unknown key "${key}" in ${source}${hint}`);
  }
}

function coerceEnv(entry, raw) {
  if (entry.type === 'integer') return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (entry.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function validateEntry(entry, value, source) {
  switch (entry.type) {
    case 'integer':
      if (!Number.isInteger(value)) throw invalid(entry.key, `an integer`, value, source);
      if (entry.min !== undefined && value < entry.min) throw invalid(entry.key, `an integer >= ${entry.min}`, value, source);
      if (entry.max !== undefined && value > entry.max) throw invalid(entry.key, `an integer <= ${entry.max}`, value, source);
      break;
    case 'string':
      if (typeof value !== 'string') throw invalid(entry.key, 'a string', value, source);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(entry.key, 'true or false', value, source);
      break;
    case 'enum':
      if (!entry.values.includes(value)) throw invalid(entry.key, `one of ${entry.values.map((v) => `"${v}"`).join(', ')}`, value, source);
      break;
    case 'array':
      if (!Array.isArray(value)) throw invalid(entry.key, 'an array', value, source);
      break;
  }
}

const siteKey = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function validateSites(sites) {
  sites.forEach((s, i) => {
    const at = `sites[${i}]`;
    if (!s || typeof s !== 'object') throw invalid(at, 'an object', s);
    for (const k of Object.keys(s))
      if (!['key', 'name', 'enabled', 'allowedOrigins', 'settings'].includes(k)) throw new SwitchboardError('SB_CONFIG_INVALID', `unknown key "${at}.${k}"`);
    if (typeof s.key !== 'string' || !siteKey.test(s.key)) throw invalid(`${at}.key`, 'lower-case letters, digits, "-" or "_" (1-64)', s.key);
    if (s.name !== undefined && typeof s.name !== 'string') throw invalid(`${at}.name`, 'a string', s.name);
    if (s.enabled !== undefined && typeof s.enabled !== 'boolean') throw invalid(`${at}.enabled`, 'true or false', s.enabled);
    if (s.allowedOrigins !== undefined && (!Array.isArray(s.allowedOrigins) || !s.allowedOrigins.every((o) => typeof o === 'string')))
      throw invalid(`${at}.allowedOrigins`, 'an array of origins such as "https://shop.example" or "*"', s.allowedOrigins);
    if (s.settings !== undefined && (typeof s.settings !== 'object' || s.settings === null || Array.isArray(s.settings)))
      throw invalid(`${at}.settings`, 'an object', s.settings);
  });
}

/**
 * Builds the effective configuration.
 * @param {{file?: string|null, env?: NodeJS.ProcessEnv, options?: object, cwd?: string}} [src]
 */
function loadConfig(src = {}) {
  const env = src.env || process.env;
  const cwd = src.cwd || process.cwd();
  const config = {};
  for (const e of schema) setPath(config, e.key, structuredClone(e.default));

  let fileObj = null;
  let filePath = src.file;
  if (filePath === undefined) {
    const implicit = path.join(cwd, 'switchboard.config.json');
    filePath = fs.existsSync(implicit) ? implicit : null;
  }
  if (filePath) {
    let text;
    try {
      text = fs.readFileSync(path.resolve(cwd, filePath), 'utf8');
    } catch (err) {
      throw new SwitchboardError('SB_CONFIG_INVALID', `cannot read the config file ${filePath}: ${err.code || err.message}`);
    }
    try {
      fileObj = JSON.parse(text);
    } catch (err) {
      throw new SwitchboardError('SB_CONFIG_INVALID', `the config file ${filePath} is not valid JSON: ${err.message}`);
    }
    if (!fileObj || typeof fileObj !== 'object' || Array.isArray(fileObj))
      throw new SwitchboardError('SB_CONFIG_INVALID', `the config file ${filePath} must hold a JSON object`);
    checkUnknown(fileObj, filePath);
    for (const e of schema) {
      const v = getPath(fileObj, e.key);
      if (v !== undefined) {
        validateEntry(e, v, filePath);
        setPath(config, e.key, v);
      }
    }
  }
  for (const e of schema) {
    if (!e.env || env[e.env] === undefined || env[e.env] === '') continue;
    const v = coerceEnv(e, env[e.env]);
    validateEntry(e, v, e.env);
    setPath(config, e.key, v);
  }
  const options = src.options || {};
  checkUnknown(options, 'the options');
  for (const e of schema) {
    const v = getPath(options, e.key);
    if (v !== undefined) {
      validateEntry(e, v, 'the options');
      setPath(config, e.key, v);
    }
  }
  validateSites(config.sites);
  if (config.admin.password && config.admin.password.length < 8)
    throw invalid('admin.password', 'at least 8 characters', config.admin.password);
  if (config.admin.password && !config.admin.email)
    throw new SwitchboardError('SB_CONFIG_INVALID', 'admin.password is set but admin.email is not');
  config.dataDir = path.resolve(cwd, config.dataDir);
  config.webRoot = path.resolve(cwd, config.webRoot);
  return config;
}

/** The configuration with every secret replaced, for logs. */
function redactConfig(config) {
  const copy = structuredClone(config);
  for (const e of schema) if (e.secret && getPath(copy, e.key)) setPath(copy, e.key, '[redacted]');
  return copy;
}

function docs() {
  const rows = schema.map((e) => {
    const def = e.key === 'webRoot' ? '(the package\'s `web/`)' : `\`${JSON.stringify(e.default)}\``;
    const type = e.type === 'enum' ? e.values.map((v) => `\`${v}\``).join(' \\| ') : e.type + (e.min !== undefined ? ` (${e.min}–${e.max})` : '');
    return `| \`${e.key}\` | ${e.env ? `\`${e.env}\`` : ''} | ${type} | ${def} | ${e.doc} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated by `node js/config.js --docs > docs/configuration.md` from the schema in js/config.js. -->',
    '',
    'Sources, each overriding the one before: built-in defaults, the config file',
    '(`switchboard.config.json` in the working directory, or the file named by `--config`),',
    'environment variables, then options passed to `new Server(options)` in code. Keys are',
    'nested in JSON (`{"limits": {"maxFrameBytes": 65536}}`). An unknown key, a wrong type or an',
    'out-of-range value stops the start with `SB_CONFIG_INVALID` naming the key and where the',
    'value came from.',
    '',
    '| key | environment | type | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Example `switchboard.config.json`:',
    '',
    '```json',
    JSON.stringify({ port: 8080, dataDir: '/var/lib/switchboard', store: { synchronous: 'full' }, sites: [{ key: 'shop', name: 'Shop', allowedOrigins: ['https://shop.example'] }] }, null, 2),
    '```',
    '',
  ].join('\n');
}

if (require.main === module && process.argv.includes('--docs')) process.stdout.write(docs());

module.exports = { schema, loadConfig, redactConfig, docs };
