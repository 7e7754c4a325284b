#!/usr/bin/env node
'use strict';
// `switchboard` / `npm start`: runs the server standalone until SIGTERM or SIGINT, then stops
// gracefully (connections closed with 1001, the store flushed).

const path = require('path');
const { Server } = require('./server');

const usage = `Usage: switchboard [--config FILE] [--port N] [--data-dir DIR]

Options:
  --config FILE    configuration file (default: ./switchboard.config.json if present)
  --port N         listen on port N (overrides PORT and the file)
  --data-dir DIR   keep data in DIR (overrides SWITCHBOARD_DATA_DIR and the file)
  -h, --help       show this help
  -v, --version    show the version

Every setting: docs/configuration.md`;

/** @returns {{help?: boolean, version?: boolean, config?: string, port?: number, dataDir?: string, error?: string}} */
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '-h' || flag === '--help') out.help = true;
    else if (flag === '-v' || flag === '--version') out.version = true;
    else if (flag === '--config') out.config = value();
    else if (flag === '--data-dir') out.dataDir = value();
    else if (flag === '--port') {
      const v = value();
      if (!/^\d+$/.test(String(v))) return { error: `--port needs a number, got ${JSON.stringify(v)}` };
      out.port = Number(v);
    } else return { error: `unknown option ${a}` };
    if ((flag === '--config' || flag === '--data-dir') && !out[flag === '--config' ? 'config' : 'dataDir'])
      return { error: `${flag} needs a value` };
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.error) {
    process.stderr.write(`switchboard: ${args.error}\n\n${usage}\n`);
    process.exit(2);
  }
  if (args.help) return process.stdout.write(usage + '\n');
  if (args.version) return process.stdout.write(require('../package.json').version + '\n');

  const options = {};
  if (args.config) options.configFile = path.resolve(args.config);
  if (args.port !== undefined) options.port = args.port;
  if (args.dataDir) options.dataDir = args.dataDir;
  let server;
  try {
    server = new Server(options);
    await server.start();
  } catch (err) {
    process.stderr.write(`switchboard: ${err.message}\n`);
    process.exit(err.code === 'SB_CONFIG_INVALID' ? 2 : 1);
  }
  const host = server.config.host === '0.0.0.0' ? 'localhost' : server.config.host;
  process.stdout.write(`switchboard listening on http://${host}:${server.port} (demo: /, console: /console)\n`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`switchboard: ${signal}, stopping\n`);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) main();

module.exports = { parseArgs };
