/**
 * What the federation needs from the MCP server that faces the clients. The server app implements these with
 * the SDK's `Server`; this package stays on the client side of the SDK.
 */

/** Severity names of MCP logging (`notifications/message`), lowest first. */
export const LOGGING_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LoggingLevel = (typeof LOGGING_LEVELS)[number];

/** A JSON-RPC request or notification as the SDK passes it around. */
export interface McpMessage {
  readonly method: string;
  readonly params?: Record<string, unknown> | undefined;
}

/** Client features a child may use through the gateway. */
export interface ForwardedCapabilities {
  readonly sampling: boolean;
  readonly elicitation: boolean;
  readonly roots: boolean;
}

/** One client connection (a stdio client or one Streamable HTTP session). */
export interface UpstreamSession {
  readonly id: string;
  /** What the client declared in `initialize` (all false before it has). */
  capabilities(): ForwardedCapabilities;
  /** Sends a notification to this client (list changes, resource updates, log messages). */
  notify(notification: McpMessage): Promise<void>;
  /**
   * Sends a request to this client and resolves with its raw result. `relatedRequestId` is the client's own
   * request the child's request belongs to, so that over HTTP it travels on that request's response stream.
   */
  request(request: McpMessage, options: { readonly relatedRequestId?: string | number | undefined; readonly signal?: AbortSignal | undefined; readonly timeoutMs?: number | undefined }): Promise<Record<string, unknown>>;
}

/** The client's request that a forwarded call belongs to. */
export interface CallContext {
  readonly session?: UpstreamSession | undefined;
  /** The client's JSON-RPC id of the request (relates a child's sampling or elicitation request to it). */
  readonly requestId?: string | number | undefined;
  /** Aborts the call at the child (the SDK sends `notifications/cancelled` with the child's request id). */
  readonly signal?: AbortSignal | undefined;
  /** The client's `_meta` of the request; passed on to the child (the progress token is the child's own). */
  readonly meta?: Record<string, unknown> | undefined;
  /** Called for each progress notification of the child; the caller re-emits it with the client's token. */
  readonly onProgress?: ((progress: { progress: number; total?: number | undefined; message?: string | undefined }) => void) | undefined;
}

/** Structurally the registry's `Logger`, so the server can pass its own. */
export interface FederationLogger {
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export const silentFederationLogger: FederationLogger = { log() {} };
