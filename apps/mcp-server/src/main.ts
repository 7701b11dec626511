#!/usr/bin/env node
import './heapFlags.js';
import { resolve } from 'node:path';
import { startFederation } from './federationSetup.js';
import { GatewayError } from './gatewayError.js';
import { createStderrLogger } from './logger.js';
import { USAGE, parseServeArgs } from './serveArgs.js';
import { SERVER_VERSION } from './version.js';

// stdout carries JSON-RPC only: anything a dependency prints goes to stderr instead.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

async function main(): Promise<void> {
  let options;
  try {
    options = parseServeArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`globalmcp-server: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  if (options === 'version') {
    process.stderr.write(`${SERVER_VERSION}\n`);
    return;
  }
  // The child servers start before the rest of the gateway loads (the MCP server, registry and router code take
  // about 120 ms to load), so the first tools/list that includes their tools comes that much sooner.
  const logger = createStderrLogger(options.logLevel);
  const federation = await startFederation({ configDir: resolve(options.configDir ?? 'config'), env: process.env, logger });
  // On SIGINT/SIGTERM the child servers are stopped before the process exits, so none is left behind.
  let stop = async () => {
    await federation.federation.close();
  };
  const onSignal = () => void stop().finally(() => process.exit(0));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const { serve } = await import('./serve.js');
  const { gateway, http } = await serve(options, { logger, federation });
  if (http === undefined) return;
  stop = async () => {
    await http.close();
    await gateway.close();
  };
}

main().catch((error: unknown) => {
  const known = error instanceof GatewayError || (error instanceof Error && typeof (error as { code?: unknown }).code === 'string');
  process.stderr.write(`globalmcp-server: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
