'use strict';
// Structured JSON logs: one line per event on stdout, with level, time and message. Keys that
// can hold secrets are redacted wherever they appear.

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const secretKey = /pass(word)?|secret|token|authorization|api[-_]?key/i;

function redact(value, depth = 0) {
  if (!value || typeof value !== 'object' || depth > 5) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretKey.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

class Logger {
  /** @param {{level?: string, fields?: object, write?: (line: string) => void}} [opts] */
  constructor(opts = {}) {
    this.min = levels[opts.level || 'info'] ?? levels.info;
    this.fields = opts.fields || {};
    this.write = opts.write || ((line) => process.stdout.write(line + '\n'));
  }

  child(fields) {
    const c = new Logger({ write: this.write, fields: { ...this.fields, ...fields } });
    c.min = this.min;
    return c;
  }

  enabled(level) {
    return (levels[level] ?? levels.info) >= this.min;
  }

  log(level, msg, fields) {
    if (!this.enabled(level)) return;
    const entry = { level, time: Date.now(), msg, ...redact(this.fields), ...redact(fields || {}) };
    if (fields && fields.err instanceof Error) entry.err = { message: fields.err.message, code: fields.err.code };
    this.write(JSON.stringify(entry));
  }

  /** A line the core already formatted as JSON. */
  raw(level, line) {
    if (this.enabled(level)) this.write(line);
  }

  debug(msg, f) { this.log('debug', msg, f); }
  info(msg, f) { this.log('info', msg, f); }
  warn(msg, f) { this.log('warn', msg, f); }
  error(msg, f) { this.log('error', msg, f); }
}

module.exports = { Logger, redact, levels };
