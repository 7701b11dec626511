import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { join } from 'node:path';
import { IntegrationsError, loadServersConfig } from '@globalmcp/integrations';
import { ModelRegistry, TIERS } from '@globalmcp/registry';
import { loadRouterConfig } from '@globalmcp/router';
import { contextOf, examples } from './context.js';
import type { Io } from './output.js';

interface Check {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
}


export function registerDoctorCommand(program: Command, io: Io): void {
  program
    .command('doctor')
    .description('check the setup: Node version, config files, model servers, installed models, integration credentials')
    .addHelpText('after', examples('globalmcp doctor', 'globalmcp doctor --json --config-dir ./config'))
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const checks: Check[] = [];
      const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
      const nodeOk = major > 20 || (major === 20 && minor >= 19);
      checks.push({ check: 'node', status: nodeOk ? 'ok' : 'fail', detail: `${process.version}${nodeOk ? '' : ' (GlobalMCP needs 20.19 or newer)'}` });

      let registry: ModelRegistry | undefined;
      try {
        registry = await ModelRegistry.open(ctx.registryFile, { env: io.env });
        checks.push({ check: 'model registry', status: 'ok', detail: existsSync(ctx.registryFile) ? `${ctx.registryFile}: ${registry.listModels().length} models` : `${ctx.registryFile} missing: built-in defaults (phi3, mistral, llama3 on Ollama)` });
      } catch (error) {
        checks.push({ check: 'model registry', status: 'fail', detail: (error as Error).message });
      }
      try {
        if (existsSync(ctx.routerFile)) await loadRouterConfig(ctx.routerFile);
        checks.push({ check: 'router config', status: 'ok', detail: existsSync(ctx.routerFile) ? ctx.routerFile : 'built-in rules' });
      } catch (error) {
        checks.push({ check: 'router config', status: 'fail', detail: (error as Error).message });
      }

      if (registry !== undefined) {
        const status = await registry.status({ force: true });
        const servers = new Map<string, { up: boolean; error: string | undefined; provider: string }>();
        for (const m of status) if (m.server && m.provider !== 'mock') servers.set(m.server.baseUrl, { up: m.server.status === 'up', error: m.server.error?.message, provider: m.provider });
        for (const [url, s] of servers) {
          checks.push({
            check: `${s.provider} server`,
            status: s.up ? 'ok' : 'warn',
            detail: s.up ? `${url} reachable` : `${url}: ${s.error ?? 'not reachable'}; routing falls back to ${registry.fallback === 'mock' ? 'labelled mock answers' : 'errors'}${s.provider === 'ollama' ? ' (start it with `ollama serve`, or set OLLAMA_HOST)' : ''}`,
          });
        }
        const tiers = registry.tiers();
        for (const tier of TIERS) {
          const missing = status.filter((m) => tiers[tier].includes(m.name) && m.installed === false).map((m) => m.name);
          const unknown = tiers[tier].filter((name) => status.find((m) => m.name === name)?.installed === undefined);
          if (tiers[tier].length === 0) checks.push({ check: `tier ${tier}`, status: 'warn', detail: 'no model mapped: its prompts go to the neighbouring tier' });
          else if (missing.length > 0) checks.push({ check: `tier ${tier}`, status: 'warn', detail: `not installed: ${missing.join(', ')} (ollama pull ${missing.map((n) => registry!.getModel(n).model).join(' / ')})` });
          else checks.push({ check: `tier ${tier}`, status: unknown.length === tiers[tier].length ? 'warn' : 'ok', detail: `${tiers[tier].join(' -> ')}${unknown.length > 0 ? ` (not verified: ${unknown.join(', ')})` : ''}` });
        }
      }

      // Each child server's credentials, as the gateway will resolve them (`servers check` starts them).
      const serversFile = join(ctx.configDir, 'servers.json');
      try {
        const servers = await loadServersConfig(serversFile, { env: io.env, onMissingVariable: 'disable' });
        checks.push({ check: 'servers config', status: 'ok', detail: `${serversFile}: ${servers.servers.length} child servers` });
        for (const server of servers.servers) {
          const missing = server.missingVariables;
          const detail = server.disabledReason === undefined ? 'enabled (globalmcp servers check starts it)' : `disabled: ${server.disabledReason}`;
          checks.push({ check: `${server.name} server`, status: missing.length === 0 && server.disabledReason === undefined ? 'ok' : 'warn', detail });
        }
      } catch (error) {
        if (error instanceof IntegrationsError && error.code === 'CONFIG_NOT_FOUND') checks.push({ check: 'servers config', status: 'ok', detail: `${serversFile} missing: no child servers` });
        else checks.push({ check: 'servers config', status: 'fail', detail: (error as Error).message });
      }

      const failed = checks.some((c) => c.status === 'fail');
      ctx.out.result({ ok: !failed, checks }, () =>
        ctx.out.table(
          ['check', 'status', 'detail'],
          checks.map((c) => [c.check, ctx.out.state(c.status, c.status), c.detail]),
        ),
      );
      if (failed) process.exitCode = 1;
    });
}
