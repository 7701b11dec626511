import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { BoundedEventStore } from './boundedEventStore.js';
import { createMcpServer } from './createMcpServer.js';
import type { Gateway } from './gateway.js';
import { GatewayError } from './gatewayError.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './serveArgs.js';

export { DEFAULT_HOST, DEFAULT_PORT };
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;

export interface HttpServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Required as `Authorization: Bearer <token>` on /mcp when set; mandatory when binding beyond loopback. */
  readonly token?: string | undefined;
  /** Origins allowed besides loopback ones (http(s)://localhost|127.0.0.1|[::1] on any port). */
  readonly allowedOrigins?: readonly string[];
  /** Host header values allowed besides loopback names (for a reverse proxy). */
  readonly allowedHosts?: readonly string[];
  readonly maxBodyBytes?: number;
  /** Sessions with no request for this long are closed. */
  readonly sessionIdleMs?: number;
}

export interface RunningHttpServer {
  readonly url: string;
  readonly port: number;
  readonly sessions: () => number;
  close(): Promise<void>;
}

interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  lastSeen: number;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Streamable HTTP on `/mcp` (one MCP server per session, routed by
 * `mcp-session-id`) and `GET /health`. Requests are checked before the SDK sees
 * them: Host (DNS rebinding) and Origin (403), the bearer token (401), the body
 * size (413) and JSON (400 parse error); unknown sessions get 404 so clients re-initialize.
 */
export async function startHttpServer(gateway: Gateway, options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  const host = options.host ?? DEFAULT_HOST;
  const token = options.token === '' ? undefined : options.token;
  if (!isLoopback(host) && token === undefined) {
    throw new GatewayError('INSECURE_BIND', `refusing to listen on ${host} without a bearer token: set GLOBALMCP_TOKEN (or --token) or bind to 127.0.0.1`);
  }
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const idleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const sessions = new Map<string, Session>();
  const extraOrigins = new Set(options.allowedOrigins ?? []);
  const extraHosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const log = gateway.logger;

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.log('error', `HTTP handler failed: ${(error as Error).message}`, { path: req.url });
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const hostName = hostHeader.replace(/:\d+$/, '');
    if (isLoopback(host) && !isLoopback(hostName) && !extraHosts.has(hostHeader) && !extraHosts.has(hostName)) {
      return plain(res, 403, `Forbidden: Host "${req.headers.host ?? ''}" is not allowed`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, extraOrigins)) {
      log.log('warn', 'refused a request from a foreign origin', { origin });
      return plain(res, 403, `Forbidden: Origin "${origin}" is not allowed`);
    }

    if (url.pathname === '/health') {
      if (req.method !== 'GET') return plain(res, 405, 'Method Not Allowed', { allow: 'GET' });
      const status = await gateway.status();
      const body = JSON.stringify({ ...status, transport: { http: { sessions: sessions.size } } });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (url.pathname !== '/mcp') return plain(res, 404, 'Not Found: the MCP endpoint is /mcp');

    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.setHeader('www-authenticate', 'Bearer realm="globalmcp"');
      return jsonRpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <token>');
    }

    const sessionId = headerValue(req.headers['mcp-session-id']);
    if (req.method === 'POST') {
      const body = await readBody(req, maxBody);
      if (body === 'too-large') return jsonRpcError(res, 413, -32600, `Request body larger than ${maxBody} bytes`);
      let message: unknown;
      try {
        message = JSON.parse(body);
      } catch {
        return jsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
      }
      if (sessionId !== undefined) {
        const session = sessions.get(sessionId);
        if (session === undefined) return jsonRpcError(res, 404, -32001, 'Session not found: initialize a new session', requestIdOf(message));
        session.lastSeen = Date.now();
        await session.transport.handleRequest(req, res, message);
        return;
      }
      const initialize = Array.isArray(message) ? message.some((m) => isInitializeRequest(m)) : isInitializeRequest(message);
      if (!initialize) return jsonRpcError(res, 400, -32000, 'Bad Request: no mcp-session-id header; send initialize first', requestIdOf(message));
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: new BoundedEventStore(),
        retryInterval: 1_000,
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, server, lastSeen: Date.now() });
          log.log('info', 'session opened', { session: id, sessions: sessions.size });
        },
      });
      const server = createMcpServer(gateway);
      transport.onclose = () => {
        if (transport.sessionId !== undefined && sessions.delete(transport.sessionId)) log.log('info', 'session closed', { session: transport.sessionId, sessions: sessions.size });
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, message);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (sessionId === undefined) return jsonRpcError(res, 400, -32000, 'Bad Request: mcp-session-id header required');
      const session = sessions.get(sessionId);
      if (session === undefined) return jsonRpcError(res, 404, -32001, 'Session not found: initialize a new session');
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res);
      return;
    }
    return plain(res, 405, 'Method Not Allowed', { allow: 'GET, POST, DELETE' });
  }

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.lastSeen > idleMs) {
        sessions.delete(id);
        void session.transport.close();
        log.log('info', 'idle session closed', { session: id });
      }
    }
  }, Math.min(idleMs, 60_000));
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    port,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => undefined)));
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function originAllowed(origin: string, extra: ReadonlySet<string>): boolean {
  if (extra.has(origin) || extra.has('*')) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopback(url.hostname);
  } catch {
    return false;
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (match === null) return false;
  const given = Buffer.from(match[1] as string);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage, limit: number): Promise<string | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }));
}

/** The id of a single JSON-RPC request, so an error about it can be matched to it; null otherwise. */
function requestIdOf(message: unknown): string | number | null {
  const id = (message as { id?: unknown } | null)?.id;
  return !Array.isArray(message) && (typeof id === 'string' || typeof id === 'number') ? id : null;
}
