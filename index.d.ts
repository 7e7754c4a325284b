// Type definitions for switchboard. The API is documented in docs/api.md.

import { EventEmitter } from 'events';

export interface SiteConfig {
  /** Public site key used by the widget, e.g. "demo": lower-case letters, digits, "-", "_". */
  key: string;
  name?: string;
  /** Disabled sites refuse visitors (close 4401). Default true. */
  enabled?: boolean;
  /** Origins allowed to open visitor connections, e.g. ["https://shop.example"], or ["*"]. */
  allowedOrigins?: string[];
  /** Widget settings, opaque to the core. */
  settings?: Record<string, unknown>;
}

export interface ServerOptions {
  /** JSON config file; default ./switchboard.config.json if present, null for none. */
  configFile?: string | null;
  /** Environment to read SWITCHBOARD_* variables from; default process.env. */
  env?: Record<string, string | undefined>;
  /** A logger with debug/info/warn/error(msg, fields) and raw(level, jsonLine). */
  logger?: unknown;
  /** TCP port (default 8080; 0 picks a free one). */
  port?: number;
  /** Listen address (default "0.0.0.0"). */
  host?: string;
  /** Data directory (default "./data"). */
  dataDir?: string;
  /** Native I/O threads; 0 = one per core. */
  ioThreads?: number;
  /** Static files root (default: the package's web/). */
  webRoot?: string;
  store?: {
    /** "sqlite" (durable, default) or "memory". */
    driver?: 'sqlite' | 'memory';
    /** "full" fsyncs every commit (default); "normal" survives a process crash, not power loss. */
    synchronous?: 'full' | 'normal';
  };
  limits?: {
    maxFrameBytes?: number;
    maxTextBytes?: number;
    helloTimeoutMs?: number;
    idleTimeoutMs?: number;
    pingIntervalMs?: number;
    outboundQueueBytes?: number;
    maxHttpBodyBytes?: number;
    maxHttpHeaderBytes?: number;
    shutdownGraceMs?: number;
  };
  admin?: { email?: string; password?: string };
  auth?: { tokenTtlSeconds?: number };
  log?: { level?: 'debug' | 'info' | 'warn' | 'error' | 'silent' };
  sites?: SiteConfig[];
}

export interface Agent {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  maxChats: number;
  sites: string[];
  teams: string[];
}

export interface NewAgent {
  email: string;
  password: string;
  name?: string;
  role?: 'admin' | 'agent';
  maxChats?: number;
  sites?: string[];
  teams?: string[];
}

export interface Site extends Required<Omit<SiteConfig, 'settings'>> {
  settings: Record<string, unknown>;
  createdAt: number;
}

export interface ConversationEvent {
  type: 'conversation.opened' | 'conversation.assigned' | 'conversation.queued' | 'conversation.closed';
  conv: string;
  site: string;
  visitor?: string;
  agent?: string;
}

export interface MessageEvent {
  type: 'message';
  conv: string;
  site: string;
  seq: number;
  id: string;
  from: { kind: 'visitor' | 'agent' | 'bot' | 'system'; id: string; name: string };
  text: string;
  ts: number;
}

export interface Stats {
  connections: number;
  visitorsConnected: number;
  agentsConnected: number;
  conversationsOpen: number;
  queued: number;
  messagesAcked: number;
  messagesFailed: number;
  websockets: number;
  store: {
    writesQueued: number;
    writesTotal: number;
    batchesTotal: number;
    lastBatchSize: number;
    maxBatchSize: number;
    lastCommitMs: number;
  };
}

export declare class Server extends EventEmitter {
  /** Validates the configuration; throws SwitchboardError SB_CONFIG_INVALID naming the key. */
  constructor(options?: ServerOptions);
  /** The port listened on, once started. */
  readonly port: number | null;
  /** The effective configuration with secrets redacted. */
  readonly config: Required<ServerOptions>;
  /** Opens the store, listens, creates the demo site and the first admin. */
  start(): Promise<this>;
  /** Closes connections with 1001 after the grace period and flushes the store. */
  stop(): Promise<void>;
  stats(): Stats;
  createAgent(agent: NewAgent): Promise<Agent>;
  /** A bearer token for protocol `hello` as agent (the kind login returns). */
  createAgentToken(agentId: string, ttlSeconds?: number): string;
  listAgents(): Promise<Agent[]>;
  putSite(site: SiteConfig): Promise<void>;
  listSites(): Promise<Site[]>;

  on(event: 'conversation.opened' | 'conversation.assigned' | 'conversation.queued' | 'conversation.closed', listener: (e: ConversationEvent) => void): this;
  /** Message events cross from native code only while a listener is attached. */
  on(event: 'message', listener: (e: MessageEvent) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export declare class SwitchboardError extends Error {
  code:
    | 'SB_CONFIG_INVALID'
    | 'SB_NATIVE_LOAD_FAILED'
    | 'SB_NOT_STARTED'
    | 'SB_ALREADY_STARTED'
    | 'SB_STORE_UNAVAILABLE'
    | 'SB_LISTEN_FAILED'
    | 'SB_INVALID_ARGUMENT'
    | 'SB_CONFLICT';
}

export declare function createServer(options?: ServerOptions): Server;
export declare function loadConfig(source?: { file?: string | null; env?: Record<string, string | undefined>; options?: ServerOptions; cwd?: string }): Required<ServerOptions>;
