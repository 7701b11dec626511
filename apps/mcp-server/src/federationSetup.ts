import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Federation, loadServersConfig } from '@globalmcp/integrations';
import type { FederationLogger } from '@globalmcp/integrations';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

/** The gateway's own tools: reserved in the federation's names (tools.ts defines them; a test keeps both equal). */
export const GATEWAY_TOOL_NAMES: readonly string[] = ['compress_kv_cache', 'route_prompt', 'process_full_pipeline', 'classify_prompt', 'list_models', 'router_feedback', 'gateway_status'];

export interface FederationSetup {
  readonly configDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: FederationLogger;
  readonly listWaitMs?: number | undefined;
  readonly restartDelayMs?: number | undefined;
}

export interface StartedFederation {
  readonly federation: Federation;
  /** config/servers.json when it exists. */
  readonly serversFile: string | undefined;
}

/**
 * Creates the federation and starts the children of `<configDir>/servers.json` (a missing file means none).
 * Light on imports on purpose: the binary calls it before loading the rest of the gateway, so the children's
 * processes start while the registry, the router and the MCP server code load.
 */
export async function startFederation(setup: FederationSetup): Promise<StartedFederation> {
  const federation = new Federation({
    logger: setup.logger,
    env: setup.env,
    clientInfo: { name: SERVER_NAME, version: SERVER_VERSION },
    reservedToolNames: GATEWAY_TOOL_NAMES,
    ...(setup.listWaitMs !== undefined ? { listWaitMs: setup.listWaitMs } : {}),
    ...(setup.restartDelayMs !== undefined ? { restartDelayMs: setup.restartDelayMs } : {}),
  });
  const path = join(setup.configDir, 'servers.json');
  const serversFile = existsSync(path) ? path : undefined;
  if (serversFile !== undefined) await federation.apply(await loadServersConfig(serversFile, { env: setup.env, onMissingVariable: 'disable' }));
  return { federation, serversFile };
}
