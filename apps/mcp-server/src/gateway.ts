import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelRegistry, silentLogger } from '@globalmcp/registry';
import type { Logger, ModelStatus } from '@globalmcp/registry';
import { Analytics, Router, loadRouterConfig } from '@globalmcp/router';
import type { AnalyticsSnapshot } from '@globalmcp/router';
import { SERVER_VERSION } from './version.js';

export interface GatewayOptions {
  /** Where model_registry.json and router.json live (default `./config`). Missing files mean built-in defaults. */
  readonly configDir?: string;
  /** Directories tensor files may be read from and written to (default: the working directory). */
  readonly tensorDirs?: readonly string[];
  /** Persist routing analytics to this JSON file (default: in memory). */
  readonly analyticsFile?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

export interface GatewayStatus {
  readonly status: 'ok' | 'degraded';
  readonly name: 'globalmcp';
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly models: readonly ModelStatus[];
  readonly tiers: Readonly<Record<string, readonly string[]>>;
  readonly fallback: 'mock' | 'error';
  /** Federated child servers (none until configured). */
  readonly children: readonly unknown[];
  readonly analytics: Pick<AnalyticsSnapshot, 'total' | 'tiers' | 'paths' | 'feedback'>;
  readonly config: { readonly dir: string; readonly registryFile: string; readonly routerFile: string | undefined; readonly tensorDirs: readonly string[] };
}

/**
 * Everything one server process shares between its sessions and transports:
 * the model registry (following its file), the router (following router.json),
 * analytics and the directories tensor files may come from.
 */
export class Gateway {
  readonly startedAt = Date.now();
  readonly version = SERVER_VERSION;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly registry: ModelRegistry,
    readonly router: Router,
    readonly configDir: string,
    readonly routerFile: string | undefined,
    readonly tensorDirs: readonly string[],
    readonly logger: Logger,
  ) {}

  static async start(options: GatewayOptions = {}): Promise<Gateway> {
    const logger = options.logger ?? silentLogger;
    const configDir = resolve(options.configDir ?? 'config');
    const registry = await ModelRegistry.open(join(configDir, 'model_registry.json'), { ...(options.env ? { env: options.env } : {}), logger });
    registry.watch();
    const routerPath = join(configDir, 'router.json');
    const routerFile = existsSync(routerPath) ? routerPath : undefined;
    const config = routerFile === undefined ? undefined : await loadRouterConfig(routerFile);
    const analytics = options.analyticsFile === undefined ? Analytics.inMemory() : await Analytics.open(resolve(options.analyticsFile));
    const router = new Router({ registry, ...(config ? { config } : {}), analytics, logger });
    const gateway = new Gateway(registry, router, configDir, routerFile, (options.tensorDirs ?? [process.cwd()]).map((d) => resolve(d)), logger);
    gateway.watchRouterConfig();
    logger.log('info', 'gateway ready', { configDir, models: registry.listModels().length, routerConfig: routerFile ?? 'built-in' });
    return gateway;
  }

  async status(options: { probe?: boolean } = {}): Promise<GatewayStatus> {
    const models = await this.registry.status({ force: options.probe === true });
    const snapshot = this.router.stats();
    const anyUp = models.some((m) => m.server?.status === 'up' && m.provider !== 'mock');
    return {
      status: anyUp ? 'ok' : 'degraded',
      name: 'globalmcp',
      version: this.version,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
      models,
      tiers: this.registry.tiers(),
      fallback: this.registry.fallback,
      children: [],
      analytics: { total: snapshot.total, tiers: snapshot.tiers, paths: snapshot.paths, feedback: snapshot.feedback },
      config: { dir: this.configDir, registryFile: this.registry.file ?? '', routerFile: this.routerFile, tensorDirs: this.tensorDirs },
    };
  }

  async close(): Promise<void> {
    this.registry.close();
    this.watcher?.close();
    clearTimeout(this.reloadTimer);
    await this.router.analytics.close();
  }

  /** router.json edits apply without a restart; a broken edit is logged and the previous rules stay. */
  private watchRouterConfig(): void {
    const file = this.routerFile;
    if (file === undefined) return;
    this.watcher = watch(this.configDir, { persistent: false }, (_event, name) => {
      if (name !== null && name !== 'router.json') return;
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        loadRouterConfig(file)
          .then((config) => {
            this.router.configure(config);
            this.logger.log('info', 'router config reloaded', { file });
          })
          .catch((error: unknown) => this.logger.log('error', `kept the previous router config: ${(error as Error).message}`, { file }));
      }, 50);
    });
  }
}
