import type { LogLevel, Logger } from '@globalmcp/registry';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const SECRET_KEY = /token|secret|password|passwd|authorization|api[-_]?key|cookie/i;

/**
 * Structured logs, one JSON object per line, on **stderr**: stdout belongs to the
 * stdio transport. Values under keys that look like secrets are replaced, so a
 * token never reaches a log whatever a caller passes.
 */
export function createStderrLogger(minimum: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = LOG_LEVELS.indexOf(minimum);
  return {
    log(level, message, fields) {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...redact(fields) })}\n`);
    },
  };
}

export function redact(fields: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (fields === undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = value.message;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) out[key] = redact(value as Record<string, unknown>);
    else out[key] = value;
  }
  return out;
}
