import { existsSync } from 'node:fs';
import { ModelRegistry } from '@globalmcp/registry';
import { Router, loadRouterConfig } from '@globalmcp/router';
import type { Context } from './context.js';

/** The registry and router of the config directory (built-in defaults for missing files). */
export async function openRouter(ctx: Context): Promise<Router> {
  const registry = await ModelRegistry.open(ctx.registryFile, { env: ctx.io.env });
  const config = existsSync(ctx.routerFile) ? await loadRouterConfig(ctx.routerFile) : undefined;
  return new Router({ registry, ...(config ? { config } : {}) });
}
