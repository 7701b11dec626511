import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway } from './gateway.js';
import type { ToolDefinition } from './toolDefinition.js';
import { GATEWAY_TOOLS } from './tools.js';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

/** Text results above this many characters carry the summary only; the full result is in `structuredContent`. */
const MAX_JSON_TEXT = 100_000;

const INSTRUCTIONS = [
  'GlobalMCP compresses KV caches and routes prompts to right-sized local models.',
  'Use classify_prompt to see how complex a request is, route_prompt to get an answer from the right model, compress_kv_cache or process_full_pipeline for numeric context.',
  'Every routing result lists the model that answered and every attempt; answers marked mock came from no model.',
].join(' ');

/**
 * One MCP server (one per stdio connection or HTTP session) over the shared
 * gateway. It is the low-level `Server`, not `McpServer`, because federated
 * child tools (plain JSON Schema) will sit beside these zod-defined ones.
 */
export function createMcpServer(gateway: Gateway, tools: readonly ToolDefinition[] = GATEWAY_TOOLS): Server {
  const server = new Server({ name: SERVER_NAME, title: 'GlobalMCP', version: SERVER_VERSION }, { capabilities: { tools: { listChanged: true }, logging: {} }, instructions: INSTRUCTIONS });
  const byName = new Map(tools.map((t) => [t.name, t]));
  const listed: Tool[] = tools.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' }) as Tool['inputSchema'],
    outputSchema: z.toJSONSchema(t.output, { io: 'output', unrepresentable: 'any' }) as Tool['outputSchema'],
    ...(t.annotations ? { annotations: { ...t.annotations } } : {}),
  }));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listed }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = byName.get(request.params.name);
    if (tool === undefined) {
      // Not McpError: it would put "MCP error -32602:" into the message, and clients add their own prefix.
      throw Object.assign(new Error(`Unknown tool "${request.params.name}"; available: ${[...byName.keys()].join(', ')}`), { code: ErrorCode.InvalidParams });
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
  return server;
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
