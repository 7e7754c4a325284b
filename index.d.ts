// Type definitions for switchboard. The same text, with examples: docs/api.md.

import { EventEmitter } from 'events';

/** A site: one website (or app) whose visitors chat with the agents assigned to it. */
export interface SiteConfig {
  /** Public key the widget names in `hello.site`: 1–64 lower-case letters, digits, `-`, `_`. */
  key: string;
  /** Display name. Default: the key. */
  name?: string;
  /** A disabled site refuses visitors (close 4401). Default `true`. */
  enabled?: boolean;
  /** Page origins allowed to open visitor connections, e.g. `["https://shop.example"]`, or `["*"]`. Default `[]`. */
  allowedOrigins?: string[];
  /** Widget settings, opaque to the server. Default `{}`. */
  settings?: Record<string, unknown>;
  /** The site's own assistant settings, over the server's `ai` defaults (docs/ai.md). */
  ai?: AiSettings;
  /** The site's own rate limits, over the server's `rateLimits` (docs/limits.md). */
  rateLimits?: RateLimits;
}

/** One rate limit: a token bucket (`burst`, refilled at `perSecond`) and a sliding window (`windowMax` per `windowMs`). */
export interface RateRule {
  burst?: number;
  perSecond?: number;
  windowMs?: number;
  windowMax?: number;
}

/** `"<action>.<scope>"` → rule, or `null` to switch it off. Actions: message, conversation, connection, login. */
export type RateLimits = Partial<Record<
  | 'message.visitor' | 'message.ip' | 'message.site' | 'message.global'
  | 'conversation.visitor' | 'conversation.ip' | 'conversation.site' | 'conversation.global'
  | 'connection.ip' | 'connection.site' | 'connection.global'
  | 'login.account' | 'login.ip',
  RateRule | null>>;

/** One FAQ entry of an assistant's knowledge base. */
export interface FaqEntry {
  question: string;
  answer: string;
}

/** The assistant's settings (config `ai`, or a site's `ai`). Every key is in docs/configuration.md. */
export interface AiSettings {
  /** On by default wherever `baseUrl` and `model` are set (`SWITCHBOARD_AI_ENABLED`). */
  enabled?: boolean;
  /** OpenAI-compatible base URL, e.g. `https://api.openai.com/v1` (`SWITCHBOARD_AI_BASE_URL`). */
  baseUrl?: string;
  /** Bearer key; never logged, shown as `"(set)"` when read back (`SWITCHBOARD_AI_API_KEY`). */
  apiKey?: string;
  /** Model name (`SWITCHBOARD_AI_MODEL`). */
  model?: string;
  /** 0–2. Default 0.3. */
  temperature?: number;
  /** Longest reply; 0 leaves it to the upstream. Default 512. */
  maxTokens?: number;
  /** Ask for usage in the stream's last chunk. Default `true`. */
  includeUsage?: boolean;
  connectTimeoutMs?: number;
  firstTokenTimeoutMs?: number;
  idleTimeoutMs?: number;
  totalTimeoutMs?: number;
  /** Retries before the first token only (connect errors, 429, 5xx). Default 2. */
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Longest wait for a slot at a saturated upstream before handing over. Default 10000. */
  queueTimeoutMs?: number;
  /** Requests in flight before the upstream's capacity is measured (slow start from here). Default 32. */
  initialConcurrency?: number;
  /** Learn the upstream's capacity; `false` makes `initialConcurrency` a fixed limit. Default `true`. */
  adaptiveConcurrency?: boolean;
  /** Upper bound of the learned concurrency limit per upstream. Default 512. */
  maxConcurrency?: number;
  botName?: string;
  systemPrompt?: string;
  /** First bot message of each new conversation. */
  greeting?: string;
  /** Words that send the conversation to humans at once. */
  handoffWords?: string[];
  /** Offer the model a `transfer_to_human` function. Default `true`. */
  toolHandoff?: boolean;
  /** Bot replies after which the conversation goes to humans. Default 8. */
  maxBotTurns?: number;
  historyTurns?: number;
  historyTokens?: number;
  knowledgeTop?: number;
  knowledge?: FaqEntry[];
  handoffMessage?: string;
  unavailableMessage?: string;
  busyMessage?: string;
  offlineMessage?: string;
}

/** A site as stored. */
export interface Site {
  key: string;
  name: string;
  enabled: boolean;
  allowedOrigins: string[];
  settings: Record<string, unknown>;
  /** The site's own assistant settings; `apiKey`, when set, reads `"(set)"`. */
  ai: AiSettings;
  rateLimits: RateLimits;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** Configuration keys; every one is documented, with its environment variable, in docs/configuration.md. */
export interface SwitchboardConfig {
  /** TCP port of the one public listener; 0 picks a free port. Default 8080 (`PORT`). */
  port?: number;
  /** Address to listen on. Default `"0.0.0.0"` (`SWITCHBOARD_HOST`). */
  host?: string;
  /** Directory of the SQLite database; created if missing. Default `"./data"` (`SWITCHBOARD_DATA_DIR`). */
  dataDir?: string;
  /** Native I/O threads; 0 means one per CPU core. Default 0 (`SWITCHBOARD_IO_THREADS`). */
  ioThreads?: number;
  /** Directory of static files (`/` demo page, `/console`). Default: the package's `web/`. */
  webRoot?: string;
  store?: {
    /** `"sqlite"` (durable) or `"memory"` (lost at exit). Default `"sqlite"` (`SWITCHBOARD_STORE`). */
    driver?: 'sqlite' | 'memory';
    /** `"full"` fsyncs every commit; `"normal"` survives a process crash, not a power loss. Default `"full"` (`SWITCHBOARD_STORE_SYNC`). */
    synchronous?: 'full' | 'normal';
  };
  limits?: {
    /** Largest WebSocket message; larger: close 1009. Default 65536, ≥ 1024. */
    maxFrameBytes?: number;
    /** Largest message text in UTF-8 bytes; larger: error `too_large`. Default 16384. */
    maxTextBytes?: number;
    /** Time for `hello` to arrive, else close 4408. Default 10000. */
    helloTimeoutMs?: number;
    /** Close a connection with no traffic at all (not even a pong) for this long. Default 120000. */
    idleTimeoutMs?: number;
    /** Ping a connection quiet for this long. Default 30000. */
    pingIntervalMs?: number;
    /** Bytes queued for one connection before it is dropped as a slow consumer. Default 1048576. */
    outboundQueueBytes?: number;
    /** Largest HTTP request body (413 above). Default 1048576. */
    maxHttpBodyBytes?: number;
    /** Largest HTTP header block (431 above). Default 16384. */
    maxHttpHeaderBytes?: number;
    /** Time connections get to close (1001) on stop before they are cut. Default 5000. */
    shutdownGraceMs?: number;
    /** Keys of rate state kept (fixed memory, ~40 bytes each). Default 262144. */
    rateTableKeys?: number;
    /** Never limited by the `*.ip` rules. Default loopback. */
    rateExemptIps?: string[];
    /** Refusals within `floodWindowMs` that close a connection with 4429. Default 20 (0: never). */
    floodStrikes?: number;
    floodWindowMs?: number;
    /** Saturation thresholds: new visitors and conversations wait above them (docs/limits.md). */
    maxIoLagMs?: number;
    maxStoreBacklog?: number;
    maxMemoryMb?: number;
  };
  admin?: {
    /** First admin's e-mail, created at start if missing (`SWITCHBOARD_ADMIN_EMAIL`). Set with `password`. */
    email?: string;
    /** First admin's password, 8+ characters; never logged (`SWITCHBOARD_ADMIN_PASSWORD`). */
    password?: string;
  };
  auth?: {
    /** Lifetime of tokens issued by login. Default 43200 (12 h). */
    tokenTtlSeconds?: number;
  };
  log?: {
    /** Lowest level logged. Default `"info"` (`SWITCHBOARD_LOG_LEVEL`). */
    level?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  };
  /** The assistant's defaults for every site (docs/ai.md). */
  ai?: AiSettings;
  /** Rate limits; rules named replace the defaults one by one (docs/limits.md). */
  rateLimits?: RateLimits;
  /** Sites created or updated at start. The `demo` site (`allowedOrigins: ["*"]`) always exists. */
  sites?: SiteConfig[];
}

/** A structured logger; js/logger.js's `Logger` is the default. */
export interface LoggerLike {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
  /** Writes a line the native core already formatted as JSON. */
  raw(level: 'debug' | 'info' | 'warn' | 'error', line: string): void;
}

/** Options of `new Server()`: configuration keys, plus where else configuration comes from. */
export interface ServerOptions extends SwitchboardConfig {
  /** JSON config file. Default `./switchboard.config.json` if it exists; `null` for none. */
  configFile?: string | null;
  /** Environment to read variables from instead of `process.env`. */
  env?: Record<string, string | undefined>;
  /** Logger for the JSON log; default: JSON lines on stdout at `log.level`. */
  logger?: LoggerLike;
}

type DeepRequired<T> = { [K in keyof T]-?: NonNullable<T[K]> extends unknown[] ? NonNullable<T[K]> : NonNullable<T[K]> extends object ? DeepRequired<NonNullable<T[K]>> : NonNullable<T[K]> };

/** The effective configuration: every key set, paths absolute. */
export type ResolvedConfig = DeepRequired<Omit<SwitchboardConfig, 'sites'>> & { sites: SiteConfig[] };

export type AgentRole = 'agent' | 'admin';

/** An agent as the API shows it (never with its password hash). */
export interface Agent {
  /** A UUID. */
  id: string;
  /** Lower-case. */
  email: string;
  name: string;
  role: AgentRole;
  /** Most conversations assigned automatically at once. */
  maxChats: number;
  /** Keys of the sites the agent serves. */
  sites: string[];
  teams: string[];
}

export interface NewAgent {
  /** Stored lower-case; unique. */
  email: string;
  /** 8–1024 characters; stored as an scrypt hash. */
  password: string;
  /** Default: the part of the e-mail before `@`. */
  name?: string;
  /** Default `"agent"`. */
  role?: AgentRole;
  /** 1–1000. Default 5. */
  maxChats?: number;
  /** Existing site keys. Default `["demo"]`. */
  sites?: string[];
  /** Default `[]`. */
  teams?: string[];
}

/** A visitor's new conversation (its first message is being stored). */
export interface ConversationOpenedEvent { type: 'conversation.opened'; conv: string; site: string; visitor: string; }
/** The conversation is waiting for an agent. */
export interface ConversationQueuedEvent { type: 'conversation.queued'; conv: string; site: string; visitor: string; }
/** The conversation was assigned to `agent` (automatically, by accept, or by transfer). */
export interface ConversationAssignedEvent { type: 'conversation.assigned'; conv: string; site: string; visitor: string; agent: string; }
/** The conversation was closed by its agent, an admin or its visitor; `agent` when it was assigned. */
export interface ConversationClosedEvent { type: 'conversation.closed'; conv: string; site: string; visitor: string; agent?: string; }

/** A message, after it was durably stored. */
export interface MessageEvent {
  type: 'message';
  conv: string;
  site: string;
  /** 1, 2, 3… within the conversation. */
  seq: number;
  /** Server message id. */
  id: string;
  from: { kind: 'visitor' | 'agent' | 'bot' | 'system'; id: string; name: string };
  /** Plain text: render it as text, never as HTML. */
  text: string;
  /** Epoch milliseconds. */
  ts: number;
}

export interface ServerEvents {
  'conversation.opened': [ConversationOpenedEvent];
  'conversation.queued': [ConversationQueuedEvent];
  'conversation.assigned': [ConversationAssignedEvent];
  'conversation.closed': [ConversationClosedEvent];
  message: [MessageEvent];
  /** A listener threw, or an event could not be handled. Without an `error` listener, such errors are logged. */
  error: [Error];
}

/** Cheap counters, read synchronously from the native core. */
export interface Stats {
  connections: number;
  visitorsConnected: number;
  agentsConnected: number;
  conversationsOpen: number;
  queued: number;
  messagesAcked: number;
  messagesFailed: number;
  websockets: number;
  /** The assistant: bot replies and the AI client's upstream requests. */
  ai: {
    streams: number;
    replies: number;
    failures: number;
    handoffs: number;
    assistRequests: number;
    upstreamActive: number;
    upstreamStarted: number;
    upstreamCompleted: number;
    upstreamFailed: number;
    upstreamCancelled: number;
    upstreamRetries: number;
    promptTokens: number;
    completionTokens: number;
    /** `"<kind>: <detail>"` of the latest failed request (never holds the key), or `""`. */
    lastError: string;
    /** Each upstream's gate: the learned concurrency limit and its queue (docs/limits.md). */
    upstreams: Array<{
      upstream: string; limit: number; inFlight: number; queued: number; baselineMs: number;
      rejectProbability: number; admitted: number; shed: number; overloads: number; maxInFlight: number;
    }>;
  };
  /** Rate limits and self-protection (docs/limits.md). */
  limits: {
    refused: { message: number; conversation: number; connection: number; login: number };
    floodCloses: number;
    saturatedRefusals: number;
    saturated: boolean;
    ioLagMs: number;
    memoryBytes: number;
    keys: number;
    keyCapacity: number;
    tableBytes: number;
    evictions: number;
  };
  store: {
    writesQueued: number;
    writesTotal: number;
    batchesTotal: number;
    lastBatchSize: number;
    maxBatchSize: number;
    lastCommitMs: number;
  };
}

/**
 * One Switchboard server: the native WebSocket hub, its store, the admin HTTP API, the demo
 * page and console. Serves one port: `/ws` (protocol v1), `/api/v1/*`, static files.
 */
export declare class Server extends EventEmitter {
  /**
   * Reads and validates the configuration: defaults < config file < environment < `options`.
   * @throws {SwitchboardError} `SB_CONFIG_INVALID` (synchronously), naming the key, what was expected and where the value came from.
   */
  constructor(options?: ServerOptions);
  /** The port listened on once started (useful with `port: 0`), else `null`. */
  readonly port: number | null;
  /** The effective configuration; secrets read `"[redacted]"`. */
  readonly config: ResolvedConfig;
  /**
   * Creates the data directory, opens (and migrates) the store, listens, and makes sure the
   * `demo` site, the configured `sites` and a first admin exist. When no admin is configured
   * and no agent exists, creates `admin@localhost` and prints its password once to stdout.
   * A Server starts once.
   * @throws {SwitchboardError} `SB_ALREADY_STARTED`, `SB_NATIVE_LOAD_FAILED`, `SB_STORE_UNAVAILABLE`, `SB_LISTEN_FAILED`.
   */
  start(): Promise<this>;
  /** Stops accepting, closes WebSockets with 1001 (cut after `limits.shutdownGraceMs`), flushes the store. Idempotent. */
  stop(): Promise<void>;
  /** @throws {SwitchboardError} `SB_NOT_STARTED` before `start()`. */
  stats(): Stats;
  /**
   * Creates an agent; the password is hashed with scrypt.
   * @throws {SwitchboardError} `SB_INVALID_ARGUMENT` (names the field), `SB_CONFLICT` (e-mail taken), `SB_NOT_STARTED`.
   */
  createAgent(agent: NewAgent): Promise<Agent>;
  /**
   * Signs a bearer token for the protocol's agent `hello`, like `POST /api/v1/auth/login` returns.
   * @param ttlSeconds 1–31536000; default `auth.tokenTtlSeconds`.
   */
  createAgentToken(agentId: string, ttlSeconds?: number): string;
  /** Every agent, without password hashes. */
  listAgents(): Promise<Agent[]>;
  /**
   * Creates or updates a site; fields left out keep their stored value (or their default).
   * @throws {SwitchboardError} `SB_INVALID_ARGUMENT` naming the field.
   */
  putSite(site: SiteConfig): Promise<Site>;
  listSites(): Promise<Site[]>;

  /** `message` events cross from the native threads only while a `message` listener is attached. */
  on<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  once<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  off<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  addListener<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  removeListener<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  emit<K extends keyof ServerEvents>(event: K, ...args: ServerEvents[K]): boolean;
}

export type SwitchboardErrorCode =
  | 'SB_CONFIG_INVALID'
  | 'SB_NATIVE_LOAD_FAILED'
  | 'SB_NOT_STARTED'
  | 'SB_ALREADY_STARTED'
  | 'SB_STORE_UNAVAILABLE'
  | 'SB_LISTEN_FAILED'
  | 'SB_INVALID_ARGUMENT'
  | 'SB_CONFLICT'
  | 'SB_INTERNAL';

/** Every error Switchboard throws; `message` starts with the code and says what to do. */
export declare class SwitchboardError extends Error {
  constructor(code: SwitchboardErrorCode, message?: string, options?: { cause?: unknown });
  readonly name: 'SwitchboardError';
  readonly code: SwitchboardErrorCode;
}

/** Same as `new Server(options)`. */
export declare function createServer(options?: ServerOptions): Server;

/**
 * Builds the effective configuration without starting anything (what `new Server()` does).
 * @throws {SwitchboardError} `SB_CONFIG_INVALID`.
 */
export declare function loadConfig(source?: {
  /** Config file; default `switchboard.config.json` in `cwd` if present; `null` for none. */
  file?: string | null;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Options given in code; they win over everything. */
  options?: SwitchboardConfig;
  /** Base of relative paths; default `process.cwd()`. */
  cwd?: string;
}): ResolvedConfig;
