#!/usr/bin/env node
'use strict';
// `switchboard` / `npm start`: runs one server until SIGTERM or SIGINT, then stops it
// gracefully (WebSockets closed with 1001, the store flushed) and exits 0. Exit 2: bad
// arguments or configuration; exit 1: any other failure.

const path = require('path');

const usage = `Usage: switchboard [--config FILE] [--port N] [--data-dir DIR]

Runs the Switchboard live-chat server: demo page at /, agent console at /console,
WebSocket protocol at /ws, admin API under /api/v1.

Options:
  --config FILE    configuration file (default: ./switchboard.config.json if present)
  --port N         listen on port N (overrides PORT and the file)
  --data-dir DIR   keep data in DIR (overrides SWITCHBOARD_DATA_DIR and the file)
  -h, --help       show this help
  -v, --version    show the version

Every setting, with its environment variable: docs/configuration.md`;

const valueFlags = { '--config': 'config', '--port': 'port', '--data-dir': 'dataDir' };

/**
 * Parses the command line (without `node` and the script).
 * @param {string[]} argv
 * @returns {{help?: true, version?: true, config?: string, port?: number, dataDir?: string, error?: string}}
 */
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === '-h' || flag === '--help') out.help = true;
    else if (flag === '-v' || flag === '--version') out.version = true;
    else if (valueFlags[flag]) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('-'))) return { error: `${flag} needs a value` };
      if (flag === '--port') {
        if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) return { error: `--port needs a number from 0 to 65535, got ${JSON.stringify(value)}` };
        out.port = Number(value);
      } else out[valueFlags[flag]] = value;
    } else return { error: `unknown ${arg.startsWith('-') ? 'option' : 'argument'} ${JSON.stringify(arg)}` };
  }
  return out;
}

/** Server options from parsed arguments: only what the command line set. */
function optionsFrom(args, cwd = process.cwd()) {
  const options = {};
  if (args.config !== undefined) options.configFile = path.resolve(cwd, args.config);
  if (args.port !== undefined) options.port = args.port;
  if (args.dataDir !== undefined) options.dataDir = path.resolve(cwd, args.dataDir);
  return options;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.error) {
    process.stderr.write(`switchboard: ${args.error}\n\n${usage}\n`);
    return process.exit(2);
  }
  if (args.help) return process.stdout.write(usage + '\n');
  if (args.version) return process.stdout.write(require('../package.json').version + '\n');

  const { Server } = require('./server');
  const { Logger } = require('./logger');
  let server;
  try {
    server = new Server(optionsFrom(args));
  } catch (err) {
    process.stderr.write(`switchboard: ${err.message}\n`);
    return process.exit(err.code === 'SB_CONFIG_INVALID' ? 2 : 1);
  }
  const log = new Logger({ level: server.config.log.level }).child({ src: 'cli' });

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) {
      log.warn('second signal, exiting without waiting', { signal });
      return process.exit(1);
    }
    stopping = true;
    log.info('stopping', { signal });
    try {
      await server.stop();
      process.exit(0);
    } catch (err) {
      log.error('stop failed', { err });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await server.start();
  } catch (err) {
    if (stopping) return;
    process.stderr.write(`switchboard: ${err.message}\n`);
    return process.exit(err.code === 'SB_CONFIG_INVALID' ? 2 : 1);
  }
  const { host } = server.config;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  process.stdout.write(`switchboard listening on http://${shown}:${server.port} (demo: /, console: /console)\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`switchboard: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
}

module.exports = { parseArgs, optionsFrom, usage };
