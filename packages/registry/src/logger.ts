export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where a library reports what it does; the server writes it to stderr, the CLI to its diagnostics. Libraries never print. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const silentLogger: Logger = { log() {} };
