'use strict';
// `Server`: the public JS face of one native server. It validates the configuration, owns the
// native Core, turns native event batches into EventEmitter events, answers the forwarded
// admin HTTP routes, and manages agents and sites through the core's store.

const crypto = require('crypto');
const fs = require('fs');
const { EventEmitter } = require('events');
const { loadConfig, redactConfig, validateSite } = require('./config');
const { SwitchboardError, fromNative } = require('./errors');
const { Logger } = require('./logger');
const { hashPassword } = require('./auth');
const { buildRouter, publicAgent } = require('./admin');
const { ensureSites, ensureAdmin } = require('./bootstrap');
const native = require('./native');

const kCore = Symbol('core');
const kConfig = Symbol('config');
const kLogger = Symbol('logger');
const kRouter = Symbol('router');
const kState = Symbol('state');
const kStarting = Symbol('starting');
const kDummyHash = Symbol('dummyHash');

const EVENTS = new Set(['conversation.opened', 'conversation.assigned', 'conversation.queued', 'conversation.closed', 'message']);
const emailPattern = /^[^\s@]+@[^\s@]+$/;
const siteKeys = (v) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');

function argError(message) {
  return new SwitchboardError('SB_INVALID_ARGUMENT', message);
}

/** The configuration the core receives: no secrets it does not need. */
function nativeConfig(config) {
  const { admin, ai, rateLimits, ...rest } = config;
  return { ...rest, aiJson: JSON.stringify(ai), rateLimitsJson: JSON.stringify(rateLimits), log: { level: config.log.level === 'silent' ? 'error' : config.log.level } };
}

class Server extends EventEmitter {
  /**
   * @param {object} [options] every key of docs/configuration.md, plus `configFile` (a JSON
   *   file; default ./switchboard.config.json if present, `null` for none), `env` (instead of
   *   process.env), `logger` (an object like js/logger.js's Logger)
   * @throws {SwitchboardError} SB_CONFIG_INVALID, synchronously
   */
  constructor(options = {}) {
    super();
    const { configFile, logger, env, ...rest } = options || {};
    this[kConfig] = loadConfig({ file: configFile, options: rest, env });
    this[kLogger] = logger || new Logger({ level: this[kConfig].log.level });
    this[kRouter] = buildRouter();
    this[kState] = 'new';
    this[kCore] = null;
    /** @type {number|null} the port listened on, once started */
    this.port = null;
    // `message` events cross from native threads only while somebody listens.
    this.on('newListener', (name) => {
      if (name === 'message' && this[kCore] && this.listenerCount('message') === 0) this[kCore].setEventMask({ messages: true });
    });
    this.on('removeListener', (name) => {
      if (name === 'message' && this[kCore] && this.listenerCount('message') === 0) this[kCore].setEventMask({ messages: false });
    });
  }

  /** The effective configuration, secrets redacted. */
  get config() {
    return redactConfig(this[kConfig]);
  }

  /**
   * Creates the data directory, opens the store, listens, and makes sure the demo site, the
   * configured sites and an admin exist.
   * @returns {Promise<this>}
   */
  async start() {
    if (this[kState] !== 'new') throw new SwitchboardError('SB_ALREADY_STARTED');
    this[kState] = 'starting';
    this[kStarting] = this._start();
    try {
      return await this[kStarting];
    } finally {
      this[kStarting] = null;
    }
  }

  async _start() {
    const config = this[kConfig];
    try {
      if (config.store.driver === 'sqlite') {
        try {
          fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        } catch (err) {
          throw new SwitchboardError('SB_STORE_UNAVAILABLE', `cannot create the data directory ${config.dataDir} (${err.code}); set dataDir to a writable directory`);
        }
      }
      this[kDummyHash] = await hashPassword(crypto.randomBytes(16).toString('hex'));
      const { Core } = native.load();
      this[kCore] = new Core(nativeConfig(config), (batch) => this._onBatch(batch));
      this[kCore].setEventMask({ messages: this.listenerCount('message') > 0 });
      this.port = (await this[kCore].start()).port;
    } catch (err) {
      this[kState] = 'stopped';
      throw fromNative(err);
    }
    this[kState] = 'running';
    try {
      await ensureSites(this, config);
      const created = await ensureAdmin(this, config, this[kCore], (text) => process.stdout.write(text));
      if (created) this[kLogger].info('created the first admin', { email: created.email, generated: created.generated });
    } catch (err) {
      await this.stop();
      throw fromNative(err);
    }
    this[kLogger].debug('configuration', { config: redactConfig(config) });
    this[kLogger].info('switchboard started', { port: this.port, host: config.host, dataDir: config.dataDir, store: config.store.driver });
    return this;
  }

  /**
   * Stops accepting, closes WebSockets with 1001 (cut after limits.shutdownGraceMs) and
   * flushes the store. Safe to call more than once, and while start() is in progress.
   * @returns {Promise<void>}
   */
  async stop() {
    if (this[kStarting]) await this[kStarting].catch(() => {});
    if (this[kState] !== 'running') return;
    this[kState] = 'stopping';
    try {
      await this[kCore].stop(this[kConfig].limits.shutdownGraceMs);
    } catch (err) {
      throw fromNative(err);
    } finally {
      this[kState] = 'stopped';
    }
    this[kLogger].info('switchboard stopped');
  }

  /** Cheap, synchronous counters from the native core. */
  stats() {
    if (!this[kCore]) throw new SwitchboardError('SB_NOT_STARTED');
    return this[kCore].stats();
  }

  /**
   * Creates an agent. The password is hashed with scrypt; the hash never leaves the server.
   * @param {{email: string, password: string, name?: string, role?: 'agent'|'admin', maxChats?: number, sites?: string[], teams?: string[]}} agent
   * @returns {Promise<object>} the agent, without its password hash
   */
  async createAgent({ email, name, password, role = 'agent', maxChats = 5, sites = ['demo'], teams = [] } = {}) {
    this._requireRunning();
    if (typeof email !== 'string' || email.length > 254 || !emailPattern.test(email.trim())) throw argError('email must be an e-mail address');
    if (typeof password !== 'string' || password.length < 8 || password.length > 1024) throw argError('password must be a string of 8 to 1024 characters');
    if (name !== undefined && (typeof name !== 'string' || name.length > 200)) throw argError('name must be a string of at most 200 characters');
    if (role !== 'agent' && role !== 'admin') throw argError('role must be "agent" or "admin"');
    if (!Number.isInteger(maxChats) || maxChats < 1 || maxChats > 1000) throw argError('maxChats must be an integer from 1 to 1000');
    if (!siteKeys(sites)) throw argError('sites must be an array of site keys');
    if (!siteKeys(teams)) throw argError('teams must be an array of team ids');
    const core = this[kCore];
    const known = new Set((await this._call(() => core.listSites())).map((s) => s.key));
    const unknown = sites.find((s) => !known.has(s));
    if (unknown !== undefined) throw argError(`sites: no site "${unknown}"; create it with putSite() first`);
    const normalized = email.trim().toLowerCase();
    if (await this._call(() => core.getAgentByEmail(normalized))) throw new SwitchboardError('SB_CONFLICT', `an agent with e-mail ${normalized} exists already`);
    const agent = {
      id: crypto.randomUUID(),
      email: normalized,
      name: name || normalized.split('@')[0],
      passwordHash: await hashPassword(password),
      role,
      maxChats,
      sites: [...new Set(sites)],
      teams: [...new Set(teams)],
      createdAt: Date.now(),
    };
    await this._call(() => core.putAgent(agent));
    return publicAgent(agent);
  }

  /**
   * Signs a bearer token for an agent's protocol `hello` (the kind login returns).
   * @param {string} agentId
   * @param {number} [ttlSeconds] default auth.tokenTtlSeconds
   * @returns {string}
   */
  createAgentToken(agentId, ttlSeconds = this[kConfig].auth.tokenTtlSeconds) {
    this._requireRunning();
    if (typeof agentId !== 'string' || agentId === '') throw argError('agentId must be a non-empty string');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 31536000) throw argError('ttlSeconds must be an integer from 1 to 31536000');
    return this[kCore].signAgentToken(agentId, ttlSeconds);
  }

  /** @returns {Promise<object[]>} every agent, without password hashes */
  async listAgents() {
    this._requireRunning();
    return (await this._call(() => this[kCore].listAgents())).map(publicAgent);
  }

  /**
   * Creates or updates a site; fields left out keep their stored value (or the default).
   * @param {{key: string, name?: string, enabled?: boolean, allowedOrigins?: string[], settings?: object, ai?: object, rateLimits?: object}} site
   * @returns {Promise<object>} the site as stored
   */
  async putSite(site) {
    this._requireRunning();
    try {
      validateSite(site, 'site');
    } catch (err) {
      throw argError(err.message.replace(/^SB_CONFIG_INVALID: /, ''));
    }
    const existing = (await this.listSites()).find((s) => s.key === site.key);
    const stored = {
      key: site.key,
      name: site.name ?? existing?.name ?? site.key,
      enabled: site.enabled ?? existing?.enabled ?? true,
      allowedOrigins: site.allowedOrigins ?? existing?.allowedOrigins ?? [],
      settings: site.settings ?? existing?.settings ?? {},
      // The stored key comes back as "(set)"; the core keeps the key when given that back.
      ai: site.ai ?? existing?.ai ?? {},
      rateLimits: site.rateLimits ?? existing?.rateLimits ?? {},
      createdAt: existing?.createdAt || Date.now(),
    };
    await this._call(() => this[kCore].putSite(stored));
    return stored.ai.apiKey ? { ...stored, ai: { ...stored.ai, apiKey: '(set)' } } : stored;
  }

  /** @returns {Promise<object[]>} every site */
  async listSites() {
    this._requireRunning();
    return this._call(() => this[kCore].listSites());
  }

  _requireRunning() {
    if (this[kState] !== 'running') throw new SwitchboardError('SB_NOT_STARTED');
  }

  async _call(fn) {
    try {
      return await fn();
    } catch (err) {
      throw fromNative(err);
    }
  }

  _onBatch(batch) {
    for (const e of batch) {
      try {
        if (e.type === 'http') this._onHttp(e);
        else if (e.type === 'log') this[kLogger].raw(e.level, e.line);
        else if (EVENTS.has(e.type)) this.emit(e.type, e);
        else this[kLogger].debug('unknown native event', { type: e.type });
      } catch (err) {
        this._fail(err, e.type);
      }
    }
  }

  /** A listener or handler failed: 'error' listeners hear of it, else the log does. */
  _fail(err, type) {
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', err);
        return;
      } catch (again) {
        err = again;
      }
    }
    this[kLogger].error('event handler failed', { err, type });
  }

  _onHttp(req) {
    const ctx = { server: this, core: this[kCore], config: this[kConfig], logger: this[kLogger], dummyHash: this[kDummyHash] };
    this[kRouter].handle(req, ctx).then((res) => {
      if (this[kState] !== 'running' && this[kState] !== 'stopping') return;
      try {
        this[kCore].respond(req.id, res.status, res.headers, res.body);
      } catch (err) {
        this[kLogger].warn('cannot answer an HTTP request', { err, id: req.id });
      }
    });
  }
}

module.exports = { Server };
