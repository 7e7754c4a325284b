'use strict';
// js/logger.js: one JSON line per event, levels, bound fields, redaction, native passthrough.
const { Logger, redact } = require('../../../js/logger');

function capture(opts) {
  const lines = [];
  const log = new Logger({ write: (l) => lines.push(l), ...opts });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('Logger', () => {
  it('writes one JSON line per event with level, time and message first', () => {
    const { log, lines, parsed } = capture({ level: 'info' });
    log.info('hello', { port: 1 });
    expect(lines).toHaveLength(1);
    expect(Object.keys(parsed()[0])).toEqual(['level', 'time', 'msg', 'port']);
    expect(parsed()[0]).toMatchObject({ level: 'info', msg: 'hello', port: 1 });
    expect(Math.abs(parsed()[0].time - Date.now())).toBeLessThan(5000);
  });

  it('writes only the levels at or above its own', () => {
    const { log, parsed } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(parsed().map((l) => l.level)).toEqual(['warn', 'error']);
    const silent = capture({ level: 'silent' });
    silent.log.error('x');
    expect(silent.lines).toHaveLength(0);
  });

  it('refuses an unknown level', () => {
    expect(() => new Logger({ level: 'loud' })).toThrow(/unknown log level/);
  });

  it('binds fields in child loggers, which share the level and the sink', () => {
    const { log, parsed } = capture({ level: 'warn' });
    const child = log.child({ req: 'r1', password: 'p' });
    child.info('dropped');
    child.warn('kept', { extra: true });
    expect(parsed()).toEqual([expect.objectContaining({ level: 'warn', req: 'r1', password: '[redacted]', msg: 'kept', extra: true })]);
  });

  it('never lets fields overwrite level, time or msg', () => {
    const { log, parsed } = capture();
    log.info('real', { level: 'error', msg: 'fake', time: 1 });
    expect(parsed()[0]).toMatchObject({ level: 'info', msg: 'real' });
    expect(parsed()[0].time).not.toBe(1);
  });

  it('writes errors as type, message, code and stack', () => {
    const { log, parsed } = capture();
    const err = Object.assign(new Error('boom'), { code: 'E_BOOM' });
    log.error('failed', { err });
    expect(parsed()[0].err).toMatchObject({ type: 'Error', message: 'boom', code: 'E_BOOM' });
    expect(parsed()[0].err.stack).toMatch(/boom/);
  });

  it('survives circular fields', () => {
    const { log, parsed } = capture();
    const a = { name: 'a' };
    a.self = a;
    log.info('circular', { a });
    expect(parsed()[0].msg).toBe('circular');
  });

  it('passes native lines through untouched, at their level', () => {
    const { log, lines } = capture({ level: 'info' });
    const line = '{"level":"info","time":1,"src":"core","msg":"listening","port":"1"}';
    log.raw('debug', '{"level":"debug"}');
    log.raw('info', line);
    expect(lines).toEqual([line]);
  });
});

describe('redact()', () => {
  it('hides secret-looking keys at any depth, whatever their case', () => {
    expect(
      redact({ password: 'x', passwordHash: 'h', nested: { apiKey: 'k', token: 't', visitorToken: 'v', ok: 1 }, list: [{ secret: 's' }], Authorization: 'b', cookie: 'c' }),
    ).toEqual({
      password: '[redacted]',
      passwordHash: '[redacted]',
      nested: { apiKey: '[redacted]', token: '[redacted]', visitorToken: '[redacted]', ok: 1 },
      list: [{ secret: '[redacted]' }],
      Authorization: '[redacted]',
      cookie: '[redacted]',
    });
  });

  it('keeps keys that only look alike', () => {
    expect(redact({ tokenTtlSeconds: 60, tokensUsed: 3, email: 'a@b.c' })).toEqual({ tokenTtlSeconds: 60, tokensUsed: 3, email: 'a@b.c' });
  });

  it('does not change its input', () => {
    const input = { password: 'x' };
    redact(input);
    expect(input.password).toBe('x');
  });
});
