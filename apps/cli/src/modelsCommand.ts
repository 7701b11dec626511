import type { Command } from 'commander';
import { ModelRegistry, TIERS } from '@globalmcp/registry';
import type { ModelEntry, Tier } from '@globalmcp/registry';
import { contextOf, examples, intOption } from './context.js';
import { UsageError } from './output.js';
import type { Io } from './output.js';

export function registerModelsCommand(program: Command, io: Io): void {
  const models = program
    .command('models')
    .description('list, add, remove and map models in config/model_registry.json, and check their servers')
    .addHelpText('after', examples('globalmcp models list', 'globalmcp models add coder ollama://qwen2.5-coder:7b --timeout 60000', 'globalmcp models add studio http://127.0.0.1:1234/v1 --provider openai --model qwen2.5-7b --api-key-env LMSTUDIO_KEY', 'globalmcp models map moderate coder mistral', 'globalmcp models check --json'));

  models
    .command('list')
    .description('registered models, their endpoints and tiers')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const registry = await ModelRegistry.open(ctx.registryFile, { env: io.env });
      const tiers = registry.tiers();
      const rows = registry.listModels().map((m) => ({ name: m.name, endpoint: m.endpoint, provider: m.provider, tiers: TIERS.filter((t) => tiers[t].includes(m.name)), timeoutMs: m.timeoutMs, maxTokens: m.maxTokens }));
      ctx.out.result({ file: ctx.registryFile, models: rows, tiers, fallback: registry.fallback }, () =>
        [
          ctx.out.table(['name', 'endpoint', 'provider', 'tiers'], rows.map((r) => [r.name, r.endpoint, r.provider, r.tiers.join(', ')])),
          '',
          ...TIERS.map((t) => `${t.padEnd(9)} ${tiers[t].join(' -> ') || '(none)'}`),
          `fallback  ${registry.fallback}`,
        ].join('\n'),
      );
    });

  models
    .command('add')
    .description('register a model (written atomically; a running server picks it up)')
    .argument('<name>', 'a name for the model')
    .argument('<endpoint>', 'ollama://model[:tag], ollama://host:port/model, http(s)://... or mock://name')
    .option('--provider <kind>', 'ollama | openai | http | mock (openai: the endpoint is the API root, e.g. http://127.0.0.1:8080/v1)')
    .option('--model <name>', 'the model name on an OpenAI-compatible server')
    .option('--api-key-env <VAR>', 'environment variable holding the API key')
    .option('--timeout <ms>', 'per-call timeout', intOption('--timeout', 1, 3_600_000))
    .option('--max-tokens <n>', 'answer length cap', intOption('--max-tokens', 1))
    .option('--context-length <n>', 'context window (Ollama num_ctx)', intOption('--context-length', 1))
    .option('--replace', 'replace a model of the same name')
    .action(async (name: string, endpoint: string, opts: { provider?: string; model?: string; apiKeyEnv?: string; timeout?: number; maxTokens?: number; contextLength?: number; replace?: boolean }, command: Command) => {
      const ctx = contextOf(command, io);
      if (opts.provider !== undefined && !['ollama', 'openai', 'http', 'mock'].includes(opts.provider)) throw new UsageError(`--provider ${JSON.stringify(opts.provider)}: expected ollama, openai, http or mock`);
      const simple = opts.provider === undefined && opts.model === undefined && opts.apiKeyEnv === undefined && opts.timeout === undefined && opts.maxTokens === undefined && opts.contextLength === undefined;
      const entry: ModelEntry = simple
        ? endpoint
        : {
            endpoint,
            ...(opts.provider ? { provider: opts.provider as 'ollama' } : {}),
            ...(opts.model ? { model: opts.model } : {}),
            ...(opts.apiKeyEnv ? { apiKeyEnv: opts.apiKeyEnv } : {}),
            ...(opts.timeout ? { timeoutMs: opts.timeout } : {}),
            ...(opts.maxTokens ? { maxTokens: opts.maxTokens } : {}),
            ...(opts.contextLength ? { contextLength: opts.contextLength } : {}),
          };
      const registry = await ModelRegistry.open(ctx.registryFile, { env: io.env });
      const spec = await registry.register(name, entry, { replace: opts.replace === true });
      ctx.out.result({ added: spec.name, endpoint: spec.endpoint, provider: spec.provider, file: ctx.registryFile }, () => `added ${spec.name} (${spec.provider} ${spec.endpoint}) to ${ctx.registryFile}`);
    });

  models
    .command('remove')
    .description('remove a model (and take it out of every tier)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const registry = await ModelRegistry.open(ctx.registryFile, { env: io.env });
      await registry.remove(name);
      ctx.out.result({ removed: name, tiers: registry.tiers() }, () => `removed ${name}`);
    });

  models
    .command('map')
    .description("set a tier's ordered model list")
    .argument('<tier>', 'simple | moderate | complex')
    .argument('<models...>', 'registered names or endpoints, in the order to try them')
    .action(async (tier: string, names: string[], _opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      if (!(TIERS as readonly string[]).includes(tier)) throw new UsageError(`tier ${JSON.stringify(tier)}: expected simple, moderate or complex`);
      const registry = await ModelRegistry.open(ctx.registryFile, { env: io.env });
      await registry.map(tier as Tier, names);
      ctx.out.result({ tier, models: registry.tiers()[tier as Tier] }, () => `${tier}: ${registry.tiers()[tier as Tier].join(' -> ')}`);
    });

  models
    .command('check')
    .description('probe every model server (Ollama /api/tags, /v1/models): up or down, model installed or not')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const registry = await ModelRegistry.open(ctx.registryFile, { env: io.env });
      const status = await registry.status({ force: true });
      const rows = status.map((m) => ({
        name: m.name,
        endpoint: m.endpoint,
        server: m.server?.status ?? 'unknown',
        installed: m.installed,
        error: m.server?.error?.message,
      }));
      ctx.out.result({ models: rows }, () =>
        ctx.out.table(
          ['name', 'endpoint', 'server', 'installed', 'note'],
          rows.map((r) => [
            r.name,
            r.endpoint,
            ctx.out.state(r.server, r.server === 'up' ? 'ok' : r.server === 'down' ? 'fail' : 'warn'),
            r.installed === undefined ? '-' : r.installed ? 'yes' : ctx.out.state('no', 'fail'),
            r.error ?? (r.installed === false ? `pull it: ollama pull ${r.endpoint.replace(/^ollama:\/\/([^/]*\/)?/, '')}` : ''),
          ]),
        ),
      );
      if (rows.some((r) => r.server === 'down' || r.installed === false)) process.exitCode = 1;
    });
}
