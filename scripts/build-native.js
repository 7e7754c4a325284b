#!/usr/bin/env node
// Builds the addon with node-gyp, offline: the headers come from the Node installation that
// runs this script (Debian and NodeSource install them under <prefix>/include/node), so
// node-gyp never tries to download them.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const prefix = path.resolve(path.dirname(process.execPath), '..');
// configure + build rather than rebuild: rebuild deletes build/, and with it the CMake tree
// of the tests (build/cmake); ccache makes a build after configure as quick as it can be.
const args = ['--release'];
if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const jobs = process.env.JOBS || String(require('os').availableParallelism?.() || 2);
args.push(`--jobs=${jobs}`);

function findNodeGyp() {
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules',
      'node-gyp', 'bin', 'node-gyp.js'),
    process.env.npm_config_node_gyp,
  ].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  try { return require.resolve('node-gyp/bin/node-gyp.js'); } catch { return null; }
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('switchboard: node-gyp not found; install npm (it ships node-gyp) and retry');
  process.exit(1);
}
const env = { ...process.env };
if (!env.CXX && spawnSync('ccache', ['--version']).status === 0) {
  env.CXX = 'ccache g++';
  env.CC = 'ccache gcc';
  env.CCACHE_BASEDIR = env.CCACHE_BASEDIR || root;
  env.CCACHE_NOHASHDIR = '1';
}
for (const step of ['configure', 'build']) {
  const r = spawnSync(process.execPath, [gyp, step, ...args], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status === null ? 1 : r.status);
}
