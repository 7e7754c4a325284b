'use strict';
// Password hashing with scrypt (slow, memory-hard) in a self-describing format:
// "scrypt$N$r$p$salt_b64$hash_b64". Agent tokens are signed natively
// (core.signAgentToken); the signing secret never reaches JS.

const crypto = require('crypto');
const { promisify } = require('util');

const scrypt = promisify(crypto.scrypt);

/** Parameters of new hashes. Stored hashes carry their own, so these can be raised later. */
const params = Object.freeze({ N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 });

// Bounds for parameters read back from a stored hash, so a corrupt or hostile value cannot
// make verification allocate gigabytes or spin for minutes.
const bounds = { maxN: 1 << 20, maxR: 32, maxP: 16, maxBytes: 128 };

const b64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * @param {string} password
 * @returns {Promise<string>} "scrypt$N$r$p$salt_b64$hash_b64"
 */
async function hashPassword(password) {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  const salt = crypto.randomBytes(params.saltBytes);
  const key = await scrypt(password.normalize('NFC'), salt, params.keyBytes, options(params.N, params.r, params.p));
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Constant-time comparison of `password` with a stored hash.
 * @param {string} password
 * @param {string} stored
 * @returns {Promise<boolean>} false (never an exception) for a wrong password or a malformed hash
 */
async function verifyPassword(password, stored) {
  const parsed = parse(stored);
  if (!parsed || typeof password !== 'string') return false;
  const { N, r, p, salt, expected } = parsed;
  let key;
  try {
    key = await scrypt(password.normalize('NFC'), salt, expected.length, options(N, r, p));
  } catch {
    return false;
  }
  return crypto.timingSafeEqual(key, expected);
}

function options(N, r, p) {
  // scrypt needs about 128 * N * r * p bytes; Node's default cap (32 MiB) is too tight for
  // the upper bounds accepted above.
  return { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 };
}

function parse(stored) {
  if (typeof stored !== 'string') return null;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN));
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > bounds.maxN || !(r >= 1 && r <= bounds.maxR) || !(p >= 1 && p <= bounds.maxP)) return null;
  if (!b64.test(parts[4]) || !b64.test(parts[5])) return null;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (salt.length < 8 || salt.length > bounds.maxBytes || expected.length < 16 || expected.length > bounds.maxBytes) return null;
  return { N, r, p, salt, expected };
}

module.exports = { hashPassword, verifyPassword, params };
