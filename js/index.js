'use strict';
// Public entry point of the `switchboard` package. Types and docs: index.d.ts, docs/api.md.

const { Server } = require('./server');
const { SwitchboardError } = require('./errors');
const { loadConfig } = require('./config');

/**
 * Same as `new Server(options)`.
 * @param {object} [options] see docs/configuration.md
 * @returns {Server}
 */
function createServer(options) {
  return new Server(options);
}

module.exports = { Server, createServer, SwitchboardError, loadConfig };
