'use strict';
// Loads the compiled addon: the release build, else the debug build. On failure, one error
// lists every path tried (with why it failed) and how to build.

const path = require('path');
const { SwitchboardError } = require('./errors');

const root = path.join(__dirname, '..');

/** The files tried, in order. */
const candidates = Object.freeze([
  path.join(root, 'build', 'Release', 'switchboard.node'),
  path.join(root, 'build', 'Debug', 'switchboard.node'),
]);

let loaded = null;

/**
 * @param {string[]} [paths] files to try (tests pass their own)
 * @returns {{Core: Function}} the addon's exports
 * @throws {SwitchboardError} SB_NATIVE_LOAD_FAILED
 */
function load(paths = candidates) {
  if (loaded && paths === candidates) return loaded;
  const failures = [];
  for (const file of paths) {
    try {
      const addon = require(file);
      if (paths === candidates) loaded = addon;
      return addon;
    } catch (err) {
      const why = err.code === 'MODULE_NOT_FOUND' ? 'not found' : err.message.split('\n')[0];
      failures.push(`  ${file}: ${why}`);
    }
  }
  throw new SwitchboardError(
    'SB_NATIVE_LOAD_FAILED',
    `cannot load the native addon; tried:\n${failures.join('\n')}\n` +
      'Build it with `npm install` (or `npm run build` in a checkout); the build needs the ' +
      'packages listed in deploy/install-deps.sh.',
  );
}

module.exports = { load, candidates };
