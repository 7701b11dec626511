import { join } from 'node:path';
import type { Command } from 'commander';
import { IntegrationsError, loadServersConfig } from '@globalmcp/integrations';
import { contextOf, examples } from './context.js';
import type { Io } from './output.js';

export function registerServersCommand(program: Command, io: Io): void {
  const servers = program
    .command('servers')
    .description('the child MCP servers of config/servers.json (mcpServers or VS Code servers format)')
    .addHelpText('after', examples('globalmcp servers list', 'globalmcp --json servers list --config-dir ./config'));

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
}
