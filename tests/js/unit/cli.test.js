'use strict';
const { parseArgs } = require('../../../js/cli');

it('parses the documented options', () => {
  expect(parseArgs(['--config', 'a.json', '--port', '9000', '--data-dir', '/d'])).toEqual({ config: 'a.json', port: 9000, dataDir: '/d' });
  expect(parseArgs(['--port=1'])).toEqual({ port: 1 });
  expect(parseArgs(['-h'])).toEqual({ help: true });
});

it('reports bad options instead of guessing', () => {
  expect(parseArgs(['--port', 'x']).error).toMatch(/--port needs a number/);
  expect(parseArgs(['--frobnicate']).error).toMatch(/unknown option/);
  expect(parseArgs(['--config']).error).toMatch(/--config needs a value/);
});
