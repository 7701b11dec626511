import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { IntegrationsError, LOGGING_LEVELS } from '@globalmcp/integrations';
import type { CallContext, LoggingLevel, UpstreamSession } from '@globalmcp/integrations';
import { z } from 'zod';
import type { Gateway } from './gateway.js';
import type { ToolDefinition } from './toolDefinition.js';
import { GATEWAY_TOOLS } from './tools.js';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

/** Text results above this many characters carry the summary only; the full result is in `structuredContent`. */
const MAX_JSON_TEXT = 100_000;

const INSTRUCTIONS = [
  'GlobalMCP compresses KV caches, routes prompts to right-sized local models, and serves the tools of the MCP servers configured behind it (named server__tool).',
  'Use classify_prompt to see how complex a request is, route_prompt to get an answer from the right model, compress_kv_cache or process_full_pipeline for numeric context, gateway_status for the state of models and child servers.',
  'Every routing result lists the model that answered and every attempt; answers marked mock came from no model.',
].join(' ');

const AnyResult = z.looseObject({});

type Extra = {
  readonly signal: AbortSignal;
  readonly requestId: string | number;
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
};

/**
 * One MCP server (one per stdio connection or HTTP session) over the shared gateway: the gateway's own tools
 * (zod schemas) beside the federated children's tools, resources, prompts and completions (their JSON Schema
 * as the children listed them). Low-level `Server`, because `McpServer` accepts zod schemas only.
 */
export function createMcpServer(gateway: Gateway, tools: readonly ToolDefinition[] = GATEWAY_TOOLS): Server {
  const server = new Server(
    { name: SERVER_NAME, title: 'GlobalMCP', version: SERVER_VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
        logging: {},
      },
      instructions: INSTRUCTIONS,
    },
  );
  const federation = gateway.federation;
  const byName = new Map(tools.map((t) => [t.name, t]));
  const listed: Tool[] = tools.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' }) as Tool['inputSchema'],
    outputSchema: z.toJSONSchema(t.output, { io: 'output', unrepresentable: 'any' }) as Tool['outputSchema'],
    ...(t.annotations ? { annotations: { ...t.annotations } } : {}),
  }));

  // The client's log level, for the children's log messages passed on to it.
  let logLevel: LoggingLevel | undefined;
  const session: UpstreamSession = {
    id: randomUUID(),
    capabilities() {
      const caps = server.getClientCapabilities();
      return { sampling: caps?.sampling !== undefined, elicitation: caps?.elicitation !== undefined, roots: caps?.roots !== undefined };
    },
    async notify(notification) {
      if (notification.method === 'notifications/message') {
        const level = notification.params?.['level'] as LoggingLevel | undefined;
        if (logLevel !== undefined && level !== undefined && LOGGING_LEVELS.indexOf(level) < LOGGING_LEVELS.indexOf(logLevel)) return;
      }
      await server.notification(notification as never);
    },
    async request(request, options) {
      return server.request(request as never, AnyResult, {
        ...(options.relatedRequestId !== undefined ? { relatedRequestId: options.relatedRequestId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      });
    },
  };
  const detach = federation.attach(session);
  server.onclose = () => detach();

  const contextOf = (extra: Extra, meta: Record<string, unknown> | undefined): CallContext => {
    const progressToken = meta?.['progressToken'];
    return {
      session,
      requestId: extra.requestId,
      signal: extra.signal,
      meta,
      ...(progressToken !== undefined
        ? {
            onProgress: (p: { progress: number; total?: number | undefined; message?: string | undefined }) => {
              void extra
                .sendNotification({
                  method: 'notifications/progress',
                  params: { progressToken, progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message !== undefined ? { message: p.message } : {}) },
                })
                .catch(() => undefined);
            },
          }
        : {}),
    };
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...listed, ...((await federation.listTools()) as Tool[])] }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const tool = byName.get(name);
    if (tool === undefined) {
      if (await federation.hasTool(name)) {
        return (await federation.callTool(name, request.params.arguments ?? {}, contextOf(extra, request.params._meta))) as CallToolResult;
      }
      const available = [...byName.keys(), ...(await federation.listTools()).map((t) => t.name)];
      // Not McpError: it would put "MCP error -32602:" into the message, and clients add their own prefix.
      throw Object.assign(new Error(`Unknown tool "${name}"; available: ${available.join(', ')}`), { code: ErrorCode.InvalidParams });
    }
    const parsed = tool.input.safeParse(request.params.arguments ?? {}, { reportInput: true });
    if (!parsed.success) {
      return errorResult(`Invalid arguments for ${tool.name}: ${parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'arguments'}: ${i.message}`).join('; ')}`);
    }
    const progressToken = request.params._meta?.progressToken;
    try {
      const outcome = await tool.run(parsed.data, {
        gateway,
        signal: extra.signal,
        async progress(progress, total, message) {
          if (progressToken === undefined) return;
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total, message } });
        },
      });
      const json = JSON.stringify(outcome.structured);
      return {
        content: [{ type: 'text', text: json.length <= MAX_JSON_TEXT ? `${outcome.summary}\n\n${json}` : `${outcome.summary}\n\n(full result in structuredContent: ${json.length} characters)` }],
        structuredContent: outcome.structured as Record<string, unknown>,
      };
    } catch (error) {
      if (extra.signal.aborted) {
        gateway.logger.log('info', `${tool.name} was cancelled by the client`, { tool: tool.name });
        return errorResult(`${tool.name} was cancelled`);
      }
      const code = (error as { code?: unknown } | undefined)?.code;
      const message = error instanceof Error ? error.message : String(error);
      const known = error instanceof Error && typeof code === 'string';
      gateway.logger.log(known ? 'info' : 'error', `${tool.name} failed: ${message}`, { tool: tool.name, code });
      return errorResult(known ? `${error.name} ${code}: ${message}` : `${tool.name} failed: ${message}`);
    }
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: (await federation.listPrompts()) as never }));
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) =>
    notFoundAsInvalidParams(() => federation.getPrompt(request.params.name, request.params.arguments, contextOf(extra, request.params._meta))) as never,
  );
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: (await federation.listResources()) as never }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: (await federation.listResourceTemplates()) as never }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) =>
    notFoundAsInvalidParams(() => federation.readResource(request.params.uri, contextOf(extra, request.params._meta)), -32002) as never,
  );
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    await notFoundAsInvalidParams(() => federation.subscribe(request.params.uri, session), -32002);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    await federation.unsubscribe(request.params.uri, session);
    return {};
  });
  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => (await federation.complete(request.params as never, contextOf(extra, request.params._meta))) as never);
  // Replaces the SDK's own handler: the level also filters the children's log messages and is passed on to them.
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    logLevel = request.params.level;
    await federation.setLoggingLevel(request.params.level);
    return {};
  });
  server.setNotificationHandler(RootsListChangedNotificationSchema, () => void federation.rootsChanged());
  return server;
}

/** A missing prompt or resource is the client's mistake: a JSON-RPC error with the code the spec gives it. */
async function notFoundAsInvalidParams<T>(run: () => Promise<T>, code: number = ErrorCode.InvalidParams): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof IntegrationsError && (error.code === 'NOT_FOUND' || error.code === 'CHILD_UNAVAILABLE' || error.code === 'CHILD_FAILED')) {
      throw Object.assign(new Error(error.message), {
        code: error.code === 'NOT_FOUND' ? code : ErrorCode.InternalError,
        ...(error.uri !== undefined ? { data: { uri: error.uri } } : {}),
      });
    }
    throw error;
  }
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
