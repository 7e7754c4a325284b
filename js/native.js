'use strict';
// Loads the compiled addon. Tries the release build, then the debug build, and fails with one
// error that lists every path tried and how to build.

const path = require('path');
const { SwitchboardError } = require('./errors');

const root = path.join(__dirname, '..');
const candidates = [
  path.join(root, 'build', 'Release', 'switchboard.node'),
  path.join(root, 'build', 'Debug', 'switchboard.node'),
];

let loaded = null;

function load() {
  if (loaded) return loaded;
  const failures = [];
  for (const file of candidates) {
    try {
      loaded = require(file);
      return loaded;
    } catch (err) {
      failures.push(`  ${file}: ${err.code === 'MODULE_NOT_FOUND' ? 'not found' : err.message}`);
    }
  }
  throw new SwitchboardError(
    'SB_NATIVE_LOAD_FAILED',
    `cannot load the native addon; tried:\n${failures.join('\n')}\n` +
      'Build it with `npm run build` (needs deploy/install-deps.sh on Debian 12).',
  );
}

module.exports = { load };
