'use strict';
const { Logger, redact } = require('../../../js/logger');

it('writes one JSON line per event with level, time and message', () => {
  const lines = [];
  const log = new Logger({ level: 'info', write: (l) => lines.push(l) });
  log.debug('hidden');
  log.info('hello', { port: 1 });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', msg: 'hello', port: 1 });
  expect(typeof JSON.parse(lines[0]).time).toBe('number');
});

it('redacts secrets at any depth', () => {
  expect(redact({ password: 'x', nested: { apiKey: 'k', token: 't', ok: 1 }, Authorization: 'b' })).toEqual({
    password: '[redacted]',
    nested: { apiKey: '[redacted]', token: '[redacted]', ok: 1 },
    Authorization: '[redacted]',
  });
});

it('child loggers bind fields', () => {
  const lines = [];
  new Logger({ write: (l) => lines.push(l) }).child({ req: 'r1' }).warn('x');
  expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', req: 'r1' });
});
