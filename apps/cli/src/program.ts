import { Command, CommanderError } from 'commander';
import { SERVER_VERSION } from '@globalmcp/mcp-server';
import { registerDoctorCommand } from './doctorCommand.js';
import { registerFitCommand } from './fitCommand.js';
import { registerModelsCommand } from './modelsCommand.js';
import { UsageError } from './output.js';
import type { Io } from './output.js';
import { registerRouteCommands } from './routeCommands.js';
import { registerServeCommand } from './serveCommand.js';
import { registerServersCommand } from './serversCommand.js';
import { registerTensorCommands } from './tensorCommands.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function createProgram(io: Io): Command {
  const program = new Command('globalmcp')
    .description('GlobalMCP: KV-cache compression, prompt routing to right-sized models, and the MCP gateway')
    .version(SERVER_VERSION, '-V, --version')
    .option('--json', 'machine-readable output on stdout')
    .option('--config-dir <dir>', 'where model_registry.json and router.json live (default $GLOBALMCP_CONFIG_DIR or ./config)')
    .showHelpAfterError('(add --help for usage and examples)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 failure (a check failed, a file is corrupt, no model answered with fallback "error"), 2 usage error.
Results go to stdout, diagnostics to stderr. Colour only on a terminal; NO_COLOR turns it off.`,
    );
  registerTensorCommands(program, io);
  registerFitCommand(program, io);
  registerRouteCommands(program, io);
  registerModelsCommand(program, io);
  registerServersCommand(program, io);
  registerServeCommand(program, io);
  registerDoctorCommand(program, io);
  for (const command of program.commands) {
    command.exitOverride();
    command.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    for (const sub of command.commands) sub.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  }
  return program;
}

/** Runs the CLI and returns its exit code: errors are printed here, once, on stderr. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE; // commander already printed the message and the hint
    }
    if (error instanceof UsageError) {
      io.stderr.write(`globalmcp: ${error.message}\n(add --help for usage and examples)\n`);
      return EXIT_USAGE;
    }
    const code = (error as { code?: unknown }).code;
    const name = (error as Error).name;
    io.stderr.write(`globalmcp: ${typeof code === 'string' ? `${name} ${code}: ` : ''}${(error as Error).message ?? String(error)}\n`);
    if (typeof code !== 'string' && io.env['GLOBALMCP_DEBUG']) io.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return EXIT_FAILURE;
  }
}
