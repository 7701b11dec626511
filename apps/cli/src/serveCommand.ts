import type { Command } from 'commander';
import { USAGE, parseServeArgs, serve } from '@globalmcp/mcp-server';
import { examples } from './context.js';
import { UsageError } from './output.js';
import type { Io } from './output.js';

export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description('run the GlobalMCP server (stdio by default, or Streamable HTTP); every flag of globalmcp-server is accepted')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[flags...]', 'globalmcp-server flags: --stdio | --http, --host, --port, --tensor-dir, --log-level, ...')
    .addHelpText('after', `\n${USAGE}\n${examples('globalmcp serve --http --port 8000', 'globalmcp serve --stdio --config-dir ./config')}`)
    .action(async (flags: string[], _opts: unknown, command: Command) => {
      const configDir = command.optsWithGlobals<{ configDir?: string }>().configDir;
      let options;
      try {
        options = parseServeArgs([...(configDir ? ['--config-dir', configDir] : []), ...flags], io.env);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (options === 'help' || options === 'version') {
        command.outputHelp();
        return;
      }
      const { gateway, http } = await serve(options);
      if (http === undefined) return;
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await http.close();
      await gateway.close();
    });
}
