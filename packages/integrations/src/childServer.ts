import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type * as ChildSdkModule from './childSdk.js';
import { z } from 'zod';
import { IntegrationsError } from './integrationsError.js';
import { childEnvironment } from './serversConfig.js';
import type { ChildServerConfig, StdioChildServerConfig } from './serversConfig.js';
import type { CallContext, FederationLogger, ForwardedCapabilities, McpMessage, UpstreamSession } from './upstream.js';

type ChildSdk = typeof ChildSdkModule;
let childSdk: Promise<ChildSdk> | undefined;
const loadChildSdk = (): Promise<ChildSdk> => (childSdk ??= import('./childSdk.js'));

/**
 * - `disabled`: not started, see `disabledReason`;
 * - `idle`: a lazy child nobody has needed yet;
 * - `starting`: spawning or connecting and initializing;
 * - `ready`: initialized, lists fetched;
 * - `restarting`: it exited or could not start; the next attempt is scheduled;
 * - `stopped`: removed or the gateway is closing.
 */
export type ChildState = 'disabled' | 'idle' | 'starting' | 'ready' | 'restarting' | 'stopped';
export type ListKind = 'tools' | 'resources' | 'prompts';

/** A child's item as the child listed it: every field kept, even ones this SDK version does not know. */
export type Listed = Record<string, unknown> & { readonly name: string };
export type ListedResource = Record<string, unknown> & { readonly uri: string; readonly name: string };
export type ListedTemplate = Record<string, unknown> & { readonly uriTemplate: string; readonly name: string };

export interface ChildStatus {
  readonly name: string;
  readonly transport: ChildServerConfig['transport'];
  readonly state: ChildState;
  readonly startup: ChildServerConfig['startup'];
  readonly disabledReason?: string;
  /** Process id of a stdio child while it runs. */
  readonly pid?: number;
  readonly server?: { readonly name: string; readonly version: string };
  readonly tools: number;
  readonly resources: number;
  readonly prompts: number;
  /** Times it was started again after exiting or failing. */
  readonly restarts: number;
  /** Why it last failed: the error, and for a stdio child the end of what it wrote to stderr. */
  readonly lastError?: string;
  /** When it entered its current state (ISO 8601). */
  readonly since: string;
  /** For `restarting`: milliseconds until the next attempt. */
  readonly retryInMs?: number;
}

export interface ChildServerHooks {
  /** The child's list changed and the new one has been fetched. */
  onListChanged(child: ChildServer, kind: ListKind): void;
  onStateChange(child: ChildServer): void;
  /** `notifications/resources/updated` and `notifications/message` from the child. */
  onNotification(child: ChildServer, notification: McpMessage): void;
  /** The client session a child's sampling, elicitation or roots request should go to. */
  pickSession(child: ChildServer, feature: keyof ForwardedCapabilities): { session: UpstreamSession; relatedRequestId?: string | number | undefined } | undefined;
}

export interface ChildServerOptions {
  readonly logger: FederationLogger;
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** The gateway's environment, for `inheritEnv`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Which client features are offered to the child (and forwarded to a client that has them). */
  readonly forward: ForwardedCapabilities;
  /** First restart delay; doubles per failure up to `maxRestartDelayMs`. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
}

const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** A child that stayed up this long starts its backoff afresh when it next fails. */
const STABLE_AFTER_MS = 60_000;
const STDERR_LINES = 20;
const MIN_START_TIMEOUT_MS = 30_000;
/**
 * Largest single message a stdio child may send. The SDK's default (10 MB) is less than one read of a large file
 * or image, and going over it kills the child.
 */
const MAX_STDIO_MESSAGE_BYTES = 256 * 1024 * 1024;
/** JSON-RPC code the SDK uses for a request that timed out. */
const REQUEST_TIMEOUT = -32001;
/** The SDK's own timer is not used (setTimeout's largest delay). */
const NO_SDK_TIMEOUT = 2_147_483_647;
const MAX_PAGES = 100;
/** Log messages per second passed on from one child; the rest are counted and dropped. */
const LOG_RATE = 50;

const looseItem = z.looseObject({ name: z.string() });
const ToolsPage = z.looseObject({ tools: z.array(looseItem.extend({ inputSchema: z.looseObject({}) })), nextCursor: z.string().optional() });
const PromptsPage = z.looseObject({ prompts: z.array(looseItem), nextCursor: z.string().optional() });
const ResourcesPage = z.looseObject({ resources: z.array(looseItem.extend({ uri: z.string() })), nextCursor: z.string().optional() });
const TemplatesPage = z.looseObject({ resourceTemplates: z.array(looseItem.extend({ uriTemplate: z.string() })), nextCursor: z.string().optional() });
/** Any result, unchanged. */
export const AnyResult = z.looseObject({});

/**
 * One child MCP server: its connection (stdio, Streamable HTTP or legacy SSE), its cached lists, and its life:
 * started at boot or on first use, restarted with backoff when it exits, reconnected when its HTTP session
 * expires. Requests to it fail fast while it is down.
 */
export class ChildServer {
  readonly name: string;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private stateValue: ChildState;
  private since = Date.now();
  private starting: Promise<void> | undefined;
  /** Settles once the current attempt has spawned its process (stdio) or begun connecting. */
  private launching: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private retryAt: number | undefined;
  private failures = 0;
  private restartCount = 0;
  private readySince = 0;
  private lastErrorText: string | undefined;
  private stderrTail: string[] = [];
  private stopping = false;
  private generation = 0;
  private refreshing = new Map<ListKind, Promise<void>>();
  private refreshAgain = new Set<ListKind>();
  private logWindow = { start: 0, count: 0, dropped: 0 };
  private readonly inflight = new Map<symbol, CallContext>();
  private readonly progressListeners = new Map<string, (p: { progress: number; total?: number; message?: string }) => void>();
  private progressCounter = 0;

  tools: readonly Listed[] = [];
  prompts: readonly Listed[] = [];
  resources: readonly ListedResource[] = [];
  resourceTemplates: readonly ListedTemplate[] = [];

  constructor(
    readonly config: ChildServerConfig,
    private readonly hooks: ChildServerHooks,
    private readonly options: ChildServerOptions,
  ) {
    this.name = config.name;
    this.stateValue = config.disabledReason !== undefined ? 'disabled' : 'idle';
  }

  get state(): ChildState {
    return this.stateValue;
  }

  /** What the child declared in `initialize`, once connected. */
  get capabilities(): Record<string, unknown> | undefined {
    return this.client?.getServerCapabilities() as Record<string, unknown> | undefined;
  }

  status(): ChildStatus {
    const pid = this.transport !== undefined && 'pid' in this.transport ? this.transport.pid : undefined;
    const info = this.client?.getServerVersion();
    return {
      name: this.name,
      transport: this.config.transport,
      state: this.stateValue,
      startup: this.config.startup,
      ...(this.config.disabledReason !== undefined ? { disabledReason: this.config.disabledReason } : {}),
      ...(typeof pid === 'number' && this.stateValue !== 'restarting' ? { pid } : {}),
      ...(info !== undefined && this.stateValue === 'ready' ? { server: { name: info.name, version: info.version } } : {}),
      tools: this.tools.length,
      resources: this.resources.length + this.resourceTemplates.length,
      prompts: this.prompts.length,
      restarts: this.restartCount,
      ...(this.lastErrorText !== undefined ? { lastError: this.lastErrorText } : {}),
      since: new Date(this.since).toISOString(),
      ...(this.stateValue === 'restarting' && this.retryAt !== undefined ? { retryInMs: Math.max(0, this.retryAt - Date.now()) } : {}),
    };
  }

  /** Starts the child if it is idle (or brings a restart forward); resolves when it is ready or has failed. */
  start(): Promise<void> {
    if (this.stateValue === 'disabled' || this.stateValue === 'stopped') return Promise.resolve();
    if (this.stateValue === 'ready') return Promise.resolve();
    if (this.starting !== undefined) return this.starting;
    if (this.stateValue === 'restarting') return Promise.resolve();
    return this.connect();
  }

  /** Resolves once the child is no longer starting, or after `ms`. Starts an idle child. */
  async settled(ms: number): Promise<void> {
    const pending = this.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /**
   * Resolves once the current start has spawned the child's process (stdio) or begun connecting (HTTP), long
   * before it is ready: the binary waits for this, not for readiness, before loading the rest of the gateway.
   */
  launched(): Promise<void> {
    return this.launching ?? Promise.resolve();
  }

  /**
   * Sends a request to the child and resolves with its result, validated only as an object so that nothing the
   * child sent is lost. A child that is down fails at once; an idle lazy child is started first. When an HTTP
   * child answers 404 (its session expired), the gateway initializes a new session and sends the request again.
   */
  async request(message: McpMessage, context: CallContext = {}): Promise<Record<string, unknown>> {
    if (this.stateValue === 'idle' || this.stateValue === 'starting') await this.start();
    this.assertReady();
    const key = Symbol(message.method);
    this.inflight.set(key, context);
    try {
      return await this.send(message, context);
    } catch (error) {
      if (isSessionExpired(error, await loadChildSdk()) && !context.signal?.aborted) {
        this.options.logger.log('info', `child "${this.name}": its HTTP session expired; initializing a new one`, { child: this.name });
        await this.reconnect();
        this.assertReady();
        return await this.send(message, context);
      }
      throw this.describeFailure(error, message.method);
    } finally {
      this.inflight.delete(key);
    }
  }

  /** The calls in flight, most recent last (for routing a child's requests back to the right client). */
  inflightCalls(): CallContext[] {
    return [...this.inflight.values()];
  }

  /** Forwards a notification (e.g. `notifications/roots/list_changed`) if the child is connected. */
  async notify(notification: McpMessage): Promise<void> {
    if (this.stateValue !== 'ready' || this.client === undefined) return;
    await this.client.notification({ method: notification.method, ...(notification.params ? { params: notification.params } : {}) } as never).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.generation++; // a start under way finds itself stale
    clearTimeout(this.restartTimer);
    this.setState('stopped');
    await this.disconnect();
  }

  private assertReady(): void {
    if (this.stateValue === 'ready' && this.client !== undefined) return;
    throw new IntegrationsError('CHILD_UNAVAILABLE', this.unavailableReason(), { server: this.name });
  }

  unavailableReason(): string {
    switch (this.stateValue) {
      case 'disabled':
        return `server "${this.name}" is disabled: ${this.config.disabledReason ?? ''}`;
      case 'stopped':
        return `server "${this.name}" has been stopped`;
      case 'restarting': {
        const retry = this.retryAt === undefined ? '' : `; next attempt in ${Math.max(0, Math.ceil((this.retryAt - Date.now()) / 100) / 10)} s`;
        return `server "${this.name}" is down (${this.lastErrorText ?? 'it exited'})${retry}`;
      }
      default:
        return `server "${this.name}" is not ready (${this.stateValue})`;
    }
  }

  /**
   * Progress uses the gateway's own tokens, read straight off the transport (see {@link interceptProgress}), and
   * the timeout is the gateway's own, restarted by each progress notification: when it expires the request is
   * aborted, so the SDK sends `notifications/cancelled` to the child.
   */
  private async send(message: McpMessage, context: CallContext): Promise<Record<string, unknown>> {
    const client = this.client;
    if (client === undefined) throw new IntegrationsError('CHILD_UNAVAILABLE', this.unavailableReason(), { server: this.name });
    const timeoutMs = this.config.timeoutMs;
    const idle = new AbortController();
    const expire = () => idle.abort(Object.assign(new Error(`server "${this.name}" did not answer ${message.method} within ${timeoutMs} ms`), { code: REQUEST_TIMEOUT }));
    let timer = setTimeout(expire, timeoutMs);
    const onProgress = context.onProgress;
    const token = onProgress === undefined ? undefined : `globalmcp-${++this.progressCounter}`;
    if (token !== undefined && onProgress !== undefined) {
      this.progressListeners.set(token, (p) => {
        clearTimeout(timer);
        timer = setTimeout(expire, timeoutMs);
        onProgress(p);
      });
    }
    const meta = { ...(context.meta === undefined ? {} : Object.fromEntries(Object.entries(context.meta).filter(([k]) => k !== 'progressToken'))), ...(token !== undefined ? { progressToken: token } : {}) };
    const params = { ...message.params, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}) };
    const signal = context.signal === undefined ? idle.signal : AbortSignal.any([context.signal, idle.signal]);
    try {
      return await client.request({ method: message.method, params } as never, AnyResult, { signal, timeout: NO_SDK_TIMEOUT });
    } catch (error) {
      if (idle.signal.aborted && context.signal?.aborted !== true) throw idle.signal.reason as Error;
      throw error;
    } finally {
      clearTimeout(timer);
      if (token !== undefined) this.progressListeners.delete(token);
    }
  }

  /**
   * The SDK runs notification handlers a microtask later but handles a response at once, so a progress
   * notification that arrives in the same chunk as the result finds its handler already gone and is dropped:
   * the last progress of a call would often be lost. Progress for the gateway's tokens is taken off the
   * transport before the SDK sees it.
   */
  private interceptProgress(transport: Transport): void {
    const inner = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if ('method' in message && message.method === 'notifications/progress' && !('id' in message)) {
        const params = message.params as { progressToken?: unknown; progress?: unknown; total?: unknown; message?: unknown } | undefined;
        const listener = typeof params?.progressToken === 'string' ? this.progressListeners.get(params.progressToken) : undefined;
        if (listener !== undefined && typeof params?.progress === 'number') {
          listener({
            progress: params.progress,
            ...(typeof params.total === 'number' ? { total: params.total } : {}),
            ...(typeof params.message === 'string' ? { message: params.message } : {}),
          });
          return;
        }
      }
      inner?.call(transport, message, extra);
    };
  }

  /** Starting and listing may take longer than a call: `npx` may be downloading the server. */
  private startTimeoutMs(): number {
    return Math.max(this.config.timeoutMs, MIN_START_TIMEOUT_MS);
  }

  private describeFailure(error: unknown, method: string): unknown {
    if (error instanceof IntegrationsError) return error;
    const code = (error as { code?: unknown }).code;
    if (code === -32000 && /Connection closed/i.test((error as Error).message)) {
      return new IntegrationsError('CHILD_FAILED', `server "${this.name}" exited during ${method}${this.stderrSuffix()}`, { server: this.name, cause: error });
    }
    return error;
  }

  private connect(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.retryAt = undefined;
    this.setState('starting');
    const generation = ++this.generation;
    let launched = (): void => undefined;
    this.launching = new Promise<void>((resolve) => (launched = resolve));
    const attempt = this.open(generation, launched).then(
      () => {
        if (generation !== this.generation) return;
        this.readySince = Date.now();
        this.lastErrorText = undefined;
        this.setState('ready');
        this.options.logger.log('info', `child "${this.name}" ready`, { child: this.name, tools: this.tools.length });
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.failed(error instanceof Error ? error.message : String(error));
      },
    );
    this.starting = attempt.finally(() => {
      launched();
      if (this.generation === generation) this.starting = undefined;
    });
    return this.starting;
  }

  private async open(generation: number, launched: () => void): Promise<void> {
    const config = this.config;
    if (config.transport === 'stdio') {
      const { transport, exited } = await this.startStdio(config);
      if (generation !== this.generation) {
        // stopped or restarted while the transport module loaded
        launched();
        await transport.close().catch(() => undefined);
        return;
      }
      this.transport = transport; // its pid shows in status() while the child starts
      launched();
      const sdk = await loadChildSdk();
      // stop() or a restart meanwhile has closed the transport (disconnect closes one without a client)
      if (generation !== this.generation) return;
      try {
        await this.openWith(generation, sdk, transport);
      } catch (error) {
        // spawned but gone before the client connected: the SDK only says "Not connected"
        if (exited()) throw new Error(`exited during start${this.stderrSuffix()}`, { cause: error });
        throw error;
      }
      return;
    }
    launched();
    const sdk = await loadChildSdk();
    if (generation !== this.generation) return;
    const requestInit = { headers: { ...config.headers } };
    const url = new URL(config.url);
    try {
      await this.openWith(generation, sdk, config.transport === 'sse' ? new sdk.SSEClientTransport(url, { requestInit }) : new sdk.StreamableHTTPClientTransport(url, { requestInit }));
    } catch (error) {
      // A server that only speaks the legacy SSE transport answers a Streamable HTTP POST with 404 or 405: try
      // SSE on the same URL, as the spec's backwards-compatibility section describes.
      if (config.transport !== 'http' || !(error instanceof sdk.StreamableHTTPError) || (error.code !== 404 && error.code !== 405) || generation !== this.generation) throw error;
      this.options.logger.log('info', `child "${this.name}" does not speak Streamable HTTP (${error.code}); trying the legacy SSE transport`, { child: this.name });
      await this.disconnect();
      await this.openWith(generation, sdk, new sdk.SSEClientTransport(url, { requestInit }));
    }
  }

  private async openWith(generation: number, sdk: ChildSdk, transport: Transport): Promise<void> {
    const { sampling, elicitation, roots } = this.options.forward;
    const client = new sdk.Client(this.options.clientInfo, {
      capabilities: {
        ...(sampling ? { sampling: {} } : {}),
        ...(elicitation ? { elicitation: {} } : {}),
        ...(roots ? { roots: { listChanged: true } } : {}),
      },
    });
    this.installHandlers(client, sdk);
    this.client = client;
    this.transport = transport;
    client.onclose = () => this.closed(generation);
    client.onerror = (error) => this.options.logger.log('debug', `child "${this.name}": ${error.message}`, { child: this.name });
    await client.connect(transport, { timeout: this.startTimeoutMs() });
    if (generation !== this.generation) return;
    this.interceptProgress(transport);
    await Promise.all([this.refresh('tools'), this.refresh('resources'), this.refresh('prompts')]);
  }

  /**
   * A stdio child's transport, already started: its process is spawned before the SDK's client side loads
   * (~130 ms), so the two overlap. The stdio transport module is light; `Client.connect` calls `start()` again,
   * which then waits for this start instead of spawning a second process.
   */
  private async startStdio(config: StdioChildServerConfig): Promise<{ transport: Transport; exited: () => boolean }> {
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const fromFile = config.envFile === undefined ? {} : readEnvFile(config.envFile);
    const transport = new StdioClientTransport({
      command: config.command,
      args: [...config.args],
      env: { ...fromFile, ...childEnvironment(config, this.options.env) },
      ...(config.cwd !== undefined ? { cwd: config.cwd } : {}),
      stderr: 'pipe',
      maxBufferSize: MAX_STDIO_MESSAGE_BYTES,
    });
    this.stderrTail = [];
    let partial = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        this.stderrTail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
        if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
        this.options.logger.log('debug', `[${this.name}] ${line}`, { child: this.name, stream: 'stderr' });
      }
    });
    const started = transport.start();
    let spawned = false;
    started.then(
      () => (spawned = true),
      () => undefined, // a spawn error (ENOENT ...): Client.connect reports it
    );
    transport.start = () => started;
    // Client.connect keeps this handler and calls its own after it
    let closed = false;
    transport.onclose = () => (closed = true);
    return { transport, exited: () => spawned && closed };
  }

  private installHandlers(client: Client, sdk: ChildSdk): void {
    const { sampling, elicitation, roots } = this.options.forward;
    const forward = (feature: keyof ForwardedCapabilities) => async (request: { method: string; params?: unknown }, extra: { signal: AbortSignal }) => {
      const target = this.hooks.pickSession(this, feature);
      if (target === undefined) {
        throw Object.assign(new Error(`no connected client supports ${feature}, which server "${this.name}" asked for (${request.method})`), { code: -32601 });
      }
      try {
        return (await target.session.request(
          { method: request.method, params: request.params as Record<string, unknown> | undefined },
          { relatedRequestId: target.relatedRequestId, signal: extra.signal, timeoutMs: this.config.timeoutMs },
        )) as never;
      } catch (error) {
        // The client's error as the client sent it: the SDK's McpError has put "MCP error <code>: " in front.
        const code = (error as { code?: unknown }).code;
        if (typeof code !== 'number' || !(error instanceof Error)) throw error;
        throw Object.assign(new Error(error.message.replace(/^MCP error -?\d+: /, '')), { code, data: (error as { data?: unknown }).data });
      }
    };
    if (sampling) client.setRequestHandler(sdk.CreateMessageRequestSchema, forward('sampling'));
    if (elicitation) client.setRequestHandler(sdk.ElicitRequestSchema, forward('elicitation'));
    if (roots) client.setRequestHandler(sdk.ListRootsRequestSchema, forward('roots'));

    client.setNotificationHandler(sdk.ToolListChangedNotificationSchema, () => this.listChanged('tools'));
    client.setNotificationHandler(sdk.PromptListChangedNotificationSchema, () => this.listChanged('prompts'));
    client.setNotificationHandler(sdk.ResourceListChangedNotificationSchema, () => this.listChanged('resources'));
    client.setNotificationHandler(sdk.ResourceUpdatedNotificationSchema, (n) => this.hooks.onNotification(this, { method: n.method, params: n.params }));
    client.setNotificationHandler(sdk.LoggingMessageNotificationSchema, (n) => {
      if (this.admitLog()) this.hooks.onNotification(this, { method: n.method, params: n.params });
    });
  }

  /** A flood of log messages from one child must not flood every client: at most {@link LOG_RATE} per second. */
  private admitLog(): boolean {
    const now = Date.now();
    const w = this.logWindow;
    if (now - w.start >= 1000) {
      if (w.dropped > 0) this.options.logger.log('warn', `child "${this.name}" sent ${w.dropped} more log messages than ${LOG_RATE}/s; they were dropped`, { child: this.name });
      this.logWindow = { start: now, count: 0, dropped: 0 };
    }
    if (this.logWindow.count >= LOG_RATE) {
      this.logWindow.dropped++;
      return false;
    }
    this.logWindow.count++;
    return true;
  }

  private listChanged(kind: ListKind): void {
    if (this.stateValue !== 'ready') return;
    void this.refresh(kind).then(() => this.hooks.onListChanged(this, kind));
  }

  /**
   * Fetches one list (every page). A flood of `list_changed` notifications costs at most one fetch in flight and
   * one queued after it.
   */
  private refresh(kind: ListKind): Promise<void> {
    const running = this.refreshing.get(kind);
    if (running !== undefined) {
      this.refreshAgain.add(kind);
      return running;
    }
    const run = this.fetchList(kind)
      .catch((error: unknown) => this.options.logger.log('warn', `child "${this.name}": listing ${kind} failed: ${(error as Error).message}`, { child: this.name }))
      .finally(() => {
        this.refreshing.delete(kind);
        if (this.refreshAgain.delete(kind)) void this.refresh(kind).then(() => this.hooks.onListChanged(this, kind));
      });
    this.refreshing.set(kind, run);
    return run;
  }

  private async fetchList(kind: ListKind): Promise<void> {
    const client = this.client;
    const caps = client?.getServerCapabilities();
    if (client === undefined || caps === undefined) return;
    const timeout = this.startTimeoutMs();
    if (kind === 'tools') {
      this.tools = caps.tools ? await pages(client, 'tools/list', ToolsPage, (p) => p.tools, timeout) : [];
    } else if (kind === 'prompts') {
      this.prompts = caps.prompts ? await pages(client, 'prompts/list', PromptsPage, (p) => p.prompts, timeout) : [];
    } else if (caps.resources) {
      const [resources, templates] = await Promise.all([
        pages(client, 'resources/list', ResourcesPage, (p) => p.resources, timeout),
        pages(client, 'resources/templates/list', TemplatesPage, (p) => p.resourceTemplates, timeout).catch(() => []),
      ]);
      this.resources = resources;
      this.resourceTemplates = templates;
    } else {
      this.resources = [];
      this.resourceTemplates = [];
    }
  }

  private closed(generation: number): void {
    if (generation !== this.generation || this.stopping) return;
    const wasReady = this.stateValue === 'ready';
    this.client = undefined;
    this.transport = undefined;
    if (this.stateValue === 'starting') return; // connect() rejects and reports it
    this.failed(`${wasReady ? 'exited' : 'closed its connection'}${this.stderrSuffix()}`);
  }

  private failed(reason: string): void {
    if (this.stopping) return;
    this.lastErrorText = reason;
    if (Date.now() - this.readySince > STABLE_AFTER_MS && this.readySince > 0) this.failures = 0;
    const base = this.options.restartDelayMs ?? RESTART_DELAY_MS;
    const delay = Math.min(this.options.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS, base * 2 ** this.failures);
    this.failures++;
    this.retryAt = Date.now() + delay;
    this.setState('restarting');
    void this.disconnect();
    this.options.logger.log('warn', `child "${this.name}" is down: ${reason}; restarting in ${delay} ms`, { child: this.name, failures: this.failures });
    this.restartTimer = setTimeout(() => {
      this.restartCount++;
      void this.connect();
    }, delay);
    this.restartTimer.unref();
  }

  private async reconnect(): Promise<void> {
    this.generation++;
    await this.disconnect();
    await this.connect();
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    if (client !== undefined) {
      client.onclose = () => undefined;
      await client.close().catch(() => undefined);
    } else {
      // a stdio child spawned before its client existed
      await transport?.close().catch(() => undefined);
    }
  }

  private stderrSuffix(): string {
    if (this.stderrTail.length === 0) return '';
    return `; its stderr ended with: ${this.stderrTail.slice(-3).join(' | ')}`;
  }

  private setState(state: ChildState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.since = Date.now();
    this.hooks.onStateChange(this);
  }
}

async function pages<P extends { nextCursor?: string | undefined }, T>(client: Client, method: string, schema: z.ZodType<P>, items: (page: P) => T[], timeout: number): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await client.request({ method, params: cursor === undefined ? {} : { cursor } } as never, schema as never, { timeout });
    out.push(...items(page as P));
    cursor = (page as P).nextCursor;
    if (cursor === undefined || seen.has(cursor)) break;
    seen.add(cursor);
  }
  return out;
}

function isSessionExpired(error: unknown, sdk: ChildSdk): boolean {
  return error instanceof sdk.StreamableHTTPError && error.code === 404;
}

function readEnvFile(path: string): Record<string, string> {
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new IntegrationsError('CONFIG_INVALID', `cannot read envFile ${path}: ${(error as Error).message}`, { cause: error });
  }
}
