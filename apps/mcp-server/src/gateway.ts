import { existsSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { IntegrationsError, loadServersConfig } from '@globalmcp/integrations';
import type { Federation } from '@globalmcp/integrations';
import type { ChildStatus, ServersConfig } from '@globalmcp/integrations';
import { ModelRegistry, silentLogger } from '@globalmcp/registry';
import type { Logger, ModelStatus } from '@globalmcp/registry';
import { Analytics, Router, loadRouterConfig } from '@globalmcp/router';
import type { AnalyticsSnapshot } from '@globalmcp/router';
import { startFederation } from './federationSetup.js';
import type { StartedFederation } from './federationSetup.js';
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
  /** How long a tools/list waits for child servers that are still starting (default 3000 ms). */
  readonly listWaitMs?: number;
  /** First delay before restarting a child that exited (default 500 ms, doubling to 30 s). */
  readonly restartDelayMs?: number;
  /** A federation already started with {@link startFederation} (the binary starts it first); closed with the gateway. */
  readonly federation?: StartedFederation;
}

export interface GatewayStatus {
  readonly status: 'ok' | 'degraded';
  readonly name: 'globalmcp';
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly models: readonly ModelStatus[];
  readonly tiers: Readonly<Record<string, readonly string[]>>;
  readonly fallback: 'mock' | 'error';
  /** Federated child servers and their state (empty without servers.json). */
  readonly children: readonly ChildStatus[];
  /** Tool-name collisions, budget truncation and typos in servers.json, as sentences. */
  readonly federationWarnings: readonly string[];
  readonly analytics: Pick<AnalyticsSnapshot, 'total' | 'tiers' | 'paths' | 'feedback'>;
  readonly config: { readonly dir: string; readonly registryFile: string; readonly routerFile: string | undefined; readonly serversFile: string | undefined; readonly tensorDirs: readonly string[] };
}

/**
 * Everything one server process shares between its sessions and transports:
 * the model registry (following its file), the router (following router.json),
 * the federated child servers (following servers.json), analytics and the
 * directories tensor files may come from.
 */
export class Gateway {
  readonly startedAt = Date.now();
  readonly version = SERVER_VERSION;
  private watcher: FSWatcher | undefined;
  private readonly reloadTimers = new Map<string, NodeJS.Timeout>();

  private constructor(
    readonly registry: ModelRegistry,
    readonly router: Router,
    readonly configDir: string,
    readonly routerFile: string | undefined,
    readonly tensorDirs: readonly string[],
    readonly logger: Logger,
    readonly federation: Federation,
    readonly serversFile: string | undefined,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  static async start(options: GatewayOptions = {}): Promise<Gateway> {
    const logger = options.logger ?? silentLogger;
    const configDir = resolve(options.configDir ?? 'config');
    const env = options.env ?? process.env;
    // Children first: their processes start while the registry and the router load.
    const { federation, serversFile } = options.federation ?? (await startFederation({ configDir, env, logger, listWaitMs: options.listWaitMs, restartDelayMs: options.restartDelayMs }));
    try {
      const registry = await ModelRegistry.open(join(configDir, 'model_registry.json'), { ...(options.env ? { env: options.env } : {}), logger });
      registry.watch();
      const routerPath = join(configDir, 'router.json');
      const routerFile = existsSync(routerPath) ? routerPath : undefined;
      const config = routerFile === undefined ? undefined : await loadRouterConfig(routerFile);
      const analytics = options.analyticsFile === undefined ? Analytics.inMemory() : await Analytics.open(resolve(options.analyticsFile));
      const router = new Router({ registry, ...(config ? { config } : {}), analytics, logger });
      const gateway = new Gateway(registry, router, configDir, routerFile, (options.tensorDirs ?? [process.cwd()]).map((d) => resolve(d)), logger, federation, serversFile, env);
      gateway.watchConfigDir();
      logger.log('info', 'gateway ready', { configDir, models: registry.listModels().length, routerConfig: routerFile ?? 'built-in', children: federation.servers().length });
      return gateway;
    } catch (error) {
      await federation.close();
      throw error;
    }
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
      children: this.federation.status().children,
      federationWarnings: this.federation.status().warnings,
      analytics: { total: snapshot.total, tiers: snapshot.tiers, paths: snapshot.paths, feedback: snapshot.feedback },
      config: { dir: this.configDir, registryFile: this.registry.file ?? '', routerFile: this.routerFile, serversFile: this.serversFile, tensorDirs: this.tensorDirs },
    };
  }

  async close(): Promise<void> {
    this.registry.close();
    this.watcher?.close();
    for (const timer of this.reloadTimers.values()) clearTimeout(timer);
    await this.federation.close();
    await this.router.analytics.close();
  }

  /** servers.json with every \${VAR} resolved; a server whose variables are unset is disabled with the reason. */
  private loadServers(file: string): Promise<ServersConfig> {
    return loadServersConfig(file, { env: this.env, onMissingVariable: 'disable' });
  }

  /**
   * router.json and servers.json edits apply without a restart: the router takes the new rules, the federation
   * restarts only the children whose settings changed. A broken edit is logged and the previous config stays.
   */
  private watchConfigDir(): void {
    const reloaders = new Map<string, () => Promise<string>>();
    const routerFile = this.routerFile;
    if (routerFile !== undefined) {
      reloaders.set('router.json', async () => {
        this.router.configure(await loadRouterConfig(routerFile));
        return routerFile;
      });
    }
    const serversFile = this.serversFile;
    if (serversFile !== undefined) {
      reloaders.set('servers.json', async () => {
        await this.federation.apply(await this.loadServers(serversFile));
        return serversFile;
      });
    }
    if (reloaders.size === 0) return;
    this.watcher = watch(this.configDir, { persistent: false }, (_event, name) => {
      for (const [file, reload] of reloaders) {
        if (name !== null && name !== file) continue;
        clearTimeout(this.reloadTimers.get(file));
        this.reloadTimers.set(
          file,
          setTimeout(() => {
            reload()
              .then((path) => this.logger.log('info', `${file} reloaded`, { file: path }))
              .catch((error: unknown) => {
                const message = error instanceof IntegrationsError || error instanceof Error ? error.message : String(error);
                this.logger.log('error', `kept the previous ${file}: ${message}`, { file });
              });
          }, 50),
        );
      }
    });
  }
}
