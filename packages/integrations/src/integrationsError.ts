/**
 * Codes of {@link IntegrationsError}. Stable: callers may switch on them.
 *
 * - `CONFIG_NOT_FOUND`: the servers file does not exist (the message names the path).
 * - `CONFIG_INVALID`: the servers file cannot be read, is not JSON (the message names the file, line and column),
 *   has neither or both of `mcpServers` and `servers`, or a value is missing, of the wrong type, unknown or
 *   inconsistent (a `url` on a stdio server, say). One line per problem: file, JSON path, what was expected.
 *   A malformed `${...}` reference is reported here too.
 * - `MISSING_VARIABLE`: an enabled server refers to `${NAME}` without a default and `NAME` is not set, and the
 *   loader was asked to fail (`onMissingVariable: 'error'`, the default). One line per reference: file, JSON
 *   path, server and variable; `missing` lists them.
 * - `TOOL_BUDGET_EXCEEDED`: the child servers offer more tools than `toolBudget` and `budgetPolicy` is `"error"`.
 *   The message counts the tools per server and says how to choose.
 * - `CHILD_UNAVAILABLE`: the child server a request needs is disabled, stopped or down (the message says why and
 *   when it is tried again); the request was not sent.
 * - `CHILD_FAILED`: the child exited while handling the request.
 * - `NOT_FOUND`: no child offers the tool, prompt or resource asked for.
 */
export type IntegrationsErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'MISSING_VARIABLE'
  | 'TOOL_BUDGET_EXCEEDED'
  | 'CHILD_UNAVAILABLE'
  | 'CHILD_FAILED'
  | 'NOT_FOUND';

/** One `${NAME}` reference that could not be resolved. */
export interface MissingVariable {
  readonly server: string;
  /** JSON path of the field that holds the reference, e.g. `$.mcpServers.jira.env.JIRA_API_TOKEN`. */
  readonly field: string;
  readonly variable: string;
}

export interface IntegrationsErrorDetails {
  readonly cause?: unknown;
  /** The config file concerned, when there is one. */
  readonly file?: string;
  /** For `MISSING_VARIABLE`: every unresolved reference, in config order. */
  readonly missing?: readonly MissingVariable[];
  /** The child server concerned. */
  readonly server?: string;
  /** For `NOT_FOUND` of a resource: its URI. */
  readonly uri?: string;
}

export class IntegrationsError extends Error {
  override readonly name = 'IntegrationsError';
  readonly code: IntegrationsErrorCode;
  readonly file: string | undefined;
  readonly missing: readonly MissingVariable[] | undefined;
  readonly server: string | undefined;
  readonly uri: string | undefined;

  constructor(code: IntegrationsErrorCode, message: string, details: IntegrationsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.missing = details.missing;
    this.server = details.server;
    this.uri = details.uri;
  }
}
