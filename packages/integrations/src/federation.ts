import { isDeepStrictEqual } from 'node:util';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { ChildServer } from './childServer.js';
import type { ChildServerHooks, ChildStatus, ListKind, Listed, ListedResource, ListedTemplate } from './childServer.js';
import { IntegrationsError } from './integrationsError.js';
import type { ChildServerConfig, ServersConfig } from './serversConfig.js';
import { presetGuards } from './presets.js';
import { planToolNames, publicToolName } from './toolNames.js';
import type { PlannedTool, ToolNamePlan } from './toolNames.js';
import { silentFederationLogger } from './upstream.js';
import type { CallContext, FederationLogger, ForwardedCapabilities, LoggingLevel, McpMessage, UpstreamSession } from './upstream.js';

/** Gateway-side rules for one child's tools, e.g. the filesystem preset's read-only paths. */
export interface ToolGuard {
  /** A reason to keep this tool from clients altogether, or `undefined` to list it. */
  hide?(tool: Listed): string | undefined;
  /** The tool as clients see it (e.g. arguments the gateway fills in no longer required). */
  rewriteTool?(tool: Listed): Listed;
  /** The arguments sent to the child for a call of `tool` (the child's definition). */
  rewriteArgs?(tool: Listed, args: Record<string, unknown>): Record<string, unknown>;
  /** A reason to refuse this call without sending it to the child, or `undefined` to let it through. */
  refuse?(tool: string, args: Record<string, unknown>): Promise<string | undefined> | string | undefined;
}

export interface FederationOptions {
  readonly logger?: FederationLogger;
  /** How the gateway introduces itself to children. */
  readonly clientInfo?: { readonly name: string; readonly version: string };
  /** The gateway's environment, for each child's `inheritEnv` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Tool names the gateway itself serves: they count against the tool budget and win any collision with a
   * child's tool.
   */
  readonly reservedToolNames?: readonly string[];
  /**
   * How long a listing waits for children that are still starting (a lazy child is started by it) before it
   * answers without them; they are announced with `list_changed` when they are ready. Default 3000 ms.
   */
  readonly listWaitMs?: number;
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
}

export interface FederationStatus {
  readonly children: readonly ChildStatus[];
  /** Collisions, truncation and unmatched globs of the current tool plan, as sentences for the user. */
  readonly warnings: readonly string[];
  /** Child tools exposed now. */
  readonly tools: number;
}

/** Everything of a server entry that the child process or connection depends on: a change means a restart. */
type ChildKey = Omit<ChildServerConfig, 'allow' | 'deny' | 'descriptions' | 'prefix'>;

const DEFAULT_LIST_WAIT_MS = 3000;
const RESERVED = '\u0000gateway';

/**
 * Child MCP servers behind one gateway: their tools (renamed and filtered by {@link planToolNames}), resources,
 * prompts and completions, merged for every client session; calls routed to the child that owns them with the
 * client's progress token and cancellation; the children's sampling, elicitation and roots requests routed to a
 * client that supports them; list changes, resource updates and log messages passed on to the sessions.
 */
export class Federation {
  private readonly children = new Map<string, ChildServer>();
  private readonly guards = new Map<string, ToolGuard>();
  private readonly sessions = new Map<string, UpstreamSession>();
  /** uri -> ids of sessions subscribed to it. */
  private readonly subscriptions = new Map<string, Set<string>>();
  private config: ServersConfig | undefined;
  private plan: ToolNamePlan<Listed> | undefined;
  private planError: IntegrationsError | undefined;
  private prompts = new Map<string, { child: ChildServer; name: string; definition: Listed }>();
  private resourceOwners = new Map<string, ChildServer>();
  private signatures: Record<ListKind, string> = { tools: '', resources: '', prompts: '' };
  private loggingLevel: LoggingLevel | undefined;
  private readonly logger: FederationLogger;
  private closed = false;

  constructor(private readonly options: FederationOptions = {}) {
    this.logger = options.logger ?? silentFederationLogger;
  }

  /** The servers in config order. */
  servers(): readonly ChildServer[] {
    return [...this.children.values()];
  }

  /**
   * Applies a servers config: starts the new children (those with `startup: "boot"` now), stops removed ones,
   * restarts only those whose process or connection settings changed; naming, filters and descriptions apply
   * without a restart. Resolves once removed children have stopped and the boot children's processes have been
   * spawned (or their connections begun), without waiting for them to be ready.
   */
  apply(config: ServersConfig, guards: ReadonlyMap<string, ToolGuard> = presetGuards(config.servers)): Promise<void> {
    if (this.closed) throw new Error('the federation is closed');
    const previous = new Map(this.children);
    this.children.clear();
    this.guards.clear();
    for (const [name, guard] of guards) this.guards.set(name, guard);
    const stopping: Promise<void>[] = [];
    for (const server of config.servers) {
      const old = previous.get(server.name);
      previous.delete(server.name);
      if (old !== undefined && isDeepStrictEqual(childKey(old.config), childKey(server)) && old.state !== 'stopped') {
        // Same process settings: keep the running child, take the new naming and filters.
        (old as { config: ChildServerConfig }).config = server;
        this.children.set(server.name, old);
        continue;
      }
      if (old !== undefined) {
        this.logger.log('info', `child "${server.name}" changed; restarting it`, { child: server.name });
        stopping.push(old.stop());
      }
      this.children.set(server.name, this.createChild(server));
    }
    for (const removed of previous.values()) {
      this.logger.log('info', `child "${removed.name}" removed from the config; stopping it`, { child: removed.name });
      stopping.push(removed.stop());
    }
    this.config = config;
    const launching: Promise<void>[] = [];
    for (const child of this.children.values()) {
      if (child.config.startup !== 'boot') continue;
      void child.start();
      launching.push(child.launched());
    }
    this.refreshAll();
    return Promise.all([...stopping, ...launching]).then(() => undefined);
  }

  /** Registers a client session for notifications and as a target for children's requests. Returns the detach. */
  attach(session: UpstreamSession): () => void {
    this.sessions.set(session.id, session);
    return () => {
      this.sessions.delete(session.id);
      for (const [uri, ids] of this.subscriptions) {
        if (ids.delete(session.id) && ids.size === 0) void this.unsubscribeChild(uri);
      }
    };
  }

  status(): FederationStatus {
    return {
      children: this.servers().map((c) => c.status()),
      warnings: [...(this.plan?.warnings ?? []), ...(this.planError ? [this.planError.message] : [])],
      tools: this.plan?.tools.length ?? 0,
    };
  }

  // ---- tools ----

  /** The child tools clients see, under their public names. Waits up to `listWaitMs` for children starting. */
  async listTools(): Promise<Listed[]> {
    await this.settle();
    const plan = this.currentPlan();
    return plan.tools.filter((t) => t.server !== RESERVED).map((t) => this.publicTool(t));
  }

  /** Whether `name` is a child tool (as of the last listing; a child that is starting is waited for). */
  async hasTool(name: string): Promise<boolean> {
    if (this.currentPlan().byPublicName.has(name)) return this.currentPlan().byPublicName.get(name)?.server !== RESERVED;
    if (this.servers().some((c) => c.state === 'starting' || (c.state === 'idle' && c.config.startup === 'lazy'))) {
      await this.settle();
      const planned = this.currentPlan().byPublicName.get(name);
      return planned !== undefined && planned.server !== RESERVED;
    }
    return false;
  }

  /**
   * Calls a child tool by its public name. The child's result comes back unchanged. A child that is down, a
   * call the child's guard refuses, a child that exits during the call and a timeout give an `isError` result
   * that says what happened; a JSON-RPC error from the child is rethrown with its code, message and data.
   */
  async callTool(publicName: string, args: Record<string, unknown>, context: CallContext = {}): Promise<Record<string, unknown>> {
    const planned = this.currentPlan().byPublicName.get(publicName);
    if (planned === undefined || planned.server === RESERVED) {
      throw new IntegrationsError('NOT_FOUND', `no child server offers a tool named "${publicName}"`);
    }
    const child = this.children.get(planned.server);
    if (child === undefined) throw new IntegrationsError('NOT_FOUND', `server "${planned.server}" is no longer configured`);
    const guard = this.guards.get(child.name);
    const sent = guard?.rewriteArgs?.(planned.definition, args) ?? args;
    const refusal = await guard?.refuse?.(planned.tool, sent);
    if (refusal !== undefined) return errorResult(`${publicName} refused by the gateway: ${refusal}`);
    try {
      return await child.request({ method: 'tools/call', params: { name: planned.tool, arguments: sent } }, context);
    } catch (error) {
      return this.failedCall(child, publicName, error, context);
    }
  }

  // ---- prompts ----

  async listPrompts(): Promise<Listed[]> {
    await this.settle();
    return [...this.prompts.entries()].map(([name, p]) => ({ ...p.definition, name }));
  }

  async getPrompt(publicName: string, args: Record<string, unknown> | undefined, context: CallContext = {}): Promise<Record<string, unknown>> {
    await this.settleIfUnknown(() => this.prompts.has(publicName));
    const prompt = this.prompts.get(publicName);
    if (prompt === undefined) throw new IntegrationsError('NOT_FOUND', `no child server offers a prompt named "${publicName}"`);
    return prompt.child.request({ method: 'prompts/get', params: { name: prompt.name, ...(args ? { arguments: args } : {}) } }, context).catch(rethrowChildError);
  }

  // ---- resources ----

  async listResources(): Promise<ListedResource[]> {
    await this.settle();
    const out: ListedResource[] = [];
    const seen = new Set<string>();
    for (const child of this.listedChildren()) {
      for (const r of child.resources) {
        if (seen.has(r.uri)) continue;
        seen.add(r.uri);
        out.push(r);
      }
    }
    return out;
  }

  async listResourceTemplates(): Promise<ListedTemplate[]> {
    await this.settle();
    return this.listedChildren().flatMap((c) => c.resourceTemplates);
  }

  async readResource(uri: string, context: CallContext = {}): Promise<Record<string, unknown>> {
    await this.settleIfUnknown(() => this.ownerOf(uri) !== undefined);
    const owner = this.ownerOf(uri);
    if (owner === undefined) throw new IntegrationsError('NOT_FOUND', `no child server offers the resource ${uri}`, { uri });
    return owner.request({ method: 'resources/read', params: { uri } }, context).catch(rethrowChildError);
  }

  async subscribe(uri: string, session: UpstreamSession): Promise<void> {
    const owner = this.ownerOf(uri);
    if (owner === undefined) throw new IntegrationsError('NOT_FOUND', `no child server offers the resource ${uri}`);
    let ids = this.subscriptions.get(uri);
    const first = ids === undefined || ids.size === 0;
    if (ids === undefined) this.subscriptions.set(uri, (ids = new Set()));
    ids.add(session.id);
    if (first) await owner.request({ method: 'resources/subscribe', params: { uri } }).catch(rethrowChildError);
  }

  async unsubscribe(uri: string, session: UpstreamSession): Promise<void> {
    const ids = this.subscriptions.get(uri);
    if (ids === undefined || !ids.delete(session.id) || ids.size > 0) return;
    await this.unsubscribeChild(uri);
  }

  // ---- completion, logging ----

  async complete(params: Record<string, unknown>, context: CallContext = {}): Promise<Record<string, unknown>> {
    const ref = params['ref'] as { type?: string; name?: string; uri?: string } | undefined;
    const empty = { completion: { values: [], hasMore: false } };
    if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
      const prompt = this.prompts.get(ref.name);
      if (prompt === undefined || !prompt.child.capabilities?.['completions']) return empty;
      return prompt.child.request({ method: 'completion/complete', params: { ...params, ref: { ...ref, name: prompt.name } } }, context).catch(rethrowChildError);
    }
    if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
      const uri = ref.uri;
      const owner = this.listedChildren().find((c) => c.resourceTemplates.some((t) => t.uriTemplate === uri) || c.resources.some((r) => r.uri === uri));
      if (owner === undefined || !owner.capabilities?.['completions']) return empty;
      return owner.request({ method: 'completion/complete', params }, context).catch(rethrowChildError);
    }
    return empty;
  }

  /** Passes a client's `logging/setLevel` on to every child that logs (and to children that start later). */
  async setLoggingLevel(level: LoggingLevel): Promise<void> {
    this.loggingLevel = level;
    await Promise.all(this.readyChildren().filter((c) => c.capabilities?.['logging']).map((c) => c.request({ method: 'logging/setLevel', params: { level } }).catch(() => undefined)));
  }

  /** Tells children that the client's roots changed. */
  async rootsChanged(): Promise<void> {
    await Promise.all(this.readyChildren().map((c) => c.notify({ method: 'notifications/roots/list_changed' })));
  }

  async close(): Promise<void> {
    this.closed = true;
    const children = this.servers();
    this.children.clear();
    await Promise.all(children.map((c) => c.stop()));
  }

  // ---- internals ----

  private createChild(config: ChildServerConfig): ChildServer {
    const forward: ForwardedCapabilities = config.forward;
    const hooks: ChildServerHooks = {
      onListChanged: () => this.refreshAll(),
      onStateChange: (child) => {
        this.refreshAll();
        if (child.state === 'ready') this.restoreChildState(child);
      },
      onNotification: (child, notification) => this.childNotification(child, notification),
      pickSession: (child, feature) => this.pickSession(child, feature),
    };
    return new ChildServer(config, hooks, {
      logger: this.logger,
      clientInfo: this.options.clientInfo ?? { name: 'globalmcp', version: '0' },
      env: this.options.env ?? process.env,
      forward,
      ...(this.options.restartDelayMs !== undefined ? { restartDelayMs: this.options.restartDelayMs } : {}),
      ...(this.options.maxRestartDelayMs !== undefined ? { maxRestartDelayMs: this.options.maxRestartDelayMs } : {}),
    });
  }

  /** Children whose lists are offered: ready ones, and ones restarting (their calls fail fast until they are back). */
  private listedChildren(): ChildServer[] {
    return this.servers().filter((c) => c.state === 'ready' || c.state === 'restarting');
  }

  private readyChildren(): ChildServer[] {
    return this.servers().filter((c) => c.state === 'ready');
  }

  private async settle(): Promise<void> {
    const wait = this.options.listWaitMs ?? DEFAULT_LIST_WAIT_MS;
    const pending = this.servers().filter((c) => c.state === 'starting' || c.state === 'idle');
    if (pending.length > 0) await Promise.all(pending.map((c) => c.settled(wait)));
  }

  private async settleIfUnknown(known: () => boolean): Promise<void> {
    if (!known()) await this.settle();
  }

  private currentPlan(): ToolNamePlan<Listed> {
    if (this.plan === undefined) this.refreshAll();
    return this.plan as ToolNamePlan<Listed>;
  }

  /** Recomputes names and owners from the children's lists, and tells sessions about what changed. */
  private refreshAll(): void {
    const config = this.config;
    const reserved = this.options.reservedToolNames ?? [];
    const children = this.listedChildren();
    const inputs = [
      { server: RESERVED, prefix: undefined, tools: reserved.map((name) => ({ name })) as Listed[] },
      ...children.map((c) => {
        const guard = this.guards.get(c.name);
        const visible = guard?.hide === undefined ? c.tools : c.tools.filter((t) => guard.hide?.(t) === undefined);
        const tools = guard?.rewriteTool === undefined ? visible : visible.map((t) => guard.rewriteTool?.(t) ?? t);
        return { server: c.name, prefix: c.config.prefix, tools, allow: c.config.allow, deny: c.config.deny };
      }),
    ];
    try {
      this.plan = planToolNames(inputs, { toolBudget: config?.toolBudget ?? 128, budgetPolicy: config?.budgetPolicy ?? 'truncate' });
      this.planError = undefined;
    } catch (error) {
      // budgetPolicy "error": offer no child tools rather than a surprising subset; status() says why.
      if (!(error instanceof IntegrationsError)) throw error;
      this.planError = error;
      this.plan = planToolNames(inputs.slice(0, 1));
      this.logger.log('error', error.message);
    }
    for (const warning of this.plan.warnings) this.logger.log('debug', warning);

    this.prompts = new Map();
    this.resourceOwners = new Map();
    for (const child of children) {
      for (const definition of child.prompts) {
        const name = publicToolName(child.config.prefix, definition.name);
        if (!this.prompts.has(name)) this.prompts.set(name, { child, name: definition.name, definition });
      }
      for (const r of child.resources) if (!this.resourceOwners.has(r.uri)) this.resourceOwners.set(r.uri, child);
    }

    const signatures: Record<ListKind, string> = {
      tools: JSON.stringify(this.plan.tools.map((t) => [t.publicName, t.definition, this.descriptionOf(t)])),
      prompts: JSON.stringify([...this.prompts.keys()].map((k) => [k, this.prompts.get(k)?.definition])),
      resources: JSON.stringify(children.map((c) => [c.resources, c.resourceTemplates])),
    };
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      if (signatures[kind] === this.signatures[kind]) continue;
      const first = this.signatures[kind] === '';
      this.signatures[kind] = signatures[kind];
      if (!first) this.broadcast({ method: `notifications/${kind}/list_changed` });
    }
  }

  private descriptionOf(t: PlannedTool<Listed>): unknown {
    const child = this.children.get(t.server);
    return child?.config.descriptions[t.tool] ?? t.definition['description'];
  }

  private publicTool(t: PlannedTool<Listed>): Listed {
    const description = this.descriptionOf(t);
    return { ...t.definition, name: t.publicName, ...(description === undefined ? {} : { description }) };
  }

  private ownerOf(uri: string): ChildServer | undefined {
    const direct = this.resourceOwners.get(uri);
    if (direct !== undefined) return direct;
    for (const child of this.listedChildren()) {
      for (const t of child.resourceTemplates) {
        try {
          if (new UriTemplate(t.uriTemplate).match(uri) !== null) return child;
        } catch {
          // A template the SDK cannot parse cannot be matched.
        }
      }
    }
    return undefined;
  }

  /** A child that (re)started knows nothing of the clients' log level and subscriptions: tell it again. */
  private restoreChildState(child: ChildServer): void {
    if (this.loggingLevel !== undefined && child.capabilities?.['logging']) {
      void child.request({ method: 'logging/setLevel', params: { level: this.loggingLevel } }).catch(() => undefined);
    }
    for (const [uri, ids] of this.subscriptions) {
      if (ids.size > 0 && this.ownerOf(uri) === child) void child.request({ method: 'resources/subscribe', params: { uri } }).catch(() => undefined);
    }
  }

  private async unsubscribeChild(uri: string): Promise<void> {
    this.subscriptions.delete(uri);
    const owner = this.ownerOf(uri);
    if (owner?.state === 'ready') await owner.request({ method: 'resources/unsubscribe', params: { uri } }).catch(() => undefined);
  }

  private childNotification(child: ChildServer, notification: McpMessage): void {
    if (notification.method === 'notifications/resources/updated') {
      const uri = notification.params?.['uri'];
      const ids = typeof uri === 'string' ? this.subscriptions.get(uri) : undefined;
      for (const id of ids ?? []) void this.sessions.get(id)?.notify(notification).catch(() => undefined);
      return;
    }
    if (notification.method === 'notifications/message') {
      const logger = notification.params?.['logger'];
      this.broadcast({ method: notification.method, params: { ...notification.params, logger: typeof logger === 'string' ? `${child.name}/${logger}` : child.name } });
    }
  }

  private broadcast(notification: McpMessage): void {
    for (const session of this.sessions.values()) void session.notify(notification).catch(() => undefined);
  }

  /**
   * The client a child's request goes to: the one whose call to this child is in flight (the most recent, when
   * several are), if it supports the feature; otherwise, for roots, any client that does, and for sampling and
   * elicitation the only connected client that does (with several, the gateway cannot tell whose it is).
   */
  private pickSession(child: ChildServer, feature: keyof ForwardedCapabilities): { session: UpstreamSession; relatedRequestId?: string | number | undefined } | undefined {
    const calls = child.inflightCalls();
    for (let i = calls.length - 1; i >= 0; i--) {
      const call = calls[i];
      if (call?.session !== undefined && call.session.capabilities()[feature]) return { session: call.session, relatedRequestId: call.requestId };
    }
    const able = [...this.sessions.values()].filter((s) => s.capabilities()[feature]);
    if (able.length === 1 || (feature === 'roots' && able.length > 0)) return { session: able[0] as UpstreamSession };
    return undefined;
  }

  private failedCall(child: ChildServer, publicName: string, error: unknown, context: CallContext): Record<string, unknown> {
    if (context.signal?.aborted) return errorResult(`${publicName} was cancelled`);
    if (error instanceof IntegrationsError) return errorResult(`${publicName}: ${error.message}`);
    const code = (error as { code?: unknown }).code;
    if (code === -32001) return errorResult(`${publicName}: server "${child.name}" did not answer within ${child.config.timeoutMs} ms (its "timeoutMs"); the call was cancelled at the server`);
    return rethrowChildError(error);
  }
}

function childKey(config: ChildServerConfig): ChildKey {
  const { allow: _a, deny: _d, descriptions: _ds, prefix: _p, ...rest } = config;
  return rest;
}

function errorResult(text: string): Record<string, unknown> {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * A child's JSON-RPC error, rethrown so the client gets the child's code, message and data as they were (the
 * SDK's McpError puts "MCP error <code>: " in front of the message).
 */
function rethrowChildError(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number' && error instanceof Error) {
    const message = error.message.replace(/^MCP error -?\d+: /, '');
    throw Object.assign(new Error(message), { code, data: (error as { data?: unknown }).data });
  }
  throw error;
}
