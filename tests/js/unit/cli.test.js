'use strict';
// js/cli.js: argument parsing, and the exits that need no native addon (help, version,
// configuration errors).
const path = require('path');
const { spawnSync } = require('child_process');
const { parseArgs, optionsFrom } = require('../../../js/cli');

const cli = path.join(__dirname, '..', '..', '..', 'js', 'cli.js');
const run = (args, env = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: __dirname, env: { PATH: process.env.PATH, ...env }, timeout: 10000 });

describe('parseArgs()', () => {
  it('parses the documented options, separated or with =', () => {
    expect(parseArgs([])).toEqual({});
    expect(parseArgs(['--config', 'a.json', '--port', '9000', '--data-dir', '/d'])).toEqual({ config: 'a.json', port: 9000, dataDir: '/d' });
    expect(parseArgs(['--port=1', '--config=x=y.json'])).toEqual({ port: 1, config: 'x=y.json' });
    expect(parseArgs(['-h'])).toEqual({ help: true });
    expect(parseArgs(['--version'])).toEqual({ version: true });
  });

  it('reports bad options instead of guessing', () => {
    expect(parseArgs(['--port', 'x']).error).toBe('--port needs a number from 0 to 65535, got "x"');
    expect(parseArgs(['--port', '65536']).error).toMatch(/--port needs a number/);
    expect(parseArgs(['--frobnicate']).error).toBe('unknown option "--frobnicate"');
    expect(parseArgs(['serve']).error).toBe('unknown argument "serve"');
    expect(parseArgs(['--config']).error).toBe('--config needs a value');
    expect(parseArgs(['--config', '--port', '1']).error).toBe('--config needs a value');
    expect(parseArgs(['--data-dir=']).error).toBe('--data-dir needs a value');
  });
});

describe('optionsFrom()', () => {
  it('turns arguments into Server options, paths resolved against the working directory', () => {
    expect(optionsFrom({ config: 'c.json', port: 0, dataDir: 'd' }, '/srv')).toEqual({ configFile: '/srv/c.json', port: 0, dataDir: '/srv/d' });
    expect(optionsFrom({}, '/srv')).toEqual({});
  });
});

describe('switchboard (process)', () => {
  it('--help prints the usage and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: switchboard \[--config FILE\] \[--port N\] \[--data-dir DIR\]/);
  });

  it('--version prints the package version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(require('../../../package.json').version);
  });

  it('exits 2 with the message and no stack trace on a bad argument or configuration', () => {
    const arg = run(['--port', 'nope']);
    expect(arg.status).toBe(2);
    expect(arg.stderr).toMatch(/--port needs a number/);
    const env = run([], { SWITCHBOARD_MAX_FRAME_BYTES: '64k' });
    expect(env.status).toBe(2);
    expect(env.stderr).toBe('switchboard: SB_CONFIG_INVALID: limits.maxFrameBytes must be an integer >= 1024 (got "64k" from SWITCHBOARD_MAX_FRAME_BYTES)\n');
    const file = run(['--config', 'no-such-file.json']);
    expect(file.status).toBe(2);
    expect(file.stderr).toMatch(/cannot read the config file .*no-such-file\.json/);
    expect(file.stderr).not.toMatch(/\n\s+at /);
  });
});
