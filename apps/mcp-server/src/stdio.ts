import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from './createMcpServer.js';
import type { Gateway } from './gateway.js';

/** Serves one client on stdin/stdout (what VS Code starts). Resolves when the client closes the connection. */
export async function runStdio(gateway: Gateway): Promise<void> {
  const server = createMcpServer(gateway);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  gateway.logger.log('info', 'serving MCP on stdio');
  await closed;
  await server.close().catch(() => undefined);
}
