'use strict';
// Structured JSON logs: one line per event ({level, time (epoch ms), msg, ...fields}) on
// stdout, the shape the native core writes too. Values under keys that can hold secrets are
// redacted at any depth. Lines the core already formatted pass through untouched.

const levels = Object.freeze({ debug: 10, info: 20, warn: 30, error: 40, silent: 100 });

// password, passwordHash, secret, clientSecret, authorization, cookie, apiKey, token,
// visitorToken; not tokenTtlSeconds or tokensUsed.
const secretKey = /pass(word|wd)|secret|authorization|cookie|api[-_]?key|token$/i;
const MAX_DEPTH = 6;

/**
 * A copy of `value` with secret-looking keys replaced by "[redacted]" and errors flattened.
 * @param {unknown} value
 */
function redact(value, depth = 0) {
  if (value instanceof Error) return serializeError(value);
  if (!value || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretKey.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

function serializeError(err) {
  const out = { type: err.name, message: err.message };
  if (err.code !== undefined) out.code = err.code;
  if (err.stack) out.stack = err.stack;
  return out;
}

class Logger {
  /**
   * @param {object} [opts]
   * @param {keyof typeof levels} [opts.level] lowest level written (default "info")
   * @param {object} [opts.fields] fields bound to every line
   * @param {(line: string) => void} [opts.write] sink (default: stdout)
   */
  constructor(opts = {}) {
    if (opts.level !== undefined && !(opts.level in levels)) throw new TypeError(`unknown log level ${opts.level}`);
    this.level = opts.level || 'info';
    this.fields = redact(opts.fields || {});
    this.write = opts.write || ((line) => process.stdout.write(line + '\n'));
  }

  /** A logger writing to the same sink with `fields` bound to every line. */
  child(fields) {
    return new Logger({ level: this.level, write: this.write, fields: { ...this.fields, ...fields } });
  }

  /** @param {string} level */
  enabled(level) {
    return (levels[level] ?? levels.info) >= levels[this.level];
  }

  /**
   * @param {'debug'|'info'|'warn'|'error'} level
   * @param {string} msg
   * @param {object} [fields] an `err` field holding an Error is written as {type, message, code, stack}
   */
  log(level, msg, fields) {
    if (!this.enabled(level)) return;
    const own = { level, time: Date.now(), msg: String(msg) };
    const line = { level, time: own.time, ...this.fields, msg: own.msg, ...redact(fields || {}) };
    Object.assign(line, own); // fields never overwrite level, time or msg
    let text;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({ level, time: line.time, msg: line.msg, logError: 'fields could not be serialised' });
    }
    this.write(text);
  }

  /** Writes a line the core already formatted as JSON, if `level` is enabled. */
  raw(level, line) {
    if (this.enabled(level)) this.write(line);
  }

  debug(msg, fields) { this.log('debug', msg, fields); }
  info(msg, fields) { this.log('info', msg, fields); }
  warn(msg, fields) { this.log('warn', msg, fields); }
  error(msg, fields) { this.log('error', msg, fields); }
}

module.exports = { Logger, redact, levels };
