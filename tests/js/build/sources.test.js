'use strict';
// native/sources.txt is the one source list of both builds (CMake and node-gyp): it must name
// every native .cpp file exactly once, and nothing that does not exist.

const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..', '..');

/** The entries of a source list: one path a line, '#' comments and blank lines ignored. */
function parseList(text) {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => path.posix.normalize(l.replace(/\\/g, '/')));
}

/** Problems of `listed` against the .cpp files on disk (`onDisk`, root-relative, '/'). */
function listProblems(listed, onDisk) {
  const disk = new Set(onDisk);
  const seen = new Set();
  const out = [];
  for (const f of listed) {
    if (seen.has(f)) out.push(`listed twice: ${f}`);
    seen.add(f);
    if (!disk.has(f)) out.push(`listed but absent: ${f}`);
  }
  for (const f of onDisk) if (!seen.has(f)) out.push(`missing from native/sources.txt: ${f}`);
  return out;
}

function cppFiles(dir) {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return cppFiles(rel);
    return e.name.endsWith('.cpp') ? [rel] : [];
  });
}

describe('the checker', () => {
  const disk = ['native/a/x.cpp', 'native/b/y.cpp'];

  it('accepts a list naming every file once', () => {
    expect(listProblems(parseList('# comment\nnative/a/x.cpp\r\n\n./native/b/y.cpp  # trailing\n'), disk)).toEqual([]);
  });

  it('flags a missing file, a duplicate and an absent one', () => {
    expect(listProblems(parseList('native/a/x.cpp'), disk)).toEqual(['missing from native/sources.txt: native/b/y.cpp']);
    expect(listProblems(parseList('native/a/x.cpp\nnative/b/y.cpp\nnative/a/x.cpp'), disk)).toEqual(['listed twice: native/a/x.cpp']);
    expect(listProblems(parseList('native/a/x.cpp\nnative/b/y.cpp\nnative/c/gone.cpp'), disk)).toEqual(['listed but absent: native/c/gone.cpp']);
  });
});

describe('native/sources.txt', () => {
  const listed = parseList(fs.readFileSync(path.join(ROOT, 'native', 'sources.txt'), 'utf8'));
  const onDisk = cppFiles('native');

  it('names every native .cpp file once and only files that exist', () => {
    expect(onDisk.length).toBeGreaterThan(10);
    expect(listProblems(listed, onDisk)).toEqual([]);
  });

  it('feeds both binding.gyp and CMakeLists.txt', () => {
    expect(fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')).toMatch(/sources\.txt|native-sources\.js/);
    expect(fs.readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8')).toMatch(/native\/sources\.txt/);
  });
});
