import { parseArgs } from 'node:util';
import type { LogLevel } from '@globalmcp/registry';
import { GatewayError } from './gatewayError.js';
import { LOG_LEVELS } from './logger.js';
import { SERVER_VERSION } from './version.js';

// Kept apart from serve.ts, with light imports only: the binary reads its flags before it loads the rest.

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;

export interface ServeOptions {
  readonly transport: 'stdio' | 'http';
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly configDir: string | undefined;
  readonly tensorDirs: readonly string[] | undefined;
  readonly analyticsFile: string | undefined;
  readonly token: string | undefined;
  readonly allowedOrigins: readonly string[];
  readonly maxBodyBytes: number | undefined;
}

export const USAGE = `globalmcp-server ${SERVER_VERSION}: the GlobalMCP MCP server

Usage: globalmcp-server [--stdio | --http] [options]

  --stdio                 serve one client on stdin/stdout (default; what VS Code starts)
  --http                  serve Streamable HTTP on /mcp and GET /health
  --host <addr>           bind address (default $MCP_SERVER_HOST or 127.0.0.1)
  --port <n>              port (default $MCP_SERVER_PORT or 8000; 0 picks a free one)
  --config-dir <dir>      model_registry.json and router.json (default $GLOBALMCP_CONFIG_DIR or ./config)
  --tensor-dir <dir>      a directory tensor files may be read from / written to (repeatable; default: the working directory)
  --analytics-file <f>    persist routing analytics to this JSON file
  --allowed-origin <o>    allow this browser Origin besides loopback ones (repeatable)
  --max-body-bytes <n>    largest HTTP request body (default 33554432)
  --log-level <level>     debug | info | warn | error (default $GLOBALMCP_LOG_LEVEL or info); logs go to stderr
  --help, --version

A bearer token is read from $GLOBALMCP_TOKEN (required when --host is not a loopback address).`;

/** Reads flags and the environment into options; a bad value is a GatewayError naming the flag. */
export function parseServeArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ServeOptions | 'help' | 'version' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stdio: { type: 'boolean' },
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      'config-dir': { type: 'string' },
      'tensor-dir': { type: 'string', multiple: true },
      'analytics-file': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'max-body-bytes': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
  if (values.stdio && values.http) throw new GatewayError('CONFIG_INVALID', '--stdio and --http exclude each other; choose one');
  const portText = values.port ?? env['MCP_SERVER_PORT'] ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new GatewayError('CONFIG_INVALID', `port ${JSON.stringify(portText)} (from ${values.port !== undefined ? '--port' : 'MCP_SERVER_PORT'}): expected an integer from 0 to 65535`);
  const logLevel = (values['log-level'] ?? env['GLOBALMCP_LOG_LEVEL'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new GatewayError('CONFIG_INVALID', `log level ${JSON.stringify(logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  let maxBodyBytes: number | undefined;
  if (values['max-body-bytes'] !== undefined) {
    maxBodyBytes = Number(values['max-body-bytes']);
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1024) throw new GatewayError('CONFIG_INVALID', `--max-body-bytes ${JSON.stringify(values['max-body-bytes'])}: expected an integer >= 1024`);
  }
  return {
    transport: values.http ? 'http' : 'stdio',
    host: values.host ?? env['MCP_SERVER_HOST'] ?? DEFAULT_HOST,
    port,
    logLevel,
    configDir: values['config-dir'] ?? env['GLOBALMCP_CONFIG_DIR'],
    tensorDirs: values['tensor-dir'],
    analyticsFile: values['analytics-file'],
    token: env['GLOBALMCP_TOKEN'] || undefined,
    allowedOrigins: values['allowed-origin'] ?? [],
    maxBodyBytes,
  };
}

