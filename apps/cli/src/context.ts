import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Output, UsageError } from './output.js';
import type { Io } from './output.js';

export interface GlobalOptions {
  readonly json?: boolean;
  readonly configDir?: string;
}

export interface Context {
  readonly io: Io;
  readonly out: Output;
  readonly configDir: string;
  readonly registryFile: string;
  readonly routerFile: string;
}

export function contextOf(command: Command, io: Io): Context {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const configDir = resolve(globals.configDir ?? io.env['GLOBALMCP_CONFIG_DIR'] ?? 'config');
  return {
    io,
    out: new Output(io, globals.json === true),
    configDir,
    registryFile: join(configDir, 'model_registry.json'),
    routerFile: join(configDir, 'router.json'),
  };
}

export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`${name} ${JSON.stringify(value)}: expected an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`}`);
    return n;
  };
}

export function numberOption(name: string, check: (n: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${name} ${JSON.stringify(value)}: expected ${expected}`);
    return n;
  };
}

/** `--example` lines shown under a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
