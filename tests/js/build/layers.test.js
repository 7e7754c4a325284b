'use strict';
// The include rule of docs/architecture.md: a native folder includes only itself and folders
// below it (binding > transport > hub > protocol > store > util), and napi.h only in binding/.

const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..', '..', 'native');
const order = ['util', 'store', 'protocol', 'hub', 'transport', 'binding'];

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : /\.(h|cpp)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

const all = files(root).map((f) => ({ file: path.relative(root, f), text: fs.readFileSync(f, 'utf8') }));

it('no file includes a folder above its own', () => {
  const violations = [];
  for (const { file, text } of all) {
    const folder = file.split(path.sep)[0];
    const rank = order.indexOf(folder);
    if (rank < 0) continue; // pch.h and other top-level files
    for (const m of text.matchAll(/#include\s+"([a-z_]+)\//g)) {
      if (order.indexOf(m[1]) > rank) violations.push(`${file} includes ${m[1]}/`);
    }
  }
  expect(violations).toEqual([]);
});

it('napi.h is included only under native/binding/', () => {
  const offenders = all.filter(({ file, text }) => /#include\s+[<"]napi\.h[>"]/.test(text) && !file.startsWith('binding' + path.sep));
  expect(offenders.map((o) => o.file)).toEqual([]);
});
