'use strict';
const { hashPassword, verifyPassword } = require('../../../js/auth');

describe('passwords', () => {
  it('hash in the scrypt format and verify', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('wrong horse', h)).toBe(false);
  });

  it('salt every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('refuse malformed hashes without throwing', async () => {
    for (const bad of [undefined, '', 'plain', 'scrypt$1$1$1$x$y', 'bcrypt$a$b$c$d$e', 'scrypt$16384$8$1$$'])
      expect(await verifyPassword('x', bad)).toBe(false);
  });
});
