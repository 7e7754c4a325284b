'use strict';
// js/auth.js: scrypt password hashes in a self-describing format, verified in constant time.
const { hashPassword, verifyPassword } = require('../../../js/auth');

describe('hashPassword()', () => {
  it('writes "scrypt$N$r$p$salt$hash" with N=16384, r=8, p=1, a 16-byte salt and a 32-byte key', async () => {
    const h = await hashPassword('correct horse');
    const [alg, N, r, p, salt, key] = h.split('$');
    expect([alg, N, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('refuses a password that is not a string', async () => {
    await expect(hashPassword(undefined)).rejects.toThrow(TypeError);
  });
});

describe('verifyPassword()', () => {
  let hash;
  beforeAll(async () => {
    hash = await hashPassword('correct horse');
  });

  it('accepts the right password and refuses a wrong one', async () => {
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsf', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword(undefined, hash)).toBe(false);
  });

  it('treats canonically equal Unicode spellings as the same password', async () => {
    const h = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', h)).toBe(true);
  });

  it('verifies hashes made with other parameters (they are read from the hash)', async () => {
    const crypto = require('crypto');
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync('pw', salt, 32, { N: 1024, r: 4, p: 2 });
    expect(await verifyPassword('pw', `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`)).toBe(true);
  });

  it('returns false, never throws, for malformed or hostile hashes', async () => {
    const [, , , , salt, key] = hash.split('$');
    const bad = [
      undefined, null, 42, '', 'plain', 'bcrypt$16384$8$1$' + salt + '$' + key,
      'scrypt$16384$8$1$' + salt, // too few parts
      'scrypt$1000$8$1$' + salt + '$' + key, // N not a power of two
      'scrypt$2097152$8$1$' + salt + '$' + key, // N too large (memory)
      'scrypt$16384$0$1$' + salt + '$' + key,
      'scrypt$16384$8$99$' + salt + '$' + key,
      'scrypt$16384$8$1$$' + key, // empty salt
      'scrypt$16384$8$1$' + salt + '$', // empty key
      'scrypt$16384$8$1$not base64!$' + key,
      'scrypt$16384$8$1$' + salt + '$' + key.slice(0, 8), // key too short
      'scrypt$16384$8$1$' + salt + '$' + 'A'.repeat(400), // key too long
      'scrypt$0x4000$8$1$' + salt + '$' + key,
    ];
    for (const stored of bad) expect(await verifyPassword('correct horse', stored)).toBe(false);
  });
});
