'use strict';
// The include rule of docs/architecture.md: a native file includes headers of its own folder
// and of folders below it only (binding > transport > hub > ai > protocol > store > filter > limiter > util), and the
// Node headers (napi.h and friends) only under native/binding/.

const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..', '..', 'native');
const ORDER = ['util', 'limiter', 'filter', 'store', 'protocol', 'ai', 'hub', 'transport', 'binding']; // bottom to top
const NODE_HEADERS = /^(napi\.h|napi-inl\.h|node_api\.h|js_native_api\.h|node\.h|v8\.h|uv\.h)$/;

function listFiles(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return listFiles(full, base);
    return /\.(h|hpp|cc|cpp)$/.test(e.name) ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

/** The top folder of a native-relative path ('hub/hub.h' -> 'hub'), or null for top-level files. */
const topFolder = (rel) => (rel.includes('/') ? rel.split('/')[0] : null);

/**
 * Violations of the include rule in `files` ([{file, text}], paths relative to native/ with
 * '/'). `exists(rel)` says whether native/rel exists (to resolve includes).
 */
function layerViolations(files, exists) {
  const out = [];
  for (const { file, text } of files) {
    const folder = topFolder(file);
    const rank = ORDER.indexOf(folder);
    if (folder && rank < 0) out.push(`${file}: folder ${folder}/ has no place in the layer order`);
    for (const m of text.matchAll(/^\s*#\s*include\s*([<"])([^>"]+)[>"]/gm)) {
      const [, quote, target] = m;
      const base = path.posix.basename(target);
      if (NODE_HEADERS.test(base) && folder !== 'binding') out.push(`${file}: includes ${target} outside binding/`);
      // Resolve like the compiler: next to the including file first, then from native/.
      const beside = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
      let resolved = null;
      if (quote === '"' && !beside.startsWith('..') && exists(beside)) resolved = beside;
      else if (!target.startsWith('.') && exists(target)) resolved = target;
      else if (beside.startsWith('..')) out.push(`${file}: includes ${target}, outside native/`);
      if (!resolved) continue;
      const to = topFolder(resolved);
      if (!folder || !to || to === folder) continue;
      const toRank = ORDER.indexOf(to);
      if (toRank < 0) out.push(`${file}: includes ${target} from folder ${to}/, which has no place in the layer order`);
      else if (toRank > rank) out.push(`${file}: includes ${target}, from ${to}/ above ${folder}/`);
    }
  }
  return out;
}

describe('the checker', () => {
  const tree = new Set(['hub/hub.h', 'store/store.h', 'transport/server.h', 'util/log.h', 'store/sqlite/db.h']);
  const check = (file, text) => layerViolations([{ file, text }], (p) => tree.has(p));

  it('accepts includes of the own folder and of folders below', () => {
    expect(check('hub/hub.cpp', '#include "hub/hub.h"\n#include "store/store.h"\n#include "util/log.h"\n#include <vector>')).toEqual([]);
    expect(check('store/sqlite/db.cpp', '#include "db.h"\n#include "store/store.h"')).toEqual([]);
    expect(check('binding/core.cpp', '#include <napi.h>\n#include "transport/server.h"')).toEqual([]);
  });

  it('flags an include that points up the chain, also through ../', () => {
    expect(check('store/store.cpp', '#include "hub/hub.h"')).toHaveLength(1);
    expect(check('store/store.cpp', '  #  include "../transport/server.h"')).toHaveLength(1);
    expect(check('util/log.cpp', '#include <store/store.h>')).toHaveLength(1);
  });

  it('flags Node headers outside binding/', () => {
    expect(check('hub/hub.cpp', '#include <napi.h>')).toHaveLength(1);
    expect(check('transport/server.cpp', '#include "node_api.h"')).toHaveLength(1);
    expect(check('hub/hub.cpp', '#include <uv.h>')).toHaveLength(1);
  });

  it('flags a folder that is not in the layer order', () => {
    expect(check('gadgets/widget.cpp', '')).toHaveLength(1);
  });

  it('ignores commented-out includes', () => {
    expect(check('store/store.cpp', '// #include "hub/hub.h"')).toEqual([]);
  });
});

describe('native/', () => {
  const files = listFiles(ROOT).map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
  const exists = (rel) => fs.existsSync(path.join(ROOT, rel));

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('no file includes a folder above its own, and napi.h appears only under binding/', () => {
    expect(layerViolations(files, exists)).toEqual([]);
  });
});
