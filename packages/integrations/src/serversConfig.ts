import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { formatConfigIssues, jsonPath } from './configIssues.js';
import { IntegrationsError } from './integrationsError.js';
import type { MissingVariable } from './integrationsError.js';
import { DEFAULT_TOOL_BUDGET, sanitizeToolName } from './toolNames.js';
import type { BudgetPolicy } from './toolNames.js';
import type { ForwardedCapabilities } from './upstream.js';
import { PRESET_NAMES, expandPreset } from './presets.js';
import type { PresetInfo } from './presets.js';

/** How long a request to a child may take when its entry sets no `timeoutMs` (the MCP SDK's own default). */
export const DEFAULT_CHILD_TIMEOUT_MS = 60_000;

export type ChildTransport = 'stdio' | 'http' | 'sse';
/** `boot`: connect when the gateway starts; `lazy`: on first use. */
export type StartupMode = 'lazy' | 'boot';
export type ServersFileFormat = 'mcpServers' | 'servers';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PREFIX = /^[A-Za-z0-9_-]*$/;
const PREFIX_EXPECTED = 'expected a prefix of letters, digits, "_" and "-", or false (or "") for none';
const STDIO_ONLY = ['command', 'args', 'env', 'envFile', 'cwd', 'inheritEnv'] as const;
const REMOTE_ONLY = ['url', 'headers'] as const;
const PRESET_SUPPLIED = ['type', 'transport', 'command', 'args', 'url', 'cwd', 'envFile'] as const;

const transport = z.enum(['stdio', 'http', 'sse'], { error: 'expected "stdio", "http" or "sse"' });
const stringMap = (what: string) =>
  z.record(z.string().min(1, { error: `expected a non-empty ${what} name` }), z.string({ error: `expected a string ${what} value` }), {
    error: `expected an object of ${what} names to strings`,
  });
const globList = z.array(z.string().min(1, { error: 'expected a non-empty tool-name glob' }), { error: 'expected an array of tool-name globs such as "search_*"' });

/**
 * One child server. The same fields are accepted under `mcpServers` (Claude Desktop, Cursor, the seed) and under
 * `servers` (VS Code's `.vscode/mcp.json`). `type` (VS Code's key) or `transport` selects the transport; without
 * either, `command` means stdio and `url` means Streamable HTTP. Unknown keys are errors, so typos do not pass
 * silently.
 */
export const ServerEntrySchema = z
  .strictObject({
    /** A ready-made server (see presets.ts); it supplies what runs the server. */
    preset: z.enum(PRESET_NAMES, { error: `expected one of the presets ${PRESET_NAMES.map((p) => `"${p}"`).join(', ')}` }).optional(),
    type: transport.optional(),
    transport: transport.optional(),
    command: z.string({ error: 'expected the command to start, as a string' }).min(1, { error: 'expected a non-empty command' }).optional(),
    args: z.array(z.string({ error: 'expected a string argument' }), { error: 'expected an array of string arguments' }).optional(),
    env: stringMap('environment variable').optional(),
    /** VS Code's: a dotenv file for the child. Kept in the result; read when the child is started. */
    envFile: z.string().min(1).optional(),
    cwd: z.string().min(1).optional(),
    url: z.string({ error: 'expected the server URL, as a string' }).min(1, { error: 'expected a non-empty URL' }).optional(),
    headers: stringMap('header').optional(),
    // Gateway options (our extension, accepted in both formats).
    prefix: z
      .union([z.string().regex(PREFIX, { error: PREFIX_EXPECTED }), z.literal(false)], { error: PREFIX_EXPECTED })
      .optional(),
    allow: globList.optional(),
    deny: globList.optional(),
    descriptions: z.record(z.string().min(1), z.string(), { error: 'expected an object of tool names to descriptions' }).optional(),
    startup: z.enum(['lazy', 'boot'], { error: 'expected "boot" or "lazy"' }).optional(),
    disabled: z.boolean({ error: 'expected true or false' }).optional(),
    inheritEnv: z.array(z.string().regex(ENV_NAME, { error: 'expected an environment variable name' }), { error: 'expected an array of environment variable names' }).optional(),
    timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
    /** Which client features the child may use through the gateway (default: all three). */
    forward: z
      .strictObject(
        { sampling: z.boolean().optional(), elicitation: z.boolean().optional(), roots: z.boolean().optional() },
        { error: 'expected an object such as {"sampling": false, "elicitation": true, "roots": false}' },
      )
      .optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.preset !== undefined) {
      for (const key of PRESET_SUPPLIED) {
        if (entry[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is supplied by the "${entry.preset}" preset; remove it, or remove "preset" and describe the server yourself` });
      }
      return;
    }
    if (entry.type !== undefined && entry.transport !== undefined && entry.type !== entry.transport) {
      ctx.addIssue({ code: 'custom', path: ['transport'], message: `"transport" is "${entry.transport}" but "type" is "${entry.type}"; give one of them` });
      return;
    }
    const declared = entry.type ?? entry.transport;
    if (declared === undefined) {
      if (entry.command !== undefined && entry.url !== undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'has both "command" (a stdio server) and "url" (an http or sse server); remove one, or set "type"' });
        return;
      }
      if (entry.command === undefined && entry.url === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'expected "command" (a stdio server) or "url" (an http or sse server)' });
        return;
      }
    }
    const kind = declared ?? (entry.command !== undefined ? 'stdio' : 'http');
    if (kind === 'stdio') {
      if (entry.command === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: 'a stdio server needs "command"' });
      for (const key of REMOTE_ONLY) {
        if (entry[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is for http and sse servers; this one is stdio` });
      }
    } else {
      if (entry.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: `an ${kind} server needs "url"` });
      for (const key of STDIO_ONLY) {
        if (entry[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is for stdio servers; this one is ${kind}` });
      }
    }
  });
export type ServerEntry = z.infer<typeof ServerEntrySchema>;

const serverMap = z.record(z.string().min(1, { error: 'expected a non-empty server name' }), ServerEntrySchema, { error: 'expected an object of server names to server entries' });

/**
 * `config/servers.json`: exactly one of `mcpServers` and `servers`, plus the tool budget. VS Code's `inputs`
 * (prompts for secrets) cannot work in a gateway that nobody watches; an empty list is tolerated so a copied
 * `mcp.json` still loads.
 */
export const ServersFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    mcpServers: serverMap.optional(),
    servers: serverMap.optional(),
    inputs: z.array(z.unknown()).optional(),
    toolBudget: z.number().int().min(1).optional(),
    budgetPolicy: z.enum(['truncate', 'error'], { error: 'expected "truncate" or "error"' }).optional(),
  })
  .superRefine((doc, ctx) => {
    if (doc.mcpServers === undefined && doc.servers === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected "mcpServers" (the Claude Desktop format) or "servers" (the VS Code format), found neither' });
    } else if (doc.mcpServers !== undefined && doc.servers !== undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'found both "mcpServers" and "servers"; use one of them' });
    }
    if (doc.inputs !== undefined && doc.inputs.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'VS Code input prompts are not supported by the gateway; set environment variables and write ${NAME} instead' });
    }
  });
export type ServersFile = z.output<typeof ServersFileSchema>;
export type ServersFileInput = z.input<typeof ServersFileSchema>;

interface ChildServerBase {
  /** The entry's key. */
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** Sanitized; `undefined` when the server's tools keep their own names (`"prefix": false` or `""`). */
  readonly prefix: string | undefined;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** Tool name (at the child) -> description shown to clients instead of the child's. */
  readonly descriptions: Readonly<Record<string, string>>;
  readonly startup: StartupMode;
  readonly timeoutMs: number;
  /** Names of variables copied from the gateway's environment into a stdio child (see {@link childEnvironment}). */
  readonly inheritEnv: readonly string[];
  /**
   * Why the server is not started: `"disabled in config"`, or `"missing JIRA_URL, JIRA_API_TOKEN"` when variables
   * are unset and `onMissingVariable` is `"disable"`. The fields of a disabled server are as written, not
   * interpolated. Absent for an enabled server.
   */
  readonly disabledReason?: string;
  /** For a `"preset"` entry: what it was made from (the filesystem preset's directories, GitHub's mode …). */
  readonly preset?: PresetInfo;
  /** Variables the server refers to without a default that are not set (only with `onMissingVariable: "disable"`). */
  readonly missingVariables: readonly string[];
  /**
   * Client features offered to the child and forwarded to a client that has them. `roots: false` matters for
   * servers such as server-filesystem that replace their configured directories with the client's roots.
   */
  readonly forward: Readonly<ForwardedCapabilities>;
}

export interface StdioChildServerConfig extends ChildServerBase {
  readonly transport: 'stdio';
  readonly command: string;
  readonly cwd?: string;
  readonly envFile?: string;
  readonly url?: undefined;
}

export interface RemoteChildServerConfig extends ChildServerBase {
  readonly transport: 'http' | 'sse';
  readonly url: string;
  readonly command?: undefined;
  readonly cwd?: undefined;
  readonly envFile?: undefined;
}

/** A child server with every default applied and every `${VAR}` resolved. */
export type ChildServerConfig = StdioChildServerConfig | RemoteChildServerConfig;

export interface ServersConfig {
  /** The file name used in messages. */
  readonly file: string;
  readonly format: ServersFileFormat;
  /** In config order, disabled ones included. */
  readonly servers: readonly ChildServerConfig[];
  readonly toolBudget: number;
  readonly budgetPolicy: BudgetPolicy;
}

export interface ServersConfigOptions {
  /** Where `${VAR}` is looked up (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * What an unset variable without a default does in an enabled server: `"error"` (default) throws
   * `MISSING_VARIABLE` listing every such reference; `"disable"` returns the server with `disabledReason`
   * `"missing NAME, …"`, so a gateway can start with the servers it can run and report the rest.
   */
  readonly onMissingVariable?: 'error' | 'disable';
  /** The file name used in messages (default `"servers config"`; {@link loadServersConfig} passes the path). */
  readonly file?: string;
  /** Where presets find their own files (filesystem_config.json); default: the directory of `file`, or the working directory. */
  readonly configDir?: string;
  /** Finds an executable on PATH, for the GitHub preset (default: a PATH search). */
  readonly which?: (command: string) => string | undefined;
}

const IN_MEMORY = 'servers config';

/** Validates the shape of a servers file; no interpolation. */
export function parseServersFile(raw: unknown, file: string = IN_MEMORY): ServersFile {
  const parsed = ServersFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new IntegrationsError('CONFIG_INVALID', formatConfigIssues(file, parsed.error.issues), { file, cause: parsed.error });
  return parsed.data;
}

/**
 * Applies defaults and resolves `${VAR}`, `${VAR:-default}` (and VS Code's `${env:VAR}`) in `command`, `args`,
 * `env` values, `envFile`, `cwd`, `url` and header values of every enabled server. `${VAR:-default}` uses the
 * default when `VAR` is unset or empty; `${VAR}` of an unset or empty variable is missing (write `${VAR:-}` to
 * accept an empty value); `$${` is a literal `${`.
 */
export function resolveServersConfig(doc: ServersFile, options: ServersConfigOptions = {}): ServersConfig {
  const file = options.file ?? IN_MEMORY;
  const env = options.env ?? process.env;
  const onMissing = options.onMissingVariable ?? 'error';
  const format: ServersFileFormat = doc.mcpServers !== undefined ? 'mcpServers' : 'servers';
  const entries = doc.mcpServers ?? doc.servers ?? {};
  const problems: string[] = [];
  const missingAll: MissingVariable[] = [];
  const servers: ChildServerConfig[] = [];

  const configDir = options.configDir ?? (options.file !== undefined && options.file !== IN_MEMORY ? dirname(resolve(options.file)) : process.cwd());
  for (const [name, written] of Object.entries(entries)) {
    const at = (...path: (string | number)[]) => jsonPath([format, name, ...path]);
    let entry = written;
    let presetInfo: PresetInfo | undefined;
    let presetDisabled: string | undefined;
    if (written.preset !== undefined && written.disabled !== true) {
      const expanded = expandPreset(written.preset, written, { configDir, env, ...(options.which ? { which: options.which } : {}) });
      entry = expanded.entry;
      presetInfo = expanded.info;
      presetDisabled = expanded.disabledReason;
      problems.push(...expanded.problems);
    }
    const kind: ChildTransport = entry.type ?? entry.transport ?? (entry.command !== undefined ? 'stdio' : 'http');
    const missing: MissingVariable[] = [];
    let invalid = false;
    const expand = (value: string, path: string): string => {
      if (entry.disabled === true) return value;
      const result = expandVariables(value, env);
      if (result.error !== undefined) {
        problems.push(`${file}: ${path}: ${result.error}`);
        invalid = true;
      }
      for (const variable of result.missing) missing.push({ server: name, field: path, variable });
      return result.value;
    };
    const expandMap = (map: Readonly<Record<string, string>> | undefined, key: string): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(map ?? {})) out[k] = expand(v, at(key, k));
      return out;
    };

    const raw = {
      command: entry.command === undefined ? undefined : expand(entry.command, at('command')),
      args: (entry.args ?? []).map((arg, i) => expand(arg, at('args', i))),
      env: expandMap(entry.env, 'env'),
      envFile: entry.envFile === undefined ? undefined : expand(entry.envFile, at('envFile')),
      cwd: entry.cwd === undefined ? undefined : expand(entry.cwd, at('cwd')),
      url: entry.url === undefined ? undefined : expand(entry.url, at('url')),
      headers: expandMap(entry.headers, 'headers'),
    };

    let disabledReason: string | undefined = entry.disabled === true ? 'disabled in config' : presetDisabled;
    const missingVariables = [...new Set(missing.map((m) => m.variable))];
    if (missing.length > 0) {
      if (onMissing === 'error') missingAll.push(...missing);
      else disabledReason = `missing ${missingVariables.join(', ')}`;
    }
    // A server that will not start keeps its fields as written: nothing half-resolved, no secrets copied.
    const values = disabledReason === undefined ? raw : { ...raw, command: entry.command, args: entry.args ?? [], env: { ...entry.env }, envFile: entry.envFile, cwd: entry.cwd, url: entry.url, headers: { ...entry.headers } };

    if (kind !== 'stdio' && disabledReason === undefined && !invalid && values.url !== undefined && !isHttpUrl(values.url)) {
      // The value as written, not as resolved: a resolved URL may carry a token.
      problems.push(`${file}: ${at('url')}: expected an http:// or https:// URL (got ${JSON.stringify(entry.url)})`);
    }

    const common = {
      name,
      args: values.args,
      env: values.env,
      headers: values.headers,
      prefix: entry.prefix === undefined ? sanitizeToolName(name) : entry.prefix === false || entry.prefix === '' ? undefined : entry.prefix,
      allow: entry.allow ?? [],
      deny: entry.deny ?? [],
      descriptions: { ...entry.descriptions },
      startup: entry.startup ?? 'boot',
      timeoutMs: entry.timeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS,
      inheritEnv: entry.inheritEnv ?? [],
      forward: { sampling: entry.forward?.sampling ?? true, elicitation: entry.forward?.elicitation ?? true, roots: entry.forward?.roots ?? true },
      missingVariables,
      ...(disabledReason === undefined ? {} : { disabledReason }),
      ...(presetInfo === undefined ? {} : { preset: presetInfo }),
    };
    servers.push(
      kind === 'stdio'
        ? {
            ...common,
            transport: 'stdio',
            // The schema guarantees a command for stdio servers.
            command: values.command ?? '',
            ...(values.cwd === undefined ? {} : { cwd: values.cwd }),
            ...(values.envFile === undefined ? {} : { envFile: values.envFile }),
          }
        : { ...common, transport: kind, url: values.url ?? '' },
    );
  }

  if (problems.length > 0) throw new IntegrationsError('CONFIG_INVALID', problems.join('\n'), { file });
  if (missingAll.length > 0) {
    const lines = missingAll.map(
      (m) =>
        `${file}: ${m.field}: server "${m.server}" needs environment variable ${m.variable}, which is not set; ` +
        `set it, write \${${m.variable}:-default}, or set "disabled": true on the server`,
    );
    throw new IntegrationsError('MISSING_VARIABLE', lines.join('\n'), { file, missing: missingAll });
  }
  return { file, format, servers, toolBudget: doc.toolBudget ?? DEFAULT_TOOL_BUDGET, budgetPolicy: doc.budgetPolicy ?? 'truncate' };
}

/** {@link parseServersFile} then {@link resolveServersConfig}. */
export function parseServersConfig(raw: unknown, options: ServersConfigOptions = {}): ServersConfig {
  return resolveServersConfig(parseServersFile(raw, options.file ?? IN_MEMORY), options);
}

/**
 * Reads, validates and resolves a servers file. A missing file is `CONFIG_NOT_FOUND`, not an empty config: a
 * typo in a path should not silently drop every child server. `options.file` defaults to the path.
 */
export async function loadServersConfig(path: string, options: ServersConfigOptions = {}): Promise<ServersConfig> {
  const file = options.file ?? path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new IntegrationsError('CONFIG_NOT_FOUND', `servers config not found: ${path}`, { file, cause: error });
    throw new IntegrationsError('CONFIG_INVALID', `cannot read servers config ${path}: ${(error as Error).message}`, { file, cause: error });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new IntegrationsError('CONFIG_INVALID', `${file}${jsonErrorLocation(text, message)}: invalid JSON: ${message.replace(/\s+in JSON at position \d+.*$/, '')}`, {
      file,
      cause: error,
    });
  }
  return parseServersConfig(raw, { ...options, file });
}

/**
 * The environment a stdio child gets on top of the MCP SDK's own minimal one (HOME, LOGNAME, PATH, SHELL, TERM,
 * USER; on Windows APPDATA, PATH, TEMP, USERPROFILE …): each `inheritEnv` variable that is set in `gatewayEnv`,
 * then the entry's `env`, which wins. Nothing else of the gateway's environment reaches a child, so a token
 * meant for one server is not handed to every other.
 */
export function childEnvironment(server: Pick<ChildServerConfig, 'env' | 'inheritEnv'>, gatewayEnv: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of server.inheritEnv) {
    const value = gatewayEnv[name];
    if (value !== undefined) out[name] = value;
  }
  return Object.assign(out, server.env);
}

interface Expansion {
  readonly value: string;
  readonly missing: readonly string[];
  readonly error: string | undefined;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)(\}?)/g;
const REFERENCE_BODY = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

function expandVariables(text: string, env: Readonly<Record<string, string | undefined>>): Expansion {
  const missing: string[] = [];
  let error: string | undefined;
  const value = text.replace(REFERENCE, (match: string, body: string | undefined, close: string | undefined) => {
    if (match === '$${') return '${';
    if (close !== '}') {
      error ??= `unterminated "\${" in ${JSON.stringify(text)}; write \${NAME} or \${NAME:-default}, or $\${ for a literal "\${"`;
      return match;
    }
    const parsed = REFERENCE_BODY.exec(body ?? '');
    if (parsed === null) {
      error ??= body?.startsWith('input:')
        ? `VS Code input variables such as ${match} are not supported by the gateway; set an environment variable and write \${NAME}`
        : `malformed reference ${match}; expected \${NAME} or \${NAME:-default} with NAME of letters, digits and "_"`;
      return match;
    }
    const name = parsed[1] ?? '';
    const fallback = parsed[2];
    const set = env[name];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    // An empty credential is no credential: `.env` files often hold `TOKEN=` placeholders.
    if (set === undefined || set === '') {
      missing.push(name);
      return '';
    }
    return set;
  });
  return { value, missing, error };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** ":line:column" of a JSON.parse error, from the "position N" (or "line L column C") its message gives. */
function jsonErrorLocation(text: string, message: string): string {
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lc) return `:${lc[1]}:${lc[2]}`;
  const at = /at position (\d+)/.exec(message);
  const pos = at ? Number(at[1]) : /Unexpected end of JSON input/.test(message) ? text.length : -1;
  if (pos < 0) return '';
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `:${line}:${pos - lineStart + 1}`;
}
