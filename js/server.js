'use strict';
// `Server`: the public JS face of one native server. It validates the configuration, owns the
// native Core, answers the admin routes, turns native event batches into EventEmitter events,
// and sets up the demo site and the first admin.

const crypto = require('crypto');
const fs = require('fs');
const { EventEmitter } = require('events');
const { loadConfig, redactConfig } = require('./config');
const { SwitchboardError, fromNative } = require('./errors');
const { Logger } = require('./logger');
const { hashPassword } = require('./auth');
const { buildRouter, publicAgent } = require('./admin');
const native = require('./native');

const kCore = Symbol('core');
const kConfig = Symbol('config');
const kLogger = Symbol('logger');
const kRouter = Symbol('router');
const kState = Symbol('state');
const kDummyHash = Symbol('dummyHash');

const emailPattern = /^[^\s@]+@[^\s@]+$/;

class Server extends EventEmitter {
  /**
   * @param {object} [options] see docs/configuration.md; `configFile` names a JSON file
   *   (default: ./switchboard.config.json if present; `null` for none)
   */
  constructor(options = {}) {
    super();
    const { configFile, logger, env, ...rest } = options;
    this[kConfig] = loadConfig({ file: configFile, options: rest, env });
    this[kLogger] = logger || new Logger({ level: this[kConfig].log.level });
    this[kRouter] = buildRouter();
    this[kState] = 'new';
    this[kCore] = null;
    this.port = null;
    this.on('newListener', (name) => {
      if (name === 'message' && this[kCore]) this[kCore].setEventMask({ messages: true });
    });
  }

  /** The effective configuration, secrets redacted. */
  get config() {
    return redactConfig(this[kConfig]);
  }

  /** Opens the store, listens, and makes sure the demo site and an admin exist. */
  async start() {
    if (this[kState] !== 'new') throw new SwitchboardError('SB_ALREADY_STARTED', 'start() can be called once per Server');
    this[kState] = 'starting';
    const config = this[kConfig];
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const { Core } = native.load();
    this[kCore] = new Core(config, (batch) => this._onBatch(batch));
    this[kCore].setEventMask({ messages: this.listenerCount('message') > 0 });
    try {
      const { port } = await this[kCore].start();
      this.port = port;
    } catch (err) {
      this[kState] = 'stopped';
      throw fromNative(err);
    }
    this[kDummyHash] = await hashPassword(crypto.randomBytes(16).toString('hex'));
    this[kState] = 'running';
    try {
      await this._ensureSites();
      await this._ensureAdmin();
    } catch (err) {
      await this.stop();
      throw fromNative(err);
    }
    this[kLogger].info('switchboard started', { port: this.port, dataDir: config.dataDir, store: config.store.driver });
    return this;
  }

  /** Stops accepting, closes connections with 1001 after the grace period, flushes the store. */
  async stop() {
    if (this[kState] !== 'running' && this[kState] !== 'starting') return;
    this[kState] = 'stopping';
    await this[kCore].stop(this[kConfig].limits.shutdownGraceMs);
    this[kState] = 'stopped';
    this[kLogger].info('switchboard stopped');
  }

  /** Cheap, synchronous counters from the native core. */
  stats() {
    return this[kCore] ? this[kCore].stats() : {};
  }

  /**
   * Creates an agent (or admin). The password is hashed with scrypt; the hash never leaves
   * the server.
   */
  async createAgent({ email, name, password, role = 'agent', maxChats = 5, sites = ['demo'], teams = [] } = {}) {
    this._requireRunning();
    if (typeof email !== 'string' || !emailPattern.test(email)) throw new SwitchboardError('SB_INVALID_ARGUMENT', 'email must be an e-mail address');
    if (typeof password !== 'string' || password.length < 8) throw new SwitchboardError('SB_INVALID_ARGUMENT', 'password must have at least 8 characters');
    if (!['admin', 'agent'].includes(role)) throw new SwitchboardError('SB_INVALID_ARGUMENT', 'role must be "admin" or "agent"');
    if (!Number.isInteger(maxChats) || maxChats < 1 || maxChats > 1000) throw new SwitchboardError('SB_INVALID_ARGUMENT', 'maxChats must be an integer from 1 to 1000');
    if (!Array.isArray(sites) || !sites.every((s) => typeof s === 'string')) throw new SwitchboardError('SB_INVALID_ARGUMENT', 'sites must be an array of site keys');
    const normalized = email.trim().toLowerCase();
    const core = this[kCore];
    if (await core.getAgentByEmail(normalized)) throw new SwitchboardError('SB_CONFLICT', `an agent with e-mail ${normalized} exists already`);
    const agent = {
      id: 'a_' + crypto.randomUUID(),
      email: normalized,
      name: typeof name === 'string' && name ? name : normalized.split('@')[0],
      passwordHash: await hashPassword(password),
      role,
      maxChats,
      sites,
      teams,
      createdAt: Date.now(),
    };
    await core.putAgent(agent).catch((e) => Promise.reject(fromNative(e)));
    return publicAgent(agent);
  }

  /** Signs a bearer token for an agent (the same kind login returns). */
  createAgentToken(agentId, ttlSeconds = this[kConfig].auth.tokenTtlSeconds) {
    this._requireRunning();
    return this[kCore].signAgentToken(String(agentId), ttlSeconds);
  }

  async listAgents() {
    this._requireRunning();
    return (await this[kCore].listAgents()).map(publicAgent);
  }

  /** Creates or updates a site: `{key, name, enabled, allowedOrigins, settings}`. */
  async putSite(site) {
    this._requireRunning();
    const { loadConfig: check } = require('./config');
    check({ file: null, env: {}, options: { sites: [site] } });
    const existing = (await this[kCore].listSites()).find((s) => s.key === site.key);
    await this[kCore].putSite({
      key: site.key,
      name: site.name ?? existing?.name ?? site.key,
      enabled: site.enabled ?? existing?.enabled ?? true,
      allowedOrigins: site.allowedOrigins ?? existing?.allowedOrigins ?? [],
      settings: site.settings ?? existing?.settings ?? {},
      createdAt: existing?.createdAt || Date.now(),
    });
  }

  async listSites() {
    this._requireRunning();
    return this[kCore].listSites();
  }

  _requireRunning() {
    if (this[kState] !== 'running') throw new SwitchboardError('SB_NOT_STARTED', 'call and await start() first');
  }

  async _ensureSites() {
    for (const site of this[kConfig].sites) await this.putSite(site);
  }

  async _ensureAdmin() {
    const { email, password } = this[kConfig].admin;
    const core = this[kCore];
    if (email && password) {
      if (!(await core.getAgentByEmail(email.trim().toLowerCase()))) {
        const sites = (await core.listSites()).map((s) => s.key);
        await this.createAgent({ email, password, name: 'Admin', role: 'admin', sites });
        this[kLogger].info('created the first admin', { email });
      }
      return;
    }
    if ((await core.listAgents()).length > 0) return;
    const generated = crypto.randomBytes(12).toString('base64url');
    const sites = (await core.listSites()).map((s) => s.key);
    await this.createAgent({ email: 'admin@localhost', password: generated, name: 'Admin', role: 'admin', sites });
    // Printed once, to the terminal, never into the JSON log.
    process.stdout.write(
      `\n  Switchboard created an admin account (shown once):\n    e-mail:   admin@localhost\n    password: ${generated}\n` +
        '  Set SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD to choose your own.\n\n',
    );
  }

  _onBatch(batch) {
    for (const e of batch) {
      try {
        if (e.type === 'http') this._onHttp(e);
        else if (e.type === 'log') this[kLogger].raw(e.level, e.line);
        else this.emit(e.type, e);
      } catch (err) {
        this[kLogger].error('event handler failed', { err, type: e.type });
      }
    }
  }

  _onHttp(req) {
    const ctx = { core: this[kCore], config: this[kConfig], logger: this[kLogger], dummyHash: this[kDummyHash] };
    this[kRouter].handle(req, ctx).then((res) => {
      if (this[kState] === 'running' || this[kState] === 'stopping') this[kCore].respond(req.id, res.status, res.headers, res.body);
    });
  }
}

module.exports = { Server };
