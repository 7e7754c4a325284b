#!/usr/bin/env node
// `npm test`: builds the native core and its GoogleTest suite with CMake (ccache + precompiled
// headers), runs it with CTest, then runs Jest against the addon `npm install` built.
// Both runners print their own closing summary; the exit code is non-zero if either failed.
'use strict';
const { spawnSync } = require('child_process');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const buildDir = process.env.SB_CMAKE_BUILD_DIR || path.join(root, 'build', 'cmake');
const jobs = String(process.env.JOBS || os.availableParallelism?.() || 2);
// ccache: relative paths and no working-directory hash, so fresh clones hit the same cache.
const env = {
  ...process.env,
  CCACHE_SLOPPINESS: 'pch_defines,time_macros,include_file_mtime,include_file_ctime',
  CCACHE_BASEDIR: root,
  CCACHE_NOHASHDIR: '1',
};

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  return r.status === null ? 1 : r.status;
}

const only = process.argv[2]; // 'native' | 'js' | undefined
let failed = 0;
if (only !== 'js') {
  const configured = run('cmake', ['-S', root, '-B', buildDir, '-DCMAKE_BUILD_TYPE=RelWithDebInfo']) === 0;
  const built = configured && run('cmake', ['--build', buildDir, '-j', jobs]) === 0;
  if (!built) failed++;
  else if (run('ctest', ['--test-dir', buildDir, '--output-on-failure', '-j', jobs]) !== 0) failed++;
}
if (only !== 'native') {
  const jestBin = require.resolve('jest/bin/jest');
  if (run(process.execPath, [jestBin, '--ci'], {}) !== 0) failed++;
}
process.exit(failed ? 1 : 0);
