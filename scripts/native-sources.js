#!/usr/bin/env node
// Prints native/sources.txt as a space-separated list for binding.gyp (`<!@(...)`), so that
// CMake and node-gyp build from the same list.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const list = fs
  .readFileSync(path.join(root, 'native', 'sources.txt'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const only = process.argv[2]; // 'core' | 'binding' | undefined (all)
const picked = list.filter((f) => {
  if (only === 'core') return !f.startsWith('native/binding/');
  if (only === 'binding') return f.startsWith('native/binding/');
  return true;
});
process.stdout.write(picked.join(' '));
