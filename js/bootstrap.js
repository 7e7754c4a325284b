'use strict';
// What every start makes sure of: the `demo` site, the sites listed in the configuration,
// and a first admin (from admin.email/admin.password, or generated when no agent exists).

const crypto = require('crypto');

const DEMO_SITE = Object.freeze({ key: 'demo', name: 'Demo', enabled: true, allowedOrigins: ['*'], settings: {} });

/**
 * @param {import('./server').Server} server a running server
 * @param {object} config the validated configuration
 */
async function ensureSites(server, config) {
  const existing = new Set((await server.listSites()).map((s) => s.key));
  if (!existing.has('demo') && !config.sites.some((s) => s.key === 'demo')) await server.putSite(DEMO_SITE);
  for (const site of config.sites) await server.putSite(site);
}

/**
 * Creates the configured admin if no agent has that e-mail; otherwise, if no agent exists at
 * all, creates admin@localhost with a random password and prints it once through `print`
 * (the terminal, never the JSON log).
 * @param {import('./server').Server} server a running server
 * @param {object} config the validated configuration
 * @param {object} core the native Core (reads agents without the public view)
 * @param {(text: string) => void} print where the generated password goes
 * @returns {Promise<{email: string, generated: boolean} | null>} the admin created, if any
 */
async function ensureAdmin(server, config, core, print) {
  const sites = (await server.listSites()).map((s) => s.key);
  const { email, password } = config.admin;
  if (email && password) {
    if (await core.getAgentByEmail(email.trim().toLowerCase())) return null;
    await server.createAgent({ email, password, name: 'Admin', role: 'admin', sites });
    return { email, generated: false };
  }
  if ((await core.listAgents()).length > 0) return null;
  const generated = crypto.randomBytes(15).toString('base64url');
  await server.createAgent({ email: 'admin@localhost', password: generated, name: 'Admin', role: 'admin', sites });
  print(
    [
      '',
      '  ┌──────────────────────────────────────────────────────────────',
      '  │ Switchboard created an admin account. The password is shown',
      '  │ only this once; sign in at /console and keep it safe.',
      '  │',
      '  │   e-mail:   admin@localhost',
      `  │   password: ${generated}`,
      '  │',
      '  │ To choose your own, set SWITCHBOARD_ADMIN_EMAIL and',
      '  │ SWITCHBOARD_ADMIN_PASSWORD before the first start.',
      '  └──────────────────────────────────────────────────────────────',
      '',
      '',
    ].join('\n'),
  );
  return { email: 'admin@localhost', generated: true };
}

module.exports = { ensureSites, ensureAdmin, DEMO_SITE };
