'use strict';
// Public entry point of the `switchboard` package.

const { Server } = require('./server');
const { SwitchboardError } = require('./errors');
const { loadConfig } = require('./config');

/** @param {object} [options] */
function createServer(options) {
  return new Server(options);
}

module.exports = { Server, createServer, SwitchboardError, loadConfig };
