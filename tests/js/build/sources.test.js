'use strict';
// native/sources.txt is the one source list of both builds: it must name every .cpp once.

const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..', '..');
const listed = fs
  .readFileSync(path.join(root, 'native', 'sources.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

function walk(dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.cpp') ? [path.join(dir, e.name)] : [],
  );
}

it('lists every native .cpp file', () => {
  const missing = walk('native').filter((f) => !listed.includes(f));
  expect(missing).toEqual([]);
});

it('lists no file twice', () => {
  expect(listed.filter((f, i) => listed.indexOf(f) !== i)).toEqual([]);
});

it('lists only files that exist', () => {
  expect(listed.filter((f) => !fs.existsSync(path.join(root, f)))).toEqual([]);
});

it('feeds binding.gyp and CMakeLists.txt from the same list', () => {
  expect(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8')).toMatch(/native-sources\.js/);
  expect(fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8')).toMatch(/file\(STRINGS native\/sources\.txt/);
});
