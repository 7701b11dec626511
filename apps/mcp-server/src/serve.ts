import type { Federation } from '@globalmcp/integrations';
import type { Logger } from '@globalmcp/registry';
import { Gateway } from './gateway.js';
import { startHttpServer } from './httpServer.js';
import type { RunningHttpServer } from './httpServer.js';
import { createStderrLogger } from './logger.js';
import type { ServeOptions } from './serveArgs.js';
import { runStdio } from './stdio.js';

export { USAGE, parseServeArgs } from './serveArgs.js';
export type { ServeOptions } from './serveArgs.js';

/** What the binary set up before loading the rest of the gateway (see main.ts). */
export interface EarlyStart {
  readonly logger: Logger;
  readonly federation: { readonly federation: Federation; readonly serversFile: string | undefined };
}

/** Starts the gateway on the chosen transport. For HTTP it resolves once listening; for stdio when the client disconnects. */
export async function serve(options: ServeOptions, early?: EarlyStart): Promise<{ gateway: Gateway; http?: RunningHttpServer }> {
  const logger = early?.logger ?? createStderrLogger(options.logLevel);
  const gateway = await Gateway.start({
    logger,
    ...(early ? { federation: early.federation } : {}),
    ...(options.configDir ? { configDir: options.configDir } : {}),
    ...(options.tensorDirs ? { tensorDirs: options.tensorDirs } : {}),
    ...(options.analyticsFile ? { analyticsFile: options.analyticsFile } : {}),
  });
  if (options.transport === 'stdio') {
    await runStdio(gateway);
    await gateway.close();
    return { gateway };
  }
  const http = await startHttpServer(gateway, {
    host: options.host,
    port: options.port,
    token: options.token,
    allowedOrigins: options.allowedOrigins,
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  logger.log('info', `listening on ${http.url} (health: ${http.url.replace(/\/mcp$/, '/health')})`, { auth: options.token ? 'bearer' : 'none' });
  return { gateway, http };
}
