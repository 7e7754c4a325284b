'use strict';
// One schema for the whole configuration. From it come the defaults, validation (errors name
// the key, what was expected and where the value came from), the environment mapping and
// docs/configuration.md (`node js/config.js --docs`). Precedence: defaults < file < env < code.

const fs = require('fs');
const path = require('path');
const { SwitchboardError } = require('./errors');

const MAX_INT = Number.MAX_SAFE_INTEGER;

/**
 * @typedef {object} Entry
 * @property {string} key dotted path, camelCase (`limits.maxFrameBytes`)
 * @property {'integer'|'number'|'boolean'|'string'|'enum'|'array'} type
 * @property {any} default
 * @property {string} [env] environment variable
 * @property {string} description
 * @property {number} [min] integers and numbers: lowest value
 * @property {number} [max] integers and numbers: highest value (default: the largest safe integer)
 * @property {boolean} [site] `ai.*` entries: a site may override it in its own `ai` object
 * @property {string[]} [values] enums: the allowed values
 * @property {boolean} [nonEmpty] strings: must not be empty
 * @property {'email'} [format] strings: checked when not empty
 * @property {boolean} [secret] never printed, redacted in dumps and errors
 * @property {string} [docDefault] the default as shown in the docs, when it depends on the machine
 */

/** @type {readonly Entry[]} */
const schema = Object.freeze([
  { key: 'port', type: 'integer', default: 8080, env: 'PORT', min: 0, max: 65535, description: 'TCP port of the single public listener (HTTP, WebSocket at `/ws`); 0 picks a free port.' },
  { key: 'host', type: 'string', default: '0.0.0.0', env: 'SWITCHBOARD_HOST', nonEmpty: true, description: 'IP address to listen on.' },
  { key: 'dataDir', type: 'string', default: './data', env: 'SWITCHBOARD_DATA_DIR', nonEmpty: true, description: 'Directory for the SQLite database and other state (created if missing; relative to the working directory).' },
  { key: 'ioThreads', type: 'integer', default: 0, env: 'SWITCHBOARD_IO_THREADS', min: 0, max: 1024, description: 'Native I/O threads; 0 means one per CPU core.' },
  { key: 'webRoot', type: 'string', default: path.join(__dirname, '..', 'web'), docDefault: "the package's `web/`", env: 'SWITCHBOARD_WEB_ROOT', nonEmpty: true, description: 'Directory served as static files: the demo page at `/`, the console at `/console`.' },
  { key: 'store.driver', type: 'enum', values: ['sqlite', 'memory'], default: 'sqlite', env: 'SWITCHBOARD_STORE', description: '`sqlite` (durable) or `memory` (nothing survives a restart; for tests and benchmarks).' },
  { key: 'store.synchronous', type: 'enum', values: ['full', 'normal'], default: 'full', env: 'SWITCHBOARD_STORE_SYNC', description: '`full`: fsync every commit (survives power loss). `normal`: survives a crash or `kill -9` of the process, not a power loss.' },
  { key: 'limits.maxFrameBytes', type: 'integer', default: 65536, env: 'SWITCHBOARD_MAX_FRAME_BYTES', min: 1024, description: 'Largest WebSocket message accepted; a larger one closes the connection with 1009.' },
  { key: 'limits.maxTextBytes', type: 'integer', default: 16384, env: 'SWITCHBOARD_MAX_TEXT_BYTES', min: 1, description: 'Largest message text (UTF-8 bytes); a larger one gets error `too_large`.' },
  { key: 'limits.helloTimeoutMs', type: 'integer', default: 10000, env: 'SWITCHBOARD_HELLO_TIMEOUT_MS', min: 100, description: 'Time for the first frame (`hello`) to arrive, else close 4408.' },
  { key: 'limits.idleTimeoutMs', type: 'integer', default: 120000, env: 'SWITCHBOARD_IDLE_TIMEOUT_MS', min: 1000, description: 'A connection with no traffic at all (not even a pong) for this long is closed.' },
  { key: 'limits.pingIntervalMs', type: 'integer', default: 30000, env: 'SWITCHBOARD_PING_INTERVAL_MS', min: 500, description: 'The server pings a connection that has been quiet for this long.' },
  { key: 'limits.outboundQueueBytes', type: 'integer', default: 1048576, env: 'SWITCHBOARD_OUTBOUND_QUEUE_BYTES', min: 4096, description: 'Bytes queued for one connection before it is dropped as a slow consumer.' },
  { key: 'limits.maxHttpBodyBytes', type: 'integer', default: 1048576, env: 'SWITCHBOARD_MAX_HTTP_BODY_BYTES', min: 1024, description: 'Largest HTTP request body (413 above).' },
  { key: 'limits.maxHttpHeaderBytes', type: 'integer', default: 16384, env: 'SWITCHBOARD_MAX_HTTP_HEADER_BYTES', min: 1024, description: 'Largest HTTP request header block (431 above).' },
  { key: 'limits.shutdownGraceMs', type: 'integer', default: 5000, env: 'SWITCHBOARD_SHUTDOWN_GRACE_MS', min: 0, description: 'On stop (or SIGTERM), time connections get to close (code 1001) before they are cut.' },
  { key: 'limits.rateTableKeys', type: 'integer', default: 262144, env: 'SWITCHBOARD_RATE_TABLE_KEYS', min: 1024, description: 'Keys (visitors, addresses, sites) whose rate state is kept; fixed memory of about 40 bytes each. When full, idle keys are reused first.' },
  { key: 'limits.rateExemptIps', type: 'array', of: 'string', default: ['127.0.0.1', '::1'], description: 'Addresses never limited by the `*.ip` rate limits (other scopes still apply). Behind a reverse proxy on the same host every visitor comes from loopback: remove it here.' },
  { key: 'limits.floodStrikes', type: 'integer', default: 20, env: 'SWITCHBOARD_FLOOD_STRIKES', min: 0, description: '`rate_limited` refusals within `limits.floodWindowMs` after which the connection is closed with 4429; 0 never closes.' },
  { key: 'limits.floodWindowMs', type: 'integer', default: 10000, env: 'SWITCHBOARD_FLOOD_WINDOW_MS', min: 100, description: 'The window of `limits.floodStrikes`.' },
  { key: 'limits.maxIoLagMs', type: 'integer', default: 250, env: 'SWITCHBOARD_MAX_IO_LAG_MS', min: 10, description: 'I/O thread lag above which the server counts as saturated: new visitors are refused (close 1013) and new conversations wait (`rate_limited`); conversations in progress go on.' },
  { key: 'limits.maxStoreBacklog', type: 'integer', default: 20000, env: 'SWITCHBOARD_MAX_STORE_BACKLOG', min: 100, description: 'Queued store writes above which the server counts as saturated (as above).' },
  { key: 'limits.maxMemoryMb', type: 'integer', default: 0, env: 'SWITCHBOARD_MAX_MEMORY_MB', min: 0, description: 'Resident memory above which the server counts as saturated (as above); 0: no cap.' },
  { key: 'admin.email', type: 'string', default: '', env: 'SWITCHBOARD_ADMIN_EMAIL', format: 'email', description: 'E-mail of the first admin, created at start if no agent has it.' },
  { key: 'admin.password', type: 'string', default: '', env: 'SWITCHBOARD_ADMIN_PASSWORD', secret: true, description: 'Password of that admin (8 characters or more). Never logged. Without `admin.*`, a first start with no agent creates `admin@localhost` and prints its generated password once.' },
  { key: 'auth.tokenTtlSeconds', type: 'integer', default: 43200, env: 'SWITCHBOARD_TOKEN_TTL_SECONDS', min: 60, max: 31536000, description: 'Lifetime of the agent tokens issued by login.' },
  { key: 'log.level', type: 'enum', values: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info', env: 'SWITCHBOARD_LOG_LEVEL', description: 'Lowest level written to the JSON log (stdout).' },
  { key: 'ai.enabled', type: 'boolean', default: true, env: 'SWITCHBOARD_AI_ENABLED', site: true, description: 'The assistant answers new conversations first. It runs only where `ai.baseUrl` and `ai.model` are set; `false` turns it off for every site that does not turn it on.' },
  { key: 'ai.baseUrl', type: 'string', default: '', env: 'SWITCHBOARD_AI_BASE_URL', format: 'url', site: true, description: 'Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` (Ollama); `/chat/completions` is appended.' },
  { key: 'ai.apiKey', type: 'string', default: '', env: 'SWITCHBOARD_AI_API_KEY', secret: true, site: true, description: 'Sent as `Authorization: Bearer …`. Never logged; the admin API shows `(set)`.' },
  { key: 'ai.model', type: 'string', default: '', env: 'SWITCHBOARD_AI_MODEL', site: true, description: 'Model name sent upstream, e.g. `gpt-4o-mini`, `deepseek-chat`, `qwen-plus`.' },
  { key: 'ai.temperature', type: 'number', default: 0.3, env: 'SWITCHBOARD_AI_TEMPERATURE', min: 0, max: 2, site: true, description: 'Sampling temperature.' },
  { key: 'ai.maxTokens', type: 'integer', default: 512, env: 'SWITCHBOARD_AI_MAX_TOKENS', min: 0, site: true, description: 'Longest reply in tokens (`max_tokens`); 0 leaves it to the upstream.' },
  { key: 'ai.includeUsage', type: 'boolean', default: true, env: 'SWITCHBOARD_AI_INCLUDE_USAGE', site: true, description: 'Ask for token usage in the last chunk (`stream_options.include_usage`). Turn off for servers that reject the field; usage is then estimated from the text.' },
  { key: 'ai.connectTimeoutMs', type: 'integer', default: 5000, env: 'SWITCHBOARD_AI_CONNECT_TIMEOUT_MS', min: 1, site: true, description: 'Time to open a connection to the upstream.' },
  { key: 'ai.firstTokenTimeoutMs', type: 'integer', default: 20000, env: 'SWITCHBOARD_AI_FIRST_TOKEN_TIMEOUT_MS', min: 1, site: true, description: 'Time from sending the request to the first content; past it the attempt is retried or the conversation handed to humans.' },
  { key: 'ai.idleTimeoutMs', type: 'integer', default: 20000, env: 'SWITCHBOARD_AI_IDLE_TIMEOUT_MS', min: 1, site: true, description: 'Longest silence between two pieces of a streamed reply.' },
  { key: 'ai.totalTimeoutMs', type: 'integer', default: 120000, env: 'SWITCHBOARD_AI_TOTAL_TIMEOUT_MS', min: 1, site: true, description: 'Whole reply, retries included.' },
  { key: 'ai.maxRetries', type: 'integer', default: 2, env: 'SWITCHBOARD_AI_MAX_RETRIES', min: 0, max: 10, site: true, description: 'Retries on connect errors, 429 and 5xx, only before the first token reached the visitor. Backoff is exponential with jitter; `Retry-After` is honoured.' },
  { key: 'ai.retryBaseMs', type: 'integer', default: 250, env: 'SWITCHBOARD_AI_RETRY_BASE_MS', min: 1, site: true, description: 'First retry delay; doubles each retry (with jitter).' },
  { key: 'ai.retryMaxMs', type: 'integer', default: 5000, env: 'SWITCHBOARD_AI_RETRY_MAX_MS', min: 1, site: true, description: 'Longest retry delay.' },
  { key: 'ai.queueTimeoutMs', type: 'integer', default: 10000, env: 'SWITCHBOARD_AI_QUEUE_TIMEOUT_MS', min: 0, site: true, description: 'Longest wait for a slot when the upstream is at its learned capacity (docs/limits.md); past it, or when the expected wait is longer, the conversation goes to humans with `ai.busyMessage`.' },
  { key: 'ai.initialConcurrency', type: 'integer', default: 32, env: 'SWITCHBOARD_AI_INITIAL_CONCURRENCY', min: 1, site: true, description: 'Requests in flight allowed to an upstream before its capacity has been measured; the limit then doubles each round trip while latency stays near its baseline (slow start) and adapts from there.' },
  { key: 'ai.adaptiveConcurrency', type: 'boolean', default: true, env: 'SWITCHBOARD_AI_ADAPTIVE_CONCURRENCY', site: true, description: 'Learn each upstream\'s capacity (docs/limits.md). `false`: `ai.initialConcurrency` is a fixed limit (client-side throttling and the fair wait queue still apply).' },
  { key: 'ai.maxConcurrency', type: 'integer', default: 512, env: 'SWITCHBOARD_AI_MAX_CONCURRENCY', min: 1, site: true, description: 'Upper bound of the learned limit of requests in flight to one upstream (base URL + model).' },
  { key: 'ai.botName', type: 'string', default: 'Assistant', env: 'SWITCHBOARD_AI_BOT_NAME', site: true, description: 'Name shown on the bot\'s messages.' },
  { key: 'ai.systemPrompt', type: 'string', default: 'You are a helpful customer-service assistant. Answer briefly and politely. If you cannot help, or the customer wants a person, call transfer_to_human.', env: 'SWITCHBOARD_AI_SYSTEM_PROMPT', site: true, description: 'System prompt; the relevant knowledge entries are appended to it.' },
  { key: 'ai.greeting', type: 'string', default: '', env: 'SWITCHBOARD_AI_GREETING', site: true, description: 'First bot message of each new conversation (none when empty).' },
  { key: 'ai.handoffWords', type: 'array', of: 'string', default: ['human', 'agent', 'real person', 'operator', '人工', '转人工', '客服'], site: true, description: 'A visitor message containing one of these (whole words; substrings for CJK) goes to humans at once.' },
  { key: 'ai.toolHandoff', type: 'boolean', default: true, env: 'SWITCHBOARD_AI_TOOL_HANDOFF', site: true, description: 'Offer the model a `transfer_to_human` function; calling it hands the conversation over.' },
  { key: 'ai.maxBotTurns', type: 'integer', default: 8, env: 'SWITCHBOARD_AI_MAX_BOT_TURNS', min: 1, site: true, description: 'Bot replies after which the next visitor message goes to humans.' },
  { key: 'ai.historyTurns', type: 'integer', default: 20, env: 'SWITCHBOARD_AI_HISTORY_TURNS', min: 1, site: true, description: 'Most recent messages put into the prompt…' },
  { key: 'ai.historyTokens', type: 'integer', default: 3000, env: 'SWITCHBOARD_AI_HISTORY_TOKENS', min: 100, site: true, description: '…within this estimated token budget (older turns are dropped first).' },
  { key: 'ai.knowledgeTop', type: 'integer', default: 3, env: 'SWITCHBOARD_AI_KNOWLEDGE_TOP', min: 0, site: true, description: 'FAQ entries (BM25-ranked against the visitor\'s last message) put into the prompt.' },
  { key: 'ai.knowledge', type: 'array', of: 'faq', default: [], site: true, description: 'FAQ entries `[{question, answer}]` the bot draws on.' },
  { key: 'ai.handoffMessage', type: 'string', default: "I'm connecting you with a member of our team.", site: true, description: 'System message when the conversation goes to humans and an agent of the site is online.' },
  { key: 'ai.unavailableMessage', type: 'string', default: 'Sorry, our assistant is unavailable right now.', site: true, description: 'Said first when the upstream fails (down, over its limits, cut mid-reply, too slow), followed by `handoffMessage` or `offlineMessage`.' },
  { key: 'ai.busyMessage', type: 'string', default: 'Our assistant is busy right now.', site: true, description: 'Said first, instead of `ai.unavailableMessage`, when the upstream is at capacity and the reply could not start within `ai.queueTimeoutMs`.' },
  { key: 'ai.offlineMessage', type: 'string', default: 'Nobody from our team is online right now. Leave your message here and we will answer as soon as we can.', site: true, description: 'Instead of `handoffMessage` when no agent of the site is online.' },
  { key: 'rateLimits', type: 'rules', env: 'SWITCHBOARD_RATE_LIMITS', default: {
    'message.visitor': { burst: 20, perSecond: 2, windowMs: 60000, windowMax: 120 },
    'message.ip': { burst: 60, perSecond: 6, windowMs: 60000, windowMax: 720 },
    'message.site': { burst: 5000, perSecond: 1000 },
    'message.global': { burst: 50000, perSecond: 20000 },
    'conversation.visitor': { burst: 5, perSecond: 0.05, windowMs: 3600000, windowMax: 40 },
    'conversation.ip': { burst: 30, perSecond: 0.5, windowMs: 3600000, windowMax: 400 },
    'conversation.site': { burst: 5000, perSecond: 500 },
    'conversation.global': { burst: 20000, perSecond: 2000 },
    'connection.ip': { burst: 60, perSecond: 2, windowMs: 60000, windowMax: 300 },
    'connection.site': { burst: 10000, perSecond: 1000 },
    'connection.global': { burst: 20000, perSecond: 2000 },
    'login.account': { burst: 5, perSecond: 1 / 60, windowMs: 3600000, windowMax: 30 },
    'login.ip': { burst: 20, perSecond: 0.1, windowMs: 3600000, windowMax: 200 },
  }, docDefault: 'see docs/limits.md', description: 'Rate limits, `"<action>.<scope>": {burst, perSecond, windowMs, windowMax}` or `null` (off): a token bucket (`burst`, refilled at `perSecond`) and a sliding window (at most `windowMax` per `windowMs`). Actions: `message`, `conversation` (new ones), `connection` (visitor WebSockets), `login`; scopes: `visitor` (`account` for logins), `ip`, `site`, `global`. Keys given replace those defaults; a site may override any in its own `rateLimits`.' },
  { key: 'sites', type: 'array', default: [], description: 'Sites created or updated at start: `[{key, name, enabled, allowedOrigins, settings}]`. The `demo` site (`allowedOrigins: ["*"]`) is created on the first start.' },
]);

const byKey = new Map(schema.map((e) => [e.key, e]));
const groups = new Set(schema.filter((e) => e.key.includes('.')).map((e) => e.key.split('.')[0]));
const siteFields = ['key', 'name', 'enabled', 'allowedOrigins', 'settings', 'ai', 'rateLimits'];
const rateActions = { message: ['visitor', 'ip', 'site', 'global'], conversation: ['visitor', 'ip', 'site', 'global'], connection: ['ip', 'site', 'global'], login: ['account', 'ip'] };
const rateKeys = Object.entries(rateActions).flatMap(([a, scopes]) => scopes.map((x) => `${a}.${x}`));
const ruleFields = ['burst', 'perSecond', 'windowMs', 'windowMax'];
const siteAiEntries = new Map(schema.filter((e) => e.site).map((e) => [e.key.slice(3), e]));
const siteKeyPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const emailPattern = /^[^\s@]+@[^\s@]+$/;
const urlPattern = /^https?:\/\/[^\s/]+(\/\S*)?$/;

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function getPath(obj, key) {
  return key.split('.').reduce((o, k) => (isPlainObject(o) ? o[k] : undefined), obj);
}

function setPath(obj, key, value) {
  const parts = key.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] = isPlainObject(o[p]) ? o[p] : {};
  o[parts[parts.length - 1]] = value;
}

function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** `; did you mean "x"?` for the closest of `candidates`, or '' when none is close. */
function hint(name, candidates) {
  let best = null;
  let bestDist = Infinity;
  for (const c of candidates) {
    const dist = distance(c.toLowerCase(), name.toLowerCase());
    if (dist < bestDist) [best, bestDist] = [c, dist];
  }
  return best !== null && bestDist <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean "${best}"?` : '';
}

function fail(message) {
  return new SwitchboardError('SB_CONFIG_INVALID', message);
}

function invalid(key, expected, value, source, secret = false) {
  const shown = secret ? '"[redacted]"' : JSON.stringify(value) ?? String(value);
  return fail(`${key} must be ${expected} (got ${shown}${source ? ` from ${source}` : ''})`);
}

/** What an entry accepts, in words: `an integer >= 1024`, `one of "a", "b"`. */
function expectation(e) {
  switch (e.type) {
    case 'integer': {
      const max = e.max ?? MAX_INT;
      return max === MAX_INT ? `an integer >= ${e.min}` : `an integer from ${e.min} to ${max}`;
    }
    case 'number':
      return `a number from ${e.min} to ${e.max}`;
    case 'boolean':
      return 'true or false';
    case 'rules':
      return 'an object of rate limits';
    case 'enum':
      return `one of ${e.values.map((v) => `"${v}"`).join(', ')}`;
    case 'array':
      if (e.of === 'string') return 'an array of strings';
      if (e.of === 'faq') return 'an array of {question, answer} with string values';
      return 'an array';
    default:
      if (e.format === 'email') return 'an e-mail address';
      if (e.format === 'url') return 'an http:// or https:// URL';
      return e.nonEmpty ? 'a non-empty string' : 'a string';
  }
}

function validateEntry(e, value, source) {
  let ok;
  switch (e.type) {
    case 'integer':
      ok = Number.isInteger(value) && value >= e.min && value <= (e.max ?? MAX_INT);
      break;
    case 'number':
      ok = typeof value === 'number' && Number.isFinite(value) && value >= e.min && value <= e.max;
      break;
    case 'boolean':
      ok = typeof value === 'boolean';
      break;
    case 'rules':
      ok = isPlainObject(value);
      if (ok) validateRules(value, e.key, source);
      break;
    case 'enum':
      ok = e.values.includes(value);
      break;
    case 'array':
      ok = Array.isArray(value);
      if (ok && e.of === 'string') ok = value.every((v) => typeof v === 'string');
      if (ok && e.of === 'faq') ok = value.every((v) => isPlainObject(v) && typeof v.question === 'string' && typeof v.answer === 'string' && Object.keys(v).every((k) => k === 'question' || k === 'answer'));
      break;
    default:
      ok =
        typeof value === 'string' &&
        !(e.nonEmpty && value === '') &&
        !(e.format === 'email' && value !== '' && !emailPattern.test(value)) &&
        !(e.format === 'url' && value !== '' && !urlPattern.test(value));
  }
  if (!ok) throw invalid(e.key, expectation(e), value, source, e.secret);
}

/** Rejects keys the schema does not know, with a hint; and groups that are not objects. */
function checkKeys(obj, source, prefix = '') {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (byKey.has(key)) continue;
    if (!prefix && groups.has(k)) {
      if (!isPlainObject(v)) throw invalid(key, 'an object', v, source);
      checkKeys(v, source, key + '.');
      continue;
    }
    throw fail(`unknown key "${key}" in ${source}${hint(key, [...byKey.keys(), ...groups])}`);
  }
}

/**
 * Validates one site object (`at` names it in errors, e.g. `sites[0]`).
 * @param {unknown} s
 * @param {string} [at]
 * @param {string} [source]
 */
function validateSite(s, at = 'site', source) {
  if (!isPlainObject(s)) throw invalid(at, 'an object {key, name, enabled, allowedOrigins, settings}', s, source);
  for (const k of Object.keys(s))
    if (!siteFields.includes(k)) throw fail(`unknown key "${at}.${k}"${source ? ` in ${source}` : ''}${hint(k, siteFields)}`);
  const check = (field, ok, expected) => {
    if (s[field] !== undefined && !ok(s[field])) throw invalid(`${at}.${field}`, expected, s[field], source);
  };
  if (s.key === undefined) throw fail(`${at}.key is required (a site key such as "shop")`);
  check('key', (v) => typeof v === 'string' && siteKeyPattern.test(v), '1-64 lower-case letters, digits, "-" or "_"');
  check('name', (v) => typeof v === 'string', 'a string');
  check('enabled', (v) => typeof v === 'boolean', 'true or false');
  check('allowedOrigins', (v) => Array.isArray(v) && v.every((o) => typeof o === 'string' && o !== ''), 'an array of origins such as "https://shop.example", or ["*"]');
  check('settings', isPlainObject, 'an object');
  check('ai', isPlainObject, 'an object with the assistant settings (ai.* keys without "ai.")');
  check('rateLimits', isPlainObject, 'an object of rate limits ("message.visitor": {burst, perSecond, windowMs, windowMax})');
  if (s.rateLimits !== undefined) validateRules(s.rateLimits, `${at}.rateLimits`, source);
  if (s.ai !== undefined) validateSiteAi(s.ai, `${at}.ai`, source);
}

/** Rate limits: known "<action>.<scope>" keys, each null or {burst, perSecond, windowMs, windowMax}. */
function validateRules(rules, at, source) {
  const from = source ? ` in ${source}` : '';
  for (const [k, rule] of Object.entries(rules)) {
    if (!rateKeys.includes(k)) throw fail(`unknown key "${at}.${k}"${from}${hint(k, rateKeys)}`);
    if (rule === null) continue;
    if (!isPlainObject(rule)) throw invalid(`${at}.${k}`, '{burst, perSecond, windowMs, windowMax} or null', rule, source);
    for (const [f, v] of Object.entries(rule)) {
      if (!ruleFields.includes(f)) throw fail(`unknown key "${at}.${k}.${f}"${from}${hint(f, ruleFields)}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(`${at}.${k}.${f}`, 'a number >= 0', v, source);
    }
    if (rule.windowMax > 0 && !(rule.windowMs > 0)) throw fail(`${at}.${k}.windowMs must be > 0 when windowMax is set${from}`);
    if (rule.burst > 0 && !(rule.perSecond > 0)) throw fail(`${at}.${k}.perSecond must be > 0 when burst is set${from}`);
  }
}

/** A site's own assistant settings: any `ai.*` key of the schema, same types. */
function validateSiteAi(ai, at, source) {
  for (const [k, v] of Object.entries(ai)) {
    const e = siteAiEntries.get(k);
    if (!e) throw fail(`unknown key "${at}.${k}"${source ? ` in ${source}` : ''}${hint(k, [...siteAiEntries.keys()])}`);
    validateEntry({ ...e, key: `${at}.${k}` }, v, source);
  }
}

function validateSites(sites, source) {
  const seen = new Set();
  sites.forEach((s, i) => {
    validateSite(s, `sites[${i}]`, source);
    if (seen.has(s.key)) throw fail(`sites[${i}].key "${s.key}" appears twice`);
    seen.add(s.key);
  });
}

function coerceEnv(e, raw) {
  if (e.type === 'integer' && /^\s*-?\d+\s*$/.test(raw)) return Number(raw);
  if (e.type === 'number' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) return Number(raw);
  if (e.type === 'rules') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw; // reported as "must be an object of rate limits"
    }
  }
  if (e.type === 'boolean' && /^(true|1|yes|on)$/i.test(raw.trim())) return true;
  if (e.type === 'boolean' && /^(false|0|no|off)$/i.test(raw.trim())) return false;
  return raw;
}

/** Overlays `obj` (a nested object from `source`) on `config`, validating each value. */
function overlay(config, obj, source) {
  checkKeys(obj, source);
  for (const e of schema) {
    const v = getPath(obj, e.key);
    if (v === undefined) continue;
    validateEntry(e, v, source);
    if (e.key === 'sites') validateSites(v, source);
    // Rate limits merge rule by rule: naming one keeps the others' defaults.
    const merged = e.type === 'rules' ? { ...getPath(config, e.key), ...v } : v;
    setPath(config, e.key, structuredClone(merged));
  }
}

function readFile(file, cwd) {
  const full = path.resolve(cwd, file);
  let text;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw fail(`cannot read the config file ${full}: ${err.code || err.message}`);
  }
  let obj;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw fail(`the config file ${full} is not valid JSON: ${err.message}`);
  }
  if (!isPlainObject(obj)) throw fail(`the config file ${full} must hold a JSON object`);
  return { obj, full };
}

/**
 * Builds the effective configuration: defaults < config file < environment < options.
 * @param {object} [src]
 * @param {string|null} [src.file] config file; default `switchboard.config.json` in `cwd` if it
 *   exists; `null` for none
 * @param {Record<string, string|undefined>} [src.env] default `process.env`
 * @param {object} [src.options] options given in code
 * @param {string} [src.cwd] base for relative paths; default `process.cwd()`
 * @returns {object} a new, complete, validated configuration object
 * @throws {SwitchboardError} SB_CONFIG_INVALID naming the key, the expectation and the source
 */
function loadConfig(src = {}) {
  const env = src.env || process.env;
  const cwd = src.cwd || process.cwd();
  const config = {};
  for (const e of schema) setPath(config, e.key, structuredClone(e.default));

  let file = src.file;
  if (file === undefined) {
    const implicit = path.join(cwd, 'switchboard.config.json');
    file = fs.existsSync(implicit) ? implicit : null;
  }
  if (file) {
    const { obj, full } = readFile(file, cwd);
    overlay(config, obj, full);
  }
  for (const e of schema) {
    if (!e.env || env[e.env] === undefined || env[e.env] === '') continue;
    const v = coerceEnv(e, env[e.env]);
    validateEntry(e, v, e.env);
    setPath(config, e.key, e.type === 'rules' ? { ...getPath(config, e.key), ...v } : v);
  }
  if (src.options !== undefined && !isPlainObject(src.options)) throw invalid('options', 'an object', src.options);
  overlay(config, src.options || {}, 'the options');

  if (config.admin.password && config.admin.password.length < 8)
    throw invalid('admin.password', 'at least 8 characters', config.admin.password, null, true);
  if (config.admin.password && !config.admin.email) throw fail('admin.password is set but admin.email is not; set both');
  if (config.admin.email && !config.admin.password) throw fail('admin.email is set but admin.password is not; set both');
  config.dataDir = path.resolve(cwd, config.dataDir);
  config.webRoot = path.resolve(cwd, config.webRoot);
  return config;
}

/**
 * A deep copy with every secret replaced by "[redacted]", for logs and dumps.
 * @param {object} config
 */
function redactConfig(config) {
  const copy = structuredClone(config);
  for (const e of schema) if (e.secret && getPath(copy, e.key)) setPath(copy, e.key, '[redacted]');
  for (const site of Array.isArray(copy.sites) ? copy.sites : [])
    if (isPlainObject(site?.ai) && site.ai.apiKey) site.ai.apiKey = '[redacted]';
  return copy;
}

function docsType(e) {
  if (e.type === 'enum') return e.values.map((v) => `\`${v}\``).join(' \\| ');
  if (e.type === 'integer') return (e.max ?? MAX_INT) === MAX_INT ? `integer ≥ ${e.min}` : `integer ${e.min}–${e.max}`;
  if (e.type === 'number') return `number ${e.min}–${e.max}`;
  if (e.type === 'boolean') return 'boolean';
  if (e.type === 'rules') return 'object of rate limits';
  if (e.key === 'sites') return 'array of sites';
  if (e.of === 'string') return 'array of strings';
  if (e.of === 'faq') return 'array of `{question, answer}`';
  if (e.type === 'array') return 'array';
  if (e.format === 'url') return 'URL';
  return e.format === 'email' ? 'e-mail' : 'string';
}

/** The text of docs/configuration.md, generated from the schema. */
function docs() {
  const cell = (s) => s.replace(/\|/g, '\\|');
  const rows = schema.map((e) => {
    const def = e.docDefault || `\`${JSON.stringify(e.default)}\``;
    return `| \`${e.key}\` | ${e.env ? `\`${e.env}\`` : '—'} | ${docsType(e)} | ${def} | ${cell(e.description)}${e.secret ? ' *(secret)*' : ''} |`;
  });
  const example = {
    port: 8080,
    dataDir: '/var/lib/switchboard',
    store: { synchronous: 'full' },
    limits: { maxTextBytes: 8192 },
    admin: { email: 'you@example.com' },
    ai: { baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', greeting: 'Hi! How can I help?' },
    sites: [
      {
        key: 'shop',
        name: 'Shop',
        allowedOrigins: ['https://shop.example'],
        ai: { knowledge: [{ question: 'How long does delivery take?', answer: '2-4 working days in the EU.' }] },
      },
    ],
  };
  return [
    '# Configuration',
    '',
    '<!-- Generated from the schema in js/config.js by `node js/config.js --docs > docs/configuration.md`. Do not edit. -->',
    '',
    'Sources, each overriding the one before:',
    '',
    '1. built-in defaults;',
    '2. the config file: `switchboard.config.json` in the working directory, or the file given',
    '   with `switchboard --config FILE` (`configFile` in code);',
    '3. environment variables;',
    '4. options passed in code (`new Server(options)`) or on the command line (`--port`, `--data-dir`).',
    '',
    'Keys are nested in JSON (`{"limits": {"maxFrameBytes": 65536}}`). An unknown key (with a',
    '"did you mean" hint), a wrong type or an out-of-range value stops the start with',
    '`SB_CONFIG_INVALID`, naming the key, what was expected and where the value came from:',
    '',
    '```',
    'SB_CONFIG_INVALID: limits.maxFrameBytes must be an integer >= 1024 (got "64k" from SWITCHBOARD_MAX_FRAME_BYTES)',
    '```',
    '',
    'Secrets are never printed: configuration dumps and error messages show `[redacted]`. The AI',
    'key is best given in the environment (`SWITCHBOARD_AI_API_KEY`).',
    '',
    '| key | environment | type | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'A site is `{key, name, enabled, allowedOrigins, settings, ai}`: `key` is 1–64 lower-case letters,',
    'digits, `-` or `_`; `enabled` defaults to `true`; `allowedOrigins` lists the page origins',
    'allowed to open visitor connections (`["*"]` for any); `settings` is an object for the widget;',
    '`ai` overrides any `ai.*` setting for that site (`{"ai": {"enabled": false}}`, its own',
    '`systemPrompt`, `knowledge`, even its own `baseUrl`/`apiKey`/`model`). See docs/ai.md.',
    '',
    'Example `switchboard.config.json` (the admin password is best given in the environment):',
    '',
    '```json',
    JSON.stringify(example, null, 2),
    '```',
    '',
  ].join('\n');
}

if (require.main === module) {
  if (process.argv.includes('--docs')) process.stdout.write(docs());
  else process.stdout.write(JSON.stringify(redactConfig(loadConfig()), null, 2) + '\n');
}

module.exports = { schema, loadConfig, redactConfig, validateSite, validateRules, rateKeys, docs };
