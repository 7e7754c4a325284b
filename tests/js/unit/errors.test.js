'use strict';
// js/errors.js and js/native.js: one error class with stable codes; a load failure that says
// what was tried and what to do.
const path = require('path');
const { SwitchboardError, codes, fromNative } = require('../../../js/errors');
const native = require('../../../js/native');

describe('SwitchboardError', () => {
  it('carries its code, prefixed to the message', () => {
    const err = new SwitchboardError('SB_NOT_STARTED', 'call start() first');
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'SwitchboardError', code: 'SB_NOT_STARTED', message: 'SB_NOT_STARTED: call start() first' });
  });

  it('defaults to the registry text and refuses codes not in the registry', () => {
    expect(new SwitchboardError('SB_STORE_UNAVAILABLE').message).toBe(`SB_STORE_UNAVAILABLE: ${codes.SB_STORE_UNAVAILABLE}`);
    expect(() => new SwitchboardError('SB_MADE_UP')).toThrow(/unknown error code/);
  });

  it('fromNative() keeps a known native code and strips its prefix; others become SB_INTERNAL', () => {
    const nativeErr = Object.assign(new Error('SB_LISTEN_FAILED: port 80 is in use'), { code: 'SB_LISTEN_FAILED' });
    expect(fromNative(nativeErr)).toMatchObject({ code: 'SB_LISTEN_FAILED', message: 'SB_LISTEN_FAILED: port 80 is in use', cause: nativeErr });
    expect(fromNative(new TypeError('x is not a function')).code).toBe('SB_INTERNAL');
    const same = new SwitchboardError('SB_CONFLICT');
    expect(fromNative(same)).toBe(same);
  });
});

describe('native.load()', () => {
  it('throws one SB_NATIVE_LOAD_FAILED listing every path tried and how to build', () => {
    const tried = [path.join(__dirname, 'nope', 'Release', 'x.node'), path.join(__dirname, 'nope', 'Debug', 'x.node')];
    let err;
    try {
      native.load(tried);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe('SB_NATIVE_LOAD_FAILED');
    for (const file of tried) expect(err.message).toContain(`${file}: not found`);
    expect(err.message).toMatch(/npm install/);
    expect(err.message).toMatch(/npm run build/);
  });

  it('tries build/Release first, then build/Debug', () => {
    expect(native.candidates.map((p) => path.relative(path.join(__dirname, '..', '..', '..'), p))).toEqual([
      path.join('build', 'Release', 'switchboard.node'),
      path.join('build', 'Debug', 'switchboard.node'),
    ]);
  });
});
