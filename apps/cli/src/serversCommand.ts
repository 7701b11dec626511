import { join } from 'node:path';
import type { Command } from 'commander';
import { Federation, IntegrationsError, loadServersConfig } from '@globalmcp/integrations';
import type { ServersConfig } from '@globalmcp/integrations';
import { contextOf, examples } from './context.js';
import { UsageError } from './output.js';
import type { Io } from './output.js';

export function registerServersCommand(program: Command, io: Io): void {
  const servers = program
    .command('servers')
    .description('the child MCP servers of config/servers.json (mcpServers or VS Code servers format)')
    .addHelpText('after', examples('globalmcp servers list', 'globalmcp servers check', 'globalmcp --json servers check jira --timeout 60'));

  servers
    .command('list')
    .description('each configured child: transport, command or URL, and whether it is enabled (a missing credential disables it, with the reason)')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const file = join(ctx.configDir, 'servers.json');
      let config;
      try {
        config = await loadServersConfig(file, { env: io.env, onMissingVariable: 'disable' });
      } catch (error) {
        if (error instanceof IntegrationsError && error.code === 'CONFIG_NOT_FOUND') {
          ctx.out.result({ file, servers: [] }, () => `no child servers: ${file} does not exist`);
          return;
        }
        throw error;
      }
      const rows = config.servers.map((s) => ({
        name: s.name,
        transport: s.transport,
        target: s.transport === 'stdio' ? [s.command, ...s.args].join(' ') : s.url,
        prefix: s.prefix ?? null,
        preset: s.preset?.name ?? null,
        startup: s.startup,
        state: s.disabledReason === undefined ? 'enabled' : `disabled: ${s.disabledReason}`,
      }));
      ctx.out.result({ file, format: config.format, toolBudget: config.toolBudget, servers: rows }, () =>
        ctx.out.table(
          ['name', 'transport', 'command / url', 'prefix', 'state'],
          rows.map((r) => [r.name, r.transport, r.target.length > 60 ? `${r.target.slice(0, 60)}…` : r.target, r.prefix ?? '(none)', ctx.out.state(r.state, r.state === 'enabled' ? 'ok' : 'warn')]),
        ),
      );
    });

  servers
    .command('check')
    .argument('[names...]', 'only these servers (default: every enabled one)')
    .option('--timeout <seconds>', 'how long each server may take to start and list its tools', '30')
    .description('start each enabled child, initialize it and list its tools; exit 1 if any fails')
    .addHelpText('after', examples('globalmcp servers check', 'globalmcp servers check filesystem jira --timeout 60', 'globalmcp --json servers check'))
    .action(async (names: string[], opts: { timeout: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const timeoutS = Number(opts.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout ${JSON.stringify(opts.timeout)}: expected a positive number of seconds`);
      const file = join(ctx.configDir, 'servers.json');
      const config = await loadServersConfig(file, { env: io.env, onMissingVariable: 'disable' });
      const unknown = names.filter((n) => !config.servers.some((s) => s.name === n));
      if (unknown.length > 0) throw new UsageError(`no server named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${file}; configured: ${config.servers.map((s) => s.name).join(', ') || 'none'}`);
      const chosen: ServersConfig = { ...config, servers: config.servers.filter((s) => names.length === 0 || names.includes(s.name)).map((s) => ({ ...s, startup: 'lazy' as const })) };
      const federation = new Federation({ env: io.env, listWaitMs: timeoutS * 1000, restartDelayMs: 3_600_000 });
      try {
        await federation.apply(chosen);
        const timings = new Map<string, number>();
        await Promise.all(
          federation.servers().map(async (child) => {
            const started = performance.now();
            await child.settled(timeoutS * 1000);
            timings.set(child.name, Math.round(performance.now() - started));
          }),
        );
        const rows = federation.servers().map((child) => {
          const status = child.status();
          const ok = status.state === 'ready';
          const reason = status.state === 'disabled' ? (status.disabledReason ?? '') : ok ? '' : status.state === 'starting' ? `did not answer within ${timeoutS} s` : (status.lastError ?? status.state);
          return {
            name: child.name,
            state: status.state === 'starting' ? 'timeout' : status.state === 'restarting' ? 'failed' : status.state,
            ...(status.server ? { server: status.server } : {}),
            tools: child.tools.map((t) => t.name),
            resources: status.resources,
            prompts: status.prompts,
            ms: status.state === 'disabled' ? null : (timings.get(child.name) ?? null),
            ...(reason ? { reason } : {}),
          };
        });
        const failed = rows.filter((r) => r.state !== 'ready' && r.state !== 'disabled');
        ctx.out.result({ file, servers: rows, warnings: federation.status().warnings }, () =>
          [
            ctx.out.table(
              ['name', 'state', 'tools', 'ms', 'server / reason'],
              rows.map((r) => [
                r.name,
                ctx.out.state(r.state, r.state === 'ready' ? 'ok' : r.state === 'disabled' ? 'warn' : 'fail'),
                String(r.tools.length),
                r.ms === null ? '' : String(r.ms),
                r.state === 'ready' ? `${r.server?.name ?? ''} ${r.server?.version ?? ''}`.trim() : (r.reason ?? ''),
              ]),
            ),
            ...federation.status().warnings.map((w) => `warning: ${w}`),
          ].join('\n'),
        );
        if (failed.length > 0) process.exitCode = 1;
      } finally {
        await federation.close();
      }
    });
}
